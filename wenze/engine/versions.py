"""Rules in time: a family of rulebook versions judges each act by the version in force when it
happened, and applies the later version where it is lighter (从旧兼从轻).

The rule, as 《行政处罚法》（2021）第三十七条 states it: "实施行政处罚，适用违法行为发生时的
法律、法规、规章的规定。但是，作出行政处罚决定时，法律、法规、规章已被修改或者废止，且新的规定
处罚较轻或者不认为是违法的，适用新的规定。" — and no rule reaches back before it took effect
(《立法法》第一百零四条).
Here, for each case:

- **its procedure** — time limits, extensions, calendars, the posts and the powers they hold — is
  the version in force on the day the case was accepted (受理; the first event when there is no
  acceptance): the limits a case runs under are the ones promised when it was accepted;
- **each act** is judged by the violations and ladders of the version in force on the day the
  offence was established (a decision's day; for lateness, the day the deadline passed): an act
  before a version took effect is never judged by it, and a violation a later version adds reaches
  only acts after it;
- **the decision date** (the as-of date) brings the version then in force: when it no longer counts
  the act as a violation (repealed, or its condition no longer holds), the act is not sanctioned;
  when its ladder gives a lighter sanction, the lighter one applies. The decision says which
  version judged it (``version``), names both versions' bases when the new one applies, and its
  ladder reasons say 从旧兼从轻.

A person's offences count together on the ladder whichever version judged them (the count of
offences is a fact, not a rule); each version's ladder is run over them all, and each offence
takes its sanction from the run of its own version (and the decision date's, for 从轻).

Targets (目标) are judged by the version in force on the last day of their period. Warnings come
from the case's own version. A case accepted, or an as-of date, when no version is in force is
never guessed: the case is unjudged (``WZE-VERSION``), the as-of date an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wenze.engine.case import CaseContext
from wenze.engine.decisions import Decision, LadderInfo, Offence
from wenze.engine.evaluate import (
    EvaluationResult,
    MetricRow,
    Unjudged,
    assemble,
    event_problem,
    metrics_of,
    period_of_key,
    periods_of,
    run_cases,
    target_offences,
)
from wenze.engine.lower import Program
from wenze.engine.sanction import sanction
from wenze.events.readers import Event, Rejection

NO_VERSION = "WZE-VERSION"


class VersionError(ValueError):
    """The family cannot judge on this date (no version in force)."""


@dataclass(frozen=True)
class VersionProgram:
    """One version of a family, lowered: its label, program and period."""

    label: str
    program: Program
    effective_from: dt.date
    effective_until: dt.date | None  # None: until further notice

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_until is None
                                               or day <= self.effective_until)


def hybrid(procedure: Program, rules: Program) -> Program:
    """A program judging a case accepted under ``procedure`` (its items, processes, calendars,
    units, posts and powers) by the violations, ladders and targets of ``rules``."""
    if procedure is rules:
        return rules
    return dataclasses.replace(
        rules, documents={**procedure.documents, **rules.documents},
        calendars=procedure.calendars, powers=procedure.powers, units=procedure.units,
        posts=procedure.posts, items=procedure.items, processes=procedure.processes,
        deciding_power=procedure.deciding_power)


def accepted_on(evs: Sequence[Event]) -> dt.date:
    """The day a case was accepted (its first 受理; else its first event)."""
    return _accepted_on(evs)


def _accepted_on(evs: Sequence[Event]) -> dt.date:
    accepted = [e for e in evs if e.type.value == "accepted"]
    return min(e.local_date for e in (accepted or evs))


def version_on(versions: Sequence[VersionProgram], day: dt.date) -> VersionProgram | None:
    """The version in force on ``day`` (None when none is)."""
    return next((v for v in versions if v.in_force(day)), None)


def procedure_version(versions: Sequence[VersionProgram], events: Iterable[Event],
                      case: str | None) -> VersionProgram | None:
    """The version whose procedure (limits, calendars, posts) a case runs under: the one in
    force on the day it was accepted; None for no case, or when no version is in force."""
    evs = [e for e in events if case is not None and e.case == case]
    if not evs:
        return None
    return version_on(versions, _accepted_on(evs))


def offence_key(o: Offence) -> tuple[Any, ...]:
    """An act's identity across versions: case, violation, subject, person and role."""
    return _key(o)


def _key(o: Offence) -> tuple[Any, ...]:
    return (o.case, o.violation.name, o.subject, o.person_key, o.role.value)


def decision_key(d: Decision) -> tuple[Any, ...]:
    """A decision's identity across a family's ladders: its act's and its party's."""
    return (d.case, d.violation, d.subject, d.person or d.post or d.unit, d.role.value,
            d.established)


def _act_key(o: Offence) -> tuple[Any, ...]:
    """:func:`decision_key` of the decision an offence gives (joint decisions aside)."""
    return (o.case, o.violation.name, o.subject, o.person or o.post or o.unit, o.role.value,
            o.established)


@dataclass
class Judged:
    """One group of cases judged by one program (:func:`hybrid` of the version they were accepted
    under and the version whose rules judge them): what :func:`~wenze.engine.evaluate.run_cases`
    gives, and the metric counts of cases already counted elsewhere (the columnar screening's;
    keyed by every period :func:`periods_of_family` lists)."""

    outs: list[MetricRow]
    offences: list[Offence]
    warnings: list[Any]
    unjudged: list[Unjudged]
    rejected: list[Rejection]
    traces: dict[str, Any]
    counts: Mapping[tuple[str, str], Sequence[int]] | None = None
    screened: int = 0  # cases judged and counted without a metric row


def versions_for(versions: Sequence[VersionProgram], accepted: dt.date, as_of: dt.date
                 ) -> tuple[int | None, list[int]]:
    """For a case accepted on ``accepted``: the index of the version whose procedure it runs
    under (None: none in force — the case is not judged), and the indices of the versions whose
    rules may judge its acts as of ``as_of`` (each in force some day between the two)."""
    accepted_by = version_on(versions, accepted)
    if accepted_by is None:
        return None, []
    return next(i for i, v in enumerate(versions) if v is accepted_by), [
        r for r, rules in enumerate(versions)
        if rules.effective_from <= as_of and (rules.effective_until is None
                                              or rules.effective_until >= accepted)]


def no_version(case: str, day: dt.date) -> Unjudged:
    """The case accepted on ``day`` when no version was in force: not judged."""
    return Unjudged(case, NO_VERSION, f"受理日 {day} 没有有效的规则版本，不予判定 "
                    f"(no version of the rulebook family is in force on {day}, the day the "
                    "case was accepted)")


def periods_of_family(versions: Sequence[VersionProgram]) -> set[Any]:
    """Every period some version's metrics are counted by."""
    return set().union(*(periods_of(v.program) for v in versions))


def evaluate_versions(
    versions: Sequence[VersionProgram],
    events: Iterable[Event],
    as_of: dt.date,
    prior_sanctions: Sequence[Any] = (),
    *,
    rejected: Sequence[Rejection] = (),
    explain: Iterable[str] = (),
) -> EvaluationResult:
    """Evaluate case events against a family of versions as of a date (see the module)."""
    required_version(versions, as_of)  # no version in force on the as-of date: an error
    explain_set = set(explain)
    all_rejected: list[Rejection] = list(rejected)
    kept: list[Event] = []
    after = 0
    for ev in events:
        if ev.at.date() > as_of:
            after += 1
        else:
            kept.append(ev)
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in kept:
        if ev.case:
            by_case[ev.case].append(ev)
    unjudged: list[Unjudged] = []
    # which version accepted each case, and which versions' rules may judge its acts
    groups: dict[tuple[int, int], list[str]] = defaultdict(list)
    accepted_by: dict[int, list[str]] = defaultdict(list)
    for case in sorted(by_case):
        day = _accepted_on(by_case[case])
        a, rules = versions_for(versions, day, as_of)
        if a is None:
            unjudged.append(no_version(case, day))
            continue
        accepted_by[a].append(case)
        for r in rules:
            groups[a, r].append(case)
    # each procedure's events: what its own version cannot place is rejected, once
    placed = {a: _placed(versions[a].program, kept, cases, all_rejected)
              for a, cases in sorted(accepted_by.items())}
    all_rejected += unplaced_without_case(versions, kept, as_of)
    judged: dict[tuple[int, int], Judged] = {}
    for (a, r), cases in sorted(groups.items()):
        program = hybrid(versions[a].program, versions[r].program)
        events_a, cases_a = placed[a]
        ctx = CaseContext(program, events_a, as_of)
        judged[a, r] = Judged(*run_cases(ctx, program, cases,
                                         {c: list(cases_a.get(c, ())) for c in cases},
                                         explain_set if a == r else set()))
    contexts = {id(v): CaseContext(v.program, kept, as_of) for v in versions}
    return finish_versions(versions, as_of, judged, lambda v: contexts[id(v)], prior_sanctions,
                           unjudged, all_rejected, len(kept), after)


def finish_versions(versions: Sequence[VersionProgram], as_of: dt.date,
                    judged: Mapping[tuple[int, int], Judged],
                    context: Callable[[VersionProgram], CaseContext],
                    prior_sanctions: Sequence[Any], unjudged: list[Unjudged],
                    all_rejected: list[Rejection], n_events: int, after: int
                    ) -> EvaluationResult:
    """The stage after the cases: each offence kept under the version in force when it was
    established, targets by period, each version's ladder and 从旧兼从轻 → the result.
    ``judged``: per (accepting version, judging version) the group's cases judged;
    ``context(v)``: version ``v``'s :class:`CaseContext` over every kept event (the holders of
    posts, for targets and joint liability). The columnar path runs the same stage on offence
    tables (:mod:`wenze.fast.versions`), with :func:`targets_in_time` and the rule of
    :func:`from_old_or_new` (:func:`lighter` and its reasons)."""
    now = required_version(versions, as_of)
    outs: list[Any] = []
    warnings: list[Any] = []
    traces: dict[str, Any] = {}
    counts: dict[tuple[str, str], list[int]] = {}
    offences: list[Offence] = []  # each judged by the version in force when it was established
    version_of: dict[int, VersionProgram] = {}
    under_now: dict[tuple[Any, ...], Offence] = {}
    for (a, r), group in sorted(judged.items()):
        rules = versions[r]
        if a == r:
            outs += group.outs
            warnings += group.warnings
            unjudged += group.unjudged
            all_rejected += group.rejected
            traces.update(group.traces)
            for key, values in (group.counts or {}).items():
                counts[key] = [x + y for x, y in zip(counts.get(key, [0] * 5), values,
                                                     strict=True)]
        if rules is now:
            under_now.update((_key(o), o) for o in group.offences)
        for o in group.offences:
            if rules.in_force(o.established):
                offences.append(o)
                version_of[id(o)] = rules
    now_ctx = context(now)
    metrics, targets, now_targets = targets_in_time(versions, now, outs, counts, context)
    under_now.update((_key(o), o) for o in now_targets)
    for o in targets:
        offences.append(o)
        version_of[id(o)] = version_on(versions, o.established)  # type: ignore[assignment]
    offences.sort(key=lambda o: o.order)
    decisions = ladders_in_time(versions, now, offences, version_of, under_now, prior_sanctions,
                                as_of, now_ctx.holder)
    n_cases = len(outs) + sum(g.screened for (a, r), g in judged.items() if a == r)
    return assemble(as_of, decisions, warnings, metrics, unjudged, all_rejected, traces,
                    n_cases, n_events, after)


def targets_in_time(versions: Sequence[VersionProgram], now: VersionProgram,
                    outs: Sequence[MetricRow],
                    counts: Mapping[tuple[str, str], Sequence[int]] | None,
                    context: Callable[[VersionProgram], CaseContext]
                    ) -> tuple[list[Any], list[Offence], list[Offence]]:
    """Metrics (by the decision date's version's periods) and targets: each period judged by
    the version in force on its last day. (metrics, the target offences kept — each in force
    when established —, the decision date's version's own target offences)."""
    now_ctx = context(now)
    metrics = metrics_of(now_ctx, outs, _counts_for(now, counts or {}))
    now_targets = target_offences(now_ctx, metrics)
    kept: list[Offence] = []
    for v in versions:
        if v is now:
            found = now_targets
        else:
            ctx = context(v)
            found = target_offences(ctx, metrics_of(ctx, outs, _counts_for(v, counts or {})))
        kept += [o for o in found if v.in_force(o.established)]
    return metrics, kept, now_targets


def _counts_for(v: VersionProgram, counts: Mapping[tuple[str, str], Sequence[int]]
                ) -> dict[tuple[str, str], Sequence[int]] | None:
    """The metric counts of the periods ``v``'s metrics are counted by."""
    if not counts:
        return None
    periods = periods_of(v.program)
    return {k: c for k, c in counts.items() if period_of_key(k[1]) in periods}


def _placed(program: Program, events: list[Event], cases: Sequence[str],
            rejected: list[Rejection]) -> tuple[list[Event], dict[str, list[Event]]]:
    """The events a case's own version can place, all and by case; the others of ``cases`` are
    rejected (unknown item, post or step), as a single rulebook rejects them."""
    mine = set(cases)
    kept: list[Event] = []
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        if (ev.item and ev.item not in program.items) or (ev.post and ev.post not in program.posts):
            if ev.case in mine:
                problem = event_problem(program, ev)
                assert problem is not None
                rejected.append(Rejection(ev.source, ev.line, ev.id, *problem))
            continue
        kept.append(ev)
        if ev.case in mine:
            by_case[ev.case].append(ev)
    return kept, by_case


def unplaced_without_case(versions: Sequence[VersionProgram], events: Iterable[Event],
                          as_of: dt.date) -> list[Rejection]:
    """The rejections of the events of ``events`` that belong to no case (an absence, a
    return) and that no version of the family can place (an item or post none of them knows),
    in order: such an event is in no version's context, so it is reported, never silently
    dropped. The message is the version's in force on the event's day (else on ``as_of``),
    as a single rulebook's would be."""
    out: list[Rejection] = []
    for ev in events:
        if ev.case:
            continue
        v = version_on(versions, ev.at.date()) or required_version(versions, as_of)
        problem = family_problem(versions, ev, v.program)
        if problem is not None:
            out.append(Rejection(ev.source, ev.line, ev.id, *problem))
    return out


def family_problem(versions: Sequence[VersionProgram], ev: Event, program: Program
                   ) -> tuple[str, str] | None:
    """Why no version of the family can place ``ev`` (an item or post none of them knows),
    told as ``program`` tells it; None when one of them can."""
    if any(event_problem(v.program, ev) is None for v in versions):
        return None
    return event_problem(program, ev)


def _level(program: Program, ladder: str | None, sanction_name: str | None) -> int | None:
    if sanction_name is None:
        return -1  # no sanction is the lightest outcome
    if ladder is None or ladder not in program.ladders:
        return None
    levels = [n.text for n in program.ladders[ladder].levels]
    return levels.index(sanction_name) if sanction_name in levels else None


def ladders_in_time(versions: Sequence[VersionProgram], now: VersionProgram,
                    offences: Sequence[Offence], version_of: Mapping[int, VersionProgram],
                    under_now: Mapping[tuple[Any, ...], Offence], prior: Sequence[Any],
                    as_of: dt.date, holder: Callable[[str, dt.date], str | None] | None
                    ) -> list[Decision]:
    """Each version's ladder over all offences (time-ordered; ``version_of``: by ``id``, the
    version that judged each); each decision from its own version's run, and the decision
    date's version's (``now``) where that is lighter (从旧兼从轻). ``under_now``: what ``now``
    makes of each act (by :func:`offence_key`), judged as of the decision date."""
    used = {id(v) for v in version_of.values()}
    runs: dict[int, dict[tuple[Any, ...], Decision]] = {}
    for v in versions:
        if id(v) in used and v is not now:  # (only its own offences' decisions are read)
            made = sanction(v.program, offences, prior, as_of, holder)
            runs[id(v)] = {decision_key(d): d for d in made}
    # the decision date's ladder, over each act as the new rule sees it (where it still counts)
    as_now = [o if version_of[id(o)] is now else under_now.get(_key(o), o) for o in offences]
    made = sanction(now.program, as_now, prior, as_of, holder)
    runs[id(now)] = {decision_key(d): d for d in made}
    counted = {k[:3] for k in under_now}  # (case, violation, subject) the new rule still counts
    out: list[Decision] = []
    for v in versions:
        if id(v) not in used:
            continue
        mine = [o for o in offences if version_of[id(o)] is v]
        keys = {_act_key(o) for o in mine}
        # a joint (连带) decision belongs to the version of the offence that triggered it
        acts = {(o.case, o.violation.name, o.established) for o in mine}
        for key, d in runs[id(v)].items():
            if key in keys or (d.ladder is not None and d.ladder.joint
                               and (d.case, d.violation, d.established) in acts):
                out.append(from_old_or_new(d, v, now, runs[id(now)].get(key), counted))
    return out


def from_old_or_new(old: Decision, v: VersionProgram, now: VersionProgram,
                    new: Decision | None, counted: set[tuple[Any, ...]]) -> Decision:
    """The decision of an act of version ``v`` as of the decision date (version ``now``):
    ``old`` (from ``v``'s ladder) or ``new`` (from ``now``'s, of the same act, if any) —
    从旧兼从轻. ``counted``: the (case, violation, subject) ``now`` still counts."""
    if v is now:
        return dataclasses.replace(old, version=v.label)
    if (old.case, old.violation, old.subject) not in counted:
        return dataclasses.replace(old, sanction=None, ladder=with_reason(
            old.ladder, repealed_reason(v, now)), version=v.label)
    if new is not None and lighter(v, now, old.sanction, old.ladder.name if old.ladder else None,
                                   new.sanction, new.ladder.name if new.ladder else None):
        return dataclasses.replace(
            new, ladder=with_reason(new.ladder, lighter_reason(v, now, old.sanction,
                                                               new.sanction)),
            basis=tuple(dict.fromkeys((*old.basis, *new.basis))), version=now.label)
    return dataclasses.replace(old, ladder=with_reason(old.ladder, older_reason(v, now)),
                               version=v.label)


def with_reason(ladder: LadderInfo | None, reason: tuple[str, str]) -> LadderInfo | None:
    """A decision's ladder reasons with a 从旧兼从轻 reason added (none without a ladder)."""
    return dataclasses.replace(ladder, reasons=(*ladder.reasons, reason)) if ladder else None


def repealed_reason(v: VersionProgram, now: VersionProgram) -> tuple[str, str]:
    """Why an act of version ``v`` is not sanctioned: ``now`` no longer counts it."""
    return (f"从旧兼从轻：行为时适用版本 {v.label}，作出决定时有效的版本 {now.label} "
            "不再认定为违规，适用新的规定，不予处分",
            f"lex mitior: the act fell under version {v.label}; version {now.label}, in "
            "force on the decision date, no longer counts it as a violation, so the new "
            "rule applies and no sanction is given")


def lighter_reason(v: VersionProgram, now: VersionProgram, old: str | None, new: str | None
                   ) -> tuple[str, str]:
    """Why the decision date's version's sanction ``new`` applies to an act of ``v``."""
    return (f"从旧兼从轻：行为时适用版本 {v.label}（{old or '不予处分'}），"
            f"作出决定时有效的版本 {now.label} 处理较轻（{new or '不予处分'}），"
            "适用新的规定",
            f"lex mitior: the act fell under version {v.label} ({old or 'none'}); "
            f"version {now.label}, in force on the decision date, is lighter "
            f"({new or 'none'}), so it applies")


def older_reason(v: VersionProgram, now: VersionProgram) -> tuple[str, str]:
    """Why an act keeps the sanction of its own version ``v``: ``now`` is not lighter."""
    return (f"从旧：适用行为时的版本 {v.label}；作出决定时有效的版本 {now.label} 不较轻",
            f"the rule of the act's time applies (version {v.label}); version {now.label}, "
            "in force on the decision date, is not lighter")


def lighter(v: VersionProgram, now: VersionProgram, old: str | None, old_ladder: str | None,
            new: str | None, new_ladder: str | None) -> bool:
    """Whether the decision date's version ``now`` sanctions an act of ``v`` more lightly: the
    sanction ``new`` (on ladder ``new_ladder``) against ``old`` (on ``old_ladder``), both
    weighed by their places on ``now``'s ladder (no sanction is the lightest)."""
    old_level = _level(v.program, old_ladder, old)
    new_level = _level(now.program, new_ladder, new)
    return (old_level is not None and new_level is not None and new != old
            and _rank(now, new_ladder, new, new_level) < _rank(now, old_ladder, old, old_level))


def _rank(now: VersionProgram, ladder: str | None, sanction_name: str | None, level: int) -> int:
    """A sanction's weight on the decision date's ladder (-1: none); one the new ladder does not
    list keeps its weight on its own ladder."""
    if sanction_name is None:
        return -1
    if ladder and ladder in now.program.ladders:
        levels = [n.text for n in now.program.ladders[ladder].levels]
        if sanction_name in levels:
            return levels.index(sanction_name)
    return level


def lower_family(family: Any) -> list[VersionProgram]:
    """A loaded family's versions (:class:`wenze.dsl.family.FamilyLoad`), lowered."""
    from wenze.engine.lower import lower

    return [VersionProgram(v.label, lower(v.rulebook), v.effective_from, v.effective_until)
            for v in family.versions]


def family_evaluator(versions: Sequence[VersionProgram]) -> Any:
    """An evaluate function in the shape the command line and the store call
    (``evaluate(program, events, as_of, prior, **options)``) that judges with the family; the
    ``program`` it is handed (the decision date's version, for the reports) is not used."""

    def run(_program: Any, events: Iterable[Event], as_of: dt.date,
            prior_sanctions: Sequence[Any] = (), **options: Any) -> EvaluationResult:
        return evaluate_versions(versions, events, as_of, prior_sanctions,
                                 rejected=options.get("rejected", ()),
                                 explain=options.get("explain", ()))

    return run


def required_version(versions: Sequence[VersionProgram], day: dt.date) -> VersionProgram:
    """The version in force on ``day`` (:class:`VersionError` when none is)."""
    now = version_on(versions, day)
    if now is None:
        raise VersionError(f"no version of the family is in force on {day}; "
                           f"{day} 没有有效的规则版本")
    return now


def program_on(versions: Sequence[VersionProgram], day: dt.date) -> Program:
    """The program of the version in force on ``day`` (:class:`VersionError` when none is)."""
    return required_version(versions, day).program


__all__ = [
    "NO_VERSION",
    "Judged",
    "VersionError",
    "VersionProgram",
    "accepted_on",
    "decision_key",
    "evaluate_versions",
    "family_evaluator",
    "family_problem",
    "finish_versions",
    "from_old_or_new",
    "hybrid",
    "ladders_in_time",
    "lighter",
    "lighter_reason",
    "lower_family",
    "no_version",
    "offence_key",
    "older_reason",
    "periods_of_family",
    "procedure_version",
    "program_on",
    "repealed_reason",
    "required_version",
    "targets_in_time",
    "unplaced_without_case",
    "version_on",
    "versions_for",
    "with_reason",
]
