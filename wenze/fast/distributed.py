"""Cases judged on a Dask cluster: ``wenze evaluate RULEBOOK 'events/*.parquet' --dask local``
(a LocalCluster on this machine) or ``--dask tcp://scheduler:8786``.

What runs where (docs/scale.md):

1. **read, on the workers**: each file is read on a worker (:func:`read_part`: Parquet, Arrow
   IPC and JSON Lines straight into columns) and stays there; the driver gets a
   :class:`Summary` of it — its rejections, its sorted case ids, the events the shared context
   reads (absences and returns; of the events of leaders' posts only the first and the last of
   each post and day, which decide who held the post), a stable hash of each id, and what its
   caseless events count for. Ids in two files (equal hashes) make :func:`evaluate_dask_files`
   return None: which of them is kept needs every file, so the caller reads them itself.
2. **judge, on the workers**: the sorted case ids of every file are cut into contiguous ranges
   (two per worker by default); each range is judged on a worker by the columnar path
   (:func:`judge_range`: set aside as the reference does, screened on arrays, the rest by the
   reference's per-case code — :func:`wenze.fast.columnar.judge_kept`) with the shared context
   of every file, on its file's columns where one file holds the range's cases (else the
   range's events of several files joined in input order); its offences are made there and sent
   back as a :func:`~wenze.engine.evaluate.portable` batch with its metric counts.
3. **the ladder stage, on the driver**: the batches joined in case order, the rejections in
   input order, and :func:`wenze.fast.ladder.finish_columnar` run once on every offence (a
   person's count in the window needs all of their offences, from every range).

The driver never holds the events: only the shared context, the case ids, an 8-byte hash per
event and the offences. Same inputs, same decisions as one process reading the same files
(``wenze evaluate``'s ``read_files``), byte for byte (tested on a LocalCluster of two workers).
:func:`evaluate_dask` does the same for events already in memory (sent in slices of cases).
Not yet: the ladder stage is one process (at a billion cases it must be partitioned by person,
docs/scale.md), and the decisions are written by the driver.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wenze.engine import evaluate as R
from wenze.engine.lower import Program
from wenze.events.columns import EventColumns, T
from wenze.events.model import Event, Rejection
from wenze.fast.columnar import judge_kept, leader_posts, set_aside
from wenze.fast.ladder import finish_columnar
from wenze.fast.offence_table import OffenceTable

__all__ = ["Part", "Summary", "context_events", "dask_client", "evaluate_dask",
           "evaluate_dask_files", "events_part", "id_hashes", "judge_range", "read_part",
           "summarise"]

_LOADED: dict[tuple[str, str], Program] = {}  # (rulebook, its text) → program, per worker


def _program(rulebook: str) -> Program:
    from wenze.dsl.loader import load_rulebook
    from wenze.engine.lower import lower

    key = (rulebook, Path(rulebook).read_text(encoding="utf-8"))
    program = _LOADED.get(key)
    if program is None:
        loaded = load_rulebook(rulebook)
        if not loaded.ok or loaded.rulebook is None:
            raise ValueError(f"rulebook `{rulebook}` has errors on this worker")
        program = _LOADED[key] = lower(loaded.rulebook)
    return program


def context_events(program: Program, events: Sequence[Event]) -> list[Event]:
    """The events the shared context (:class:`~wenze.engine.case.CaseContext`) reads:
    absences and returns, and every event at a leader's post."""
    leaders = {p for u in program.units.values() for p in (u.chief_leader, u.deputy_leader) if p}
    leaders |= {p.deputy_leader for p in program.posts.values() if p.deputy_leader}
    cover = {"absent", "returned"}
    return [ev for ev in events if R.event_type_of(ev) in cover or (ev.post in leaders)]


@contextmanager
def dask_client(address: str, workers: int = 2) -> Iterator[Any]:
    """A Dask client: ``local`` starts a LocalCluster of ``workers`` processes (one thread
    each) for the run; anything else is a scheduler's address (``tcp://host:8786``)."""
    from dask.distributed import Client, LocalCluster

    if address == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster) as client:
            yield client
    else:
        with Client(address) as client:
            yield client



# --------------------------------------------------------------------------- on the workers


@dataclass
class Part:
    """Events on a worker: one file read there (its columns, rejections and identical
    duplicates), or a slice of an in-memory list sent there. ``key`` orders its rows among all
    the input's (file number, row), as one process would meet them."""

    columns: EventColumns
    rejected: list[Rejection]
    duplicates: int
    number: int  # the file's (or the list's) place in the input


@dataclass
class Summary:
    """What the driver needs of a part: its rejections, its case names (sorted), its events the
    shared context reads, a stable hash of each id (to find ids repeated across files), the
    counts of its caseless events, and the rejections of its caseless events naming an unknown
    item or post (with their rows)."""

    rejected: list[Rejection]
    duplicates: int
    case_names: list[str]
    context: list[Event]
    id_hashes: np.ndarray | None
    caseless_kept: int
    caseless_after: int
    caseless_problems: list[tuple[int, int, Rejection]]


def read_part(path: str, number: int, mapping: Any = None, strict: bool = False) -> Part:
    """On a worker: one events file read into columns."""
    from wenze.events.arrow import read_any

    batch = read_any(path, mapping, strict)
    columns = getattr(batch, "columns", None)
    if columns is None:
        columns = EventColumns.from_events(list(batch.events))
    return Part(columns, list(batch.rejected), batch.duplicates, number)


def events_part(events: list[Event], number: int) -> Part:
    """On a worker: a slice of an in-memory list of events as columns."""
    return Part(EventColumns.from_events(events), [], 0, number)


def summarise(part: Part, rulebook: str, as_of: dt.date, hashes: bool) -> Summary:
    """On a worker: a part's :class:`Summary`."""
    program = _program(rulebook)
    cols = part.columns
    after, bad, _ = set_aside(program, cols, as_of, np.zeros(len(cols), bool))
    kept = ~after & ~bad
    caseless = cols.case < 0
    problems = [(part.number, row, rejection) for row, rejection in _problems(
        program, cols, as_of, bad & caseless)]
    return Summary(part.rejected, part.duplicates, list(cols.case_names),
                   cols.events_at(_context_of(program, cols, kept)),
                   id_hashes(cols) if hashes else None, int((kept & caseless).sum()),
                   int((after & caseless).sum()), problems)


def judge_range(rulebook: str, as_of: dt.date, context: list[Event], parts: list[Part],
                lo: str | None, hi: str | None) -> tuple[Any, ...]:
    """On a worker: the cases whose ids are in ``[lo, hi)`` (None: unbounded) of the parts,
    judged by the columnar path (screened on arrays, the rest by the reference's per-case code)
    with the shared context of every part; the offences made, as a portable batch.

    One part: judged on its own columns (the rows of the range selected). Several (the range's
    cases have events in several files): the range's events are joined in input order first."""
    from wenze.engine.case import CaseContext
    from wenze.fast.native import native_parties
    from wenze.fast.offence_table import role_code

    program = _program(rulebook)
    for v in program.violations:
        for r in v.responsible:
            role_code(r)
    ranges = [_in_range(p.columns, lo, hi) for p in parts]
    if sum(bool(r.any()) for r in ranges) <= 1:
        k = next((i for i, r in enumerate(ranges) if r.any()), 0)
        cols, within = parts[k].columns, ranges[k]
        numbers = np.full(len(cols), parts[k].number, np.int64)
        rows = np.arange(len(cols))
    else:
        events: list[Event] = []
        number_list, row_list = [], []
        for p, r in zip(parts, ranges, strict=True):
            picked = np.flatnonzero(r)
            events += p.columns.events_at(picked)
            number_list.append(np.full(len(picked), p.number, np.int64))
            row_list.append(picked)
        cols = EventColumns.from_events(events)
        within = np.ones(len(events), bool)
        numbers, rows = np.concatenate(number_list), np.concatenate(row_list)
    after, bad, _ = set_aside(program, cols, as_of, np.zeros(len(cols), bool))
    problems = [(int(numbers[i]), int(rows[i]), rejection)
                for i, rejection in _problems(program, cols, as_of, bad & within)]
    kept = ~after & ~bad & within
    ctx = CaseContext(program, context, as_of)
    judged = judge_kept(ctx, cols, kept, native_parties(program), 1)
    outs, offences, warnings, unjudged, late, _ = judged.batch
    for table in judged.tables:  # made here: the driver holds no events to make them from
        offences = offences + table.offences(np.arange(len(table)))
    routed = int(judged.screened.routed.sum())
    return (R.portable(program, (outs, offences, warnings, unjudged, late, {})),
            judged.screened.counts, judged.cases - routed, int(kept.sum()),
            int((after & within).sum()), problems)


def _in_range(cols: EventColumns, lo: str | None, hi: str | None) -> np.ndarray:
    """The rows whose case id is in ``[lo, hi)`` (the case names are sorted)."""
    names = cols.case_names
    a = 0 if lo is None else bisect.bisect_left(names, lo)
    b = len(names) if hi is None else bisect.bisect_left(names, hi)
    return (cols.case >= a) & (cols.case < b)


def _problems(program: Program, cols: EventColumns, as_of: dt.date, rows: np.ndarray
              ) -> list[tuple[int, Rejection]]:
    """(row, rejection) of the ``rows`` (a mask) naming an unknown item or post."""
    picked = np.flatnonzero(rows)
    _, _, found = set_aside(program, cols, as_of, rows)
    return list(zip(picked.tolist(), found, strict=True))


def _context_of(program: Program, cols: EventColumns, kept: np.ndarray) -> np.ndarray:
    """The rows of a part the shared context needs, whatever the other parts hold: absences
    and returns, and of the events of leaders' posts by a known actor the first and the last
    of each (post, day) by (id, actor) — :meth:`CaseContext.holder` reads only those."""
    leaders = leader_posts(program)
    is_leader = np.asarray([x in leaders for x in cols.post_names] + [False], bool)
    cover = (cols.type == T["absent"]) | (cols.type == T["returned"])
    rows = np.flatnonzero(kept & cover & (cols.post >= 0))
    if not is_leader.any():
        return rows
    seen = np.flatnonzero(kept & ~cover & (cols.type != T["complaint"])
                          & is_leader[cols.post] & (cols.actor >= 0))
    ids = cols.event_details().id
    actors = cols.actor_names
    ends: dict[tuple[int, int], list[tuple[str, str, int]]] = {}
    for i, post, day, actor in zip(seen.tolist(), cols.post[seen].tolist(),
                                   cols.day[seen].tolist(), cols.actor[seen].tolist(),
                                   strict=True):
        entry = (ids[i], actors[actor], i)
        pair = ends.get((post, day))
        if pair is None:
            ends[(post, day)] = [entry, entry]
        elif entry < pair[0]:
            pair[0] = entry
        elif entry > pair[1]:
            pair[1] = entry
    chosen = {e[2] for pair in ends.values() for e in pair}
    return np.union1d(rows, np.asarray(sorted(chosen), np.int64))


def id_hashes(cols: EventColumns) -> np.ndarray:
    """A stable 64-bit hash of each event's id (:meth:`TextColumn.hashes`), sorted: the same
    on every machine (Python's own ``hash`` of a text is not)."""
    return np.sort(cols.event_details().id.hashes())


# --------------------------------------------------------------------------- the driver


def evaluate_dask_files(rulebook: str, program: Program, paths: Sequence[str], as_of: dt.date,
                        client: Any, prior_sanctions: Sequence[Any] = (), *, mapping: Any = None,
                        strict: bool = False, partitions: int | None = None
                        ) -> tuple[R.EvaluationResult, int] | None:
    """Events files read and judged on the cluster of ``client`` (see the module's docstring):
    the result of one process reading them as one input (``wenze evaluate``'s ``read_files``)
    and the count of identical duplicates; None when an id may occur in two files (the caller
    then reads the files itself: which of them is kept needs every file)."""
    reads = [client.submit(read_part, str(path), k, mapping, strict, pure=False)
             for k, path in enumerate(paths)]
    several = len(paths) > 1
    futures = [client.submit(summarise, r, rulebook, as_of, several, pure=False) for r in reads]
    from dask.distributed import wait

    wait(futures)
    for future in futures:  # the first file's error first (--strict: its first bad event)
        if future.status == "error":
            raise future.exception()
    summaries: list[Summary] = client.gather(futures)
    if several and _repeated(s.id_hashes for s in summaries):
        for r in reads:
            r.release()
        return None
    return _judged(rulebook, program, as_of, client, reads, summaries, prior_sanctions,
                   partitions), sum(s.duplicates for s in summaries)


def evaluate_dask(rulebook: str, program: Program, events: Sequence[Event], as_of: dt.date,
                  client: Any, prior_sanctions: Sequence[Any] = (), *,
                  rejected: Sequence[Rejection] = (), partitions: int | None = None
                  ) -> R.EvaluationResult:
    """:func:`wenze.engine.evaluate.evaluate` of events already in memory, the cases judged on
    the cluster of ``client`` as :func:`evaluate_dask_files` judges a file's: the same result.
    (The events are sent in slices of cases, each slice's rows in input order.)"""
    events = list(events)
    by_case: dict[str, list[int]] = defaultdict(list)
    for i, ev in enumerate(events):
        by_case[ev.case or ""].append(i)
    cases = sorted(by_case)
    count = _partitions(client, partitions)
    size = max(1, -(-len(cases) // count))
    slices = [cases[lo:lo + size] for lo in range(0, len(cases), size)] or [[]]
    rows = [sorted(i for c in part for i in by_case[c]) for part in slices]
    sent = client.scatter([[events[i] for i in r] for r in rows], hash=False)
    reads = [client.submit(events_part, s, k, pure=False) for k, s in enumerate(sent)]
    summaries: list[Summary] = client.gather(
        [client.submit(summarise, r, rulebook, as_of, False, pure=False) for r in reads])
    summaries[0].rejected = list(rejected)
    return _judged(rulebook, program, as_of, client, reads, summaries, prior_sanctions,
                   partitions, rows)


def _partitions(client: Any, asked: int | None) -> int:
    if asked:
        return asked
    return max(1, 2 * len(client.scheduler_info().get("workers", {}) or [0]))


def _repeated(hashes: Iterable[np.ndarray | None]) -> bool:
    """Whether two files may share an id (equal hashes; each file's are sorted, unique)."""
    every = np.sort(np.concatenate([h for h in hashes if h is not None]))
    return bool(len(every) > 1 and (every[1:] == every[:-1]).any())


def _judged(rulebook: str, program: Program, as_of: dt.date, client: Any, reads: list[Any],
            summaries: list[Summary], prior_sanctions: Sequence[Any],
            partitions: int | None, rows: list[list[int]] | None = None
            ) -> R.EvaluationResult:
    """The cases of the parts (futures ``reads``) cut into contiguous ranges of case ids, each
    judged on a worker; their batches joined in case order and the ladder stage run here.
    ``rows``: for parts that are slices of one list, each slice's rows in that list."""
    from wenze.engine.case import CaseContext

    context = [ev for s in summaries for ev in s.context]
    ctx = CaseContext(program, context, as_of)
    names = sorted(set().union(*(s.case_names for s in summaries)))
    count = _partitions(client, partitions)
    size = max(1, -(-len(names) // count))
    bounds = [names[k] for k in range(size, len(names), size)]
    ranges = list(zip([None, *bounds], [*bounds, None], strict=True))
    [shared] = client.scatter([context], broadcast=True, hash=False)
    tasks = []
    for lo, hi in ranges:
        wanted = [r for r, s in zip(reads, summaries, strict=True)
                  if _overlaps(s.case_names, lo, hi)]
        tasks.append(client.submit(judge_range, rulebook, as_of, shared, wanted[:1] or reads[:1]
                                   if len(wanted) <= 1 else wanted, lo, hi, pure=False))
    judged = client.gather(tasks)
    for r in reads:
        r.release()
    problems = [p for s in summaries for p in s.caseless_problems]
    counts: dict[tuple[str, str], list[int]] = {}
    fast = kept = after = 0
    for _, part_counts, part_fast, part_kept, part_after, part_problems in judged:
        for key, values in part_counts.items():
            row = counts.setdefault(key, [0, 0, 0, 0, 0])
            for i, v in enumerate(values):
                row[i] += v
        fast, kept, after = fast + part_fast, kept + part_kept, after + part_after
        problems += part_problems
    if rows is not None:  # a slice's row → the input's
        problems = [(0, rows[n][row], rej) for n, row, rej in problems]
    problems.sort(key=lambda p: (p[0], p[1]))
    kept += sum(s.caseless_kept for s in summaries)
    after += sum(s.caseless_after for s in summaries)
    outs, offences, warnings, unjudged, late, _ = R.joined(program, [j[0] for j in judged])
    all_rejected = [r for s in summaries for r in s.rejected]
    all_rejected += [rej for _, _, rej in problems]
    all_rejected += late
    table = OffenceTable.from_offences(program, offences)
    return finish_columnar(ctx, outs, table, list(warnings), unjudged, all_rejected, {},
                           len(outs) + fast, kept, after, prior_sanctions, counts=counts)


def _overlaps(names: list[str], lo: str | None, hi: str | None) -> bool:
    """Whether a sorted list of case ids has one in ``[lo, hi)``."""
    a = 0 if lo is None else bisect.bisect_left(names, lo)
    return a < len(names) and (hi is None or names[a] < hi)
