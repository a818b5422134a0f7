"""Benchmark of the columnar fast path (not a test): one seeded caseload, side by side in one run.

    python benchmarks/bench_columnar.py                 # 100k cases (~1.5M events)
    python benchmarks/bench_columnar.py --cases 1000000 # 1M cases (~15M events; ~8 GB RAM)

The caseload is generated directly as columns (``columns_caseload.caseload_columns``: the shape
of ``bench_evaluate.caseload`` — one item, a 6-step process with two parallel steps, 20k
officials, 15% suspended for expert review, 2% decisions by a post without the deciding power,
some steps late or started early; seed 7 — made by numpy, no Python object per event). The
peers that read ``Event`` objects get them rebuilt once from the columns (``list(cols.events)``,
timed and said, not part of their rows). Rows:

- ``columnar``: :func:`wenze.fast.columnar.evaluate_columnar` on the columns (the time of the
  evaluation only: screening, offences, ladders, decisions, metrics);
- ``columnar incl. Event → columns``: the same, timed from the list of ``Event`` objects;
- ``reference``: :func:`wenze.engine.evaluate.evaluate`, one process;
- ``plain dict loop``: a hand-written loop over the events grouped per case in a dict, with the
  deadline rule and the decision-authorization rule only (the floor);
- ``durable_rules``: the same two rules posted to durable_rules.

A peer is first run on a part of the caseload (100k cases; durable_rules ``--durable`` cases);
if the whole run would take longer than ``--limit`` seconds (10 minutes), it is run on 100k
cases and extrapolated linearly, and its row says so; otherwise it runs on the whole caseload.

Peak memory of a row: ``tracemalloc``'s peak during a second, untimed run of the row (what the
run allocates on top of its input already in memory, numpy buffers included; skipped for a row
whose timed run took longer than ``--trace-limit`` seconds), and the growth of the resident set
during the timed run (``VmHWM`` reset through ``/proc/self/clear_refs``). The fast path's row
also says the peak of the whole process tree: this process's ``VmHWM`` (the input columns, the
interpreter and its libraries included) plus what its forked children added to the pages they
share with it (an upper bound: the peaks need not coincide).
The JSON Lines → columns load (``read_columns``, what ``wenze evaluate FILE`` does for the fast
path) is timed
separately on a 100k-case file (extrapolated for 1M, said).
The columnar and reference JSON documents are compared (SHA-256 of the bytes) up to
``--compare-max`` cases (the document of 1M cases needs several GB more).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import os
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_evaluate as B
import numpy as np
from columns_caseload import caseload_columns

from wenze.dsl import ast as A
from wenze.dsl.calendar import WorkCalendar
from wenze.dsl.loader import load_text
from wenze.engine.evaluate import evaluate
from wenze.engine.lower import lower
from wenze.events.read_columns import read_columns
from wenze.events.readers import Event, EventType
from wenze.fast.columnar import evaluate_columnar
from wenze.report.output import to_json
from wenze.report.summaries import column

AS_OF = dt.date(2024, 12, 31)
DECIDERS = frozenset({"局长", "首席代表"})  # the posts holding 审批决定权 in bench_evaluate


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu() -> float:
    """CPU seconds of this process and of its children waited for (the fast path forks)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def in_child(fn: Callable[[], Any], post: Callable[[Any], Any] = lambda x: x
             ) -> dict[str, Any]:
    """Run ``fn``: wall and CPU seconds, peak memory added, and the value ``post(fn())``
    (``post`` is not timed). The peak is ``VmHWM`` (reset through ``/proc/self/clear_refs``
    before the run) minus ``VmRSS`` before the run. (In this process, not a forked child: a
    child touching 15M inherited objects would copy their pages.)"""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM)
    except OSError:
        pass
    base = _status("VmRSS")
    t0, c0 = time.perf_counter(), _cpu()
    value = fn()
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    hwm = _status("VmHWM")
    row = {"wall": wall, "cpu": cpu, "rss": hwm - base, "hwm": hwm, "value": post(value)}
    del value
    gc.collect()
    row["peak"] = None
    if wall <= TRACE_LIMIT:  # a second, untimed run: the peak of memory allocated during it
        tracemalloc.start()
        fn()
        row["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        gc.collect()
    return row


TRACE_LIMIT = 120.0  # seconds: a longer timed run is not run again under tracemalloc


# --------------------------------------------------------------------------- the peers


def plain_loop(events: list[Event], as_of: dt.date) -> tuple[int, int]:
    """Per case (events grouped in a dict by case id): the statutory deadline (accepted + 20
    working days, listed suspensions skipped) against the decision, and whether the decision's
    post holds the power."""
    cal = WorkCalendar.statutory()
    by_case: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        if e.at.date() <= as_of:
            by_case[e.case].append(e)
    late = unauthorized = 0
    for evs in by_case.values():
        evs.sort(key=lambda e: (e.at, e.id))
        start = decided = None
        susp: list[tuple[dt.date, dt.date]] = []
        s_open = None
        for e in evs:
            t = e.type
            if t is EventType.ACCEPTED and start is None:
                start = e.at.date()
            elif (t is EventType.SUSPENDED and e.data.get("reason") == "专家评审"
                  and s_open is None):
                s_open = e.at.date()
            elif t is EventType.RESUMED and s_open is not None:
                susp.append((s_open, e.at.date()))
                s_open = None
            elif t is EventType.DECIDED and decided is None:
                decided = e.at.date()
                if e.post not in DECIDERS:
                    unauthorized += 1
        if s_open is not None:
            susp.append((s_open, as_of))
        if start is None:
            continue
        deadline = cal.deadline(start, 20, A.DayKind.WORKING, susp)
        if (decided or as_of) > deadline:
            late += 1
    return late, unauthorized


DURABLE_BATCH = 5_000  # cases per durable_rules ruleset (see durable())


def durable(events: list[Event], as_of: dt.date) -> tuple[int, int]:
    """The same two rules in durable_rules: per case, the acceptance (carrying its deadline) is
    asserted and the decision posted; one rule compares the dates, one checks the post. The
    cases go to a new ruleset every :data:`DURABLE_BATCH` cases: with ~1M messages in one,
    durable_rules rejects fresh messages as already observed (MessageObservedException, seen
    here from 100k cases; jruizgit/rules#376). The rules are per case, so the batches change
    nothing but that."""
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        if ev.at.date() <= as_of:
            by_case[ev.case].append(ev)
    cases = list(by_case)
    late = unauthorized = 0
    for lo in range(0, len(cases), DURABLE_BATCH):
        batch = {case: by_case[case] for case in cases[lo:lo + DURABLE_BATCH]}
        a, b = _durable_batch(batch, as_of)
        late += a
        unauthorized += b
    return late, unauthorized


def _durable_batch(by_case: dict[str, list[Event]], as_of: dt.date) -> tuple[int, int]:
    from durable.lang import c, m, ruleset, when_all

    late, unauthorized = [0], [0]
    name = f"wenze_columnar_bench_{time.time_ns()}"
    with ruleset(name):
        @when_all(c.a << (m.kind == "accepted"),
                  c.d << ((m.kind == "decided") & (m.case == c.a.case)))
        def decided_late(ctx: Any) -> None:
            if ctx.d.day > ctx.a.deadline:
                late[0] += 1

        @when_all((m.kind == "decision_post") & (m.holds == 0))
        def decided_unauthorized(ctx: Any) -> None:
            unauthorized[0] += 1

        @when_all(+m.kind)
        def other(ctx: Any) -> None:
            pass
    B.post_cases(name, by_case, as_of, DECIDERS)
    return late[0], unauthorized[0]


# --------------------------------------------------------------------------- the run


def _rules(result: Any) -> tuple[int, int]:
    """(cases decided late, cases decided without the power), from the decisions' case and
    violation columns (a columnar result makes no decision; a tuple's are read)."""
    cases_of: dict[str | None, set[str | None]] = defaultdict(set)
    for violation, case in zip(column(result.decisions, "violation"),
                               column(result.decisions, "case"), strict=True):
        cases_of[violation].add(case)
    return len(cases_of["超过法定时限"]), len(cases_of["决定越权"])


SAMPLE = 100_000  # cases a row too slow for the whole caseload is run on (and extrapolated)


def main() -> None:
    global TRACE_LIMIT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--durable", type=int, default=2_000,
                        help="cases of durable_rules' trial run (0: skip the row)")
    parser.add_argument("--limit", "--reference-limit", type=float, default=600.0,
                        help="seconds: a peer whose run would take longer is run on 100k cases "
                             "and extrapolated (said in its row)")
    parser.add_argument("--trace-limit", type=float, default=120.0,
                        help="seconds: a row whose timed run took longer gets no second run "
                             "under tracemalloc (its peak is shown as '-'; RSS+ stays)")
    parser.add_argument("--load-cases", type=int, default=100_000,
                        help="cases in the JSON Lines file whose load is timed (0: skip)")
    parser.add_argument("--compare-max", type=int, default=200_000,
                        help="compare the JSON documents up to this many cases (memory)")
    parser.add_argument("--rows", default="all",
                        help="rows to run, comma-separated: columnar, events (columnar incl. "
                             "Event → columns), reference, plain, durable, load; or all")
    args = parser.parse_args()
    wanted = {"columnar", "events", "reference", "plain", "durable", "load"} \
        if args.rows == "all" else set(args.rows.split(","))
    TRACE_LIMIT = args.trace_limit
    n = args.cases
    program = lower(load_text(B.RULEBOOK, "<bench>").rulebook)
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)
    t0 = time.perf_counter()
    cols = caseload_columns(n)
    n_events = len(cols)
    print(f"generated {n:,} cases / {n_events:,} events as columns in "
          f"{time.perf_counter() - t0:.1f} s (RSS now {_status('VmRSS') / 2**30:.1f} GB)",
          flush=True)
    rows: list[dict[str, Any]] = []
    docs: dict[str, str] = {}

    def add(label: str, row: dict[str, Any], note: str = "") -> None:
        row.update(label=label, note=note)
        rows.append(row)
        peak = f"{row['peak'] / 2**20:,.0f} MB" if row["peak"] is not None else "-"
        print(f"  {label}: {row['wall']:.2f} s wall, {row['cpu']:.2f} s CPU, "
              f"peak {peak}, RSS +{row['rss'] / 2**20:,.0f} MB {note}", flush=True)

    stats: dict[str, float] = {}

    def with_doc(result: Any) -> tuple[tuple[int, int], str, dict[str, float]]:
        if n > args.compare_max:  # the document of 1M cases needs several GB more: not here
            return _rules(result), "", dict(stats)
        doc = to_json(result).encode("utf-8")  # not timed
        return _rules(result), f"sha256 {hashlib.sha256(doc).hexdigest()[:16]}, {len(doc):,} " \
            "bytes", dict(stats)

    fast_stats: dict[str, float] = {}
    if "columnar" in wanted:
        r = in_child(lambda: evaluate_columnar(program, cols, AS_OF, stats=stats), with_doc)
        r["value"], docs["columnar"], fast_stats = r["value"]
        children = fast_stats.get("children_peak_mb", 0) * 2**20
        add("columnar (from columns)", r, note=(
            f"(whole process tree at its peak: {(r['hwm'] + children) / 2**30:.2f} GB — this "
            f"process {r['hwm'] / 2**30:.2f} GB, input columns, interpreter and libraries "
            f"included, + its children {children / 2**20:,.0f} MB)"))

    # the peers read Event objects: rebuilt from the columns (not timed in their rows), all
    # of them once, or only the first cases' if no row needs them all
    made: dict[int, list[Event]] = {}

    def first(m: int) -> list[Event]:
        """The events of the first ``m`` cases (the rows are in case order)."""
        m = min(m, n)
        if n in made:
            return made[n] if m == n else made[n][:int(np.searchsorted(cols.case, m))]
        if m not in made:
            made.clear()
            t0 = time.perf_counter()
            rss0 = _status("VmRSS")
            made[m] = cols.events[:int(np.searchsorted(cols.case, m))]
            print(f"columns → Event objects of {m:,} cases ({len(made[m]):,}): "
                  f"{time.perf_counter() - t0:.1f} s, "
                  f"RSS +{(_status('VmRSS') - rss0) / 2**30:.1f} GB", flush=True)
        return made[m]

    if "events" in wanted:
        events = first(n)
        r = in_child(lambda: evaluate_columnar(program, events, AS_OF), _rules)
        add("columnar incl. Event → columns", r)
        del events

    def scaled(label: str, run: Callable[[int], dict[str, Any]], trial: int) -> None:
        """The row of a peer: ``run(m)`` runs it on the first ``m`` cases. A trial on ``trial``
        cases estimates the whole run; longer than the limit: run on 100k cases (or, if that
        too would be longer, the trial) and extrapolated linearly, said in the row."""
        m = min(trial, n)
        r = run(m)
        if m == n:
            add(label, r)
            return
        if r["wall"] * n / m <= args.limit:
            print(f"  ({label} on {m:,} cases: {r['wall']:.1f} s; the whole run fits the "
                  "limit)", flush=True)
            add(label, run(n))
            return
        if m < SAMPLE < n and r["wall"] * SAMPLE / m <= args.limit:
            m, r = SAMPLE, run(SAMPLE)
        factor = n / m
        r.update(wall=r["wall"] * factor, cpu=r["cpu"] * factor)
        add(label, r, note=f"(EXTRAPOLATED ×{factor:g} from {m:,} cases: the whole run would "
                           f"exceed {args.limit:g} s; result and memory are the {m:,} cases')")

    def reference(m: int) -> dict[str, Any]:
        sample = first(m)
        if m == n:
            r = in_child(lambda: evaluate(program, sample, AS_OF, workers=1), with_doc)
            r["value"], docs["reference"], _ = r["value"]
            return r
        return in_child(lambda: evaluate(program, sample, AS_OF, workers=1), _rules)

    if "reference" in wanted:
        scaled("reference evaluator, 1 process", reference, SAMPLE)
    if "plain" in wanted:
        scaled("plain per-case dict loop (2 rules)",
               lambda m: in_child(lambda: plain_loop(first(m), AS_OF)), SAMPLE)
    if args.durable and "durable" in wanted:
        scaled("durable_rules (2 rules)", lambda m: in_child(lambda: durable(first(m), AS_OF)),
               args.durable)

    if args.load_cases and "load" in wanted:
        sample_n = min(args.load_cases, n)
        sample = first(sample_n)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "caseload.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for e in sample:
                    fh.write(_json_line(e))
            size = path.stat().st_size

            def load() -> int:
                return len(read_columns(path).columns)

            r = in_child(load)
            factor = n / sample_n
            note = (f"({size / 2**20:,.0f} MB file"
                    + (f"; EXTRAPOLATED ×{factor:g} from {sample_n:,} cases" if factor > 1
                       else "") + ")")
            r.update(wall=r["wall"] * factor, cpu=r["cpu"] * factor)
            add("JSONL → columns (load only)", r, note=note)

    print(f"\n{n:,} cases, {n_events:,} events, as of {AS_OF}; columnar: {fast_stats}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    fast = rows[0]["wall"] if "columnar" in wanted else None
    print(f"\n{'':<38}{'wall s':>8}{'CPU s':>8}{'events/s':>12}{'peak MB':>9}{'RSS+ MB':>9}"
          f"{'×columnar':>10}  result (late, unauthorized)")
    for row in rows:
        eps = n_events / row["wall"] if row["wall"] else 0
        peak = f"{row['peak'] / 2**20:>9,.0f}" if row["peak"] is not None else f"{'-':>9}"
        print(f"{row['label']:<38}{row['wall']:>8.2f}{row['cpu']:>8.2f}{eps:>12,.0f}"
              f"{peak}{row['rss'] / 2**20:>9,.0f}"
              f"{row['wall'] / fast if fast else float('nan'):>10.1f}"
              f"  {row['value']} {row['note']}")
    print("peak MB: tracemalloc peak of a second run of the row (Python objects and numpy "
          "buffers allocated during it);\nRSS+ MB: growth of the resident set during the timed "
          "run (VmHWM; memory freed by earlier rows is reused, so later rows can show less)")
    if docs.get("reference"):
        same = docs["reference"] == docs["columnar"]
        print(f"\ncolumnar JSON == reference JSON, byte for byte: {same} "
              f"(reference: {docs['reference']}; columnar: {docs['columnar']})")


def _json_line(e: Event) -> str:
    import json

    return json.dumps(e.to_json(), ensure_ascii=False) + "\n"


if __name__ == "__main__":
    main()
