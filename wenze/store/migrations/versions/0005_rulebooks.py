"""the service's rulebook store: versions uploaded per name, and the activations in order

Revision ID: 0005_rulebooks
Revises: 0004_tokens
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wenze.store.models import record_trigger_ddl

revision = "0005_rulebooks"
down_revision = "0004_tokens"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "rulebook_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", HASH, nullable=False),
        sa.Column("bases", sa.JSON, nullable=False),
        sa.Column("author", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_rulebook_versions_name"),
    )
    op.create_table(
        "rulebook_activations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("rulebook_versions.id"),
                  nullable=False),
        sa.Column("author", sa.Text),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_rulebook_activations_version_id", "rulebook_activations",
                    ["version_id"])
    create, _drop = record_trigger_ddl(op.get_bind().dialect.name)
    for statement in create:
        op.execute(statement)


def downgrade() -> None:
    _create, drop = record_trigger_ddl(op.get_bind().dialect.name)
    for statement in drop:
        op.execute(statement)
    op.drop_table("rulebook_activations")
    op.drop_table("rulebook_versions")
