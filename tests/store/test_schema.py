"""The schema: Alembic migrations on both backends match the models, the CLI upgrades, and the
engines are configured as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from wenze.cli import main
from wenze.store.db import (
    DEFAULT_URL,
    current_revision,
    head_revision,
    make_engine,
    resolve_url,
    upgrade,
)
from wenze.store.models import Base

HEAD = "0006_bigids"
TABLES = {
    "rulebooks", "cases", "events", "evaluation_runs", "decisions", "warnings",
    "sanction_history", "alembic_version", "api_tokens", "live_outputs", "rulebook_versions",
    "rulebook_activations",
}


def test_migration_creates_every_table_and_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == TABLES
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert current_revision(engine) == head_revision(engine) == HEAD


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    assert upgrade(engine) == HEAD
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_cli_db_upgrade(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    eng = make_engine(db_url)
    try:
        assert current_revision(eng) is None
        assert main(["db", "upgrade", "--db", db_url]) == 0
        assert HEAD in capsys.readouterr().out
        assert current_revision(eng) == HEAD
        assert main(["db", "current", "--db", db_url]) == 0
        assert "up to date" in capsys.readouterr().out
    finally:
        eng.dispose()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000
    eng.dispose()


def test_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WENZE_DB", raising=False)
    assert resolve_url(None) == DEFAULT_URL == "sqlite:///wenze.db"
    monkeypatch.setenv("WENZE_DB", "sqlite:////tmp/x.db")
    assert resolve_url(None) == "sqlite:////tmp/x.db"
    assert resolve_url("sqlite:///y.db") == "sqlite:///y.db"  # --db wins over the environment
    assert resolve_url("postgresql://u@h/d").startswith("postgresql+psycopg://")


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        make_engine("mysql://u@h/d")
    with pytest.raises(ValueError, match="not a database URL"):
        make_engine("notaurl")


def test_downgrade_to_nothing_and_back(engine: Engine) -> None:
    from alembic import command

    from wenze.store.db import alembic_config

    command.downgrade(alembic_config(engine), "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    assert current_revision(engine) is None
    assert upgrade(engine) == HEAD
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == TABLES


def test_decisions_stored_before_parties_get_their_party_and_degree(engine: Engine) -> None:
    """0002_parties fills ``party``/``degree`` of schema-1 decisions from their role word (the
    triggers keeping decisions immutable are back afterwards)."""
    import datetime as dt

    from alembic import command
    from sqlalchemy.exc import DBAPIError

    from wenze.store.db import alembic_config

    command.downgrade(alembic_config(engine), "0001")
    now = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO rulebooks (id, content_hash, source, created_at) "
                          "VALUES (1, 'h', 'x', :t)"), {"t": now})
        conn.execute(text(
            "INSERT INTO evaluation_runs (id, rulebook_hash, as_of, parameters, parameters_hash, "
            "input_fingerprint, event_count, created_at) "
            "VALUES (1, 'h', :d, '{}', 'p', 'f', 0, :t)"),
            {"d": dt.date(2024, 6, 30), "t": now})
        for i, role in enumerate(("deputy_leader", "approver", "direct"), start=1):
            conn.execute(text(
                "INSERT INTO decisions (id, key, run_id, body, body_hash, created_at) "
                "VALUES (:i, :k, 1, :b, 'h', :t)"),
                {"i": i, "k": f"k{i}", "b": f'{{"role": "{role}"}}', "t": now})
    assert upgrade(engine) == HEAD
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT party, degree FROM decisions ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("deputy_leader:direct", "primary_leadership"),
                                        ("decider", "important_leadership"),
                                        ("direct", "direct")]
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE decisions SET party = 'x'"))


def test_the_output_log_numbers_past_32_bits_and_the_upgrade_keeps_the_rows(
        engine: Engine) -> None:
    """0006_bigids: the live output log's ids (the stream's event ids) and the decisions' go
    past 2**31 - 1 on both backends (PostgreSQL's INTEGER and its SERIAL's sequence stopped
    there), and upgrading a store from 0005 keeps its rows."""
    import datetime as dt

    from alembic import command

    from wenze.store.db import alembic_config

    command.downgrade(alembic_config(engine), "0005_rulebooks")
    now = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    row = ("INSERT INTO live_outputs ({id}kind, ident, digest, unit, case_id, day, body, "
           "created_at) VALUES ({value}'decision', :ident, 'd', 'U', 'C', :day, '{{}}', :t)")
    values = {"day": dt.date(2024, 6, 30), "t": now}
    with engine.begin() as conn:
        conn.execute(text(row.format(id="", value="")), {**values, "ident": "before"})
    assert upgrade(engine) == HEAD
    big = 2**31 + 7
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # the next id the sequence gives is past 2**31
            conn.execute(text(f"SELECT setval('live_outputs_id_seq', {big})"))
        else:
            conn.execute(text(row.format(id="id, ", value=f"{big}, ")), {**values, "ident": "big"})
        conn.execute(text(row.format(id="", value="")), {**values, "ident": "after"})
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT ident, id FROM live_outputs")).all())
    assert ids["before"] == 1 and ids["after"] == big + 1
