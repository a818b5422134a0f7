"""Traceability of a seed document: clause → declaration → scenario, generated so it cannot drift.

Each shipped document text in ``rules/sources/`` has an inventory ``<name>.rules.toml``: the
operative rules of the text, clause by clause, each a quote of its clause, either ``judged`` (a rule
case events can decide, encoded by the listed declarations of the rulebook) or not (with the
reason). :func:`trace` joins an inventory with

- the document's clauses (``wenze.dsl.clauses``): every quote must occur in its clause;
- the rulebook as written (``rules/<rulebook>``): every listed declaration must exist, cite the
  clause and pass the citation check (``wenze.dsl.citations``: no unsupported number);
- the scenarios of ``features/<feature>``: a scenario tests a clause when a comment line just above
  it quotes the clause, ``# 条款 二、（四）3：“…”`` (the quote must occur in the clause);

and :func:`render_markdown` writes the table of ``docs/traceability/<name>.md``. ``python -m
wenze.dsl.traceability`` regenerates every table; ``tests/dsl/test_traceability.py`` fails when a
table is stale, a quote is not in its clause, or a judged rule has no declaration.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from wenze.dsl import ast as A
from wenze.dsl.checks.common import kind_words
from wenze.dsl.citations import SourceText, check_citations, citations_of, load_sources
from wenze.dsl.clauses import parse_clause_ref
from wenze.dsl.parser import parse_file

ROOT = Path(__file__).resolve().parents[2]

_SCENARIO = re.compile(r"^\s*(场景|场景大纲|Scenario|Scenario Outline|Example)\s*[:：]\s*(.+?)\s*$")
_CLAUSE_QUOTE = re.compile(r"^\s*#\s*条款\s+(\S+?)[：:]\s*[“\"](.+?)[”\"]\s*$")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class ScenarioQuote:
    scenario: str
    clause: str
    quote: str
    line: int


@dataclass
class TracedRule:
    clause: str
    text: str
    judged: bool
    declarations: list[str]
    scenarios: list[str] = field(default_factory=list)
    note: str = ""
    reason: str = ""


@dataclass
class Trace:
    name: str  # the source file's stem, e.g. zitong_2008
    document: str
    origin: str
    truncated: bool
    rules: list[TracedRule]
    problems: list[str]  # what does not hold: stale quotes, missing declarations, …
    assumed: dict[str, list[str]] = field(default_factory=dict)  # declaration ← documents: numbers

    @property
    def judged(self) -> list[TracedRule]:
        return [r for r in self.rules if r.judged]

    @property
    def encoded(self) -> list[TracedRule]:
        return [r for r in self.judged if r.declarations]

    @property
    def tested(self) -> list[TracedRule]:
        return [r for r in self.judged if r.scenarios]


def decl_label(decl: A.Decl) -> str:
    """``违规 「超过承诺时限」``: how a declaration is named in the tables."""
    return f"{kind_words(type(decl))[0]} 「{decl.name.text}」"


def scenario_quotes(feature: Path) -> list[ScenarioQuote]:
    """The ``# 条款 …：“…”`` comments just above each scenario of a feature file."""
    out: list[ScenarioQuote] = []
    pending: list[tuple[str, str, int]] = []
    for n, line in enumerate(feature.read_text(encoding="utf-8").splitlines(), 1):
        quoted = _CLAUSE_QUOTE.match(line)
        if quoted:
            pending.append((quoted[1], quoted[2], n))
            continue
        scenario = _SCENARIO.match(line)
        if scenario:
            out += [ScenarioQuote(scenario[2], c, q, ln) for c, q, ln in pending]
            pending = []
        elif line.strip() and not line.strip().startswith("#"):
            pending = []
    return out


def _tests(q: ScenarioQuote, path: tuple[str, ...] | None, text: str) -> bool:
    """Whether a scenario's quote is of this rule: the same clause, and one quote holds the
    other."""
    if parse_clause_ref(q.clause) != path:
        return False
    return _flat(q.quote) in _flat(text) or _flat(text) in _flat(q.quote)


def trace(inventory: Path, root: Path = ROOT) -> Trace:
    """Join one inventory with its text, rulebook and scenarios (see the module docstring)."""
    data = tomllib.loads(inventory.read_text(encoding="utf-8"))
    problems: list[str] = []
    sources = {s.path.name: s for s in load_sources(inventory.parent)}
    source: SourceText = sources[data["source"]]
    clauses = {c.path: c for c in source.clauses}

    def clause_text(ref: str, where: str) -> str | None:
        path = parse_clause_ref(ref)
        found = clauses.get(path) if path else None
        if found is None:
            problems.append(f"{where}: clause `{ref}` is not in {data['source']}")
            return None
        return found.text

    book = parse_file(root / "rules" / data["rulebook"]).rulebook
    assert book is not None, data["rulebook"]
    citing: dict[tuple[str, ...], list[str]] = {}
    labels = set()
    report = check_citations([book], list(sources.values()))
    warned = report.diagnostics
    assumed: dict[str, list[str]] = {}
    for r in report.relied:
        assumed.setdefault(f"{r.declaration} ← {'、'.join(f'「{d}」' for d in r.documents)}",
                           []).append(r.number)
    unsupported: set[str] = set()
    for decl in book.decls:
        label = decl_label(decl)
        labels.add(label)
        if any(decl.span.line <= d.span.line <= decl.span.end_line for d in warned):
            unsupported.add(label)
        for c in citations_of(decl):
            if c.document.text in source.names:
                path = parse_clause_ref(c.clause)
                if path is not None and label not in citing.setdefault(path, []):
                    citing[path].append(label)

    quotes = scenario_quotes(root / "features" / data["feature"])
    for q in quotes:
        text = clause_text(q.clause, f"{data['feature']}:{q.line}")
        if text is not None and _flat(q.quote) not in _flat(text):
            problems.append(f"{data['feature']}:{q.line}: “{q.quote}” is not in clause {q.clause}")

    rules: list[TracedRule] = []
    for i, entry in enumerate(data.get("rule", []), 1):
        where = f"{inventory.name} rule {i} ({entry['clause']})"
        text = clause_text(entry["clause"], where)
        if text is not None and _flat(entry["text"]) not in _flat(text):
            problems.append(f"{where}: “{entry['text']}” is not in the clause")
        path = parse_clause_ref(entry["clause"])
        judged = bool(entry.get("judged"))
        declared = list(entry.get("declarations", []))
        if judged and not declared:
            problems.append(f"{where}: a judged rule with no declaration")
        for label in declared:
            if label in unsupported:
                problems.append(f"{where}: {label} has an unsupported citation (wenze check "
                                "--sources rules/sources)")
            if label not in labels:
                problems.append(f"{where}: {data['rulebook']} has no {label}")
            elif label not in citing.get(path or (), []) and not entry.get("via"):
                problems.append(f"{where}: {label} does not cite clause {entry['clause']}")
        if not judged and declared:
            problems.append(f"{where}: a rule not judged from events lists declarations")
        scenarios = sorted({q.scenario for q in quotes if _tests(q, path, entry["text"])})
        rules.append(TracedRule(entry["clause"], entry["text"], judged, declared, scenarios,
                                entry.get("note", ""), entry.get("reason", "")))
    name = inventory.name.removesuffix(".rules.toml")
    return Trace(name, source.names[0], _origin(root, data["source"]), source.truncated, rules,
                 problems, assumed)


def _origin(root: Path, file: str) -> str:
    meta = tomllib.loads((root / "rules" / "sources" / "sources.toml").read_text(encoding="utf-8"))
    return next((e.get("origin", "") for e in meta.get("document", []) if e["file"] == file), "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(t: Trace) -> str:
    """The traceability table of one seed as Markdown (the generated ``docs/traceability`` page)."""
    judged = t.judged
    lines = [
        f"# Traceability: 「{t.document}」",
        "",
        "<!-- GENERATED by `python -m wenze.dsl.traceability` from "
        f"rules/sources/{t.name}.rules.toml, the rulebook and the scenarios; do not edit -->",
        "",
        f"Source: {t.origin}.",
        "",
    ]
    if t.truncated:
        lines += ["**The available text is truncated**: nothing after its last clause is "
                  "encoded or claimed.", ""]
    lines += [
        f"Operative rules in the text: **{len(t.rules)}**; judged from case events: "
        f"**{len(judged)}**; encoded (declarations citing the clause, every stated number found "
        f"in it by the citation check): **{len(t.encoded)}** of {len(judged)}; exercised by a "
        f"scenario quoting the clause: **{len(t.tested)}** of {len(judged)}.",
        "",
        "| clause | rule (quoted) | judged | declarations | scenarios |",
        "|---|---|---|---|---|",
    ]
    for r in t.rules:
        if r.judged:
            decls = "<br>".join(f"`{d}`" for d in r.declarations)
            if r.note:
                decls += f"<br>*{_cell(r.note)}*"
            scen = "<br>".join(_cell(s) for s in r.scenarios) or "—"
            lines.append(f"| {r.clause} | “{_cell(r.text)}” | yes | {decls} | {scen} |")
        else:
            lines.append(f"| {r.clause} | “{_cell(r.text)}” | no: {_cell(r.reason)} | — | — |")
    if t.assumed:
        lines += ["", "## Numbers the text does not state", "",
                  "Each rests on the documents named after the arrow (no text of them is at hand: "
                  "an assumed document named （示例，非原文）, or the statute), never on the text:",
                  ""]
        lines += [f"- `{_cell(k)}`: {'、'.join(v)}" for k, v in t.assumed.items()]
    return "\n".join(lines) + "\n"


def inventories(root: Path = ROOT) -> list[Path]:
    return sorted((root / "rules" / "sources").glob("*.rules.toml"))


def main(argv: list[str] | None = None) -> int:
    """Regenerate ``docs/traceability/*.md``; exit 1 (listing them) when an inventory has
    problems."""
    out = ROOT / "docs" / "traceability"
    out.mkdir(exist_ok=True)
    status = 0
    for inv in inventories():
        t = trace(inv)
        for p in t.problems:
            print(f"{inv.name}: {p}", file=sys.stderr)
            status = 1
        (out / f"{t.name}.md").write_text(render_markdown(t), encoding="utf-8")
        print(f"{t.name}: {len(t.rules)} rules, {len(t.judged)} judged, {len(t.encoded)} encoded, "
              f"{len(t.tested)} with a scenario")
    return status


if __name__ == "__main__":
    sys.exit(main())
