"""Fixtures for the HTTP service tests: a real ``wenze serve`` process (uvicorn) on 127.0.0.1,
driven with plain HTTP (``http.client``), on a real SQLite file and a real PostgreSQL
(127.0.0.1:5432, database ``test``, trust; one fresh schema per server, dropped afterwards).

Under CI (``CI=true``) an unreachable PostgreSQL fails the tests; elsewhere they are skipped with
the reason."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
RULEBOOK = REPO / "rules" / "zitong_2008.wz"
CASELOAD = REPO / "examples" / "caseload.jsonl"
TODAY = "2024-06-30"
PG_HOST = os.environ.get("WENZE_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("WENZE_TEST_PG_PORT", "5432"))
PG_DB = os.environ.get("WENZE_TEST_PG_DB", "test")
PG_USERS = ("postgres", "root")
START_TIMEOUT = 120.0  # seconds for a server to be ready (a bound, not a measurement)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pg_user() -> str:
    errors = []
    for user in PG_USERS:
        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user,
                                 connect_timeout=5):
                return user
        except psycopg.Error as err:
            errors.append(f"{user}: {err}")
    reason = f"PostgreSQL unreachable at {PG_HOST}:{PG_PORT}/{PG_DB} ({'; '.join(errors)})"
    if _in_ci():
        pytest.fail(f"{reason} — the PostgreSQL service tests must run under CI", pytrace=False)
    pytest.skip(f"!!! {reason}: PostgreSQL service tests NOT run")


@dataclass
class Database:
    url: str
    cleanup: Any = None

    def close(self) -> None:
        if self.cleanup is not None:
            self.cleanup()


def make_database(backend: str, folder: Path) -> Database:
    """An empty database: a SQLite file in ``folder`` or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        return Database(f"sqlite:///{folder / 'serve.db'}")
    user = pg_user()
    schema = f"wz_serve_{secrets.token_hex(5)}"
    admin = psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()

    return Database(f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
                    f"?options=-csearch_path%3D{schema}", drop)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wenze(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "wenze", *args], capture_output=True,
                          text=True, env=env, check=False)


def make_token(db: str, scope: str, unit: str | None = None) -> str:
    args = ["token", "create", "--scope", scope, "--db", db, "--json"]
    if unit:
        args += ["--unit", unit]
    done = wenze(*args)
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["token"])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Server:
    """A ``wenze serve`` process on 127.0.0.1 and its database."""

    db: str
    folder: Path
    extra: tuple[str, ...] = ()
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    starts: int = 0

    def start(self) -> None:
        self.port = self.port or free_port()
        self.starts += 1
        self.log_path = self.folder / f"serve-{self.starts}.log"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wenze", "serve", "--rulebook", str(RULEBOOK),
                 "--db", self.db, "--port", str(self.port), *self.extra],
                stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"wenze serve exited: {self.log_path.read_text()}")
            try:
                if self.call("GET", "/readyz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"wenze serve not ready: {self.log_path.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            children = descendants(self.process.pid)  # --workers N: the worker processes
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
            deadline = time.monotonic() + 30
            while any(alive(p) for p in children):  # they die with the supervisor
                assert time.monotonic() < deadline, f"workers outlived the service: {children}"
                time.sleep(0.05)
        self.process = None

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)

    def workers(self) -> list[int]:
        """The worker processes of ``--workers N`` (the service's children that serve)."""
        assert self.process is not None
        return [p for p in descendants(self.process.pid) if "resource_tracker" not in
                Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]

    def call(self, method: str, path: str, token: str | None = None,
             body: bytes | str | Any = None, content_type: str | None = None,
             headers: dict[str, str] | None = None, timeout: float = 60.0) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = dict(headers or {})
            if token is not None:
                sent["Authorization"] = f"Bearer {token}"
            data: bytes | None
            if body is None:
                data = None
            elif isinstance(body, bytes):
                data = body
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                content_type = content_type or "application/json"
            if content_type:
                sent["Content-Type"] = content_type
            # non-ASCII (case ids, units, levels in Chinese) percent-encoded as UTF-8
            conn.request(method, urllib.parse.quote(path, safe="/?&=%:+,"), body=data,
                         headers=sent)
            res = conn.getresponse()
            return Answer(res.status, {k.lower(): v for k, v in res.getheaders()}, res.read())
        finally:
            conn.close()

    def log(self) -> str:
        return "".join(p.read_text(errors="replace")
                       for p in sorted(self.folder.glob("serve-*.log")))


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (Linux /proc)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def start_server(backend: str, folder: Path, *extra: str) -> tuple[Server, Database]:
    db = make_database(backend, folder)
    from wenze.serve.tokens import create_token
    from wenze.store.db import ensure_schema, make_engine

    server = Server(db.url, folder, extra=extra)
    engine = make_engine(db.url)  # (``wenze token create`` itself: tests/serve/test_access.py)
    try:
        ensure_schema(engine)
        server.tokens = {
            name: create_token(engine, scope, unit)[0]
            for name, scope, unit in (
                ("admin", "admin", None), ("supervisor", "supervisor", None),
                ("jianshe", "unit", "县建设局"), ("guotu", "unit", "县国土资源局"),
                ("center", "unit", "县政务服务中心"))
        }
    finally:
        engine.dispose()
    server.start()
    return server, db


@contextmanager
def serving_caseload(backend: str, folder: Path, *extra: str) -> Iterator[Server]:
    """A server with its clock fixed at 2024-06-30 and the example caseload posted; stopped and
    its database closed afterwards."""
    server, db = start_server(backend, folder, "--today", TODAY, *extra)
    try:
        answer = server.call("POST", "/v1/events", server.tokens["admin"],
                             CASELOAD.read_bytes(), "application/x-ndjson")
        assert answer.status == 200, answer.text
        yield server
    finally:
        server.stop()
        db.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    """A server on each backend, fixed clock at 2024-06-30, the example caseload posted."""
    folder = tmp_path_factory.mktemp(f"serve-{request.param}")
    with serving_caseload(request.param, folder, "--max-batch", "1000",
                          "--max-body", str(1024 * 1024)) as server:
        yield server


def batch_json(rulebook: Path, events: Path, as_of: str) -> dict[str, Any]:
    """``wenze evaluate`` in batch (the Python API), as one JSON document."""
    import wenze as api

    return json.loads(api.to_json(api.load(str(rulebook)).evaluate(str(events), as_of)))


def synthetic_events(cases: int, prefix: str = "SYN") -> list[dict[str, Any]]:
    """Events of ``cases`` 企业设立登记 cases under the zitong rulebook, received over 80 days
    from 2024-03-01 (received, accepted, mostly decided within 2 days; one case in 10 decided
    after up to 39 days, one in 15 still open: some late, some warned)."""
    import datetime as dt

    start = dt.date(2024, 3, 1)
    out: list[dict[str, Any]] = []
    for i in range(cases):
        case = f"{prefix}-{i:06d}"
        day = start + dt.timedelta(days=i * 80 // cases)  # received in time order
        base = {"case": case, "item": "企业设立登记"}
        out.append(dict(base, id=f"{case}-r", type="received", at=f"{day}T09:00:00+08:00",
                        actor=f"窗口{i % 97}", post="综合受理窗口"))
        out.append(dict(base, id=f"{case}-a", type="accepted", at=f"{day}T09:30:00+08:00",
                        actor=f"窗口{i % 97}", post="综合受理窗口"))
        if i % 15:  # one case in 15 still open; one in 10 decided after up to 39 days
            done = day + dt.timedelta(days=i % 40 if i % 10 == 1 else i % 3)
            out.append(dict(base, id=f"{case}-d", type="decided", at=f"{done}T16:00:00+08:00",
                            actor=f"首席{i % 89}", post="工商局首席代表",
                            data={"outcome": "准予许可"}))
    return out
