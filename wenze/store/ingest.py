"""Store stage — ingestion: case events into the ``events`` and ``cases`` tables.

events file → the engine's reader (``wenze.events.readers``: JSON Lines ``batch_size`` lines at
a time, CSV/XES whole through a mapping; bad events rejected with their line and reason) → rows
(payload exactly as received, its SHA-256) → batches, each in its own transaction: the events
whose id is not stored yet are inserted (PostgreSQL: COPY to a staging table, then ``INSERT …
ON CONFLICT DO NOTHING RETURNING id``; SQLite: under ``BEGIN IMMEDIATE``, look-up then plain
inserts); an id already stored is an identical duplicate (same hash, or same content), counted,
or a conflicting duplicate, reported and kept out; the cases of the inserted events are upserted
(first/last event time).

Idempotent: ingesting a file twice inserts nothing the second time. A killed ingestion loses at
most the batch in flight; rerunning it completes the rest. Two ingestions at once are safe: the
database's unique key on the event id decides, and rows are written in id order so that
PostgreSQL cannot deadlock on them (a deadlock or lock timeout is retried anyway).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, OperationalError

from wenze.events.readers import Event as EngineEvent
from wenze.events.readers import Rejection, read_events, read_jsonl
from wenze.store.db import canonical_json, write_transaction
from wenze.store.models import Case, Event

EVENTS = Event.__table__
CASES = Case.__table__
MAX_ATTEMPTS = 8
JSONL_NAMES = ("jsonl", "ndjson", "json")  # as wenze.events.readers.read_events decides


@dataclass(frozen=True)
class Conflict:
    """An event whose id is already stored (or seen earlier in the input) with another payload."""

    event_id: str
    source: str | None
    line: int | None
    stored_source: str | None
    stored_line: int | None
    message: str

    def where(self) -> str:
        return f"{self.source or '<input>'}:{self.line if self.line is not None else '?'}"


@dataclass
class IngestReport:
    inserted: int = 0
    identical_duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)  # wenze.events.readers.Rejection
    batches: int = 0

    @property
    def ok(self) -> bool:
        return not self.conflicts and not self.rejected


def payload_hash(payload: str) -> str:
    """SHA-256 of the payload text as stored. Equal hashes: the same event. Different hashes:
    the contents are compared (``same_content``) before an event is called a conflict, so that
    key order, spacing, a Chinese type alias or an explicit ``null`` do not make two copies of
    one event differ."""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def same_content(ev: EngineEvent, stored_payload: str) -> bool:
    """Whether a stored payload is the same event as ``ev`` (``Event.content_key``)."""
    batch = read_jsonl([stored_payload], "<store>")
    return len(batch.events) == 1 and batch.events[0].content_key() == ev.content_key()


# ---------------------------------------------------------------------------------------------
# Events → rows


def row_from_event(ev: EngineEvent, raw: str | None = None) -> dict[str, Any]:
    """A row for an engine ``Event``; ``raw`` is its JSON Lines line when it came from one (kept
    as the payload), otherwise the payload is the event's canonical JSON."""
    payload = raw if raw is not None else canonical_json(ev.to_json())
    return {
        "id": ev.id,
        "case_id": ev.case or None,  # absent/returned events belong to a person, not a case
        "type": ev.type.value,
        "at": ev.at.astimezone(UTC),
        "item": ev.item,
        "actor": ev.actor,
        "post": ev.post,
        "unit": ev.unit,
        "step": ev.step,
        "payload": payload,
        "payload_hash": payload_hash(payload),
        "source": ev.source or None,
        "line": ev.line,
        "event": ev,  # not a column: for comparing contents
    }


def _raw_lines(path: Path) -> list[str]:
    # Same decoding as the engine's reader (a BOM is not part of the first event).
    with path.open(encoding="utf-8-sig") as fh:
        return [text.rstrip("\r\n") for text in fh]


def read_rows(
    path: str | Path, fmt: str | None = None, mapping: Any = None
) -> tuple[list[dict[str, Any]], list[Rejection], int]:
    """(rows, rejected, identical duplicates inside the file) for an events file (JSON Lines,
    CSV or XES, read by ``wenze.events.readers.read_events``)."""
    path = Path(path)
    batch = read_events(path, fmt=fmt, mapping=mapping)
    raw_lines = _raw_lines(path) if _is_jsonl(path, fmt) else None
    rows = [
        row_from_event(ev, raw_lines[ev.line - 1] if raw_lines and ev.line else None)
        for ev in batch.events
    ]
    return rows, list(batch.rejected), batch.duplicates


def rows_from_input(
    path_or_events: str | Path | Iterable[EngineEvent | dict[str, Any]],
    fmt: str | None = None,
    mapping: Any = None,
) -> tuple[list[dict[str, Any]], list[Rejection], int]:
    """Rows from a file, or from engine ``Event`` objects and JSON Lines dicts (the dicts are
    validated by the engine's reader, numbered by their position)."""
    if isinstance(path_or_events, str | Path):
        return read_rows(path_or_events, fmt, mapping)
    rows: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    duplicates = 0
    for index, item in enumerate(path_or_events, start=1):
        if isinstance(item, dict):
            text = json.dumps(item, ensure_ascii=False)
            batch = read_jsonl([text], "<events>", first_line=index)
            rejected.extend(batch.rejected)
            duplicates += batch.duplicates
            rows.extend(row_from_event(ev, text) for ev in batch.events)
        else:
            rows.append(row_from_event(item))
    return rows, rejected, duplicates


# ---------------------------------------------------------------------------------------------
# Rows → database


EVENT_COLUMNS = (
    "id", "case_id", "type", "at", "item", "actor", "post", "unit", "step", "payload",
    "payload_hash", "source", "line", "ingested_at",
)


# id → (payload hash, payload, source, line) of the events already stored
Stored = dict[str, tuple[str, str, str | None, int | None]]


def _write_batch(conn: Connection, rows: list[dict[str, Any]]) -> tuple[set[str], Stored]:
    """Insert the rows whose id is not stored yet and upsert their cases; returns (the ids
    inserted, what is stored for the ids that were already there)."""
    if conn.dialect.name == "sqlite":
        return _write_batch_sqlite(conn, rows)
    inserted_ids = _insert_events_postgresql(conn, rows)
    _upsert_cases(conn, [r for r in rows if r["id"] in inserted_ids])
    return inserted_ids, _stored(conn, [r["id"] for r in rows if r["id"] not in inserted_ids])


def _insert_events_postgresql(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    # COPY into a transaction-local staging table, then one INSERT … SELECT … ON CONFLICT DO
    # NOTHING RETURNING id: the unique key decides between concurrent writers.
    columns = ", ".join(EVENT_COLUMNS)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE wenze_events_stage (LIKE events INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY wenze_events_stage ({columns}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row(tuple(r[c] for c in EVENT_COLUMNS))
    result = conn.exec_driver_sql(
        f"INSERT INTO events ({columns}) SELECT {columns} FROM wenze_events_stage ORDER BY id "
        "ON CONFLICT (id) DO NOTHING RETURNING id"
    )
    return {r[0] for r in result}


def _sqlite_time(at: datetime) -> str:
    """A UTC time (rows hold UTC) as SQLite's ``DateTime`` column holds it:
    ``2024-03-01 01:00:00.000000``."""
    return at.isoformat(" ", "microseconds")[:26]


_SQLITE_INSERT_EVENTS = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
_SQLITE_UPSERT_CASES = (
    "INSERT INTO cases (id, item, first_event_at, last_event_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET "
    "first_event_at = min(first_event_at, excluded.first_event_at), "
    "last_event_at = max(last_event_at, excluded.last_event_at), "
    "item = coalesce(item, excluded.item)"
)
_STORED_COLUMNS = "id, payload_hash, payload, source, line"


def _write_batch_sqlite(conn: Connection, rows: list[dict[str, Any]]) -> tuple[set[str], Stored]:
    # The transaction holds SQLite's write lock from BEGIN IMMEDIATE: the look-up of the ids
    # already stored and the inserts see the same table, so plain INSERTs (executemany, in C)
    # are exact.
    stored = _stored_sqlite(conn, rows)
    new = [r for r in rows if r["id"] not in stored] if stored else rows
    if new:
        ingested = _sqlite_time(new[0]["ingested_at"])
        conn.exec_driver_sql(
            _SQLITE_INSERT_EVENTS,
            [
                (
                    r["id"], r["case_id"], r["type"], _sqlite_time(r["at"]), r["item"],
                    r["actor"], r["post"], r["unit"], r["step"], r["payload"], r["payload_hash"],
                    r["source"], r["line"], ingested,
                )
                for r in new
            ],
        )
        cases = _case_rows(new)
        if cases:
            conn.exec_driver_sql(
                _SQLITE_UPSERT_CASES,
                [
                    (c["id"], c["item"], _sqlite_time(c["first_event_at"]),
                     _sqlite_time(c["last_event_at"]))
                    for c in cases
                ],
            )
    return {r["id"] for r in new}, stored


def _stored_sqlite(conn: Connection, rows: list[dict[str, Any]]) -> Stored:
    """What is stored for the ids of a batch sorted by id. One range scan when the stored ids in
    the batch's range are few (the usual case: new events, or the same file again); otherwise
    look-ups by id."""
    low, high = rows[0]["id"], rows[-1]["id"]
    in_range = conn.exec_driver_sql(
        "SELECT count(*) FROM events WHERE id BETWEEN ? AND ?", (low, high)
    ).scalar_one()
    if in_range == 0:
        return {}
    if in_range > 2 * len(rows):
        return _stored(conn, [r["id"] for r in rows])
    wanted = {r["id"] for r in rows}
    return {
        r[0]: (r[1], r[2], r[3], r[4])
        for r in conn.exec_driver_sql(
            f"SELECT {_STORED_COLUMNS} FROM events WHERE id BETWEEN ? AND ?", (low, high)
        )
        if r[0] in wanted
    }


def _case_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per case of the events (earliest and latest time, first item named), by id."""
    cases: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["case_id"] is None:
            continue
        case = cases.get(row["case_id"])
        if case is None:
            cases[row["case_id"]] = {
                "id": row["case_id"], "item": row["item"],
                "first_event_at": row["at"], "last_event_at": row["at"],
            }
            continue
        case["first_event_at"] = min(case["first_event_at"], row["at"])
        case["last_event_at"] = max(case["last_event_at"], row["at"])
        case["item"] = case["item"] or row["item"]
    return [cases[k] for k in sorted(cases)]


def _upsert_cases(conn: Connection, rows: list[dict[str, Any]]) -> None:
    cases = _case_rows(rows)
    if not cases:
        return
    stmt = postgresql.insert(CASES)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={
            "first_event_at": func.least(CASES.c.first_event_at, stmt.excluded.first_event_at),
            "last_event_at": func.greatest(CASES.c.last_event_at, stmt.excluded.last_event_at),
            "item": func.coalesce(CASES.c.item, stmt.excluded.item),
        },
    )
    conn.execute(stmt, cases)


def _stored(conn: Connection, ids: Sequence[str]) -> Stored:
    query = select(
        EVENTS.c.id, EVENTS.c.payload_hash, EVENTS.c.payload, EVENTS.c.source, EVENTS.c.line
    ).where(EVENTS.c.id.in_(bindparam("ids", expanding=True)))
    found: Stored = {}
    for start in range(0, len(ids), 1000):
        for r in conn.execute(query, {"ids": list(ids[start : start + 1000])}):
            found[r[0]] = (r[1], r[2], r[3], r[4])
    return found


def _conflict(row: dict[str, Any], stored_source: str | None, stored_line: int | None) -> Conflict:
    where = f"{stored_source or '<input>'}:{stored_line if stored_line is not None else '?'}"
    return Conflict(
        row["id"], row["source"], row["line"], stored_source, stored_line,
        f"事件编号重复且内容不同（已存于 {where}）/ "
        f"duplicate event id with a different payload (stored from {where})",
    )


def _retryable(err: DBAPIError) -> bool:
    if isinstance(err, OperationalError):
        return True
    code = getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)
    return code in ("40001", "40P01", "55P03")


def _store_batch(engine: Engine, rows: list[dict[str, Any]], report: IngestReport) -> set[str]:
    now = datetime.now(UTC)
    for row in rows:
        row["ingested_at"] = now
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with write_transaction(engine) as conn:
                inserted_ids, stored = _write_batch(conn, rows)
            break
        except DBAPIError as err:
            if attempt == MAX_ATTEMPTS or not _retryable(err):
                raise
            time.sleep(0.05 * attempt)
    report.inserted += len(inserted_ids)
    report.batches += 1
    for row in rows:
        if row["id"] in inserted_ids:
            continue
        digest, payload, src, line = stored[row["id"]]
        if digest == row["payload_hash"] or same_content(row["event"], payload):
            report.identical_duplicates += 1
        else:
            report.conflicts.append(_conflict(row, src, line))
    return inserted_ids


@dataclass
class StoredRows:
    """What became of each row given to :func:`store_rows`, by event id."""

    inserted: set[str]
    duplicates: set[str]  # already stored with the same content (identical duplicates)
    conflicts: dict[str, Conflict]  # already stored with another content: kept out


def store_rows(engine: Engine, rows: Sequence[dict[str, Any]]) -> StoredRows:
    """Store rows made by :func:`row_from_event` (ids unique among them) in one transaction
    (retried on a lock timeout or deadlock), and say for each id whether it was inserted, an
    identical duplicate of a stored event, or a conflicting one. Committed when it returns:
    the HTTP service answers a client only after this (``wenze.serve``)."""
    report = IngestReport()
    if not rows:
        return StoredRows(set(), set(), {})
    inserted = _store_batch(engine, sorted(rows, key=lambda r: r["id"]), report)
    conflicts = {c.event_id: c for c in report.conflicts}
    duplicates = {r["id"] for r in rows} - inserted - set(conflicts)
    return StoredRows(inserted, duplicates, conflicts)


def _dedupe(rows: list[dict[str, Any]], report: IngestReport) -> list[dict[str, Any]]:
    """First occurrence of each id wins; later identical ones are counted, others reported."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen = first.get(row["id"])
        if seen is None:
            first[row["id"]] = row
        elif seen["payload_hash"] == row["payload_hash"] or (
            seen["event"].content_key() == row["event"].content_key()
        ):
            report.identical_duplicates += 1
        else:
            report.conflicts.append(_conflict(row, seen["source"], seen["line"]))
    return list(first.values())


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Batches in input order, each sorted by id (``_stored_sqlite`` relies on it)."""
    for start in range(0, len(rows), size):
        # Sorted by id inside a batch: concurrent writers take row locks in the same order.
        yield sorted(rows[start : start + size], key=lambda r: r["id"])


def ingest(
    engine: Engine,
    path_or_events: str | Path | Iterable[Any],
    batch_size: int = 5000,
    fmt: str | None = None,
    mapping: Any = None,
) -> IngestReport:
    """Store the events of a file (JSON Lines, or CSV/XES through the engine's reader) or of an
    iterable of engine ``Event`` objects or JSON Lines dicts. ``fmt`` and ``mapping`` (a
    ``wenze.events.readers.Mapping`` or a mapping file) are passed to ``read_events``. See the
    module docstring."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if isinstance(path_or_events, str | Path) and _is_jsonl(Path(path_or_events), fmt):
        return _ingest_jsonl(engine, Path(path_or_events), batch_size)
    rows, rejected, duplicates = rows_from_input(path_or_events, fmt, mapping)
    report = IngestReport(rejected=list(rejected), identical_duplicates=duplicates)
    for batch in _batches(_dedupe(rows, report), batch_size):
        _store_batch(engine, batch, report)
    return report


def _is_jsonl(path: Path, fmt: str | None) -> bool:
    return (fmt or path.suffix.lstrip(".")).lower() in JSONL_NAMES


def _ingest_jsonl(engine: Engine, path: Path, batch_size: int) -> IngestReport:
    """JSON Lines are read and stored a batch of lines at a time (memory stays flat, and the
    first batch is stored while the rest is still unread). Duplicates inside a batch are found by
    the engine's reader; across batches, by the database like any other duplicate."""
    report = IngestReport()
    source = str(path)
    # The batches hold no reference cycles (refcounting frees them), so the cyclic collector
    # would only walk ~10 objects per event in vain (~10% of the CPU time): paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _ingest_lines(engine, path, source, batch_size, report)
    finally:
        if collecting:
            gc.enable()
    return report


def _ingest_lines(engine: Engine, path: Path, source: str, batch_size: int,
                  report: IngestReport) -> None:
    with path.open(encoding="utf-8-sig") as fh:
        first_line = 1
        while True:
            lines = [text.rstrip("\r\n") for text in itertools.islice(fh, batch_size)]
            if not lines:
                break
            batch = read_jsonl(lines, source, first_line=first_line, ordered=False)
            report.rejected.extend(batch.rejected)
            report.identical_duplicates += batch.duplicates
            rows = [
                row_from_event(ev, lines[ev.line - first_line] if ev.line else None)
                for ev in batch.events
            ]
            if rows:
                _store_batch(engine, sorted(rows, key=lambda r: r["id"]), report)
            first_line += len(lines)


def count_events(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(EVENTS)).scalar_one())
