"""Ingestion on both backends: idempotent, raw payload kept, duplicates counted, conflicts and
bad events reported and kept out, the valid rest stored, in batches."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from wenze.cli import main
from wenze.events.readers import MAPPINGS, read_events, read_jsonl
from wenze.store.db import make_engine
from wenze.store.ingest import count_events, ingest
from wenze.store.models import Case, Event
from wenze.store.runs import fingerprint_events, load_snapshot

from .conftest import make_event, write_events

RECEIPT_LOG = Path("/work/shared/data/receipt.csv")  # as tests/events/test_events.py


def _payloads(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.id: r.payload for r in conn.execute(select(Event.id, Event.payload))}


def test_ingest_twice_inserts_nothing_the_second_time(engine: Engine, tmp_path: Path) -> None:
    path = write_events(tmp_path / "e.jsonl", range(250))
    first = ingest(engine, path, batch_size=100)
    assert (first.inserted, first.identical_duplicates, first.batches) == (250, 0, 3)
    assert first.ok
    second = ingest(engine, path, batch_size=100)
    assert (second.inserted, second.identical_duplicates) == (0, 250)
    assert second.conflicts == [] and second.rejected == []
    assert count_events(engine) == 250


def test_payload_is_kept_exactly_as_received(engine: Engine, tmp_path: Path) -> None:
    # Odd spacing, key order and a Chinese string: stored byte for byte.
    raw = (
        '{ "type":"received",  "id":"R1", "case":"C1", "at":"2024-03-01T09:00:00+08:00",'
        '"item":"营业执照", "actor":"张三", "post":"窗口", "unit":"市场监管局", "step":null,'
        '"data":{"备注":"原样"} }'
    )
    path = tmp_path / "raw.jsonl"
    path.write_text(raw + "\n", encoding="utf-8")
    assert ingest(engine, path).inserted == 1
    with engine.connect() as conn:
        row = conn.execute(select(Event).where(Event.id == "R1")).one()
    assert row.payload == raw
    assert row.payload_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert (row.case_id, row.type, row.actor, row.item) == ("C1", "received", "张三", "营业执照")
    assert (row.source, row.line) == (str(path), 1)
    # Stored in UTC: 09:00 at +08:00 is 01:00 UTC.
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    assert at == datetime(2024, 3, 1, 1, 0, tzinfo=UTC)


def test_same_event_with_other_key_order_is_an_identical_duplicate(
    engine: Engine, tmp_path: Path
) -> None:
    event = make_event(1)
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a.write_text(json.dumps(event, ensure_ascii=False) + "\n", encoding="utf-8")
    reordered = dict(reversed(list(event.items())))
    b.write_text(json.dumps(reordered, indent=None, separators=(" , ", " : ")) + "\n")
    assert ingest(engine, a).inserted == 1
    report = ingest(engine, b)
    assert (report.inserted, report.identical_duplicates, report.conflicts) == (0, 1, [])
    assert _payloads(engine)["E0000001"] == a.read_text(encoding="utf-8").rstrip("\n")
    # The Chinese name of the type (受理 = accepted) and `step: null` left out: the same event.
    assert event["type"] == "accepted"
    alias = tmp_path / "alias.jsonl"
    aliased = {k: v for k, v in make_event(1, type="受理").items() if k != "step"}
    alias.write_text(json.dumps(aliased, ensure_ascii=False) + "\n", encoding="utf-8")
    report = ingest(engine, alias)
    assert (report.inserted, report.identical_duplicates, report.conflicts) == (0, 1, [])


def test_conflicting_duplicate_is_reported_and_kept_out(engine: Engine, tmp_path: Path) -> None:
    first = write_events(tmp_path / "first.jsonl", range(5))
    ingest(engine, first)
    second = tmp_path / "second.jsonl"
    lines = [make_event(3, actor="someone else"), make_event(7)]
    second.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    report = ingest(engine, second)
    assert report.inserted == 1  # E0000007
    assert [c.event_id for c in report.conflicts] == ["E0000003"]
    conflict = report.conflicts[0]
    assert (conflict.source, conflict.line) == (str(second), 1)
    assert (conflict.stored_source, conflict.stored_line) == (str(first), 4)
    assert "different payload" in conflict.message
    assert json.loads(_payloads(engine)["E0000003"])["actor"] == make_event(3)["actor"]
    assert count_events(engine) == 6


def test_bad_events_are_rejected_with_line_and_the_rest_goes_in(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    no_case = make_event(2)
    del no_case["case"]
    lines = [
        json.dumps(make_event(1)),
        json.dumps(no_case),  # line 2: missing field
        json.dumps(make_event(3, at="2024-03-01T09:00:00")),  # line 3: no UTC offset
        "{not json",  # line 4
        json.dumps(make_event(5)),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest(engine, path)
    assert report.inserted == 2
    assert sorted(r.line for r in report.rejected) == [2, 3, 4]
    assert all(r.source.endswith("mixed.jsonl") and r.message for r in report.rejected)
    assert not report.ok
    assert sorted(_payloads(engine)) == ["E0000001", "E0000005"]


def test_duplicates_inside_one_input(engine: Engine) -> None:
    events = [make_event(1), make_event(1), make_event(2), make_event(2, actor="other")]
    report = ingest(engine, events)
    assert report.inserted == 2
    assert report.identical_duplicates == 1
    assert len(report.conflicts) + len(report.rejected) == 1
    assert json.loads(_payloads(engine)["E0000002"])["actor"] == make_event(2)["actor"]


def test_cases_get_first_and_last_event_time_across_files(engine: Engine, tmp_path: Path) -> None:
    # Case C000000 holds events 0..9 at 1, 3, …, 19 March; ingested in two halves, newest first.
    ingest(engine, write_events(tmp_path / "late.jsonl", range(5, 10)))
    ingest(engine, write_events(tmp_path / "early.jsonl", range(0, 5)))
    with engine.connect() as conn:
        case = conn.execute(select(Case).where(Case.id == "C000000")).one()
        n_cases = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
    first = case.first_event_at.replace(tzinfo=None)
    last = case.last_event_at.replace(tzinfo=None)
    # make_event: day 1 + (i % 10) * 2, hour 8 + i % 9. Event 0: 1 March 08:30 +08:00 = 00:30
    # UTC; event 9: 19 March 08:30 +08:00 = 00:30 UTC.
    assert first == datetime(2024, 3, 1, 0, 30) and last == datetime(2024, 3, 19, 0, 30)
    assert case.item == "营业执照" and n_cases == 1


def test_cli_ingest_exit_codes(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = write_events(tmp_path / "good.jsonl", range(20))
    assert main(["ingest", str(good), "--db", db_url, "--batch-size", "7"]) == 0
    assert "inserted 20" in capsys.readouterr().out
    assert main(["ingest", str(good), "--db", db_url]) == 0
    assert "identical duplicates 20" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(make_event(3, actor="changed")) + "\n{oops\n", encoding="utf-8")
    assert main(["ingest", str(bad), "--db", db_url]) == 1
    captured = capsys.readouterr()
    assert f"{bad}:1: 冲突 / conflict E0000003" in captured.err
    assert f"{bad}:2: 拒收 / rejected" in captured.err
    assert main(["ingest", str(tmp_path / "missing.jsonl"), "--db", db_url]) == 2


def test_events_of_a_person_have_no_case(engine: Engine, tmp_path: Path) -> None:
    absent = {"id": "A1", "type": "离岗", "at": "2024-03-04T08:00:00+08:00", "actor": "张三",
              "post": "窗口A岗"}
    report = ingest(engine, [absent, make_event(1)])
    assert report.inserted == 2 and report.ok
    with engine.connect() as conn:
        row = conn.execute(select(Event.case_id, Event.type).where(Event.id == "A1")).one()
        cases = conn.execute(select(Case.id)).scalars().all()
    assert tuple(row) == (None, "absent")  # the Chinese alias is stored by its English name
    assert cases == ["C000000"]


def test_engine_event_objects_and_their_json_lines_are_the_same_event(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_events(tmp_path / "e.jsonl", range(3))
    events = read_jsonl(path.read_text(encoding="utf-8").splitlines(), str(path)).events
    assert ingest(engine, events).inserted == 3  # objects: payload is their canonical JSON
    again = ingest(engine, path)
    assert (again.inserted, again.identical_duplicates, again.conflicts) == (0, 3, [])


def test_real_receipt_log_through_a_mapping(db_url: str, capsys: pytest.CaptureFixture) -> None:
    """The real WABO receipt log (CSV): every event read goes in and comes back equal."""
    log = RECEIPT_LOG
    expected = read_events(log, mapping=MAPPINGS["receipt"])
    assert expected.events and not expected.rejected
    assert main(["ingest", str(log), "--mapping", "receipt", "--db", db_url]) == 0
    assert f"inserted {len(expected.events)}," in capsys.readouterr().out
    engine = make_engine(db_url)
    try:
        stored = load_snapshot(engine)
        assert sorted(stored.events, key=lambda e: e.id) == sorted(
            expected.events, key=lambda e: e.id
        )
        assert stored.fingerprint == fingerprint_events(expected.events)
    finally:
        engine.dispose()


@pytest.mark.parametrize("collecting", [True, False])
def test_ingest_leaves_the_garbage_collector_as_it_found_it(
    engine: Engine, tmp_path: Path, collecting: bool
) -> None:
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        assert ingest(engine, write_events(tmp_path / "a.jsonl", range(30)), batch_size=7).ok
        assert gc.isenabled() is collecting
        with pytest.raises(FileNotFoundError):
            ingest(engine, tmp_path / "missing.jsonl")
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
