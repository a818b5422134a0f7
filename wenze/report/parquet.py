"""A run written as Parquet: ``wenze evaluate … --format parquet -o DIR``.

``DIR/decisions.parquet``, ``warnings.parquet``, ``metrics.parquet``, ``rejected.parquet``,
``unjudged.parquet`` and ``run.json`` (as-of and counts, :func:`wenze.report.stream.run_header`).
The schema is flat (docs/semantics.md §8): a decision's scalar fields are columns, its ``ladder``
spread over ``ladder_*`` columns, and whatever is nested — the role's labels, the ladder's
reasons, adjustments and consequences, the basis, the facts, the dates — a JSON text (keys sorted,
not indented) in its column. Dates are ISO texts, as in the JSON document, so
:func:`decision_json` gives back exactly the decision's ``to_json()`` from its row (tested on
every decision of both evaluators). The decisions are written a batch at a time
(:func:`~wenze.report.stream.rendered`), a row group per run of 32,768 decisions (made in
forked processes when there are many): the memory of writing does not grow with their number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from wenze.engine.decisions import Decision
from wenze.engine.evaluate import EvaluationResult
from wenze.fast.ladder import DecisionTable
from wenze.report.flat import acyclic, arrow_table, flat_columns, joined
from wenze.report.stream import (
    COLUMNS_BATCH,
    Progress,
    compact,
    made,
    plain_floats,
    records,
    rendered,
    run_header,
)

__all__ = ["DECISION_SCHEMA", "METRIC_SCHEMA", "RECORD_SCHEMAS", "WARNING_SCHEMA",
           "decision_json", "decision_row", "write_decisions", "write_parquet"]

_S, _I, _B = pa.string(), pa.int64(), pa.bool_()
_JSON_FIELDS = ("basis", "facts", "dates")
# who answers (schema 2): objects, as JSON strings; party_missing is null when nobody is missing
_OBJECT_FIELDS = ("role_label", "party", "degree", "party_missing")
_LADDER_JSON = ("reasons", "adjustments", "consequences")
_LADDER_PLAIN = (("name", _S), ("step", _I), ("count_in_window", _I), ("window", _S),
                 ("exempt_by", _S), ("joint", _B))

DECISION_SCHEMA = pa.schema([
    ("key", _S), ("case", _S), ("item", _S), ("violation", _S), ("scope", _S), ("subject", _S),
    ("person", _S), ("post", _S), ("unit", _S), ("role", _S), ("role_label", _S),
    ("party", _S), ("degree", _S), ("party_missing", _S), ("sanction", _S),
    *((f"ladder_{name}", kind) for name, kind in _LADDER_PLAIN),
    *((f"ladder_{name}", _S) for name in _LADDER_JSON),
    ("basis", _S), ("condition", _S), ("facts", _S), ("dates", _S), ("established", _S),
    ("as_of", _S), ("version", _S),  # version: a rulebook family's version, null otherwise
])
WARNING_SCHEMA = pa.schema([
    ("case", _S), ("item", _S), ("step", _S), ("level", _S), ("level_zh", _S),
    ("deadline", _S), ("days_left", _I), ("days_over", _I), ("percent_used", pa.float64()),
    ("person", _S), ("post", _S), ("unit", _S), ("rule", _S), ("as_of", _S)])
METRIC_SCHEMA = pa.schema([
    ("unit", _S), ("period", _S), ("complete", _B), ("received", _I), ("case_count", _I),
    ("on_time", _I), ("on_the_spot", _I), ("overdue_open", _I),
    ("on_time_rate", pa.float64()), ("on_the_spot_rate", pa.float64())])
RECORD_SCHEMAS = {
    "warnings": WARNING_SCHEMA,
    "metrics": METRIC_SCHEMA,
    "rejected": pa.schema([("source", _S), ("line", _I), ("event_id", _S), ("code", _S),
                           ("message", _S)]),
    "unjudged": pa.schema([("case", _S), ("code", _S), ("message", _S), ("source", _S),
                           ("event_id", _S)]),
}



_NESTED = frozenset(("ladder", *_JSON_FIELDS, *_OBJECT_FIELDS))


def decision_row(d: dict[str, Any]) -> dict[str, Any]:
    """A decision's ``to_json()`` as a flat row of :data:`DECISION_SCHEMA`."""
    row = {k: v for k, v in d.items() if k not in _NESTED}
    exact = plain_floats(d["facts"].values())  # (the only floats a decision holds)
    for name in _OBJECT_FIELDS:
        row[name] = None if d[name] is None else compact(d[name], exact)
    row["version"] = d.get("version")
    for name in _JSON_FIELDS:
        row[name] = compact(d[name], exact)
    ladder = d["ladder"]
    for name, _ in _LADDER_PLAIN:
        row[f"ladder_{name}"] = None if ladder is None else ladder[name]
    for name in _LADDER_JSON:
        row[f"ladder_{name}"] = None if ladder is None else compact(ladder[name], exact)
    return row


def decision_json(row: dict[str, Any]) -> dict[str, Any]:
    """The decision's ``to_json()`` back from its row (:func:`decision_row`'s inverse)."""
    d = {k: v for k, v in row.items() if not k.startswith("ladder_") and k != "version"}
    for name in _JSON_FIELDS:
        d[name] = json.loads(row[name])
    for name in _OBJECT_FIELDS:
        d[name] = None if row[name] is None else json.loads(row[name])
    if row.get("version") is not None:
        d["version"] = row["version"]
    if row["ladder_name"] is None:
        d["ladder"] = None
    else:
        d["ladder"] = {name: row[f"ladder_{name}"] for name, _ in _LADDER_PLAIN}
        d["ladder"].update((name, json.loads(row[f"ladder_{name}"])) for name in _LADDER_JSON)
    return d


def write_decisions(decisions: Sequence[Decision], path: str | Path,
                    progress: Progress | None = None, workers: int | None = None) -> int:
    """The decisions as a Parquet file of :data:`DECISION_SCHEMA`, written as they are made
    (in forked processes when there are many, :func:`~wenze.report.stream.rendered`); the count
    written."""
    done = 0
    with pq.ParquetWriter(path, DECISION_SCHEMA, compression="zstd") as writer:
        for count, data in rendered(decisions, _table_bytes, workers, _table):
            if isinstance(data, pa.Table):  # (made in this process)
                writer.write_table(data)
            else:
                with ipc.open_stream(data) as reader:
                    writer.write_table(reader.read_all())
            done += count
            if progress is not None:
                progress(done)
        if not done:
            writer.write_table(DECISION_SCHEMA.empty_table())
    return done


def _table(decisions: Sequence[Decision], start: int, stop: int) -> pa.Table:
    """The rows of ``decisions[start:stop]`` as one Arrow table (one chunk): from a table's
    columns where it has them (:mod:`wenze.report.flat`), else decision by decision."""
    if isinstance(decisions, DecisionTable) and decisions.has_columns():
        return _table_of_columns(decisions, start, stop)
    rows = [decision_row(d.to_json()) for d in made(decisions, start, stop)]
    return pa.Table.from_pylist(rows, DECISION_SCHEMA)


@acyclic
def _table_of_columns(decisions: DecisionTable, start: int, stop: int) -> pa.Table:
    return arrow_table(joined([
        flat_columns(decisions.decision_columns(lo, min(lo + COLUMNS_BATCH, stop)), _joint_row)
        for lo in range(start, stop, COLUMNS_BATCH)]), DECISION_SCHEMA)


def _table_bytes(decisions: Sequence[Decision], start: int, stop: int) -> bytes:
    """The rows of ``decisions[start:stop]`` as an Arrow IPC stream of one table (sent back by a
    forked process)."""
    table = _table(decisions, start, stop)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, DECISION_SCHEMA) as out:
        out.write_table(table)
    return sink.getvalue().to_pybytes()


def _joint_row(decision: Decision) -> dict[str, Any]:
    return decision_row(decision.to_json())


def write_parquet(result: EvaluationResult, directory: str | Path,
                  progress: Progress | None = None) -> Path:
    """A run as a directory of Parquet files (see the module's docstring)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_decisions(result.decisions, directory / "decisions.parquet", progress)
    for name, rows in records(result).items():
        pq.write_table(pa.Table.from_pylist(rows, RECORD_SCHEMAS[name]),
                       directory / f"{name}.parquet", compression="zstd")
    (directory / "run.json").write_text(
        json.dumps(run_header(result), ensure_ascii=False, sort_keys=True, indent=2) + "\n",
        encoding="utf-8")
    return directory
