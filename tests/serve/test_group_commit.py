"""The service's group commit on a real SQLite file: requests from many threads at once, with
event ids shared between them, each get an answer that is true of the store once it returns —
every id inserted by exactly one request, an identical copy a duplicate, a changed copy a
conflict — and every answered row is committed (read back through a new connection)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import text

from tests.serve.conftest import synthetic_events
from wenze.events.readers import read_jsonl
from wenze.serve.service import GroupCommit
from wenze.store.db import ensure_schema, make_engine
from wenze.store.ingest import row_from_event

THREADS = 8
CALLS = 30


def test_group_commit_answers_each_request_truly_and_commits_before_answering(
        tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    ensure_schema(engine)
    commits = GroupCommit(engine)
    raw = synthetic_events(400, "GC")
    changed = dict(raw[0], at="2024-03-01T10:00:00+08:00")  # same id, other content

    def rows(items: list[dict[str, object]]) -> list[dict[str, object]]:
        lines = [json.dumps(e, ensure_ascii=False) for e in items]
        batch = read_jsonl(lines, "<t>")
        return [row_from_event(ev, lines[ev.line - 1]) for ev in batch.events]

    outcomes: list[tuple[set[str], set[str], set[str], set[str]]] = []
    copies: list[bool] = []  # whether a request had the changed copy of the first event
    lock = threading.Lock()

    def client(k: int) -> None:
        for n in range(CALLS):
            start = (k * 7 + n * 13) % (len(raw) - 20)  # overlapping windows of the events
            part = raw[start:start + 20]
            if (k + n) % 11 == 0 and raw[0] not in part:
                part = [changed, *part]
            got = commits.store(rows(part))
            with engine.connect() as conn:  # committed: seen by another connection
                stored = {r[0] for r in conn.execute(text("SELECT id FROM events"))}
            assert got.inserted <= stored
            with lock:
                outcomes.append(({str(e["id"]) for e in part}, got.inserted, got.duplicates,
                                 set(got.conflicts)))
                copies.append(changed in part)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(outcomes) == THREADS * CALLS
    inserted_by: dict[str, int] = {}
    for ids, inserted, duplicates, conflicts in outcomes:
        assert inserted | duplicates | conflicts == ids  # every event of a request answered
        assert not (inserted & duplicates) and not (inserted & conflicts)
        for i in inserted:
            inserted_by[i] = inserted_by.get(i, 0) + 1
    assert all(n == 1 for n in inserted_by.values())  # inserted once, by one request
    with engine.connect() as conn:
        stored = sorted(r[0] for r in conn.execute(text("SELECT id FROM events")))
    assert stored == sorted(inserted_by)
    # the first event: whichever copy was stored first is kept; each request with the other
    # copy was told of a conflict, each with the same copy of a duplicate (or inserted it)
    first = str(raw[0]["id"])
    with engine.connect() as conn:
        kept_changed = "10:00:00" in conn.execute(
            text("SELECT payload FROM events WHERE id = :i"), {"i": first}).scalar_one()
    for (ids, inserted, duplicates, conflicts), had_changed in zip(outcomes, copies,
                                                                   strict=True):
        if first in ids:
            if had_changed == kept_changed:
                assert first in inserted | duplicates
            else:
                assert first in conflicts
    assert sum(copies) > 0
    engine.dispose()


def test_the_served_store_is_checkpointed_apart_from_every_commit(tmp_path: Path) -> None:
    """``wenze serve`` on SQLite: no commit checkpoints the WAL itself (the serving engine's
    connections have ``wal_autocheckpoint`` 0: a request never waits for a checkpoint), and the
    judging process's own thread copies the committed pages into the database file within
    seconds — read back from the file alone, WAL ignored (``immutable=1``)."""
    import sqlite3
    import time

    from tests.serve.conftest import CASELOAD, serving_caseload
    from wenze.store.db import checkpoint

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}", checkpoint_apart=True)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    checkpoint(engine)  # a PASSIVE checkpoint of an idle store: nothing to wait for
    engine.dispose()
    posted = sum(1 for line in CASELOAD.read_text(encoding="utf-8").splitlines() if line.strip())
    with serving_caseload("sqlite", tmp_path):
        database = tmp_path / "serve.db"
        found = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            file_only = sqlite3.connect(f"file:{database}?immutable=1", uri=True)
            try:
                found = file_only.execute("SELECT count(*) FROM events").fetchone()[0]
            except sqlite3.DatabaseError:  # the file's pages caught mid-copy: read again
                found = -1
            finally:
                file_only.close()
            if found >= posted:
                break
            time.sleep(0.2)
        assert found >= posted, (found, posted)
