"""Cases judged on a Dask cluster: ``wenze evaluate RULEBOOK 'events/*.parquet' --dask local``
(a LocalCluster on this machine) or ``--dask tcp://scheduler:8786``.

What runs where (docs/scale.md):

- the **driver** reads the events, sets aside the events after the as-of date and those naming
  an item or post the rulebook lacks (rejected, as :func:`wenze.engine.evaluate.evaluate`
  does), sorts the case ids and cuts them into contiguous partitions (one or more per worker);
- each **partition** is sent to a worker with the events its cases need — its own, and the
  events the shared context reads (absences and returns, the events of leaders' posts: who held
  a post on a day); the worker loads the rulebook itself (a rulebook's conditions are
  functions, never pickled), rebuilds the context, judges its cases with the reference's
  per-case code (:func:`wenze.engine.evaluate.run_cases`) and sends back the
  :func:`~wenze.engine.evaluate.portable` batch: metric rows, offences (the violation by its
  index), warnings, unjudged cases, late rejections;
- the driver joins the batches in case order (:func:`~wenze.engine.evaluate.joined`, as the
  forked path of ``evaluate`` does) and runs the ladder stage once on every offence
  (:func:`wenze.fast.ladder.finish_columnar`: the person's count in the window needs all
  of their offences, from every partition).

Same inputs, same decisions: the joined batches are what one process's ``run_cases`` gives for
the whole sorted list of cases, so the result is ``evaluate``'s byte for byte (tested on a
LocalCluster of two workers). Not yet: the workers do not screen their cases on columns (the
columnar path's own screening runs in forked processes on one machine), and they do not read
the files themselves — the driver reads them and sends each partition its events.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wenze.engine import evaluate as R
from wenze.engine.lower import Program
from wenze.events.model import Event, Rejection
from wenze.fast.ladder import finish_columnar
from wenze.fast.offence_table import OffenceTable

__all__ = ["context_events", "dask_client", "evaluate_dask", "judge_partition"]

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


def judge_partition(rulebook: str, as_of: dt.date, shared: list[Event], cases: list[str],
                    events: list[Event]) -> tuple[Any, ...]:
    """On a worker: the cases (sorted ids) judged by the reference's per-case code, as a
    :func:`~wenze.engine.evaluate.portable` batch."""
    from wenze.engine.case import CaseContext

    program = _program(rulebook)
    ctx = CaseContext(program, shared, as_of)
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        by_case[ev.case].append(ev)
    return R.portable(program, R.run_cases(ctx, program, cases, by_case, set()))


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


def evaluate_dask(rulebook: str, program: Program, events: Sequence[Event], as_of: dt.date,
                  client: Any, prior_sanctions: Sequence[Any] = (), *,
                  rejected: Sequence[Rejection] = (), partitions: int | None = None
                  ) -> R.EvaluationResult:
    """:func:`wenze.engine.evaluate.evaluate` with the cases judged on the cluster of
    ``client`` (see the module's docstring); the same result."""
    all_rejected = list(rejected)
    kept: list[Event] = []
    after = 0
    items, posts = program.items, program.posts
    for ev in events:
        if ev.at.date() > as_of:
            after += 1
            continue
        if (ev.item and ev.item not in items) or (ev.post and ev.post not in posts):
            problem = R.event_problem(program, ev)
            assert problem is not None
            all_rejected.append(Rejection(ev.source, ev.line, ev.id, *problem))
            continue
        kept.append(ev)
    from wenze.engine.case import CaseContext

    ctx = CaseContext(program, kept, as_of)
    shared = context_events(program, kept)
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in kept:
        if ev.case:
            by_case[ev.case].append(ev)
    cases = sorted(by_case)
    if partitions is None:
        partitions = max(1, 2 * len(client.scheduler_info().get("workers", {}) or [0]))
    size = max(1, -(-len(cases) // partitions))
    [shared_future] = client.scatter([shared], broadcast=True, hash=False)  # (one object)
    cuts = [cases[lo:lo + size] for lo in range(0, len(cases), size)]
    # each partition's events sent ahead (not inside the task graph), one object each
    sent = client.scatter([[ev for c in part for ev in by_case[c]] for part in cuts],
                          hash=False)
    futures = [client.submit(judge_partition, str(rulebook), as_of, shared_future, part, data,
                             pure=False) for part, data in zip(cuts, sent, strict=True)]
    parts = client.gather(futures)
    outs, offences, warnings, unjudged, late_rejected, _ = R.joined(program, parts)
    all_rejected += late_rejected
    table = OffenceTable.from_offences(program, offences)
    return finish_columnar(ctx, outs, table, list(warnings), unjudged, all_rejected, {},
                           len(outs), len(kept), after, prior_sanctions)
