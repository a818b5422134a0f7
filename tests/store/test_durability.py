"""Durability on both backends, with real processes: a SIGKILLed ingestion loses at most its batch
in flight and a rerun completes it; two ingestions at once lose and duplicate nothing; decision
rows are never updated or deleted in place (the ORM guard and the database triggers refuse)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from wenze.store.db import make_engine, upgrade
from wenze.store.ingest import count_events, ingest
from wenze.store.models import Case, Decision, Event, ImmutableRowError, SanctionHistory
from wenze.store.runs import decision_chain, record_run

from .conftest import REPO, write_events
from .test_runs import AS_OF, RULEBOOK, decision

TOTAL = 100_000
SUMMARY = re.compile(r"inserted (\d+), identical duplicates (\d+), conflicts (\d+), rejected (\d+)")


def _ingest_process(path: Path, url: str, batch_size: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wenze", "ingest", str(path), "--db", url,
         "--batch-size", str(batch_size), "--quiet"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _summary(stdout: str) -> tuple[int, int, int, int]:
    found = SUMMARY.search(stdout)
    assert found, stdout
    inserted, identical, conflicts, rejected = (int(g) for g in found.groups())
    return inserted, identical, conflicts, rejected


def _ids_exactly_once(engine: Engine, expected: int) -> None:
    with engine.connect() as conn:
        n, distinct, low, high = conn.execute(
            select(func.count(), func.count(Event.id.distinct()), func.min(Event.id),
                   func.max(Event.id))
        ).one()
        cases = conn.execute(select(func.count()).select_from(Case)).scalar_one()
    assert (n, distinct) == (expected, expected)
    assert (low, high) == ("E0000000", f"E{expected - 1:07d}")  # ids are dense: all present
    assert cases == expected // 10


def test_sigkill_mid_ingest_then_rerun_stores_every_event_once(
    db_url: str, big_events: Path
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    batch = 1000
    proc = _ingest_process(big_events, db_url, batch)
    try:
        seen = 0
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            seen = count_events(engine)
            if TOTAL // 10 <= seen < TOTAL:  # well into the file, far from its end
                break
            time.sleep(0.005)
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the ingestion ended (exit {proc.returncode}) before it could be killed:"
                        f"\n{out}\n{err[-3000:]}")
        assert TOTAL // 10 <= seen < TOTAL
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    survived = count_events(engine)
    assert 0 < survived < TOTAL
    # Each batch is one transaction: what survived is whole batches.
    assert survived % batch == 0
    report = ingest(engine, big_events, batch_size=5000)
    assert (report.inserted, report.identical_duplicates) == (TOTAL - survived, survived)
    assert report.conflicts == [] and report.rejected == []
    _ids_exactly_once(engine, TOTAL)
    engine.dispose()


def test_two_ingestions_at_once_on_overlapping_files(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    total = 12_000
    first = write_events(tmp_path / "first.jsonl", range(0, 7_000))
    second = write_events(tmp_path / "second.jsonl", range(3_000, total))  # 4 000 in common
    procs = [_ingest_process(first, db_url, 500), _ingest_process(second, db_url, 500)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(_summary(out))
    inserted = sum(o[0] for o in outputs)
    identical = sum(o[1] for o in outputs)
    assert (inserted, identical) == (total, 4_000)
    assert all(o[2:] == (0, 0) for o in outputs)
    _ids_exactly_once(engine, total)
    engine.dispose()


@pytest.fixture
def issued(engine: Engine) -> int:
    """The id of one recorded decision."""
    record_run(engine, RULEBOOK, AS_OF, {}, [decision("k1")])
    return decision_chain(engine, "k1")[0]["id"]


def test_database_refuses_update_and_delete_of_decisions(engine: Engine, issued: int) -> None:
    statements = [
        update(Decision).where(Decision.id == issued).values(sanction="免予问责"),
        text("UPDATE decisions SET reason = 'edited'"),
        text("DELETE FROM decisions"),
        text("UPDATE sanction_history SET sanction = '免予问责'"),
    ]
    for statement in statements:
        with pytest.raises(DatabaseError, match="immutable"), engine.begin() as conn:
            conn.execute(statement)
    chain = decision_chain(engine, "k1")
    assert len(chain) == 1 and chain[0]["body"]["sanction"] == "效能告诫"
    assert chain[0]["reason"] is None


def test_orm_refuses_to_change_a_decision(engine: Engine, issued: int) -> None:
    with Session(engine) as session:
        row = session.get(Decision, issued)
        assert row is not None
        row.sanction = "免予问责"
        with pytest.raises(ImmutableRowError):
            session.flush()
        session.rollback()
        row = session.get(Decision, issued)
        assert row is not None
        session.delete(row)
        with pytest.raises(ImmutableRowError):
            session.flush()
        session.rollback()
        history = session.scalars(select(SanctionHistory)).one()
        history.sanction = "免予问责"
        with pytest.raises(ImmutableRowError):
            session.flush()


def test_a_correction_inserts_a_superseding_row(engine: Engine, issued: int) -> None:
    result = record_run(engine, RULEBOOK, AS_OF, {"review": 1},
                        [decision("k1", sanction=None)], reason="不可抗力，免予问责")
    assert (result.decisions_added, result.superseded) == (1, 1)
    old, new = decision_chain(engine, "k1")
    assert old["id"] == issued and old["body"]["sanction"] == "效能告诫"
    assert new["supersedes"] == issued and new["reason"].startswith("不可抗力")


def test_concurrent_runs_issue_each_decision_once(engine: Engine) -> None:
    """Four evaluations (other parameters, same decisions) recorded at the same moment from four
    threads: four runs, and each decision stored exactly once."""
    decisions = [decision(f"k{i}", person=f"P{i}") for i in range(30)]
    barrier = threading.Barrier(4)
    results = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            results.append(record_run(engine, RULEBOOK, AS_OF, {"worker": n}, decisions))
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(r.created for r in results) and len({r.run_id for r in results}) == 4
    assert sum(r.decisions_added for r in results) == 30
    assert sum(r.unchanged for r in results) == 90
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Decision)).scalar_one() == 30
