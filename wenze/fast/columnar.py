"""The columnar fast path: the same evaluation as :func:`wenze.engine.evaluate.evaluate`,
for large batches, with numpy. This module is its entry point; the parts are ``arrays``
(calendars and conditions on arrays), ``screening`` (each item's cases judged on arrays),
``people`` (names and who held each post), ``native`` (the screened cases' offence tables) and
``slices`` (a large caseload on every core).

parse → check → lower → **evaluate (columnar screening → reference cases → the same ladder)** →
decisions.

How it stays byte-identical with the reference evaluator:

1. The events become columns (:class:`EventColumns`: case, type, local day, instant, item, post,
   actor, unit, step codes, the suspension reason, whether a decision is a refusal without
   reasons, and whether an event carries anything else in ``data``). The same events as the
   reference are ignored (after the as-of date) or rejected (unknown item or post), with the
   reference's own messages.
2. Each case is either **screened** here or **routed** to the reference per-case code
   (:func:`wenze.engine.evaluate.run_cases`, the very function :func:`evaluate` runs). A case is
   screened only if it uses nothing but what this module computes exactly: received, accepted,
   step started/completed, at most one suspension (and its resumption), decided; no other
   ``data`` than a suspension's ``reason`` and a decision's ``outcome``/``reasons``; no two events
   at the same instant (their order would depend on ids); local days in time order; every date
   and deadline inside the item's calendar; no act whose authority depends on A/B absences; no
   warning possible (an open case or a running step of an item with warning rules). Everything
   else — countersigns, extensions, correction notices, complaints, deliveries, odd data, dates
   out of the calendar — is routed.
3. For a screened case every case and step fact is computed on arrays (the working-day calendar
   as a cumulative count per day, deadlines by position in the table of counted days, one
   suspension range subtracted exactly as :class:`~wenze.engine.lower.DayIndex` does) and every
   violation's condition is evaluated on those arrays
   (:func:`~wenze.fast.arrays.vector_condition`, the same semantics as
   :func:`wenze.engine.lower.compile_condition`, a fact without a value is false). For a
   screened case with a true condition, its offences are made as columns
   (:class:`~wenze.fast.offence_table.OffenceTable`): who answers and when — the reference's
   ``_attributed`` and ``_responsible`` — on arrays (:func:`~wenze.fast.native.native_table`);
   the full offence of a row (facts, dates) is made only when its decision is read, from the
   same arrays (:class:`~wenze.fast.native.NativeCases`; the tests check it against the
   reference's own ``offences_for`` fed with the case's records rebuilt from them). A screened
   case with no true condition contributes only its metric counts. From
   :data:`~wenze.fast.slices.PARALLEL_MIN_CASES` cases on, slices of the cases are screened, and
   their routed cases judged, in forked processes (:func:`~wenze.fast.slices.screen_parallel`).
4. The offences (routed and screened) and metric counts go through
   :func:`wenze.fast.ladder.finish_columnar` — :func:`wenze.engine.evaluate.finish`
   (targets, ladders, sanctions, sorting) on arrays, byte-identical with it; its decisions are
   made when read.

So identical offences and counts ⇒ identical decisions; the differential tests
(``tests/fast/test_columnar.py``, ``tests/fast/test_ladder_columnar.py``) hold the JSON of
both byte for byte on random caseloads, and every offence row made on arrays to the reference's
own offence of that row.
``--explain`` always runs the reference (it needs the day-by-day trace).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wenze.engine import evaluate as R
from wenze.engine.case import CaseContext
from wenze.engine.lower import Program
from wenze.events.columns import EventColumns, T
from wenze.events.readers import Event, Rejection
from wenze.fast.forking import CHILDREN_PEAK_KB
from wenze.fast.ladder import finish_columnar
from wenze.fast.native import native_parties, native_table
from wenze.fast.offence_table import OffenceTable, role_code
from wenze.fast.people import People
from wenze.fast.screening import Screened, screen
from wenze.fast.slices import PARALLEL_MIN_CASES, judge_routed, screen_parallel, workers_for

__all__ = ["AUTO_MIN_CASES", "EventColumns", "Judged", "JudgedColumns", "after_as_of",
           "choose_evaluator", "context_columns", "context_rows", "evaluate_columnar",
           "judge_columns", "judge_kept", "leader_posts", "rejections", "set_aside", "unplaced"]


# `wenze evaluate --evaluator auto` takes the columnar path from this many cases on (below it the
# conversion to columns costs more than it saves).
AUTO_MIN_CASES = 20_000

# --------------------------------------------------------------------------- entry point


def evaluate_columnar(
    program: Program,
    events: Iterable[Event] | EventColumns,
    as_of: dt.date,
    prior_sanctions: Sequence[Any] = (),
    *,
    rejected: Sequence[Rejection] = (),
    explain: Iterable[str] = (),
    stats: dict[str, float] | None = None,
    native_offences: bool = True,
    workers: int | None = None,
) -> R.EvaluationResult:
    """:func:`wenze.engine.evaluate.evaluate` for large batches: the same result, byte for byte
    (see the module's docstring for how). ``events`` may be given already as columns. ``stats``,
    if given, receives ``cases``, ``screened`` (judged here), ``routed`` (judged by the reference
    per-case code), ``hit_here`` (screened cases with a true condition) and the seconds of each
    phase. ``native_offences=False`` routes every case with a true condition
    to the reference too (slower; the differential test runs both). ``workers``: processes for
    the screening of a large caseload (see :func:`workers_for`; the result is the same)."""
    explain = list(explain)
    cols = events if isinstance(events, EventColumns) else EventColumns.from_events(events)
    if explain:  # a trace is the reference's
        return R.evaluate(program, cols.events, as_of, prior_sanctions, rejected=rejected,
                          explain=explain)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(program, cols, as_of, prior_sanctions, rejected,
                         stats if stats is not None else {}, native_offences, workers)
    finally:
        if collecting:
            gc.enable()

def _evaluate(program: Program, cols: EventColumns, as_of: dt.date,
              prior_sanctions: Sequence[Any], rejected: Sequence[Rejection],
              stats: dict[str, float], native_offences: bool = True,
              workers: int | None = None) -> R.EvaluationResult:
    t_start = time.perf_counter()
    for v in program.violations:  # coded before any fork (children code alike)
        for r in v.responsible:
            role_code(r)
    native_offences = native_offences and native_parties(program)
    after, bad, problems = set_aside(program, cols, as_of)
    all_rejected = list(rejected) + problems
    kept = ~after & ~bad
    ctx = CaseContext(program, cols.events_at(context_rows(program, cols, kept)), as_of)
    judged = judge_kept(ctx, cols, kept, native_offences, workers)
    screened, tables, batch, present = judged.screened, judged.tables, judged.batch, judged.cases
    n_workers = judged.workers
    t_routed = time.perf_counter()
    t_screened = t_routed - judged.seconds_routed
    outs, offences, warnings, unjudged, late_rejected, traces = batch
    n_routed = int(screened.routed.sum())
    all_rejected += late_rejected
    table = OffenceTable.concat(program, [OffenceTable.from_offences(program, offences),
                                          *tables])
    t_offences = time.perf_counter()
    fast = present - n_routed
    result = finish_columnar(ctx, outs, table, warnings, unjudged, all_rejected, traces,
                             len(outs) + fast, int(kept.sum()), int(after.sum()),
                             prior_sanctions, counts=screened.counts)
    t_end = time.perf_counter()
    if n_workers > 1:
        stats["children_peak_mb"] = round(sum(CHILDREN_PEAK_KB) / 1024)
    stats.update(cases=present, screened=fast, routed=n_routed, workers=n_workers,
                 hit_here=sum(int(g.hit.sum()) for g in screened.groups),
                 seconds_screening=round(t_screened - t_start, 3),
                 seconds_routed=round(t_routed - t_screened, 3),
                 seconds_offences_here=round(t_offences - t_routed, 3),
                 seconds_ladders_and_decisions=round(t_end - t_offences, 3))
    return result

def set_aside(program: Program, cols: EventColumns, as_of: dt.date,
              within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[Rejection]]:
    """The events after the as-of date, those naming an item or post the rulebook lacks
    (``bad``), and the rejections of the latter in row order (of the rows ``within`` only, if
    given), as :func:`wenze.engine.evaluate.evaluate` sets them aside."""
    after = after_as_of(cols, as_of)
    bad = unplaced(program, cols, after)
    return after, bad, rejections(program, cols, bad if within is None else bad & within)


def after_as_of(cols: EventColumns, as_of: dt.date) -> np.ndarray:
    """Per event: whether it is after the as-of date (ignored, counted)."""
    n = len(cols.type)
    # (each per-event test is skipped where the tables of names or one pass show it is moot)
    return (cols.day > as_of.toordinal()) if n and cols.day.max() > as_of.toordinal() \
        else np.zeros(n, bool)


def unplaced(program: Program, cols: EventColumns, after: np.ndarray) -> np.ndarray:
    """Per event: not after the as-of date, and naming an item or post ``program`` does not
    know (rejected, as the reference rejects it)."""
    item_known = np.asarray([x in program.items for x in cols.item_names] + [True], bool)
    post_known = np.asarray([x in program.posts for x in cols.post_names] + [True], bool)
    if item_known.all() and post_known.all():
        return np.zeros(len(cols.type), bool)
    return ~after & (~item_known[cols.item] | ~post_known[cols.post])


def rejections(program: Program, cols: EventColumns, bad: np.ndarray) -> list[Rejection]:
    """The rejections of the events ``bad`` marks (row order), with the reference's messages."""
    out = []
    for ev in cols.events_at(np.flatnonzero(bad)):
        problem = R.event_problem(program, ev)
        assert problem is not None
        out.append(Rejection(ev.source, ev.line, ev.id, *problem))
    return out


def leader_posts(program: Program) -> set[str]:
    """The posts whose holders the shared context looks up."""
    posts = {p for u in program.units.values() for p in (u.chief_leader, u.deputy_leader) if p}
    return posts | {p.deputy_leader for p in program.posts.values() if p.deputy_leader}


def context_rows(program: Program, cols: EventColumns, kept: np.ndarray) -> np.ndarray:
    """The rows the shared context reads: absences and returns, and the events of leaders'
    posts that decide who held a post on a day."""
    leaders = leader_posts(program)
    is_leader = np.asarray([x in leaders for x in cols.post_names] + [False], bool)
    cover = (cols.type == T["absent"]) | (cols.type == T["returned"])
    ctx_rows = np.flatnonzero(kept & cover & (cols.post >= 0))
    if is_leader.any():
        seen = np.flatnonzero(kept & ~cover & (cols.type != T["complaint"])
                              & is_leader[cols.post] & (cols.actor >= 0))
        ctx_rows = np.union1d(ctx_rows, _holder_rows(cols, seen))
    return ctx_rows


@dataclass
class Judged:
    """The kept events' cases judged: screened here (their offence tables) or routed to the
    reference's per-case code (its batch)."""

    screened: Screened
    tables: list[OffenceTable]
    batch: R.CaseBatch
    cases: int
    workers: int
    seconds_routed: float = 0.0  # of judging the routed cases here (not in forked slices)


def judge_kept(ctx: CaseContext, cols: EventColumns, kept: np.ndarray, native_offences: bool,
               workers: int | None) -> Judged:
    """The cases of the ``kept`` events judged (the whole of the columnar path before the
    ladder stage)."""
    program, as_of = ctx.program, ctx.as_of
    n = len(cols.type)
    rows, identity = _case_time_order(cols, kept if n and cols.case.min() >= 0
                                      else kept & (cols.case >= 0))
    case_code = cols.case if identity else cols.case[rows]
    first_of_case = np.r_[True, case_code[1:] != case_code[:-1]] if len(rows) else \
        np.zeros(0, bool)
    present = case_code[first_of_case]  # sorted case numbers = sorted case ids
    if len(present) and int(present[-1]) - int(present[0]) + 1 == len(present):
        case_of = case_code - present[0]  # every case number in the range has events
    else:
        case_of = np.cumsum(first_of_case, dtype=np.int64)
        case_of -= 1
    starts = np.flatnonzero(first_of_case)
    n_workers = workers_for(len(present), workers)
    batch = None
    if len(present) >= PARALLEL_MIN_CASES:
        screened, tables, batch = screen_parallel(ctx, cols, rows, case_of, starts, identity,
                                                   native_offences, n_workers)
    else:
        screened = screen(program, cols, as_of, rows, case_of, len(present), native_offences,
                           starts, identity)
        tables = []
        if screened.groups:
            assert screened.screen is not None
            people = People(ctx, cols)
            tables = [native_table(ctx, screened.screen, group, people)
                      for group in screened.groups]
    t_routed = time.perf_counter()
    if batch is None:
        batch = judge_routed(ctx, cols, rows, case_of, starts, screened.routed)
    return Judged(screened, tables, batch, len(present), n_workers,
                  time.perf_counter() - t_routed)


def context_columns(program: Program, cols: EventColumns, kept: np.ndarray, as_of: dt.date
                    ) -> CaseContext:
    """The :class:`CaseContext` of the ``kept`` events, made of the only ones it reads."""
    return CaseContext(program, cols.events_at(context_rows(program, cols, kept)), as_of)


@dataclass
class JudgedColumns:
    """The cases of a caseload judged on columns: what the ladder stage takes."""

    ctx: CaseContext
    outs: list[R.MetricRow]  # the routed cases' metric rows
    table: OffenceTable  # every offence, routed and screened
    warnings: list[Any]
    unjudged: list[R.Unjudged]
    rejected: list[Rejection]  # events of the routed cases (unknown steps)
    traces: dict[str, Any]
    counts: dict[tuple[str, str], list[int]]  # the screened cases' metric counts
    screened: int  # cases judged here (no metric row)


def judge_columns(program: Program, cols: EventColumns, as_of: dt.date, kept: np.ndarray,
                  cases: np.ndarray | None = None, native_offences: bool = True,
                  workers: int | None = None, stats: dict[str, float] | None = None,
                  t_start: float | None = None) -> JudgedColumns:
    """The cases of the ``kept`` events (only those ``cases`` marks, a bool per case code, when
    given) judged by ``program`` (:func:`judge_kept`); the shared context is made of every
    ``kept`` event. Used by a rulebook family's columnar path (:mod:`wenze.fast.versions`)."""
    stats = stats if stats is not None else {}
    t_start = time.perf_counter() if t_start is None else t_start
    for v in program.violations:  # coded before any fork (children code alike)
        for r in v.responsible:
            role_code(r)
    native_offences = native_offences and native_parties(program)
    ctx = context_columns(program, cols, kept, as_of)
    wanted = kept & np.r_[cases, False][cols.case] if cases is not None else kept
    judged = judge_kept(ctx, cols, wanted, native_offences, workers)
    t_routed = time.perf_counter()
    outs, offences, warnings, unjudged, late_rejected, traces = judged.batch
    n_routed = int(judged.screened.routed.sum())
    table = OffenceTable.concat(program, [OffenceTable.from_offences(program, offences),
                                          *judged.tables])
    if judged.workers > 1:
        stats["children_peak_mb"] = round(sum(CHILDREN_PEAK_KB) / 1024)
    stats.update(cases=judged.cases, screened=judged.cases - n_routed, routed=n_routed,
                 workers=judged.workers,
                 hit_here=sum(int(g.hit.sum()) for g in judged.screened.groups),
                 seconds_screening=round(t_routed - judged.seconds_routed - t_start, 3),
                 seconds_routed=round(judged.seconds_routed, 3),
                 seconds_offences_here=round(time.perf_counter() - t_routed, 3))
    return JudgedColumns(ctx, outs, table, warnings, unjudged, late_rejected, traces,
                         judged.screened.counts, judged.cases - n_routed)


def _holder_rows(cols: EventColumns, rows: np.ndarray) -> np.ndarray:
    """Of the events of leaders' posts by a known actor (``rows``), those that decide
    ``CaseContext.holder(post, day)`` — the actor of the post's last event on or before the day
    (by day, then id), else of its first: one per (post, day) whose events have a single actor;
    every event of a (post, day) with several actors (ordered by their ids in ``CaseContext``)."""
    if not len(rows):
        return rows
    post, day, actor = cols.post[rows], cols.day[rows], cols.actor[rows]
    order = np.lexsort((actor, day, post))
    post, day, actor = post[order], day[order], actor[order]
    new_group = np.r_[True, (post[1:] != post[:-1]) | (day[1:] != day[:-1])]
    group = np.cumsum(new_group) - 1
    new_actor = new_group | np.r_[True, actor[1:] != actor[:-1]]
    several = np.bincount(group, weights=new_actor)[group] > 1
    return np.sort(rows[order[new_group | several]])

def _case_time_order(cols: EventColumns, wanted: np.ndarray) -> tuple[np.ndarray, bool]:
    """The indices of the ``wanted`` events in (case, instant, input) order, and whether that is
    every event in input order. Input already in that order (events grouped by case in time
    order, as approval systems and the simulator write them) is only checked, not sorted."""
    rows = np.flatnonzero(wanted)
    every = len(rows) == len(wanted)
    case = cols.case if every else cols.case[rows]
    instant = cols.instant if every else cols.instant[rows]
    if len(rows) > 1:
        later_case = case[1:] > case[:-1]
        if (later_case | (case[1:] == case[:-1]) & (instant[1:] >= instant[:-1])).all():
            return rows, every
        return rows[np.lexsort((rows, instant, case))], False
    return rows, every

def choose_evaluator(asked: str, n_cases: int) -> str:
    """``auto`` → ``columnar`` from :data:`AUTO_MIN_CASES` cases on, else ``reference``."""
    if asked != "auto":
        return asked
    return "columnar" if n_cases >= AUTO_MIN_CASES else "reference"
