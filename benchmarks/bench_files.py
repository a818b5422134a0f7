"""Benchmark (not a test): a caseload from files to files, side by side with polars and duckdb.

    python benchmarks/bench_files.py [--cases 100000] [--dir DIR] [--rows …]
    python benchmarks/bench_files.py --cases 1000000        (the million-case mode)

The benchmark caseload (``columns_caseload.caseload_columns``, the rulebook of
``bench_evaluate``) written once as JSON Lines and as Parquet (kept in ``--dir`` for later runs),
then each row in a forked child (its own memory), timed wall and CPU, with the child's peak
resident set (``VmHWM``) and the peak of its own children (the columnar path's forked workers):

- ``wenze parquet → parquet``: ``read_arrow`` → ``evaluate_columnar`` → ``write_parquet``
  (what ``wenze evaluate R events.parquet --format parquet -o DIR`` does), stages timed;
- ``wenze jsonl → jsonl``: ``read_columns`` → ``evaluate_columnar`` → ``write_jsonl_dir``
  (``--format jsonl -o DIR``);
- ``wenze jsonl (Arrow's parser) → jsonl``: the same with ``read_jsonl_arrow`` (Arrow's
  multi-threaded JSON parser where the file allows it);
- ``wenze jsonl → json document``: today's default ``--format json`` (one indented document);
- ``wenze parquet → parquet, --dask local``: the caseload cut by case into four Parquet files,
  each read and its cases judged (the columnar path) on a LocalCluster of two workers
  (``wenze.fast.distributed``), the ladder stage and the writing on the driver;
- ``polars read_ndjson``: reading the JSON Lines file only (the issue's yardstick);
- ``polars``/``duckdb`` ``… + statutory rule``: the same file (JSON Lines, Parquet) read and
  the statutory-deadline rule computed by a hand-written query: per case the acceptance, the
  decision and the 专家评审 suspension's days, working days counted on a calendar table
  (the statutory calendar, one row a day with its running count of working days), late when
  the decision's count passes the acceptance's + 20 + the suspension's working days (days
  inclusive) — :func:`bench_columnar.plain_loop`'s rule, on every case at once;
- ``plain loop``: ``read_events`` and :func:`bench_columnar.plain_loop` (Python, per case).

Each row prints its result (cases decided late; wenze's late cases are its decisions of
超过法定时限) so that the rows can be seen to agree. Ratios are to ``polars read_ndjson``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_evaluate as B
import numpy as np
from bench_columnar import AS_OF, plain_loop
from columns_caseload import caseload_columns

from wenze.dsl.calendar import WorkCalendar
from wenze.dsl.loader import load_text
from wenze.engine.lower import lower
from wenze.events.arrow import read_arrow, read_jsonl_arrow, write_events
from wenze.events.read_columns import read_columns
from wenze.events.readers import read_events
from wenze.fast.columnar import evaluate_columnar
from wenze.report import stream
from wenze.report.output import to_json
from wenze.report.parquet import write_parquet
from wenze.report.summaries import column

LIMIT = 20  # the item's statutory limit, working days


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def in_child(fn: Callable[[], Any]) -> dict[str, Any]:
    """Run ``fn`` in a forked child: wall, CPU, its result, peak RSS (its own, and its
    children's)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            t, c = time.perf_counter(), time.process_time()
            value = fn()
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = {"wall": wall, "cpu": cpu + kids.ru_utime + kids.ru_stime, "value": value,
                   "hwm": _status("VmHWM"), "children": kids.ru_maxrss * 1024}
        except BaseException as err:
            out = {"error": repr(err)}
        os.write(w, json.dumps(out, default=str).encode())
        os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 1 << 16):
        chunks.append(chunk)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


# --------------------------------------------------------------------------- files


def make_files(n: int, where: Path) -> tuple[Path, Path]:
    jsonl, parquet = where / f"caseload-{n}.jsonl", where / f"caseload-{n}.parquet"
    if jsonl.is_file() and parquet.is_file():
        return jsonl, parquet
    where.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cols = caseload_columns(n)
    events = cols.events
    step = 200_000
    with jsonl.open("w", encoding="utf-8") as fh:
        for lo in range(0, len(events), step):
            fh.write("".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n"
                             for e in events[lo:lo + step]))
    write_events(events, parquet)
    print(f"wrote {len(events):,} events: {jsonl} ({jsonl.stat().st_size / 2**20:,.0f} MB), "
          f"{parquet} ({parquet.stat().st_size / 2**20:,.0f} MB) in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return jsonl, parquet


def calendar_table() -> tuple[np.ndarray, np.ndarray]:
    """(dates, running count of working days) of the statutory calendar, 2022–2025."""
    cal = WorkCalendar.statutory()
    first, last = dt.date(2022, 1, 1).toordinal(), dt.date(2025, 12, 31).toordinal()
    days = [dt.date.fromordinal(o) for o in range(first, last + 1)]
    count = np.cumsum([cal.is_workday(d) for d in days]).astype(np.int64)
    return np.asarray(days, "datetime64[D]"), count


# --------------------------------------------------------------------------- wenze rows


def _program() -> Any:
    return lower(load_text(B.RULEBOOK, "<bench>").rulebook)


def _late(result: Any) -> int:
    return len({c for v, c in zip(column(result.decisions, "violation"),
                                  column(result.decisions, "case"), strict=True)
                if v == "超过法定时限"})


def wenze_run(source: Path, read: Callable[[Path], Any], write: Callable[[Any], Any]
              ) -> dict[str, Any]:
    program = _program()
    t0, c0 = time.perf_counter(), _cpu()
    batch = read(source)
    t1, c1 = time.perf_counter(), _cpu()
    result = evaluate_columnar(program, batch.columns, AS_OF, rejected=batch.rejected)
    t2, c2 = time.perf_counter(), _cpu()
    write(result)
    t3, c3 = time.perf_counter(), _cpu()
    return {"late": _late(result), "decisions": len(result.decisions),
            "stages": f"read {t1 - t0:.2f} s, judge {t2 - t1:.2f} s, write {t3 - t2:.2f} s",
            "stages_cpu": f"read {c1 - c0:.2f} s, judge {c2 - c1:.2f} s, "
                          f"write {c3 - c2:.2f} s"}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the forked workers)."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                    resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# --------------------------------------------------------------------------- the peers


def case_files(parquet: Path, parts: int) -> list[Path]:
    """The Parquet file cut into ``parts`` files by case (each case's events in one file, as a
    partitioned export writes them), made once."""
    import pyarrow.parquet as pq

    where = parquet.parent / f"{parquet.stem}-by-case"
    paths = [where / f"part-{k}.parquet" for k in range(parts)]
    if all(p.is_file() for p in paths):
        return paths
    where.mkdir(exist_ok=True)
    table = pq.read_table(parquet)
    case = table.column("case").to_numpy(zero_copy_only=False)
    cuts = [0] + [int(np.searchsorted(case, case[len(case) * k // parts], "left"))
                  for k in range(1, parts)] + [len(case)]  # (rows are in case order)
    for k, path in enumerate(paths):
        pq.write_table(table.slice(cuts[k], cuts[k + 1] - cuts[k]), path, compression="zstd")
    return paths


def dask_run(source: Path, workers: int) -> dict[str, Any]:
    """``--dask local``: the files (the caseload cut by case) read and judged on a LocalCluster
    (the columnar path on each worker), the ladder stage and the writing on the driver."""
    from wenze.fast.distributed import dask_client, evaluate_dask_files

    program = _program()
    rulebook = source.parent / "bench.wz"
    rulebook.write_text(B.RULEBOOK, encoding="utf-8")
    paths = [str(p) for p in case_files(source, 4)]
    t0 = time.perf_counter()
    with dask_client("local", workers) as client:
        t1 = time.perf_counter()
        done = evaluate_dask_files(str(rulebook), program, paths, AS_OF, client)
        assert done is not None
        result = done[0]
        t2 = time.perf_counter()
    write_parquet(result, source.parent / "out" / "dask")
    t3 = time.perf_counter()
    return {"late": _late(result), "decisions": len(result.decisions),
            "stages": f"cluster up {t1 - t0:.2f} s, read + judge {t2 - t1:.2f} s, "
                      f"write {t3 - t2:.2f} s"}


def read_only(path: Path, read: Callable[[Path], Any]) -> dict[str, Any]:
    """The read stage alone (events kept, rejected)."""
    batch = read(path)
    return {"events": len(batch.columns), "rejected": len(batch.rejected)}


def polars_read(path: Path) -> dict[str, Any]:
    import polars as pl

    return {"rows": pl.read_ndjson(path).height}


def polars_rule(path: Path) -> dict[str, Any]:
    import polars as pl

    if path.suffix == ".parquet":
        df = pl.read_parquet(path, columns=["case", "type", "at", "data"])
        reason = pl.col("data").str.json_path_match("$.reason")
    else:
        text = pl.Utf8
        df = pl.read_ndjson(path, schema={
            "id": text, "case": text, "type": text, "at": text, "item": text, "actor": text,
            "post": text, "unit": text, "step": text,
            "data": pl.Struct({"reason": text, "outcome": text})})
        reason = pl.col("data").struct.field("reason")
    days, count = calendar_table()
    cal = pl.DataFrame({"day": days, "n": count})
    ev = (df.lazy()
          .select("case", "type", reason.alias("reason"),
                  pl.col("at").str.slice(0, 10).str.to_date().alias("day"))
          .join(cal.lazy(), on="day", how="left"))
    per_case = ev.group_by("case").agg(
        pl.col("n").filter(pl.col("type") == "accepted").min().alias("start"),
        pl.col("n").filter(pl.col("type") == "decided").min().alias("decided"),
        pl.col("n").filter((pl.col("type") == "suspended") & (pl.col("reason") == "专家评审"))
        .min().alias("s"),
        pl.col("n").filter(pl.col("type") == "resumed").min().alias("r"),
        pl.col("day").filter(pl.col("type") == "suspended").min().alias("s_day"),
    )
    # working days of the suspension, both ends included: count(r) − count(s − 1 day)
    out = (per_case.join(cal.lazy().select(pl.col("day").alias("s_day"),
                                           pl.col("n").alias("s_before")),
                         on="s_day", how="left")
           .with_columns(extra=pl.when(pl.col("s").is_not_null())
                         .then(pl.col("r") - pl.col("s") + 1).otherwise(0))
           .filter(pl.col("start").is_not_null()
                   & (pl.col("decided") > pl.col("start") + LIMIT + pl.col("extra")))
           .select(pl.len()).collect())
    return {"late": int(out.item())}


def duckdb_rule(path: Path) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa

    days, count = calendar_table()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    cal = pa.table({"day": pa.array(days.astype("datetime64[s]").astype(object), pa.date32()),
                    "n": count})
    con.register("cal", cal)
    if path.suffix == ".parquet":
        source = f"read_parquet('{path}')"
    else:
        source = (f"read_json('{path}', format='newline_delimited', columns={{'id': 'VARCHAR', "
                  "'case': 'VARCHAR', 'type': 'VARCHAR', 'at': 'VARCHAR', 'item': 'VARCHAR', "
                  "'actor': 'VARCHAR', 'post': 'VARCHAR', 'unit': 'VARCHAR', 'step': 'VARCHAR', "
                  "'data': 'JSON'})")
    late = con.execute(f"""
        WITH ev AS (
          SELECT "case", type, CAST(json_extract_string(data, '$.reason') AS VARCHAR) AS reason,
                 cal.n FROM {source} e JOIN cal ON cal.day = CAST(substr(e.at, 1, 10) AS DATE)),
        per_case AS (
          SELECT "case",
                 min(n) FILTER (WHERE type = 'accepted') AS start,
                 min(n) FILTER (WHERE type = 'decided') AS decided,
                 min(n) FILTER (WHERE type = 'suspended' AND reason = '专家评审') AS s,
                 min(n) FILTER (WHERE type = 'resumed') AS r
          FROM ev GROUP BY "case")
        SELECT count(*) FROM per_case
        WHERE start IS NOT NULL
          AND decided > start + {LIMIT} + coalesce(r - s + 1, 0)
    """).fetchone()[0]
    return {"late": int(late)}


def plain(path: Path) -> dict[str, Any]:
    late, _ = plain_loop(list(read_events(path).events), AS_OF)
    return {"late": late}


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/wenze-bench-files"),
                        help="where the caseload's files are made (and found again)")
    parser.add_argument("--rows", default="all",
                        help="comma-separated: parquet, jsonl, jsonl-arrow, document, dask, "
                             "read-parquet, read-jsonl, polars-read, polars-jsonl, "
                             "polars-parquet, duckdb-jsonl, duckdb-parquet, plain; or all")
    args = parser.parse_args()
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)
    jsonl, parquet = make_files(args.cases, args.dir)
    out = args.dir / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    def to_parquet(result: Any) -> None:
        write_parquet(result, out / "parquet")

    def to_jsonl(result: Any) -> None:
        stream.write_jsonl_dir(result, out / "jsonl")

    def to_document(result: Any) -> None:
        (out / "doc.json").write_text(to_json(result), encoding="utf-8")

    rows: dict[str, tuple[str, Callable[[], Any]]] = {
        "parquet": ("wenze parquet → parquet", lambda: wenze_run(parquet, read_arrow,
                                                                 to_parquet)),
        "jsonl": ("wenze jsonl → jsonl", lambda: wenze_run(jsonl, read_columns, to_jsonl)),
        "jsonl-arrow": ("wenze jsonl (Arrow's parser) → jsonl",
                        lambda: wenze_run(jsonl, read_jsonl_arrow, to_jsonl)),
        "document": ("wenze jsonl → json document", lambda: wenze_run(jsonl, read_columns,
                                                                     to_document)),
        "dask": ("wenze parquet → parquet, --dask local (2)", lambda: dask_run(parquet, 2)),
        "read-parquet": ("read_arrow (read only)", lambda: read_only(parquet, read_arrow)),
        "read-jsonl": ("read_jsonl_arrow (read only)",
                       lambda: read_only(jsonl, read_jsonl_arrow)),
        "polars-read": ("polars read_ndjson (read only)", lambda: polars_read(jsonl)),
        "polars-jsonl": ("polars jsonl + statutory rule", lambda: polars_rule(jsonl)),
        "polars-parquet": ("polars parquet + statutory rule", lambda: polars_rule(parquet)),
        "duckdb-jsonl": ("duckdb jsonl + statutory rule", lambda: duckdb_rule(jsonl)),
        "duckdb-parquet": ("duckdb parquet + statutory rule", lambda: duckdb_rule(parquet)),
        "plain": ("read_events + plain loop", lambda: plain(jsonl)),
    }
    wanted = list(rows) if args.rows == "all" else args.rows.split(",")
    if "dask" in wanted:  # the files cut by case made ahead (in a child: not in the row's peak)
        in_child(lambda: bool(case_files(parquet, 4)))
    done: dict[str, dict[str, Any]] = {}
    for key in wanted:
        label, fn = rows[key]
        r = in_child(fn)
        done[key] = r
        if "error" in r:
            print(f"  {label}: FAILED {r['error']}", flush=True)
            continue
        print(f"  {label}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, peak "
              f"{r['hwm'] / 2**30:.2f} GB (+ children {r['children'] / 2**30:.2f} GB) "
              f"{r['value']}", flush=True)
    base = done.get("polars-read", {}).get("wall")
    print(f"\n{args.cases:,} cases; {jsonl.stat().st_size / 2**20:,.0f} MB JSON Lines, "
          f"{parquet.stat().st_size / 2**20:,.0f} MB Parquet; as of {AS_OF}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print(f"\n{'':<34}{'wall s':>8}{'CPU s':>8}{'peak GB':>9}{'×polars read':>14}  result")
    for key, r in done.items():
        if "error" in r:
            continue
        ratio = f"{r['wall'] / base:>14.2f}" if base else f"{'-':>14}"
        print(f"{rows[key][0]:<34}{r['wall']:>8.2f}{r['cpu']:>8.2f}"
              f"{max(r['hwm'], r['children']) / 2**30:>9.2f}{ratio}  {r['value']}")


if __name__ == "__main__":
    main()
