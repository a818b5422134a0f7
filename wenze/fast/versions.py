"""A rulebook family on the columnar fast path: the same decisions as
:func:`wenze.engine.versions.evaluate_versions`, byte for byte (docs/semantics.md §10).

The family's rule of time is written once, in :mod:`wenze.engine.versions`; this module only
judges the cases on columns:

1. each case's acceptance day (its first 受理, else its first event) on arrays, and from it, once
   per distinct day, the version whose procedure it runs under and the versions whose rules may
   judge its acts (:func:`~wenze.engine.versions.versions_for`);
2. per accepting version, the events it cannot place rejected (for its own cases) and left out
   of its context, as the reference does;
3. per (accepting version, judging version) group, the group's cases screened and judged by
   :func:`wenze.fast.columnar.judge_columns` with the program :func:`~wenze.engine.versions.
   hybrid` makes of the two — the columnar screening on that slice of the cases, routed cases by
   the reference's per-case code;
4. of each group's offence table, only the offences the family stage reads are made as
   objects: those established while the judging version was in force, and — for the version in
   force on the as-of date — those of the cases where an older version judged some act (what
   the new rule thinks of it, for 从旧兼从轻);
5. :func:`~wenze.engine.versions.finish_versions` — targets, each version's ladder, 从旧兼从轻 —
   the very stage the reference runs, its ladders on arrays (:func:`_ladder`:
   :func:`wenze.fast.ladder.decide`, the same decisions as the reference's ``sanction``).

Cost (docs/scale.md §1): the offences are made as objects and coded again into a table for the
ladders, and an older version's acts are decided under both ladders — about 1.8× the CPU of
one version at 1M cases.

A caseload all accepted and judged under one version costs one screening; a case accepted under
an older version is screened again under each later version in force before the as-of date
(only its offences in that version's period are kept).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from wenze.engine.decisions import Decision, Offence
from wenze.engine.evaluate import EvaluationResult, periods_of
from wenze.engine.lower import Program
from wenze.engine.versions import (
    Judged,
    VersionProgram,
    evaluate_versions,
    finish_versions,
    hybrid,
    no_version,
    periods_of_family,
    required_version,
    versions_for,
)
from wenze.events.columns import EventColumns, T
from wenze.events.readers import Event, Rejection
from wenze.fast.columnar import (
    after_as_of,
    context_columns,
    judge_columns,
    rejections,
    unplaced,
)
from wenze.fast.ladder import decide
from wenze.fast.offence_table import OffenceTable

__all__ = ["evaluate_versions_columnar", "family_evaluator_columnar"]

_NONE = np.iinfo(np.int64).max


def evaluate_versions_columnar(
    versions: Sequence[VersionProgram],
    events: Iterable[Event] | EventColumns,
    as_of: dt.date,
    prior_sanctions: Sequence[Any] = (),
    *,
    rejected: Sequence[Rejection] = (),
    explain: Iterable[str] = (),
    workers: int | None = None,
    stats: dict[str, Any] | None = None,
) -> EvaluationResult:
    """:func:`wenze.engine.versions.evaluate_versions` on columns: the same result, byte for
    byte (see the module). ``--explain`` is the reference's (it needs the day-by-day trace).
    ``stats``, if given, receives per group ``a→r`` the judging's figures."""
    explain = list(explain)
    cols = events if isinstance(events, EventColumns) else EventColumns.from_events(events)
    if explain:
        return evaluate_versions(versions, cols.events, as_of, prior_sanctions,
                                 rejected=rejected, explain=explain)
    required_version(versions, as_of)  # no version in force on the as-of date: an error
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(versions, cols, as_of, prior_sanctions, rejected, workers,
                         stats if stats is not None else {})
    finally:
        if collecting:
            gc.enable()


def _evaluate(versions: Sequence[VersionProgram], cols: EventColumns, as_of: dt.date,
              prior_sanctions: Sequence[Any], rejected: Sequence[Rejection],
              workers: int | None, stats: dict[str, Any]) -> EvaluationResult:
    now = required_version(versions, as_of)
    after = after_as_of(cols, as_of)
    kept = ~after
    accepted_by, groups, unjudged = _plan(versions, cols, kept, as_of)
    all_rejected = list(rejected)
    placeable: dict[int, np.ndarray] = {}
    for a in sorted(set(a for a, _ in groups)):
        program = versions[a].program
        bad = unplaced(program, cols, after)
        mine = np.r_[accepted_by == a, False][cols.case]
        all_rejected += rejections(program, cols, bad & mine)
        placeable[a] = kept & ~bad
    judged: dict[tuple[int, int], Judged] = {}
    old_cases = np.zeros(len(cols.case_names) + 1, bool)  # cases an older version judged acts of
    index = {name: i for i, name in enumerate(cols.case_names)} if len(groups) > 1 else {}
    # the groups judged by an older version first: the cases they judge acts of are known
    # before the offences of the as-of date's version are chosen
    for a, r in sorted(groups, key=lambda g: (versions[g[1]] is now, g)):
        program = _screening_program(versions, a, r)
        part: dict[str, Any] = {}
        found = judge_columns(program, cols, as_of, placeable[a], accepted_by == a,
                              workers=workers, stats=part)
        stats[f"{versions[a].label}→{versions[r].label}"] = part
        table = found.table
        rules = versions[r]
        day = table.established
        in_force = day >= rules.effective_from.toordinal()
        if rules.effective_until is not None:
            in_force &= day <= rules.effective_until.toordinal()
        if rules is not now:
            old_cases[_case_codes(index, table.case.values(np.flatnonzero(in_force)))] = True
            wanted = in_force
        elif old_cases.any():
            wanted = in_force | old_cases[_case_codes(index, table.case.values())]
        else:
            wanted = in_force
        own = a == r
        judged[a, r] = Judged(found.outs, table.offences(np.flatnonzero(wanted)),
                              found.warnings if own else [], found.unjudged if own else [],
                              found.rejected if own else [], {},
                              found.counts if own else None, found.screened if own else 0)
    contexts: dict[int, Any] = {}

    def context(v: VersionProgram) -> Any:
        if id(v) not in contexts:
            contexts[id(v)] = context_columns(v.program, cols, kept, as_of)
        return contexts[id(v)]

    return finish_versions(versions, as_of, judged, context, prior_sanctions, unjudged,
                           all_rejected, int(kept.sum()), int(after.sum()), _ladder)


def _ladder(program: Program, offences: Sequence[Offence], prior: Sequence[Any],
            as_of: dt.date, holder: Callable[[str, dt.date], str | None] | None = None,
            rows: Sequence[int] | None = None) -> Sequence[Decision]:
    """:func:`wenze.engine.sanction.sanction` on arrays (:func:`wenze.fast.ladder.decide`):
    the same decisions — only those of the offences at ``rows`` and the joint ones, if given.
    The offences may be of several versions: the program's violations are extended by theirs
    (each looks its ladder up by name in ``program``, as ``sanction`` does)."""
    known = {id(v) for v in program.violations}
    extra: dict[int, Any] = {}
    for o in offences:
        if id(o.violation) not in known:
            extra.setdefault(id(o.violation), o.violation)
    if extra:
        program = dataclasses.replace(
            program, violations=(*program.violations, *extra.values()))
    table = OffenceTable.from_offences(program, offences)
    decisions = decide(program, table, prior, as_of, holder)
    return list(decisions) if rows is None else decisions.of_rows(np.asarray(rows, np.int64))


def _plan(versions: Sequence[VersionProgram], cols: EventColumns, kept: np.ndarray,
          as_of: dt.date) -> tuple[np.ndarray, set[tuple[int, int]], list[Any]]:
    """Per case code: the index of the version it was accepted under (-1: none, or no event);
    the (accepting, judging) groups with cases; the cases accepted when no version was in
    force (not judged), in case order."""
    n_cases = len(cols.case_names)
    with_case = kept & (cols.case >= 0)
    first = np.full(n_cases, _NONE, np.int64)
    np.minimum.at(first, cols.case[with_case], cols.day[with_case])
    accepted = with_case & (cols.type == T["accepted"])
    first_accepted = np.full(n_cases, _NONE, np.int64)
    np.minimum.at(first_accepted, cols.case[accepted], cols.day[accepted])
    day = np.where(first_accepted < _NONE, first_accepted, first)
    accepted_by = np.full(n_cases, -1, np.int64)
    groups: set[tuple[int, int]] = set()
    unjudged: list[Any] = []
    days = np.unique(day[day < _NONE])
    for d in days.tolist():
        a, rules = versions_for(versions, dt.date.fromordinal(d), as_of)
        if a is None:
            continue
        accepted_by[day == d] = a
        groups.update((a, r) for r in rules)
    for c in np.flatnonzero((accepted_by < 0) & (day < _NONE)).tolist():
        unjudged.append(no_version(cols.case_names[c], dt.date.fromordinal(int(day[c]))))
    return accepted_by, groups, unjudged


def _screening_program(versions: Sequence[VersionProgram], a: int, r: int) -> Program:
    """The program judging the cases accepted under version ``a`` by the rules of ``r``. For a
    case's own version (a == r, whose cases are counted in the metrics), its targets list every
    period some version counts by, so the screening counts them all (each version's metrics
    then take their own periods' counts); targets are read by nothing else here."""
    program = hybrid(versions[a].program, versions[r].program)
    periods = periods_of_family(versions)
    if a != r or periods == periods_of(program):
        return program
    some = next(t for v in versions for t in v.program.targets.values())
    targets = {f"#{p.value}": dataclasses.replace(some, name=f"#{p.value}", period=p)
               for p in sorted(periods, key=lambda p: p.value)}
    return dataclasses.replace(program, targets=targets)


def _case_codes(index: dict[str, int], names: Sequence[str | None]) -> np.ndarray:
    """The case codes of case names (no case: the code after the last, ``len(index)``)."""
    none = len(index)
    return np.asarray([none if n is None else index[n] for n in names], np.int64)


def family_evaluator_columnar(versions: Sequence[VersionProgram]) -> Any:
    """:func:`wenze.engine.versions.family_evaluator` on the columnar fast path."""

    def run(_program: Any, events: Iterable[Event] | EventColumns, as_of: dt.date,
            prior_sanctions: Sequence[Any] = (), **options: Any) -> EvaluationResult:
        return evaluate_versions_columnar(versions, events, as_of, prior_sanctions,
                                          rejected=options.get("rejected", ()),
                                          explain=options.get("explain", ()))

    return run
