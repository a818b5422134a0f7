// Compare before publishing: the editor's rulebook (B) against the service's (A) on the same
// synthetic caseload (POST /v1/compare, as `wenze simulate A --compare B`): sanctions per level
// and per unit drawn side by side (A and B bars), per unit and level in a table, and the
// persons whose decisions change.

import { ApiError, postJson } from "./api";
import { barChart, type BarGroup } from "./charts";
import { pick, t } from "./i18n";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

interface Comparison {
  published: string;
  cases: number;
  seed: number;
  as_of: string;
  decisions: { a: number; b: number };
  sanctions: { unit: string; level: string | null; a: number; b: number }[];
  by_level: { level: string | null; a: number; b: number }[];
  by_unit: { unit: string; a: number; b: number }[];
  persons: { person: string; unit: string; a: string[]; b: string[] }[];
}

export class CompareScreen {
  private result: Comparison | null = null;

  constructor(private rulebook: () => string) {
    $("compare").onclick = () => void this.run();
  }

  private async run(): Promise<void> {
    const status = $("compare-status");
    status.textContent = t("comparing");
    try {
      this.result = await postJson<Comparison>("/v1/compare", {
        rulebook: this.rulebook(),
        cases: Number($<HTMLInputElement>("cmp-cases").value || 1000),
        seed: Number($<HTMLInputElement>("cmp-seed").value || 0),
      });
      status.textContent = "";
      this.rerender();
      $("compare-results").hidden = false;
    } catch (err) {
      const e = err as ApiError;
      const d = (e.body?.diagnostics as { code: string; line: number; message: { zh: string; en: string } }[] | undefined)?.[0];
      status.textContent = `${t("error")}: ${e.message}${d ? ` — ${d.code} ${t("line_col", { line: d.line, col: "" }).replace(/[，,][^，,]*$/, "")} ${pick(d.message)}` : ""}`;
    }
  }

  rerender(): void {
    const r = this.result;
    if (!r) return;
    $("compare-summary").textContent = t("compare_summary", {
      cases: r.cases, seed: r.seed, as_of: r.as_of, published: r.published,
      a: r.decisions.a, b: r.decisions.b, n: r.persons.length,
    });
    const pair = (label: string, a: number, b: number): BarGroup => ({
      label, bars: [{ label: t("col_a"), value: a, kind: "a" }, { label: t("col_b"), value: b, kind: "b" }],
    });
    const legend = [{ kind: "a", label: t("col_a") }, { kind: "b", label: t("col_b") }];
    const max = Math.max(1, ...r.by_level.flatMap((s) => [s.a, s.b]), ...r.by_unit.flatMap((s) => [s.a, s.b]));
    $("chart-levels").replaceChildren(barChart(r.by_level.map((s) => pair(s.level ?? t("no_sanction"), s.a, s.b)), {
      title: t("by_level"), legend, max, className: "compare",
    }));
    $("chart-units").replaceChildren(barChart(r.by_unit.map((s) => pair(s.unit || "—", s.a, s.b)), {
      title: t("by_unit"), legend, max, className: "compare",
    }));
    const most = Math.max(1, ...r.sanctions.flatMap((s) => [s.a, s.b]));
    const table = $<HTMLTableElement>("compare-sanctions");
    const head = `<thead><tr><th>${t("col_unit")}</th><th>${t("col_sanction")}</th><th>${t("col_a")}</th><th>${t("col_b")}</th><th>${t("col_delta")}</th></tr></thead>`;
    table.innerHTML = head;
    const body = document.createElement("tbody");
    for (const s of r.sanctions) {
      const tr = document.createElement("tr");
      const cells = [s.unit, s.level ?? t("no_sanction")];
      for (const c of cells) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.append(td);
      }
      for (const [n, side] of [[s.a, "a"], [s.b, "b"]] as const) {
        const td = document.createElement("td");
        const cell = document.createElement("div");
        cell.className = "bar-cell";
        const bar = document.createElement("span");
        bar.className = `cmp-bar ${side}`;
        bar.style.width = `${Math.round((n / most) * 120)}px`;
        const v = document.createElement("span");
        v.textContent = String(n);
        cell.append(bar, v);
        td.append(cell);
        tr.append(td);
      }
      const delta = document.createElement("td");
      const d = s.b - s.a;
      delta.textContent = d > 0 ? `+${d}` : String(d);
      delta.className = d > 0 ? "up" : d < 0 ? "down" : "muted";
      tr.append(delta);
      body.append(tr);
    }
    table.append(body);
    const persons = $<HTMLTableElement>("compare-persons");
    persons.innerHTML = `<thead><tr><th>${t("col_person")}</th><th>${t("col_unit")}</th><th>${t("col_a")}</th><th>${t("col_b")}</th></tr></thead>`;
    const pb = document.createElement("tbody");
    for (const p of r.persons) {
      const tr = document.createElement("tr");
      for (const c of [p.person, p.unit, p.a.join("\n") || "—", p.b.join("\n") || "—"]) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.append(td);
      }
      pb.append(tr);
    }
    persons.append(pb);
  }
}
