"""Store stage — the tables that keep events, runs and decisions.

- ``rulebooks``: each rulebook text ever evaluated, by its SHA-256 content hash.
- ``cases``: one row per case seen in the events (item, first and last event time).
- ``events``: one row per event id, with the payload kept exactly as received and its SHA-256.
  A second event with the same id is an identical duplicate when the hash or, failing that, the
  content (``wenze.events.readers.Event.content_key``) is the same; otherwise it is a
  *conflicting* duplicate, reported and kept out.
- ``evaluation_runs``: rulebook hash, as-of date, parameters, input fingerprint (hash of the event
  set); unique on those four, so the same evaluation is recorded once.
- ``decisions``: immutable legal acts. A correction is a new row whose ``supersedes`` names the old
  row, with a ``reason``. UPDATE and DELETE are refused three times over: an ORM ``before_flush``
  guard, and triggers on SQLite and PostgreSQL (created by migration 0001).
- ``warnings``: the warnings (预警/黄牌/红牌) of a run.
- ``sanction_history``: the sanctions a person received (person, unit, date, sanction, decision),
  which the ladder reads across runs.
- ``api_tokens``: the HTTP service's API tokens (``wenze token create``), kept as SHA-256 hashes
  only, with their scope (unit / supervisor / admin) and unit.
- ``live_outputs``: the HTTP service's output log — every warning and decision it issued live,
  in order (the id is the server-sent event id; append-only).
- ``rulebook_versions``, ``rulebook_activations`` (migration ``0005_rulebooks``): the rulebook
  texts uploaded to the service (``PUT /v1/rulebooks/{name}``), one row per version (numbered
  1, 2, … per name), and every activation in order — the rulebook in force is the last one
  activated. Both are legal records: UPDATE and DELETE are refused by the ORM guard and by
  triggers (:func:`record_trigger_ddl`).

The ids of runs, decisions, warnings, sanctions and live outputs are 64-bit on PostgreSQL too
(migration ``0006_bigids``): a service's output log, whose ids are the stream's event ids, never
runs out of them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

HASH = String(64)  # hex SHA-256
# the ids that count rows (runs, decisions, warnings, sanctions, live outputs): 64-bit on
# PostgreSQL (migration 0006_bigids; its INTEGER would stop at 2**31 - 1), SQLite's INTEGER
# PRIMARY KEY (the rowid, already 64-bit) on SQLite
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class ImmutableRowError(RuntimeError):
    """Raised when code tries to change or delete a decision: corrections are new rows."""


class Rulebook(Base):
    __tablename__ = "rulebooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(HASH, unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    item: Mapped[str | None] = mapped_column(Text)
    first_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Event(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    # NULL for the events of a person rather than a case (absent / returned).
    case_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("cases.id", deferrable=True, initially="DEFERRED"), index=True
    )
    type: Mapped[str] = mapped_column(Text)
    # Normalised to UTC; the offset as written is in ``payload``.
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    item: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(Text)
    post: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    step: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # exactly as received (one JSON Lines line)
    payload_hash: Mapped[str] = mapped_column(HASH)
    source: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EvaluationRun(Base):
    __tablename__ = "evaluation_runs"
    __table_args__ = (
        UniqueConstraint(
            "rulebook_hash", "as_of", "parameters_hash", "input_fingerprint",
            name="uq_evaluation_runs_inputs",
        ),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    rulebook_hash: Mapped[str] = mapped_column(HASH, ForeignKey("rulebooks.content_hash"))
    as_of: Mapped[date] = mapped_column(Date)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters_hash: Mapped[str] = mapped_column(HASH)
    input_fingerprint: Mapped[str] = mapped_column(HASH)
    event_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    chain_head: Mapped[str | None] = mapped_column(HASH)  # the last decision's hash at commit


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        # One first decision per key: later ones must supersede (also serialises two concurrent
        # runs that would both issue the same decision).
        Index(
            "uq_decisions_first_per_key", "key", unique=True,
            sqlite_where=text("supersedes IS NULL"), postgresql_where=text("supersedes IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    key: Mapped[str] = mapped_column(Text, index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(Text, index=True)
    person: Mapped[str | None] = mapped_column(Text, index=True)
    unit: Mapped[str | None] = mapped_column(Text)
    # who answers and in what degree (schema 2; revision 0002_parties): party.value, degree code
    party: Mapped[str | None] = mapped_column(Text, index=True)
    degree: Mapped[str | None] = mapped_column(Text)
    sanction: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date | None] = mapped_column(Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    body_hash: Mapped[str] = mapped_column(HASH)
    # A decision is superseded at most once: corrections form a chain.
    supersedes: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the hash chain (wenze.store.chain): the previous row's hash and this row's
    prev_hash: Mapped[str | None] = mapped_column(HASH)
    row_hash: Mapped[str | None] = mapped_column(HASH)


class RunWarning(Base):
    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(Text, index=True)
    level: Mapped[str | None] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class SanctionHistory(Base):
    __tablename__ = "sanction_history"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    person: Mapped[str] = mapped_column(Text, index=True)
    unit: Mapped[str | None] = mapped_column(Text)
    on: Mapped[date] = mapped_column(Date, index=True)
    sanction: Mapped[str] = mapped_column(Text)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(HASH, unique=True)
    scope: Mapped[str] = mapped_column(Text)  # unit / supervisor / admin
    unit: Mapped[str | None] = mapped_column(Text)  # the unit of a unit token
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LiveOutput(Base):
    __tablename__ = "live_outputs"

    id: Mapped[int] = mapped_column(ROW_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)  # warning / warning_cleared / decision / …_withdrawn
    ident: Mapped[str] = mapped_column(Text, index=True)  # w|case|step or d|key
    digest: Mapped[str] = mapped_column(HASH)  # of the record less its daily counters
    unit: Mapped[str | None] = mapped_column(Text, index=True)
    case_id: Mapped[str | None] = mapped_column(Text, index=True)
    day: Mapped[date] = mapped_column(Date)  # the live clock's day when it was issued
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RulebookVersion(Base):
    __tablename__ = "rulebook_versions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_rulebook_versions_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, … per name, never reused
    text: Mapped[str] = mapped_column(Text)  # exactly as uploaded
    sha256: Mapped[str] = mapped_column(HASH)  # of the UTF-8 text
    # the stored rulebooks its ``继承`` reached when it was saved: {name: version}, pinned
    bases: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str | None] = mapped_column(Text)  # the uploading token's label
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RulebookActivation(Base):
    __tablename__ = "rulebook_activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the order of activations
    version_id: Mapped[int] = mapped_column(ForeignKey("rulebook_versions.id"), index=True)
    author: Mapped[str | None] = mapped_column(Text)  # the activating token's label
    day: Mapped[date] = mapped_column(Date)  # the service's (live clock's) day
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


IMMUTABLE_TABLES = ("decisions", "sanction_history")
RECORD_TABLES = ("rulebook_versions", "rulebook_activations")
IMMUTABLE_MESSAGE = (
    "决定不可修改：更正请新增一条取代原决定的记录 / decisions are immutable: "
    "insert a superseding row instead"
)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_decisions(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Decision | SanctionHistory | RulebookVersion | RulebookActivation) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise ImmutableRowError(IMMUTABLE_MESSAGE)


def _refuse_update(_mapper: Any, _connection: Any, _target: Any) -> None:
    raise ImmutableRowError(IMMUTABLE_MESSAGE)


for _cls in (Decision, SanctionHistory, RulebookVersion, RulebookActivation):
    event.listen(_cls, "before_update", _refuse_update)
    event.listen(_cls, "before_delete", _refuse_update)


def trigger_ddl(dialect: str) -> tuple[list[str], list[str]]:
    """(create, drop) statements for the triggers refusing UPDATE/DELETE of immutable tables."""
    create: list[str] = []
    drop: list[str] = []
    message = IMMUTABLE_MESSAGE.replace("'", "''")
    if dialect == "sqlite":
        for table in IMMUTABLE_TABLES:
            for op in ("UPDATE", "DELETE"):
                name = f"{table}_no_{op.lower()}"
                create.append(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
                drop.append(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        create.append(
            "CREATE FUNCTION wenze_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation'; END $$"
        )
        for table in IMMUTABLE_TABLES:
            name = f"{table}_immutable"
            create.append(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION wenze_refuse_change()"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        drop.append("DROP FUNCTION IF EXISTS wenze_refuse_change()")
    else:
        raise ValueError(f"no immutability triggers for dialect {dialect!r}")
    return create, drop


RECORD_MESSAGE = (
    "规则集版本与启用记录不可修改：请保存新版本或重新启用 / stored rulebook versions and "
    "activations are records: save a new version or activate again instead"
)


def record_trigger_ddl(dialect: str) -> tuple[list[str], list[str]]:
    """(create, drop) statements for the triggers refusing UPDATE/DELETE of the rulebook
    records (:data:`RECORD_TABLES`); on PostgreSQL with a function of their own, so that the
    decisions' triggers can be dropped and made again without touching these."""
    message = RECORD_MESSAGE.replace("'", "''")
    create: list[str] = []
    drop: list[str] = []
    if dialect == "sqlite":
        for table in RECORD_TABLES:
            for op in ("UPDATE", "DELETE"):
                name = f"{table}_no_{op.lower()}"
                create.append(f"CREATE TRIGGER {name} BEFORE {op} ON {table} "
                              f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
                drop.append(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        create.append(
            "CREATE FUNCTION wenze_refuse_record_change() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation'; END $$")
        for table in RECORD_TABLES:
            create.append(f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                          "FOR EACH ROW EXECUTE FUNCTION wenze_refuse_record_change()")
            drop.append(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        drop.append("DROP FUNCTION IF EXISTS wenze_refuse_record_change()")
    else:
        raise ValueError(f"no immutability triggers for dialect {dialect!r}")
    return create, drop
