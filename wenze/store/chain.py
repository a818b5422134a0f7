"""Store stage — the hash chain that makes the decisions table tamper-evident.

Every row of ``decisions`` (first decisions, corrections and withdrawals alike) carries
``row_hash = SHA-256(prev_hash + "\\n" + canonical JSON of the row)``, where ``prev_hash`` is the
``row_hash`` of the row before it (by id; :data:`GENESIS` for the first) and the canonical JSON
holds every column that states the act (id, key, run, case, person, unit, sanction, date, body,
body hash, what it supersedes and why). Rows are appended with consecutive ids under a lock
(SQLite's write lock, a PostgreSQL advisory lock), and each run records ``chain_head``, the hash
of the last row when it committed.

:func:`verify` recomputes the chain and names the first row that was edited (its hash no longer
matches its content), deleted (a gap in the ids, or a row whose ``prev_hash`` is not the hash
before it) or inserted out of order, and rows deleted from the end (a run's ``chain_head`` that
no row has any more). ``wenze db verify`` prints that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from wenze.store.db import canonical_json
from wenze.store.models import Decision, EvaluationRun

GENESIS = "0" * 64
CHAIN_FIELDS = ("id", "key", "run_id", "case_id", "person", "unit", "sanction", "decided_on",
                "body", "body_hash", "supersedes", "reason")
_LOCK_ID = 0x77656E7A65  # "wenze": the PostgreSQL advisory lock of the chain


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one decision row after ``prev_hash``."""
    fields = {name: row.get(name) for name in CHAIN_FIELDS}
    if isinstance(fields["decided_on"], date):
        fields["decided_on"] = fields["decided_on"].isoformat()
    return hashlib.sha256((prev_hash + "\n" + canonical_json(fields)).encode("utf-8")).hexdigest()


class Appender:
    """Appends decision rows to the chain inside one write transaction."""

    def __init__(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        last = conn.execute(
            select(Decision.id, Decision.row_hash).order_by(Decision.id.desc()).limit(1)
        ).first()
        self.conn = conn
        self.next_id = (last.id + 1) if last is not None else 1
        self.head = (last.row_hash or GENESIS) if last is not None else GENESIS

    def append(self, values: dict[str, Any]) -> int:
        """Insert one row (``values`` without id and hashes); returns its id."""
        row = {**values, "id": self.next_id}
        row["prev_hash"] = self.head
        row["row_hash"] = row_hash(self.head, row)
        self.conn.execute(Decision.__table__.insert(), row)
        self.head = row["row_hash"]
        self.next_id += 1
        return int(row["id"])

    def record_head(self, run_id: int) -> None:
        self.conn.execute(
            EvaluationRun.__table__.update().where(EvaluationRun.id == run_id),
            {"chain_head": self.head},
        )


def row_hash_of(engine: Engine, key: str) -> tuple[int, str] | None:
    """(id, row hash) of the decision in force (the newest row) with ``key``, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Decision.id, Decision.row_hash).where(Decision.key == key)
            .order_by(Decision.id.desc()).limit(1)
        ).first()
    return (int(row.id), row.row_hash) if row is not None and row.row_hash else None


@dataclass(frozen=True)
class Problem:
    decision_id: int | None
    kind: str  # edited | deleted | out_of_order | truncated | unchained
    message: str


def verify(engine: Engine) -> tuple[int, list[Problem]]:
    """(rows checked, the problems found, the first first). An empty list: the chain holds."""
    problems: list[Problem] = []
    hashes: set[str] = set()
    with engine.connect() as conn:
        rows = conn.execute(
            select(*(getattr(Decision, f) for f in CHAIN_FIELDS), Decision.prev_hash,
                   Decision.row_hash).order_by(Decision.id)
        ).mappings().all()
        heads = conn.execute(
            select(EvaluationRun.id, EvaluationRun.chain_head).order_by(EvaluationRun.id)
        ).all()
    prev, prev_id = GENESIS, 0
    for row in rows:
        rid = row["id"]
        if row["row_hash"] is None:
            problems.append(Problem(rid, "unchained", f"决定 #{rid} 没有链哈希 / decision #{rid} "
                                    "has no chain hash"))
            prev, prev_id = GENESIS, rid
            continue
        if rid != prev_id + 1 or row["prev_hash"] != prev:
            if row["prev_hash"] in hashes or rid <= prev_id:
                problems.append(Problem(rid, "out_of_order",
                                        f"决定 #{rid} 不在其链位置（插入顺序被改动） / decision "
                                        f"#{rid} is out of order (inserted out of sequence)"))
            else:
                problems.append(Problem(rid, "deleted",
                                        f"决定 #{rid} 之前的行被删除（应接在 #{prev_id} 之后） / "
                                        f"a row before decision #{rid} was deleted (after "
                                        f"#{prev_id})"))
        if row_hash(row["prev_hash"] or GENESIS, row) != row["row_hash"]:
            problems.append(Problem(rid, "edited", f"决定 #{rid} 的内容被改动 / decision #{rid} "
                                    "was edited after it was recorded"))
        hashes.add(row["row_hash"])
        prev, prev_id = row["row_hash"], rid
    for run_id, head in heads:
        if head is not None and head != GENESIS and head not in hashes:
            problems.append(Problem(None, "truncated",
                                    f"第 {run_id} 次评估记录的链头已不存在：其后的决定被删除 / "
                                    f"the chain head recorded by run {run_id} is gone: decisions "
                                    "at the end were deleted"))
    return len(rows), problems


__all__ = ["CHAIN_FIELDS", "GENESIS", "Appender", "Problem", "row_hash", "row_hash_of", "verify"]
