"""Live mode with a rulebook family: the live engine judges each act by the version in force when
it was established, and switches to a new version at midnight of its 生效 day — what it holds on
a day equals the batch family evaluation as of that day (``wenze.engine.versions``), on the
shipped example's caseload and on simulated caseloads straddling the change; the output stream,
applied in order, leads to the same decisions."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("durable")

from wenze.dsl.family import load_family
from wenze.engine.versions import VersionProgram, evaluate_versions, lower_family
from wenze.events.readers import Event, read_jsonl
from wenze.live.engine import CHINA, LiveEngine, VirtualClock, replay
from wenze.simulate.caseload import Profile, generate, load_profile

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "rules" / "versions" / "family.wz"
EVENTS = ROOT / "examples" / "versions" / "caseload.jsonl"
CHANGE = dt.date(2022, 1, 1)  # the 2022 version's 生效


@functools.cache
def _versions() -> tuple[VersionProgram, ...]:
    family = load_family(FAMILY)
    assert family.ok
    return tuple(lower_family(family))


def _batch(events: list[Event], as_of: dt.date) -> tuple[list, list]:
    res = evaluate_versions(_versions(), events, as_of)
    return [d.to_json() for d in res.decisions], [w.to_json() for w in res.warnings]


def _live(engine: LiveEngine) -> tuple[list, list]:
    return [d.to_json() for d in engine.decisions()], [w.to_json() for w in engine.warnings()]


def _legal(d: dict) -> str:  # a decision without what grows each day while a case is open
    return json.dumps({k: v for k, v in d.items() if k not in ("as_of", "facts")},
                      sort_keys=True, ensure_ascii=False)


def _stream(items: list[dict[str, Any]]) -> dict[str, dict]:
    decisions: dict[str, dict] = {}
    for item in items:
        if item["kind"] == "decision":
            decisions[item["record"]["key"]] = item["record"]
        elif item["kind"] == "decision_withdrawn":
            del decisions[item["record"]["key"]]
    return decisions


def _assert_same(engine: LiveEngine, events: list[Event], as_of: dt.date) -> list[dict]:
    want_d, want_w = _batch(events, as_of)
    got_d, got_w = _live(engine)
    assert got_w == want_w
    assert got_d == want_d
    stream = _stream(engine.drain())
    assert sorted(map(_legal, stream.values())) == sorted(map(_legal, want_d))
    return want_d


def _shipped() -> list[Event]:
    return list(read_jsonl(EVENTS.read_text(encoding="utf-8").splitlines(), str(EVENTS)).events)


@functools.cache
def _harsh() -> Profile:
    """More cases near their limits and decisions without the power (as in
    tests/fast/test_versions_columnar.py): what the two versions judge differently."""
    data = copy.deepcopy(load_profile().data)
    data["items"]["default"].update(on_the_spot=0.3, median_fraction=0.9, median_days=15.0)
    data["decision"]["unauthorized"] = 0.05
    data["suspension"].update(rate=0.2, unlisted_reason=0.3)
    return Profile(data, "harsh")


def test_replay_of_the_shipped_caseload_equals_batch() -> None:
    events = _shipped()
    for as_of in (dt.date(2021, 12, 31), dt.date(2022, 6, 30)):
        engine = replay(_versions(), events, as_of)
        try:
            _assert_same(engine, events, as_of)
        finally:
            engine.close()


@pytest.mark.parametrize("seed", [3, 8])
def test_a_simulated_caseload_straddling_the_change_equals_batch(seed: int) -> None:
    events = generate(_versions()[0].program, _harsh(), cases=80, seed=seed,
                      start=dt.date(2021, 9, 1))
    seen: set[str] = set()
    for as_of in (dt.date(2021, 12, 31), CHANGE, dt.date(2022, 5, 31)):
        engine = replay(_versions(), events, as_of)
        try:
            want = _assert_same(engine, events, as_of)
        finally:
            engine.close()
        seen |= {d["version"] for d in want}
    assert seen == {"2019", "2022"}  # acts judged under both versions


def test_the_clock_advanced_across_the_effective_date_switches_at_midnight() -> None:
    events = _shipped()
    before = [e for e in events if e.at.date() < CHANGE]
    engine = LiveEngine(_versions(), VirtualClock(
        dt.datetime.combine(min(e.at.date() for e in events), dt.time(), CHINA)))
    try:
        for ev in sorted(before, key=lambda e: (e.at, e.id)):
            engine.submit(ev)
        engine.advance_to(dt.date(2021, 12, 31))
        _assert_same(engine, before, dt.date(2021, 12, 31))
        assert engine.program is _versions()[0].program
        # no event at all: the clock alone crosses midnight into the 2022 version
        engine.advance_to(dt.datetime(2022, 1, 3, 9, 0, tzinfo=CHINA))
        assert engine.program is _versions()[1].program
        out = engine.drain()
        switched = [o for o in out if o["kind"] == "decision"
                    and o["record"]["version"] == "2022"]
        assert switched and {o["at"] for o in switched} == {"2022-01-01"}  # on the day itself
        assert any("从旧兼从轻" in str(o["record"]) for o in switched)
        want_d, want_w = _batch(before, dt.date(2022, 1, 3))
        assert _live(engine) == (want_d, want_w)
    finally:
        engine.close()


def test_wenze_live_with_a_family_ends_where_batch_does() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "wenze", "live", str(FAMILY), "--clock", "virtual", "--as-of",
         "2022-06-30"], input=EVENTS.read_text(encoding="utf-8"), capture_output=True,
        text=True, encoding="utf-8", check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    items = [json.loads(line) for line in done.stdout.splitlines()]
    want, _ = _batch(_shipped(), dt.date(2022, 6, 30))
    assert sorted(map(_legal, _stream(items).values())) == sorted(map(_legal, want))
    assert {d["version"] for d in want} == {"2019", "2022"}
