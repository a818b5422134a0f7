"""The JSON Lines reader's quick paths agree with the full validation (wenze.events.readers).

``read_jsonl`` decodes an object line with the JSON scanner directly and builds a well-formed
event with ``QuickBuilder`` (no generic checks, shared texts, timestamps and tzinfo objects);
everything else goes through ``json.loads`` and ``build_event``. These tests read odd inputs both
ways — the reader, and a reference reader here made only of ``json.loads`` + ``build_event`` +
the collector's duplicate rules — and require the same events (every field, ``line`` and
``source`` too), the same rejections (code, line, id, message) and the same duplicate count."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenze.events import model as event_model
from wenze.events.model import (
    BadEvent,
    Collector,
    EventType,
    QuickBuilder,
    build_event,
)
from wenze.events.readers import Event, EventBatch, _object, read_jsonl

BASE: dict[str, Any] = {
    "id": "e1",
    "case": "C1",
    "type": "accepted",
    "at": "2024-03-01T09:00:00+08:00",
    "item": "许可",
    "actor": "张三",
    "post": "窗口",
    "unit": "审批局",
}


def ev(**kw: Any) -> dict[str, Any]:
    out = {**BASE, **kw}
    return {k: v for k, v in out.items() if v is not ...}


# Odd events: each is read by the quick path or declined by it; either way the outcome must be
# the full validation's.
ODD: list[Any] = [
    ev(),
    ev(item=None, actor=None, post=None, unit=None),  # explicit nulls
    ev(item="", actor="", step=""),  # empty texts are absent
    ev(item=...),  # a missing optional field
    ev(id=...),  # missing fields
    ev(case=...),
    ev(type=...),
    ev(at=...),
    ev(id=""),
    ev(case=""),
    ev(at=""),
    ev(id=7),
    ev(case=12),
    ev(actor=["张三"]),
    ev(step={"a": 1}),
    ev(type="no_such_type"),
    ev(type=["accepted"]),  # unhashable type value
    ev(type={"x": 1}),
    ev(type="受理"),  # Chinese aliases
    ev(type="环节办结", step="审核"),
    ev(type="环节办结"),
    ev(type="ACCEPTED"),  # spelt other than the contract: the full lookup
    ev(type=" accepted "),
    ev(type="离岗", case=""),  # case-less types
    ev(type="absent", case="", post=None),
    ev(type="returned"),
    ev(type="returned", post=None),
    ev(type="countersign_replied", step="会签"),
    ev(type="countersign_replied", step="会签", unit=None),
    ev(type="countersign_replied", step="会签", data={"opinion": "同意"}),
    ev(type="extension_granted", data={"days": 10}),
    ev(type="extension_granted", data={"days": True}),
    ev(type="extension_granted"),
    ev(type="referred", data={"to_unit": "消防"}),
    ev(type="referred"),
    ev(at="2024-03-01T09:00:00"),  # offset-less: never guessed
    ev(at="2024-03-01 09:00:00+08:00"),  # space separator
    ev(at="2024-03-01T09:00Z"),
    ev(at="2024-03-01T01:00:00+00:00"),
    ev(at="2024-03-01T09:00:00.123456+08:00"),
    ev(at="  2024-03-01T09:00:00+08:00  "),  # stripped by parse_time
    ev(at="2024-02-30T09:00:00+08:00"),
    ev(at="yesterday"),
    ev(at=20240301),
    ev(at="2024-03-01T09:00:00-05:30"),
    ev(data=None),
    ev(data=[1]),
    ev(data="x"),
    ev(data={}),
    ev(data={"nested": {"deep": [1, {"x": None}], "n": 2**80}}),
    ev(data={"materials": ["营业执照", "章程"], "reasons": "逾期"}),
    ev(data={"materials": ["营业执照", 3]}),
    ev(data={"circumstances": [1]}),
    ev(data={"reasons": None}),
    ev(note="extra field"),
    [1, 2],
    "text",
    None,
    17,
]


class _Str(str):
    """A ``str`` subclass (never from JSON, but a caller's dict may hold one)."""


def _same(a: Event | None, b: Event | None) -> None:
    assert (a is None) == (b is None)
    if a is None or b is None:
        return
    for f in fields(Event):
        assert getattr(a, f.name) == getattr(b, f.name), f.name
    assert a.at.isoformat() == b.at.isoformat()
    assert a.at.utcoffset() == b.at.utcoffset()
    assert type(a) is type(b) is Event


def _full(obj: Any) -> Event | BadEvent:
    try:
        return build_event(obj, "f.jsonl", 3)
    except BadEvent as bad:
        return bad


@pytest.mark.parametrize("obj", [*ODD, ev(case=_Str("C1")), ev(actor=_Str("张三"))])
def test_quick_builder_takes_only_what_the_full_validation_takes(obj: Any) -> None:
    quick = QuickBuilder().build(obj, "f.jsonl", 3)
    full = _full(obj)
    if quick is None:
        return  # declined: the caller runs build_event, which decides
    assert isinstance(full, Event), f"quick path took what build_event rejects: {full}"
    _same(quick, full)


def test_the_quick_path_takes_the_common_events() -> None:
    """Declining everything would pass the test above: the everyday shapes must be taken."""
    q = QuickBuilder()
    common = [
        ev(),
        ev(type="受理"),
        ev(type="step_completed", step="审核"),
        ev(type="countersign_replied", step="会签", data={"opinion": "同意"}),
        ev(type="decided", data={"outcome": "approved", "reasons": ["材料齐全"]}),
        ev(type="absent", post="窗口"),
        ev(at="2024-03-01T09:00:00Z", item=None),
    ]
    for obj in common:
        assert q.build(obj, "f", 1) is not None, obj


def test_repeated_texts_and_offsets_are_shared() -> None:
    batch = read_jsonl(
        [json.dumps(ev(id=f"e{i}", at=f"2024-03-0{i}T09:00:00+08:00"), ensure_ascii=False)
         for i in range(1, 5)]
        + [json.dumps(ev(id="u", at="2024-03-01T09:00:00-05:00"))]
    )
    east = [e for e in batch.events if e.id != "u"]
    assert len({id(e.at.tzinfo) for e in east}) == 1  # one tzinfo object per offset
    assert len({id(e.unit) for e in batch.events}) == 1  # one copy of a repeated text
    assert [e.at.isoformat() for e in east] == [f"2024-03-0{i}T09:00:00+08:00"
                                                for i in range(1, 5)]
    # sorted by the instant: 09:00-05:00 is 14:00 UTC on 1 March, after e1 (01:00 UTC)
    assert [e.id for e in batch.events] == ["e1", "u", "e2", "e3", "e4"]


def test_big_integers_stay_integers() -> None:
    big = 123456789012345678901234567890
    (e,) = read_jsonl([json.dumps(ev(data={"n": big, "f": 1.5}))]).events
    assert e.data["n"] == big and type(e.data["n"]) is int
    assert e.data["f"] == 1.5


DECODE_LINES = [
    '{"a": 1}',
    '{"a": 1} x',  # extra data
    '{"a": 1}{"b": 2}',
    '{"a": 1',  # truncated
    '{"a": }',
    "{}",
    '{ "a" : [1, 2, {"b": null}] }',
    '{"n": 123456789012345678901234567890}',
    '{"x": NaN, "y": Infinity}',
    '{"a": 1}\u3000{"b": 2}',
    '{"s": "\\u5f20\\u4e09"}',
    '{"bad": "\\x"}',
    '{"ctl": "a\tb"}',  # a raw control character: invalid JSON
    "[1, 2]",
    '"text"',
    "17",
    "nul",
    "\ufeff{}",
]


@pytest.mark.parametrize("text", DECODE_LINES)
@pytest.mark.parametrize("after", ["", "\n", "  \t\n", "\u3000\n", "\r\n"])
def test_the_scanner_path_is_json_loads(text: str, after: str) -> None:
    """``_object`` decodes a line as ``json.loads`` decodes the stripped line, or declines."""
    line = text + after
    got = _object(line)
    try:
        expected: Any = json.loads(line.strip())
    except json.JSONDecodeError:
        assert got is None  # the caller's json.loads reports it
        return
    if got is not None:
        assert isinstance(expected, dict)
        assert got == expected
        assert repr(got) == repr(expected)  # same types (int, float, nan)
    else:
        assert not isinstance(expected, dict) or line[:1] != "{"


def test_the_scanner_path_takes_an_object_line() -> None:
    assert _object('{"a": 1}\n') == {"a": 1}
    assert _object('  {"a": 1}') is None  # leading space: decoded after stripping


def reference_read(lines: list[str], source: str = "f.jsonl") -> EventBatch:
    """The reader as it was before the quick paths: ``json.loads`` and ``build_event`` per line,
    the collector's duplicate rules, sorted."""
    col = Collector(strict=False)
    for number, text in enumerate(lines, start=1):
        text = text.strip()
        if not text:
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as err:
            col.reject(source, number, None, "bad_json",
                       f"JSON 无法解析：{err.msg}（第 {err.colno} 列）"
                       f" / invalid JSON: {err.msg} (column {err.colno})")
            continue
        col.try_build(obj, source, number)
    return col.batch()


def _agree(lines: list[str]) -> EventBatch:
    got = read_jsonl(lines, "f.jsonl")
    want = reference_read(lines)
    assert len(got.events) == len(want.events)
    for a, b in zip(got.events, want.events, strict=True):
        _same(a, b)
    assert got.rejected == want.rejected
    assert got.duplicates == want.duplicates
    return got


def test_reader_agrees_with_the_full_validation_on_odd_lines() -> None:
    lines = [json.dumps(o, ensure_ascii=False) if not isinstance(o, str) else json.dumps(o)
             for o in ODD]
    lines = [ln.replace('"e1"', f'"e{i}"', 1) for i, ln in enumerate(lines)]  # distinct ids
    lines += [*DECODE_LINES, "", "   "]
    got = _agree(lines)
    assert got.events and got.rejected  # both kinds present
    # as read from a file: line ends, trailing and leading (Unicode) whitespace
    ends = ["\n", " \t\n", "\u3000\n", "", "\r\n"]
    framed = [("  " if i % 7 == 0 else "") + ln + ends[i % len(ends)]
              for i, ln in enumerate(lines)]
    assert _agree(framed).rejected == got.rejected


def test_reader_agrees_on_duplicates() -> None:
    a = ev(id="d1")
    lines = [
        json.dumps(a, ensure_ascii=False),
        json.dumps(a, ensure_ascii=False),  # identical
        json.dumps(ev(id="d1", type="受理"), ensure_ascii=False),  # same content, other spelling
        json.dumps({**a, "data": {}}, ensure_ascii=False),  # same content, explicit empty data
        json.dumps(ev(id="d1", actor="李四"), ensure_ascii=False),  # conflicting
        # the same instant in another offset: another text, so a conflict
        json.dumps(ev(id="d1", at="2024-03-01T01:00:00Z"), ensure_ascii=False),
        json.dumps(ev(id="d2", at="yesterday"), ensure_ascii=False),
        json.dumps(ev(id="d2"), ensure_ascii=False),
    ]
    got = _agree(lines)
    assert got.duplicates == 3
    assert [r.code for r in got.rejected] == ["conflicting_duplicate"] * 2 + ["bad_time"]


def test_the_timestamp_cache_may_be_cleared_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_model, "_TIME_CACHE_LIMIT", 2)
    lines = [json.dumps(ev(id=f"e{i}", at=f"2024-03-01T09:0{i % 4}:00+08:00"))
             for i in range(12)]
    got = _agree(lines)
    assert len(got.events) == 12


def test_new_event_is_the_constructor() -> None:
    at = dt.datetime(2024, 3, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    args = ("e1", "C1", EventType.ACCEPTED, at, "许可", None, "窗口", "局", None, {"k": 1}, 4, "s")
    made = event_model.new_event(*args)
    _same(made, Event(*args))
    assert hash(made) == hash(Event(*args))
    with pytest.raises(AttributeError):
        made.id = "other"  # type: ignore[misc]  # still frozen


_texts = st.one_of(st.none(), st.just(""), st.sampled_from(["审核", "会签", "窗口", "张三"]),
                   st.integers(-2, 2), st.lists(st.just("a"), max_size=1))
_types = st.one_of(st.sampled_from([t.value for t in EventType]),
                   st.sampled_from(["受理", "环节办结", "会签回复", "离岗", "延期批准", "Accepted",
                                    "bogus", ""]),
                   st.none(), st.integers(0, 3))
_times = st.one_of(st.sampled_from(["2024-03-01T09:00:00+08:00", "2024-03-01T09:00:00Z",
                                    "2024-03-01T09:00:00", "2024-03-01 09:00+08:00",
                                    "2024-13-01T09:00:00+08:00", "", "2024-03-01T09:00:00-00:00"]),
                   st.none(), st.integers())
_data = st.one_of(st.none(), st.dictionaries(
    st.sampled_from(["days", "to_unit", "materials", "reasons", "circumstances", "opinion",
                     "x"]),
    st.one_of(st.integers(-1, 3), st.booleans(), st.text(max_size=2), st.none(),
              st.lists(st.one_of(st.text(max_size=2), st.integers()), max_size=2)),
    max_size=3), st.lists(st.integers(), max_size=1))
_events = st.fixed_dictionaries(
    {},
    optional={"id": st.one_of(st.sampled_from(["a", "b", ""]), st.integers(0, 1)),
              "case": _texts, "type": _types, "at": _times, "item": _texts, "actor": _texts,
              "post": _texts, "unit": _texts, "step": _texts, "data": _data,
              "extra": st.just(1)},
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_events, max_size=8))
def test_reader_agrees_on_generated_events(objs: list[dict[str, Any]]) -> None:
    for obj in objs:
        quick = QuickBuilder().build(obj, "f.jsonl", 3)
        if quick is not None:
            full = _full(obj)
            assert isinstance(full, Event)
            _same(quick, full)
    _agree([json.dumps(o, ensure_ascii=False) for o in objs])
