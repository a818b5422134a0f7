// The editor screen: CodeMirror with the wenze mode, diagnostics from POST /v1/check as one
// types, format (POST /v1/fmt), completion, hover on facts, the outline, open and download.

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput, indentUnit } from "@codemirror/language";
import { linter, lintGutter, type Diagnostic as CmDiagnostic, forceLinting } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState, type Extension, Text } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, hoverTooltip, keymap, lineNumbers } from "@codemirror/view";
import { ApiError, postJson, type Diagnostic, type Language } from "./api";
import { lang, pick, t } from "./i18n";
import { wenzeHighlight, wenzeLanguage, wordsOf, type WenzeWords } from "./wenze-lang";

export const FILE = "rulebook.wz";
const CHECK_DELAY_MS = 30; // debounce: diagnostics within 300 ms of the last keystroke (a check
// of a 1,000-line rulebook takes the server ~15 ms: benchmarks/bench_web.py)
const DRAFT = "wenze.draft";

export interface OutlineEntry {
  kind: "item" | "process" | "violation" | "ladder";
  name: string;
  line: number;
  from: number;
}

const OUTLINE_KINDS: Record<string, OutlineEntry["kind"]> = {
  事项: "item", item: "item",
  流程: "process", process: "process",
  违规: "violation", violation: "violation",
  阶梯: "ladder", ladder: "ladder",
};
const OUTLINE_RE = /^[ \t]*(事项|流程|违规|阶梯|item|process|violation|ladder)[ \t]+(「[^」\n]*」|[A-Za-z_][A-Za-z0-9_]*)/;

/** The declarations of the text, in order, with the line they start on (top level only). */
export function outline(doc: Text): OutlineEntry[] {
  const out: OutlineEntry[] = [];
  let depth = 0;
  for (let n = 1; n <= doc.lines; n++) {
    const line = doc.line(n);
    const text = line.text.replace(/(#|\/\/).*$/, "").replace(/"(?:[^"\\]|\\.)*"|“[^”]*”/g, "");
    if (depth === 0) {
      const m = OUTLINE_RE.exec(text);
      if (m) out.push({ kind: OUTLINE_KINDS[m[1]], name: m[2].replace(/^「|」$/g, ""), line: n, from: line.from + m.index });
    }
    for (const ch of text) {
      if (ch === "{") depth++;
      else if (ch === "}") depth = Math.max(0, depth - 1);
    }
  }
  return out;
}

/** Names declared or used in 「」 in the text. */
function declaredNames(doc: Text): Set<string> {
  const names = new Set<string>();
  const re = /「([^」\n]+)」/g;
  for (const m of doc.toString().matchAll(re)) names.add(m[1]);
  return names;
}

export interface EditorHooks {
  onDiagnostics: (diagnostics: Diagnostic[], state: "checking" | "done" | "error", error?: string) => void;
  onOutline: (entries: OutlineEntry[]) => void;
}

export class RulebookEditor {
  view: EditorView;
  words: WenzeWords;
  diagnostics: Diagnostic[] = [];
  private outlineTimer = 0;
  private checking: AbortController | null = null;

  constructor(parent: HTMLElement, private language: Language, private hooks: EditorHooks, initial: string) {
    this.words = wordsOf(language);
    this.view = new EditorView({
      parent,
      state: EditorState.create({ doc: localStorage.getItem(DRAFT) ?? initial, extensions: this.extensions() }),
    });
    this.refreshOutline();
  }

  private extensions(): Extension[] {
    return [
      lineNumbers(),
      highlightActiveLineGutter(),
      history(),
      drawSelection(),
      indentOnInput(),
      indentUnit.of("  "),
      bracketMatching({ brackets: "(){}「」“”" }),
      closeBrackets(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      wenzeLanguage(this.words),
      wenzeHighlight,
      autocompletion({ override: [(ctx) => this.complete(ctx)] }),
      hoverTooltip((view, pos) => this.hover(view, pos)),
      linter((view) => this.check(view), { delay: CHECK_DELAY_MS }),
      lintGutter(),
      keymap.of([
        { key: "Mod-s", run: () => (this.download(), true) },
        { key: "Shift-Alt-f", run: () => (void this.format(), true) },
        ...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...searchKeymap, ...completionKeymap,
        indentWithTab,
      ]),
      EditorView.contentAttributes.of({ "aria-label": "rulebook", spellcheck: "false" }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) {
          localStorage.setItem(DRAFT, u.state.doc.toString());
          window.clearTimeout(this.outlineTimer);
          this.outlineTimer = window.setTimeout(() => this.refreshOutline(), 200);
        }
      }),
    ];
  }

  text(): string {
    return this.view.state.doc.toString();
  }

  setText(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
    forceLinting(this.view);
  }

  refreshOutline(): void {
    this.hooks.onOutline(outline(this.view.state.doc));
  }

  jumpTo(from: number): void {
    this.view.dispatch({ selection: { anchor: from }, effects: EditorView.scrollIntoView(from, { y: "center" }) });
    this.view.focus();
  }

  jumpToLine(line: number, col = 1): void {
    const doc = this.view.state.doc;
    const l = doc.line(Math.min(Math.max(1, line), doc.lines));
    this.jumpTo(Math.min(l.from + col - 1, l.to));
  }

  private async check(view: EditorView): Promise<CmDiagnostic[]> {
    const text = view.state.doc.toString();
    this.hooks.onDiagnostics(this.diagnostics, "checking");
    this.checking?.abort(); // a newer text: the older answer is not waited for
    const checking = new AbortController();
    this.checking = checking;
    let answer: { ok: boolean; diagnostics: Diagnostic[] };
    try {
      answer = await postJson("/v1/check", { rulebook: text, file: FILE }, checking.signal);
    } catch (err) {
      if ((err as Error).name === "AbortError") return [];
      this.hooks.onDiagnostics([], "error", err instanceof ApiError ? err.message : String(err));
      return [];
    }
    if (view.state.doc.toString() !== text) return []; // typed since: the next check follows
    this.diagnostics = answer.diagnostics;
    this.hooks.onDiagnostics(answer.diagnostics, "done");
    const doc = view.state.doc;
    const own = answer.diagnostics.filter((d) => d.file.split(/[\\/]/).pop() === FILE);
    return own.map((d) => {
      const line = doc.line(Math.min(Math.max(1, d.line), doc.lines));
      const from = Math.min(line.from + Math.max(0, d.col - 1), line.to);
      let to = from;
      if (d.end_line >= 1 && d.end_line <= doc.lines) {
        const end = doc.line(d.end_line);
        to = Math.min(end.from + Math.max(0, d.end_col - 1), end.to);
      }
      if (to <= from) to = Math.min(from + 1, line.to);
      const help = d.help ? `\n${t("hint")}: ${pick(d.help)}` : "";
      return {
        from,
        to: Math.max(to, from),
        severity: d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info",
        source: d.code,
        message: `${d.code} ${pick(d.message)}${help}`,
      } satisfies CmDiagnostic;
    });
  }

  private complete(ctx: CompletionContext): CompletionResult | null {
    const word = ctx.matchBefore(/「[^」\n]*|[\p{Script=Han}A-Za-z_][\p{Script=Han}A-Za-z0-9_]*/u);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const options: { label: string; type: string; detail?: string; info?: string; boost?: number }[] = [];
    const factNames = new Set(this.language.facts.map((f) => f.zh));
    const names = [...declaredNames(ctx.state.doc)].filter((n) => !factNames.has(n));
    if (word.text.startsWith("「")) {
      for (const name of names) options.push({ label: `「${name}」`, type: "variable" });
      for (const f of this.language.facts) options.push({ label: `「${f.zh}」`, type: "property", detail: f.key, info: f.doc });
      return { from: word.from, options, validFor: /^「[^」\n]*$/ };
    }
    const zhFirst = lang() === "zh";
    for (const k of this.language.keywords) {
      for (const s of k.zh) options.push({ label: s, type: "keyword", detail: k.en[0], boost: zhFirst ? 1 : 0 });
      for (const s of k.en) options.push({ label: s, type: "keyword", detail: k.zh[0], boost: zhFirst ? 0 : 1 });
    }
    for (const f of this.language.facts) {
      options.push({ label: f.zh, type: "property", detail: f.key, info: f.doc });
      options.push({ label: f.key, type: "property", detail: f.zh, info: f.doc });
    }
    for (const name of names) options.push({ label: `「${name}」`, type: "variable", boost: 2 });
    return { from: word.from, options, validFor: /^[\p{Script=Han}A-Za-z0-9_]*$/u };
  }

  private hover(view: EditorView, pos: number) {
    const line = view.state.doc.lineAt(pos);
    const text = line.text;
    const at = pos - line.from;
    let found: { from: number; to: number; name: string } | null = null;
    for (const m of text.matchAll(/「([^」]*)」|[A-Za-z_][A-Za-z0-9_]*|[\p{Script=Han}]+/gu)) {
      const start = m.index!;
      const end = start + m[0].length;
      if (at < start || at > end) continue;
      const name = m[1] ?? m[0];
      if (this.words.facts.has(name)) found = { from: line.from + start, to: line.from + end, name };
      else if (!m[1]) {
        for (const f of this.words.factZh) {
          const i = m[0].indexOf(f);
          if (i >= 0 && at >= start + i && at <= start + i + f.length) {
            found = { from: line.from + start + i, to: line.from + start + i + f.length, name: f };
            break;
          }
        }
      }
    }
    if (!found) return null;
    const fact = this.words.facts.get(found.name)!;
    return {
      pos: found.from,
      end: found.to,
      above: true,
      create: () => {
        const dom = document.createElement("div");
        dom.className = "fact-tip";
        const head = document.createElement("strong");
        head.textContent = `${fact.zh} · ${fact.key}`;
        const meta = document.createElement("div");
        meta.className = "muted";
        meta.textContent = `${fact.type} · ${fact.scopes.join(", ")}`;
        const doc = document.createElement("div");
        doc.textContent = fact.doc;
        dom.append(head, meta, doc);
        return { dom };
      },
    };
  }

  async format(): Promise<string> {
    const text = this.text();
    const answer = await postJson<{ ok: boolean; text: string | null }>("/v1/fmt", { rulebook: text });
    if (!answer.ok || answer.text === null) return t("fmt_failed");
    if (answer.text !== text) this.setText(answer.text);
    return t("formatted");
  }

  download(): void {
    const blob = new Blob([this.text()], { type: "text/plain;charset=utf-8" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = FILE;
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
}
