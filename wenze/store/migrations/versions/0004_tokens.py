"""HTTP service: API tokens (hashed) and the live output log

Revision ID: 0004_tokens
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_tokens"
down_revision = "0003_chain"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
HASH = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", HASH, nullable=False, unique=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("unit", sa.Text),
        sa.Column("label", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
    )
    op.create_table(
        "live_outputs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("ident", sa.Text, nullable=False),
        sa.Column("digest", HASH, nullable=False),
        sa.Column("unit", sa.Text),
        sa.Column("case_id", sa.Text),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_live_outputs_ident", "live_outputs", ["ident"])
    op.create_index("ix_live_outputs_unit", "live_outputs", ["unit"])
    op.create_index("ix_live_outputs_case_id", "live_outputs", ["case_id"])


def downgrade() -> None:
    op.drop_table("live_outputs")
    op.drop_table("api_tokens")
