"""Benchmark of the stage after the cases (not a test): ``evaluate.finish`` (the reference: ladder
Offence, Sanction, LadderInfo and Decision objects per offence) against
``ladder_columnar.finish_columnar`` (the ladder on arrays, decisions made when read).

    python benchmarks/bench_ladder.py                # 100k cases' offences × 10 (~320k rows)
    python benchmarks/bench_ladder.py --copies 1     # the 100k cases' offences only
    python benchmarks/bench_ladder.py --check        # and compare the JSON documents

The offences: the reference evaluator's on ``bench_evaluate.caseload`` (100k cases), copied
``--copies`` times with the case ids made distinct (``B0000001~3``) and the dates moved, as
a 1M caseload has them (the same 20k officials): each copy is moved 3 days earlier per copy
number, so that one official's offences do not all fall on the same dates. The deputy leader
answers for every late case (~9k rows at 10 copies, as at 1M). ``--busiest N`` makes one official
the direct person of N step offences, ~150 a day (one person's offences on one date are ordered
by their keys, the costly case); with N = 100k use ``--no-reference``: the reference's count of
same-level sanctions walks the whole window for each offence (quadratic: hours). The metric rows
are left out (the stage under test is ladders and decisions; the columnar path passes metric
counts, not rows).
The offence table is built from the offence objects before the clock starts (the fast path makes
it from arrays). Reported, with ``uptime``: time to the result; then, separately, time to make
every decision of the columnar result (iteration); with ``--check`` the JSON documents, written
and compared; peak memory (tracemalloc, a separate run of each stage).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import os
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import RULEBOOK, caseload

import wenze
from wenze.dsl import ast as A
from wenze.dsl.loader import load_text
from wenze.engine import evaluate as R
from wenze.engine.lower import lower
from wenze.fast.ladder import finish_columnar
from wenze.fast.offence_table import OffenceTable

AS_OF = dt.date(2024, 12, 31)


BUSIEST = "官员99999"  # an official not in the caseload


def offences(n_cases: int, copies: int, busiest: int = 0
             ) -> tuple[R.CaseContext, list[R.Offence]]:
    loaded = load_text(RULEBOOK, "<bench>")
    assert loaded.ok and loaded.rulebook is not None, loaded.diagnostics
    program = lower(loaded.rulebook)
    events = caseload(n_cases)
    ctx = R.CaseContext(program, events, AS_OF)
    by_case: dict[str, list] = defaultdict(list)
    for e in events:
        by_case[e.case].append(e)
    found = R.run_cases(ctx, program, sorted(by_case), by_case, set())[1]
    out = list(found)
    for k in range(1, copies):  # a copy a few days earlier: one official's offences do not
        shift = dt.timedelta(days=3 * k)  # all fall on the same dates
        out += [dataclasses.replace(o, case=f"{o.case}~{k}", established=o.established - shift)
                for o in found]
    if busiest:  # every k-th step offence's direct person is one official
        steps = [i for i, o in enumerate(out)
                 if o.violation.name == "环节超时" and o.role is A.Role.DIRECT]
        every = max(len(steps) // busiest, 1)
        for i in steps[::every][:busiest]:
            out[i] = dataclasses.replace(out[i], person=BUSIEST)
    return ctx, out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def peak(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run_columnar(columnar: Callable[[], R.EvaluationResult], check: bool) -> str:
    times = []
    for _ in range(3):  # the best of three: the machine is shared
        t_col, col = timed(columnar)
        times.append(t_col)
    t_make, made = timed(lambda: list(col.decisions))
    n = len(made)
    made.clear()
    print(f"columnar: result in {min(times):.3f} s (best of {', '.join(f'{t:.3f}' for t in times)};"
          f" {n:,} decisions); making every decision {t_make:.2f} s", flush=True)
    t_count, by_level = timed(lambda: col.decisions.count_by("sanction"))  # type: ignore[attr-defined]
    print(f"  per sanction ({t_count:.3f} s, from the columns): {dict(by_level)}", flush=True)
    return _document(col, check)


def run_reference(reference: Callable[[], R.EvaluationResult], check: bool) -> str:
    t_ref, ref = timed(reference)
    print(f"reference: result in {t_ref:.2f} s (every decision made)", flush=True)
    return _document(ref, check)


def _document(result: R.EvaluationResult, check: bool) -> str:
    """The JSON document of ``result``, timed and said (empty when not checked)."""
    if not check:
        return ""
    t_json, text = timed(lambda: wenze.to_json(result))
    print(f"  the JSON document {t_json:.2f} s", flush=True)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--busiest", type=int, default=0,
                        help="offences one official answers for (0: as generated; the "
                        "reference's count of same-level sanctions is quadratic in it)")
    parser.add_argument("--check", action="store_true", help="compare the JSON documents")
    parser.add_argument("--no-reference", action="store_true", help="skip evaluate.finish")
    args = parser.parse_args()

    t, (ctx, offs) = timed(lambda: offences(args.cases, args.copies, args.busiest))
    people = defaultdict(int)
    for o in offs:
        people[o.person_key] += 1
    most = max(people.values())
    print(f"{len(offs):,} offences ({args.cases:,} cases × {args.copies}) in {t:.1f} s; "
          f"{len(people):,} people, the busiest answers for {most:,}", flush=True)
    t, table = timed(lambda: OffenceTable.from_offences(ctx.program, offs))
    print(f"offence table built in {t:.2f} s (not counted below)", flush=True)

    def columnar() -> R.EvaluationResult:
        return finish_columnar(ctx, [], table, [], [], [], {}, 0, 0, 0)

    def reference() -> R.EvaluationResult:
        return R.finish(ctx, [], list(offs), [], [], [], {}, 0, 0, 0)

    gc.disable()  # as evaluate() runs the stage
    try:
        col_json = run_columnar(columnar, args.check)
        if not args.no_reference:
            ref_json = run_reference(reference, args.check)
            if args.check:
                print(f"same JSON document: {ref_json == col_json}", flush=True)
    finally:
        gc.enable()
    print(f"peak memory (tracemalloc) columnar stage to the result: {peak(columnar):.0f} MiB",
          flush=True)
    if not args.no_reference:
        print(f"peak memory (tracemalloc) reference stage: {peak(reference):.0f} MiB",
              flush=True)
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
