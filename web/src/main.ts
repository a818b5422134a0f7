// The office workbench: sign in with an API token, then write (editor), try (evaluate), see
// (process graphs) and watch (the live board). Everything comes from the same `wenze serve`.

import "./style.css";
import { ApiError, earlyLanguage, getJson, setToken, token, type Diagnostic, type Language } from "./api";
import { Board } from "./board";
import { RulebookEditor, type OutlineEntry } from "./editor";
import { CompareScreen } from "./compare";
import { GraphView } from "./graph";
import { apply, lang, pick, setLang, t } from "./i18n";
import { TryScreen } from "./try";
import { RulebookStore } from "./store";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const STARTER = `# 在此编写规则集。按 Ctrl+空格 补全关键字与名称；把鼠标停在事实名称上可看其定义。
# Write a rulebook here. Ctrl+Space completes keywords and names; hover a fact to read it.

规则集 「示例规则集」 {
  版本 "1"
}
`;

type Screen = "editor" | "try" | "graph" | "compare" | "board";
const SCREENS: Screen[] = ["editor", "try", "graph", "compare", "board"];

let editor: RulebookEditor | null = null;
let tryScreen: TryScreen | null = null;
let graph: GraphView | null = null;
let board: Board | null = null;
let compare: CompareScreen | null = null;
let store: RulebookStore | null = null;
let lastDiagnostics: { list: Diagnostic[]; state: string; error?: string } = { list: [], state: "done" };

function show(screen: Screen | "login"): void {
  document.querySelectorAll<HTMLElement>(".screen").forEach((s) => (s.hidden = s.id !== `screen-${screen}`));
  document.querySelectorAll<HTMLButtonElement>("#tabs [role=tab]").forEach((b) => {
    const on = b.dataset.screen === screen;
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
  });
  // the screen in the address (replaceState: no jump to an element of that id, no focus move)
  if (screen !== "login") history.replaceState(null, "", `#${screen}`);
  if (screen === "board") board?.start();
  else board?.stop();
  if (screen === "graph") void graph?.refreshProcesses();
  if (screen === "editor") editor?.view.requestMeasure();
}

function setupTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>("#tabs [role=tab]")];
  tabs.forEach((b, i) => {
    b.addEventListener("click", () => show(b.dataset.screen as Screen));
    b.addEventListener("keydown", (e) => {
      const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      show(next.dataset.screen as Screen);
    });
  });
}

function renderOutline(entries: OutlineEntry[]): void {
  const ul = $("outline");
  ul.replaceChildren();
  if (!entries.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = t("outline_empty");
    ul.append(li);
    return;
  }
  for (const e of entries) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.className = `outline-entry kind-${e.kind}`;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = t(`kind_${e.kind}`);
    const name = document.createElement("span");
    name.textContent = e.name;
    b.append(kind, name);
    b.title = t("line_col", { line: e.line, col: 1 });
    b.addEventListener("click", () => editor?.jumpTo(e.from));
    li.append(b);
    ul.append(li);
  }
}

function renderDiagnostics(list: Diagnostic[], state: string, error?: string): void {
  lastDiagnostics = { list, state, error };
  const summary = $("diag-summary");
  const ul = $("diagnostics");
  if (state === "checking") {
    summary.textContent = t("checking");
    return;
  }
  ul.replaceChildren();
  if (state === "error") {
    summary.textContent = `${t("error")}: ${error ?? ""}`;
    return;
  }
  const errors = list.filter((d) => d.severity === "error").length;
  const warnings = list.length - errors;
  summary.textContent = list.length ? [errors ? t("errors_n", { n: errors }) : "", warnings ? t("warnings_n", { n: warnings }) : ""].filter(Boolean).join("，") : t("clean");
  summary.dataset.state = errors ? "errors" : "clean";
  for (const d of list) {
    const li = document.createElement("li");
    li.className = `diag ${d.severity}`;
    const b = document.createElement("button");
    const file = d.file.split(/[\\/]/).pop();
    const where = document.createElement("span");
    where.className = "where";
    where.textContent = `${file}:${d.line}:${d.col}`;
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = d.code;
    const msg = document.createElement("span");
    msg.className = "msg";
    msg.textContent = pick(d.message);
    b.append(code, where, msg);
    if (d.help) {
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = `${t("hint")}${lang() === "zh" ? "：" : ": "}${pick(d.help)}`;
      b.append(hint);
    }
    if (d.suggestions.length) {
      const s = document.createElement("span");
      s.className = "hint";
      s.textContent = `→ ${d.suggestions.join("、")}`;
      b.append(s);
    }
    b.addEventListener("click", () => {
      if (file === "rulebook.wz") editor?.jumpToLine(d.line, d.col);
    });
    li.dataset.line = String(d.line);
    li.dataset.code = d.code;
    li.append(b);
    ul.append(li);
  }
}

async function fetchText(path: string): Promise<string> {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.text();
}

function setStatus(id: string, text: string): void {
  const el = $(id);
  el.textContent = text;
  window.setTimeout(() => {
    if (el.textContent === text) el.textContent = "";
  }, 4000);
}

function setupEditor(language: Language): void {
  const host = $("editor");
  host.replaceChildren();
  editor = new RulebookEditor(host, language, {
    onDiagnostics: renderDiagnostics,
    onOutline: renderOutline,
  }, STARTER);
  $("fmt").onclick = async () => {
    try {
      setStatus("editor-status", await editor!.format());
    } catch (err) {
      setStatus("editor-status", `${t("error")}: ${(err as Error).message}`);
    }
  };
  $("download").onclick = () => editor!.download();
  $<HTMLInputElement>("open-file").onchange = async (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) editor!.setText(await file.text());
    (e.target as HTMLInputElement).value = "";
  };
  const replace = async (load: () => Promise<string>) => {
    if (editor!.text().trim() && editor!.text() !== STARTER && !window.confirm(t("replace_text"))) return;
    try {
      editor!.setText(await load());
    } catch (err) {
      setStatus("editor-status", `${t("error")}: ${(err as Error).message}`);
    }
  };
  $("load-example").onclick = () => replace(() => fetchText("examples/zitong_2008.wz"));
  $("load-published").onclick = () => replace(async () => (await getJson<{ text: string }>("/v1/rulebook")).text);
}

/** The store's buttons, by what the token may do (GET /v1/me): open for supervisors and
 *  admins, save and activate for admins, nothing for units. */
async function setupStore(): Promise<void> {
  let scope = "unit";
  try {
    scope = (await getJson<{ scope: string }>("/v1/me")).scope;
  } catch {
    /* an older service: no store */
  }
  store = new RulebookStore(scope, {
    text: () => editor!.text(),
    replace: (text) => {
      const now = editor!.text();
      if (now.trim() && now !== STARTER && now !== text && !window.confirm(t("replace_text"))) return false;
      editor!.setText(text);
      return true;
    },
    diagnostics: (list) => renderDiagnostics(list, "done"),
  });
  document.body.dataset.scope = scope; // what the page was set up for
}

async function signIn(): Promise<boolean> {
  const err = $("login-error");
  err.textContent = "";
  let language: Language;
  try {
    performance.mark("wenze-start");
    language = (await earlyLanguage()) ?? (await getJson<Language>("/v1/language"));
    performance.mark("wenze-language");
  } catch (e) {
    const status = e instanceof ApiError ? e.status : 0;
    err.textContent = status === 401 ? t("bad_token") : status === 503 ? t("not_ready") : `${t("error")}: ${(e as Error).message}`;
    return false;
  }
  $("tabs").hidden = false;
  $("signout").hidden = false;
  setupEditor(language);
  void setupStore();
  performance.mark("wenze-editor");
  requestAnimationFrame(() => setTimeout(() => performance.mark("wenze-shown"))); // painted
  tryScreen = new TryScreen(() => editor!.text(), (text) => editor!.setText(text), fetchText, (c) => {
    graph!.setCase(c);
    show("graph");
  });
  graph = new GraphView(() => editor!.text());
  board = new Board();
  compare = new CompareScreen(() => editor!.text());
  const wanted = location.hash.slice(1) as Screen;
  show(SCREENS.includes(wanted) ? wanted : "editor");
  return true;
}

function init(): void {
  setLang(lang());
  setupTabs();
  $("lang").onclick = () => {
    setLang(lang() === "zh" ? "en" : "zh");
    renderDiagnostics(lastDiagnostics.list, lastDiagnostics.state, lastDiagnostics.error);
    editor?.refreshOutline();
    tryScreen?.fillMappings();
    tryScreen?.rerender();
    board?.rerender();
    compare?.rerender();
    store?.rerender();
  };
  $("signout").onclick = () => {
    setToken(null);
    location.hash = "";
    location.reload();
  };
  $<HTMLFormElement>("login-form").onsubmit = async (e) => {
    e.preventDefault();
    setToken($<HTMLInputElement>("token").value.trim(), $<HTMLInputElement>("remember").checked);
    if (!(await signIn())) setToken(null);
  };
  apply(document.body);
  if (token()) {
    void signIn().then((ok) => {
      if (!ok) {
        setToken(null);
        show("login");
      }
    });
  } else {
    show("login");
    $("token").focus();
  }
}

init();
