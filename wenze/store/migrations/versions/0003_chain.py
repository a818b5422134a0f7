"""decision hash chain: decisions.prev_hash and row_hash, evaluation_runs.chain_head

Rows recorded before this revision are chained here, in id order (the immutability triggers are
lifted for that one update and put back).

Revision ID: 0003_chain
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wenze.store.chain import CHAIN_FIELDS, GENESIS, row_hash
from wenze.store.models import trigger_ddl

revision = "0003_chain"
down_revision = "0002_parties"
branch_labels = None
depends_on = None

HASH = sa.String(64)


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("prev_hash", HASH))
        batch.add_column(sa.Column("row_hash", HASH))
    with op.batch_alter_table("evaluation_runs") as batch:
        batch.add_column(sa.Column("chain_head", HASH))
    bind = op.get_bind()
    decisions = sa.table("decisions", *(sa.column(f) for f in (*CHAIN_FIELDS, "prev_hash",
                                                                 "row_hash")),
                         sa.column("body", sa.JSON))
    rows = bind.execute(sa.select(decisions).order_by(decisions.c.id)).mappings().all()
    if not rows:
        return
    create, drop = trigger_ddl(bind.dialect.name)
    for statement in drop:
        op.execute(statement)
    prev = GENESIS
    for row in rows:
        digest = row_hash(prev, row)
        bind.execute(decisions.update().where(decisions.c.id == row["id"]),
                     {"prev_hash": prev, "row_hash": digest})
        prev = digest
    runs = sa.table("evaluation_runs", sa.column("chain_head"))
    bind.execute(runs.update(), {"chain_head": prev})
    for statement in create:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_runs") as batch:
        batch.drop_column("chain_head")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
