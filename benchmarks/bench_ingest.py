"""Benchmark (not a test) of the store stage: events/s ingested into SQLite and PostgreSQL.

    python benchmarks/bench_ingest.py [--events 100000] [--batch-size 5000] [--pg URL]

Generates a seeded synthetic JSON Lines file, then for each backend times
- ``read``: reading and hashing the file into rows (``wenze.store.ingest.read_rows``),
- ``store``: writing those rows in batches (one transaction per batch), by the wall clock and
  per CPU second of this process (a fair figure on a busy machine for SQLite, which runs
  inside the process),
- ``ingest``: the whole ``ingest(engine, path)`` call on a fresh database (also per CPU second
  of this process: the honest figure on a loaded machine, since the call is CPU-bound),
- ``re-ingest``: the same file again (every event an identical duplicate, nothing written).
Target: ≥ 50 000 events/s stored into SQLite. PostgreSQL defaults to
``postgresql+psycopg://postgres@127.0.0.1:5432/test`` in a throw-away schema; skipped (and said so)
when unreachable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wenze.store import ingest as store_ingest
from wenze.store.db import make_engine, upgrade

TYPES = ["received", "accepted", "step_started", "step_completed", "decided", "delivered"]
SQLITE_TARGET = 50_000


def generate(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            case = i // 6
            event = {
                "id": f"E{i:08d}", "case": f"C{case:07d}", "type": TYPES[i % 6],
                "at": f"2024-{1 + case % 12:02d}-{1 + i % 6 * 4:02d}T{8 + rng.randrange(9):02d}:"
                      f"{rng.randrange(60):02d}:00+08:00",
                "item": rng.choice(["营业执照", "食品经营许可", "建设工程规划许可"]),
                "actor": f"P{rng.randrange(20_000)}", "post": "窗口", "unit": "市场监管局",
                "step": None if i % 6 in (0, 1) else f"S{i % 6}", "data": {},
            }
            fh.write(json.dumps(event, ensure_ascii=False) + "\n")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def cpu_timed(fn: Callable[[], Any]) -> float:
    """CPU seconds of this process (SQLite works inside it; PostgreSQL's server is not counted)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


@contextmanager
def sqlite_url(tmp: Path) -> Iterator[str]:
    path = tmp / f"bench-{secrets.token_hex(3)}.db"
    yield f"sqlite:///{path}"


@contextmanager
def pg_url(base: str) -> Iterator[str]:
    import psycopg

    schema = f"wz_bench_{secrets.token_hex(4)}"
    conninfo = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{base}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run_backend(make_url: Callable[[], Any], path: Path, n: int, batch: int) -> dict[str, float]:
    """events/s for read, store, ingest (fresh database) and re-ingest."""
    out: dict[str, float] = {}
    read_s, (rows, _rej, _dup) = timed(lambda: store_ingest.read_rows(path))
    out["read"] = n / read_s
    with make_url() as url:
        engine = make_engine(url)
        upgrade(engine)

        def store() -> None:
            report = store_ingest.IngestReport()
            for chunk in store_ingest._batches(rows, batch):
                store_ingest._store_batch(engine, chunk, report)
            assert report.inserted == n, report.inserted

        out["store"] = n / timed(store)[0]
        engine.dispose()
    with make_url() as url:
        engine = make_engine(url)
        upgrade(engine)
        out["store/cpu-s"] = n / cpu_timed(store)
        engine.dispose()
    with make_url() as url:
        engine = make_engine(url)
        upgrade(engine)

        def whole() -> None:
            assert store_ingest.ingest(engine, path, batch_size=batch).inserted == n

        out["ingest/cpu-s"] = n / cpu_timed(whole)
        engine.dispose()
    with make_url() as url:
        engine = make_engine(url)
        upgrade(engine)
        seconds, report = timed(lambda: store_ingest.ingest(engine, path, batch_size=batch))
        assert report.inserted == n
        out["ingest"] = n / seconds
        seconds, report = timed(lambda: store_ingest.ingest(engine, path, batch_size=batch))
        assert report.inserted == 0 and report.identical_duplicates == n
        out["re-ingest"] = n / seconds
        engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results: dict[str, dict[str, float] | str] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "events.jsonl"
        generate(path, args.events)
        results["sqlite"] = run_backend(
            lambda: sqlite_url(tmp), path, args.events, args.batch_size
        )
        try:
            results["postgresql"] = run_backend(
                lambda: pg_url(args.pg), path, args.events, args.batch_size
            )
        except Exception as err:  # report, do not hide
            results["postgresql"] = f"not run: {type(err).__name__}: {err}"
    print(f"{args.events} events, batches of {args.batch_size} (events/s)")
    columns = ["read", "store", "store/cpu-s", "ingest", "ingest/cpu-s", "re-ingest"]
    print(f"{'backend':<12}" + "".join(f"{c:>13}" for c in columns))
    for backend, row in results.items():
        if isinstance(row, str):
            print(f"{backend:<12}{row}")
            continue
        print(f"{backend:<12}" + "".join(f"{row[c]:>13,.0f}" for c in columns))
    sqlite = results["sqlite"]
    assert isinstance(sqlite, dict)
    def verdict(rate: float) -> str:
        return "meets" if rate >= SQLITE_TARGET else "MISSES"

    print(f"SQLite, target {SQLITE_TARGET:,} events/s in batches: storing the batches "
          f"{sqlite['store']:,.0f} events/s wall clock ({verdict(sqlite['store'])}), "
          f"{sqlite['store/cpu-s']:,.0f} per CPU second; the whole `wenze ingest` (reading and "
          f"validating every event too) {sqlite['ingest']:,.0f} events/s wall clock "
          f"({verdict(sqlite['ingest'])}), {sqlite['ingest/cpu-s']:,.0f} per CPU second "
          f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
