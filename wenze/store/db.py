"""Store stage — engines and schema management.

Where the database is (``--db URL``, else ``WENZE_DB``, else ``sqlite:///wenze.db``), how a
connection is set up (SQLite: WAL journal, busy timeout, foreign keys on, explicit ``BEGIN`` so that
writers take the lock up front with ``BEGIN IMMEDIATE``; PostgreSQL through psycopg 3), and how the
schema is brought to the newest Alembic revision (``upgrade``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_URL = "sqlite:///wenze.db"
ENV_VAR = "WENZE_DB"
SQLITE_BUSY_TIMEOUT_MS = 60_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Execution option asking for a write transaction (SQLite: BEGIN IMMEDIATE).
WRITE = {"wenze_write": True}


def canonical_json(value: Any) -> str:
    """The one JSON spelling the store writes and hashes: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


class JsonText(str):
    """A JSON column's value already written by :func:`canonical_json`: stored as it is (a
    writer may spell a value before its transaction, not while it holds the write lock)."""


def store_json(value: Any) -> str:
    """The store's JSON columns' serializer: :func:`canonical_json`, a :class:`JsonText` as is."""
    return str.__str__(value) if isinstance(value, JsonText) else canonical_json(value)


def resolve_url(url: str | None = None) -> str:
    """``url`` if given, else the ``WENZE_DB`` environment variable, else ``sqlite:///wenze.db``
    (ValueError: a text that is no database URL)."""
    chosen = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    try:
        parsed = make_url(chosen)
    except ArgumentError as err:
        raise ValueError(f"not a database URL {chosen!r}: use sqlite:///FILE or "
                         "postgresql+psycopg://USER@HOST:PORT/DB") from err
    if parsed.drivername in ("postgresql", "postgres"):
        # Plain ``postgresql://`` would pick psycopg2, which is not installed: use psycopg 3.
        chosen = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return chosen


def make_engine(url: str | None = None, *, checkpoint_apart: bool = False,
                **kwargs: Any) -> Engine:
    """An engine for ``url`` (see ``resolve_url``) configured for the store (ValueError: no
    URL, or a database other than SQLite and PostgreSQL).

    ``checkpoint_apart`` (SQLite): this engine's commits never checkpoint the WAL themselves
    (SQLite's automatic checkpoint runs in the committing connection, under the store's writer
    lock, so one commit now and then waits for the database file's pages to be copied and
    synced); the caller runs :func:`checkpoint` on a timer instead (``wenze serve``)."""
    resolved = resolve_url(url)
    parsed = make_url(resolved)
    kwargs.setdefault("json_serializer", store_json)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(resolved, **kwargs)
        _configure_sqlite(engine, checkpoint_apart)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(resolved, **kwargs)
    raise ValueError(
        f"unsupported database {parsed.drivername!r}: use sqlite:///FILE or "
        "postgresql+psycopg://USER@HOST:PORT/DB"
    )


def checkpoint(engine: Engine) -> None:
    """Copy the WAL's committed pages into an SQLite store's file, without waiting for its
    readers or writers (a PASSIVE checkpoint; nothing on PostgreSQL)."""
    if is_sqlite(engine):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def _configure_sqlite(engine: Engine, checkpoint_apart: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own transaction
        # handling begins lazily and cannot take the write lock up front).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL is safe against a killed process in WAL mode (only power loss can lose the last
        # commits, never corrupt the file).
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA temp_store = MEMORY")  # the ingestion's staging table
        cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB: index inserts stay in memory
        if checkpoint_apart:
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("wenze_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: on SQLite the write lock is taken at ``BEGIN`` (no deadlock
    between two processes that both read first and then write), and writers to one SQLite file
    queue on :class:`SqliteWriters` first (woken as soon as the lock is free, where SQLite's
    own busy handler would sleep and poll: 100 ms and more under load)."""
    with _writers(engine), engine.connect().execution_options(**WRITE) as conn, conn.begin():
        yield conn


class SqliteWriters:
    """One SQLite file's writers, in line: a lock between the threads of this process, then
    an exclusive ``flock`` on ``FILE.write-lock`` between processes (``wenze serve --workers``,
    a ``wenze ingest`` beside the service). Re-entrant within a thread."""

    def __init__(self, database: str) -> None:
        self.path = f"{database}.write-lock"
        self.lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None
        self.pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        import fcntl

        with self.lock:
            if self.pid != os.getpid():  # a forked child opens its own (flock is per open)
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self.pid = os.getpid()
            if self.depth == 0:
                fcntl.flock(self.fd, fcntl.LOCK_EX)  # type: ignore[arg-type]
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
                if self.depth == 0:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)  # type: ignore[arg-type]


_SQLITE_WRITERS: dict[str, SqliteWriters] = {}
_SQLITE_WRITERS_LOCK = threading.Lock()


@contextmanager
def _writers(engine: Engine) -> Iterator[None]:
    database = engine.url.database if is_sqlite(engine) else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    key = os.path.abspath(database)
    with _SQLITE_WRITERS_LOCK:
        writers = _SQLITE_WRITERS.get(key)
        if writers is None:
            writers = _SQLITE_WRITERS[key] = SqliteWriters(key)
    with writers.held():
        yield


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


# ---------------------------------------------------------------------------------------------
# Alembic


def alembic_config(engine: Engine, connection: Connection | None = None) -> Any:
    """An Alembic ``Config`` pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    config.attributes["engine"] = engine
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Run the migrations up to ``revision``; returns the revision reached."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
    return current_revision(engine)


def ensure_schema(engine: Engine) -> None:
    """Upgrade to head when the database is behind. Tolerates another process upgrading at the
    same moment (the loser's failure is ignored when the schema is at head afterwards)."""
    head = head_revision(engine)
    # two first ingests into one new SQLite file: one creates it, the other waits — from the
    # first connection on (it switches a new file to WAL, which a second connection at the
    # same instant can be refused without waiting: "database is locked")
    with _schema_lock(engine):
        if current_revision(engine) == head:
            return
        try:
            upgrade(engine)
        except Exception:
            if current_revision(engine) != head:
                raise


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema creation between processes on one SQLite file (an exclusive lock on
    ``FILE.schema-lock``); PostgreSQL's transactional DDL needs none."""
    database = engine.url.database if is_sqlite(engine) else None
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    try:
        lock = open(f"{database}.schema-lock", "a")
    except OSError:  # a read-only folder: nothing is created there, nothing to serialise
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
