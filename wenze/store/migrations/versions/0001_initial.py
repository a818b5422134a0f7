"""initial store: rulebooks, cases, events, runs, immutable decisions, warnings, sanction history

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wenze.store.models import trigger_ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "rulebooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("content_hash", HASH, nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("version", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("item", sa.Text),
        sa.Column("first_event_at", TZ, nullable=False),
        sa.Column("last_event_at", TZ, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "case_id", sa.Text,
            sa.ForeignKey("cases.id", deferrable=True, initially="DEFERRED"),
        ),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("item", sa.Text),
        sa.Column("actor", sa.Text),
        sa.Column("post", sa.Text),
        sa.Column("unit", sa.Text),
        sa.Column("step", sa.Text),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_hash", HASH, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("line", sa.Integer),
        sa.Column("ingested_at", TZ, nullable=False),
    )
    op.create_index("ix_events_case_id", "events", ["case_id"])
    op.create_index("ix_events_at", "events", ["at"])
    op.create_table(
        "evaluation_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "rulebook_hash", HASH, sa.ForeignKey("rulebooks.content_hash"), nullable=False
        ),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("parameters_hash", HASH, nullable=False),
        sa.Column("input_fingerprint", HASH, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint(
            "rulebook_hash", "as_of", "parameters_hash", "input_fingerprint",
            name="uq_evaluation_runs_inputs",
        ),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_runs.id"), nullable=False),
        sa.Column("case_id", sa.Text),
        sa.Column("person", sa.Text),
        sa.Column("unit", sa.Text),
        sa.Column("sanction", sa.Text),
        sa.Column("decided_on", sa.Date),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("body_hash", HASH, nullable=False),
        sa.Column("supersedes", sa.Integer, sa.ForeignKey("decisions.id"), unique=True),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_decisions_key", "decisions", ["key"])
    op.create_index("ix_decisions_run_id", "decisions", ["run_id"])
    op.create_index("ix_decisions_case_id", "decisions", ["case_id"])
    op.create_index("ix_decisions_person", "decisions", ["person"])
    op.create_index(
        "uq_decisions_first_per_key", "decisions", ["key"], unique=True,
        sqlite_where=sa.text("supersedes IS NULL"),
        postgresql_where=sa.text("supersedes IS NULL"),
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("evaluation_runs.id"), nullable=False),
        sa.Column("case_id", sa.Text),
        sa.Column("level", sa.Text),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_warnings_run_id", "warnings", ["run_id"])
    op.create_index("ix_warnings_case_id", "warnings", ["case_id"])
    op.create_table(
        "sanction_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person", sa.Text, nullable=False),
        sa.Column("unit", sa.Text),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("sanction", sa.Text, nullable=False),
        sa.Column(
            "decision_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=False, unique=True
        ),
    )
    op.create_index("ix_sanction_history_person", "sanction_history", ["person"])
    op.create_index("ix_sanction_history_on", "sanction_history", ["on"])
    create, _drop = trigger_ddl(op.get_bind().dialect.name)
    for statement in create:
        op.execute(statement)


def downgrade() -> None:
    _create, drop = trigger_ddl(op.get_bind().dialect.name)
    for statement in drop:
        op.execute(statement)
    for table in (
        "sanction_history", "warnings", "decisions", "evaluation_runs", "events", "cases",
        "rulebooks",
    ):
        op.drop_table(table)
