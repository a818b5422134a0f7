"""The reference judge: evaluation — a lowered program and case events → decisions.

parse → check → lower → **evaluate(program, events, as_of)** → decisions → output / store.

For each case (events grouped by case id, sorted by time then id) :mod:`wenze.engine.case`
computes the clock start (Art. 32 deemed acceptance), the listed suspensions (Art. 45), the
extension (valid only if its approver's post held the power at that moment, A/B cover included),
the promised and statutory deadlines, the case, step and countersign facts of
:mod:`wenze.dsl.facts`; here every violation whose items match is checked against those
facts; each true check gives one offence per responsible person. Offences go through the
rulebook's ladders (:mod:`wenze.engine.sanction`, :mod:`wenze.engine.ladder`) per person in time
order. Targets are checked per unit and completed period; warnings come with each case.
The precise rules are written down in ``docs/semantics.md``; everything is sorted, so the same
inputs give byte-identical JSON.

One module on purpose (~630 lines): the reference judge's stage after the cases — offences,
warnings, metrics, targets, the ladder's seam — which the fast path and live mode share by name.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl import calendar as C
from wenze.engine.case import (  # the facts of one case
    Actor,
    CaseContext,
    CaseOutcome,
    CaseTrace,
    DeadlineNote,
    RuleCheck,
    Subject,
    evaluate_case,
    event_order,
    event_type_of,
    period_end,
    period_key,
)
from wenze.engine.decisions import Decision, Metric, Offence, Warning
from wenze.engine.lower import ItemIR, Program, ViolationIR
from wenze.events.readers import Event, Rejection

__all__ = ["CaseTrace", "DeadlineNote", "EvaluationResult", "Offence", "RuleCheck", "Unjudged",
           "evaluate", "target_facts"]

# facts that point at one act (and so at that act's actor), in priority order
ACT_FACTS = (
    "extension_unauthorized", "decision_unauthorized", "received_unauthorized",
    "acceptance_unauthorized", "correction_notice_unauthorized", "suspension_unauthorized",
    "delivery_unauthorized", "referral_unauthorized", "countersign_request_unauthorized",
    "act_unauthorized", "cover_while_present",
    "refused_without_reasons", "shirked", "complaints", "correction_notice_late",
    "correction_notices", "suspension_unlisted", "delivered_late", "step_unauthorized",
    "started_before_prerequisites",
)
LATENESS_FACTS = ("days_over_statutory", "overdue_statutory", "days_over_promised",
                  "days_over_external_deadline",
                  "overdue_promised", "step_days_over", "step_overdue", "unanswered")

# --------------------------------------------------------------------------- result records


@dataclass(frozen=True)
class Unjudged:
    """A case that could not be judged, and why (never guessed)."""

    case: str
    code: str
    message: str
    source: str | None = None
    line: int | None = None
    event_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        # no line number: it depends on the input order (stderr reports it)
        return {"case": self.case, "code": self.code, "message": self.message,
                "source": self.source, "event_id": self.event_id}


@dataclass(frozen=True)
class EvaluationResult:
    as_of: dt.date
    decisions: Sequence[Decision]  # a tuple; the columnar stage's is a lazy DecisionTable
    warnings: tuple[Warning, ...]
    metrics: tuple[Metric, ...]
    rejected: tuple[Rejection, ...]
    unjudged: tuple[Unjudged, ...]
    traces: Mapping[str, CaseTrace]
    cases: int
    events: int
    events_after_as_of: int

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "cases": self.cases,
            "events": self.events,
            "events_after_as_of": self.events_after_as_of,
            "decisions": [d.to_json() for d in self.decisions],
            "warnings": [w.to_json() for w in self.warnings],
            "metrics": [m.to_json() for m in self.metrics],
            "rejected": [
                {"source": r.source, "line": r.line, "event_id": r.event_id, "code": r.code,
                 "message": r.message}
                for r in self.rejected
            ],
            "unjudged": [u.to_json() for u in self.unjudged],
        }


# --------------------------------------------------------------------------- offences


def _actor(x: Any) -> Actor | None:
    """An act's actor: from an event, an actor, or a record with ``actor``/``post``/``unit``."""
    if x is None or isinstance(x, Actor):
        return x
    if isinstance(x, Event):
        return Actor.of(x)
    return Actor(x.actor or None, x.post or None, x.unit or None, None)


def _attributed(v: ViolationIR, sub: Subject, env: Mapping[str, Any]
                ) -> tuple[Actor | None, dt.date | None]:
    for key in ACT_FACTS:
        if key in v.facts and env.get(key) and key in sub.attribution:
            return _actor(sub.attribution[key]), sub.established.get(key)
    for key in LATENESS_FACTS:
        if key in v.facts and env.get(key) and key in sub.established:
            return _actor(sub.default), sub.established[key]
    for key in v.facts:
        if env.get(key) and key in sub.established:
            return _actor(sub.attribution.get(key, sub.default)), sub.established[key]
    return _actor(sub.default), None


def _leaders(ctx: CaseContext, post: str | None, unit: str | None
             ) -> tuple[str | None, str | None, str | None]:
    program = ctx.program
    p = program.posts.get(post or "")
    u_name = unit or (p.unit if p else None)
    u = program.units.get(u_name or "")
    deputy = (p.deputy_leader if p and p.deputy_leader else None) or (
        u.deputy_leader if u else None)
    chief = u.chief_leader if u else None
    return u_name, deputy, chief


def offences_for(ctx: CaseContext, out: CaseOutcome, trace: CaseTrace | None) -> list[Offence]:
    found: list[Offence] = []
    for v in ctx.program.violations:
        if v.scope is A.Scope.TARGET or not v.applies_to(out.item.name):
            continue
        scope, needs_parent, condition = v.scope, v.needs_parent, v.condition
        for sub in out.subjects:
            if sub.scope is not scope:
                continue
            env = sub.env(needs_parent)
            result = condition(env)
            if trace is not None:
                used = tuple((k, env.get(k)) for k in v.facts)
                trace.checks.append(RuleCheck(v.name, sub.name, v.source, used, result))
            if not result:
                continue
            used = tuple((k, env.get(k)) for k in v.facts)
            actor, day = _attributed(v, sub, env)
            day = day or out.decided or ctx.as_of
            found += _responsible(ctx, v, out, sub.name, actor, day, used, sub=sub,
                                  act_at=actor.at if actor is not None else None,
                                  notes=trace.notes if trace is not None else None)
    return found


UNKNOWN_UNIT = "（未知单位）"  # a party whose unit nothing names (never dropped: docs §6)


def _party_act(out: CaseOutcome | None, sub: Subject | None, base: A.PartyBase,
               actor: Actor | None) -> Actor | None:
    """The act (its actor) behind a party of a true check, or None when the case has no such act
    (docs/semantics.md §6, the table of parties)."""
    if base is A.PartyBase.DIRECT:
        return actor
    if out is None:
        return None
    if base is A.PartyBase.REVIEWER:
        return _actor(out.reviewer)
    if sub is not None and sub.acts and base.value in sub.acts:
        return _actor(sub.acts[base.value])
    if base is A.PartyBase.DECIDER:
        return _actor(out.approver)
    return _actor((out.acts or {}).get(base.value))


def _responsible(ctx: CaseContext, v: ViolationIR, out: CaseOutcome | None, subject: str | None,
                 actor: Actor | None, day: dt.date, used: tuple, *, unit: str | None = None,
                 sub: Subject | None = None, notes: list[str] | None = None,
                 act_at: float | None = None) -> list[Offence]:
    """One offence per responsible person of a true check: each entry of the violation's 责任 —
    a party (an act's actor, or a leader of one) and its degree — resolved; a party that cannot
    be found names its post or unit with person None (never dropped); one offence per person,
    the first entry naming a person wins."""
    people: dict[str, Offence] = {}
    dates = tuple(sorted(out.dates.items())) if out else ()
    case_unit = unit or (out.unit if out else None)
    resolved: dict[A.PartyBase, tuple[Actor | None, str | None]] = {}
    for resp in v.responsible:
        base = resp.party.base
        if base not in resolved:
            act = _party_act(out, sub, base, actor)
            act_unit = ((act.unit if act else None) or ctx.unit_of_post(act.post if act else None)
                        or case_unit)
            resolved[base] = (act, act_unit)
        act, act_unit = resolved[base]
        who: tuple[str | None, str | None, str | None]
        if resp.party.leader is A.Leader.BODY:  # the leadership body of the party's unit
            post = act.post if act else None
            u_name, _, _ = _leaders(ctx, post, act_unit)
            who = (None, None, u_name or case_unit or UNKNOWN_UNIT)
        elif resp.party.leader is not None:
            post = act.post if act else None
            u_name, deputy, chief = _leaders(ctx, post, act_unit)
            leader = deputy if resp.party.leader is A.Leader.DEPUTY else chief
            if leader:
                who = (ctx.holder(leader, day), leader, ctx.unit_of_post(leader) or u_name)
            else:  # the post and unit name no such leader: the decision names the unit, no person
                who = (None, None, u_name or case_unit or UNKNOWN_UNIT)
                if notes is not None:
                    word = "分管领导" if resp.party.leader is A.Leader.DEPUTY else "主要领导"
                    notes.append(f"「{v.name}」{'[' + subject + ']' if subject else ''}: "
                                 f"岗位「{post or '—'}」及单位「{who[2]}」未指明{word}，"
                                 f"决定只写明单位，不写明人员 / post and unit name no "
                                 f"{resp.party.leader.value.replace('_', ' ')}: the decision "
                                 f"names the unit, with no person")
        elif out is None and base is A.PartyBase.DIRECT:
            # a target: the unit's chief leader answers directly
            u_name, _, chief = _leaders(ctx, None, case_unit)
            who = (ctx.holder(chief, day) if chief else None, chief, u_name)
        elif act is not None:
            who = (act.person, act.post, act.unit or act_unit if base is A.PartyBase.DIRECT
                   else act.unit or ctx.unit_of_post(act.post))
        else:  # no such act in the case: the case's unit answers, person unknown
            who = (None, None, None)
        if who[0] is None and who[1] is None and who[2] is None:
            who = (None, None, case_unit or UNKNOWN_UNIT)
        off = Offence(
            out.case if out else None, out.item.name if out else None, v, subject,
            who[0], who[1], who[2], resp, day, used, dates,
            out.circumstances if out else (), act_at,
        )
        people.setdefault(off.person_key, off)  # one decision per person: the first entry wins
    return list(people.values())


# --------------------------------------------------------------------------- targets, metrics


def periods_of(program: Program) -> set[A.Period]:
    found = {t.period for t in program.targets.values()}
    return found or {A.Period.QUARTER}


MetricRow = tuple[str | None, dt.date | None, dt.date | None, bool | None, bool, bool]


def metric_row(o: CaseOutcome) -> MetricRow:
    return (o.unit, o.received, o.decided, o.on_time, o.on_the_spot, o.overdue_open)


def metrics_of(ctx: CaseContext, rows: Sequence[MetricRow],
             counts: Mapping[tuple[str, str], Sequence[int]] | None = None) -> list[Metric]:
    """Metrics per unit and period from metric rows; ``counts`` (received, decided, on time, on
    the spot, open overdue per (unit, period key)) adds cases already counted elsewhere (the
    columnar fast path, :mod:`wenze.fast.columnar`)."""
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for key, values in (counts or {}).items():
        acc[key] = list(values)
    for period in sorted(periods_of(ctx.program), key=lambda p: p.value):
        for o_unit, received, decided, on_time, on_the_spot, overdue_open in rows:
            unit = o_unit or "（未知单位）"
            if received is not None:
                acc[(unit, period_key(received, period))][0] += 1
            if decided is not None:
                row = acc[(unit, period_key(decided, period))]
                row[1] += 1
                row[2] += 1 if on_time else 0
                row[3] += 1 if on_the_spot else 0
            if overdue_open:
                acc[(unit, period_key(ctx.as_of, period))][4] += 1
    metrics = []
    for (unit, key), (rec, dec, ot, spot, open_) in sorted(acc.items()):
        metrics.append(Metric(
            unit, key, period_end(key) < ctx.as_of, rec, dec, ot, spot, open_,
            (Decimal(ot) * 100 / dec).quantize(Decimal("0.01")) if dec else None,
            (Decimal(spot) * 100 / dec).quantize(Decimal("0.01")) if dec else None,
        ))
    return metrics


def target_offences(ctx: CaseContext, metrics: Sequence[Metric]) -> list[Offence]:
    program = ctx.program
    found: list[Offence] = []
    for v in program.violations:
        if v.scope is not A.Scope.TARGET:
            continue
        target = program.targets.get(v.target or "")
        if target is None:
            continue
        for m in metrics:
            if not m.complete or (target.units and m.unit not in target.units):
                continue
            if period_of_key(m.period) is not target.period:
                continue
            facts = target_facts(m)
            if v.source:
                hit = v.condition(facts)
                used = tuple((k, facts.get(k)) for k in v.facts)
            else:  # no condition: the target is missed
                value = facts.get(target.metric)
                from wenze.engine.lower import OPS
                hit = value is not None and not OPS[target.op](value, target.threshold)
                used = ((target.metric, value),)
            if not hit:
                continue
            day = period_end(m.period) + dt.timedelta(days=1)
            found += _responsible(ctx, v, None, f"{m.unit}/{m.period}", None, day, used,
                                  unit=m.unit)
    return found


def target_facts(m: Metric) -> dict[str, Any]:
    """The facts of a unit and period, for violations on a target."""
    return {"on_time_rate": m.on_time_rate, "on_the_spot_rate": m.on_the_spot_rate,
            "case_count": m.decided}


def period_of_key(key: str) -> A.Period:
    """The period a metric key (``2024-Q3``, ``2024-H1``, ``2024-07``, ``2024``) counts."""
    if "-Q" in key:
        return A.Period.QUARTER
    if "-H" in key:
        return A.Period.HALF_YEAR
    return A.Period.MONTH if "-" in key else A.Period.YEAR


# --------------------------------------------------------------------------- entry point


def evaluate(
    program: Program,
    events: Iterable[Event],
    as_of: dt.date,
    prior_sanctions: Sequence[Any] = (),
    *,
    rejected: Sequence[Rejection] = (),
    explain: Iterable[str] = (),
    workers: int | None = None,
) -> EvaluationResult:
    """Evaluate the events of many cases as of a date. ``rejected`` (from the event reader) is
    carried into the result; events the program cannot place (unknown item, step or post) are
    rejected here too, with their id and line. ``explain`` names cases whose trace is kept.
    ``workers`` > 1 (or 0: one per CPU; default ``WENZE_WORKERS`` or 1) evaluates a large
    caseload in forked processes; the result is the same."""
    # The cyclic garbage collector would rescan every event object again and again while the
    # per-case records are made (a third of the time); nothing here makes reference cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(program, events, as_of, prior_sanctions, rejected, explain, workers)
    finally:
        if collecting:
            gc.enable()


def _evaluate(program: Program, events: Iterable[Event], as_of: dt.date,
              prior_sanctions: Sequence[Any], rejected: Sequence[Rejection],
              explain: Iterable[str], workers: int | None) -> EvaluationResult:
    explain_set = set(explain)
    all_rejected: list[Rejection] = list(rejected)
    kept: list[Event] = []
    after = 0
    items, posts = program.items, program.posts
    for ev in events:
        if ev.at.date() > as_of:
            after += 1
            continue
        if (ev.item and ev.item not in items) or (ev.post and ev.post not in posts):
            problem = event_problem(program, ev)
            assert problem is not None
            code, message = problem
            all_rejected.append(Rejection(ev.source, ev.line, ev.id, code, message))
            continue
        kept.append(ev)
    ctx = CaseContext(program, kept, as_of)
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in kept:
        if ev.case:
            by_case[ev.case].append(ev)
    cases = sorted(by_case)
    workers = _workers(len(cases), workers) if not explain_set else 1
    if workers > 1:
        batch = _run_parallel(ctx, program, cases, by_case, workers)
    else:
        batch = run_cases(ctx, program, cases, by_case, explain_set)
    outs, offences, warnings, unjudged, late_rejected, traces = batch
    all_rejected += late_rejected
    return finish(ctx, outs, offences, warnings, unjudged, all_rejected, traces, len(outs),
                  len(kept), after, prior_sanctions)


def finish(ctx: CaseContext, outs: Sequence[MetricRow], offences: list[Offence],
           warnings: list[Warning], unjudged: Sequence[Unjudged], all_rejected: list[Rejection],
           traces: dict[str, CaseTrace], n_cases: int, n_events: int, after: int,
           prior_sanctions: Sequence[Any] = (),
           counts: Mapping[tuple[str, str], Sequence[int]] | None = None) -> EvaluationResult:
    """The stage after the cases: metrics, targets, ladders, sorting → the result. The seam the
    columnar fast path (:mod:`wenze.fast.columnar`) shares with :func:`evaluate`: the same
    offences and metric counts give the same decisions, byte for byte."""
    from wenze.engine.sanction import sanction  # the ladder stage

    program, as_of = ctx.program, ctx.as_of
    metrics = metrics_of(ctx, outs, counts)
    offences += target_offences(ctx, metrics)
    offences.sort(key=lambda o: o.order)
    decisions = sanction(program, offences, prior_sanctions, as_of, ctx.holder)
    return assemble(as_of, decisions, warnings, metrics, unjudged, all_rejected, traces,
                    n_cases, n_events, after)


def assemble(as_of: dt.date, decisions: list[Decision], warnings: list[Warning],
             metrics: Sequence[Metric], unjudged: Sequence[Unjudged],
             all_rejected: list[Rejection], traces: dict[str, CaseTrace], n_cases: int,
             n_events: int, after: int) -> EvaluationResult:
    """The result in its stable order: decisions by date, case, violation, subject and person;
    warnings by level and deadline; rejections by source and line."""
    decisions.sort(key=lambda d: (d.established, d.case or "", d.violation, d.subject or "",
                                  d.person or "", d.role.value, d.key))
    for d in decisions:
        if d.case in traces:
            traces[d.case].decisions.append(d)
    warnings.sort(key=lambda w: (-{"notice": 1, "yellow": 2, "red": 3}[w.level], w.deadline,
                                 w.case, w.step or ""))
    all_rejected.sort(key=lambda r: (r.source or "", r.line or 0, r.event_id or "", r.code))
    return EvaluationResult(
        as_of, tuple(decisions), tuple(warnings), tuple(metrics), tuple(all_rejected),
        tuple(unjudged), traces, n_cases, n_events, after,
    )


def calendar_unjudged(case: str, evs: Sequence[Event], err: C.CalendarRangeError) -> Unjudged:
    """The case is unjudged: a date outside the calendar. It names the event dated that day (else
    the case's first event: the date is the as-of date or a deadline past the known years)."""
    culprit = next((e for e in evs if err.day is not None and e.local_date == err.day), None)
    where = culprit or evs[0]
    return Unjudged(case, "calendar_range", str(err), where.source, where.line, where.id)


CaseBatch = tuple[list[MetricRow], list[Offence], list[Warning], list[Unjudged], list[Rejection],
               dict[str, CaseTrace]]
PARALLEL_MIN_CASES = 20_000  # below this, forking costs more than it saves


# the event types that start a case's clock (receipt, acceptance, or a decision on the spot)
CLOCK_STARTS = frozenset({"received", "accepted", "decided"})
# a case made of these alone has nothing to time (e.g. 推诿首问: the request was never received)
UNTIMED = frozenset({"complaint", "referred", "absent", "returned"})


def judge_case(
    ctx: CaseContext, program: Program, case: str, evs: Sequence[Event], explain: bool = False,
) -> tuple[CaseOutcome | None, Unjudged | None, list[Rejection], CaseTrace | None]:
    """Judge one case from its events (sorted by time): (facts, None, rejections, trace), or
    (None, why it cannot be judged, rejections, None). The one per-case step of batch
    evaluation, live mode and the columnar fast path's fallback; ``explain`` keeps the trace."""
    names = sorted({e.item for e in evs if e.item})
    first = evs[0]
    if len(names) != 1:
        msg = ("事件未指明事项 no event names the item" if not names else
               f"事件指明了多个事项 events name several items: {', '.join(names)}")
        return None, Unjudged(case, "item", msg, first.source, first.line, first.id), [], None
    types = {event_type_of(e) for e in evs}
    if not types & CLOCK_STARTS and not types <= UNTIMED:
        msg = ("没有收件、受理或决定事件，期限无从起算 the case has no received, accepted or "
               "decided event: its time limits cannot start")
        problem = Unjudged(case, "clock_start", msg, first.source, first.line, first.id)
        return None, problem, [], None
    item = program.items[names[0]]
    steps = program.processes[item.process].steps if item.process in program.processes else {}
    rejected: list[Rejection] = []
    if any(ev.step and ev.step not in steps for ev in evs):
        placed = []
        for ev in evs:
            problem = _step_problem(program, item, ev)
            if problem:
                rejected.append(Rejection(ev.source, ev.line, ev.id, *problem))
            else:
                placed.append(ev)
        evs = placed
    trace = CaseTrace(case, item.name, item.calendar, list(evs)) if explain else None
    try:
        out = evaluate_case(ctx, case, item, evs, trace)
    except C.CalendarRangeError as err:
        return None, calendar_unjudged(case, evs, err), rejected, None
    return out, None, rejected, trace


def run_cases(ctx: CaseContext, program: Program, cases: Sequence[str],
               by_case: Mapping[str, list[Event]], explain_set: set[str]) -> CaseBatch:
    """Evaluate the given cases one by one (the heart of :func:`evaluate`)."""
    order = event_order
    outs: list[MetricRow] = []
    offences: list[Offence] = []
    warnings: list[Warning] = []
    unjudged: list[Unjudged] = []
    rejected: list[Rejection] = []
    traces: dict[str, CaseTrace] = {}
    for case in cases:
        evs = by_case[case]
        evs.sort(key=order)
        if all(event_type_of(e) in ("absent", "returned") for e in evs):
            continue
        out, problem, refused, trace = judge_case(ctx, program, case, evs, case in explain_set)
        rejected += refused
        if problem is not None:
            unjudged.append(problem)
            continue
        if trace is not None:
            traces[case] = trace
        outs.append(metric_row(out))
        warnings += out.warnings
        found = offences_for(ctx, out, trace)
        if trace is not None:
            trace.offences = list(found)
        offences += found
    return outs, offences, warnings, unjudged, rejected, traces


def _workers(n_cases: int, asked: int | None) -> int:
    """How many processes evaluate the cases: ``workers`` if given (0: one per CPU), else
    ``WENZE_WORKERS``, else 1; never more than one for a small caseload or where processes cannot
    be forked."""
    if asked is None:
        asked = int(os.environ.get("WENZE_WORKERS") or 1)
    if asked == 0:
        asked = os.cpu_count() or 1
    if asked <= 1 or n_cases < PARALLEL_MIN_CASES or "fork" not in mp.get_all_start_methods():
        return 1
    return min(asked, 16)


_SHARED: tuple[Any, ...] | None = None  # what forked workers read (inherited, never pickled)


def _work(bounds: tuple[int, int]) -> tuple[Any, ...]:
    assert _SHARED is not None
    ctx, program, cases, by_case = _SHARED
    return portable(program, run_cases(ctx, program, cases[bounds[0]:bounds[1]], by_case,
                                        set()))


# (act_at too: the ladder takes one date's offences in the order of their acts)
_OFFENCE_FIELDS = ("case", "item", "subject", "person", "post", "unit", "role", "established",
                   "facts", "dates", "circumstances", "act_at")


def portable(program: Program, batch: CaseBatch) -> tuple[Any, ...]:
    """A batch judged in a forked process, to be sent to its parent (pickled): a violation's
    condition is a function, so an offence's violation is sent by its index (traces stay)."""
    outs, offences, warnings, unjudged, rejected, _ = batch
    index = {id(v): i for i, v in enumerate(program.violations)}
    rows = [(index[id(o.violation)], *(getattr(o, f) for f in _OFFENCE_FIELDS))
            for o in offences]
    return outs, rows, warnings, unjudged, rejected


def joined(program: Program, parts: Sequence[tuple[Any, ...]]) -> CaseBatch:
    """The :func:`portable` batches of consecutive slices of cases, as one batch (no traces)."""
    outs: list[MetricRow] = []
    offences: list[Offence] = []
    warnings: list[Warning] = []
    unjudged: list[Unjudged] = []
    rejected: list[Rejection] = []
    for p_outs, p_offences, p_warnings, p_unjudged, p_rejected in parts:
        outs += p_outs
        for row in p_offences:
            values = dict(zip(_OFFENCE_FIELDS, row[1:], strict=True))
            offences.append(Offence(violation=program.violations[row[0]], **values))
        warnings += p_warnings
        unjudged += p_unjudged
        rejected += p_rejected
    return outs, offences, warnings, unjudged, rejected, {}


def _run_parallel(ctx: CaseContext, program: Program, cases: list[str],
                  by_case: Mapping[str, list[Event]], workers: int) -> CaseBatch:
    """The cases in contiguous slices, one forked process each; results joined in case order,
    so the outcome is the same as one process's."""
    global _SHARED
    size = -(-len(cases) // workers)
    slices = [(i, min(i + size, len(cases))) for i in range(0, len(cases), size)]
    _SHARED = (ctx, program, cases, by_case)
    try:
        with mp.get_context("fork").Pool(len(slices)) as pool:
            parts = pool.map(_work, slices)
    finally:
        _SHARED = None
    return joined(program, parts)


def event_problem(program: Program, ev: Event) -> tuple[str, str] | None:
    t = event_type_of(ev)
    if t in ("absent", "returned"):
        if ev.post and ev.post not in program.posts:
            return "unknown_post", f"未知岗位 unknown post `{ev.post}`"
        if ev.item and ev.item not in program.items:  # else the caller's assertion failed
            return "unknown_item", f"未知事项 unknown item `{ev.item}`"
        return None
    if ev.item and ev.item not in program.items:
        return "unknown_item", f"未知事项 unknown item `{ev.item}`"
    if ev.post and ev.post not in program.posts:
        return "unknown_post", f"未知岗位 unknown post `{ev.post}`"
    return None


def _step_problem(program: Program, item: ItemIR, ev: Event) -> tuple[str, str] | None:
    if not ev.step:
        return None
    process = program.processes.get(item.process or "")
    if process is None or ev.step not in process.steps:
        where = f"流程「{process.name}」" if process else f"事项「{item.name}」没有流程"
        return "unknown_step", f"未知环节 unknown step `{ev.step}` ({where})"
    return None
