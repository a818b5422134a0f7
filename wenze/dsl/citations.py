"""The citation check: every ``依据 「document」 "clause"`` resolved to the clause's text.

A decision quotes its basis, so a citation is a legal claim: the cited clause must exist, and every
number the citing declaration states (a time limit, a percentage, a count, a counting window, a
period) must occur in the cited clause's text. This module holds documents' texts
(:class:`SourceText`, read from a folder by :func:`load_sources`), lists what each declaration
claims (:func:`claims_of`), and checks the citations of parsed rulebooks against the texts
(:func:`check_citations`), giving a coded warning for each unsupported citation:

(The codes are listed with the others in ``wenze.dsl.checks.CODES``.)

- ``WZ601`` the cited clause is not in the document (with the clauses it may have meant);
- ``WZ602`` a number the declaration states does not occur in the cited clause;
- ``WZ603`` the clause is cited in a document whose available text stops before it;
- ``WZ604`` the clause is not written in headings, though the document's text is available.

A citation of a document with no text in the folder is not judged: the report
(:class:`CitationReport`) lists those documents and how often each is cited, so nothing is dropped
silently. A number covered by several citations (a declaration citing two clauses) is supported
when any of them states it; when none of the texts at hand states it but one of the citations is
a document without text, the number rests on that document (:class:`Reliance`, listed in the
report: the traceability tables show them, and the shipped rulebooks' test requires each to rest
on a document named as an assumption or on the statute).

The folder holds ``*.txt`` files. A ``sources.toml`` beside them may say, per file, which
documents it is (``names``: the rulebook's 文件 name or 文号), where it comes from (``origin``),
the text to drop before splitting (``remove``: regular expressions for page footers and a web
page's chunk numbers), where the document's own text ends (``end``: the first line of what
follows it) and whether the text stops before the document does (``truncated``). Without an
entry, a file's name without ``.txt`` is the document's name.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wenze.dsl import ast as A
from wenze.dsl.checks.common import label, msg, warning
from wenze.dsl.clauses import (
    Clause,
    Quantity,
    parse_clause_ref,
    split_clauses,
    states,
)
from wenze.dsl.diagnostics import Diagnostic, Message, sorted_diagnostics
from wenze.dsl.facts import FactType, lookup

ASSUMPTION_HELP = msg(
    "若此数是本地的假设而非原文，请把它的依据改为另立的文件（名称标明“示例，非原文”，如「实施细则"
    "（示例，非原文）」）；若原文的其他条款载明此数，请引用那一条款",
    "if the number is a local assumption rather than the text, cite a separate document named as "
    "one (e.g. 「实施细则（示例，非原文）」); if another clause of the text states it, cite that "
    "clause",
)


# --------------------------------------------------------------------------- document texts


@dataclass(frozen=True)
class SourceText:
    """One document's text, split into clauses."""

    names: tuple[str, ...]  # the names and 文号 it is cited by
    path: Path
    text: str
    origin: str = ""
    truncated: bool = False
    clauses: tuple[Clause, ...] = ()

    def clause(self, path: tuple[str, ...]) -> Clause | None:
        for c in self.clauses:
            if c.path == path:
                return c
        return None

    def candidates(self, path: tuple[str, ...], n: int = 3) -> list[str]:
        """Clauses the citation may have meant: those whose path holds its labels in order
        (``一、三是`` → ``一、（一）三是``), the deepest match last."""
        found = [c.ref for c in self.clauses if _subsequence(path, c.path)]
        return found[:n]


def _subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short) and short[-1:] == long[-1:]


def read_source(path: Path, names: Iterable[str] = (), origin: str = "",
                remove: Iterable[str] = (), end: str | None = None,
                truncated: bool = False) -> SourceText:
    """A document's text from ``path``, with ``remove`` patterns dropped and cut before ``end``."""
    text = path.read_text(encoding="utf-8")
    for pattern in remove:
        text = re.sub(pattern, "", text)
    if end:
        at = text.find(end)
        if at >= 0:
            text = text[:at]
    return SourceText(tuple(names) or (path.stem,), path, text, origin, truncated,
                      tuple(split_clauses(text)))


def load_sources(directory: str | Path) -> list[SourceText]:
    """Every document text of a folder (see the module docstring). Raises :class:`OSError` when
    the folder cannot be read and :class:`ValueError` when its ``sources.toml`` is malformed."""
    folder = Path(directory)
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")
    entries: dict[str, dict] = {}
    meta = folder / "sources.toml"
    if meta.exists():
        try:
            data = tomllib.loads(meta.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{meta}: {err}") from err
        for entry in data.get("document", []):
            if "file" not in entry:
                raise ValueError(f"{meta}: a [[document]] without `file`")
            entries[entry["file"]] = entry
    out = []
    for path in sorted(folder.glob("*.txt")):
        e = entries.get(path.name, {})
        out.append(read_source(path, e.get("names", ()), e.get("origin", ""),
                               e.get("remove", ()), e.get("end"), bool(e.get("truncated"))))
    return out


# ----------------------------------------------------------------------- what a declaration says


@dataclass(frozen=True)
class Claim:
    """A number a declaration states, as written, and how to find it in a clause's text."""

    text: str
    span: A.Span
    test: Callable[[str], bool] = field(compare=False, repr=False)


@dataclass(frozen=True)
class ClaimGroup:
    """Claims and the citations that cover them: a part's own ``依据``, else its declaration's."""

    claims: tuple[Claim, ...]
    citations: tuple[A.Citation, ...]


def _number(value: int | float, quantity: Quantity, text: str, span: A.Span) -> Claim:
    return Claim(text, span, lambda t: states(t, value, quantity))


def _period(words: tuple[str, ...], text: str, span: A.Span) -> Claim:
    return Claim(text, span, lambda t: any(w in re.sub(r"\s+", "", t) for w in words))


def _duration(d: A.Duration | None, span: A.Span) -> list[Claim]:
    if d is None or d.amount == 0:
        return []
    unit = "工作日" if d.unit is A.DayKind.WORKING else "日"
    return [_number(d.amount, Quantity.DAYS, f"{d.amount} {unit}",
                    d.span if d.span != A.NO_SPAN else span)]


def _limit(limit: A.Limit | A.Extension | A.CorrectionRule | None) -> list[Claim]:
    if limit is None:
        return []
    d = limit.within if isinstance(limit, A.CorrectionRule) else limit.duration
    return _duration(d, limit.span)


def _warning(w: A.WarningRule) -> list[Claim]:
    if w.trigger is A.TriggerKind.AT_PERCENT and w.percent is not None:
        v = _int(w.percent)
        return [_number(v, Quantity.PERCENT, f"{v}%", w.span)]
    return _duration(w.duration, w.span)


def _int(value: object) -> int | float:
    f = float(value)  # type: ignore[arg-type]
    return int(f) if f.is_integer() else f


def _condition(expr: A.Expr | None) -> list[Claim]:
    out: list[Claim] = []
    if expr is None:
        return out
    if isinstance(expr, A.Compare):
        fact = next((lookup(s.name.text) for s in (expr.left, expr.right)
                     if isinstance(s, A.FactRef)), None)
        for side in (expr.left, expr.right):
            if isinstance(side, A.PercentLit):
                v = _int(side.value)
                out.append(_number(v, Quantity.PERCENT, f"{v}%", side.span))
            elif isinstance(side, A.DurationLit):
                out += _duration(side.duration, side.span)
            elif isinstance(side, A.NumberLit) and side.value != 0:
                v = _int(side.value)
                kind = fact.type if fact is not None else None
                quantity = {FactType.DAYS: Quantity.DAYS, FactType.COUNT: Quantity.TIMES,
                            FactType.PERCENT: Quantity.PERCENT}.get(kind, Quantity.PLAIN)  # type: ignore[arg-type]
                out.append(_number(v, quantity, str(v), side.span))
    elif isinstance(expr, (A.And, A.Or)):
        for operand in expr.operands:
            out += _condition(operand)
    elif isinstance(expr, A.Not):
        out += _condition(expr.operand)
    return out


_PERIOD_WORDS: dict[A.Period, tuple[tuple[str, ...], str]] = {
    A.Period.MONTH: (("每月", "月度", "按月", "逐月"), "月"),
    A.Period.QUARTER: (("季度", "每季", "按季"), "季度"),
    A.Period.HALF_YEAR: (("半年",), "半年"),
    A.Period.YEAR: (("年度", "每年", "全年", "一年", "年底", "年终", "年内"), "年度"),
}


def claims_of(decl: A.Decl) -> list[ClaimGroup]:
    """What ``decl`` states, grouped by the citations that must support it."""
    own: list[Claim] = []
    groups: list[ClaimGroup] = []

    def part(claims: list[Claim], basis: tuple[A.Citation, ...],
             fallback: list[Claim] | None = None) -> None:
        if basis:
            groups.append(ClaimGroup(tuple(claims), basis))
        else:
            (own if fallback is None else fallback).extend(claims)

    if isinstance(decl, A.ItemDecl):
        for p in (decl.statutory, decl.promised, decl.extension, decl.correction):
            if p is not None:
                part(_limit(p), p.basis)
        for w in decl.warnings:
            part(_warning(w), w.basis)
    elif isinstance(decl, A.ProcessDecl):
        for p in (decl.limit, decl.extension):
            if p is not None:
                part(_limit(p), p.basis)
        for node in decl.steps:
            lim = node.limit if isinstance(node, A.StepDecl) else node.reply_within
            inner: list[Claim] = []
            if lim is not None:
                if lim.basis:
                    groups.append(ClaimGroup(tuple(_limit(lim)), lim.basis))
                else:
                    inner += _limit(lim)
            part(inner, node.basis)
    elif isinstance(decl, A.ViolationDecl):
        own += _condition(decl.condition)
    elif isinstance(decl, A.TargetDecl):
        if decl.threshold is not None:
            v = _int(decl.threshold.value)
            own.append(_number(v, Quantity.PERCENT, f"{v}%", decl.threshold.span))
        words, text = _PERIOD_WORDS[decl.period]
        own.append(_period(words, f"周期 {text}", decl.span_of("period")))
    elif isinstance(decl, A.LadderDecl):
        w = decl.window
        if w is not None and w.kind is A.WindowKind.ROLLING_MONTHS and w.months:
            own.append(_number(w.months, Quantity.MONTHS, f"{w.months} 个月", w.span))
        elif w is not None:
            own.append(_period(("年度", "每年", "一年", "当年", "年内"), "自然年", w.span))
        for e in decl.escalations:
            own.append(_number(e.count, Quantity.TIMES, f"第 {e.count} 次", e.span))
        for c in decl.aggravating + decl.mitigating:
            if c.kind is not A.AdjustKind.TO and c.steps:
                own.append(_number(c.steps, Quantity.LEVELS, f"{c.steps} 级", c.span))
        for q in decl.consequences:
            if q.cumulative > 1:
                own.append(_number(q.cumulative, Quantity.TIMES, f"累计 {q.cumulative} 次",
                                   q.span))
        for j in decl.joint:
            own.append(_number(j.count, Quantity.TIMES, f"第 {j.count} 次", j.span))
    groups.insert(0, ClaimGroup(tuple(own), tuple(decl.basis)))
    return groups


def citations_of(decl: A.Decl) -> Iterator[A.Citation]:
    """Every citation of a declaration, its parts' included."""
    for group in claims_of(decl):
        yield from group.citations
    if isinstance(decl, A.ProcessDecl):  # a step's own citation with no limit of its own
        for node in decl.steps:
            yield from node.basis
    if isinstance(decl, A.ItemDecl) and decl.suspension is not None:
        yield from decl.suspension.basis


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class CitationResult:
    """One citation and what became of it: ``supported``, ``unchecked`` (no text of the document),
    or the code of the warning it got."""

    file: str
    line: int
    declaration: str  # "违规 「超过承诺时限」"
    document: str
    clause: str
    status: str
    resolved: str | None = None  # the clause path found, as written in the document


@dataclass(frozen=True)
class Reliance:
    """A number no checked clause states, which rests on documents without text (an assumed
    document, a statute whose text is not in the folder)."""

    file: str
    line: int
    declaration: str
    number: str
    documents: tuple[str, ...]


@dataclass
class CitationReport:
    diagnostics: list[Diagnostic]
    results: list[CitationResult]
    unchecked: dict[str, int]  # document without text → citations of it
    relied: list[Reliance] = field(default_factory=list)  # numbers resting on those documents

    @property
    def unsupported(self) -> list[Diagnostic]:
        return self.diagnostics


def _decl_label(decl: A.Decl) -> str:
    from wenze.dsl.checks.common import kind_words

    return f"{kind_words(type(decl))[0]} 「{decl.name.text}」"


def _documents(rulebooks: Iterable[A.Rulebook]) -> dict[str, A.DocumentDecl]:
    docs: dict[str, A.DocumentDecl] = {}
    for rb in rulebooks:
        for d in rb.decls:
            if isinstance(d, A.DocumentDecl):
                docs.setdefault(d.name.text, d)
    return docs


def _source_for(name: str, docs: dict[str, A.DocumentDecl],
                sources: list[SourceText]) -> SourceText | None:
    keys = {name}
    if name in docs and docs[name].number:
        keys.add(docs[name].number or "")
    for s in sources:
        if keys & set(s.names):
            return s
    return None


def check_citations(rulebooks: Iterable[A.Rulebook], sources: list[SourceText]) -> CitationReport:
    """Check every citation of ``rulebooks`` (as parsed, each file's own declarations) against
    ``sources``."""
    books = list(rulebooks)
    docs = _documents(books)
    diagnostics: list[Diagnostic] = []
    results: list[CitationResult] = []
    unchecked: dict[str, int] = {}
    index: dict[tuple[A.Span, str], int] = {}
    relied: list[Reliance] = []

    def resolve(c: A.Citation) -> tuple[str, Clause | None, SourceText | None]:
        source = _source_for(c.document.text, docs, sources)
        if source is None:
            return "unchecked", None, None
        path = parse_clause_ref(c.clause)
        if path is None:
            return "WZ604", None, source
        found = source.clause(path)
        if found is None:
            beyond = source.truncated and not source.candidates(path)
            return ("WZ603" if beyond else "WZ601"), None, source
        return "supported", found, source

    for rb in books:
        header = ClaimGroup((), rb.header.basis)
        entries: list[tuple[str, list[ClaimGroup]]] = [("规则集", [header])]
        for decl in rb.decls:
            groups = claims_of(decl)
            listed = {id(c) for g in groups for c in g.citations}
            extra = tuple(c for c in citations_of(decl) if id(c) not in listed)
            entries.append((_decl_label(decl), [*groups, ClaimGroup((), extra)]))
        for where, groups in entries:
            for group in groups:
                resolved: list[tuple[A.Citation, str, Clause | None]] = []
                for c in group.citations:
                    status, clause, source = resolve(c)
                    resolved.append((c, status, clause))
                    key = (c.span, c.clause)
                    if key in index:
                        continue
                    index[key] = len(results)
                    if status == "unchecked":
                        unchecked[c.document.text] = unchecked.get(c.document.text, 0) + 1
                    elif status != "supported" and source is not None:
                        diagnostics.append(_missing_clause(status, c, source))
                    results.append(CitationResult(
                        c.span.file, c.span.line, where, c.document.text, c.clause, status,
                        clause.ref if clause is not None else None))
                statuses = {s for _, s, _ in resolved}
                if not group.claims or statuses - {"supported", "unchecked"}:
                    continue  # no claim, or a citation already warned about
                for claim in group.claims:
                    if any(clause is not None and claim.test(clause.text)
                           for _, _, clause in resolved):
                        continue
                    if "unchecked" in statuses:  # it may be the unread document's
                        without_text = tuple(sorted({c.document.text for c, s, _ in resolved
                                                     if s == "unchecked"}))
                        relied.append(Reliance(claim.span.file, claim.span.line, where,
                                               claim.text, without_text))
                        continue
                    diagnostics.append(_unsupported(claim, [c for c, _, _ in resolved], where))
                    for c, _, _ in resolved:
                        i = index[(c.span, c.clause)]
                        results[i] = dataclasses.replace(results[i], status="WZ602")
    return CitationReport(sorted_diagnostics(diagnostics), results, unchecked, relied)


def _cited(c: A.Citation) -> str:
    return f"「{c.document.text}」 \"{c.clause}\""


def _missing_clause(code: str, c: A.Citation, source: SourceText) -> Diagnostic:
    cited = _cited(c)
    if code == "WZ604":
        message = msg(f"{cited} 不是按文件标题层级（一、（一）1 …）书写的条款",
                      f"{cited} is not written in the document's headings (一、（一）1 …)")
        help_ = msg("按原文的标题写出条款，如 \"二、（四）3\"",
                    "write the clause by the text's headings, e.g. \"二、（四）3\"")
        return warning(code, message, c.span, help=help_)
    path = parse_clause_ref(c.clause) or ()
    if code == "WZ603":
        message = msg(f"{cited}：现有原文在此条款之前就已中断，无法核对",
                      f"{cited}: the available text stops before this clause, it cannot be "
                      "checked")
        help_ = msg("原文不全时，只引用原文中实际可见的条款",
                    "when the text is incomplete, cite only clauses it actually shows")
        return warning(code, message, c.span, help=help_)
    maybe = source.candidates(path)
    message = msg(f"{cited} 在原文中不存在", f"{cited} does not exist in the document's text")
    if maybe:
        zh = "、".join(f"\"{m}\"" for m in maybe)
        help_: Message = msg(f"原文中相近的条款：{zh}", "clauses of the text that come close: "
                             + ", ".join(f"\"{m}\"" for m in maybe))
    else:
        help_ = msg("按原文的标题层级写出完整的条款路径，如 \"二、（四）3\"",
                    "write the full path of headings of the text, e.g. \"二、（四）3\"")
    return warning(code, message, c.span, help=help_, suggestions=tuple(maybe))


def _unsupported(claim: Claim, citations: list[A.Citation], where: str) -> Diagnostic:
    cited = "、".join(_cited(c) for c in citations)
    cited_en = ", ".join(_cited(c) for c in citations)
    return warning(
        "WZ602",
        msg(f"{where} 所述 `{claim.text}` 不见于所引条款 {cited}",
            f"`{claim.text}` stated by {where} does not occur in the cited clause {cited_en}"),
        claim.span,
        labels=[label(c.span, "所引条款", "the cited clause") for c in citations],
        help=ASSUMPTION_HELP,
    )


def check_texts(texts: Mapping[str, str], sources: list[SourceText]) -> CitationReport:
    """:func:`check_citations` over rulebook files given as text (file name → text), each parsed
    on its own (a file that does not parse is left to the other checks)."""
    from wenze.dsl.parser import parse

    books = []
    for file, text in texts.items():
        parsed = parse(text, file)
        if parsed.rulebook is not None:
            books.append(parsed.rulebook)
    return check_citations(books, sources)


def unchecked_note(report: CitationReport, lang: str = "zh") -> str:
    """One line: how many citations were checked, and which documents have no text (so their
    citations were not judged)."""
    checked = sum(1 for r in report.results if r.status != "unchecked")
    if lang == "zh":
        line = f"依据核对：已按原文核对 {checked} 处引用"
        if report.unchecked:
            docs = "、".join(f"「{d}」（{n} 处）" for d, n in sorted(report.unchecked.items()))
            line += f"；以下文件没有原文，其引用未核对：{docs}"
        if report.relied:
            line += f"；{len(report.relied)} 个数值原文未载，仅依据没有原文的文件"
        return line
    line = f"citations: {checked} checked against the texts"
    if report.unchecked:
        docs = ", ".join(f"「{d}」 ({n})" for d, n in sorted(report.unchecked.items()))
        line += f"; no text for these documents, their citations were not checked: {docs}"
    if report.relied:
        line += f"; {len(report.relied)} number(s) no text states rest on those documents alone"
    return line


__all__ = [
    "ASSUMPTION_HELP",
    "CitationReport",
    "CitationResult",
    "Claim",
    "ClaimGroup",
    "Reliance",
    "SourceText",
    "check_citations",
    "check_texts",
    "citations_of",
    "claims_of",
    "load_sources",
    "read_source",
    "unchecked_note",
]
