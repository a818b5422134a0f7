"""decisions: who answers (party) and in what degree, as their own columns

Decisions of output schema 2 carry ``party`` and ``degree`` (docs/semantics.md §8). The two
columns hold ``party.value`` (``decider``, ``deputy_leader:decider`` …) and the degree's code
(``direct``, ``primary_leadership`` …) so that the store can be queried by them. Rows stored
before this revision are filled in from their body's ``role`` (the five role words are defined
as party + degree); the immutability triggers are lifted for that one update only.

Revision ID: 0002_parties
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wenze.store.models import trigger_ddl

revision = "0002_parties"
down_revision = "0001"
branch_labels = None
depends_on = None

# the five role words of schema 1, as party + degree
ROLE_PARTY_DEGREE = {
    "direct": ("direct", "direct"),
    "reviewer": ("reviewer", "primary_leadership"),
    "approver": ("decider", "important_leadership"),
    "deputy_leader": ("deputy_leader:direct", "primary_leadership"),
    "chief_leader": ("chief_leader:direct", "important_leadership"),
}


def upgrade() -> None:
    op.add_column("decisions", sa.Column("party", sa.Text, nullable=True))
    op.add_column("decisions", sa.Column("degree", sa.Text, nullable=True))
    op.create_index("ix_decisions_party", "decisions", ["party"])
    bind = op.get_bind()
    create, drop = trigger_ddl(bind.dialect.name)
    decisions = sa.table("decisions", sa.column("id", sa.Integer), sa.column("body", sa.JSON),
                         sa.column("party", sa.Text), sa.column("degree", sa.Text))
    rows = bind.execute(sa.select(decisions.c.id, decisions.c.body)).all()
    filled = [(r.id, ROLE_PARTY_DEGREE.get((r.body or {}).get("role"))) for r in rows]
    filled = [(i, pd) for i, pd in filled if pd is not None]
    if filled:
        for statement in drop:
            op.execute(statement)
        for i, (party, degree) in filled:
            bind.execute(decisions.update().where(decisions.c.id == i)
                         .values(party=party, degree=degree))
        for statement in create:
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_decisions_party", "decisions")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("degree")
        batch.drop_column("party")
