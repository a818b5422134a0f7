"""Store stage — Alembic environment: runs the migrations on the store's engine (SQLite or
PostgreSQL), online only. ``wenze.store.db.upgrade`` passes the engine in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from wenze.store.db import make_engine
from wenze.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("wenze migrations run online only: use `wenze db upgrade --db URL`")
run_migrations_online()
