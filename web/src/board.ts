// The board: the live 预警/黄牌/红牌 per unit (GET /v1/warnings) and the decisions in force
// (GET /v1/decisions), read again whenever the stream (GET /v1/stream) says something arose.
// The service shows a unit token its own unit only.

import { ApiError, getJson, readStream } from "./api";
import { t } from "./i18n";
import { openLetter } from "./letter";
import { decisionColumns, levelName, renderTable, warningColumns } from "./try";

type Row = Record<string, unknown>;
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const LEVELS = ["notice", "yellow", "red"];

export class Board {
  private abort: AbortController | null = null;
  private after = 0;
  private warnings: Row[] = [];
  private decisions: Row[] = [];
  private asOf = "";
  private timer = 0;

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    void this.load();
    void this.follow(this.abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
  }

  private async follow(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        $("board-live").textContent = t("live");
        $("board-live").dataset.state = "live";
        this.after = await readStream(this.after, () => this.soon(), signal);
      } catch (err) {
        if (signal.aborted) return;
        $("board-live").textContent = t("offline");
        $("board-live").dataset.state = "offline";
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  private soon(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.load(), 300);
  }

  async load(): Promise<void> {
    try {
      const [w, d] = await Promise.all([
        getJson<{ as_of: string; warnings: Row[] }>("/v1/warnings"),
        getJson<{ decisions: Row[] }>("/v1/decisions?limit=1000"),
      ]);
      this.warnings = w.warnings;
      this.asOf = w.as_of;
      this.decisions = d.decisions;
      this.rerender();
    } catch (err) {
      $("board-units").textContent = `${t("error")}: ${(err as Error).message}`;
    }
  }

  rerender(): void {
    $("board-as-of").textContent = this.asOf ? t("board_as_of", { day: this.asOf }) : "";
    const units = new Map<string, Row[]>();
    for (const w of this.warnings) {
      const u = String(w.unit ?? "");
      if (!units.has(u)) units.set(u, []);
      units.get(u)!.push(w);
    }
    for (const d of this.decisions) if (!units.has(String(d.unit ?? ""))) units.set(String(d.unit ?? ""), []);
    const host = $("board-units");
    host.replaceChildren();
    for (const [unit, ws] of [...units].sort((a, b) => a[0].localeCompare(b[0], "zh-CN"))) {
      const card = document.createElement("section");
      card.className = "unit-card";
      card.dataset.unit = unit;
      const h = document.createElement("h3");
      h.textContent = unit;
      const counts = document.createElement("div");
      counts.className = "levels";
      for (const level of LEVELS) {
        const n = ws.filter((w) => w.level === level).length;
        const badge = document.createElement("span");
        badge.className = `badge ${level}`;
        badge.dataset.level = level;
        badge.textContent = `${levelName(level)} ${n}`;
        counts.append(badge);
      }
      const table = document.createElement("table");
      table.className = "data compact";
      renderTable(table, warningColumns().filter((c) => c.key !== "unit" && c.key !== "post"), ws, null, null, null);
      card.append(h, counts, ws.length ? table : Object.assign(document.createElement("p"), { className: "muted", textContent: t("no_warnings") }));
      host.append(card);
    }
    renderTable($<HTMLTableElement>("board-decisions"), decisionColumns(), this.decisions, { key: "established", desc: true }, null,
      (d) => void openLetter(async () => {
        const res = await fetch(`/v1/decisions/${encodeURIComponent(String(d.key))}?format=text`, {
          headers: { Authorization: `Bearer ${sessionStorage.getItem("wenze.token") ?? localStorage.getItem("wenze.token")}` },
        });
        if (!res.ok) throw new Error(`${res.status}`);
        const explained = d.case
          ? await getJson<{ explanation?: string }>(`/v1/cases/${encodeURIComponent(String(d.case))}?explain=true`).catch(() => ({}))
          : {};
        return { letter: await res.text(), explanation: explainText(explained) };
      }));
  }
}

function explainText(view: Record<string, unknown>): string {
  const e = (view as { explanation?: unknown; explain?: unknown }).explanation ?? (view as { explain?: unknown }).explain;
  if (typeof e === "string") return e;
  return e ? JSON.stringify(e, null, 2) : "";
}
