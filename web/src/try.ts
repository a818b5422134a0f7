// Try it: events (pasted, uploaded or the shipped example; JSON Lines, CSV or XES, CSV and XES
// through a ready mapping or one written in TOML/JSON) evaluated as of a date by the editor's
// rulebook (POST /v1/evaluate, nothing stored): decisions (sortable, filtered), warnings,
// metrics with the on-time rate per unit and period drawn, rejected events with their line and
// code; a decision opens its 问责决定书 and the day-by-day trace.

import { ApiError, getJson, postJson } from "./api";
import { barChart } from "./charts";
import { pick, t } from "./i18n";
import { openLetter } from "./letter";

type Row = Record<string, unknown>;

export interface Evaluation {
  as_of: string;
  cases: number;
  events: number;
  decisions: Row[];
  warnings: Row[];
  metrics: Row[];
  rejected: Row[];
  unjudged: Row[];
}

export interface Column {
  key: string;
  label: string;
  value: (r: Row) => string | number;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const EXAMPLE_AS_OF = "2024-06-30";
const OWN_MAPPING = ""; // the mapping select's value for a mapping written by the user

/** The events as POST /v1/evaluate (and /v1/explain, /v1/graph) take them. */
export type EventsInput = Record<string, unknown>;

interface Upload {
  name: string;
  bytes: Uint8Array;
  text: string; // as shown in the text area (the bytes are sent while it is unchanged)
}

function formatOf(name: string): string {
  const ext = name.toLowerCase().split(".").pop() ?? "";
  return ext === "csv" ? "csv" : ext === "xes" ? "xes" : "jsonl";
}

function base64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(out);
}

export function sanctionOf(d: Row): string {
  return (d.sanction as string | null) ?? t("no_sanction");
}

export function decisionColumns(): Column[] {
  return [
    { key: "established", label: t("col_established"), value: (d) => String(d.established ?? "") },
    { key: "case", label: t("col_case"), value: (d) => String(d.case ?? d.subject ?? "") },
    { key: "unit", label: t("col_unit"), value: (d) => String(d.unit ?? "") },
    { key: "person", label: t("col_person"), value: (d) => String(d.person ?? "") },
    { key: "post", label: t("col_post"), value: (d) => String(d.post ?? "") },
    { key: "role", label: t("col_role"), value: (d) => pick(d.role_label as { zh: string; en: string }) },
    { key: "violation", label: t("col_violation"), value: (d) => String(d.violation ?? "") },
    { key: "sanction", label: t("col_sanction"), value: sanctionOf },
    { key: "key", label: t("col_key"), value: (d) => String(d.key ?? "") },
  ];
}

/** A sortable table: header buttons sort (again: reverse); rows may be opened (click, Enter). */
export function renderTable(
  table: HTMLTableElement,
  columns: Column[],
  rows: Row[],
  sort: { key: string; desc: boolean } | null,
  onSort: ((key: string) => void) | null,
  onOpen: ((r: Row) => void) | null,
): void {
  const thead = document.createElement("thead");
  const tr = document.createElement("tr");
  for (const c of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    if (onSort) {
      const b = document.createElement("button");
      b.className = "sort";
      b.textContent = c.label;
      b.onclick = () => onSort(c.key);
      th.append(b);
      th.setAttribute("aria-sort", sort?.key === c.key ? (sort.desc ? "descending" : "ascending") : "none");
    } else th.textContent = c.label;
    tr.append(th);
  }
  thead.append(tr);
  const tbody = document.createElement("tbody");
  let shown = rows;
  if (sort) {
    const col = columns.find((c) => c.key === sort.key);
    if (col) {
      shown = [...rows].sort((a, b) => {
        const x = col.value(a);
        const y = col.value(b);
        const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
        return sort.desc ? -cmp : cmp;
      });
    }
  }
  for (const r of shown) {
    const row = document.createElement("tr");
    for (const c of columns) {
      const td = document.createElement("td");
      td.textContent = String(c.value(r));
      td.dataset.col = c.key;
      row.append(td);
    }
    if (onOpen) {
      row.tabIndex = 0;
      row.className = "openable";
      row.onclick = () => onOpen(r);
      row.onkeydown = (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onOpen(r);
        }
      };
    }
    tbody.append(row);
  }
  if (!rows.length) {
    const row = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = columns.length;
    td.className = "muted";
    td.textContent = t("none");
    row.append(td);
    tbody.append(row);
  }
  table.replaceChildren(thead, tbody);
}

export function levelName(level: unknown): string {
  return t(String(level));
}

export class TryScreen {
  private result: Evaluation | null = null;
  private sent: ({ rulebook: string; as_of: string } & EventsInput) | null = null;
  private upload: Upload | null = null;
  private mappings: { name: string; table: Record<string, unknown> }[] = [];
  private sort: { key: string; desc: boolean } | null = { key: "established", desc: false };
  private tab = "decisions";

  constructor(
    private rulebook: () => string,
    private setRulebook: (text: string) => void,
    private fetchText: (path: string) => Promise<string>,
    private showCase: (c: { case: string; as_of: string } & EventsInput) => void,
  ) {
    const asOf = $<HTMLInputElement>("as-of");
    if (!asOf.value) asOf.value = new Date().toISOString().slice(0, 10);
    $("evaluate").onclick = () => void this.evaluate();
    $("use-example").onclick = () => void this.useExample();
    $<HTMLInputElement>("upload-events").onchange = async (e) => {
      const file = (e.target as HTMLInputElement).files?.[0];
      if (file) await this.uploaded(file.name, new Uint8Array(await file.arrayBuffer()));
      (e.target as HTMLInputElement).value = "";
    };
    $("events-format").onchange = () => this.formatChosen();
    $("mapping").onchange = () => this.mappingChosen();
    void this.loadMappings();
    for (const id of ["f-unit", "f-sanction"]) $(id).onchange = () => this.renderDecisions();
    $("f-person").oninput = () => this.renderDecisions();
    document.querySelectorAll<HTMLButtonElement>("[data-result]").forEach((b) => {
      b.onclick = () => this.showTab(b.dataset.result!);
    });
  }

  private async loadMappings(): Promise<void> {
    try {
      this.mappings = (await getJson<{ mappings: { name: string; table: Record<string, unknown> }[] }>("/v1/mappings")).mappings;
    } catch {
      this.mappings = [];
    }
    this.fillMappings();
  }

  /** The mapping choices: the ready ones by name, then one's own (TOML or JSON). */
  fillMappings(): void {
    const select = $<HTMLSelectElement>("mapping");
    const keep = select.value;
    const label = (name: string) => (t(`mapping_${name}`) === `mapping_${name}` ? name : t(`mapping_${name}`));
    select.replaceChildren(...this.mappings.map((m) => new Option(label(m.name), m.name)), new Option(t("mapping_own"), OWN_MAPPING));
    if ([...select.options].some((o) => o.value === keep) && select.dataset.filled) select.value = keep;
    select.dataset.filled = "1";
    this.formatChosen();
    this.showUpload(); // (in the page's language)
  }

  private formatChosen(): void {
    const jsonl = $<HTMLSelectElement>("events-format").value === "jsonl";
    $<HTMLSelectElement>("mapping").disabled = jsonl;
    $("mapping-own").hidden = jsonl || $<HTMLSelectElement>("mapping").value !== OWN_MAPPING;
  }

  private mappingChosen(): void {
    const select = $<HTMLSelectElement>("mapping");
    const own = select.value === OWN_MAPPING;
    const text = $<HTMLTextAreaElement>("mapping-text");
    if (own && !text.value.trim()) {
      // a start: the ready mapping chosen before, every key written out (JSON)
      const before = this.mappings.find((m) => m.name === select.dataset.last) ?? this.mappings[0];
      if (before) text.value = JSON.stringify(before.table, null, 2);
    }
    if (!own) select.dataset.last = select.value;
    this.formatChosen();
  }

  /** An uploaded file: its format from its name, its text shown, its bytes kept to be sent. */
  async uploaded(name: string, bytes: Uint8Array): Promise<void> {
    const area = $<HTMLTextAreaElement>("events");
    area.value = new TextDecoder("utf-8").decode(bytes); // undecodable bytes shown as �, sent as they are
    this.upload = { name, bytes, text: area.value }; // (as the text area holds it: its line ends are \n)
    $<HTMLSelectElement>("events-format").value = formatOf(name);
    this.showUpload();
    this.formatChosen();
  }

  private showUpload(): void {
    const u = this.upload;
    const size = !u ? "" : u.bytes.length < 10240 ? `${u.bytes.length} B` : `${Math.round(u.bytes.length / 1024)} KB`;
    $("upload-name").textContent = u ? t("uploaded", { name: u.name, size }) : "";
  }

  private async useExample(): Promise<void> {
    try {
      const [events, rulebook] = await Promise.all([
        this.fetchText("examples/caseload.jsonl"),
        this.fetchText("examples/zitong_2008.wz"),
      ]);
      $<HTMLTextAreaElement>("events").value = events;
      this.upload = null;
      $("upload-name").textContent = "";
      $<HTMLSelectElement>("events-format").value = "jsonl";
      this.formatChosen();
      $<HTMLInputElement>("as-of").value = EXAMPLE_AS_OF;
      if (this.rulebook() !== rulebook) this.setRulebook(rulebook);
    } catch (err) {
      $("try-status").textContent = `${t("error")}: ${(err as Error).message}`;
    }
  }

  /** The events to send: a JSON array as events; otherwise the text (or, while the text area
   *  shows an uploaded file unchanged, its very bytes) in its format, CSV and XES with their
   *  mapping. Bad lines are the server's to reject, each on its line with its code. */
  private eventsInput(): EventsInput | string {
    const text = $<HTMLTextAreaElement>("events").value;
    const trimmed = text.trim();
    if (!trimmed) return t("no_events");
    const format = $<HTMLSelectElement>("events-format").value;
    if (format === "jsonl" && trimmed.startsWith("[")) {
      try {
        return { events: JSON.parse(trimmed) as Row[] };
      } catch (err) {
        return t("bad_event_array", { msg: (err as Error).message });
      }
    }
    const input: EventsInput = { format };
    if (this.upload && this.upload.text === text) input.events_base64 = base64(this.upload.bytes);
    else input.events_text = text;
    if (format !== "jsonl") {
      const mapping = $<HTMLSelectElement>("mapping").value;
      if (mapping === OWN_MAPPING) {
        const own = $<HTMLTextAreaElement>("mapping-text").value;
        if (!own.trim()) return t("no_mapping");
        input.mapping_text = own;
      } else input.mapping = mapping;
    }
    return input;
  }

  async evaluate(): Promise<void> {
    const status = $("try-status");
    const events = this.eventsInput();
    if (typeof events === "string") {
      status.textContent = events;
      return;
    }
    const as_of = $<HTMLInputElement>("as-of").value.trim();
    if (!isDay(as_of)) {
      status.textContent = t("as_of_format");
      return;
    }
    const body = { rulebook: this.rulebook(), as_of, ...events };
    status.textContent = t("evaluating");
    $("evaluate").setAttribute("aria-busy", "true");
    try {
      this.result = await postJson<Evaluation>("/v1/evaluate", body);
      this.sent = body;
      status.textContent = "";
      this.fillFilters();
      this.rerender();
      $("results").hidden = false;
    } catch (err) {
      const e = err as ApiError;
      const diags = (e.body?.diagnostics as { code: string; line: number; message: { zh: string; en: string } }[] | undefined) ?? [];
      const first = diags[0] ? ` — ${diags[0].code} ${t("line_col", { line: diags[0].line, col: "" }).replace(/[，,]\s*[^，,]*$/, "")} ${pick(diags[0].message)}` : "";
      status.textContent = `${t("error")}: ${e.message}${first}`;
    } finally {
      $("evaluate").removeAttribute("aria-busy");
    }
  }

  private fillFilters(): void {
    const r = this.result!;
    const fill = (id: string, values: string[]) => {
      const sel = $<HTMLSelectElement>(id);
      const keep = sel.value;
      sel.replaceChildren(new Option(t("all"), ""), ...[...new Set(values)].sort((a, b) => a.localeCompare(b, "zh-CN")).map((v) => new Option(v, v)));
      sel.value = [...sel.options].some((o) => o.value === keep) ? keep : "";
    };
    fill("f-unit", r.decisions.map((d) => String(d.unit ?? "")));
    fill("f-sanction", r.decisions.map(sanctionOf));
  }

  rerender(): void {
    if (!this.result) return;
    const r = this.result;
    this.fillFilters(); // ("all" in the page's language)
    $("summary").textContent = t("summary", {
      cases: r.cases, events: r.events, decisions: r.decisions.length, warnings: r.warnings.length,
      rejected: r.rejected.length, unjudged: r.unjudged.length,
    });
    $("n-decisions").textContent = String(r.decisions.length);
    $("n-warnings").textContent = String(r.warnings.length);
    $("n-metrics").textContent = String(r.metrics.length);
    $("n-rejected").textContent = String(r.rejected.length + r.unjudged.length);
    this.renderDecisions();
    renderTable($<HTMLTableElement>("warnings-table"), warningColumns(), r.warnings, null, null, null);
    this.renderMetrics();
    renderTable($<HTMLTableElement>("rejected-table"), [
      { key: "code", label: t("col_code"), value: (x) => String(x.code ?? "") },
      { key: "case", label: t("col_case"), value: (x) => String(x.case ?? "") },
      { key: "event_id", label: t("col_event"), value: (x) => String(x.event_id ?? "") },
      { key: "line", label: t("col_line"), value: (x) => String(x.line ?? "") },
      { key: "reason", label: t("col_reason"), value: (x) => pick(x.message as string) },
    ], [...r.rejected, ...r.unjudged], null, null, null);
    this.showTab(this.tab);
  }

  private showTab(name: string): void {
    this.tab = name;
    document.querySelectorAll<HTMLButtonElement>("[data-result]").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.result === name)));
    document.querySelectorAll<HTMLElement>(".result").forEach((el) => (el.hidden = el.id !== `result-${name}`));
  }

  private renderDecisions(): void {
    if (!this.result) return;
    const unit = $<HTMLSelectElement>("f-unit").value;
    const sanction = $<HTMLSelectElement>("f-sanction").value;
    const person = $<HTMLInputElement>("f-person").value.trim();
    const all = this.result.decisions;
    const rows = all.filter((d) => (!unit || d.unit === unit) && (!sanction || sanctionOf(d) === sanction)
      && (!person || String(d.person ?? "").includes(person)));
    $("shown").textContent = t("shown_of", { n: rows.length, total: all.length });
    renderTable($<HTMLTableElement>("decisions-table"), decisionColumns(), rows, this.sort, (key) => {
      this.sort = { key, desc: this.sort?.key === key ? !this.sort.desc : false };
      this.renderDecisions();
    }, (d) => void this.open(d));
  }

  private renderMetrics(): void {
    const rows = this.result!.metrics;
    const pct = (v: unknown) => (v == null ? "—" : `${Number(v).toFixed(1)}%`); // rates are percents
    renderTable($<HTMLTableElement>("metrics-table"), [
      { key: "unit", label: t("col_unit"), value: (m) => String(m.unit ?? "") },
      { key: "period", label: t("col_period"), value: (m) => String(m.period ?? "") },
      { key: "received", label: t("col_received"), value: (m) => Number(m.received ?? 0) },
      { key: "case_count", label: t("col_decided"), value: (m) => Number(m.case_count ?? 0) },
      { key: "on_time", label: t("col_on_time"), value: (m) => Number(m.on_time ?? 0) },
      { key: "on_time_rate", label: t("col_on_time_rate"), value: (m) => pct(m.on_time_rate) },
      { key: "overdue_open", label: t("col_overdue_open"), value: (m) => Number(m.overdue_open ?? 0) },
    ], rows, null, null, null);
    // on-time rate per unit and period: a unit's periods together (no case decided: no rate)
    const units = new Map<string, { label: string; value: number | null; kind: string }[]>();
    for (const m of rows) {
      const unit = String(m.unit ?? "");
      if (!units.has(unit)) units.set(unit, []);
      units.get(unit)!.push({ label: String(m.period ?? ""), value: m.on_time_rate == null ? null : Number(m.on_time_rate), kind: "rate" });
    }
    const groups = [...units].map(([label, bars]) => ({ label, bars }));
    $("metrics-chart").replaceChildren(barChart(groups, {
      title: t("on_time_chart"), max: 100, format: (v) => `${Number(v.toFixed(1))}%`, className: "metrics",
    }));
  }

  private async open(d: Row): Promise<void> {
    if (!this.sent) return;
    await openLetter(async () => {
      const answer = await postJson<{ explanation: string; letter: string | null }>("/v1/explain", {
        ...this.sent, case: d.case, key: d.key,
      });
      return answer;
    }, !d.case, d.case ? () => {
      const { rulebook: _rulebook, ...events } = this.sent!;
      this.showCase({ ...events, case: String(d.case), as_of: this.sent!.as_of });
    } : null);
  }
}

export function warningColumns(): Column[] {
  return [
    { key: "level", label: t("col_level"), value: (w) => levelName(w.level) },
    { key: "unit", label: t("col_unit"), value: (w) => String(w.unit ?? "") },
    { key: "case", label: t("col_case"), value: (w) => String(w.case ?? "") },
    { key: "item", label: t("col_item"), value: (w) => String(w.item ?? "") },
    { key: "person", label: t("col_person"), value: (w) => String(w.person ?? "") },
    { key: "post", label: t("col_post"), value: (w) => String(w.post ?? "") },
    { key: "deadline", label: t("col_deadline"), value: (w) => String(w.deadline ?? "") },
    { key: "days_over", label: t("col_days_over"), value: (w) => Number(w.days_over ?? 0) },
  ];
}

/** Whether ``text`` is a day written yyyy-mm-dd (the office's way, whatever the browser's locale)
 * that the calendar has. */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}
