// The wenze rules language for CodeMirror: a stream tokenizer built from the keyword table the
// service gives (GET /v1/language, from wenze/dsl/keywords.py: never copied by hand).
// Tokens: keywords (zh and en), 「names」, "strings" and “strings”, dates, numbers and
// percentages, durations (a number and its day unit), fact names, comments (# and //).

import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StreamParser } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import type { Language } from "./api";

const DURATION_TERMINALS = new Set(["WORKDAYS", "DAYS", "MONTHS"]);
const DECLARATION_TERMINALS = new Set([
  "RULEBOOK", "DOCUMENT", "CALENDAR", "HOLIDAY_SCHEDULE", "POWER", "UNIT", "POST", "ITEM",
  "PROCESS", "STEP", "COUNTERSIGN", "VIOLATION", "LADDER", "TARGET",
]);

interface State {
  afterNumber: boolean;
}

export interface WenzeWords {
  zh: string[]; // Chinese keyword spellings, longest first
  en: RegExp; // English keywords, whole words (multi-word spellings with any spaces)
  durations: Set<string>;
  declarations: Set<string>;
  facts: Map<string, Language["facts"][number]>; // zh and en names → fact
  factZh: string[]; // Chinese fact names, longest first
}

export function wordsOf(language: Language): WenzeWords {
  const zh: string[] = [];
  const en: string[] = [];
  const durations = new Set<string>();
  const declarations = new Set<string>();
  for (const k of language.keywords) {
    zh.push(...k.zh);
    en.push(...k.en);
    if (DURATION_TERMINALS.has(k.terminal)) [...k.zh, ...k.en].forEach((s) => durations.add(s));
    if (DECLARATION_TERMINALS.has(k.terminal)) [...k.zh, ...k.en].forEach((s) => declarations.add(s));
  }
  zh.sort((a, b) => b.length - a.length);
  en.sort((a, b) => b.length - a.length);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+");
  const facts = new Map<string, Language["facts"][number]>();
  for (const f of language.facts) {
    facts.set(f.key, f);
    facts.set(f.zh, f);
  }
  const factZh = language.facts.map((f) => f.zh).sort((a, b) => b.length - a.length);
  return {
    zh,
    en: new RegExp(`^(?:${en.map(escape).join("|")})(?![A-Za-z0-9_])`),
    durations,
    declarations,
    facts,
    factZh,
  };
}

export function wenzeParser(words: WenzeWords): StreamParser<State> {
  return {
    name: "wenze",
    startState: () => ({ afterNumber: false }),
    token(stream, state) {
      if (stream.eatSpace()) return null;
      const wasNumber = state.afterNumber;
      state.afterNumber = false;
      if (stream.match("#") || stream.match("//")) {
        stream.skipToEnd();
        return "comment";
      }
      if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^“[^”]*”?/)) return "string";
      if (stream.match(/^「[^」\n]*」?/)) {
        const inner = stream.current().replace(/^「|」$/g, "");
        return words.facts.has(inner) ? "propertyName" : "variableName";
      }
      if (stream.match(/^\d{4}-\d{2}-\d{2}/)) return "number";
      if (stream.match(/^\d+(?:\.\d+)?%?/)) {
        state.afterNumber = true;
        return "number";
      }
      for (const kw of words.zh) {
        if (stream.match(kw)) {
          if (wasNumber && words.durations.has(kw)) return "unit";
          return words.declarations.has(kw) ? "definitionKeyword" : "keyword";
        }
      }
      const english = stream.match(words.en) as RegExpMatchArray | null;
      if (english) {
        const kw = english[0].replace(/\s+/g, " ");
        if (wasNumber && words.durations.has(kw)) return "unit";
        return words.declarations.has(kw) ? "definitionKeyword" : "keyword";
      }
      for (const f of words.factZh) if (stream.match(f)) return "propertyName";
      if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
        return words.facts.has(stream.current()) ? "propertyName" : "variableName";
      }
      if (stream.match(/^(?:>=|<=|==|!=|>|<)/)) return "operator";
      if (stream.match(/^[{}()]/)) return "bracket";
      stream.next();
      return null;
    },
    languageData: { commentTokens: { line: "#" }, closeBrackets: { brackets: ["(", "{", '"', "「"] } },
    tokenTable: {
      definitionKeyword: tags.definitionKeyword,
      unit: tags.unit,
      propertyName: tags.propertyName,
    },
  };
}

export function wenzeLanguage(words: WenzeWords): StreamLanguage<State> {
  return StreamLanguage.define(wenzeParser(words));
}

export const wenzeHighlight = syntaxHighlighting(
  HighlightStyle.define([
    { tag: tags.keyword, color: "#8a1c1c", fontWeight: "600" },
    { tag: tags.definitionKeyword, color: "#8a1c1c", fontWeight: "700" },
    { tag: tags.variableName, color: "#0b4f8a" },
    { tag: tags.propertyName, color: "#6a3d9a", fontStyle: "italic" },
    { tag: tags.string, color: "#2f6b2f" },
    { tag: tags.number, color: "#a35200" },
    { tag: tags.unit, color: "#a35200", fontWeight: "600" },
    { tag: tags.comment, color: "#6b6b6b", fontStyle: "italic" },
    { tag: tags.operator, color: "#444" },
    { tag: tags.bracket, color: "#555" },
  ]),
);
