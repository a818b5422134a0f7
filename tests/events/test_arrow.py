"""Events from Parquet and Arrow IPC files (``wenze.events.arrow``) are judged exactly as the
JSON Lines line of each row would be: the same columns, events, rejections (the row's number for
the line), duplicates and strict-mode error as ``read_events`` of that JSON Lines file — on the
odd inputs of the JSON Lines reader's own tests, with ``data`` as a JSON text and as a struct,
across batch boundaries; and a converted file evaluates to the same document."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events.test_event_columns import COLUMNS, NAMES, _odd_caseload
from tests.events.test_read_columns import _odd_lines, _time_texts
from wenze.events import arrow as AR
from wenze.events.arrow import read_arrow, row_lines, write_events
from wenze.events.columns import EventColumns
from wenze.events.readers import EventError, read_events

FIELDS = ("id", "case", "type", "at", "item", "actor", "post", "unit", "step", "data", "line")


def _json_line(row: dict[str, Any]) -> str:
    """The JSON Lines line a row stands for: its non-null values (a struct's too), a ``data``
    text as the JSON value it holds (a text that is not JSON: that text)."""
    out = {k: v for k, v in row.items() if v is not None}
    if isinstance(out.get("data"), dict):  # a struct
        out["data"] = {k: v for k, v in out["data"].items() if v is not None}
    elif isinstance(out.get("data"), str):
        try:
            out["data"] = json.loads(out["data"])
        except ValueError:
            pass
    return json.dumps(out, ensure_ascii=False, default=dt.datetime.isoformat)


def _outcome(read: Any, path: Path, strict: bool) -> Any:
    try:
        return read(path, strict=strict)
    except Exception as err:
        return err


def _unsourced(rejections: list[Any], path: Path) -> list[Any]:
    """The rejections without their file (a conflicting duplicate's message names it)."""
    return [dataclasses.replace(r, source="", message=r.message.replace(str(path), "<file>"))
            for r in rejections]


def _agree(table: pa.Table, tmp_path: Path, kind: str = "parquet") -> Any:
    """The table as a Parquet (or Arrow) file reads as its rows' JSON Lines do."""
    lines = [_json_line(row) for row in table.to_pylist()]
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    path = tmp_path / ("rows.parquet" if kind == "parquet" else "rows.arrow")
    if kind == "parquet":
        pq.write_table(table, path)
    else:
        with ipc.new_file(path, table.schema) as writer:
            writer.write(table)
    got = None
    for strict in (False, True):
        want = _outcome(read_events, jsonl, strict)
        have = _outcome(read_arrow, path, strict)
        if isinstance(want, EventError):
            assert isinstance(have, EventError), have
            assert _unsourced([have.rejection], path) == _unsourced([want.rejection], jsonl)
            continue
        assert not isinstance(want, Exception), want
        assert not isinstance(have, Exception), have
        expected = EventColumns.from_events(want.events)
        for name in COLUMNS:
            a, b = getattr(have.columns, name), getattr(expected, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
        for name in NAMES:
            assert getattr(have.columns, name) == getattr(expected, name), name
        events = list(have.columns.events)
        assert len(events) == len(want.events)
        for a, b in zip(events, want.events, strict=True):
            for name in FIELDS:
                assert getattr(a, name) == getattr(b, name), name
                assert type(getattr(a, name)) is type(getattr(b, name)), name
            assert a.at.utcoffset() == b.at.utcoffset() and repr(a.data) == repr(b.data)
            assert a.source == str(path)
        assert _unsourced(have.rejected, path) == _unsourced(want.rejected, jsonl)
        assert all(r.source == str(path) for r in have.rejected)
        assert have.duplicates == want.duplicates
        got = have
    return got


def _odd_objects() -> list[dict[str, Any]]:
    out = []
    for text in _odd_lines():
        try:
            obj = json.loads(text)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def _as_text_data(obj: dict[str, Any]) -> dict[str, Any]:
    if "data" in obj and obj["data"] is not None:
        return {**obj, "data": json.dumps(obj["data"], ensure_ascii=False)}
    return obj


def test_each_odd_object_alone_with_data_as_text_and_as_struct(tmp_path: Path) -> None:
    tried = struct = 0
    for k, obj in enumerate(_odd_objects()):
        for variant in (_as_text_data(obj), obj):
            try:
                table = pa.Table.from_pylist([variant])
                pq.write_table(table, pa.BufferOutputStream())
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
                    OverflowError, TypeError):
                continue  # a value Parquet cannot hold (a big integer, a mixed list, {})
            where = tmp_path / f"o{k}"
            where.mkdir(exist_ok=True)
            _agree(table, where)
            tried += 1
            struct += pa.types.is_struct(table.schema.field("data").type) \
                if "data" in table.schema.names else 0
    assert tried > 60 and struct > 5, (tried, struct)


def test_the_text_odd_objects_in_one_file_across_batches(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rows = []
    for obj in _odd_objects():
        row = _as_text_data(obj)
        if all(v is None or isinstance(v, str) for v in row.values()):
            rows.append(row)
    rows += rows[:20]  # duplicates, identical or not
    random.Random(5).shuffle(rows)
    names = list(dict.fromkeys(k for row in rows for k in row))
    table = pa.table({n: pa.array([row.get(n) for row in rows], pa.string()) for n in names})
    got = _agree(table, tmp_path)
    assert got.rejected and len(got.columns) and got.duplicates
    monkeypatch.setattr(AR, "_BATCH_ROWS", 3)
    _agree(table, tmp_path)
    _agree(table, tmp_path, "arrow")


# data texts many rows share (each distinct text decoded once, its object shared): none, a
# JSON null, empty, the two the columns read, ones they route, ones the quick path refuses
_DATA_TEXTS = [None, "null", "{}", '{"reason": "专家评审"}', '{"reason": ""}',
               '{"outcome": "不予许可"}', '{"outcome": "不予许可", "reasons": ["x"]}',
               '{"outcome": "准予许可"}', '{"days": 3}', '{"reason": 1.5}', '{"reason": null}',
               "[1, 2]", "not json", '"text"', '{"reasons": "x"}']
_TYPES = ["received", "accepted", "suspended", "resumed", "decided", "受理", "ACCEPTED",
          "step_started", "countersign_replied", "unknown", "", None]
_rows = st.lists(st.fixed_dictionaries({
    "id": st.integers(0, 30).map("e{}".format),  # (some ids twice: duplicates)
    "case": st.sampled_from(["C1", "C2", "", None]),
    "type": st.sampled_from(_TYPES),
    "at": st.one_of(_time_texts, st.sampled_from(["2024-03-01T09:00:00+08:00", "", None,
                                                  "2024-03-01 09:00:00", "2024-02-30T09:00:00Z"])),
    "step": st.sampled_from([None, "收件审查", ""]),
    "unit": st.sampled_from([None, "审批局"]),
    "data": st.sampled_from(_DATA_TEXTS),
}), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_rows, st.sampled_from([3, 7, 1 << 16]))
def test_generated_rows_with_odd_times_types_and_shared_data(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]],
        batch: int) -> None:
    monkeypatch.setattr(AR, "_BATCH_ROWS", batch)  # (batches sharing a row group's dictionary)
    table = pa.table({n: pa.array([row[n] for row in rows], pa.string()) for n in rows[0]})
    _agree(table, tmp_path)


def test_texts_that_need_escaping_and_data_that_is_not_json(tmp_path: Path) -> None:
    base = {"case": "C1", "type": "accepted", "at": "2024-03-01T09:00:00+08:00"}
    odd = ['引号"', "反斜杠\\", "换行\n", "回车\r", "制表\t", "\x00零", "\x1f", "\u2028", "😀", ""]
    rows = [{**base, "id": f"e{k}", "actor": text, "item": text or None}
            for k, text in enumerate(odd)]
    rows += [{**base, "id": "d1", "data": "not json"},
             {**base, "id": "d2", "data": "[1, 2]"},
             {**base, "id": "d3", "data": '{\n  "circumstances": "主动纠正"\n}'},
             {**base, "id": "d4", "data": '{"x": NaN}'},
             {**base, "id": "d5", "data": '{"n": 123456789012345678901234567890}'},
             {**base, "id": "d6", "data": '{}, "id": "hijacked"'},
             {**base, "id": "d7", "data": ""},
             {"id": "n1"}, {}]
    names = list(dict.fromkeys(k for row in rows for k in row))
    table = pa.table({n: pa.array([row.get(n) for row in rows], pa.string()) for n in names})
    got = _agree(table, tmp_path)
    ids = {ev.id for ev in got.columns.events}
    assert {"e0", "e1", "e2", "e3", "d3", "d4", "d5"} <= ids
    assert {r.event_id for r in got.rejected} >= {"d1", "d2", "d6", "d7"}
    assert "hijacked" not in ids


def test_other_column_types_and_extra_columns(tmp_path: Path) -> None:
    at = "2024-03-01T09:00:00+08:00"
    table = pa.table({
        "id": pa.array(["a", "b", "c"]),
        "case": pa.array(["C", "C", "D"]).dictionary_encode(),
        "type": pa.array(["accepted", "受理", "ACCEPTED"], pa.large_string()),
        "at": pa.array([at, at, "2024-03-01 09:00:00"]),
        "step": pa.array([None, None, None], pa.null()),
        "data": pa.array([{"days": 3, "reason": None}, None, {"days": None, "reason": "x"}]),
        "extra": pa.array([None, 1, None], pa.int64()),
    })
    got = _agree(table, tmp_path)
    assert [r.code for r in got.rejected] == ["unknown_field", "naive_time"]
    times = pa.table({"id": ["t1", "t2"], "case": ["C", "C"], "type": ["accepted"] * 2,
                      "at": pa.array([1_700_000_000_000_000] * 2,
                                     pa.timestamp("us", "+08:00"))})
    assert len(_agree(times, tmp_path).columns) == 2
    naive = times.set_column(3, "at", pa.array([1, 2], pa.timestamp("s")))
    assert {r.code for r in _agree(naive, tmp_path).rejected} == {"naive_time"}
    ints = pa.table({"id": pa.array([1, 2]), "case": ["C", "C"], "type": ["accepted"] * 2,
                     "at": [at, at]})
    assert {r.code for r in _agree(ints, tmp_path).rejected} == {"bad_field"}


def test_written_events_read_back_the_same(tmp_path: Path) -> None:
    events = _odd_caseload(7)
    _agree(AR.events_table(events), tmp_path)  # (odd events are rejected as in JSON Lines)
    kept = read_events_of(events, tmp_path)
    for name in ("ev.parquet", "ev.arrow"):
        path = tmp_path / name
        assert write_events(kept, path) == len(kept)
        got = read_arrow(path)
        assert not got.rejected and not got.duplicates
        for a, b in zip(got.columns.events, kept, strict=True):
            assert a == b and repr(a.data) == repr(b.data)
            assert a.at.utcoffset() == b.at.utcoffset()


def read_events_of(events: list[Any], tmp_path: Path) -> list[Any]:
    """The events a JSON Lines file of them keeps."""
    path = tmp_path / "all.jsonl"
    path.write_text("".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in events),
                    encoding="utf-8")
    batch = read_events(path)
    assert batch.events
    return list(batch.events)


def test_row_lines_are_one_line_a_row() -> None:
    table = pa.table({"id": ["a\nb", None], "data": ['{\r\n"k": "v"}', None]})
    assert row_lines(table) == b'{"id":"a\\nb","data":{  "k": "v"}}\n{}\n'
    assert row_lines(table.slice(0, 0)) == b""


def test_plain_rows_take_no_line_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows of texts (and data objects) are read from their columns, not from JSON lines."""
    from wenze.events import read_columns as RC

    events = read_events_of(_odd_caseload(3), tmp_path)
    path = tmp_path / "plain.parquet"
    write_events(events, path)
    exact: list[int] = []
    original = RC._Reader._exact
    monkeypatch.setattr(RC._Reader, "_exact",
                        lambda self, line, number: exact.append(number) or original(
                            self, line, number))
    got = read_arrow(path)
    assert len(got.columns) == len(events)
    # only rows the JSON Lines reader's quick path would not take either (caseless events,
    # extensions, referrals, data with floats …)
    plain = {"received", "accepted", "step_started", "step_completed", "decided"}
    assert len(exact) < len(events) // 2
    assert all(got.columns.events[k - 1].type.value not in plain or
               got.columns.events[k - 1].data for k in exact)


def test_a_plain_json_lines_file_is_parsed_by_arrow(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``read_jsonl_arrow`` reads a plain file's blocks with Arrow's parser (no block line by
    line), and a block with a blank line or two objects on a line line by line — the same
    outcome either way (the differential tests of test_read_columns.py hold it on odd input)."""
    from wenze.events import read_columns as RC

    events = list(read_events(Path(__file__).parents[2] / "examples" / "caseload.jsonl").events)
    path = tmp_path / "plain.jsonl"
    text = "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in events)
    path.write_text(text, encoding="utf-8")
    by_lines: list[int] = []
    original = RC._Reader._chunk
    monkeypatch.setattr(RC._Reader, "_chunk", lambda self, lines, first: by_lines.append(
        first) or original(self, lines, first))
    monkeypatch.setattr(AR, "_JSON_BLOCK", 4096)
    got = AR.read_jsonl_arrow(path)
    assert not by_lines and len(got.columns) == len(events)
    want = read_events(path)
    assert list(got.columns.events) == list(want.events) and got.rejected == want.rejected
    lines = text.splitlines()
    lines[3] = lines[3] + " " + lines[3]  # two objects on one line …
    lines.insert(7, "")  # … and a blank line: as many rows as lines, but not the same ones
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = AR.read_jsonl_arrow(path)
    assert by_lines and by_lines[0] == 1
    want = read_events(path)
    assert list(got.columns.events) == list(want.events) and got.rejected == want.rejected
    assert [r.code for r in got.rejected] == ["bad_json"]
