"""Benchmark (not a test): a JSON Lines events file into columns, two ways, side by side.

    python benchmarks/bench_read_columns.py FILE.jsonl [--repeat 2]

- ``read_events + from_events``: ``read_events`` (an ``Event`` per line) then
  ``EventColumns.from_events`` (the columns the columnar evaluator reads);
- ``read_columns``: :func:`wenze.events.read_columns.read_columns`, straight into columns.

Each row is run in a forked child (its own memory), ``--repeat`` times, best wall time kept;
µs per event kept, and the peak resident set of the child. The two results are compared
(columns, rejections, duplicates) once, outside the timings. To make files:
``wenze simulate rules/zitong_2008.wz --cases 100000 --seed 1 --events-out ev.jsonl``, or the
``load`` row of ``bench_columnar.py`` (the benchmark caseload written as JSON Lines).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from wenze.events.columns import EventColumns
from wenze.events.read_columns import read_columns
from wenze.events.readers import read_events


def _old(path: Path) -> tuple[EventColumns, list, int]:
    batch = read_events(path)
    return EventColumns.from_events(batch.events), batch.rejected, batch.duplicates


def _new(path: Path) -> tuple[EventColumns, list, int]:
    batch = read_columns(path)
    return batch.columns, batch.rejected, batch.duplicates


def _in_child(run: Callable[[], int]) -> tuple[float, float, int]:
    """(wall s, CPU s, events) of ``run()`` in a forked child, and its peak RSS (KB) after."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        t, c = time.perf_counter(), time.process_time()
        n = run()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        peak = next(int(x.split()[1]) for x in Path("/proc/self/status").read_text()
                    .splitlines() if x.startswith("VmHWM:"))
        os.write(w, f"{wall} {cpu} {n} {peak}".encode())
        os._exit(0)
    os.close(w)
    data = os.read(r, 1000).decode().split()
    os.waitpid(pid, 0)
    return float(data[0]), float(data[1]), int(data[2]), int(data[3])  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    a, b = _old(args.file), _new(args.file)
    for name in ("case", "type", "day", "instant", "item", "post", "actor", "unit", "step",
                 "reason", "refused_nr", "odd"):
        assert np.array_equal(getattr(a[0], name), getattr(b[0], name)), name
    assert a[1] == b[1] and a[2] == b[2]
    n = len(a[0])
    del a, b
    print(f"{args.file}: {n:,} events, {args.file.stat().st_size / 2**20:,.0f} MB "
          f"(same columns, rejections and duplicates both ways)")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    for label, read in (("read_events + from_events", _old), ("read_columns", _new)):
        runs = [_in_child(lambda read=read: len(read(args.file)[0]))
                for _ in range(args.repeat)]
        wall, cpu, _, peak = min(runs)
        print(f"{label:<28}{wall:>8.2f} s wall {cpu:>8.2f} s CPU {wall / n * 1e6:>7.2f} µs/event"
              f" {peak / 1024:>8,.0f} MB peak RSS")


if __name__ == "__main__":
    main()
