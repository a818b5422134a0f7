"""Surviving restarts: ``kill -9`` while 4 clients post; after a restart every event that got a
2xx is stored exactly once, posting everything again stores nothing twice, the live state equals
a batch evaluation of the stored events, and no output was issued twice. The same under load:
~20k events from 8 clients in batches of 100, the service killed at a random moment, with one
process and with ``--workers 2`` (the supervisor, which judges, killed; its workers die with it).
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.serve.conftest import (
    RULEBOOK,
    TODAY,
    Server,
    batch_json,
    start_server,
    synthetic_events,
)
from wenze.store.db import make_engine

CLIENTS = 4
BATCH = 50
KILL_AFTER = 12  # acknowledged batches before the kill (a count, not a time)


def post_all(server: Server, token: str, batches: list[list[dict[str, Any]]],
             acked: list[str], lock: threading.Lock, answered: threading.Semaphore) -> None:
    for batch in batches:
        try:
            answer = server.call("POST", "/v1/events", token, batch, timeout=60)
        except (OSError, http.client.HTTPException):
            return  # the server was killed (perhaps in the middle of an answer: not an ack)
        if 200 <= answer.status < 300:
            with lock:
                acked.extend(r["id"] for r in answer.json["results"])
            answered.release()
        else:
            return


def stored_ids(db: str) -> list[str]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT id FROM events"))]
    finally:
        engine.dispose()


def kill_9_during_load(server: Server, token: str, batches: list[list[dict[str, Any]]],
                       clients: int, kill_after: int, pause: float = 0.0,
                       where: str = "") -> list[str]:
    """``batches`` posted by ``clients`` threads at once, the server killed with SIGKILL
    ``pause`` seconds after the ``kill_after``-th answer; the ids the answers acknowledged."""
    acked: list[str] = []
    lock = threading.Lock()
    answered = threading.Semaphore(0)
    threads = [threading.Thread(target=post_all,
                                args=(server, token, batches[k::clients], acked, lock,
                                      answered))
               for k in range(clients)]
    for t in threads:
        t.start()
    for _ in range(kill_after):
        assert answered.acquire(timeout=120), f"no answer from the service {where}".rstrip()
    time.sleep(pause)
    server.kill9()  # (with --workers 2: the supervisor, which judges; see Server.stop)
    for t in threads:
        t.join(timeout=120)
    with lock:
        return list(acked)


def post_everything_again(server: Server, token: str, events: list[dict[str, Any]],
                          ids: list[str], db: str, where: str = "", timeout: float = 60) -> None:
    """After the restart, every event posted once more: those stored before (``ids``) are
    duplicates, the rest stored, and the store then holds each event once."""
    again = server.call("POST", "/v1/events", token, events, timeout=timeout)
    assert again.status == 200, again.text
    statuses = {r["id"]: r["status"] for r in again.json["results"]}
    assert all(statuses[i] == "duplicate" for i in ids), f"counted twice {where}".rstrip()
    assert sum(s == "stored" for s in statuses.values()) == len(events) - len(ids)
    assert sorted(stored_ids(db)) == sorted(e["id"] for e in events)


def output_rows(db: str) -> list[tuple[int, str, str, str]]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT id, ident, kind, digest FROM live_outputs ORDER BY id"))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_during_load_loses_no_acknowledged_event_and_repeats_no_output(
        backend: str, tmp_path: Path) -> None:
    server, db = start_server(backend, tmp_path, "--today", TODAY)
    try:
        token = server.tokens["admin"]
        events = synthetic_events(1200)
        batches = [events[i:i + BATCH] for i in range(0, len(events), BATCH)]
        acknowledged = kill_9_during_load(server, token, batches, CLIENTS, KILL_AFTER)
        assert len(acknowledged) >= KILL_AFTER * BATCH
        ids = stored_ids(db.url)
        assert len(ids) == len(set(ids))
        assert set(acknowledged) <= set(ids), "an acknowledged event was lost"
        outputs_before = output_rows(db.url)

        server.start()  # rebuilds from the store
        post_everything_again(server, token, events, ids, db.url)

        # the live state is that of a batch evaluation of everything stored
        path = tmp_path / "all.jsonl"
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events),
                        encoding="utf-8")
        batch = batch_json(RULEBOOK, path, TODAY)
        decisions = server.call("GET", "/v1/decisions?limit=1000", token).json
        assert decisions["total"] == len(batch["decisions"])
        assert decisions["decisions"] == batch["decisions"][:1000]
        warnings = server.call("GET", "/v1/warnings", token).json["warnings"]
        assert warnings == batch["warnings"]

        rows = output_rows(db.url)
        check_output_log(rows, outputs_before, batch)
        # a restart with nothing new issues nothing
        server.stop()
        server.start()
        assert output_rows(db.url) == rows
    finally:
        server.stop()
        db.close()


def check_output_log(rows: list[tuple[int, str, str, str]],
                     before: list[tuple[int, str, str, str]], batch: dict[str, Any]) -> None:
    """No output issued twice: the log before the kill is kept as it was, per ident each output
    says something the previous one did not, and what is in force is the batch's outputs."""
    assert rows[:len(before)] == before
    last: dict[str, tuple[str, str]] = {}
    for _id, ident, kind, digest in rows:
        issuing = kind in ("warning", "decision")
        previous = last.get(ident)
        if issuing:
            assert previous is None or previous != (kind, digest), (ident, kind)
        else:
            assert previous is not None and previous[0] in ("warning", "decision")
        last[ident] = (kind, digest)
    in_force = {i for i, (k, _) in last.items() if k in ("warning", "decision")}
    assert {i for i in in_force if i.startswith("d|")} == \
        {"d|" + d["key"] for d in batch["decisions"]}
    assert {i for i in in_force if i.startswith("w|")} == \
        {f"w|{w['case']}|{w['step'] or ''}" for w in batch["warnings"]}


LOAD_CASES = 7000  # ~20k events
LOAD_CLIENTS = 8
LOAD_BATCH = 100


def all_decisions(server: Server, token: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = server.call("GET", f"/v1/decisions?limit=1000&offset={offset}", token).json
        out += page["decisions"]
        offset = page["next_offset"]
    return out


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_at_a_random_moment_of_a_load(backend: str, workers: int,
                                             tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    events = synthetic_events(LOAD_CASES, "LD")
    batches = [events[i:i + LOAD_BATCH] for i in range(0, len(events), LOAD_BATCH)]
    kill_after = rng.randrange(len(batches) // 10, len(batches) * 3 // 4)
    pause = rng.uniform(0, 0.05)
    where = f"seed {seed}: killed {pause * 1000:.0f} ms after {kill_after} answers"
    server, db = start_server(backend, tmp_path, "--today", TODAY, "--workers", str(workers),
                              "--max-batch", str(len(events)),
                              "--max-body", str(64 * 1024 * 1024))
    try:
        token = server.tokens["admin"]
        acknowledged = kill_9_during_load(server, token, batches, LOAD_CLIENTS, kill_after,
                                          pause, f"({where})")
        assert len(acknowledged) >= kill_after * LOAD_BATCH
        ids = stored_ids(db.url)
        assert len(ids) == len(set(ids)), f"an event stored twice ({where})"
        assert set(acknowledged) <= set(ids), f"an acknowledged event was lost ({where})"
        outputs_before = output_rows(db.url)

        server.start()  # rebuilds from the store
        post_everything_again(server, token, events, ids, db.url, f"({where})", timeout=300)

        path = tmp_path / "all.jsonl"
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events),
                        encoding="utf-8")
        batch = batch_json(RULEBOOK, path, TODAY)
        assert all_decisions(server, token) == batch["decisions"], where
        assert server.call("GET", "/v1/warnings", token).json["warnings"] == \
            batch["warnings"], where
        check_output_log(output_rows(db.url), outputs_before, batch)
    finally:
        server.stop()
        db.close()
