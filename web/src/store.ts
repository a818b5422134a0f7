// The rulebook store of the service, in the editor: open a stored version (supervisor, admin),
// save the editor's text as the next version and activate a version (admin). GET /v1/rulebooks,
// GET/PUT /v1/rulebooks/{name}, POST /v1/rulebooks/{name}/activate (docs/api.md).

import { ApiError, getJson, postJson, putJson, type Diagnostic } from "./api";
import { t } from "./i18n";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const NAME_RE = /^[A-Za-z0-9_\-\u3400-\u9fff]{1,80}$/;

interface VersionInfo {
  version: number;
  sha256: string;
  author: string | null;
  created_at: string;
}

interface Entry {
  name: string;
  latest: number;
  active: number | null;
  versions: VersionInfo[];
}

interface InForce {
  origin: string;
  name: string | null;
  version: number | null;
  file: string;
  rulebook: string;
}

interface Stored {
  name: string;
  version: number;
  text: string;
  active: boolean;
}

interface Saved {
  name: string;
  version: number;
  unchanged: boolean;
}

interface Activated {
  name: string;
  version: number;
  changed: boolean;
  issued: number;
}

export interface StoreHooks {
  text: () => string;
  /** Replace the editor's text (after asking, when it holds something); false: not replaced. */
  replace: (text: string) => boolean;
  diagnostics: (list: Diagnostic[]) => void;
}

export class RulebookStore {
  private current: { name: string; version: number; active: boolean } | null = null;
  private listing: { in_force: InForce; rulebooks: Entry[] } | null = null;
  private returnFocus: HTMLElement | null = null;

  /** ``scope``: the token's (GET /v1/me). Units see nothing of the store; supervisors open. */
  constructor(scope: string, private hooks: StoreHooks) {
    const reads = scope === "admin" || scope === "supervisor";
    $("store-bar").hidden = !reads;
    document.querySelectorAll<HTMLElement>(".admin-only").forEach((el) => (el.hidden = scope !== "admin"));
    if (!reads) return;
    $("rb-open").onclick = () => void this.open();
    $("rb-save").onclick = () => void this.save();
    $("rb-activate").onclick = () => void this.activate();
    $("rb-close").onclick = () => this.close();
    $("rb-dialog").addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
    this.renderCurrent();
  }

  rerender(): void {
    this.renderCurrent();
    if (this.listing && !$("rb-dialog").hidden) this.renderListing();
  }

  private status(text: string, state: "ok" | "error" | "" = ""): void {
    const el = $("rb-status");
    el.textContent = text;
    el.dataset.state = state;
  }

  private renderCurrent(): void {
    const el = $("rb-current");
    const activate = $<HTMLButtonElement>("rb-activate");
    if (!this.current) {
      el.textContent = "";
      el.hidden = true;
      activate.disabled = true;
      return;
    }
    el.hidden = false;
    const { name, version, active } = this.current;
    el.textContent = t("rb_current", { name, version }) + (active ? ` · ${t("rb_in_force")}` : "");
    el.dataset.active = String(active);
    activate.disabled = active;
  }

  private async open(): Promise<void> {
    this.returnFocus = document.activeElement as HTMLElement | null;
    try {
      this.listing = await getJson("/v1/rulebooks");
    } catch (err) {
      this.status(`${t("error")}: ${(err as Error).message}`, "error");
      return;
    }
    this.renderListing();
    $("rb-dialog").hidden = false;
    ($("rb-table").querySelector<HTMLElement>("button, select") ?? $("rb-close")).focus();
  }

  private close(): void {
    $("rb-dialog").hidden = true;
    this.returnFocus?.focus();
  }

  private renderListing(): void {
    const { in_force, rulebooks } = this.listing!;
    $("rb-in-force").textContent =
      in_force.origin === "store"
        ? t("rb_in_force_store", { name: in_force.name ?? "", version: in_force.version ?? "" })
        : t("rb_in_force_file", { file: in_force.file });
    const table = $<HTMLTableElement>("rb-table");
    table.replaceChildren();
    if (!rulebooks.length) {
      const row = table.insertRow();
      const cell = row.insertCell();
      cell.className = "muted";
      cell.textContent = t("rb_empty");
      return;
    }
    const head = table.createTHead().insertRow();
    for (const key of ["col_name", "col_version", "col_author", "col_saved_at", "col_active", ""]) {
      const th = document.createElement("th");
      th.textContent = key ? t(key) : "";
      head.append(th);
    }
    const body = table.createTBody();
    for (const entry of rulebooks) {
      const row = body.insertRow();
      row.dataset.name = entry.name;
      row.insertCell().textContent = entry.name;
      const select = document.createElement("select");
      select.setAttribute("aria-label", `${entry.name} ${t("col_version")}`);
      for (const v of [...entry.versions].reverse()) {
        const option = document.createElement("option");
        option.value = String(v.version);
        option.textContent = t("rb_version_n", { version: v.version }) + (v.version === entry.active ? ` · ${t("rb_in_force")}` : "");
        select.append(option);
      }
      row.insertCell().append(select);
      const author = row.insertCell();
      const when = row.insertCell();
      const show = () => {
        const v = entry.versions.find((x) => x.version === Number(select.value))!;
        author.textContent = v.author ?? "—";
        when.textContent = v.created_at.slice(0, 19).replace("T", " ") + " UTC";
      };
      select.onchange = show;
      show();
      row.insertCell().textContent = entry.active ? t("rb_version_n", { version: entry.active }) : "";
      const button = document.createElement("button");
      button.className = "primary";
      button.textContent = t("rb_open_version");
      button.onclick = () => void this.load(entry.name, Number(select.value));
      row.insertCell().append(button);
    }
  }

  private async load(name: string, version: number): Promise<void> {
    let stored: Stored;
    try {
      stored = await getJson<Stored>(`/v1/rulebooks/${encodeURIComponent(name)}?version=${version}`);
    } catch (err) {
      this.status(`${t("error")}: ${(err as Error).message}`, "error");
      return;
    }
    if (!this.hooks.replace(stored.text)) return;
    this.current = { name: stored.name, version: stored.version, active: stored.active };
    $<HTMLInputElement>("rb-name").value = stored.name;
    this.renderCurrent();
    this.close();
    this.status(t("rb_opened", { name: stored.name, version: stored.version }), "ok");
  }

  private async save(): Promise<void> {
    const input = $<HTMLInputElement>("rb-name");
    const name = input.value.trim();
    if (!name) {
      this.status(t("rb_need_name"), "error");
      input.focus();
      return;
    }
    if (!NAME_RE.test(name)) {
      this.status(t("rb_bad_name"), "error");
      input.focus();
      return;
    }
    this.status(t("rb_saving"));
    let saved: Saved;
    try {
      saved = await putJson<Saved>(`/v1/rulebooks/${encodeURIComponent(name)}`, { rulebook: this.hooks.text() });
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const list = (err.body.diagnostics ?? []) as Diagnostic[];
        const errors = list.filter((d) => d.severity === "error").length;
        // the store calls the text NAME.wz; the editor calls its text rulebook.wz
        this.hooks.diagnostics(list.map((d) => (d.file === `${name}.wz` ? { ...d, file: "rulebook.wz" } : d)));
        this.status(t("rb_refused", { n: errors }), "error");
      } else {
        this.status(`${t("error")}: ${(err as Error).message}`, "error");
      }
      return;
    }
    const active = this.current?.name === saved.name && this.current.version === saved.version && this.current.active;
    this.current = { name: saved.name, version: saved.version, active: saved.unchanged ? active : false };
    this.renderCurrent();
    this.status(saved.unchanged ? t("rb_unchanged", { version: saved.version }) : t("rb_saved", { name: saved.name, version: saved.version }), "ok");
  }

  private async activate(): Promise<void> {
    if (!this.current) return;
    const { name, version } = this.current;
    if (!window.confirm(t("rb_activate_confirm", { name, version }))) return;
    this.status(t("rb_activating"));
    let answer: Activated;
    try {
      answer = await postJson<Activated>(`/v1/rulebooks/${encodeURIComponent(name)}/activate`, { version });
    } catch (err) {
      this.status(`${t("error")}: ${(err as Error).message}`, "error");
      return;
    }
    this.current = { name, version, active: true };
    this.renderCurrent();
    this.status(answer.changed ? t("rb_activated", { name, version, issued: answer.issued }) : t("rb_already", { name, version }), "ok");
  }
}
