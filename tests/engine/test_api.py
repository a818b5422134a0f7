"""The embedding API: ``wenze.load(path).evaluate(events, as_of=…)`` with a path, Event objects
or dicts; ``RulebookError`` with every diagnostic."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import wenze
from wenze.events.readers import read_events

SF = Path(__file__).resolve().parents[1] / "cases" / "spring_festival_deadline"


def test_events_as_path_objects_or_dicts_give_the_same_result() -> None:
    rulebook = wenze.load(SF / "rulebook.wz")
    assert rulebook.name == "春节期限"
    by_path = rulebook.evaluate(SF / "events.jsonl", as_of="2024-06-30")
    objects = read_events(SF / "events.jsonl").events
    by_objects = rulebook.evaluate(objects, as_of=dt.date(2024, 6, 30))
    dicts = [json.loads(line) for line in (SF / "events.jsonl").read_text().splitlines()]
    by_dicts = rulebook.evaluate(dicts, as_of=dt.date(2024, 6, 30))
    assert wenze.to_json(by_path) == wenze.to_json(by_objects) == wenze.to_json(by_dicts)
    assert [(d.case, d.person, d.sanction) for d in by_path.decisions] == [
        ("SF-LATE", "王芳", "效能告诫")]


def test_bad_dicts_are_rejected_not_dropped() -> None:
    rulebook = wenze.load(SF / "rulebook.wz")
    result = rulebook.evaluate([{"id": "x", "case": "C", "type": "received",
                                 "at": "2024-03-01T09:00:00"}], as_of="2024-06-30")
    assert [r.event_id for r in result.rejected] == ["x"]  # no UTC offset: never guessed


def test_a_bad_rulebook_raises_with_all_diagnostics() -> None:
    with pytest.raises(wenze.RulebookError) as err:
        wenze.load(SF.parent / "rulebook_error" / "rulebook.wz")
    assert any("不存在的阶梯" in d.message.zh or "不存在的阶梯" in d.message.en
               for d in err.value.diagnostics)
