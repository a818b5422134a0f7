"""``wenze live`` as an approval system's pipe would use it: events written one line at a time
into a process whose stdin stays open (``tail -f events.jsonl | wenze live RULEBOOK``), each
output line read back *before* stdin is closed; with the virtual clock (replaying a log) and
with the wall clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest

import wenze
from wenze.engine.evaluate import evaluate
from wenze.events.readers import read_jsonl
from wenze.live.engine import CHINA

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "cases" / "warnings_open_cases"
WAIT = 60.0  # seconds to wait for a line that must come (a loaded machine is slow to start)
# as a user's shell runs it: stdout to a pipe is block-buffered unless the program flushes
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


class _Lines:
    """The lines a process writes, read by a thread, so a test can wait for one with a
    timeout while the process keeps running."""

    def __init__(self, stream: IO[str]) -> None:
        self._q: queue.Queue[str | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._q.put(line)
        self._q.put(None)

    def until(self, wanted: Any, what: str) -> dict[str, Any]:
        """Read lines until one satisfies ``wanted``; fail (naming ``what``) at end of output
        or after WAIT seconds."""
        while True:
            try:
                line = self._q.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no {what} within {WAIT} s; got {self.seen}") from None
            if line is None:
                raise AssertionError(f"output ended before {what}; got {self.seen}")
            item = json.loads(line)
            self.seen.append(item)
            if wanted(item):
                return item

    def rest(self) -> list[dict[str, Any]]:
        items = []
        while (line := self._q.get(timeout=WAIT)) is not None:
            items.append(json.loads(line))
        self.seen += items
        return items


def _events() -> list[str]:
    lines = (CASE / "events.jsonl").read_text("utf-8").splitlines()
    return sorted(lines, key=lambda s: (json.loads(s)["at"], json.loads(s)["id"]))


def test_tail_f_pipe_gives_each_output_before_the_input_ends(tmp_path: Path) -> None:
    """A real ``tail -f`` feeding ``wenze live --clock virtual``: lines appended to the file one
    at a time come out as JSON lines while tail (and so stdin) is still open."""
    log = tmp_path / "events.jsonl"
    log.write_text("", "utf-8")
    cmd = (f"tail -n +1 -f {log} | {sys.executable} -m wenze live "
           f"{CASE / 'rulebook.wz'} --clock virtual")
    proc = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True, env=ENV)
    try:
        out = _Lines(proc.stdout)  # type: ignore[arg-type]
        events = _events()
        red = [e for e in events if '"W-RED' in e]
        with log.open("a", encoding="utf-8") as f:
            for line in red:  # W-RED received and accepted on 6 May
                f.write(line + "\n")
                f.flush()
            # a later event moves the virtual clock past W-RED's deadline: its warning and
            # decision come out now, while tail is still waiting for more
            f.write(json.dumps({"id": "LATER", "case": "LATER", "type": "received",
                                "at": "2024-06-20T09:00:00+08:00", "item": "许可",
                                "actor": "甲", "post": "首席代表"}, ensure_ascii=False) + "\n")
            f.flush()
            out.until(lambda i: i["kind"] == "warning" and i["record"]["case"] == "W-RED"
                      and i["record"]["level"] == "red", "red card for W-RED")
            assert proc.poll() is None  # still running: the input has not ended
            f.write("{not json\n")
            f.flush()
            bad = out.until(lambda i: i["kind"] == "rejected", "rejection of a bad line")
            assert bad["record"]["code"] == "bad_json"
            assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the pipeline this test started
        proc.wait(timeout=WAIT)
    # what came out is what batch evaluation says as of the clock's day (20 June)
    rows = [json.loads(line) for line in red]
    rb = wenze.load(CASE / "rulebook.wz")
    evs = list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<t>").events)
    res = evaluate(rb.program, evs, dt.date(2024, 6, 20))
    got = [i["record"] for i in out.seen if i["kind"] == "warning"]
    assert [(r["case"], r["level"]) for r in got][-1] == (
        res.warnings[0].case, res.warnings[0].level)


def test_stdin_kept_open_virtual_clock_then_as_of(tmp_path: Path) -> None:
    """Lines written one by one to the process's stdin: each output is readable before the next
    line is written; closing stdin moves the virtual clock to --as-of; the final stream equals
    batch evaluation as of that day."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wenze", "live", str(CASE / "rulebook.wz"), "--clock", "virtual",
         "--as-of", "2024-06-28"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    assert proc.stdin is not None and proc.stdout is not None
    out = _Lines(proc.stdout)
    try:
        proc.stdin.write('{"id": "x"}\n')  # a malformed event: rejected at once
        proc.stdin.flush()
        r = out.until(lambda i: i["kind"] == "rejected", "rejection")
        assert r["record"]["line"] == 1 and r["record"]["event_id"] == "x"
        for line in _events():
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        # the last events are on 3 June; W-RED (accepted 6 May) is already late then
        out.until(lambda i: i["kind"] == "decision", "a decision before the input ends")
        assert proc.poll() is None
    finally:
        proc.stdin.close()
    rest = out.rest()
    assert proc.wait(timeout=WAIT) == 0
    assert rest and all(i["at"] <= "2024-06-28" for i in rest)
    rb = wenze.load(CASE / "rulebook.wz")
    events = list(read_jsonl(_events(), "<t>").events)
    want = {(w.case, w.level) for w in evaluate(rb.program, events, dt.date(2024, 6, 28)).warnings}
    held: dict[str, str] = {}
    for i in out.seen:
        if i["kind"] == "warning":
            held[i["record"]["case"]] = i["record"]["level"]
        elif i["kind"] == "warning_cleared":
            held.pop(i["record"]["case"], None)
    assert set(held.items()) == want


def test_wall_clock_pipe_answers_at_once() -> None:
    """With the (default) wall clock, an event of a case accepted 40 days ago gives its red card
    and decision as soon as the line is read — judged as of today."""
    now = dt.datetime.now(CHINA)
    rows = [{"id": f"wall-{k}", "case": "WALL", "type": typ, "item": "许可", "actor": "甲",
             "post": "首席代表", "at": (now - dt.timedelta(days=40, hours=-k)).isoformat()}
            for k, typ in enumerate(("received", "accepted"))]
    proc = subprocess.Popen(
        [sys.executable, "-m", "wenze", "live", str(CASE / "rulebook.wz"), "--tick", "1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    assert proc.stdin is not None and proc.stdout is not None
    out = _Lines(proc.stdout)
    try:
        for r in rows:
            proc.stdin.write(json.dumps(r, ensure_ascii=False) + "\n")
            proc.stdin.flush()
        w = out.until(lambda i: i["kind"] == "warning", "a warning")
        assert w["at"] == now.date().isoformat() or w["at"] == dt.datetime.now(CHINA).date(
        ).isoformat()
        assert w["record"]["level"] == "red"
        out.until(lambda i: i["kind"] == "decision", "a decision")
        assert proc.poll() is None
    finally:
        proc.stdin.close()
    assert proc.wait(timeout=WAIT) == 0


def test_consumer_thread_iterates_outputs_as_they_arise() -> None:
    """An approval system's consumer thread: ``for item in engine.outputs(wait=True)`` gets
    each output as it arises and ends at ``close()``; it gets exactly what a callback gets."""
    from wenze.live.engine import LiveEngine, VirtualClock

    rb = wenze.load(CASE / "rulebook.wz")
    events = sorted(read_jsonl(_events(), "<t>").events, key=lambda e: (e.at, e.id))
    assert [e.case for e in events[:2]] == ["W-RED", "W-RED"]  # accepted 6 May: late by June
    start = dt.datetime(2024, 5, 1, tzinfo=CHINA)
    engine = LiveEngine(rb.program, VirtualClock(start))
    got: list[dict[str, Any]] = []
    first = threading.Event()

    def consume() -> None:
        for item in engine.outputs(wait=True):
            got.append(item)
            first.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    engine.submit_many(events[:2])
    engine.advance_to(dt.date(2024, 6, 10))
    assert first.wait(WAIT)  # the consumer had an output before the engine was closed
    engine.submit_many(events[2:])
    engine.advance_to(dt.date(2024, 6, 28))
    engine.close()
    consumer.join(WAIT)
    assert not consumer.is_alive()
    seen: list[dict[str, Any]] = []
    again = LiveEngine(rb.program, VirtualClock(start), on_output=seen.append)
    again.submit_many(events[:2])
    again.advance_to(dt.date(2024, 6, 10))
    again.submit_many(events[2:])
    again.advance_to(dt.date(2024, 6, 28))
    assert got == seen and any(i["kind"] == "decision" for i in got)
    assert list(engine.outputs(wait=True, timeout=0.01)) == []  # closed: returns at once
    with pytest.raises(RuntimeError, match="closed"):
        engine.submit(events[0])


class _MovableClock:
    """A clock that moves by itself like the wall clock (``set`` does nothing), but whose time
    the test chooses: so the clock thread's catching up can be watched without waiting days."""

    def __init__(self, now: dt.datetime) -> None:
        self.moment = now

    def now(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        pass


def test_clock_thread_fires_a_passed_deadline_with_no_event() -> None:
    """``start_clock``: time passes, nobody posts or ticks, and the red card and decision
    still come out (from the clock thread), equal to batch evaluation of that day."""
    from wenze.live.engine import LiveEngine

    rb = wenze.load(CASE / "rulebook.wz")
    events = sorted(read_jsonl(_events(), "<t>").events, key=lambda e: (e.at, e.id))[:2]
    clock = _MovableClock(dt.datetime(2024, 5, 6, 12, 0, tzinfo=CHINA))
    got: list[dict[str, Any]] = []
    decided = threading.Event()

    def on_output(item: dict[str, Any]) -> None:
        got.append(item)
        if item["kind"] == "decision":
            decided.set()

    engine = LiveEngine(rb.program, clock, on_output=on_output)  # type: ignore[arg-type]
    engine.submit_many(events)
    engine.start_clock(every=0.02)
    assert not decided.wait(0.3)  # nothing is late yet
    clock.moment = dt.datetime(2024, 6, 28, 8, 0, tzinfo=CHINA)  # weeks pass, no event
    assert decided.wait(WAIT)
    engine.close()
    assert not engine._ticker.is_alive()  # type: ignore[union-attr]
    assert engine.today == dt.date(2024, 6, 28)
    res = evaluate(rb.program, events, dt.date(2024, 6, 28))
    assert [w.to_json() for w in engine.warnings()] == [w.to_json() for w in res.warnings]
    assert [d.to_json() for d in engine.decisions()] == [d.to_json() for d in res.decisions]
    assert engine.clock_error is None
