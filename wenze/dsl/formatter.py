"""The canonical layout of a rulebook: AST → text (``wenze fmt``).

text → parse → AST → **format** → text. The formatter prints one layout only (as ``gofmt`` and
sqlglot's generator do): two-space indentation, one property per line, a blank line between
top-level declarations, lists joined with ``、`` (Chinese) or ``, `` (English), names bare when they
are ASCII identifiers that are not English keywords and in 「」 otherwise, keywords in the file's
language (or the one asked for), expressions with the fewest parentheses that keep the tree.

Two properties hold and are tested: ``format(format(x)) == format(x)`` and
``parse(format(x)).rulebook == parse(x).rulebook`` (spans are not compared). Comments are kept: each
comment is attached to the declaration or property that follows it in the source (or to the end
of the file) and printed above it, or after it on the same line when it was trailing.

One module on purpose (~710 lines): one printer per declaration kind over the one AST, and the
comment placement that needs all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from wenze.dsl import ast as A
from wenze.dsl.diagnostics import Diagnostic, RulebookError, sorted_diagnostics
from wenze.dsl.keywords import ENGLISH_RESERVED, KEYWORDS, spelling
from wenze.dsl.parser import MAX_LINE_CHARS, parse, quoted_and_comments

INDENT = "  "

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class _Line:
    depth: int
    text: str
    anchor: int | None  # the source line of the element printed here (for comments)
    col: int = 0  # the source column where that element starts (or its `}` stands)
    closing: bool = False
    trailing: str = ""
    keyword: str | None = None  # for a property the AST keeps no span for: its keyword …
    region: tuple[int, int] | None = None  # … and the source offsets of its declaration


# where a property came from: its node, the keyword to look for in the source, or nowhere
_Where = A.Node | str | None


def format_rulebook(
    rulebook: A.Rulebook, lang: str | None = None, source: str | None = None
) -> str:
    """The canonical text of ``rulebook`` with keywords in ``lang`` ("zh"/"en"; default: the
    language the rulebook was written in). Comments of ``rulebook.comments`` are put back; with
    the ``source`` text the rulebook was parsed from, comments next to properties that the AST
    keeps no position for (``版本``, ``沉默``, …) are placed exactly as well."""
    printer = _Printer(lang or rulebook.lang or "zh")
    lines = printer.rulebook(rulebook)
    if source is not None and rulebook.comments:
        _locate_keywords(lines, source)
    return _render(_attach_comments(lines, rulebook.comments))


def format_text(text: str, file: str = "<string>", lang: str | None = None) -> str:
    """Parse and format ``text``; raises :class:`RulebookError` (carrying every diagnostic) when
    the text does not parse."""
    result = parse(text, file)
    if result.rulebook is None or any(d.is_error for d in result.diagnostics):
        raise RulebookError(list(result.diagnostics))
    return format_rulebook(result.rulebook, lang, text)


def try_format_text(
    text: str, file: str = "<string>", lang: str | None = None
) -> tuple[str | None, list[Diagnostic]]:
    """As :func:`format_text`, returning ``(None, diagnostics)`` instead of raising."""
    result = parse(text, file)
    if result.rulebook is None or any(d.is_error for d in result.diagnostics):
        return None, sorted_diagnostics(list(result.diagnostics))
    diagnostics = sorted_diagnostics(list(result.diagnostics))
    return format_rulebook(result.rulebook, lang, text), diagnostics


# --------------------------------------------------------------------------- values


def format_name(name: A.Name | str) -> str:
    """A name as it must be written: bare when that reads back as the same name."""
    text = name.text if isinstance(name, A.Name) else name
    if _IDENT.match(text) and text.lower() not in ENGLISH_RESERVED:
        return text
    return f"「{text or ' '}」"


def format_string(value: str) -> str:
    body = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{body}"'


def _number(value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(value)
    return format(value, "f")


# binding strength: or < and < not < comparison < atom
_OR, _AND, _NOT, _CMP, _ATOM = range(5)


def _strength(expr: A.Expr) -> int:
    if isinstance(expr, A.Or):
        return _OR
    if isinstance(expr, A.And):
        return _AND
    if isinstance(expr, A.Not):
        return _NOT
    if isinstance(expr, A.Compare):
        return _CMP
    return _ATOM


class _Printer:
    def __init__(self, lang: str):
        self.lang = lang

    # ---------------------------------------------------------------- pieces
    def kw(self, terminal: str) -> str:
        return spelling(terminal, self.lang)

    def counted(self, terminal: str, n: int) -> str:
        """``n`` and a keyword after it; in English a singular spelling for one."""
        if self.lang == "en" and n == 1 and terminal in _SINGULAR:
            return f"{n} {_SINGULAR[terminal]}"
        return f"{n} {self.kw(terminal)}"

    def names(self, names: tuple[A.Name, ...]) -> str:
        sep = "、" if self.lang == "zh" else ", "
        return sep.join(format_name(n) for n in names)

    def duration(self, d: A.Duration) -> str:
        unit = "WORKDAYS" if d.unit is A.DayKind.WORKING else "DAYS"
        return self.counted(unit, d.amount)

    def basis(self, citations: tuple[A.Citation, ...]) -> str:
        return "".join(
            f" {self.kw('BASIS')} {format_name(c.document)} {format_string(c.clause)}"
            for c in citations
        )

    def roles(self, roles: tuple[A.Role, ...]) -> str:
        sep = "、" if self.lang == "zh" else ", "
        return sep.join(self.kw(_ROLE_TERMINALS[r]) for r in roles)

    def responsibilities(self, entries: tuple[A.Responsibility, ...]) -> str:
        sep = "、" if self.lang == "zh" else ", "
        return sep.join(self.responsibility(r) for r in entries)

    def responsibility(self, r: A.Responsibility) -> str:
        if r.word is not None and A.ROLE_MEANING[r.word] == (r.party, r.degree):
            return self.kw(_ROLE_TERMINALS[r.word])
        base = self.kw(_PARTY_TERMINALS[r.party.base])
        if r.party.leader is None:
            text = base
        elif r.party.base is A.PartyBase.DIRECT:
            text = self.kw(_LEADER_TERMINALS[r.party.leader])
        else:
            text = f"{base}{self.kw('POSSESSIVE')}"
            text += ("" if self.lang == "zh" else " ") + self.kw(_LEADER_TERMINALS[r.party.leader])
        if r.degree is not A.default_degree(r.party):
            text += f" {self.kw('BEARS')} {self.kw(_DEGREE_TERMINALS[r.degree])}"
        return text

    def expr(self, e: A.Expr) -> str:
        if isinstance(e, A.Or):
            # a nested Or after the first operand must keep its parentheses
            parts = [self._wrap(op, _AND if i else _OR) for i, op in enumerate(e.operands)]
            return f" {self.kw('OR')} ".join(parts)
        if isinstance(e, A.And):
            parts = [self._wrap(op, _NOT if i else _AND) for i, op in enumerate(e.operands)]
            return f" {self.kw('AND')} ".join(parts)
        if isinstance(e, A.Not):
            return f"{self.kw('NOT')} {self._wrap(e.operand, _NOT)}"
        if isinstance(e, A.Compare):
            return f"{self._wrap(e.left, _ATOM)} {e.op.value} {self._wrap(e.right, _ATOM)}"
        if isinstance(e, A.FactRef):
            return format_name(e.name)
        if isinstance(e, A.NumberLit):
            return _number(e.value)
        if isinstance(e, A.PercentLit):
            return f"{_number(e.value)}%"
        if isinstance(e, A.DurationLit):
            return self.duration(e.duration)
        if isinstance(e, A.BoolLit):
            return self.kw("TRUE" if e.value else "FALSE")
        if isinstance(e, A.StringLit):
            return format_string(e.value)
        raise TypeError(f"not an expression: {e!r}")

    def _wrap(self, e: A.Expr, least: int) -> str:
        """``e`` printed where only expressions binding at least as tightly as ``least`` may stand
        without parentheses."""
        text = self.expr(e)
        return text if _strength(e) >= least else f"({text})"

    # ---------------------------------------------------------------- blocks
    def block(
        self,
        out: list[_Line],
        depth: int,
        opening: str,
        node: A.Node,
        body: list[tuple[str, _Where]] | None = None,
        children: list[A.Node] | None = None,
    ) -> None:
        """``opening {`` + one line per property (text, node for its source line) + ``}``."""
        span = node.span
        if not body and not children:
            out.append(_Line(depth, f"{opening} {{}}", span.line or None, span.col))
            return
        out.append(_Line(depth, f"{opening} {{", span.line or None, span.col))
        for text, where in body or []:
            if isinstance(where, str):  # a property without a span of its own: find it later
                out.append(_Line(depth + 1, text, None, keyword=where,
                                 region=(span.start, span.end)))
            else:
                out.append(_Line(depth + 1, text, _line_of(where),
                                 where.span.col if where else 0))
        for child in children or []:
            self.decl(out, depth + 1, child)
        out.append(_Line(depth, "}", span.end_line or None, span.end_col - 1, closing=True))

    def header(self, out: list[_Line], h: A.Header) -> None:
        body: list[tuple[str, _Where]] = []
        if h.version is not None:
            body.append((f"{self.kw('VERSION')} {format_string(h.version)}", "VERSION"))
        if h.effective_from is not None:
            text = f"{self.kw('EFFECTIVE')} {h.effective_from.isoformat()}"
            if h.effective_until is not None:
                text += f" {self.kw('UNTIL')} {h.effective_until.isoformat()}"
            body.append((text, "EFFECTIVE"))
        if h.jurisdiction is not None:
            text = f"{self.kw('JURISDICTION')} {format_string(h.jurisdiction)}"
            body.append((text, "JURISDICTION"))
        for path in h.extends:
            body.append((f"{self.kw('EXTENDS')} {format_string(path.value)}", path))
        if h.default_basis is not None:
            c = h.default_basis
            body.append((f"{self.kw('DEFAULT_BASIS')} {format_name(c.document)} "
                         f"{format_string(c.clause)}", c))
        opening = f"{self.kw('RULEBOOK')} {format_name(h.name)}{self.basis(h.basis)}"
        self.block(out, 0, opening, h, body)

    def rulebook(self, rb: A.Rulebook) -> list[_Line]:
        out: list[_Line] = []
        self.header(out, rb.header)
        for decl in rb.decls:
            out.append(_Line(0, "", None))
            self.decl(out, 0, decl)
        return out

    def decl(self, out: list[_Line], depth: int, d: A.Node) -> None:
        method = getattr(self, "_" + type(d).__name__)
        method(out, depth, d)

    def _opening(self, terminal: str, d: A.Node, extra: str = "") -> str:
        override = f"{self.kw('OVERRIDE')} " if getattr(d, "override", False) else ""
        basis = self.basis(getattr(d, "basis", ()))
        return f"{override}{self.kw(terminal)} {format_name(d.name)}{extra}{basis}"  # type: ignore[attr-defined]

    def _DocumentDecl(self, out: list[_Line], depth: int, d: A.DocumentDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.number is not None:
            body.append((f"{self.kw('NUMBER')} {format_string(d.number)}", "NUMBER"))
        if d.title is not None:
            body.append((f"{self.kw('TITLE')} {format_string(d.title)}", "TITLE"))
        self.block(out, depth, self._opening("DOCUMENT", d), d, body)

    def _CalendarDecl(self, out: list[_Line], depth: int, d: A.CalendarDecl) -> None:
        base = "STATUTORY_DAYS" if d.base is A.CalendarBase.STATUTORY else "NATURAL_DAYS"
        body: list[tuple[str, _Where]] = [
            (f"{self.kw('BASED_ON')} {self.kw(base)}", "BASED_ON")
        ]
        for terminal, days in (("HOLIDAY", d.holidays), ("MAKEUP_DAY", d.workdays)):
            for day in days:
                note = f" {format_string(day.note)}" if day.note is not None else ""
                body.append((f"{self.kw(terminal)} {day.date.isoformat()}{note}", day))
        self.block(out, depth, self._opening("CALENDAR", d), d, body)

    def _HolidayScheduleDecl(self, out: list[_Line], depth: int,
                             d: A.HolidayScheduleDecl) -> None:
        body: list[tuple[str, _Where]] = []
        # the range word: `至` in Chinese, `to` in English (both tables accept both words)
        until = self.kw("UNTIL" if self.lang == "zh" else "TO")
        for terminal, entries in (("HOLIDAY", d.holidays), ("MAKEUP_DAY", d.workdays)):
            for e in entries:
                text = f"{self.kw(terminal)} {e.start.isoformat()}"
                if e.end is not None:
                    text += f" {until} {e.end.isoformat()}"
                if e.note is not None:
                    text += f" {format_string(e.note)}"
                body.append((text, e))
        override = f"{self.kw('OVERRIDE')} " if d.override else ""
        opening = f"{override}{self.kw('HOLIDAY_SCHEDULE')} {d.year}{self.basis(d.basis)}"
        self.block(out, depth, opening, d, body)

    def _PowerDecl(self, out: list[_Line], depth: int, d: A.PowerDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.description is not None:
            body.append((f"{self.kw('DESCRIPTION')} {format_string(d.description)}", "DESCRIPTION"))
        if d.acts:
            body.append((f"{self.kw('ACTS')} {self.names(d.acts)}", d.acts[0]))
        self.block(out, depth, self._opening("POWER", d), d, body)

    def _Repeal(self, out: list[_Line], depth: int, d: A.Repeal) -> None:
        text = (f"{self.kw('REPEAL')} {self.kw(d.kind)} {format_name(d.name)}"
                f"{self.basis(d.basis)}")
        out.append(_Line(depth, text, _line_of(d), d.span.col - 1))

    def _UnitDecl(self, out: list[_Line], depth: int, d: A.UnitDecl) -> None:
        body = [
            (f"{self.kw(terminal)} {format_name(value)}", value)
            for terminal, value in (
                ("PARENT", d.parent),
                ("CHIEF_LEADER", d.chief_leader),
                ("DEPUTY_LEADER", d.deputy_leader),
            )
            if value is not None
        ]
        self.block(out, depth, self._opening("UNIT", d), d, body)  # type: ignore[arg-type]

    def _PostDecl(self, out: list[_Line], depth: int, d: A.PostDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.unit is not None:
            body.append((f"{self.kw('BELONGS_TO')} {format_name(d.unit)}", d.unit))
        if d.powers:
            body.append((f"{self.kw('HOLDS')} {self.names(d.powers)}", d.powers[0]))
        if d.deputy_leader is not None:
            body.append(
                (f"{self.kw('DEPUTY_LEADER')} {format_name(d.deputy_leader)}", d.deputy_leader)
            )
        if d.covers is not None:
            text = f"{self.kw('COVERS')} {format_name(d.covers.principal)}"
            if d.covers.powers:
                text += f" ({self.names(d.covers.powers)})"
            body.append((text, d.covers))
        self.block(out, depth, self._opening("POST", d), d, body)

    def limit(self, terminal: str, limit: A.Limit) -> tuple[str, A.Node]:
        return (f"{self.kw(terminal)} {self.duration(limit.duration)}{self.basis(limit.basis)}",
                limit)

    def extension(self, e: A.Extension) -> tuple[str, A.Node]:
        text = (f"{self.kw('EXTENSION')} {self.duration(e.duration)} {self.kw('APPROVED_BY')} "
                f"{format_name(e.approved_by)}{self.basis(e.basis)}")
        return (text, e)

    def _ItemDecl(self, out: list[_Line], depth: int, d: A.ItemDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.title is not None:
            body.append((f"{self.kw('TITLE')} {format_string(d.title)}", "TITLE"))
        for terminal, value in (("UNIT", d.unit), ("CALENDAR", d.calendar),
                                ("PROCESS", d.process)):
            if value is not None:
                body.append((f"{self.kw(terminal)} {format_name(value)}", value))
        if d.statutory is not None:
            body.append(self.limit("STATUTORY_LIMIT", d.statutory))
        if d.promised is not None:
            body.append(self.limit("PROMISED_LIMIT", d.promised))
        if d.extension is not None:
            body.append(self.extension(d.extension))
        if d.correction is not None:
            c = d.correction
            once = f" {self.kw('ONCE')}" if c.once else ""
            body.append((f"{self.kw('CORRECTIONS')} {self.duration(c.within)}{once}"
                         f"{self.basis(c.basis)}", c))
        if d.suspension is not None:
            s = d.suspension
            body.append((f"{self.kw('SUSPEND_ON')} {self.names(s.reasons)}{self.basis(s.basis)}",
                          s))
        for w in d.warnings:
            body.append((self.warning(w), w))
        extra = f" {self.kw('EXTENDS')} {format_name(d.base)}" if d.base is not None else ""
        self.block(out, depth, self._opening("ITEM", d, extra), d, body)

    def warning(self, w: A.WarningRule) -> str:
        level = self.kw(_LEVEL_TERMINALS[w.level])
        if w.trigger is A.TriggerKind.BEFORE and w.duration is not None:
            text = f"{level} {self.kw('BEFORE')} {self.duration(w.duration)}"
        elif w.trigger is A.TriggerKind.AT_PERCENT and w.percent is not None:
            text = f"{level} {self.kw('AT')} {_number(w.percent)}%"
        else:
            text = f"{level} {self.kw('OVERDUE')}"
            if w.duration is not None:
                text += f" {self.duration(w.duration)}"
        return text + self.basis(w.basis)

    def _ProcessDecl(self, out: list[_Line], depth: int, d: A.ProcessDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.limit is not None:
            body.append(self.limit("OVERALL_LIMIT", d.limit))
        if d.extension is not None:
            body.append(self.extension(d.extension))
        if d.calendar is not None:
            body.append((f"{self.kw('CALENDAR')} {format_name(d.calendar)}", d.calendar))
        self.block(out, depth, self._opening("PROCESS", d), d, body, list(d.steps))

    def _StepDecl(self, out: list[_Line], depth: int, d: A.StepDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.units:
            body.append((f"{self.kw('UNIT')} {self.names(d.units)}", d.units[0]))
        if d.post is not None:
            body.append((f"{self.kw('POST')} {format_name(d.post)}", d.post))
        if d.limit is not None:
            body.append(self.limit("LIMIT", d.limit))
        if d.after:
            body.append((f"{self.kw('AFTER')} {self.names(d.after)}", d.after[0]))
        self.block(out, depth, self._opening("STEP", d), d, body)

    def _CountersignDecl(self, out: list[_Line], depth: int, d: A.CountersignDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.units:
            body.append((f"{self.kw('UNIT')} {self.names(d.units)}", d.units[0]))
        if d.reply_within is not None:
            body.append(self.limit("REPLY_WITHIN", d.reply_within))
        silence = "CONSENT" if d.silence is A.Silence.CONSENT else "FAILURE"
        body.append((f"{self.kw('SILENCE')} {self.kw(silence)}", "SILENCE"))
        if d.after:
            body.append((f"{self.kw('AFTER')} {self.names(d.after)}", d.after[0]))
        self.block(out, depth, self._opening("COUNTERSIGN", d), d, body)

    def _ViolationDecl(self, out: list[_Line], depth: int, d: A.ViolationDecl) -> None:
        body: list[tuple[str, _Where]] = []
        scope = self.kw(_SCOPE_TERMINALS[d.scope])
        if d.scope is A.Scope.TARGET and d.target is not None:
            scope += f" {format_name(d.target)}"
        if d.scope is not A.Scope.TARGET or d.target is not None:
            body.append((f"{self.kw('ON')} {scope}", d.target or "ON"))
        if d.items:
            body.append((f"{self.kw('ITEM')} {self.names(d.items)}", d.items[0]))
        if d.condition is not None:
            body.append((f"{self.kw('WHEN')} {self.expr(d.condition)}", d.condition))
        if d.responsible:
            body.append((f"{self.kw('RESPONSIBLE')} {self.responsibilities(d.responsible)}",
                         "RESPONSIBLE"))
        if d.ladder is not None:
            body.append((f"{self.kw('LADDER')} {format_name(d.ladder)}", d.ladder))
        self.block(out, depth, self._opening("VIOLATION", d), d, body)

    def _LadderDecl(self, out: list[_Line], depth: int, d: A.LadderDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.window is not None:
            if d.window.kind is A.WindowKind.CALENDAR_YEAR:
                text = f"{self.kw('COUNT_WINDOW')} {self.kw('CALENDAR_YEAR')}"
            else:
                text = (f"{self.kw('COUNT_WINDOW')} {self.kw('ROLLING')} "
                        f"{self.counted('MONTHS', d.window.months or 0)}")
            body.append((text, d.window))
        if d.levels:
            body.append((f"{self.kw('LEVELS')} {self.names(d.levels)}", d.levels[0]))
        for e in d.escalations:
            space = "" if self.lang == "zh" else " "  # 第 3 次及以上 / upon 3 offences or more
            more = f"{space}{self.kw('OR_MORE')}" if e.or_more else ""
            text = (f"{self.kw('NTH')} {self.counted('TIMES', e.count)}{more} "
                    f"{format_name(e.sanction)}")
            body.append((text, e))
        for terminal, circumstances in (("AGGRAVATING", d.aggravating),
                                        ("MITIGATING", d.mitigating)):
            for c in circumstances:
                body.append((f"{self.kw(terminal)} {format_name(c.name)} {self.adjust(c)}", c))
        if d.exemptions:
            body.append((f"{self.kw('EXEMPT')} {self.names(d.exemptions)}", d.exemptions[0]))
        for c in d.consequences:
            cumulative = (f" {self.kw('CUMULATIVE')} {self.counted('TIMES', c.cumulative)}"
                          if c.cumulative != 1 else "")
            body.append((f"{self.kw('CONSEQUENCE')} {format_name(c.sanction)}{cumulative} "
                         f"{format_string(c.text)}", c))
        for j in d.joint:
            body.append((f"{self.kw('JOINT')} {self.kw('NTH')} {self.counted('TIMES', j.count)} "
                         f"{self.roles(j.roles)} {format_name(j.sanction)}", j))
        self.block(out, depth, self._opening("LADDER", d), d, body)

    def adjust(self, c: A.Circumstance) -> str:
        if c.kind is A.AdjustKind.TO:
            return f"{self.kw('TO')} {format_name(c.sanction or A.Name(''))}"
        terminal = "UP" if c.kind is A.AdjustKind.UP else "DOWN"
        return f"{self.kw(terminal)} {self.counted('GRADE', c.steps)}"

    def _TargetDecl(self, out: list[_Line], depth: int, d: A.TargetDecl) -> None:
        body: list[tuple[str, _Where]] = []
        if d.metric is not None and d.threshold is not None:
            body.append((f"{self.kw('METRIC')} {format_name(d.metric)} {d.op.value} "
                         f"{_number(d.threshold.value)}%", d.metric))
        body.append((f"{self.kw('PERIOD')} {self.kw(_PERIOD_TERMINALS[d.period])}", "PERIOD"))
        if d.units:
            body.append((f"{self.kw('UNIT')} {self.names(d.units)}", d.units[0]))
        self.block(out, depth, self._opening("TARGET", d), d, body)


# English singular spellings the keyword table accepts as well (``1 workday``, ``1 offence``)
_SINGULAR = {"WORKDAYS": "workday", "DAYS": "day", "TIMES": "offence", "MONTHS": "month",
             "GRADE": "step"}

_PARTY_TERMINALS = {
    A.PartyBase.DIRECT: "DIRECT", A.PartyBase.REVIEWER: "REVIEWER",
    A.PartyBase.RECEIVER: "RECEIVER", A.PartyBase.ACCEPTOR: "ACCEPTOR",
    A.PartyBase.CORRECTION_NOTIFIER: "CORRECTION_NOTIFIER", A.PartyBase.SUSPENDER: "SUSPENDER",
    A.PartyBase.EXTENSION_APPROVER: "EXTENSION_APPROVER", A.PartyBase.DECIDER: "DECIDER",
    A.PartyBase.DELIVERER: "DELIVERER", A.PartyBase.REFERRER: "REFERRER",
    A.PartyBase.STEP_HANDLER: "STEP_HANDLER", A.PartyBase.COUNTERSIGN_UNIT: "COUNTERSIGN_UNIT",
    A.PartyBase.COUNTERSIGN_REQUESTER: "COUNTERSIGN_REQUESTER",
    A.PartyBase.COMPLAINED_OF: "COMPLAINED_OF",
}
_LEADER_TERMINALS = {A.Leader.DEPUTY: "DEPUTY_LEADER", A.Leader.CHIEF: "CHIEF_LEADER",
                     A.Leader.BODY: "LEADERSHIP_BODY"}
_DEGREE_TERMINALS = {
    A.Degree.DIRECT: "DEGREE_DIRECT", A.Degree.PRIMARY_LEADERSHIP: "DEGREE_PRIMARY",
    A.Degree.IMPORTANT_LEADERSHIP: "DEGREE_IMPORTANT",
    A.Degree.OVERALL_LEADERSHIP: "DEGREE_OVERALL",
}
_ROLE_TERMINALS = {
    A.Role.DIRECT: "DIRECT",
    A.Role.REVIEWER: "REVIEWER",
    A.Role.APPROVER: "APPROVER",
    A.Role.DEPUTY_LEADER: "DEPUTY_LEADER",
    A.Role.CHIEF_LEADER: "CHIEF_LEADER",
}
_LEVEL_TERMINALS = {
    A.WarningLevel.NOTICE: "NOTICE",
    A.WarningLevel.YELLOW: "YELLOW",
    A.WarningLevel.RED: "RED",
}
_SCOPE_TERMINALS = {
    A.Scope.CASE: "CASE",
    A.Scope.STEP: "STEP",
    A.Scope.COUNTERSIGN: "COUNTERSIGN",
    A.Scope.TARGET: "TARGET",
}
_PERIOD_TERMINALS = {A.Period.MONTH: "MONTH", A.Period.QUARTER: "QUARTER",
                     A.Period.HALF_YEAR: "HALF_YEAR", A.Period.YEAR: "YEAR"}


def _line_of(node: A.Node | None) -> int | None:
    if node is None or not node.span.line:
        return None
    return node.span.line


# --------------------------------------------------------------------------- comments

def _mask(source: str, fill: str = " ") -> str:
    """``source`` with its strings, 「names」 and comments (what is not keywords) filled in."""
    parts = []
    last = 0
    for start, end, _comment in quoted_and_comments(source):
        parts += [source[last:start], fill * (end - start)]
        last = end
    parts.append(source[last:])
    return "".join(parts)


def _keyword_pattern(terminal: str) -> re.Pattern[str]:
    zh, en = KEYWORDS[terminal]
    alternatives = [re.escape(w) for w in zh]
    alternatives += [
        r"(?<![A-Za-z0-9_])" + r"\s+".join(re.escape(p) for p in w.split(" "))
        + r"(?![A-Za-z0-9_])"
        for w in en
    ]
    return re.compile("|".join(alternatives))


def _locate_keywords(lines: list[_Line], source: str) -> None:
    """Give the lines printed from span-less properties the source line of their keyword: the
    first occurrence, outside strings, names and comments, inside their declaration."""
    masked = _mask(source)
    for line in lines:
        if line.keyword is None or line.region is None:
            continue
        start, end = line.region
        m = _keyword_pattern(line.keyword).search(masked, start, end)
        if m is None:
            continue
        line.anchor = source.count("\n", 0, m.start()) + 1
        line.col = m.start() - (source.rfind("\n", 0, m.start()) + 1) + 1


def _attach_comments(lines: list[_Line], comments: tuple[A.Comment, ...]) -> list[_Line]:
    """Put every comment back. A trailing comment (an element starts, or a block closes, before it
    on its source line) goes after the last printed line of that element; any other comment above
    the element that follows it in the source (the smallest source line at or after the
    comment's), or at the end of the file."""
    if not comments:
        return lines
    above: dict[int, list[A.Comment]] = {}
    at_end: list[str] = []
    anchored = sorted(
        (line.anchor, index) for index, line in enumerate(lines) if line.anchor is not None
    )
    for comment in sorted(comments, key=lambda c: (c.span.line, c.span.col)):
        text = comment.text.rstrip()
        before = [
            index
            for anchor, index in anchored
            if anchor == comment.span.line and lines[index].col < comment.span.col
        ]
        if before:
            target = lines[max(before)]
            target.trailing = f"{target.trailing} {text}" if target.trailing else text
            continue
        following = [index for anchor, index in anchored if anchor >= comment.span.line]
        if following:
            # the element with the nearest source line; among equals, the first printed
            best = min(following, key=lambda i: (lines[i].anchor, i))
            above.setdefault(best, []).append(comment)
        else:
            at_end.append(text)
    result: list[_Line] = []
    for index, line in enumerate(lines):
        group = above.get(index, [])
        for i, comment in enumerate(group):
            result.append(
                _Line(line.depth + (1 if line.closing else 0), comment.text.rstrip(), None)
            )
            # between top-level declarations a blank line after a comment is kept (one at most):
            # section headings stay apart from the declaration below them
            following = group[i + 1].span.line if i + 1 < len(group) else line.anchor
            if line.depth == 0 and following and following > comment.span.line + 1:
                result.append(_Line(0, "", None))
        result.append(line)
    if at_end:
        result.append(_Line(0, "", None))
        result.extend(_Line(0, text, None) for text in at_end)
    return result


WRAP_CHARS = 100  # the pieces of a statement too long for one line (MAX_LINE_CHARS)


def _wrapped(line: _Line) -> list[_Line]:
    """A statement longer than the parser takes on one line (a condition of thousands of
    operands), broken at spaces between tokens (whitespace, newlines too, separates tokens
    alike), the pieces after the first indented one level more."""
    if len(INDENT * line.depth + line.text) + len(line.trailing or "") + 2 <= MAX_LINE_CHARS:
        return [line]
    masked = _mask(line.text, "x")
    pieces: list[str] = []
    start = 0
    while len(line.text) - start > WRAP_CHARS:
        cut = masked.rfind(" ", start + 1, start + WRAP_CHARS)
        if cut < 0:
            cut = masked.find(" ", start + WRAP_CHARS)
            if cut < 0:
                break
        pieces.append(line.text[start:cut])
        start = cut + 1
    pieces.append(line.text[start:])
    out = [_Line(line.depth, pieces[0], None)]
    out += [_Line(line.depth + 1, piece, None) for piece in pieces[1:]]
    out[-1].trailing = line.trailing
    return out


def _render(lines: list[_Line]) -> str:
    text = []
    for line in (piece for whole in lines for piece in _wrapped(whole)):
        body = line.text
        if line.trailing:
            body = f"{body}  {line.trailing}" if body else line.trailing
        text.append(f"{INDENT * line.depth}{body}".rstrip() if body else "")
    return "\n".join(text).rstrip("\n") + "\n"


def format_declaration(decl: A.Node, lang: str = "zh") -> str:
    """The canonical text of one top-level declaration (no comments), as ``wenze fmt`` prints it."""
    lines: list[_Line] = []
    _Printer(lang).decl(lines, 0, decl)
    return _render(lines)


def format_expr(expr: A.Expr, lang: str = "zh") -> str:
    """The canonical text of a condition."""
    return _Printer(lang).expr(expr)


def format_duration(duration: A.Duration, lang: str = "zh") -> str:
    """``12 工作日`` / ``12 working days``."""
    return _Printer(lang).duration(duration)


def format_basis(citations: tuple[A.Citation, ...], lang: str = "zh") -> str:
    """`` 依据 「文件」 "条款"`` for each citation (with a leading space), or ``""``."""
    return _Printer(lang).basis(citations).strip()


def format_roles(roles: tuple[A.Role, ...], lang: str = "zh") -> str:
    """The role keywords of a ``责任`` list, joined."""
    return _Printer(lang).roles(roles)


__all__ = [
    "format_basis",
    "format_declaration",
    "format_duration",
    "format_expr",
    "format_name",
    "format_roles",
    "format_rulebook",
    "format_string",
    "format_text",
    "try_format_text",
]
