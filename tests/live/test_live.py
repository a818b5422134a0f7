"""Live mode (``wenze.live.engine``): the live state equals batch evaluation as of the same day.

Every expectation here is computed by the batch evaluator (``evaluate``) on the same events; the
tests check that live mode — events posted one by one through durable_rules, the clock advanced
with no events — arrives at exactly the same warnings and decisions, and that the containments of
durable_rules' limits hold (sessions, reload, threads, large rulebooks, import failure).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import wenze
from wenze.dsl.diagnostics import RulebookError
from wenze.engine.evaluate import evaluate
from wenze.events.readers import Event, read_events, read_jsonl
from wenze.live.engine import CHINA, LiveEngine, VirtualClock, WallClock
from wenze.live.rules import SHARDS, LiveRules, shard_of

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(p for p in (ROOT / "tests" / "cases").iterdir()
               if (p / "events.jsonl").exists() and (p / "case.json").exists())
START = dt.datetime(2024, 1, 1, tzinfo=CHINA)


def _rulebook_text() -> str:
    """The joint-liability test rulebook plus the violations that read global context (A/B
    cover, leader holders) and the per-act facts, so random logs exercise them."""
    text = (ROOT / "tests" / "cases" / "joint_liability" / "rulebook.wz").read_text("utf-8")
    text = text.replace("责任 直接责任人\n", "责任 直接责任人、分管领导\n", 1)
    for name, cond in (("A岗在岗代理", "「A岗在岗代理」"),
                       ("决定越权", "「决定越权」 且 非 「A岗在岗代理」"),
                       ("延期越权", "「延期越权」"), ("补正告知逾期", "「补正告知逾期」"),
                       ("中止事由不合法", "「中止事由不合法」")):
        text += (f"\n违规 「{name}」 依据 「行政许可法」 \"第七十四条\" {{\n  针对 案件\n"
                 f"  当 {cond}\n  责任 直接责任人\n  阶梯 「效能问责」\n}}\n")
    return text


@pytest.fixture(scope="module")
def rulebook(tmp_path_factory: pytest.TempPathFactory) -> wenze.Rulebook:
    path = tmp_path_factory.mktemp("live") / "live.wz"
    path.write_text(_rulebook_text(), "utf-8")
    return wenze.load(path)


@pytest.fixture(scope="module")
def short_rulebook(tmp_path_factory: pytest.TempPathFactory) -> wenze.Rulebook:
    """The same rules with a 3-working-day limit, so warnings and violations come quickly."""
    path = tmp_path_factory.mktemp("live") / "short.wz"
    path.write_text(_rulebook_text().replace("法定时限 20 工作日", "法定时限 3 工作日"), "utf-8")
    return wenze.load(path)


def _batch(program: Any, events: list[Event], as_of: dt.date) -> tuple[list, list]:
    res = evaluate(program, events, as_of)
    return [d.to_json() for d in res.decisions], [w.to_json() for w in res.warnings]


def _live(engine: LiveEngine) -> tuple[list, list]:
    return [d.to_json() for d in engine.decisions()], [w.to_json() for w in engine.warnings()]


def _replay(program: Any, events: list[Event], as_of: dt.date,
            stops: list[dt.date] = ()) -> LiveEngine:  # type: ignore[assignment]
    engine = LiveEngine(program, VirtualClock(START))
    stops = sorted(stops)
    for ev in sorted(events, key=lambda e: (e.at, e.id)):
        if ev.at.date() > as_of:
            break
        while stops and stops[0] < ev.at.date():
            engine.advance_to(stops.pop(0))
        engine.submit(ev)
    engine.advance_to(as_of)
    return engine


def _stream_state(items: list[dict[str, Any]]) -> tuple[dict, dict]:
    """The decisions and warnings a consumer of the output stream holds at the end."""
    decisions: dict[str, dict] = {}
    warnings: dict[tuple, dict] = {}
    for item in items:
        r = item["record"]
        if item["kind"] == "decision":
            decisions[r["key"]] = r
        elif item["kind"] == "decision_withdrawn":
            del decisions[r["key"]]
        elif item["kind"] == "warning":
            warnings[(r["case"], r["step"])] = r
        elif item["kind"] == "warning_cleared":
            del warnings[(r["case"], r["step"])]
    return decisions, warnings


def _dumps(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def _legal(d: dict) -> dict:  # a decision without what grows each day while a case is open
    return {k: v for k, v in d.items() if k not in ("as_of", "facts")}


def _level(w: dict) -> dict:
    return {k: v for k, v in w.items()
            if k not in ("as_of", "days_left", "days_over", "percent_used")}


def _assert_same(engine: LiveEngine, program: Any, events: list[Event], as_of: dt.date) -> None:
    want_d, want_w = _batch(program, events, as_of)
    got_d, got_w = _live(engine)
    assert got_w == want_w
    assert got_d == want_d
    # the stream, applied in order, leads to the same records (up to the daily counters)
    stream_d, stream_w = _stream_state(engine.drain())
    assert sorted(map(_dumps, map(_legal, stream_d.values()))) == sorted(
        map(_dumps, map(_legal, want_d)))
    assert sorted(map(_dumps, map(_level, stream_w.values()))) == sorted(
        map(_dumps, map(_level, want_w)))


# ----------------------------------------------------------------------------- differential


@pytest.mark.parametrize("case_dir", CASES, ids=[p.name for p in CASES])
def test_shipped_cases_equal_batch(case_dir: Path) -> None:
    try:
        rb = wenze.load(case_dir / "rulebook.wz")
    except RulebookError:
        pytest.skip("the case is about a rulebook error")
    as_of = dt.date.fromisoformat(json.loads((case_dir / "case.json").read_text())["as_of"])
    events = list(read_events(case_dir / "events.jsonl").events)
    engine = _replay(rb.program, events, as_of)
    _assert_same(engine, rb.program, events, as_of)


def test_examples_caseload_equal_batch() -> None:
    script = ROOT / "examples" / "make_caseload.py"
    rules = ROOT / "rules" / "zitong_2008.wz"
    if not script.exists() or not rules.exists():
        pytest.skip("no examples caseload in this build")
    text = subprocess.run([sys.executable, str(script), str(rules)], capture_output=True,
                          text=True, check=True, cwd=ROOT).stdout
    events = list(read_jsonl(text.splitlines(), "caseload.jsonl").events)
    rb = wenze.load(rules)
    as_of = dt.date(2024, 6, 30)
    engine = _replay(rb.program, events, as_of, stops=[dt.date(2024, 3, 31)])
    _assert_same(engine, rb.program, events, as_of)


PEOPLE = ["甲", "乙", "丙"]
LEADERS = ["刘副", "孙副"]


@st.composite
def caseloads(draw: st.DrawFn) -> tuple[list[Event], dt.date, list[dt.date]]:
    rows: list[dict[str, Any]] = []
    base = dt.date(2024, 3, 1)

    def at(day: int, hour: int) -> str:
        return f"{base + dt.timedelta(days=day)}T{hour:02d}:00:00+08:00"

    def ev(case: str, typ: str, day: int, hour: int, post: str, actor: str | None = None,
           **data: Any) -> None:
        row: dict[str, Any] = {"id": f"e{len(rows)}", "case": case, "type": typ,
                               "at": at(day, hour), "post": post}
        if case:
            row["item"] = "许可"
        if actor:
            row["actor"] = actor
        if data:
            row["data"] = data
        rows.append(row)

    for i in range(draw(st.integers(1, 6))):
        case = f"C{i}"
        who = draw(st.sampled_from(PEOPLE))
        post = draw(st.sampled_from(["首席代表", "窗口"]))
        r = draw(st.integers(0, 40))
        ev(case, "received", r, 9, post, who)
        if draw(st.booleans()):
            ev(case, "corrections_requested", r + draw(st.integers(0, 8)), 10, post, who)
        acc = r + draw(st.integers(0, 3))
        if draw(st.booleans()):
            ev(case, "accepted", acc, 11, post, who)
        if draw(st.booleans()):
            s = acc + draw(st.integers(0, 10))
            ev(case, "suspended", s, 12, post, who,
               reason=draw(st.sampled_from(["专家评审", "领导出差"])))
            ev(case, "resumed", s + draw(st.integers(1, 10)), 12, post, who)
        if draw(st.booleans()):
            ev(case, "extension_granted", acc + draw(st.integers(5, 35)), 14,
               draw(st.sampled_from(["局长", "首席代表"])), "王局", days=10)
        if draw(st.booleans()):
            ev(case, "corrections_supplied", acc + draw(st.integers(1, 10)), 15, "副局长",
               draw(st.sampled_from(LEADERS)), role="reviewer")
        if draw(st.booleans()):
            ev(case, "decided", acc + draw(st.integers(1, 45)), 16, post, who,
               outcome="准予许可")
    if draw(st.booleans()):  # the A post away for a while (a caseless cover event)
        a = draw(st.integers(0, 50))
        ev("", "absent", a, 8, "首席代表", "陈首席")
        ev("", "returned", a + draw(st.integers(1, 15)), 8, "首席代表", "陈首席")
    batch = read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<hypothesis>")
    assert not batch.rejected, batch.rejected
    as_of = base + dt.timedelta(days=draw(st.integers(10, 110)))
    stops = [base + dt.timedelta(days=d)
             for d in draw(st.lists(st.integers(0, 110), max_size=3))]
    return list(batch.events), as_of, stops


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caseloads())
def test_random_logs_equal_batch(rulebook: wenze.Rulebook,
                                 load: tuple[list[Event], dt.date, list[dt.date]]) -> None:
    events, as_of, stops = load
    engine = _replay(rulebook.program, events, as_of, stops)
    _assert_same(engine, rulebook.program, events, as_of)


@pytest.fixture(scope="module")
def solo_rulebook(tmp_path_factory: pytest.TempPathFactory) -> wenze.Rulebook:
    """The same rules without joint liability (连带): live mode then updates the facts of an
    unchanged offence without running the ladder again — checked against batch here."""
    joint = "  连带 第 3 次 分管领导、主要领导 「效能告诫」\n"
    text = _rulebook_text()
    assert joint in text
    path = tmp_path_factory.mktemp("live") / "solo.wz"
    path.write_text(text.replace(joint, ""), "utf-8")
    rb = wenze.load(path)
    assert not any(ladder.joint for ladder in rb.program.ladders.values())
    return rb


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caseloads())
def test_random_logs_equal_batch_without_joint_liability(
        solo_rulebook: wenze.Rulebook, load: tuple[list[Event], dt.date, list[dt.date]]) -> None:
    events, as_of, stops = load
    engine = _replay(solo_rulebook.program, events, as_of, stops)
    _assert_same(engine, solo_rulebook.program, events, as_of)


# ------------------------------------------------- random arrival orders (issue 15, hypothesis)

LIVE_EXAMPLES = int(os.environ.get("WENZE_FUZZ_LIVE_EXAMPLES", "12"))
LIVE_LONG = "WENZE_FUZZ_LIVE_EXAMPLES" in os.environ
SIMULATED_RULEBOOKS = ("zitong_2008.wz", "luzhou_2009.wz", "yingshan_2009.wz", "fujian_2010.wz",
                       "foshan_2005.wz")
_LOADED: dict[str, Any] = {}


def _shipped_program(name: str) -> Any:
    if name not in _LOADED:
        _LOADED[name] = wenze.load(ROOT / "rules" / name).program
    return _LOADED[name]


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[str, Any, list[Event], list[tuple[int, dt.date]],
                                       dt.date]:
    """A caseload, the order its events arrive in, the days the clock is moved to between
    arrivals, and the day to compare on: a shipped rulebook (its items, posts, powers, ladders)
    and a simulated caseload under a drawn profile — few officials a post (the same people
    offend again: higher degrees, joint liability), drawn rates of suspensions, correction
    notices, unauthorised extensions and decisions, absences and covers — or a hand-drawn log of
    the joint-liability rulebook; events arriving in a drawn order (a case's late events after
    the clock has passed them), the clock advanced to drawn days in between."""
    from wenze.simulate.caseload import Profile, generate, load_profile

    if draw(st.integers(0, 3)) == 0:
        hand, _as_of, _stops = draw(caseloads())
        name, events = "joint_liability", hand
        program = None
    else:
        name = draw(st.sampled_from(SIMULATED_RULEBOOKS))
        program = _shipped_program(name)
        data = json.loads(json.dumps(load_profile().data))
        rate = st.sampled_from([0.0, 0.05, 0.2, 0.5])
        data["period"] = {"start": "2024-03-01", "end": "2024-05-31", "as_of": "2024-05-31"}
        data["staff"]["officials_per_post"] = draw(st.integers(1, 3))
        data["items"]["default"]["on_the_spot"] = draw(st.sampled_from([0.0, 0.5, 0.9]))
        data["items"]["default"]["median_days"] = draw(st.sampled_from([2.0, 8.0, 25.0]))
        data["suspension"]["rate"] = draw(rate)
        data["corrections"]["rate"] = draw(rate)
        data["corrections"]["late_notice"] = draw(rate)
        data["corrections"]["second_notice"] = draw(rate)
        data["extension"]["unauthorized"] = draw(rate)
        data["decision"]["unauthorized"] = draw(rate)
        data["absences"]["per_post_per_year"] = draw(st.sampled_from([0, 6, 40]))
        data["absences"]["cover_while_present"] = draw(rate)
        events = generate(program, Profile(data, "<hypothesis>"), cases=draw(st.integers(1, 25)),
                          seed=draw(st.integers(0, 2**16)))
    if not events:
        events = []
    order = draw(st.sampled_from(["time", "file", "shuffled", "reversed", "by id"]))
    if order == "time":
        events = sorted(events, key=lambda e: (e.at, e.id))
    elif order == "shuffled":
        events = draw(st.permutations(events))
    elif order == "reversed":
        events = events[::-1]
    elif order == "by id":
        events = sorted(events, key=lambda e: e.id)
    days = sorted(e.at.date() for e in events) or [dt.date(2024, 3, 1)]
    first, last = days[0], days[-1]
    as_of = first + dt.timedelta(days=draw(st.integers(0, (last - first).days + 60)))
    stops = sorted(draw(st.lists(st.tuples(st.integers(0, len(events)),
                                           st.integers(0, (as_of - first).days)), max_size=4)))
    moves = [(position, first + dt.timedelta(days=d)) for position, d in stops]
    return name, program, list(events), moves, as_of


@settings(max_examples=LIVE_EXAMPLES, deadline=None, derandomize=not LIVE_LONG,
          suppress_health_check=list(HealthCheck), database=None)
@given(arrivals())
def test_random_caseloads_in_random_arrival_orders_equal_batch(
        rulebook: wenze.Rulebook,
        load: tuple[str, Any, list[Event], list[tuple[int, dt.date]], dt.date]) -> None:
    """Live mode fed a caseload's events in any arrival order, its clock moved forward to drawn
    days in between (events of days the clock has passed arrive late; events after the day
    compared on are not sent), holds on the day what a batch evaluation as of that day gives:
    the same decisions, warnings and — applied in order — the same output stream."""
    name, program, events, moves, as_of = load
    note(f"rulebook {name}, {len(events)} events, clock moves {moves}, as of {as_of}")
    program = program or rulebook.program
    sent = [e for e in events if e.at.date() <= as_of]
    engine = LiveEngine(program, VirtualClock(min(
        (dt.datetime.combine(e.at.date(), dt.time(), CHINA) for e in sent), default=START)))
    try:
        moves = list(moves)
        for position, ev in enumerate(sent):
            while moves and moves[0][0] <= position:
                day = moves.pop(0)[1]
                if day > engine.today:
                    engine.advance_to(day)
            engine.submit(ev)
        if as_of > engine.today:
            engine.advance_to(as_of)
        _assert_same(engine, program, sent, as_of)
    finally:
        engine.close()


# ----------------------------------------------------------------------------- time


def _open_case(rb: wenze.Rulebook) -> list[Event]:
    rows = [
        {"id": "o1", "case": "OPEN", "type": "received", "at": "2024-06-03T09:00:00+08:00",
         "item": "许可", "actor": "甲", "post": "首席代表"},
        {"id": "o2", "case": "OPEN", "type": "accepted", "at": "2024-06-03T10:00:00+08:00",
         "item": "许可", "actor": "甲", "post": "首席代表"},
    ]
    return list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<t>").events)


def test_deadline_passing_without_events_emits_on_its_day(rulebook: wenze.Rulebook) -> None:
    """The warning levels and the violation appear on the first day batch evaluation shows
    them, with no event after acceptance: only the clock moves."""
    program = rulebook.program
    events = _open_case(rulebook)
    seen: list[dict[str, Any]] = []
    engine = LiveEngine(program, VirtualClock(START), on_output=seen.append)
    engine.submit_many(events)
    end = dt.date(2024, 7, 20)
    engine.advance_to(end)
    first_level: dict[str, str] = {}
    first_decision: str | None = None
    day = dt.date(2024, 6, 3)
    while day <= end:
        res = evaluate(program, events, day)
        for w in res.warnings:
            first_level.setdefault(w.level, day.isoformat())
        if res.decisions and first_decision is None:
            first_decision = day.isoformat()
        day += dt.timedelta(days=1)
    assert set(first_level) == {"notice", "yellow", "red"}  # the case really goes through all
    got = {o["record"]["level"]: o["at"] for o in seen if o["kind"] == "warning"}
    assert got == first_level
    assert first_decision is not None
    assert next(o["at"] for o in seen if o["kind"] == "decision") == first_decision
    assert engine.drain() == []  # with a callback, nothing piles up for the iterator
    again = LiveEngine(program, VirtualClock(START))
    again.submit_many(events)
    again.advance_to(end)
    assert list(again.outputs()) == seen  # the iterator gives what the callback got


def test_open_late_case_day_by_day_equals_batch(solo_rulebook: wenze.Rulebook,
                                                 rulebook: wenze.Rulebook) -> None:
    """Each day after the deadline the open case's facts (days over) grow: the current
    decisions equal batch evaluation every day, with and without joint liability, while the
    stream says each decision once."""
    for rb in (solo_rulebook, rulebook):
        events = _open_case(rb)
        engine = LiveEngine(rb.program, VirtualClock(START))
        engine.submit_many(events)
        day = dt.date(2024, 7, 1)
        facts_seen = set()
        while day <= dt.date(2024, 7, 20):
            engine.advance_to(day)
            assert _live(engine) == _batch(rb.program, events, day), day
            facts_seen |= {json.dumps(d.to_json()["facts"], sort_keys=True)
                           for d in engine.decisions()}
            day += dt.timedelta(days=1)
        assert len(facts_seen) > 5  # the facts really changed from day to day
        decided = [o for o in engine.drain() if o["kind"] == "decision"]
        assert len(decided) == len({o["record"]["key"] for o in decided})


def test_decided_case_is_settled_and_not_rechecked(rulebook: wenze.Rulebook) -> None:
    events = _open_case(rulebook)
    rows = [{"id": "o3", "case": "OPEN", "type": "decided", "at": "2024-06-05T10:00:00+08:00",
             "item": "许可", "actor": "甲", "post": "首席代表", "data": {"outcome": "准予许可"}}]
    events += list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<t>").events)
    engine = LiveEngine(rulebook.program, VirtualClock(START))
    engine.submit_many(events[:2])
    assert engine.open_cases == 1
    engine.submit(events[2])
    assert engine.open_cases == 0
    engine.advance_to(dt.date(2024, 12, 31))
    assert [o for o in engine.drain() if o["at"] > "2024-06-05"] == []


def test_future_event_waits_for_its_day_with_a_fixed_clock(rulebook: wenze.Rulebook) -> None:
    events = _open_case(rulebook)
    engine = LiveEngine(rulebook.program, VirtualClock(START), follow_events=False)
    engine.submit_many(events)
    assert engine.today == START.date() and engine.warnings() == []
    engine.advance_to(dt.date(2024, 6, 30))
    _assert_same(engine, rulebook.program, events, dt.date(2024, 6, 30))


def test_wall_clock_judges_as_of_today(rulebook: wenze.Rulebook) -> None:
    now = WallClock().now()
    rows = [{"id": f"w{k}", "case": "WALL", "type": typ, "item": "许可", "actor": "甲",
             "post": "首席代表", "at": (now - dt.timedelta(days=40 - k)).isoformat()}
            for k, typ in enumerate(("received", "accepted"))]
    events = list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<w>").events)
    engine = LiveEngine(rulebook.program, WallClock())
    engine.submit_many(events)
    engine.tick()
    today = WallClock().now().date()
    assert engine.today == today
    res = evaluate(rulebook.program, events, today)
    assert _live(engine) == ([d.to_json() for d in res.decisions],
                             [w.to_json() for w in res.warnings])
    unjudged = [o for o in engine.drain() if o["kind"] == "unjudged"]
    assert [o["record"] for o in unjudged] == [u.to_json() for u in res.unjudged]


# ----------------------------------------------------------------------------- input


def test_bad_and_duplicate_events_are_reported_not_dropped(rulebook: wenze.Rulebook) -> None:
    engine = LiveEngine(rulebook.program, VirtualClock(START))
    good = {"id": "g1", "case": "X", "type": "received", "at": "2024-06-03T09:00:00+08:00",
            "item": "许可", "actor": "甲", "post": "首席代表"}
    engine.submit(good, line=1)
    engine.submit(dict(good), line=2)  # identical duplicate: ignored, as in batch reading
    engine.submit({**good, "actor": "乙"}, line=3)  # same id, other content
    engine.submit({"id": "g2", "case": "X", "type": "bogus", "at": good["at"]}, line=4)
    engine.submit({**good, "id": "g3", "item": "没有的事项"}, line=5)
    rejected = [o["record"] for o in engine.drain() if o["kind"] == "rejected"]
    assert [(r["line"], r["code"]) for r in rejected] == [
        (3, "conflicting_duplicate"), (4, "unknown_type"), (5, "unknown_item")]
    assert all(r["message"] for r in rejected)


# ----------------------------------------------------------------------------- durable_rules limits


def test_more_cases_than_durable_sessions(short_rulebook: wenze.Rulebook) -> None:
    """durable_rules allows 1,024 live sessions per ruleset; 1,100 open cases share 256."""
    rb = short_rulebook
    rows = []
    for i in range(1100):
        rows.append({"id": f"m{i}", "case": f"M{i:05d}", "type": "accepted",
                     "at": f"2024-06-{3 + i % 5:02d}T09:00:00+08:00", "item": "许可",
                     "actor": PEOPLE[i % 3], "post": "首席代表"})
    events = list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<m>").events)
    assert len({shard_of(e.case) for e in events}) <= SHARDS < 1024
    engine = LiveEngine(rb.program, VirtualClock(START), follow_events=False)
    engine.advance_to(dt.date(2024, 6, 3))
    engine.submit_many(events)
    assert engine.open_cases == 220  # the others wait for their day (the clock stays put)
    engine.advance_to(dt.date(2024, 6, 11))
    assert engine.open_cases == 1100
    want_d, want_w = _batch(rb.program, events, dt.date(2024, 6, 11))
    assert _live(engine) == (want_d, want_w)
    assert len(want_w) == 1100 and len(want_d) >= 660


def test_reload_changed_rulebook_keeps_state(rulebook: wenze.Rulebook, tmp_path: Path) -> None:
    events = _open_case(rulebook)
    engine = LiveEngine(rulebook.program, VirtualClock(START))
    engine.submit_many(events)
    engine.advance_to(dt.date(2024, 6, 20))
    first_name = engine.ruleset_name
    engine.drain()
    shorter = tmp_path / "shorter.wz"
    shorter.write_text(_rulebook_text().replace("法定时限 20 工作日", "法定时限 5 工作日"), "utf-8")
    new = wenze.load(shorter)
    engine.reload(new)
    assert engine.ruleset_name != first_name and engine.generation == 2
    _assert_same(engine, new.program, events, dt.date(2024, 6, 20))
    engine.reload(rulebook)  # and back again: a third name, same answers as the first rules
    assert engine.generation == 3
    engine.advance_to(dt.date(2024, 6, 25))
    assert _live(engine) == _batch(rulebook.program, events, dt.date(2024, 6, 25))


def test_large_rulebook_has_a_constant_small_ruleset(tmp_path: Path) -> None:
    """durable_rules hangs creating rulesets of ~520+ rules; 600 violations still give 2."""
    text = _rulebook_text()
    for n in range(600):
        text += (f"\n违规 「超期{n}」 依据 「行政许可法」 \"第四十二条\" {{\n  针对 案件\n"
                 f"  当 「超法定天数」 > {n}\n  责任 直接责任人\n  阶梯 「效能问责」\n}}\n")
    path = tmp_path / "large.wz"
    path.write_text(text, "utf-8")
    rb = wenze.load(path)
    assert len(rb.program.violations) > 600
    assert LiveRules.RULES == 2
    events = _open_case(rb)
    engine = LiveEngine(rb.program, VirtualClock(START))
    engine.submit_many(events)
    engine.advance_to(dt.date(2024, 7, 10))
    want = _batch(rb.program, events, dt.date(2024, 7, 10))
    assert len(want[0]) > 5
    assert _live(engine) == want


def test_submissions_from_many_threads(short_rulebook: wenze.Rulebook) -> None:
    rulebook = short_rulebook
    rows = []
    for i in range(160):
        for j, typ in enumerate(("received", "accepted")):
            rows.append({"id": f"t{i}-{j}", "case": f"T{i:03d}", "type": typ,
                         "at": f"2024-06-{3 + i % 5:02d}T0{8 + j}:00:00+08:00",
                         "item": "许可", "actor": PEOPLE[i % 3], "post": "首席代表"})
    events = list(read_jsonl([json.dumps(r, ensure_ascii=False) for r in rows], "<t>").events)
    engine = LiveEngine(rulebook.program, VirtualClock(START), follow_events=False)
    errors: list[BaseException] = []

    def worker(part: list[Event]) -> None:
        try:
            for ev in part:
                engine.submit(ev)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(events[k::8],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine.advance_to(dt.date(2024, 6, 12))
    want = _batch(rulebook.program, events, dt.date(2024, 6, 12))
    assert want[0] and want[1]
    assert _live(engine) == want


def test_error_in_an_action_reaches_the_caller_and_the_shard_keeps_firing(
        rulebook: wenze.Rulebook, monkeypatch: pytest.MonkeyPatch) -> None:
    """durable_rules would swallow an exception raised in an action (and stop the session)."""
    from wenze.engine import evaluate as EV

    events = _open_case(rulebook)
    engine = LiveEngine(rulebook.program, VirtualClock(START))
    real = EV.offences_for

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(EV, "offences_for", broken)
    with pytest.raises(RuntimeError, match="boom"):
        engine.submit(events[0])
    monkeypatch.setattr(EV, "offences_for", real)
    engine.submit(events[1])  # same case, same durable session: it still fires
    engine.advance_to(dt.date(2024, 7, 10))
    assert _live(engine) == _batch(rulebook.program, events, dt.date(2024, 7, 10))


def _broken_durable(tmp_path: Path) -> dict[str, str]:
    """An environment in which durable_rules' core fails to load the way a C extension built
    for another interpreter does (what Python 3.13 meets): a module of the core's name, first
    on the path, whose import raises ImportError."""
    fake = tmp_path / "broken_site"
    fake.mkdir()
    (fake / "durable_rules_engine.py").write_text(
        "raise ImportError('durable_rules_engine.cpython-313-x86_64-linux-gnu.so: "
        "undefined symbol: _PyUnicode_Ready')\n", "utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(fake), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def test_durable_rules_unavailable_gives_a_clear_error(tmp_path: Path) -> None:
    """In a fresh interpreter where durable_rules cannot load: ``import wenze.live`` works,
    building a LiveEngine raises LiveUnavailable with a message naming the cause and the batch
    alternative, and batch evaluation still runs."""
    rulebook = ROOT / "tests" / "cases" / "warnings_open_cases" / "rulebook.wz"
    events = rulebook.with_name("events.jsonl")
    want = len(wenze.load(rulebook).evaluate(events, "2024-06-28").warnings)
    assert want > 0
    code = f"""
import wenze
from wenze.live import LiveEngine, LiveUnavailable
rb = wenze.load({str(rulebook)!r})
try:
    LiveEngine(rb)
except LiveUnavailable as err:
    print("UNAVAILABLE", err)
print("BATCH", len(rb.evaluate({str(events)!r}, "2024-06-28").warnings))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=_broken_durable(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("UNAVAILABLE 实时模式不可用")
    assert "undefined symbol" in lines[0] and "wenze evaluate" in lines[0]
    assert lines[1] == f"BATCH {want}"


# ----------------------------------------------------------------------------- CLI


def test_cli_replays_a_log_with_the_virtual_clock() -> None:
    case_dir = ROOT / "tests" / "cases" / "warnings_open_cases"
    lines = (case_dir / "events.jsonl").read_text("utf-8").splitlines()
    ordered = sorted(lines, key=lambda s: (json.loads(s)["at"], json.loads(s)["id"]))
    proc = subprocess.run(
        [sys.executable, "-m", "wenze", "live", str(case_dir / "rulebook.wz"), "--clock",
         "virtual", "--as-of", "2024-06-28"],
        input="\n".join([*ordered, "not json"]) + "\n", capture_output=True, text=True,
        cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    items = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [i["record"]["code"] for i in items if i["kind"] == "rejected"] == ["bad_json"]
    ats = [i["at"] for i in items]
    assert ats == sorted(ats)  # written as they arose
    rb = wenze.load(case_dir / "rulebook.wz")
    events = list(read_events(case_dir / "events.jsonl").events)
    want_d, want_w = _batch(rb.program, events, dt.date(2024, 6, 28))
    got_d, got_w = _stream_state(items)
    assert sorted(map(_dumps, map(_legal, got_d.values()))) == sorted(
        map(_dumps, map(_legal, want_d)))
    assert sorted(map(_dumps, map(_level, got_w.values()))) == sorted(
        map(_dumps, map(_level, want_w)))


def test_cli_rulebook_with_errors_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wz"
    bad.write_text("规则集 「坏」 {\n", "utf-8")
    proc = subprocess.run([sys.executable, "-m", "wenze", "live", str(bad), "--clock",
                           "virtual"], input="", capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 1 and proc.stdout == "" and proc.stderr


def test_cli_without_durable_rules_exits_2_with_a_message(tmp_path: Path) -> None:
    rulebook = ROOT / "tests" / "cases" / "warnings_open_cases" / "rulebook.wz"
    line = json.dumps({"id": "e1", "case": "C1", "type": "received", "item": "许可",
                       "at": "2024-06-03T09:00:00+08:00"})
    env = _broken_durable(tmp_path)
    for clock in ("virtual", "wall"):
        proc = subprocess.run(
            [sys.executable, "-m", "wenze", "live", str(rulebook), "--clock", clock],
            input=line + "\n", capture_output=True, text=True, cwd=tmp_path,
            env=env, timeout=120)
        assert proc.returncode == 2, (clock, proc.stderr)
        assert proc.stdout == ""
        assert "实时模式不可用" in proc.stderr and "undefined symbol" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_simulated_caseload_in_file_order_equals_batch() -> None:
    """Issue 15: a case's events arriving after the clock has passed them (a simulated caseload
    in file order: absences first, then case by case) left a joint (连带) 超过法定时限 decision
    against a leader post with no person once the case's offence was gone — the unit's joint
    decisions were not settled again when an offence of the unit disappeared."""
    from wenze.simulate.caseload import generate

    rb = wenze.load(ROOT / "rules" / "luzhou_2009.wz")
    events = generate(rb.program, cases=40, seed=7)  # absences first, then case by case
    as_of = max(e.at.date() for e in events)
    engine = LiveEngine(rb.program, VirtualClock(min(e.at for e in events)))
    try:
        for ev in events:
            engine.submit(ev)
        engine.advance_to(as_of)
        want, _ = _batch(rb.program, events, as_of)
        got, _ = _live(engine)
        assert got == want
    finally:
        engine.close()


@pytest.mark.parametrize("batch", [7, 100])
def test_submit_many_settling_once_per_batch_ends_in_the_batch_state(batch: int) -> None:
    """``submit_many(settle_each=False)`` (the HTTP service's judge): the ladder runs once per
    batch, in batches of any size and out of time order, and ends where batch evaluation is,
    on a virtual clock that follows the events (the day moves inside a batch) and on one that
    does not."""
    rules = ROOT / "rules" / "zitong_2008.wz"
    events = list(read_events(ROOT / "examples" / "caseload.jsonl").events)
    events.sort(key=lambda e: e.id)  # not in time order
    rb = wenze.load(rules)
    as_of = dt.date(2024, 6, 30)
    want = _batch(rb.program, events, as_of)
    for follow in (True, False):
        start = dt.datetime(2024, 1, 1, tzinfo=CHINA) if follow else \
            dt.datetime(2024, 6, 30, tzinfo=CHINA)
        engine = LiveEngine(rb.program, VirtualClock(start), follow_events=follow)
        for i in range(0, len(events), batch):
            engine.submit_many(events[i:i + batch], settle_each=False)
        engine.advance_to(as_of)
        assert _live(engine) == want, f"follow_events={follow}"
        engine.close()
