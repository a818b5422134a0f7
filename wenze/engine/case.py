"""The reference judge: the facts of one case — its clock, deadlines, steps, countersigns.

parse → check → lower → evaluate (**the facts of each case**, then offences, ladders) → decisions.

:func:`evaluate_case` reads one case's events (sorted by instant and id) against its item and
computes every case fact of :mod:`wenze.dsl.facts` with the act behind it (who, when), the facts
of each step and countersigning unit, the deadlines (kept for ``--explain``) and the warnings of
an open case or a running step. :mod:`wenze.engine.evaluate` turns true conditions over these
facts into offences. The rules are written down in ``docs/semantics.md``.

One module on purpose (~800 lines): one case's clock, suspensions, extensions, steps and
countersigns are established in one pass over its events, each fact with the act behind it; the
parts share that pass's state.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl.facts import POWER_ACTS
from wenze.engine.decisions import Decision, Offence, Warning
from wenze.engine.lower import DELIVERY_LIMIT, ItemIR, Program, StepIR
from wenze.events.model import AGREE, DISAGREE, FORWARD, REFUSALS, SHIRKING
from wenze.events.readers import Event, normalise_outcome

REVIEW_WORDS = ("审核", "审查", "review")
LEVEL_ORDER = {A.WarningLevel.NOTICE: 1, A.WarningLevel.YELLOW: 2, A.WarningLevel.RED: 3}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class DeadlineNote:
    """One deadline of a case as computed (the explain output recomputes it day by day)."""

    name: str  # promised / statutory / extension / correction_window / step:X / reply:X/U
    calendar: str
    start: dt.date
    duration: A.Duration
    suspended: tuple[tuple[dt.date, dt.date], ...]
    deadline: dt.date


@dataclass(frozen=True)
class RuleCheck:
    violation: str
    subject: str | None  # step / countersign unit
    condition: str
    facts: tuple[tuple[str, Any], ...]
    result: bool


@dataclass
class CaseTrace:
    case: str
    item: str | None
    calendar: str | None
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    deadlines: list[DeadlineNote] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    dates: dict[str, dt.date | None] = field(default_factory=dict)
    subjects: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    checks: list[RuleCheck] = field(default_factory=list)
    offences: list[Offence] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def _merge(ranges: Iterable[tuple[dt.date, dt.date]]) -> tuple[tuple[dt.date, dt.date], ...]:
    out: list[list[dt.date]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + dt.timedelta(days=1):
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def event_type_of(ev: Event) -> str:
    return ev.type  # a StrEnum: compares and hashes as its English value


def event_order(ev: Event) -> tuple[dt.datetime, str]:
    return (ev.at, ev.id)


def _day(ev: Event) -> dt.date:
    return ev.at.date()  # the local date in the event's own offset


def _text_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _has_reasons(ev: Event) -> bool:
    r = ev.data.get("reasons") or ev.data.get("reason")
    return bool(r)


def _parse_day(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value)).date()  # the local date in its own offset
    except ValueError:
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None


def _external_deadline(evs: Sequence[Event]) -> dt.date | None:
    for ev in evs:
        day = _parse_day(ev.data.get("deadline"))
        if day is not None:
            return day
    return None


def _recorded_end(evs: Sequence[Event]) -> dt.date | None:
    for ev in evs:
        day = _parse_day(ev.data.get("enddate"))
        if day is not None:
            return day
    return None


def period_key(day: dt.date, period: A.Period) -> str:
    if period is A.Period.MONTH:
        return f"{day.year}-{day.month:02d}"
    if period is A.Period.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period is A.Period.HALF_YEAR:
        return f"{day.year}-H{1 if day.month <= 6 else 2}"
    return f"{day.year}"


def period_end(key: str) -> dt.date:
    if "-Q" in key:
        year, q = key.split("-Q")
        month = int(q) * 3
        y = int(year)
    elif "-H" in key:  # 半年度: 2024-H1 ends 30 June, 2024-H2 on 31 December
        year, h = key.split("-H")
        month = int(h) * 6
        y = int(year)
    elif "-" in key:
        y, month = (int(x) for x in key.split("-"))
    else:
        y, month = int(key), 12
    nxt = dt.date(y + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


class CaseContext:
    """What every case shares: the program, A-post absences, who was seen in which post."""

    def __init__(self, program: Program, events: Sequence[Event], as_of: dt.date):
        self.program = program
        self.as_of = as_of
        absences: dict[str, list[list[dt.datetime | None]]] = defaultdict(list)
        holders: dict[str, list[tuple[dt.date, str, str]]] = defaultdict(list)
        # only leaders' posts are ever looked up by holder
        leader_posts = {p for u in program.units.values()
                        for p in (u.chief_leader, u.deputy_leader) if p}
        leader_posts |= {p.deputy_leader for p in program.posts.values() if p.deputy_leader}
        cover = []
        for ev in events:
            t = ev.type
            if t == "absent" or t == "returned":
                if ev.post:
                    cover.append(ev)
            elif ev.post in leader_posts and ev.actor and t != "complaint":
                holders[ev.post].append((ev.at.date(), ev.id, ev.actor))
        cover.sort(key=lambda e: (e.at, e.id))
        for ev in cover:
            spans = absences[ev.post]  # type: ignore[index]
            if ev.type == "absent":
                if not spans or spans[-1][1] is not None:
                    spans.append([ev.at, None])
            elif spans and spans[-1][1] is None:
                spans[-1][1] = ev.at
        self.review_steps = frozenset(
            name for p in program.processes.values() for name in p.steps
            if any(w in name for w in REVIEW_WORDS))
        self.absences = {k: [(a, b) for a, b in v] for k, v in absences.items()}
        self.holders = {k: sorted(v) for k, v in holders.items()}

    def absent(self, post: str, at: dt.datetime) -> bool:
        for start, end in self.absences.get(post, ()):
            if start is not None and start <= at and (end is None or at < end):
                return True
        return False

    def authority(self, post_name: str | None, power: str, at: dt.datetime) -> tuple[bool, bool]:
        """(holds the power at ``at``, used A's power while A was present)."""
        post = self.program.posts.get(post_name or "")
        if post is None:
            return False, False
        if power in post.powers:
            return True, False
        if post.covers:
            principal = self.program.posts.get(post.covers)
            if principal is not None and power in principal.powers and (
                post.cover_powers is None or power in post.cover_powers
            ):
                if self.absent(principal.name, at):
                    return True, False
                return False, True
        return False, False

    def authorized(self, post_name: str | None, powers: Sequence[str], at: dt.datetime
                   ) -> tuple[bool, bool]:
        """(holds every one of ``powers`` at ``at``, used A's power while A was present) —
        :meth:`authority` for each (A/B cover respected)."""
        ok, present = True, False
        for power in powers:
            has, while_present = self.authority(post_name, power, at)
            ok, present = ok and has, present or while_present
        return ok, present

    def acts_for(self, post_name: str | None, required: str, at: dt.datetime) -> tuple[bool, bool]:
        """Whether ``post_name`` may act as ``required`` (itself, or as its B post while absent)."""
        if post_name == required:
            return True, False
        post = self.program.posts.get(post_name or "")
        if post is not None and post.covers == required:
            if self.absent(required, at):
                return True, False
            return False, True
        return False, False

    def holder(self, post: str, day: dt.date) -> str | None:
        seen = self.holders.get(post)
        if not seen:
            return None
        i = bisect.bisect_right(seen, (day, "\uffff", "\uffff"))
        return seen[i - 1][2] if i else seen[0][2]

    def unit_of_post(self, post: str | None) -> str | None:
        p = self.program.posts.get(post or "")
        return p.unit if p else None


# --------------------------------------------------------------------------- one case


@dataclass
class Actor:
    person: str | None
    post: str | None
    unit: str | None
    day: dt.date | None
    at: float | None = None  # the act's POSIX time (``at.timestamp()``), when it is an event

    @classmethod
    def of(cls, ev: Event | None) -> Actor | None:
        if ev is None:
            return None
        return cls(ev.actor or None, ev.post or None, ev.unit or None, _day(ev),
                   ev.at.timestamp())


@dataclass
class Subject:
    """Facts of one evaluation subject (the case, a step, a countersigning unit)."""

    scope: A.Scope
    name: str | None
    facts: dict[str, Any]
    attribution: dict[str, Event | Actor]
    default: Event | Actor | None
    established: dict[str, dt.date]
    parent: dict[str, Any] | None = None  # the case's facts, for a step or countersign
    _merged: dict[str, Any] | None = None
    # the acts of this subject's own parties (环节承办人, 会签单位, 会签发起人), by party value
    acts: dict[str, Event | Actor] | None = None

    def env(self, needs_parent: bool) -> dict[str, Any]:
        """The facts a condition sees (the case's included when the condition reads them)."""
        if not needs_parent or self.parent is None:
            return self.facts
        if self._merged is None:
            self._merged = {**self.parent, **self.facts}
        return self._merged


@dataclass
class CaseOutcome:
    case: str
    item: ItemIR
    unit: str | None
    subjects: list[Subject]
    handler: Actor | None
    reviewer: Event | None
    approver: Event | None
    circumstances: tuple[str, ...]
    dates: dict[str, dt.date | None]
    facts: dict[str, Any]
    warnings: list[Warning]
    received: dt.date | None
    decided: dt.date | None
    on_time: bool | None
    on_the_spot: bool
    overdue_open: bool
    # the act behind each act party of the case (收件人 … 被投诉人), by party value
    acts: dict[str, Event | Actor] | None = None


def case_acts(by_type: Mapping[str, list[Event]], attribution: Mapping[str, Event | Actor]
               ) -> dict[str, Event | Actor]:
    """The act whose actor is each act party of a case: the first act of its type, or, where a
    fact points at one act of that type (the late notice, the unlisted suspension, the
    unauthorized extension, the complaint of shirking), that act."""
    acts: dict[str, Event | Actor] = {}
    for party, etype in (("receiver", "received"), ("acceptor", "accepted"),
                         ("correction_notifier", "corrections_requested"),
                         ("suspender", "suspended"), ("extension_approver", "extension_granted"),
                         ("decider", "decided"), ("deliverer", "delivered"),
                         ("referrer", "referred")):
        evs = by_type.get(etype)
        if evs:
            acts[party] = evs[0]
    for party, fact in (("correction_notifier", "correction_notice_late"),
                        ("correction_notifier", "correction_notices"),
                        ("suspender", "suspension_unlisted"),
                        ("extension_approver", "extension_unauthorized"),
                        ("complained_of", "complaints"), ("complained_of", "shirked")):
        if fact in attribution:
            acts[party] = attribution[fact]
    return acts


def evaluate_case(
    ctx: CaseContext, case: str, item: ItemIR, evs: list[Event], trace: CaseTrace | None
) -> CaseOutcome:
    program, as_of = ctx.program, ctx.as_of
    cal = program.calendar_of(item)
    by_type: dict[str, list[Event]] = {}
    with_data: list[Event] = []
    for ev in evs:
        t = ev.type
        if t in by_type:
            by_type[t].append(ev)
        else:
            by_type[t] = [ev]
        if ev.data:
            with_data.append(ev)
    first = {t: v[0] for t, v in by_type.items()}
    received, accepted = first.get("received"), first.get("accepted")
    decided_ev, delivered = first.get("decided"), first.get("delivered")
    notices = by_type.get("corrections_requested", [])
    facts: dict[str, Any] = {}
    attribution: dict[str, Event | Actor] = {}
    established: dict[str, dt.date] = {}
    dates: dict[str, dt.date | None] = {}

    def note(name: str, start: dt.date, duration: A.Duration, susp: Sequence, deadline: dt.date):
        if trace is not None:
            trace.deadlines.append(
                DeadlineNote(name, cal.name, start, duration, tuple(susp), deadline))

    # ---- Art. 32: correction notices and deemed acceptance
    received_day = _day(received) if received else None
    dates["received"] = received_day
    notice_deadline = None
    if received_day is not None and item.correction_within is not None:
        w = item.correction_within
        notice_deadline = cal.index(w.unit).deadline(received_day, w.amount)
        note("correction_window", received_day, w, (), notice_deadline)
    facts["correction_notices"] = len(notices)
    if len(notices) > 1:
        attribution["correction_notices"] = notices[1]
        established["correction_notices"] = _day(notices[1])
    late_notice = bool(notices and notice_deadline and _day(notices[0]) > notice_deadline)
    facts["correction_notice_late"] = late_notice
    if late_notice:
        attribution["correction_notice_late"] = notices[0]
        established["correction_notice_late"] = _day(notices[0])
    sat_on_it = bool(
        not notices and notice_deadline is not None
        and ((_day(accepted) if accepted else as_of) > notice_deadline)
    )
    deemed = late_notice or sat_on_it
    facts["deemed_accepted"] = deemed
    if deemed:
        attribution["deemed_accepted"] = notices[0] if late_notice else received
    if deemed or accepted is None:
        start = received_day
        start_ev = received
    else:
        start, start_ev = _day(accepted), accepted
    if start is None and decided_ev is not None:
        start, start_ev = _day(decided_ev), decided_ev
    dates["accepted"] = _day(accepted) if accepted else None
    dates["clock_start"] = start
    handler = Actor.of(accepted or received or start_ev)
    if handler is not None and handler.person is None:  # e.g. events synthesised from a log
        for ev in (accepted, received):
            if ev is not None and ev.data.get("responsible"):
                handler.person = str(ev.data["responsible"])
                break
    if trace is not None:
        if deemed:
            trace.notes.append(
                "视为受理：补正告知逾期或未在期限内受理，自收到材料之日起计算 (Art. 32)"
                if late_notice else
                "视为受理：未在补正告知期限内告知或受理，自收到材料之日起计算 (Art. 32)")
        trace.notes.append(f"计时起点 clock start: {start}")

    # ---- Art. 45: suspensions
    listed: list[tuple[dt.date, dt.date]] = []
    unlisted = False
    open_s: Event | None = None
    ranges: list[tuple[Event, dt.date]] = []
    for ev in evs if "suspended" in by_type else ():
        t = ev.type
        if t == "suspended" and open_s is None:
            open_s = ev
        elif t == "resumed" and open_s is not None:
            ranges.append((open_s, _day(ev)))
            open_s = None
    if open_s is not None:
        ranges.append((open_s, as_of))
    for sev, end in ranges:
        reason = str(sev.data.get("reason") or "")
        if reason in item.suspension_reasons:
            listed.append((_day(sev), end))
        else:
            if not unlisted:
                attribution["suspension_unlisted"] = sev
                established["suspension_unlisted"] = _day(sev)
            unlisted = True
        if trace is not None:
            ok = "计入中止" if reason in item.suspension_reasons else "事由未列明，不中止"
            trace.notes.append(f"中止计时 {_day(sev)}…{end} 事由「{reason}」: {ok}")
    susp = _merge(listed)
    facts["suspension_unlisted"] = unlisted

    decided_day = _day(decided_ev) if decided_ev else None
    dates["decided"] = decided_day
    end_day = decided_day if decided_day is not None else as_of
    main_limit = item.promised or item.statutory
    main_unit = (item.statutory or item.promised or A.Duration(0, A.DayKind.WORKING)).unit
    facts["decided"] = decided_ev is not None
    facts["suspended_days"] = 0
    facts["elapsed_days"] = 0
    if start is not None:
        idx = cal.index(main_unit)
        facts["suspended_days"] = sum(
            idx.between(max(a - dt.timedelta(days=1), start), min(b, end_day))
            for a, b in susp if min(b, end_day) > max(a - dt.timedelta(days=1), start))
        facts["elapsed_days"] = idx.count(start, end_day, susp)

    # ---- extension
    ext_valid: Event | None = None
    ext_amount = 0
    ext_unauth = False
    cover_present: Actor | None = None
    stat_deadline = None
    if start is not None and item.statutory is not None:
        s = item.statutory
        stat_deadline = cal.index(s.unit).deadline(start, s.amount, susp)
        note("statutory", start, s, susp, stat_deadline)
    ext_required = program.act_powers.get("extension_granted", ())
    for ev in by_type.get("extension_granted", []):
        power = item.extension_power
        ok, present = (ctx.authority(ev.post, power, ev.at) if power else (False, False))
        if ext_required:  # the powers the rulebook requires for 延期批准 too
            more, more_present = ctx.authorized(ev.post, ext_required, ev.at)
            ok, present = ok and more, present or more_present
        if present and cover_present is None:
            cover_present = Actor.of(ev)
            established.setdefault("cover_while_present", _day(ev))
        if not ok:
            if not ext_unauth:
                attribution["extension_unauthorized"] = ev
                established["extension_unauthorized"] = _day(ev)
            ext_unauth = True
            if trace is not None:
                trace.notes.append(
                    f"延期无效 void extension: {ev.actor}（{ev.post}）"
                    f"于 {_day(ev)} 不具有「{power}」")
            continue
        if stat_deadline is not None and _day(ev) > stat_deadline:
            if trace is not None:
                trace.notes.append(f"延期无效 void extension: 批准于法定期限 {stat_deadline} 之后")
            continue
        if ext_valid is None and item.extension is not None:
            ext_valid = ev
            asked = ev.data.get("days")
            ext_amount = min(int(asked), item.extension.amount) if asked else item.extension.amount
    facts["extension_unauthorized"] = ext_unauth
    facts["extended"] = ext_valid is not None
    dates["extension"] = _day(ext_valid) if ext_valid else None
    if ext_valid is not None and stat_deadline is not None and item.extension is not None:
        d = A.Duration(ext_amount, item.extension.unit)
        new = cal.index(d.unit).deadline(stat_deadline, d.amount, susp)
        note("extension", stat_deadline, d, susp, new)
        stat_deadline = new
    prom_deadline = None
    if start is not None and item.promised is not None:
        p = item.promised
        prom_deadline = cal.index(p.unit).deadline(start, p.amount, susp)
        note("promised", start, p, susp, prom_deadline)
    dates["deadline_promised"] = prom_deadline
    dates["deadline_statutory"] = stat_deadline

    def over(deadline: dt.date | None, unit: A.DayKind | None) -> int:
        if deadline is None or unit is None or end_day <= deadline:
            return 0
        return cal.index(unit).count(deadline, end_day, susp)

    dop = over(prom_deadline, item.promised.unit if item.promised else None)
    dos = over(stat_deadline, item.statutory.unit if item.statutory else None)
    facts["days_over_promised"] = dop
    facts["days_over_statutory"] = dos
    facts["overdue_promised"] = dop > 0
    facts["overdue_statutory"] = dos > 0
    if prom_deadline:
        established["days_over_promised"] = prom_deadline + dt.timedelta(days=1)
        established["overdue_promised"] = prom_deadline + dt.timedelta(days=1)
    if stat_deadline:
        established["days_over_statutory"] = stat_deadline + dt.timedelta(days=1)
        established["overdue_statutory"] = stat_deadline + dt.timedelta(days=1)
    # ---- the source system's own deadline for the case (e.g. case:deadline of an XES log)
    facts["days_over_external_deadline"] = 0
    external = _external_deadline(with_data)
    dates["deadline_external"] = external
    if external is not None:
        ext_end = decided_day or _recorded_end(with_data) or _day(evs[-1])
        if ext_end > external:
            facts["days_over_external_deadline"] = cal.index(main_unit).count(
                external, ext_end, susp)
        established["days_over_external_deadline"] = external + dt.timedelta(days=1)
    facts["on_the_spot"] = bool(decided_day is not None and start is not None
                                and decided_day == start)

    # ---- decision: authorization, reasons, delivery
    unauth = False
    refused = False
    if decided_ev is not None:
        required = ((program.deciding_power,) if program.deciding_power else ()) + tuple(
            p for p in program.act_powers.get("decided", ()) if p != program.deciding_power)
        if required:
            ok, present = ctx.authorized(decided_ev.post, required, decided_ev.at)
            unauth = not ok
            if present and cover_present is None:
                cover_present = Actor.of(decided_ev)
                established.setdefault("cover_while_present", decided_day)  # type: ignore[arg-type]
        outcome = str(decided_ev.data.get("outcome") or "")
        refused = (outcome in REFUSALS or normalise_outcome(outcome) == "refused") and (
            not _has_reasons(decided_ev))
        for k in ("decision_unauthorized", "refused_without_reasons"):
            attribution[k] = decided_ev
            established[k] = decided_day  # type: ignore[assignment]
    facts["decision_unauthorized"] = unauth
    facts["refused_without_reasons"] = refused

    # ---- the powers the rulebook requires for the other acts (职权 … 行为)
    unauthorized_acts = [ev for ev, bad in ((decided_ev, unauth), (
        attribution.get("extension_unauthorized"), ext_unauth)) if bad and ev is not None]
    for etype, (_, fact) in POWER_ACTS.items():
        if etype in ("decided", "extension_granted"):
            continue
        required_here = program.act_powers.get(etype, ())
        bad_ev = None
        for ev in by_type.get(etype, ()) if required_here else ():
            ok, present = ctx.authorized(ev.post, required_here, ev.at)
            if present and cover_present is None:
                cover_present = Actor.of(ev)
                established.setdefault("cover_while_present", _day(ev))
            if not ok and bad_ev is None:
                bad_ev = ev
        facts[fact] = bad_ev is not None
        if bad_ev is not None:
            attribution[fact] = bad_ev
            established[fact] = _day(bad_ev)
            unauthorized_acts.append(bad_ev)
    facts["act_unauthorized"] = bool(unauthorized_acts)
    if unauthorized_acts:  # the first act done without its power
        first_bad = min(unauthorized_acts, key=event_order)  # type: ignore[arg-type]
        attribution["act_unauthorized"] = first_bad
        established["act_unauthorized"] = _day(first_bad)
    late_delivery = False
    if delivered is not None and decided_day is not None:
        limit = cal.index(DELIVERY_LIMIT.unit).deadline(decided_day, DELIVERY_LIMIT.amount)
        late_delivery = _day(delivered) > limit
        attribution["delivered_late"] = delivered
        established["delivered_late"] = _day(delivered)
    facts["delivered_late"] = late_delivery
    dates["delivered"] = _day(delivered) if delivered else None

    # ---- complaints (首问负责)
    complaints = by_type.get("complaint", [])
    facts["complaints"] = len(complaints)
    shirked = False
    for ev in complaints:
        kind = str(ev.data.get("kind") or ev.data.get("type") or "")
        if ev.data.get("shirked") or kind in SHIRKING:
            if not shirked:
                named = Actor(
                    str(ev.data.get("against") or ev.data.get("actor") or "") or None,
                    str(ev.data.get("post") or "") or None,
                    str(ev.data.get("unit") or "") or None, _day(ev))
                if named.person is None and named.post is None:
                    named = Actor.of(received) or named
                    named.day = _day(ev)
                attribution["shirked"] = named
                established["shirked"] = _day(ev)
            shirked = True
    if complaints:  # the person complained about (never the complainant), else the handler
        named_in = [ev for ev in complaints if ev.data.get("against") or ev.data.get("post")]
        if named_in:
            ev = named_in[-1]
            attribution.setdefault("complaints", Actor(
                str(ev.data.get("against") or "") or None, str(ev.data.get("post") or "") or None,
                str(ev.data.get("unit") or "") or None, _day(ev)))
        elif accepted or received:
            attribution.setdefault("complaints", accepted or received)  # type: ignore[arg-type]
        established["complaints"] = _day(complaints[-1])
    facts["shirked"] = shirked

    # ---- roles
    reviewer = None
    for ev in by_type.get("step_completed", ()):
        if ev.step in ctx.review_steps:
            reviewer = ev
    for ev in with_data:
        if ev.data.get("role") in ("reviewer", "审核人") and (
                reviewer is None or (ev.at, ev.id) > (reviewer.at, reviewer.id)):
            reviewer = ev
    approver = decided_ev

    # ---- steps and countersigns
    subjects: list[Subject] = []
    process = program.processes.get(item.process or "")
    step_warnings: list[Warning] = []
    if process is not None and start is not None:
        subjects += _process_subjects(ctx, case, item, process.steps, by_type, start, susp, cal,
                                      note, step_warnings, attribution, trace)
    facts["cover_while_present"] = cover_present is not None or bool(
        attribution.get("cover_while_present"))
    if cover_present is not None:
        attribution["cover_while_present"] = cover_present
    case_subject = Subject(A.Scope.CASE, None, facts, attribution, handler, established)
    subjects.insert(0, case_subject)
    for sub in subjects[1:]:  # case facts are visible in step and countersign scopes
        sub.parent = facts

    circumstances = sorted({c for ev in with_data
                            for key in ("circumstances", "情节")
                            for c in _text_list(ev.data.get(key))})
    unit = item.unit or (handler.unit if handler else None) or ctx.unit_of_post(
        handler.post if handler else None)

    # ---- warnings (open case)
    warnings: list[Warning] = []
    if decided_ev is None and start is not None and main_limit is not None:
        deadline = prom_deadline if item.promised else stat_deadline
        total = main_limit.amount + (ext_amount if (ext_valid and not item.promised) else 0)
        w = _warning(ctx, item, case, None, start, deadline, main_limit.unit, total, susp, cal,
                     handler, unit)
        if w is not None:
            warnings.append(w)
    warnings += step_warnings
    on_time = None
    if decided_ev is not None and main_limit is not None:
        on_time = not (facts["overdue_promised"] if item.promised else facts["overdue_statutory"])
    overdue_open = decided_ev is None and bool(
        facts["overdue_promised"] if item.promised else facts["overdue_statutory"])
    if trace is not None:
        trace.facts = dict(facts)
        trace.dates = dict(dates)
        trace.subjects = [(s.scope.value, s.name, s.env(True)) for s in subjects[1:]]
    return CaseOutcome(case, item, unit, subjects, handler, reviewer, approver,
                       tuple(circumstances), dates, facts, warnings, received_day or start,
                       decided_day, on_time, bool(facts["on_the_spot"]), overdue_open,
                       case_acts(by_type, attribution))


def _process_subjects(ctx, case, item, steps: Mapping[str, StepIR], by_type, clock_start, susp, cal,
                      note, warnings_out, case_attr, trace) -> list[Subject]:
    as_of = ctx.as_of
    started: dict[str, Event] = {}
    completed: dict[str, Event] = {}
    requested: dict[str, Event] = {}
    replies: dict[tuple[str, str], Event] = {}
    for ev in by_type.get("step_started", ()):
        started.setdefault(ev.step, ev)
    for ev in by_type.get("step_completed", ()):
        completed.setdefault(ev.step, ev)
    for ev in by_type.get("countersign_requested", ()):
        requested.setdefault(ev.step, ev)
    for ev in by_type.get("countersign_replied", ()):
        replies.setdefault((ev.step, ev.unit), ev)
    done_at: dict[str, dt.datetime | None] = {}
    out: list[Subject] = []
    for name, step in steps.items():
        if step.kind == "step":
            done_at[name] = completed[name].at if name in completed else None
        else:
            req = requested.get(name)
            if req is None:
                done_at[name] = None
                continue
            units = _text_list(req.data.get("units")) or list(step.units)
            last: dt.datetime | None = req.at
            for u in units:
                r = replies.get((name, u))
                if r is None:
                    last = None
                    break
                last = max(last, r.at) if last else r.at
            done_at[name] = last
    for name, step in steps.items():
        if step.kind == "step":
            s_ev = started.get(name)
            c_ev = completed.get(name)
            if s_ev is None and c_ev is None:
                continue
            begin = s_ev or c_ev
            assert begin is not None
            b_day = begin.at.date()
            if s_ev is None:  # no recorded start: the step began when it could begin
                ready = [done_at.get(p) for p in step.after]
                b_day = (max(d for d in ready if d is not None).date()
                         if ready and all(ready) else clock_start)
                b_day = min(b_day, _day(begin))
            e_day = c_ev.at.date() if c_ev else as_of
            limit = step.limit
            idx = cal.index(limit.unit if limit else A.DayKind.WORKING)
            est: dict[str, dt.date] = {}
            attr: dict[str, Event | Actor] = {}
            deadline = None
            over = 0
            if limit is not None:
                deadline = idx.deadline(b_day, limit.amount, susp)
                if trace is not None:
                    note(f"step:{name}", b_day, limit, susp, deadline)
                if e_day > deadline:
                    over = idx.count(deadline, e_day, susp)
                    if over:
                        est["step_days_over"] = est["step_overdue"] = (
                            deadline + dt.timedelta(days=1))
            early = False
            for pre in step.after:
                t_done = done_at.get(pre)
                if t_done is None or t_done > begin.at:
                    early = True
                    est["started_before_prerequisites"] = b_day
                    attr["started_before_prerequisites"] = begin
                    break
            unauth = False
            if step.post and c_ev is not None:
                ok, present = ctx.acts_for(c_ev.post, step.post, c_ev.at)
                if not ok:
                    unauth = True
                    est["step_unauthorized"] = c_ev.at.date()
                    attr["step_unauthorized"] = c_ev
                if present:
                    case_attr["cover_while_present"] = c_ev
            facts: dict[str, Any] = {
                "step_days": idx.count(b_day, e_day, susp), "step_days_over": over,
                "step_overdue": over > 0, "started_before_prerequisites": early,
                "step_unauthorized": unauth}
            out.append(Subject(A.Scope.STEP, name, facts, attr, c_ev or s_ev, est,
                                acts={"step_handler": c_ev or s_ev}))
            if c_ev is None and deadline is not None and step.limit is not None:
                who = Actor.of(s_ev)
                w = _warning(ctx, item, case, name, b_day, deadline, step.limit.unit,
                             step.limit.amount, susp, cal, who, who.unit if who else None)
                if w is not None:
                    warnings_out.append(w)
        else:
            req = requested.get(name)
            if req is None:
                continue
            r_day = _day(req)
            unit_kind = step.limit.unit if step.limit else A.DayKind.WORKING
            idx = cal.index(unit_kind)
            deadline = idx.deadline(r_day, step.limit.amount, susp) if step.limit else None
            units = _text_list(req.data.get("units")) or list(step.units)
            for u in sorted(units):
                rep = replies.get((name, u))
                end = _day(rep) if rep else as_of
                facts = {"reply_days": idx.count(r_day, end, susp)}
                if deadline is not None and trace is not None:
                    note(f"reply:{name}/{u}", r_day, step.limit, susp, deadline)
                late = deadline is not None and end > deadline and (
                    rep is not None or as_of > deadline)
                unanswered = bool(late)
                opinion = str(rep.data.get("opinion") or "") if rep else ""
                improper = rep is not None and opinion not in AGREE | DISAGREE | FORWARD
                dissent_nr = rep is not None and opinion in DISAGREE and not _has_reasons(rep)
                silent_consent = (rep is None and unanswered
                                  and step.silence is not A.Silence.FAILURE)
                facts["unanswered"] = unanswered
                facts["dissent_without_reasons"] = dissent_nr
                facts["deemed_consent"] = bool(silent_consent or improper or dissent_nr
                                               or (unanswered and rep is not None
                                                   and step.silence is not A.Silence.FAILURE))
                est: dict[str, dt.date] = {}
                if deadline is not None:
                    est["unanswered"] = deadline + dt.timedelta(days=1)
                    est["deemed_consent"] = deadline + dt.timedelta(days=1) if rep is None else (
                        _day(rep))
                if rep is not None:
                    est["dissent_without_reasons"] = _day(rep)
                actor = Actor.of(rep) if rep else Actor(None, None, u, deadline or r_day)
                if actor is not None and actor.unit is None:
                    actor.unit = u
                out.append(Subject(A.Scope.COUNTERSIGN, f"{name}/{u}", facts, {}, actor, est,
                                    acts={"countersign_unit": actor,
                                          "countersign_requester": req}))
    return out


def _warning(ctx: CaseContext, item: ItemIR, case: str, step: str | None, start: dt.date,
             deadline: dt.date | None, unit: A.DayKind, total: int, susp, cal, who: Actor | None,
             org_unit: str | None) -> Warning | None:
    if deadline is None or not item.warnings:
        return None
    as_of = ctx.as_of
    idx = cal.index(unit)
    days_over = idx.count(deadline, as_of, susp) if as_of > deadline else 0
    days_left = idx.count(as_of, deadline, susp) if as_of < deadline else 0
    used = idx.count(start, as_of, susp)
    percent = (Decimal(used) * 100 / Decimal(total)).quantize(Decimal("0.01")) if total else None
    best = None
    for w in item.warnings:
        hit = False
        if w.trigger is A.TriggerKind.BEFORE:
            hit = days_over == 0 and cal.index(w.unit).count(as_of, deadline, susp) <= w.amount
        elif w.trigger is A.TriggerKind.AT_PERCENT:
            hit = percent is not None and w.percent is not None and percent >= w.percent
        else:
            over = (cal.index(w.unit).count(deadline, as_of, susp) if as_of > deadline else 0)
            hit = over >= max(w.amount, 1)
        if hit and (best is None or LEVEL_ORDER[w.level] > LEVEL_ORDER[best.level]):
            best = w
    if best is None:
        return None
    rule = _warning_text(best)
    return Warning(case, item.name, step, best.level.value, deadline, days_left, days_over,
                   percent, who.person if who else None, who.post if who else None, org_unit,
                   rule, as_of)


def _warning_text(w) -> str:
    level = {"notice": "预警", "yellow": "黄牌", "red": "红牌"}[w.level.value]
    u = "工作日" if w.unit is A.DayKind.WORKING else "自然日"
    if w.trigger is A.TriggerKind.BEFORE:
        return f"{level} 提前 {w.amount} {u}"
    if w.trigger is A.TriggerKind.AT_PERCENT:
        return f"{level} 达到 {w.percent}%"
    return f"{level} 逾期" + (f" {w.amount} {u}" if w.amount else "")


