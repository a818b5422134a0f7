"""64-bit row ids on PostgreSQL: runs, decisions, warnings, sanctions and the live output log

Revision ID: 0006_bigids
Revises: 0005_rulebooks
Create Date: 2026-12-08

PostgreSQL's INTEGER (and the sequence behind a SERIAL) stops at 2**31 - 1; the service's output
log numbers every warning and decision it issues (the stream's event ids), and a province's
store would reach that. The columns and their sequences become BIGINT, and the foreign keys that
point at them with them. SQLite's INTEGER PRIMARY KEY is the 64-bit rowid already: nothing to do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_bigids"
down_revision = "0005_rulebooks"
branch_labels = None
depends_on = None

# table → its columns that become 64-bit (the id first; then the keys that point at an id)
COLUMNS: dict[str, tuple[str, ...]] = {
    "evaluation_runs": ("id",),
    "decisions": ("id", "run_id", "supersedes"),
    "warnings": ("id", "run_id"),
    "sanction_history": ("id", "decision_id"),
    "live_outputs": ("id",),
}


def _retype(to: type[sa.types.TypeEngine], sql: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=to())
        op.execute(f"ALTER SEQUENCE IF EXISTS {table}_id_seq AS {sql}")


def upgrade() -> None:
    _retype(sa.BigInteger, "bigint")


def downgrade() -> None:
    _retype(sa.Integer, "integer")
