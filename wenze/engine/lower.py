"""The reference judge: lowering — the checked AST rulebook → an immutable evaluation program.

text → parse → AST → checks → **lowered program** → evaluate → decisions.

The :class:`Program` holds everything the evaluator needs, by name, in plain frozen records: items
(limits, extension power, correction window, suspension reasons, warnings, process), processes
(steps and countersigns with prerequisites and limits), posts, units, violations (their conditions
compiled to Python closures over a facts mapping, with the facts each one reads), ladders (kept as
AST declarations for :mod:`wenze.engine.ladder`), targets and documents (for citations).

Each calendar is built once per program (:class:`~wenze.dsl.calendar.WorkCalendar` keeps a
cumulative table of counted days, so a deadline is a couple of list look-ups); ``explain`` asks
the same calendar for its day-by-day :class:`~wenze.dsl.calendar.DeadlineTrace`.

One module on purpose (~700 lines): lowering is one walk of the checked AST into the program's
frozen records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl import calendar as C
from wenze.dsl import facts as F
from wenze.dsl.facts import lookup as lookup_fact

# The power a decision needs, if the rulebook declares a power of this name (docs/semantics.md).
DECIDING_POWERS = F.DECIDING_POWERS
# Art. 44: the licence is issued and delivered within 10 days of the decision.
DELIVERY_LIMIT = A.Duration(10, A.DayKind.WORKING)
STATUTORY_CALENDAR = "法定工作日"


# --------------------------------------------------------------------------- citations


@dataclass(frozen=True)
class Basis:
    """One legal basis of a rule: the rule, the document (name, 文号, title) and the clause."""

    rule: str
    document: str
    number: str | None
    title: str | None
    clause: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "document": self.document,
            "number": self.number,
            "title": self.title,
            "clause": self.clause,
        }


# --------------------------------------------------------------------------- calendars


_ONE_DAY = dt.timedelta(days=1)


class DayIndex:
    """Counting in one calendar and day kind, as flat tables: ``cum[i]`` = counted days among the
    calendar's first ``i`` known days, ``pos`` = indices of the counted days. Same rules as
    :class:`~wenze.dsl.calendar.WorkCalendar` (``count_days``/``deadline``; a test holds the two
    equal), without per-call overhead. Dates outside the calendar's known years raise
    :class:`~wenze.dsl.calendar.CalendarRangeError` — never a guess."""

    def __init__(self, calendar: C.WorkCalendar, unit: A.DayKind):
        self.calendar = calendar
        self.unit = unit
        self.first: dt.date = calendar.first_date
        self.last: dt.date = calendar.last_date
        self.base = self.first.toordinal()
        self.size = self.last.toordinal() - self.base + 1
        cum = [0] * (self.size + 1)
        pos: list[int] = []
        total = 0
        natural = unit is A.DayKind.NATURAL
        day = self.first
        one = dt.timedelta(days=1)
        for i in range(self.size):
            if natural or calendar.is_workday(day):
                total += 1
                pos.append(i)
            cum[i + 1] = total
            day += one
        self.cum = cum
        self.pos = pos

    def _i(self, day: dt.date) -> int:
        i = day.toordinal() - self.base
        if i < 0 or i >= self.size:
            raise C.CalendarRangeError(day, self.first, self.last)
        return i

    def between(self, start: dt.date, end: dt.date) -> int:
        """Counted days after ``start`` up to and including ``end`` (0 when end <= start)."""
        base, size = self.base, self.size
        i = start.toordinal() - base
        if i < 0 or i >= size:
            raise C.CalendarRangeError(start, self.first, self.last)
        if end <= start:
            return 0
        j = end.toordinal() - base
        if j >= size:
            raise C.CalendarRangeError(end, self.first, self.last)
        return self.cum[j + 1] - self.cum[i + 1]

    def count(
        self, start: dt.date, end: dt.date, suspended: Sequence[tuple[dt.date, dt.date]] = ()
    ) -> int:
        n = self.between(start, end)
        for a, b in suspended:
            lo = max(a - _ONE_DAY, start)
            hi = min(b, end)
            if hi > lo:
                n -= self.between(lo, hi)
        return n

    def _kth(self, i: int, k: int, start: dt.date) -> int:
        p = self.cum[i + 1] + k - 1
        if p >= len(self.pos):
            raise C.CalendarRangeError(
                self.last + dt.timedelta(days=1), self.first, self.last,
                f"the deadline of a period starting {start.isoformat()}: date after")
        return self.pos[p]

    def deadline(
        self, start: dt.date, amount: int, suspended: Sequence[tuple[dt.date, dt.date]] = ()
    ) -> dt.date:
        """The day on which the ``amount``-th counted day after ``start`` falls (suspended days,
        sorted merged inclusive ranges, not counted)."""
        i = start.toordinal() - self.base
        if i < 0 or i >= self.size:
            raise C.CalendarRangeError(start, self.first, self.last)
        if amount <= 0:
            return start
        p = self.cum[i + 1] + amount - 1
        j = self.pos[p] if p < len(self.pos) else self._kth(i, amount, start)
        if suspended:
            extra = 0
            for a, b in suspended:
                ai = max(a.toordinal() - self.base, i + 1)
                bi = b.toordinal() - self.base
                if bi < ai:
                    continue
                if ai > j:
                    break
                if bi >= self.size:
                    raise C.CalendarRangeError(b, self.first, self.last, "suspension reaching")
                extra += self.cum[bi + 1] - self.cum[ai]
                j = self._kth(i, amount + extra, start)
        return dt.date.fromordinal(self.base + j)


@dataclass(frozen=True)
class CalendarIR:
    name: str
    calendar: C.WorkCalendar
    working: DayIndex
    natural: DayIndex

    def index(self, unit: A.DayKind) -> DayIndex:
        return self.working if unit is A.DayKind.WORKING else self.natural


def build_calendar(decl: A.CalendarDecl | None,
                   declared: tuple[C.DeclaredYear, ...] = ()) -> CalendarIR:
    """A calendar of the program; ``declared`` are the rulebook's holiday schedules
    (``节假日安排``), which extend the statutory base of every calendar built on it."""
    if decl is not None:
        calendar = C.WorkCalendar.from_decl(decl, declared)
    else:
        calendar = C.WorkCalendar.statutory(declared)
    name = decl.name.text if decl is not None else STATUTORY_CALENDAR
    return CalendarIR(
        name, calendar, DayIndex(calendar, A.DayKind.WORKING), DayIndex(calendar, A.DayKind.NATURAL)
    )


# --------------------------------------------------------------------------- items, processes


@dataclass(frozen=True)
class WarningIR:
    level: A.WarningLevel
    trigger: A.TriggerKind
    amount: int  # days for BEFORE/OVERDUE
    unit: A.DayKind
    percent: Decimal | None


@dataclass(frozen=True)
class StepIR:
    name: str
    kind: str  # "step" | "countersign"
    units: tuple[str, ...]
    post: str | None
    limit: A.Duration | None  # step limit, or the countersign's reply limit
    after: tuple[str, ...]
    silence: A.Silence | None
    basis: tuple[Basis, ...]


@dataclass(frozen=True)
class ProcessIR:
    name: str
    limit: A.Duration | None
    extension: A.Duration | None
    extension_power: str | None
    calendar: str | None
    steps: Mapping[str, StepIR]
    order: tuple[str, ...]  # declaration order
    basis: tuple[Basis, ...]


@dataclass(frozen=True)
class ItemIR:
    name: str
    unit: str | None
    calendar: str
    process: str | None
    statutory: A.Duration | None
    statutory_basis: tuple[Basis, ...]
    promised: A.Duration | None
    promised_basis: tuple[Basis, ...]
    extension: A.Duration | None
    extension_power: str | None
    correction_within: A.Duration | None
    correction_once: bool
    suspension_reasons: frozenset[str]
    warnings: tuple[WarningIR, ...]
    basis: tuple[Basis, ...]
    title: str | None = None  # the item's full title (标题)


@dataclass(frozen=True)
class PostIR:
    name: str
    unit: str | None
    powers: frozenset[str]
    deputy_leader: str | None
    covers: str | None  # the A post this B post covers
    cover_powers: frozenset[str] | None  # None: all of A's powers


@dataclass(frozen=True)
class UnitIR:
    name: str
    parent: str | None
    chief_leader: str | None
    deputy_leader: str | None


# --------------------------------------------------------------------------- violations

Condition = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class ViolationIR:
    name: str
    scope: A.Scope
    target: str | None
    items: frozenset[str]  # empty: every item
    condition: Condition
    source: str  # the condition as text, for traces
    facts: tuple[str, ...]  # fact keys the condition reads, in first-use order
    responsible: tuple[A.Responsibility, ...]
    ladder: str | None
    basis: tuple[Basis, ...]
    needs_parent: bool = False  # a step/countersign condition that reads case facts

    def applies_to(self, item: str) -> bool:
        return not self.items or item in self.items


@dataclass(frozen=True)
class TargetIR:
    name: str
    metric: str  # fact key (on_time_rate, on_the_spot_rate, …)
    op: A.CompareOp
    threshold: Decimal
    period: A.Period
    units: frozenset[str]
    basis: tuple[Basis, ...]


@dataclass(frozen=True)
class DocumentIR:
    name: str
    number: str | None
    title: str | None


@dataclass(frozen=True)
class Program:
    name: str
    version: str | None
    documents: Mapping[str, DocumentIR]
    calendars: Mapping[str, CalendarIR]
    powers: frozenset[str]
    units: Mapping[str, UnitIR]
    posts: Mapping[str, PostIR]
    items: Mapping[str, ItemIR]
    processes: Mapping[str, ProcessIR]
    violations: tuple[ViolationIR, ...]
    ladders: Mapping[str, A.LadderDecl]
    targets: Mapping[str, TargetIR]
    deciding_power: str | None
    rulebook: A.Rulebook = field(compare=False, repr=False)
    # event type → the powers the rulebook requires for that act (职权 … 行为), in name order
    act_powers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def calendar_of(self, item: ItemIR) -> CalendarIR:
        return self.calendars[item.calendar]


# --------------------------------------------------------------------------- compiling conditions


class ConditionError(ValueError):
    pass


def _value(expr: A.Expr, facts: list[str]) -> Callable[[Mapping[str, Any]], Any]:
    if isinstance(expr, A.FactRef):
        fact = lookup_fact(expr.name.text)
        if fact is None:
            raise ConditionError(f"unknown fact `{expr.name.text}`")
        key = fact.key
        if key not in facts:
            facts.append(key)
        return lambda env: env.get(key)
    if isinstance(expr, A.NumberLit):
        v = expr.value
        return lambda env: v
    if isinstance(expr, A.PercentLit):
        p = expr.value
        return lambda env: p
    if isinstance(expr, A.DurationLit):
        d = Decimal(expr.duration.amount)
        return lambda env: d
    if isinstance(expr, A.BoolLit):
        b = expr.value
        return lambda env: b
    if isinstance(expr, A.StringLit):
        s = expr.value
        return lambda env: s
    test = _test(expr, facts)
    return test


OPS: dict[A.CompareOp, Callable[[Any, Any], bool]] = {
    A.CompareOp.LT: lambda a, b: a < b,
    A.CompareOp.LE: lambda a, b: a <= b,
    A.CompareOp.GT: lambda a, b: a > b,
    A.CompareOp.GE: lambda a, b: a >= b,
    A.CompareOp.EQ: lambda a, b: a == b,
    A.CompareOp.NE: lambda a, b: a != b,
}


def _test(expr: A.Expr, facts: list[str]) -> Condition:
    if isinstance(expr, A.And):
        parts = [_test(e, facts) for e in expr.operands]
        return lambda env: all(p(env) for p in parts)
    if isinstance(expr, A.Or):
        parts = [_test(e, facts) for e in expr.operands]
        return lambda env: any(p(env) for p in parts)
    if isinstance(expr, A.Not):
        inner = _test(expr.operand, facts)
        return lambda env: not inner(env)
    if isinstance(expr, A.Compare):
        left = _value(expr.left, facts)
        right = _value(expr.right, facts)
        op = OPS[expr.op]

        def compare(env: Mapping[str, Any]) -> bool:
            a, b = left(env), right(env)
            if a is None or b is None:  # a fact without a value (e.g. a rate of no cases)
                return False
            if isinstance(a, bool) and not isinstance(b, bool):
                a = int(a)
            if isinstance(b, bool) and not isinstance(a, bool):
                b = int(b)
            if isinstance(a, str) != isinstance(b, str):
                return op is OPS[A.CompareOp.NE]
            return bool(op(a, b))

        return compare
    value = _value(expr, facts) if not isinstance(expr, A.Compare) else None
    assert value is not None
    return lambda env: bool(value(env))


def compile_condition(expr: A.Expr | None) -> tuple[Condition, tuple[str, ...]]:
    """A condition as a function of a facts mapping, and the fact keys it reads.

    Conditions made only of facts, numbers, percentages, durations and booleans are generated as
    one Python expression (a single function call per check); others use composed closures. Both
    give the same answers: a fact without a value (None) makes its comparison false."""
    if expr is None:
        return (lambda env: False), ()
    facts: list[str] = []
    closure = _test(expr, facts)
    try:
        source = _py(expr, [0])
    except _NotSimple:
        return closure, tuple(facts)
    code = f"lambda env: {source}"
    # generated from the AST only (fact keys from the vocabulary, numbers): no user text
    fast = eval(code, {"__builtins__": {}, "_D": Decimal}, {})
    return fast, tuple(facts)


class _NotSimple(Exception):
    pass


_PY_OPS = {A.CompareOp.LT: "<", A.CompareOp.LE: "<=", A.CompareOp.GT: ">", A.CompareOp.GE: ">=",
           A.CompareOp.EQ: "==", A.CompareOp.NE: "!="}


def _py_value(expr: A.Expr, n: list[int]) -> tuple[str, str | None]:
    """(the Python text of a value, the walrus variable holding a fact or None)."""
    if isinstance(expr, A.FactRef):
        fact = lookup_fact(expr.name.text)
        if fact is None:
            raise _NotSimple
        n[0] += 1
        var = f"v{n[0]}"
        return f"({var} := env.get({fact.key!r}))", var
    if isinstance(expr, A.NumberLit | A.PercentLit):
        value = expr.value
        if value == value.to_integral_value():
            return str(int(value)), None
        return f"_D({str(value)!r})", None  # exact decimal, as the closures compare
    if isinstance(expr, A.DurationLit):
        return str(expr.duration.amount), None
    if isinstance(expr, A.BoolLit):
        return ("True" if expr.value else "False"), None
    raise _NotSimple


def _py(expr: A.Expr, n: list[int]) -> str:
    if isinstance(expr, A.And):
        return "(" + " and ".join(_py(e, n) for e in expr.operands) + ")"
    if isinstance(expr, A.Or):
        return "(" + " or ".join(_py(e, n) for e in expr.operands) + ")"
    if isinstance(expr, A.Not):
        return f"(not {_py(expr.operand, n)})"
    if isinstance(expr, A.Compare):
        left, lvar = _py_value(expr.left, n)
        right, rvar = _py_value(expr.right, n)
        op = _PY_OPS[expr.op]
        if lvar is not None and rvar is not None:
            return f"({left} is not None and {right} is not None and {lvar} {op} {rvar})"
        if lvar is not None:
            return f"({left} is not None and {lvar} {op} {right})"
        if rvar is not None:
            return f"({right} is not None and {left} {op} {rvar})"
        return f"({left} {_PY_OPS[expr.op]} {right})"
    if isinstance(expr, A.FactRef):
        text, _ = _py_value(expr, n)
        return f"(not not {text})"
    if isinstance(expr, A.BoolLit):
        return "True" if expr.value else "False"
    raise _NotSimple


def expr_text(expr: A.Expr | None) -> str:
    if expr is None:
        return ""
    if isinstance(expr, A.FactRef):
        return f"「{expr.name.text}」" if not expr.name.text.isascii() else expr.name.text
    if isinstance(expr, A.NumberLit):
        return str(expr.value)
    if isinstance(expr, A.PercentLit):
        return f"{expr.value}%"
    if isinstance(expr, A.DurationLit):
        unit = "工作日" if expr.duration.unit is A.DayKind.WORKING else "自然日"
        return f"{expr.duration.amount} {unit}"
    if isinstance(expr, A.BoolLit):
        return "是" if expr.value else "否"
    if isinstance(expr, A.StringLit):
        return f'"{expr.value}"'
    if isinstance(expr, A.Compare):
        return f"{expr_text(expr.left)} {expr.op.value} {expr_text(expr.right)}"
    if isinstance(expr, A.And):
        return " 且 ".join(_paren(e) for e in expr.operands)
    if isinstance(expr, A.Or):
        return " 或 ".join(_paren(e) for e in expr.operands)
    if isinstance(expr, A.Not):
        return "非 " + _paren(expr.operand)
    return repr(expr)


def _paren(expr: A.Expr) -> str:
    text = expr_text(expr)
    return f"({text})" if isinstance(expr, A.And | A.Or) else text


# --------------------------------------------------------------------------- lowering


def bases_of(rule: str, citations: Sequence[A.Citation], docs: Mapping[str, DocumentIR]) -> tuple[
    Basis, ...
]:
    out = []
    for c in citations:
        doc = docs.get(c.document.text)
        out.append(
            Basis(rule, c.document.text, doc.number if doc else None, doc.title if doc else None,
                  c.clause)
        )
    return tuple(out)


def _warning(w: A.WarningRule) -> WarningIR:
    d = w.duration
    return WarningIR(
        w.level, w.trigger, d.amount if d else 0, d.unit if d else A.DayKind.WORKING, w.percent
    )


def lower(rulebook: A.Rulebook) -> Program:
    """Lower a checked (merged) rulebook. The rulebook is assumed to have passed its checks;
    references that do not resolve are lowered as absent rather than guessed."""
    docs = {
        d.name.text: DocumentIR(d.name.text, d.number, d.title)
        for d in rulebook.named(A.DocumentDecl).values()
        if isinstance(d, A.DocumentDecl)
    }
    cal_decls = {n: d for n, d in rulebook.named(A.CalendarDecl).items()}
    declared = C.declared_years_of(rulebook)
    calendars: dict[str, CalendarIR] = {}
    for name, decl in sorted(cal_decls.items()):
        assert isinstance(decl, A.CalendarDecl)
        calendars[name] = build_calendar(decl, declared)
    default_calendar: CalendarIR | None = None

    def calendar_name(name: A.Name | None) -> str:
        nonlocal default_calendar
        if name is not None and name.text in calendars:
            return name.text
        if default_calendar is None:
            default_calendar = build_calendar(None, declared)
            if default_calendar.name not in calendars:
                calendars[default_calendar.name] = default_calendar
        return default_calendar.name if default_calendar.name in calendars else STATUTORY_CALENDAR

    powers = frozenset(rulebook.named(A.PowerDecl))
    units = {}
    for name, u in rulebook.named(A.UnitDecl).items():
        assert isinstance(u, A.UnitDecl)
        units[name] = UnitIR(
            name,
            u.parent.text if u.parent else None,
            u.chief_leader.text if u.chief_leader else None,
            u.deputy_leader.text if u.deputy_leader else None,
        )
    posts = {}
    for name, p in rulebook.named(A.PostDecl).items():
        assert isinstance(p, A.PostDecl)
        posts[name] = PostIR(
            name,
            p.unit.text if p.unit else None,
            frozenset(n.text for n in p.powers),
            p.deputy_leader.text if p.deputy_leader else None,
            p.covers.principal.text if p.covers else None,
            frozenset(n.text for n in p.covers.powers) if p.covers and p.covers.powers else None,
        )

    processes = {}
    for name, pd in rulebook.named(A.ProcessDecl).items():
        assert isinstance(pd, A.ProcessDecl)
        steps: dict[str, StepIR] = {}
        for s in pd.steps:
            if isinstance(s, A.StepDecl):
                steps[s.name.text] = StepIR(
                    s.name.text, "step", tuple(u.text for u in s.units),
                    s.post.text if s.post else None,
                    s.limit.duration if s.limit else None,
                    tuple(a.text for a in s.after), None,
                    bases_of(s.name.text, s.basis + (s.limit.basis if s.limit else ()), docs),
                )
            else:
                steps[s.name.text] = StepIR(
                    s.name.text, "countersign", tuple(u.text for u in s.units), None,
                    s.reply_within.duration if s.reply_within else None,
                    tuple(a.text for a in s.after), s.silence,
                    bases_of(s.name.text,
                             s.basis + (s.reply_within.basis if s.reply_within else ()), docs),
                )
        processes[name] = ProcessIR(
            name,
            pd.limit.duration if pd.limit else None,
            pd.extension.duration if pd.extension else None,
            pd.extension.approved_by.text if pd.extension else None,
            pd.calendar.text if pd.calendar else None,
            steps,
            tuple(steps),
            bases_of(name, pd.basis + (pd.limit.basis if pd.limit else ()), docs),
        )

    items = {}
    for name, it in rulebook.named(A.ItemDecl).items():
        assert isinstance(it, A.ItemDecl)
        process = processes.get(it.process.text) if it.process else None
        statutory = it.statutory.duration if it.statutory else None
        statutory_basis = it.statutory.basis if it.statutory else ()
        extension = it.extension
        ext_duration = extension.duration if extension else None
        ext_power = extension.approved_by.text if extension else None
        if statutory is None and process is not None and process.limit is not None:
            statutory = process.limit  # the process's overall limit stands in (semantics §2)
            statutory_basis = ()
            if ext_duration is None:
                ext_duration, ext_power = process.extension, process.extension_power
        cal = it.calendar or (
            A.Name(process.calendar) if process is not None and process.calendar else None
        )
        items[name] = ItemIR(
            name=name,
            unit=it.unit.text if it.unit else None,
            calendar=calendar_name(cal),
            process=it.process.text if it.process else None,
            statutory=statutory,
            statutory_basis=bases_of(name, statutory_basis, docs)
            or (process.basis if process is not None and it.statutory is None else ()),
            promised=it.promised.duration if it.promised else None,
            promised_basis=bases_of(name, it.promised.basis if it.promised else (), docs),
            extension=ext_duration,
            extension_power=ext_power,
            correction_within=it.correction.within if it.correction else None,
            correction_once=bool(it.correction and it.correction.once),
            suspension_reasons=frozenset(r.text for r in it.suspension.reasons)
            if it.suspension else frozenset(),
            warnings=tuple(_warning(w) for w in it.warnings),
            basis=bases_of(name, it.basis, docs),
            title=it.title,
        )

    default = rulebook.header.default_basis
    default_basis = (default,) if default is not None else ()
    violations = []
    for name, v in rulebook.named(A.ViolationDecl).items():
        assert isinstance(v, A.ViolationDecl)
        condition, used = compile_condition(v.condition)
        violations.append(
            ViolationIR(
                name=name,
                scope=v.scope,
                target=v.target.text if v.target else None,
                items=frozenset(i.text for i in v.items),
                condition=condition,
                source=expr_text(v.condition),
                facts=used,
                responsible=v.responsible or (A.Responsibility.of_role(A.Role.DIRECT),),
                ladder=v.ladder.text if v.ladder else None,
                # the rulebook's own 依据 when the violation cites none (its default basis)
                basis=bases_of(name, v.basis or default_basis, docs),
                needs_parent=v.scope in (A.Scope.STEP, A.Scope.COUNTERSIGN) and any(
                    (f := lookup_fact(k)) is not None and A.Scope.CASE in f.scopes
                    for k in used),
            )
        )

    targets = {}
    for name, t in rulebook.named(A.TargetDecl).items():
        assert isinstance(t, A.TargetDecl)
        fact = lookup_fact(t.metric.text) if t.metric else None
        targets[name] = TargetIR(
            name,
            fact.key if fact else (t.metric.text if t.metric else "on_time_rate"),
            t.op,
            t.threshold.value if t.threshold else Decimal(100),
            t.period,
            frozenset(u.text for u in t.units),
            bases_of(name, t.basis, docs),
        )

    ladders = {n: d for n, d in rulebook.named(A.LadderDecl).items()}
    deciding = next((p for p in DECIDING_POWERS if p in powers), None)
    act_powers: dict[str, list[str]] = {}
    for name, decl in sorted(rulebook.named(A.PowerDecl).items()):
        for act in getattr(decl, "acts", ()):
            etype = F.power_act(act.text)
            if etype is not None and name not in act_powers.setdefault(etype, []):
                act_powers[etype].append(name)
    h = rulebook.header
    return Program(
        name=h.name.text,
        version=h.version,
        documents=docs,
        calendars=calendars,
        powers=powers,
        units=units,
        posts=posts,
        items=items,
        processes=processes,
        violations=tuple(violations),
        ladders=ladders,  # type: ignore[arg-type]
        targets=targets,
        deciding_power=deciding,
        rulebook=rulebook,
        act_powers={t: tuple(ps) for t, ps in sorted(act_powers.items())},
    )
