"""The fast path on every core: a large caseload screened in slices of cases in forked processes
(arrays sent back through shared memory), the routed cases judged there too."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
from collections import defaultdict
from typing import Any

import numpy as np

from wenze.engine import evaluate as R
from wenze.engine.case import CaseContext
from wenze.engine.lower import ItemIR
from wenze.events.columns import EventColumns
from wenze.events.readers import Event
from wenze.fast.forking import fork_map
from wenze.fast.native import (
    NativeCases,
    named_columns,
    native_parts,
    native_table,
    table_columns,
    table_of,
)
from wenze.fast.offence_table import OffenceTable
from wenze.fast.people import People
from wenze.fast.screening import CaseGroup, Screen, Screened, screen


def judge_routed(ctx: CaseContext, cols: EventColumns, rows: np.ndarray, case_of: np.ndarray,
                  starts: np.ndarray, routed: np.ndarray) -> R.CaseBatch:
    """The routed cases (``routed``: bool per case of ``starts``) judged by the reference's
    per-case code, in case order."""
    cases = np.flatnonzero(routed)
    names = [cols.case_names[c] for c in cols.case[rows[starts[cases]]].tolist()]
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in cols.events_at(rows[routed[case_of]]):
        by_case[ev.case].append(ev)
    return R.run_cases(ctx, ctx.program, names, by_case, set())

# ----------------------------------------------------------------------------- on both cores

# The screening and the offence columns of a large caseload run in slices of SLICE_CASES cases
# (arrays of that size are faster — they stay closer to the CPU's caches — and the peak memory is
# a slice's), in forked processes, each taking a contiguous run of slices (the events are shared
# with the children, never copied or pickled; the children send back arrays only). Below
# PARALLEL_MIN_CASES cases, one slice in this process: forking costs more than it saves.
PARALLEL_MIN_CASES = 100_000

SLICE_CASES = 100_000

def workers_for(n_cases: int, asked: int | None) -> int:
    """Processes for the screening: ``asked`` if given (0: one per CPU), else ``WENZE_WORKERS``,
    else one per CPU — for a caseload of at least :data:`PARALLEL_MIN_CASES`, where processes can
    be forked; else 1."""
    if asked is None:
        env = os.environ.get("WENZE_WORKERS")
        asked = int(env) if env else 0
    if asked == 0:
        asked = os.cpu_count() or 1
    if asked <= 1 or n_cases < PARALLEL_MIN_CASES or "fork" not in mp.get_all_start_methods():
        return 1
    return min(asked, 16)

SHARED: tuple[Any, ...] | None = None  # what forked children read (inherited, never pickled)

_GROUP_ROWS = ("rec_k", "acc_k", "dec_k", "handler_k", "unlisted_k", "reviewer_k")

def _screen_slices(slices: list[tuple[int, int]]) -> list[tuple[Any, ...]]:
    """In one process: :func:`_screen_slice` of each slice, one after the other."""
    return [_screen_slice(bounds) for bounds in slices]

def _screen_slice(bounds: tuple[int, int]) -> tuple[Any, ...]:
    """Screen the cases lo…hi−1, make their offence columns and judge their routed cases (by
    the reference's code), to be sent from a forked child: arrays (groups without their item,
    which the parent puts back) and the routed cases' :func:`~wenze.engine.evaluate.portable`
    batch."""
    assert SHARED is not None
    ctx, cols, rows, case_of, starts, identity, native, people = SHARED
    lo, hi = bounds
    a = int(starts[lo])
    b = int(starts[hi]) if hi < len(starts) else len(rows)
    sub_rows = rows[a:b]
    screened = screen(ctx.program, cols, ctx.as_of, sub_rows, case_of[a:b] - lo, hi - lo,
                       native, starts[lo:hi] - a, False, (a, b) if identity else None)
    known = len(people.names.names)
    out = []
    for group in screened.groups:
        assert screened.screen is not None
        parts = native_parts(ctx, screened.screen, group, people)
        columns = table_columns(people.names, NativeCases(ctx, screened.screen, group), parts)
        out.append((dataclasses.replace(group, item=group.item.name), columns))
    if len(people.names.names) != known:  # a name the parent does not know: not portable
        return None, None, None, None
    batch = judge_routed(ctx, cols, sub_rows, case_of[a:b] - lo, starts[lo:hi] - a,
                          screened.routed)
    return screened.routed, screened.counts, out, R.portable(ctx.program, batch)

def screen_parallel(ctx: CaseContext, cols: EventColumns, rows: np.ndarray, case_of: np.ndarray,
                     starts: np.ndarray, identity: bool, native: bool, workers: int
                     ) -> tuple[Screened, list[OffenceTable], R.CaseBatch | None]:
    """:func:`screen` and :func:`native_table` over slices of :data:`SLICE_CASES` cases, each of
    the ``workers`` processes (forked; the last is this one) taking a contiguous run of slices;
    joined in case order, so the result is the one of a single slice."""
    global SHARED
    program = ctx.program
    n = len(starts)
    people = People(ctx, cols)
    people.names.sorted()  # once, inherited by the children
    slices = [(i, min(i + SLICE_CASES, n)) for i in range(0, n, SLICE_CASES)]
    per_worker = -(-len(slices) // workers)
    work = [slices[i:i + per_worker] for i in range(0, len(slices), per_worker)]
    SHARED = (ctx, cols, rows, case_of, starts, identity, native, people)
    try:
        results = [r for part in fork_map(_screen_slices, work) for r in part]
    finally:
        SHARED = None
    if any(routed is None for routed, _, _, _ in results):  # fall back to one process
        screened = screen(program, cols, ctx.as_of, rows, case_of, n, native, starts, identity)
        assert screened.screen is not None
        return screened, [native_table(ctx, screened.screen, g, people)
                          for g in screened.groups], None
    s = Screen(program, cols, ctx.as_of, rows, n, case_of, starts, identity)
    routed = np.concatenate([r for r, _, _, _ in results])
    counts: dict[tuple[str, str], list[int]] = {}
    groups: list[CaseGroup] = []
    tables: list[OffenceTable] = []
    for (lo, _), (_, part_counts, part_groups, _) in zip(slices, results, strict=True):
        for key, values in part_counts.items():
            row = counts.setdefault(key, [0, 0, 0, 0, 0])
            for i, v in enumerate(values):
                row[i] += v
        shift = int(starts[lo])
        for group, columns in part_groups:
            group = _shifted(group, program.items[group.item], lo, shift)
            groups.append(group)
            tables.append(table_of(program, NativeCases(ctx, s, group),
                                    named_columns(people.names, columns)))
    batch = R.joined(program, [judged for _, _, _, judged in results])
    return Screened(routed, counts, groups, s), tables, batch

def _shifted(group: CaseGroup, item: ItemIR, lo: int, shift: int) -> CaseGroup:
    """A child's group in the whole caseload's numbering: case numbers from ``lo``, sorted rows
    from ``shift``."""
    def rows(k: np.ndarray | None) -> np.ndarray | None:
        return None if k is None else np.where(k >= 0, k + shift, -1)

    moved = {name: rows(getattr(group, name)) for name in _GROUP_ROWS}
    steps = [dataclasses.replace(st, sk=rows(st.sk), ck=rows(st.ck)) for st in group.steps]
    return dataclasses.replace(group, item=item, cases=group.cases + lo, steps=steps, **moved)
