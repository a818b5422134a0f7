"""The reference judge: the penalty ladder (问责阶梯) — offences in, sanctions out.

evaluate (offences) → **ladder** (this module, called by :mod:`wenze.engine.sanction`) →
decisions → output.

Pure and deterministic: no I/O, no clock, no randomness. The same ladder, offences and prior
sanctions in any order give an equal :class:`LadderOutcome`.

Semantics (the ladder is data — ``阶梯 NAME { … }`` in the rulebook — this module only reads it):

Order.
    Offences are processed in time order: by the date the violation was established
    (``Offence.on``), ties broken by ``Offence.order`` (the evaluator's: the time of the act
    behind the offence, the case, the violation, the subject, the person, the role), then by
    ``Offence.key``. Two offences with the same key are an error
    (:class:`LadderError`). The output lists one :class:`Sanction` per offence in that order.

Window (计次期间).
    The window of an offence dated D always ends on D (inclusive); sanctions dated after D never
    count. ``滚动 N 个月`` is (D − N months, D]: its first day is the day after D − N months, with
    month arithmetic clamped to the month end (2024-02-29 − 12 months = 2023-02-28). So an offence
    exactly 12 months after the previous one, or later, is the 1st again. ``自然年`` is
    [1 January of D's year, D]: the count restarts on 1 January. A ladder without a window counts
    every earlier sanction (the window has no first day, ``window[0] is None``).

Count and escalation (第 N 次).
    The ordinal of an offence is 1 + the number of sanctions of the same person inside its window:
    the prior sanctions given as input (:class:`PriorSanction`, from earlier runs; all of them are
    counted, whatever their level — the caller passes the ones that belong to this ladder) and the
    sanctions this run has already issued (an exempt offence issues none and so does not count
    toward later ones; joint sanctions given to leaders do not count either). Persons are counted
    across cases, violations and roles alike (``Offence.role`` does not change the count). Prior
    sanctions must not repeat this run's offences (the caller drops its own earlier decisions
    for the same offence keys), or they would be counted twice. The escalation row
    used is the one with the highest count ≤ the ordinal (an exact ``第 N 次`` row and a
    ``第 M 次及以上`` row with M ≤ N both qualify; on equal counts the exact row wins). When the
    ordinal is above every row (a ladder with 第1 and 第2 only, 3rd offence) this is the highest
    row, and the reason says so; when it is below every row (a ladder that starts at 第 2 次) the
    lowest row is used and the reason says so. A ladder without rows gives its first level.

Circumstances (从重 / 从轻 / 免责), from ``Offence.circumstances``.
    Exemption wins over everything: if any circumstance is a ``免责`` of the ladder, no sanction
    (``level is None``), ``exempt_by`` names the first such exemption in the ladder's order, and
    the offence does not count toward later ones. Otherwise: base level from the row → each
    aggravating circumstance present, in the ladder's order (``升 N 级`` moves up N levels of
    ``等级``, capped at the top level, "已是最高等级"; ``直接至 S`` sets at least S and never
    lowers) → each mitigating circumstance present, in the ladder's order (``降 N 级`` moves down,
    floored at the lowest level: the sanction stays at the lowest level and the reason says
    "已是最低等级" — 从轻 never turns a sanction into no sanction; ``至 S`` sets at most S). Each
    step is recorded as an :class:`Adjustment` and a reason. A circumstance the ladder does not
    name is not silently ignored: a reason says it was not considered.

Consequences (后果 S [累计 N 次] "text").
    A consequence applies to a sanction of level S when the person now has ≥ N sanctions of level
    S inside the window, counting this one (prior sanctions count by their sanction name). It is
    attached to the sanction of level S that meets it (a later sanction of another level does not
    repeat it).

Joint liability (连带 第 N 次 ROLE, … S).
    Sanctions are also counted per unit (``Offence.unit``; prior sanctions by their ``unit``), in
    the same window measured from the offence's date. When an issued sanction is exactly the Nth
    of its unit inside the window, each listed leader role of that unit gets S once
    (:class:`JointSanction`); a further sanction in the same window (the (N+1)th …) triggers
    nothing, and the same rule fires again for that unit only after a trigger date has left the
    window (a new year for ``自然年``). The leader is looked up in ``unit_leaders[unit][role]``
    (see :func:`unit_leaders`); when unknown, ``person is None`` and a reason says so. Offences
    without a unit count toward no unit, and neither do sanctions a leader receives for leadership
    responsibility (分管领导 / 主要领导 roles): the count is of the unit's 问责 of its staff, so one
    late case that sanctions both the handler and the deputy leader counts once.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wenze.dsl import ast as A


class LadderError(ValueError):
    """The ladder cannot decide (duplicate offence keys, a sanction that is not a level …)."""


@dataclass(frozen=True)
class Reason:
    """One step of the ladder's reasoning, in both languages."""

    zh: str
    en: str


@dataclass(frozen=True)
class Offence:
    """One established violation of one responsible person, as the ladder sees it."""

    key: str  # stable unique id (the evaluator builds it from case/violation/person/role)
    person: str
    unit: str | None
    post: str | None
    role: A.Role | A.Responsibility
    violation: str
    case: str | None
    on: dt.date  # the date the violation was established
    circumstances: frozenset[str] = frozenset()
    # how offences of one date are taken (before the key): the evaluator gives the time of the
    # act behind the offence, the case, the violation … (docs/semantics.md §6)
    order: tuple = ()


@dataclass(frozen=True)
class PriorSanction:
    """A sanction issued before this run (earlier runs, or given as input)."""

    person: str
    unit: str | None
    on: dt.date
    sanction: str
    source: str  # where it comes from (a decision key, a file, a document number)


@dataclass(frozen=True)
class Adjustment:
    """One 从重/从轻 circumstance applied, and what it did."""

    circumstance: str
    direction: str  # "aggravating" (从重) or "mitigating" (从轻)
    kind: A.AdjustKind
    steps: int  # for UP / DOWN
    target: str | None  # for TO
    before: str
    after: str
    limited: bool  # capped at the top / floored at the bottom / TO had no effect


# A decision's reasons name the earlier sanctions counted in the window, the latest this many;
# the rest are given as a number (a leader answering for every late case of a large caseload
# would otherwise carry a list growing with each decision: quadratic time and memory).
LISTED_EARLIER = 10


@dataclass(frozen=True)
class Sanction:
    """The ladder's decision for one offence."""

    offence: Offence
    level: str | None  # None when exempt
    base_level: str | None  # from the escalation row; None when exempt
    step: int | None  # the count of the escalation row used; None when exempt
    count_in_window: int  # the ordinal of this sanction; for an exempt offence, the earlier count
    window: tuple[dt.date | None, dt.date]  # first and last day, inclusive
    window_text: Reason
    adjustments: tuple[Adjustment, ...]
    exempt_by: str | None
    consequences: tuple[str, ...]
    # the latest (at most LISTED_EARLIER) earlier sanctions of the person counted in the window;
    # count_in_window says how many there are in all
    counted: tuple[Reason, ...]
    reasons: tuple[Reason, ...]

    @property
    def sanctioned(self) -> bool:
        return self.level is not None


@dataclass(frozen=True)
class JointSanction:
    """A sanction given to a unit leader by joint liability (连带)."""

    unit: str
    role: A.Role
    person: str | None  # the leader (person or post) from unit_leaders; None when unknown
    sanction: str
    on: dt.date  # the date of the triggering sanction
    count: int  # N of the 连带 rule
    window: tuple[dt.date | None, dt.date]
    triggered_by: tuple[str, ...]  # keys of this run's offences counted (the last one triggered)
    prior: tuple[PriorSanction, ...]  # prior sanctions of the unit counted
    reasons: tuple[Reason, ...]

    @property
    def trigger(self) -> str:
        """The key of the offence whose sanction was the Nth (always the last of triggered_by)."""
        return self.triggered_by[-1]


@dataclass(frozen=True)
class LadderOutcome:
    ladder: str
    sanctions: list[Sanction] = field(default_factory=list)
    joint: list[JointSanction] = field(default_factory=list)


# --------------------------------------------------------------------------- dates and windows


def minus_months(d: dt.date, months: int) -> dt.date:
    """``d`` moved back ``months`` months, the day clamped to the target month's end."""
    total = d.year * 12 + (d.month - 1) - months
    year, month0 = divmod(total, 12)
    last = _cal.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(d.day, last))


def window_of(window: A.CountWindow | None, on: dt.date) -> tuple[dt.date | None, dt.date]:
    """The counting window (first day, last day), both inclusive, of an offence dated ``on``."""
    if window is None:
        return (None, on)
    if window.kind is A.WindowKind.CALENDAR_YEAR:
        return (dt.date(on.year, 1, 1), on)
    if window.months is None or window.months < 1:
        raise LadderError("滚动计次期间须写明月数 / a rolling window needs a number of months")
    return (minus_months(on, window.months) + dt.timedelta(days=1), on)


def window_text(window: A.CountWindow | None, span: tuple[dt.date | None, dt.date]) -> Reason:
    first, last = span
    if window is None or first is None:
        return Reason(f"不限期间，至 {last}", f"no window, up to {last}")
    if window.kind is A.WindowKind.CALENDAR_YEAR:
        return Reason(f"自然年 {last.year}，{first} 至 {last}",
                      f"calendar year {last.year}, {first} to {last}")
    return Reason(f"滚动 {window.months} 个月，{first} 至 {last}",
                  f"rolling {window.months} months, {first} to {last}")


def _in(span: tuple[dt.date | None, dt.date], d: dt.date) -> bool:
    first, last = span
    return (first is None or first <= d) and d <= last


def ordinal_en(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def quoted(name: str) -> str:
    return f"「{name}」"


# --------------------------------------------------------------------------- the ladder itself


@dataclass(frozen=True)
class _Issued:
    """A sanction counted for later offences: one of this run's or a prior one."""

    person: str
    unit: str | None
    on: dt.date
    sanction: str
    key: str | None  # this run's offence key; None for a prior sanction
    prior: PriorSanction | None
    describe: Reason


class _Track:
    """The sanctions of one person or one unit, counted in windows by bisection.

    Prior sanctions are added first, sorted by date; this run's sanctions are added in processing
    order, so both lists stay sorted by date. A window always ends on the current offence's date,
    so every sanction of this run already added is on or before its last day. The dates are also
    kept per sanction level, so a level's count in a window is a bisection too (the cost of an
    offence does not grow with the person's history)."""

    __slots__ = ("issued", "issued_dates", "level_issued", "level_prior", "prior",
                 "prior_dates")

    def __init__(self) -> None:
        self.prior: list[_Issued] = []
        self.prior_dates: list[dt.date] = []
        self.issued: list[_Issued] = []
        self.issued_dates: list[dt.date] = []
        self.level_prior: dict[str, list[dt.date]] = {}
        self.level_issued: dict[str, list[dt.date]] = {}

    def add_prior(self, s: _Issued) -> None:
        self.prior.append(s)
        self.prior_dates.append(s.on)
        self.level_prior.setdefault(s.sanction, []).append(s.on)

    def add(self, s: _Issued) -> None:
        self.issued.append(s)
        self.issued_dates.append(s.on)
        self.level_issued.setdefault(s.sanction, []).append(s.on)

    def _bounds(self, span: tuple[dt.date | None, dt.date]) -> tuple[int, int, int]:
        first, last = span
        lo_p = 0 if first is None else bisect_left(self.prior_dates, first)
        hi_p = bisect_right(self.prior_dates, last)
        lo_i = 0 if first is None else bisect_left(self.issued_dates, first)
        return lo_p, hi_p, lo_i

    def count(self, span: tuple[dt.date | None, dt.date]) -> int:
        lo_p, hi_p, lo_i = self._bounds(span)
        return max(hi_p - lo_p, 0) + len(self.issued) - lo_i

    def count_level(self, span: tuple[dt.date | None, dt.date], level: str) -> int:
        """How many sanctions of ``level`` the window holds."""
        first, last = span
        prior = self.level_prior.get(level, ())
        issued = self.level_issued.get(level, ())
        lo_p = 0 if first is None else bisect_left(prior, first)
        hi_p = bisect_right(prior, last)
        lo_i = 0 if first is None else bisect_left(issued, first)
        return max(hi_p - lo_p, 0) + len(issued) - lo_i

    def within(self, span: tuple[dt.date | None, dt.date]) -> list[_Issued]:
        """The sanctions in the window by date (prior ones first on the same date)."""
        lo_p, hi_p, lo_i = self._bounds(span)
        if hi_p <= lo_p:
            return self.issued[lo_i:]
        return sorted(self.prior[lo_p:hi_p] + self.issued[lo_i:], key=lambda s: s.on)

    def latest(self, span: tuple[dt.date | None, dt.date], n: int) -> list[_Issued]:
        """The last ``n`` of :meth:`within` (the tail of a stable merge of the two date-sorted
        lists is the stable merge of their tails), without building the whole window."""
        lo_p, hi_p, lo_i = self._bounds(span)
        issued = self.issued[max(lo_i, len(self.issued) - n):]
        if hi_p <= lo_p:
            return issued
        prior = self.prior[max(lo_p, hi_p - n):hi_p]
        return sorted(prior + issued, key=lambda s: s.on)[-n:] if n else []


def levels_of(ladder: A.LadderDecl) -> list[str]:
    if ladder.levels:
        return [n.text for n in ladder.levels]
    order: list[str] = []
    for esc in sorted(ladder.escalations, key=lambda e: (e.count, e.or_more)):
        if esc.sanction.text not in order:
            order.append(esc.sanction.text)
    return order


def escalation_row(ladder: A.LadderDecl, ordinal: int) -> tuple[A.Escalation | None, Reason | None]:
    """The escalation row for the ``ordinal``-th sanction, and a note when none matches exactly."""
    rows = sorted(ladder.escalations, key=lambda e: (e.count, e.or_more))
    if not rows:
        return None, None
    fitting = [r for r in rows if r.count <= ordinal]
    if fitting:
        best = max(r.count for r in fitting)
        chosen = next(r for r in fitting if r.count == best)  # exact before 及以上
        if chosen.count == ordinal or chosen.or_more:
            return chosen, None
        return chosen, Reason(
            f"阶梯未规定第 {ordinal} 次，取最接近的第 {chosen.count} 次",
            f"the ladder has no row for the {ordinal_en(ordinal)} sanction; "
            f"the nearest row below, the {ordinal_en(chosen.count)}, applies")
    chosen = rows[0]
    return chosen, Reason(
        f"阶梯自第 {chosen.count} 次起规定，第 {ordinal} 次按第 {chosen.count} 次",
        f"the ladder starts at the {ordinal_en(chosen.count)} sanction; "
        f"the {ordinal_en(ordinal)} is treated as the {ordinal_en(chosen.count)}")


def count_reason(ordinal: int, wtext: Reason, counted: Sequence[Reason], unlisted: int,
                 base: str) -> Reason:
    """The first reason of a sanction: its ordinal in the window, the earlier sanctions counted
    (the latest listed, ``unlisted`` more as a number) and the level of the escalation row."""
    listing_zh = "；".join(d.zh for d in counted)
    listing_en = "; ".join(d.en for d in counted)
    if unlisted:
        listing_zh = f"此前另有 {unlisted} 次，最近 {len(counted)} 次：{listing_zh}"
        listing_en = f"{unlisted} more before the latest {len(counted)}: {listing_en}"
    within_zh = f"{wtext.zh} 内" + (f"：{listing_zh}" if counted else "无此前处理")
    within_en = f"in {wtext.en}" + (f": {listing_en}" if counted else ", none earlier")
    return Reason(f"第 {ordinal} 次（{within_zh}）→ {quoted(base)}",
                  f"{ordinal_en(ordinal)} sanction ({within_en}) → {quoted(base)}")


def _index(levels: list[str], name: str, ladder: A.LadderDecl) -> int:
    try:
        return levels.index(name)
    except ValueError:
        raise LadderError(
            f"阶梯 {quoted(ladder.name.text)}：{quoted(name)} 不在等级之中 / "
            f"ladder {ladder.name.text!r}: {name!r} is not one of its levels") from None


def adjust_level(ladder: A.LadderDecl, levels: list[str], level: str, circ: A.Circumstance,
            aggravating: bool) -> tuple[str, Adjustment, Reason]:
    label_zh, direction = ("从重", "aggravating") if aggravating else ("从轻", "mitigating")
    i = _index(levels, level, ladder)
    top = len(levels) - 1
    name = circ.name.text
    target = circ.sanction.text if circ.sanction is not None else None
    if circ.kind is A.AdjustKind.TO:
        t = _index(levels, target or "", ladder)
        j = max(i, t) if aggravating else min(i, t)
        limited = j == i
        word_zh = f"直接至 {quoted(target or '')}"
        word_en = f"to at least {quoted(target or '')}" if aggravating else \
            f"to at most {quoted(target or '')}"
    else:
        sign = 1 if circ.kind is A.AdjustKind.UP else -1
        want = i + sign * circ.steps
        j = min(max(want, 0), top)
        limited = j != want
        verb_zh = "升" if sign > 0 else "降"
        word_zh = f"{verb_zh} {circ.steps} 级"
        word_en = f"{'up' if sign > 0 else 'down'} {circ.steps} level" + \
            ("s" if circ.steps != 1 else "")
    after = levels[j]
    zh = f"{label_zh}：{quoted(name)} {word_zh} → {quoted(after)}"
    en = f"{direction}: {quoted(name)} {word_en} → {quoted(after)}"
    if limited:
        if circ.kind is A.AdjustKind.TO:
            zh += "（已不低于该等级，不变）" if aggravating else "（已不高于该等级，不变）"
            en += " (already there; unchanged)"
        elif j == top:
            zh += "（已是最高等级）"
            en += " (already the highest level)"
        else:
            zh += "（已是最低等级，不再降低，仍予处理）"
            en += " (already the lowest level; it stays there, the sanction is not waived)"
    adj = Adjustment(name, direction, circ.kind, circ.steps, target, level, after, limited)
    return after, adj, Reason(zh, en)


def _describe_offence(off: Offence, level: str) -> Reason:
    case_zh = f" 案件 {off.case}" if off.case else ""
    case_en = f" case {off.case}" if off.case else ""
    return Reason(f"{off.on} {quoted(off.violation)}{case_zh} {quoted(level)}",
                  f"{off.on} {quoted(off.violation)}{case_en} {quoted(level)}")


def describe_prior(p: PriorSanction) -> Reason:
    return Reason(f"{p.on} {quoted(p.sanction)}（此前，{p.source}）",
                  f"{p.on} {quoted(p.sanction)} (earlier, {p.source})")


def prior_order(p: PriorSanction) -> tuple[dt.date, str, str, str, bool, str]:
    return (p.on, p.person, p.sanction, p.source, p.unit is None, p.unit or "")


def unit_leaders(units: Iterable[A.UnitDecl]) -> dict[str, dict[A.Role, str]]:
    """The leader posts of each unit (主要领导, 分管领导) as ``apply_ladder`` wants them."""
    out: dict[str, dict[A.Role, str]] = {}
    for u in units:
        roles: dict[A.Role, str] = {}
        if u.chief_leader is not None:
            roles[A.Role.CHIEF_LEADER] = u.chief_leader.text
        if u.deputy_leader is not None:
            roles[A.Role.DEPUTY_LEADER] = u.deputy_leader.text
        out[u.name.text] = roles
    return out


_ROLE_ZH = {
    A.Role.DIRECT: "直接责任人",
    A.Role.REVIEWER: "审核人",
    A.Role.APPROVER: "批准人",
    A.Role.DEPUTY_LEADER: "分管领导",
    A.Role.CHIEF_LEADER: "主要领导",
}
ROLE_ORDER = {r: i for i, r in enumerate(A.Role)}


def apply_ladder(ladder: A.LadderDecl, offences: Sequence[Offence],
                 prior: Sequence[PriorSanction] = (),
                 unit_leaders: Mapping[str, Mapping[A.Role, str]] | None = None
                 ) -> LadderOutcome:
    """Decide the sanction of each offence under ``ladder`` (see the module docstring)."""
    dupes = sorted(k for k, n in Counter(o.key for o in offences).items() if n > 1)
    if dupes:
        raise LadderError(f"重复的违规标识 / duplicate offence keys: {', '.join(dupes)}")
    levels = levels_of(ladder)
    if not levels:
        raise LadderError(f"阶梯 {quoted(ladder.name.text)} 没有等级 / "
                          f"ladder {ladder.name.text!r} has no levels")
    exemptions = [n.text for n in ladder.exemptions]
    known = set(exemptions) | {c.name.text for c in ladder.aggravating} | \
        {c.name.text for c in ladder.mitigating}

    by_person: dict[str, _Track] = defaultdict(_Track)
    by_unit: dict[str, _Track] = defaultdict(_Track)
    for p in sorted(prior, key=prior_order):
        issued = _Issued(p.person, p.unit, p.on, p.sanction, None, p, describe_prior(p))
        by_person[p.person].add_prior(issued)
        if p.unit is not None:
            by_unit[p.unit].add_prior(issued)

    spans: dict[dt.date, tuple[tuple[dt.date | None, dt.date], Reason]] = {}
    rows: dict[int, tuple[A.Escalation | None, Reason | None]] = {}
    fired: dict[tuple[int, str], list[dt.date]] = defaultdict(list)  # (rule, unit) → dates
    sanctions: list[Sanction] = []
    joint: list[JointSanction] = []

    for off in sorted(offences, key=lambda o: (o.on, o.order, o.key)):
        if off.on not in spans:
            span = window_of(ladder.window, off.on)
            spans[off.on] = (span, window_text(ladder.window, span))
        span, wtext = spans[off.on]
        track = by_person[off.person]
        earlier_count = track.count(span)
        counted = tuple(s.describe for s in track.latest(span, LISTED_EARLIER))
        unlisted = earlier_count - len(counted)
        ignored = sorted(off.circumstances - known)
        notes = [Reason(f"情节 {quoted(c)} 不在本阶梯的从重、从轻、免责之列，未予考虑",
                        f"circumstance {quoted(c)} is not one this ladder names; not considered")
                 for c in ignored]
        exempt = [e for e in exemptions if e in off.circumstances]
        if exempt:
            also = "、".join(quoted(e) for e in exempt[1:])
            reasons = [Reason(f"免责：{quoted(exempt[0])}" + (f"（另有 {also}）" if also else "")
                              + "，不予问责，不计入次数",
                              f"exempt: {quoted(exempt[0])}"
                              + (f" (also {', '.join(map(quoted, exempt[1:]))})" if also else "")
                              + "; no sanction, not counted")]
            sanctions.append(Sanction(off, None, None, None, earlier_count, span, wtext, (),
                                      exempt[0], (), counted, tuple(reasons + notes)))
            continue

        ordinal = earlier_count + 1
        if ordinal not in rows:
            rows[ordinal] = escalation_row(ladder, ordinal)
        row, note = rows[ordinal]
        base = row.sanction.text if row is not None else levels[0]
        reasons = [count_reason(ordinal, wtext, counted, unlisted, base)]
        if row is None:
            reasons.append(Reason("阶梯未规定次数，取最低等级",
                                  "the ladder has no escalation rows; its lowest level applies"))
        elif note is not None:
            reasons.append(note)
        level = base
        adjustments: list[Adjustment] = []
        for circs, aggravating in ((ladder.aggravating, True), (ladder.mitigating, False)):
            for circ in circs:
                if circ.name.text in off.circumstances:
                    level, adj, why = adjust_level(ladder, levels, level, circ, aggravating)
                    adjustments.append(adj)
                    reasons.append(why)
        reasons += notes

        same_level = 1 + track.count_level(span, level)
        consequences: list[str] = []
        for c in ladder.consequences:
            if c.sanction.text == level and same_level >= c.cumulative:
                consequences.append(c.text)
                if c.cumulative > 1:
                    reasons.append(Reason(
                        f"后果：{wtext.zh} 内第 {same_level} 次 {quoted(level)}"
                        f"（累计 {c.cumulative} 次）→ {c.text}",
                        f"consequence: {ordinal_en(same_level)} {quoted(level)} in {wtext.en} "
                        f"(cumulative {c.cumulative}) → {c.text}"))
                else:
                    reasons.append(Reason(f"后果：{quoted(level)} → {c.text}",
                                          f"consequence: {quoted(level)} → {c.text}"))

        sanctions.append(Sanction(off, level, base, row.count if row else None, ordinal, span,
                                  wtext, tuple(adjustments), None, tuple(consequences), counted,
                                  tuple(reasons)))
        issued = _Issued(off.person, off.unit, off.on, level, off.key, None,
                         _describe_offence(off, level))
        by_person[off.person].add(issued)
        if off.unit is not None and not is_leader(off.role):
            by_unit[off.unit].add(issued)
            joint += _joint(ladder, off, span, wtext, by_unit[off.unit], fired, unit_leaders)

    joint.sort(key=lambda j: (j.on, j.unit, j.count, ROLE_ORDER[j.role], j.sanction))
    return LadderOutcome(ladder.name.text, sanctions, joint)


LEADER_ROLES = frozenset({A.Role.DEPUTY_LEADER, A.Role.CHIEF_LEADER})


def is_leader(role: Any) -> bool:
    """Whether an offence's responsibility is a leader's (a role word 分管领导/主要领导, or a
    party that is a leader of another): such a sanction counts toward the person, not the
    unit's 连带 count."""
    return role in LEADER_ROLES or bool(getattr(role, "is_leader", False))


def _joint(ladder: A.LadderDecl, off: Offence, span: tuple[dt.date | None, dt.date],
           wtext: Reason, unit_issued: _Track,
           fired: dict[tuple[int, str], list[dt.date]],
           leaders: Mapping[str, Mapping[A.Role, str]] | None) -> list[JointSanction]:
    unit = off.unit
    assert unit is not None
    count = unit_issued.count(span)
    out: list[JointSanction] = []
    for i, rule in enumerate(ladder.joint):
        if count != rule.count:
            continue
        if any(_in(span, d) for d in fired[(i, unit)]):
            continue  # already fired for this unit inside the window
        fired[(i, unit)].append(off.on)
        in_window = unit_issued.within(span)
        for role in rule.roles:
            person = (leaders or {}).get(unit, {}).get(role)
            reasons = joint_reasons(rule, role, unit, wtext, [s.describe for s in in_window],
                                    person)
            out.append(JointSanction(
                unit, role, person, rule.sanction.text, off.on, rule.count, span,
                tuple(s.key for s in in_window if s.key is not None),
                tuple(s.prior for s in in_window if s.prior is not None),
                tuple(reasons)))
    return out


def joint_reasons(rule: A.JointLiability, role: A.Role, unit: str, wtext: Reason,
                  counted: Sequence[Reason], person: str | None) -> list[Reason]:
    """Why a leader answers jointly: the unit's N-th sanction in the window (``counted``, all of
    them, in date order) → the rule's sanction for the role; and that the unit names no such
    leader when ``person`` is None."""
    listing_zh = "；".join(d.zh for d in counted)
    listing_en = "; ".join(d.en for d in counted)
    reasons = [Reason(
        f"连带：{quoted(unit)} {wtext.zh} 内第 {rule.count} 次问责（{listing_zh}）"
        f"→ {_ROLE_ZH[role]} {quoted(rule.sanction.text)}",
        f"joint liability: the {ordinal_en(rule.count)} sanction in unit {quoted(unit)} "
        f"in {wtext.en} ({listing_en}) → {role.value} {quoted(rule.sanction.text)}")]
    if person is None:
        reasons.append(Reason(f"{quoted(unit)} 未指明{_ROLE_ZH[role]}",
                              f"unit {quoted(unit)} names no {role.value}"))
    return reasons
