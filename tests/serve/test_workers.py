"""``wenze serve --workers 2`` over real HTTP, on SQLite and PostgreSQL: two worker processes
store events and hand them to the one judge in the supervising process; what the service says
equals a batch evaluation of what it stored, whichever worker answers; access per unit holds
through the forwarded reads; the stream resumes without gaps or repeats; a worker killed in the
middle of a load, or events stored behind the service's back, leave the judge complete."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import (
    CASELOAD,
    RULEBOOK,
    TODAY,
    Server,
    alive,
    batch_json,
    start_server,
    synthetic_events,
    wenze,
)
from tests.serve.test_api import all_decisions, stream

BOUND = 120.0  # seconds any wait below may take (a bound, not a measurement)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def two_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Any:
    folder = tmp_path_factory.mktemp(f"workers-{request.param}")
    server, db = start_server(request.param, folder, "--today", TODAY, "--workers", "2")
    try:
        yield server
    finally:
        server.stop()
        db.close()


def test_two_workers_serve_what_one_judge_says_equal_to_batch(two_workers: Server) -> None:
    server = two_workers
    assert len(server.workers()) == 2
    admin = server.tokens["admin"]
    lines = [line for line in CASELOAD.read_text(encoding="utf-8").splitlines() if line.strip()]
    parts = [lines[k::4] for k in range(4)]  # 4 clients at once: both workers take requests
    answers: list[Any] = []

    def post(part: list[str]) -> None:
        answers.append(server.call("POST", "/v1/events", admin, "\n".join(part),
                                   "application/x-ndjson"))

    threads = [threading.Thread(target=post, args=(p,)) for p in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=BOUND)
    assert [a.status for a in answers] == [200] * 4, [a.text for a in answers]
    assert sum(a.json["stored"] for a in answers) == len(lines)

    batch = batch_json(RULEBOOK, CASELOAD, TODAY)
    assert all_decisions(server, admin) == batch["decisions"]
    assert server.call("GET", "/v1/warnings", admin).json["warnings"] == batch["warnings"]
    ready = server.call("GET", "/readyz").json
    assert ready["status"] == "ready" and ready["backlog"] == 0

    # the judge's metrics, through whichever worker answers
    metrics = server.call("GET", "/metrics", server.tokens["supervisor"]).text
    assert f'wenze_events_received_total{{status="stored"}} {len(lines)}' in metrics
    red = sum(1 for w in batch["warnings"] if w["level"] == "red")
    assert f'wenze_warnings{{level="red"}} {red}' in metrics

    # a unit reads its own cases and decisions only, through the forwarded reads
    jianshe = server.tokens["jianshe"]
    own = [d for d in batch["decisions"] if d["unit"] == "县建设局"]
    other = next(d for d in batch["decisions"] if d["unit"] != "县建设局")
    assert server.call("GET", "/v1/decisions?limit=1000", jianshe).json["decisions"] == own
    assert server.call("GET", f"/v1/cases/{other['case']}", jianshe).status == 403
    assert server.call("GET", f"/v1/decisions/{other['key']}", jianshe).status == 403
    assert server.call("GET", "/v1/warnings?unit=县国土资源局", jianshe).status == 403
    assert server.call("GET", "/v1/cases/NO-SUCH-CASE", admin).status == 404
    letter = server.call("GET", f"/v1/decisions/{own[0]['key']}?format=text", jianshe)
    assert letter.status == 200 and own[0]["person"] in letter.text

    # the stream: every output once, in order, resumable from any id
    everything = stream(server, admin)
    assert [i for i, _, _ in everything] == sorted({i for i, _, _ in everything})
    middle = everything[len(everything) // 2][0]
    assert stream(server, admin, middle) == [e for e in everything if e[0] > middle]

    # the virtual clock moves the judge; the outputs are those of batch as of that day
    later = "2024-07-31"
    moved = server.call("POST", "/v1/clock", admin, {"to": later})
    assert moved.status == 200, moved.text
    assert moved.json["today"] == later
    assert all_decisions(server, admin) == batch_json(RULEBOOK, CASELOAD, later)["decisions"]


def test_a_read_right_after_an_answer_sees_the_post_whichever_worker_answers_it(
        tmp_path: Path) -> None:
    """A worker sends its stored events to the judge without waiting for it: a read that the
    other worker takes right after the answer must still see them (the judge first waits until
    it holds as many events as the store)."""
    server, db = start_server("sqlite", tmp_path, "--today", TODAY, "--workers", "2")
    try:
        admin = server.tokens["admin"]
        events = synthetic_events(20, "RYW")
        for ev in events:
            posted = server.call("POST", "/v1/events", admin, [ev])
            assert posted.status == 200 and posted.json["stored"] == 1, posted.text
            seen = server.call("GET", f"/v1/cases/{ev['case']}", admin)  # a new connection
            assert seen.status == 200, seen.text
            assert ev["id"] in {e["id"] for e in seen.json["events"]}
        assert server.call("GET", "/readyz").json["backlog"] == 0
    finally:
        server.stop()
        db.close()


def test_a_worker_killed_mid_load_and_events_stored_behind_the_service_are_judged(
        tmp_path: Path) -> None:
    server, db = start_server("sqlite", tmp_path, "--today", TODAY, "--workers", "2",
                              "--max-batch", "20000", "--max-body", str(16 * 1024 * 1024))
    try:
        admin = server.tokens["admin"]
        events = synthetic_events(2000, "WK")
        behind = synthetic_events(300, "BH")  # stored by `wenze ingest`, not through HTTP
        batches = [events[i:i + 50] for i in range(0, len(events), 50)]
        answered = threading.Semaphore(0)
        failures: list[str] = []

        def post_all(part: list[list[dict[str, Any]]]) -> None:
            for batch in part:
                for _attempt in range(20):  # a request to the killed worker is sent again
                    try:
                        answer = server.call("POST", "/v1/events", admin, batch, timeout=60)
                    except OSError:
                        time.sleep(0.2)
                        continue
                    if answer.status == 200:
                        answered.release()
                        break
                    if answer.status != 503:
                        failures.append(answer.text)
                        return
                    time.sleep(0.2)
                else:
                    failures.append("no 200 after 20 attempts")
                    return

        threads = [threading.Thread(target=post_all, args=(batches[k::4],)) for k in range(4)]
        for t in threads:
            t.start()
        for _ in range(len(batches) // 3):
            assert answered.acquire(timeout=BOUND), "no answer from the service"
        victim = server.workers()[0]
        path = tmp_path / "behind.jsonl"
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in behind),
                        encoding="utf-8")
        done = wenze("ingest", str(path), "--db", server.db, "--quiet")
        assert done.returncode == 0, done.stderr
        os.kill(victim, signal.SIGKILL)
        for t in threads:
            t.join(timeout=BOUND)
        assert not failures, failures[:3]
        deadline = time.monotonic() + BOUND
        while alive(victim):  # (a killed process takes a moment to exit)
            assert time.monotonic() < deadline, "the killed worker is still running"
            time.sleep(0.05)

        everything = tmp_path / "all.jsonl"
        everything.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n"
                                      for e in events + behind), encoding="utf-8")
        batch = batch_json(RULEBOOK, everything, TODAY)
        deadline = time.monotonic() + BOUND
        while all_decisions(server, admin) != batch["decisions"]:
            assert time.monotonic() < deadline, "the judge never saw the events stored " \
                                                "behind the service"
            time.sleep(0.5)
        assert server.call("GET", "/v1/warnings", admin).json["warnings"] == batch["warnings"]
        assert len(server.workers()) == 2  # uvicorn started another
        assert "had not handed to the judge are judged now" in server.log()
    finally:
        server.stop()
        db.close()


def test_workers_must_be_at_least_one() -> None:
    done = wenze("serve", "--rulebook", str(RULEBOOK), "--workers", "0")
    assert done.returncode == 2
    assert "--workers" in done.stderr
