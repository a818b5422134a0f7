"""Tests of the event reader (wenze.events.readers): the JSON Lines contract, every rejection code,
duplicates, strict mode, CSV/XES through mappings, and the real receipt.csv log."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenze.events.readers import (
    RECEIPT_MAPPING,
    Event,
    EventError,
    EventType,
    Mapping,
    parse_event_type,
    read_events,
    read_jsonl,
    sort_events,
    validate_against,
)

RECEIPT = Path("/work/shared/data/receipt.csv")
CST = dt.timezone(dt.timedelta(hours=8))
# types that need a step, unit, post or data field beyond the common ones
_NEEDS_MORE = {
    EventType.STEP_STARTED,
    EventType.STEP_COMPLETED,
    EventType.COUNTERSIGN_REQUESTED,
    EventType.COUNTERSIGN_REPLIED,
    EventType.EXTENSION_GRANTED,
    EventType.REFERRED,
    EventType.ABSENT,
    EventType.RETURNED,
}


def ev(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "e1",
        "case": "C1",
        "type": "accepted",
        "at": "2024-03-01T09:00:00+08:00",
        "item": "许可",
        "actor": "张三",
        "post": "窗口",
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def lines(*objs: object) -> list[str]:
    return [o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objs]


def write(tmp_path: Path, name: str, text_lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_every_type(tmp_path: Path) -> None:
    objs = [
        ev(id="1", type="received"),
        ev(id="2", type="corrections_requested", data={"materials": ["营业执照"]}),
        ev(id="3", type="corrections_supplied"),
        ev(id="4", type="accepted"),
        ev(id="5", type="suspended", data={"reason": "专家评审"}),
        ev(id="6", type="resumed"),
        ev(id="7", type="step_started", step="审核"),
        ev(id="8", type="step_completed", step="审核"),
        ev(id="9", type="countersign_requested", step="会签"),
        ev(id="10", type="countersign_replied", step="会签", unit="消防", data={"opinion": "同意"}),
        ev(id="11", type="extension_granted", data={"days": 10}, post="局长"),
        ev(id="12", type="decided", data={"outcome": "approved", "reasons": []}),
        ev(id="13", type="delivered"),
        ev(id="14", type="referred", data={"to_unit": "住建局"}),
        ev(id="15", type="absent", case=None),
        ev(id="16", type="returned", case=""),
        ev(id="17", type="complaint", data={"kind": "推诿", "circumstances": ["不可抗力"]}),
    ]
    path = write(tmp_path, "ok.jsonl", [*lines(*objs), ""])  # a blank line is skipped
    batch = read_events(path)
    assert batch.rejected == [] and batch.duplicates == 0
    assert {e.type for e in batch.events} == set(EventType)
    first = next(e for e in batch.events if e.id == "1")
    assert first.at == dt.datetime(2024, 3, 1, 9, tzinfo=CST)
    assert first.local_date == dt.date(2024, 3, 1)
    assert (first.line, first.source) == (1, str(path))
    assert first.to_json() == objs[0]
    absent = next(e for e in batch.events if e.id == "15")
    assert absent.case == "" and absent.post == "窗口"
    # sorted by case, then instant, then id ("1" < "10" < … as text)
    assert batch.events == sort_events(batch.events)
    assert [e.case for e in batch.events][:2] == ["", ""]


def test_local_date_uses_the_events_own_offset() -> None:
    batch = read_jsonl(
        lines(ev(at="2024-03-01T23:30:00-05:00"), ev(id="e2", at="2024-03-02T01:00Z"))
    )
    by_id = {e.id: e for e in batch.events}
    assert by_id["e1"].local_date == dt.date(2024, 3, 1)  # already 2 March in UTC
    assert by_id["e2"].at.utcoffset() == dt.timedelta(0)
    # e1 is 04:30 UTC on 2 March, after e2 at 01:00 UTC: sorted by the instant, not the text
    assert [e.id for e in batch.events] == ["e2", "e1"]


def test_chinese_type_aliases() -> None:
    batch = read_jsonl(
        lines(
            ev(id="a", type="收件"),
            ev(id="b", type="受理"),
            ev(id="c", type="环节办结", step="审核"),
            ev(id="d", type="离岗", case=""),
            ev(id="e", type="延期批准", data={"days": 5}),
            ev(id="f", type="ACCEPTED"),
        )
    )
    assert batch.rejected == []
    types = {e.id: e.type for e in batch.events}
    assert types == {
        "a": EventType.RECEIVED,
        "b": EventType.ACCEPTED,
        "c": EventType.STEP_COMPLETED,
        "d": EventType.ABSENT,
        "e": EventType.EXTENSION_GRANTED,
        "f": EventType.ACCEPTED,
    }
    assert parse_event_type("投诉") is EventType.COMPLAINT
    assert parse_event_type("nonsense") is None


REJECTIONS = [
    ('{"id": "x1", "case": "C", ', "bad_json", None),
    ("[1, 2]", "bad_json", None),
    (ev(id=None), "missing_field", None),
    (ev(case=None), "missing_field", "e1"),
    (ev(at=None), "missing_field", "e1"),
    (ev(type=None), "missing_field", "e1"),
    (ev(type="approved_by_magic"), "unknown_type", "e1"),
    (ev(at="yesterday"), "bad_time", "e1"),
    (ev(at="2024-02-30T09:00:00+08:00"), "bad_time", "e1"),
    (ev(at="2024-03-01T09:00:00"), "naive_time", "e1"),
    (ev(at=20240301), "bad_time", "e1"),
    (ev(id=7), "bad_field", None),
    (ev(actor=["a"]), "bad_field", "e1"),
    (ev(data=[1]), "bad_field", "e1"),
    (ev(note="hello"), "unknown_field", "e1"),
    (ev(type="step_completed"), "missing_field", "e1"),  # no step
    (ev(type="countersign_replied", step="会签"), "missing_field", "e1"),  # no unit
    (ev(type="absent", post=None), "missing_field", "e1"),
    (ev(type="extension_granted"), "missing_field", "e1"),  # no data.days
    (ev(type="extension_granted", data={"days": "ten"}), "bad_data", "e1"),
    (ev(type="extension_granted", data={"days": 0}), "bad_data", "e1"),
    (ev(type="referred"), "missing_field", "e1"),  # no data.to_unit
    (ev(data={"circumstances": [1]}), "bad_data", "e1"),
]


@pytest.mark.parametrize(("line", "code", "eid"), REJECTIONS)
def test_each_rejection_reason(line: object, code: str, eid: str | None) -> None:
    good = ev(id="good")
    batch = read_jsonl(lines(good, line), "in.jsonl")
    assert [e.id for e in batch.events] == ["good"]  # the valid rest is kept
    assert len(batch.rejected) == 1
    r = batch.rejected[0]
    assert (r.source, r.line, r.event_id, r.code) == ("in.jsonl", 2, eid, code)
    assert " / " in r.message  # Chinese / English
    with pytest.raises(EventError) as err:
        read_jsonl(lines(good, line), "in.jsonl", strict=True)
    assert err.value.rejection == r
    assert "in.jsonl:2" in str(err.value)


def test_identical_and_conflicting_duplicates() -> None:
    a = ev(id="d1")
    same_content_other_spelling = ev(id="d1", type="受理", item="许可")
    other = ev(id="d1", actor="李四")
    batch = read_jsonl(lines(a, a, same_content_other_spelling, other), "f.jsonl")
    assert batch.duplicates == 2
    assert [e.actor for e in batch.events] == ["张三"]  # the first is kept
    assert [(r.line, r.code, r.event_id) for r in batch.rejected] == [
        (4, "conflicting_duplicate", "d1")
    ]
    assert "f.jsonl:1" in batch.rejected[0].message
    # strict: an identical duplicate is not an error, a conflicting one is
    assert read_jsonl(lines(a, a), strict=True).duplicates == 1
    with pytest.raises(EventError, match="conflicting_duplicate"):
        read_jsonl(lines(a, other), strict=True)


def test_strict_stops_at_the_first_problem() -> None:
    with pytest.raises(EventError) as err:
        read_jsonl(lines(ev(id="a"), ev(id="b", at="bad"), ev(id="c", type="?")), "s", strict=True)
    assert err.value.rejection.event_id == "b"
    assert err.value.rejection.code == "bad_time"


def test_validate_against_rulebook_names() -> None:
    batch = read_jsonl(
        lines(
            ev(id="ok", type="step_completed", step="审核"),
            ev(id="item", item="不存在"),
            ev(id="step", type="step_started", step="飞行"),
            ev(id="post", post="门卫"),
            ev(id="none", item=None, post=None),
        )
    )
    kept, rejected = validate_against(batch.events, {"许可"}, {"审核"}, {"窗口"})
    assert sorted(e.id for e in kept) == ["none", "ok"]
    assert sorted((r.event_id, r.code) for r in rejected) == [
        ("item", "unknown_item"),
        ("post", "unknown_post"),
        ("step", "unknown_step"),
    ]
    kept, rejected = validate_against(batch.events, None, None, None)
    assert len(kept) == 5 and rejected == []
    with pytest.raises(EventError):
        validate_against(batch.events, {"许可"}, None, None, strict=True)


def test_events_are_frozen_and_compare_by_content() -> None:
    a = read_jsonl(lines(ev()), "one").events[0]
    b = read_jsonl(["", *lines(ev())], "two").events[0]
    assert a == b and a.line != b.line
    with pytest.raises(AttributeError):
        a.case = "other"  # type: ignore[misc]
    assert isinstance(a, Event)


CSV_TEXT = """\
caseid,when,what,who,dept,extra
K1,2024-03-01 09:00:00+08:00,收件登记,张三,窗口科,a
K1,2024-03-01 10:00:00+08:00,审核,李四,审批科,
K1,2024-03-05 10:00:00+08:00,审核,李四,审批科,
K2,2024-03-02 09:00:00,收件登记,张三,窗口科,
K2,2024-03-02 11:00:00+08:00,飞行,王五,窗口科,
"""


def test_csv_with_mapping(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    mapping = Mapping(
        case="caseid",
        at="when",
        activity="what",
        lifecycle=None,
        actor="who",
        unit="dept",
        item_value="许可",
        activities={"收件登记": (EventType.RECEIVED, None)},
        default_type=EventType.STEP_COMPLETED,
        data={"extra": "note"},
    )
    batch = read_events(path, mapping=mapping)
    got = [(e.id, e.type.value, e.step, e.actor, e.unit, e.item, e.line) for e in batch.events]
    assert got == [
        ("K1#1", "received", None, "张三", "窗口科", "许可", 2),
        ("K1#2", "step_completed", "审核", "李四", "审批科", "许可", 3),
        ("K1#3", "step_completed", "审核", "李四", "审批科", "许可", 4),
        ("K2#2", "step_completed", "飞行", "王五", "窗口科", "许可", 6),
    ]
    assert batch.events[0].data == {"note": "a"}
    assert [(r.line, r.event_id, r.code) for r in batch.rejected] == [(5, "K2#1", "naive_time")]
    # an explicit offset in the mapping makes offset-less times readable (stated, not guessed)
    from dataclasses import replace

    batch2 = read_events(path, mapping=replace(mapping, offset="+08:00"))
    assert batch2.rejected == [] and len(batch2.events) == 5
    # unlisted activities can be refused instead
    batch3 = read_events(path, mapping=replace(mapping, default_type=None, offset="+08:00"))
    assert sorted(r.code for r in batch3.rejected) == ["unknown_activity"] * 3


def test_mapping_from_toml_and_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    toml = tmp_path / "map.toml"
    toml.write_text(
        'case = "caseid"\nat = "when"\nactivity = "what"\nlifecycle = ""\nactor = "who"\n'
        'unit = "dept"\nitem_value = "许可"\noffset = "+08:00"\n'
        '[activities]\n"收件登记" = "收件"\n"飞行" = { type = "环节开始", step = "勘查" }\n',
        encoding="utf-8",
    )
    batch = read_events(path, mapping=toml)
    assert batch.rejected == []
    by_id = {e.id: e for e in batch.events}
    assert by_id["K1#1"].type is EventType.RECEIVED
    assert (by_id["K2#2"].type, by_id["K2#2"].step) == (EventType.STEP_STARTED, "勘查")
    with pytest.raises(EventError, match="bad_mapping"):
        read_events(path, mapping=Mapping(case="nope", at="when", activity="what"))
    with pytest.raises(ValueError, match="unknown mapping key"):
        Mapping.from_dict({"cases": "x"})


XES_TEXT = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <string key="concept:name" value="tiny log"/>
  <trace>
    <string key="concept:name" value="T1"/>
    <date key="startdate" value="2024-02-01T09:00:00+08:00"/>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="start"/>
      <string key="org:resource" value="R1"/>
      <date key="time:timestamp" value="2024-02-01T10:00:00+08:00"/>
    </event>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="complete"/>
      <string key="org:resource" value="R1"/>
      <date key="time:timestamp" value="2024-02-02T10:00:00.500+08:00"/>
      <list key="notes"><string key="n" value="nested is ignored"/></list>
    </event>
  </trace>
  <trace>
    <event>
      <string key="concept:name" value="Check"/>
      <date key="time:timestamp" value="2024-02-03T10:00:00+08:00"/>
    </event>
    <string key="concept:name" value="T2"/>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="suspend"/>
      <date key="time:timestamp" value="2024-02-04T10:00:00+08:00"/>
    </event>
  </trace>
</log>
"""


def test_tiny_xes(tmp_path: Path) -> None:
    path = tmp_path / "tiny.xes"
    path.write_text(XES_TEXT, encoding="utf-8")
    batch = read_events(path, mapping=Mapping(start_at="case:startdate", item_value="许可"))
    got = [(e.id, e.case, e.type.value, e.step, e.actor) for e in batch.events]
    assert got == [
        ("T1:1:received", "T1", "received", None, None),
        ("T1:2:accepted", "T1", "accepted", None, None),
        ("T1#1", "T1", "step_started", "Check", "R1"),
        ("T1#2", "T1", "step_completed", "Check", "R1"),
        ("T2#1", "T2", "step_completed", "Check", None),  # trace name given after the event
    ]
    assert batch.events[3].at.microsecond == 500000
    assert batch.case_attributes["T1"] == {"case:startdate": "2024-02-01T09:00:00+08:00"}
    codes = sorted((r.event_id, r.code) for r in batch.rejected)
    assert codes == [
        ("T2#2", "unknown_type"),  # lifecycle `suspend` maps to no event type
        ("T2:1:received", "missing_field"),  # T2 has no startdate
        ("T2:2:accepted", "missing_field"),
    ]
    broken = tmp_path / "broken.xes"
    broken.write_text(XES_TEXT[:700], encoding="utf-8")
    assert [r.code for r in read_events(broken).rejected] == ["bad_xml"]


def test_real_receipt_log() -> None:
    batch = read_events(RECEIPT, mapping=RECEIPT_MAPPING)
    # independent count with the csv module
    with RECEIPT.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cases = {r["case:concept:name"] for r in rows}
    assert (len(rows), len(cases)) == (8577, 1434)  # as the data README says
    assert batch.rejected == [] and batch.duplicates == 0
    logged = [e for e in batch.events if not e.data.get("synthetic")]
    synthetic = [e for e in batch.events if e.data.get("synthetic")]
    assert len(logged) == 8577
    # one received and one accepted per case, at case:startdate
    assert len(synthetic) == 2 * 1434
    assert {e.case for e in batch.events} == cases
    assert len(batch.case_attributes) == 1434
    assert {e.type for e in logged} == {EventType.STEP_COMPLETED}
    assert {e.actor for e in logged} == {r["org:resource"] for r in rows}
    first = {r["case:concept:name"]: r for r in reversed(rows)}
    for e in synthetic:
        row = first[e.case]
        assert e.at == dt.datetime.fromisoformat(row["case:startdate"])
        assert e.data["deadline"] == row["case:deadline"]
    by_id = {e.id: e for e in logged}
    row = rows[0]
    e = by_id[row["concept:instance"]]
    assert (e.case, e.step, e.actor, e.unit, e.item) == (
        row["case:concept:name"],
        row["concept:name"],
        row["org:resource"],
        row["org:group"],
        "receipt",
    )
    assert batch.events == sort_events(batch.events)


def test_named_mapping_and_unknown_format(tmp_path: Path) -> None:
    assert len(read_events(RECEIPT, mapping="receipt").events) == 11445
    with pytest.raises(ValueError, match="unknown events format"):
        read_events(tmp_path / "log.parquet")


def test_every_example_in_the_docs_reads() -> None:
    text = (Path(__file__).parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
    block = text.split("One example line per type:")[1].split("```json")[1].split("```")[0]
    batch = read_jsonl([x for x in block.splitlines() if x.strip()], "docs/events.md")
    assert batch.rejected == []
    assert {e.type for e in batch.events} == set(EventType)


def test_receipt_mapping_as_written_in_the_docs(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "docs" / "events.md").read_text(encoding="utf-8")
    toml = text.split("`RECEIPT_MAPPING` written out in full:")[1].split("```toml")[1]
    path = tmp_path / "receipt.toml"
    path.write_text(toml.split("```")[0], encoding="utf-8")
    assert Mapping.load(path) == RECEIPT_MAPPING


TEXT = st.one_of(st.none(), st.text(min_size=1, max_size=8))


@settings(max_examples=150, deadline=None)
@given(
    eid=st.text(min_size=1, max_size=10),
    case=st.text(min_size=1, max_size=10),
    etype=st.sampled_from([t for t in EventType if t not in _NEEDS_MORE]),
    at=st.datetimes(
        min_value=dt.datetime(2004, 1, 1),
        max_value=dt.datetime(2026, 12, 31),
        timezones=st.sampled_from([dt.UTC, CST, dt.timezone(dt.timedelta(hours=-5))]),
    ),
    item=TEXT,
    actor=TEXT,
    data=st.dictionaries(st.sampled_from(["x", "reason", "kind"]), st.text(max_size=5)),
)
def test_contract_round_trip(
    eid: str,
    case: str,
    etype: EventType,
    at: dt.datetime,
    item: str | None,
    actor: str | None,
    data: dict[str, str],
) -> None:
    obj = Event(eid, case, etype, at, item=item, actor=actor, data=data).to_json()
    batch = read_jsonl([json.dumps(obj, ensure_ascii=False)])
    assert batch.rejected == []
    (back,) = batch.events
    assert back.to_json() == obj
    assert back.at == at and back.at.utcoffset() == at.utcoffset()
    assert back.local_date == at.date()


def test_json_values_a_fast_parser_would_change_are_read_exactly() -> None:
    # A guard for any faster JSON parser: orjson (3.8) turns integers beyond 64 bits into
    # floats and refuses NaN and lone surrogates; the reader must keep what the JSON says
    # (a lone surrogate no UTF-8 text or store can hold: the line is rejected, bad_text).
    base = json.dumps(ev(id="a"), ensure_ascii=False)[:-1]
    big = ', "data": {"n": 123456789012345678901234567890}}'
    texts = [
        base.replace('"id": "a"', '"id": "big"') + big,
        base.replace('"id": "a"', '"id": "nan"') + ', "data": {"x": NaN}}',
        base.replace('"id": "a"', '"id": "sur"') + ', "data": {"s": "\\ud800"}}',
        '{"id": "broken", "case": "A",',
    ]
    batch = read_jsonl(texts, "t.jsonl")
    by_id = {e.id: e for e in batch.events}
    assert by_id["big"].data == {"n": 123456789012345678901234567890}
    assert by_id["nan"].data["x"] != by_id["nan"].data["x"]  # NaN
    assert "sur" not in by_id
    surrogate, bad = batch.rejected
    assert (surrogate.line, surrogate.event_id, surrogate.code) == (3, "sur", "bad_text")
    try:
        json.loads(texts[3])
    except json.JSONDecodeError as err:
        expected = f"invalid JSON: {err.msg} (column {err.colno})"
    assert (bad.line, bad.code) == (4, "bad_json") and bad.message.endswith(expected)


def test_read_jsonl_in_input_order_when_asked() -> None:
    texts = lines(ev(id="z", case="B"), ev(id="a", case="A"), ev(id="m", case="C"))
    assert [e.id for e in read_jsonl(texts).events] == ["a", "z", "m"]  # by case
    assert [e.id for e in read_jsonl(texts, ordered=False).events] == ["z", "a", "m"]
