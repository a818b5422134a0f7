"""Fixtures for the store tests: real SQLite files and a real PostgreSQL (127.0.0.1:5432, database
``test``, trust auth), each test on a fresh database (SQLite file) or schema (PostgreSQL).

Under CI (``CI=true``) an unreachable PostgreSQL fails the tests; elsewhere they are skipped with
the reason."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from wenze.store.db import make_engine, upgrade

PG_HOST = os.environ.get("WENZE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("WENZE_TEST_PG_PORT", "5432"))
PG_DB = os.environ.get("WENZE_TEST_PG_DB", "test")
PG_USERS = ("postgres", "root")
REPO = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", "postgresql"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_user() -> str:
    errors = []
    for user in PG_USERS:
        try:
            with psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=5
            ):
                return user
        except psycopg.Error as err:
            errors.append(f"{user}: {err}")
    reason = (
        f"PostgreSQL unreachable at {PG_HOST}:{PG_PORT}/{PG_DB} ({'; '.join(errors)})"
    )
    if _in_ci():
        pytest.fail(f"{reason} — the PostgreSQL store tests must run under CI", pytrace=False)
    pytest.skip(f"!!! {reason}: PostgreSQL store tests NOT run")


@pytest.fixture(scope="session")
def pg_session_tag() -> str:
    return secrets.token_hex(4)


@pytest.fixture
def pg_url(pg_user: str, pg_session_tag: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"wz_test_{pg_session_tag}_{secrets.token_hex(3)}"
    admin = psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=pg_user, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql+psycopg://{pg_user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wenze.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database on each backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def make_event(i: int, **overrides: object) -> dict[str, object]:
    """A valid ``received``/``accepted`` event; 10 events per case, times spread over March."""
    event: dict[str, object] = {
        "id": f"E{i:07d}",
        "case": f"C{i // 10:06d}",
        "type": "received" if i % 10 == 0 else "accepted",
        "at": f"2024-03-{1 + (i % 10) * 2:02d}T{8 + i % 9:02d}:30:00+08:00",
        "item": "营业执照",
        "actor": f"P{i % 37}",
        "post": "窗口",
        "unit": "市场监管局",
        "step": None,
        "data": {"n": i},
    }
    event.update(overrides)
    return event


def write_events(path: Path, indices: range | list[int], **overrides: object) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in indices:
            fh.write(json.dumps(make_event(i, **overrides), ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="session")
def big_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 000 events in 10 000 cases."""
    return write_events(tmp_path_factory.mktemp("events") / "big.jsonl", range(100_000))
