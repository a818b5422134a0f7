"""Serve stage — the output log: every warning and decision the service issued, in order.

live engine outputs → **OutputLog.issue** (an output that says nothing new is not issued again)
→ ``live_outputs`` rows (append-only; the row id is the server-sent event id of ``/v1/stream``).

Each output has an *ident* — ``w|case|step`` for a warning, ``d|key`` for a decision — and a
*digest* of what it says apart from its daily counters (a warning's ``as_of``, ``days_left``,
``days_over``, ``percent_used``; a decision's ``as_of`` and ``facts``, as ``LiveEngine`` itself
compares them). The log knows, for each ident, its last output and whether it is in force.

On start the service judges the stored events again and :meth:`OutputLog.reconcile` compares the
live state with the log: what changed while the service was down (or was judged but not yet
logged when it was killed) is issued now, once; what is already in the log is not issued again.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from wenze.store.db import JsonText, canonical_json, write_transaction
from wenze.store.models import LiveOutput

STREAM_KINDS = ("warning", "warning_cleared", "decision", "decision_withdrawn")
ISSUING = {"warning": True, "warning_cleared": False, "decision": True,
           "decision_withdrawn": False}
_WARNING_DAILY = ("as_of", "days_left", "days_over", "percent_used")
_DECISION_DAILY = ("as_of", "facts")
LOG = LiveOutput.__table__


def ident_of(kind: str, record: dict[str, Any]) -> str:
    if kind.startswith("warning"):
        return f"w|{record['case']}|{record.get('step') or ''}"
    return f"d|{record['key']}"


def digest_of(kind: str, record: dict[str, Any]) -> str:
    daily = _WARNING_DAILY if kind.startswith("warning") else _DECISION_DAILY
    kept = {k: v for k, v in record.items() if k not in daily}
    return hashlib.sha256(canonical_json(kept).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Last:
    """The last output of an ident."""

    kind: str
    digest: str
    record: dict[str, Any]
    decisions: int  # how many ``decision`` outputs this ident had (its revisions + 1)

    @property
    def in_force(self) -> bool:
        return ISSUING[self.kind]


class OutputLog:
    """The ``live_outputs`` table and, in memory, the last output of each ident."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.last: dict[str, Last] = {}
        self.head = 0  # the id of the newest row
        self.changed = threading.Condition()

    def load(self) -> None:
        query = select(LOG.c.id, LOG.c.kind, LOG.c.ident, LOG.c.digest, LOG.c.body) \
            .order_by(LOG.c.id)
        last: dict[str, Last] = {}
        head = 0
        with self.engine.connect() as conn:
            for r in conn.execute(query):
                before = last.get(r.ident)
                count = before.decisions if before else 0
                if r.kind == "decision":
                    count += 1
                last[r.ident] = Last(r.kind, r.digest, r.body["record"], count)
                head = r.id
        self.last, self.head = last, head

    def _plan(self, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows to append for live outputs: what is new or changed, in order."""
        rows: list[dict[str, Any]] = []
        pending: dict[str, Last] = {}
        # Only where each ident ends up counts (a warning raised and cleared while one request's
        # events were judged one by one says nothing): the last output of each ident, in order.
        final: dict[str, dict[str, Any]] = {}
        for item in items:
            if item["kind"] in ISSUING:
                ident = ident_of(item["kind"], item["record"])
                final.pop(ident, None)
                final[ident] = item
        for ident, item in final.items():
            kind = item["kind"]
            record = item["record"]
            before = pending.get(ident) or self.last.get(ident)
            digest = digest_of(kind, record)
            if ISSUING[kind]:
                if before is not None and before.in_force and before.digest == digest:
                    continue
            elif before is None or not before.in_force:
                continue
            count = before.decisions if before else 0
            body: dict[str, Any] = {"kind": kind, "at": item["at"], "record": record}
            if item.get("reason"):
                body["reason"] = item["reason"]
            if kind == "decision":
                if count:
                    body["supersedes"] = record["key"]
                    body["revision"] = count
                count += 1
            pending[ident] = Last(kind, digest, record, count)
            rows.append({"kind": kind, "ident": ident, "digest": digest,
                         "unit": record.get("unit"), "case_id": record.get("case"),
                         "day": date.fromisoformat(item["at"]), "body": body})
        return rows

    def issue(self, items: Sequence[dict[str, Any]]) -> int:
        """Append what the live outputs ``items`` say that the log does not yet (one
        transaction); returns how many rows were appended."""
        rows = self._plan(items)
        if not rows:
            return 0
        now = datetime.now(UTC)
        bodies = [row["body"] for row in rows]
        for row in rows:
            row["created_at"] = now
            row["body"] = JsonText(canonical_json(row["body"]))  # spelled before the lock
        with write_transaction(self.engine) as conn:
            conn.execute(insert(LOG), rows)
            head = conn.execute(select(func.max(LOG.c.id))).scalar_one()
        for row, body in zip(rows, bodies, strict=True):
            before = self.last.get(row["ident"])
            count = before.decisions if before else 0
            self.last[row["ident"]] = Last(row["kind"], row["digest"], body["record"],
                                           count + (row["kind"] == "decision"))
        with self.changed:
            self.head = int(head)
            self.changed.notify_all()
        return len(rows)

    def reconcile(self, day: date, warnings: Sequence[Any], decisions: Sequence[Any],
                  reason: str | None = None) -> int:
        """Issue what the live state (its current ``warnings`` and ``decisions``) says and the
        log does not: new or changed ones, and the clearing of those no longer in force
        (``reason``, when given, is written in each output issued: why it changed)."""
        at = day.isoformat()
        items: list[dict[str, Any]] = []
        current: set[str] = set()
        for w in warnings:
            record = w.to_json()
            current.add(ident_of("warning", record))
            items.append({"kind": "warning", "at": at, "record": record})
        for d in decisions:
            record = d.to_json()
            current.add(ident_of("decision", record))
            items.append({"kind": "decision", "at": at, "record": record})
        for ident in sorted(self.last):
            last = self.last[ident]
            if last.in_force and ident not in current:
                kind = "warning_cleared" if ident.startswith("w|") else "decision_withdrawn"
                items.append({"kind": kind, "at": at, "record": last.record})
        if reason:
            for item in items:
                item["reason"] = reason
        return self.issue(items)

    def read(self, after: int, unit: str | None = None, limit: int = 500
             ) -> list[tuple[int, str, dict[str, Any]]]:
        """(id, kind, body) of the rows after ``after``, oldest first; only ``unit``'s when
        given."""
        query = select(LOG.c.id, LOG.c.kind, LOG.c.body).where(LOG.c.id > after)
        if unit is not None:
            query = query.where(LOG.c.unit == unit)
        query = query.order_by(LOG.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [(r.id, r.kind, r.body) for r in conn.execute(query)]

    def chain(self, key: str) -> list[dict[str, Any]]:
        """Every output of one decision key, oldest first (its superseding chain)."""
        query = select(LOG.c.id, LOG.c.body).where(LOG.c.ident == f"d|{key}").order_by(LOG.c.id)
        with self.engine.connect() as conn:
            return [{"id": r.id, **r.body} for r in conn.execute(query)]
