// See it: the graphviz SVG of a process of the editor's rulebook (critical path in red), or the
// rulebook's overview; zoom with the buttons, the keyboard (+ − 0) or Ctrl+wheel; scroll to pan.

import { ApiError, postJson, postText } from "./api";
import { t } from "./i18n";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export class GraphView {
  private scale = 1;
  private natural: { w: number; h: number } | null = null;
  private overlay: ({ case: string; as_of: string } & Record<string, unknown>) | null = null;

  constructor(private rulebook: () => string) {
    $("draw").onclick = () => void this.draw();
    $("zoom-in").onclick = () => this.zoom(this.scale * 1.25);
    $("zoom-out").onclick = () => this.zoom(this.scale / 1.25);
    $("zoom-fit").onclick = () => this.fit();
    const view = $("graph-view");
    view.addEventListener("wheel", (e) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      this.zoom(this.scale * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
    view.addEventListener("keydown", (e) => {
      if (e.key === "+" || e.key === "=") this.zoom(this.scale * 1.25);
      else if (e.key === "-") this.zoom(this.scale / 1.25);
      else if (e.key === "0") this.fit();
    });
    $("process").onchange = () => void this.draw();
    $("graph-case-clear").onclick = () => {
      this.setCase(null);
      void this.draw();
    };
  }

  /** Overlay a case of the Try screen (its events and as-of day); null: no case. The case's
   *  own process is drawn (the process list shows "—" for it). */
  setCase(c: ({ case: string; as_of: string } & Record<string, unknown>) | null): void {
    this.overlay = c;
    if (c) $("process").dataset.caseFresh = "1";
    $("graph-case").hidden = c === null;
    $("graph-case-name").textContent = c ? t("graph_case", { case: c.case, day: c.as_of }) : "";
    $("graph-canvas").replaceChildren();
  }

  async refreshProcesses(): Promise<void> {
    const select = $<HTMLSelectElement>("process");
    const keep = select.value;
    let names: string[] = [];
    try {
      names = (await postJson<{ processes: string[] }>("/v1/processes", { rulebook: this.rulebook() })).processes;
    } catch (err) {
      $("graph-status").textContent = `${t("error")}: ${(err as ApiError).message}`;
    }
    select.replaceChildren(...names.map((n) => new Option(n, n)), new Option(t("overview"), ""));
    const first = !select.dataset.filled;
    select.dataset.filled = "1";
    select.value = !first && (names.includes(keep) || keep === "") ? keep : names[0] ?? "";
    if (!$("graph-canvas").childElementCount) await this.draw();
  }

  async draw(): Promise<void> {
    const select = $<HTMLSelectElement>("process");
    let process = select.value || null;
    if (this.overlay && select.dataset.caseFresh) {
      process = null; // the case's own process, the first time
      delete select.dataset.caseFresh;
    }
    const status = $("graph-status");
    status.textContent = t("loading");
    try {
      const svg = await postText("/v1/graph", { rulebook: this.rulebook(), process, ...(this.overlay ?? {}) });
      const canvas = $("graph-canvas");
      canvas.innerHTML = svg.slice(svg.indexOf("<svg"));
      const el = canvas.querySelector("svg")!;
      if (this.overlay && process === null) {
        // show which process the case's item named
        const drawn = el.textContent ?? "";
        const match = [...select.options].filter((o) => o.value && drawn.includes(o.value))
          .sort((a, b) => b.value.length - a.value.length)[0];
        if (match) select.value = match.value;
      }
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", process ?? t("overview"));
      const w = parseFloat(el.getAttribute("width") ?? "800");
      const h = parseFloat(el.getAttribute("height") ?? "600");
      this.natural = { w: w * 4 / 3, h: h * 4 / 3 }; // graphviz sizes in pt
      this.fit();
      status.textContent = "";
    } catch (err) {
      status.textContent = `${t("error")}: ${(err as Error).message}`;
    }
  }

  private fit(): void {
    if (!this.natural) return;
    const view = $("graph-view");
    this.zoom(Math.min(1.5, (view.clientWidth - 16) / this.natural.w, (view.clientHeight - 16) / this.natural.h));
  }

  private zoom(scale: number): void {
    if (!this.natural) return;
    this.scale = Math.max(0.1, Math.min(8, scale));
    const el = $("graph-canvas").querySelector("svg");
    if (!el) return;
    el.setAttribute("width", `${this.natural.w * this.scale}px`);
    el.setAttribute("height", `${this.natural.h * this.scale}px`);
    $("graph-canvas").dataset.scale = this.scale.toFixed(2);
  }
}
