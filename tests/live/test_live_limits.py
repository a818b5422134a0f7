"""The durable_rules 2.0.28 limits live mode contains, each exercised for real: the limit itself
is shown on the durable_rules core (in a subprocess, since the core never gives the memory of
its sessions back), then live mode goes past it and still equals batch evaluation."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import wenze
from wenze.engine.evaluate import evaluate
from wenze.events.readers import Event, read_jsonl
from wenze.live.engine import CHINA, LiveEngine, VirtualClock
from wenze.live.rules import SHARDS, shard_of

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2024, 1, 1, tzinfo=CHINA)
RULEBOOK = ROOT / "tests" / "cases" / "warnings_open_cases" / "rulebook.wz"
PEOPLE = ["甲", "乙", "丙"]


def _events(rows: list[dict[str, Any]]) -> list[Event]:
    batch = read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<limits>")
    assert not batch.rejected
    return list(batch.events)


def _state(engine: LiveEngine) -> tuple[list, list]:
    return [d.to_json() for d in engine.decisions()], [w.to_json() for w in engine.warnings()]


def _batch(program: Any, events: list[Event], as_of: dt.date) -> tuple[list, list]:
    res = evaluate(program, events, as_of)
    return [d.to_json() for d in res.decisions], [w.to_json() for w in res.warnings]


def test_the_session_limit_is_real_in_the_durable_rules_core() -> None:
    code = """
import json, durable_rules_engine as core
h = core.create_ruleset("limit", json.dumps({"r": {"all": [{"m": {"t": "e"}}]}}))
for i in range(2000):
    try:
        code, state = core.assert_event(h, json.dumps({"sid": f"s{i}", "t": "e"}))
    except MemoryError:
        print("MemoryError at session", i + 1)
        break
    core.start_action_for_state(h, state)
    core.complete_and_start_action(h, state)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip() == "MemoryError at session 1025", proc.stderr


def _short(tmp_path: Path) -> wenze.Rulebook:
    """The test rulebook with a 3-working-day limit, so every case is late within days."""
    path = tmp_path / "short.wz"
    path.write_text(RULEBOOK.read_text("utf-8").replace("法定时限 20 工作日", "法定时限 3 工作日"),
                    "utf-8")
    return wenze.load(path)


def test_two_thousand_open_cases_share_the_sessions(tmp_path: Path) -> None:
    """2,000 open cases (twice the core's limit) each with its own deadline: live output on
    the day every one of them is late equals batch evaluation."""
    rb = _short(tmp_path)
    rows = [{"id": f"m{i}", "case": f"M{i:05d}", "type": "accepted",
             "at": f"2024-06-{3 + i % 5:02d}T09:00:00+08:00", "item": "许可",
             "actor": PEOPLE[i % 3], "post": "首席代表"} for i in range(2000)]
    events = _events(rows)
    assert len({shard_of(e.case) for e in events}) == SHARDS < 1024
    engine = LiveEngine(rb.program, VirtualClock(START))
    engine.submit_many(events)
    assert engine.open_cases == 2000
    engine.advance_to(dt.date(2024, 6, 14))
    want = _batch(rb.program, events, dt.date(2024, 6, 14))
    assert len(want[1]) == 2000 and len(want[0]) >= 2000
    assert _state(engine) == want
    engine.close()


def test_many_reloads_of_changed_rulebooks_in_one_process(tmp_path: Path) -> None:
    """A ruleset name can be registered only once in durable's host and the host cannot unload
    one: live mode reloads changed rulebooks again and again in one process, each time under a
    new name, the old ruleset deleted, the state equal to batch under the new rules."""
    text = RULEBOOK.read_text("utf-8")
    assert "法定时限 20 工作日" in text
    books = []
    for limit in (5, 8, 12, 20):
        path = tmp_path / f"limit{limit}.wz"
        path.write_text(text.replace("法定时限 20 工作日", f"法定时限 {limit} 工作日"), "utf-8")
        books.append(wenze.load(path))
    rows = [{"id": f"r{i}-{k}", "case": f"R{i}", "type": typ, "item": "许可",
             "actor": PEOPLE[i % 3], "post": "首席代表",
             "at": f"2024-06-{3 + i:02d}T{9 + k:02d}:00:00+08:00"}
            for i in range(4) for k, typ in enumerate(("received", "accepted"))]
    events = _events(rows)
    engine = LiveEngine(books[0].program, VirtualClock(START))
    engine.submit_many(events)
    names = {engine.ruleset_name}
    day = dt.date(2024, 6, 10)
    old_rules: list[Any] = []
    for n in range(24):
        book = books[(n + 1) % len(books)]
        old_rules.append(engine._rules)
        engine.reload(book)
        assert engine.ruleset_name not in names
        names.add(engine.ruleset_name)
        day += dt.timedelta(days=2)
        engine.advance_to(day)
        assert _state(engine) == _batch(book.program, events, day), (n, day)
    assert engine.generation == 25
    with pytest.raises(RuntimeError, match="closed"):
        old_rules[0].post_event("R0", 1)  # the old ruleset is gone from the core
    late = _events([{"id": "late", "case": "R9", "type": "accepted", "item": "许可",
                     "actor": "甲", "post": "首席代表", "at": f"{day}T09:00:00+08:00"}])
    engine.submit_many(late)  # and the new one takes events
    assert _state(engine) == _batch(engine.program, events + late, day)


def test_threads_posting_while_the_clock_moves_and_a_consumer_reads(tmp_path: Path) -> None:
    """The core has no locks and never releases the GIL: 8 threads post, one thread moves
    the clock, one consumer applies the callback stream; nothing is lost or duplicated."""
    rb = wenze.load(RULEBOOK)
    rows = []
    for i in range(400):
        for j, typ in enumerate(("received", "accepted")):
            rows.append({"id": f"t{i}-{j}", "case": f"T{i:03d}", "type": typ,
                         "at": f"2024-06-{3 + i % 10:02d}T0{8 + j}:00:00+08:00",
                         "item": "许可", "actor": PEOPLE[i % 3], "post": "首席代表"})
        if i % 4 == 0:
            rows.append({"id": f"t{i}-d", "case": f"T{i:03d}", "type": "decided",
                         "at": f"2024-07-{1 + i % 20:02d}T16:00:00+08:00", "item": "许可",
                         "actor": PEOPLE[i % 3], "post": "首席代表",
                         "data": {"outcome": "准予许可"}})
    events = _events(rows)
    seen: list[dict[str, Any]] = []
    order = threading.Lock()

    def consume(item: dict[str, Any]) -> None:
        with order:
            seen.append(item)

    engine = LiveEngine(rb.program, VirtualClock(START), on_output=consume,
                        follow_events=False)
    errors: list[BaseException] = []

    def poster(part: list[Event]) -> None:
        try:
            for ev in part:
                engine.submit(ev)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    def clock() -> None:
        try:
            day = dt.date(2024, 6, 1)
            while day < dt.date(2024, 7, 25):
                day += dt.timedelta(days=1)
                engine.advance_to(day)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=poster, args=(events[k::8],)) for k in range(8)]
    threads.append(threading.Thread(target=clock))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as CPython can: real interleavings
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    end = dt.date(2024, 7, 31)
    engine.advance_to(end)
    want = _batch(rb.program, events, end)
    assert want[0] and want[1]
    assert _state(engine) == want
    assert engine._rules.posted >= len(events)  # every event went through durable_rules
    held: dict[str, dict] = {}
    for item in seen:
        r = item["record"]
        if item["kind"] == "decision":
            held[r["key"]] = r
        elif item["kind"] == "decision_withdrawn":
            del held[r["key"]]
    assert sorted(held) == sorted(d["key"] for d in want[0])
