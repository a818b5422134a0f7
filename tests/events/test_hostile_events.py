"""Hostile event input (issue 15): a line the engine cannot compute with is rejected at the
reader with its line number and a code — never accepted and crashed on later — and one bad line
never costs the good ones. ``read_events`` and the fast ``read_columns`` agree on every case,
and ``wenze evaluate`` judges the good events of a file that holds the bad ones (both
evaluators, the same decisions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wenze.events.logs import MAX_CSV_FIELD
from wenze.events.model import FIRST_YEAR, LAST_YEAR, MAX_DATA_DEPTH
from wenze.events.read_columns import read_columns
from wenze.events.readers import read_events

ROOT = Path(__file__).resolve().parents[2]
GOOD = [line.encode() for line in
        (ROOT / "examples" / "caseload.jsonl").read_text(encoding="utf-8").splitlines()[:200]]


def event(at: str = "2024-03-01T09:00:00+08:00", **more: object) -> bytes:
    obj = {"id": "bad", "case": "X-1", "type": "accepted", "at": at, "item": "许可", **more}
    return json.dumps(obj, ensure_ascii=False).encode()


BAD = {  # the probe's cases: line → the code it is rejected with
    "year_0001": (event("0001-01-01T00:00:00+08:00"), "time_out_of_range"),
    "year_1899": (event("1899-12-31T23:59:59+08:00"), "time_out_of_range"),
    "year_2201": (event("2201-01-01T00:00:00Z"), "time_out_of_range"),
    "year_9999": (event("9999-12-31T23:59:59-05:00"), "time_out_of_range"),
    "year_0001_other_shape": (event("0001-01-01 00:00:00.5+08:00"), "time_out_of_range"),
    "surrogate_in_case": (event().replace(b'"X-1"', b'"X\\ud800"'), "bad_text"),
    "surrogate_in_id": (event().replace(b'"bad"', b'"\\udfff"'), "bad_text"),
    "surrogate_in_data_key": (event(data={"k": 1}).replace(b'"k"', b'"\\uDC00"'), "bad_text"),
    "surrogate_high_then_text": (event(actor="a").replace(b'"a"', b'"\\ud83dx"'), "bad_text"),
    "deep_data_1000": (event().replace(b"}", b', "data": ' + b'{"a": ' * 1000 + b"1"
                                         + b"}" * 1000 + b"}"), "too_deep"),
    "deep_list_100000": (event().replace(b"}", b', "data": {"a": ' + b"[" * 100_000
                                           + b"]" * 100_000 + b"}}"), "too_deep"),
    "deep_data_limit": (event().replace(b"}", b', "data": ' + b'{"a": ' * (MAX_DATA_DEPTH + 1)
                                        + b"1" + b"}" * (MAX_DATA_DEPTH + 1) + b"}"),
                        "too_deep"),
    "invalid_byte": (event().replace(b"X-1", b"X-\xff"), "bad_encoding"),
    "truncated_utf8": (event().replace("许可".encode(), "许可".encode()[:4]), "bad_encoding"),
    "surrogate_bytes": (event().replace(b"X-1", b"X-\xed\xa0\x80"), "bad_encoding"),
}


def write(tmp_path: Path, bad: bytes) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([*GOOD[:100], bad, *GOOD[100:]]) + b"\n")
    return path


@pytest.mark.parametrize("name", sorted(BAD))
def test_one_bad_line_is_rejected_alone_by_both_readers(tmp_path: Path, name: str) -> None:
    line, code = BAD[name]
    path = write(tmp_path, line)
    exact = read_events(path)
    fast = read_columns(path)
    assert [(r.line, r.code) for r in exact.rejected] == [(101, code)]
    assert [(r.line, r.code, r.message) for r in fast.rejected] == [
        (r.line, r.code, r.message) for r in exact.rejected]
    assert len(exact.events) == len(fast.events) == len(GOOD)  # no good event lost


def test_the_years_at_the_limits_are_read() -> None:
    for at in (f"{FIRST_YEAR}-01-01T00:00:00+08:00", f"{LAST_YEAR}-12-31T23:59:59+08:00"):
        assert read_events_text(event(at)).events


def read_events_text(line: bytes):
    from wenze.events.readers import read_jsonl

    return read_jsonl([line.decode()])


def test_a_valid_surrogate_pair_is_a_character_not_a_rejection(tmp_path: Path) -> None:
    path = write(tmp_path, event(actor="a").replace(b'"a"', b'"\\ud83d\\ude00"'))
    exact, fast = read_events(path), read_columns(path)
    assert exact.rejected == [] and fast.rejected == []
    assert "😀" in {e.actor for e in exact.events}


def test_evaluate_judges_the_good_events_of_a_file_of_every_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([*GOOD[:100], *(line for line, _ in BAD.values()), *GOOD[100:]])
                     + b"\n")
    outputs = []
    for evaluator in ("reference", "columnar"):
        done = subprocess.run(
            [sys.executable, "-m", "wenze", "evaluate", str(ROOT / "rules" / "zitong_2008.wz"),
             str(path), "--as-of", "2024-06-30", "--format", "json", "--evaluator", evaluator],
            capture_output=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin"},
        )
        assert done.returncode == 0, done.stderr.decode()
        assert done.stderr.decode().count("rejected event") == len(BAD)
        assert "Traceback" not in done.stderr.decode()
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["decisions"]


# ---------------------------------------------------------------- CSV

HEADER = "case:concept:name,time:timestamp,concept:name,org:resource\n"


def csv_rows(*middle: bytes) -> bytes:
    good = [f"K{i},2024-03-0{1 + i % 5} 10:00:00+08:00,审核,李四\n".encode() for i in range(6)]
    return HEADER.encode() + b"".join(good[:3]) + b"".join(middle) + b"".join(good[3:])


@pytest.mark.parametrize("middle, code", [
    ("K9,2024-03-01 10:00:00+08:00,审核,".encode() + b"x" * (MAX_CSV_FIELD + 1) + b"\n",
     "field_too_large"),
    ("K9,2024-03-01 10:00:00+08:00,审核,李".encode() + b"\xff\xfe\n", "bad_encoding"),
    ("K9,0001-03-01 10:00:00+08:00,审核,李四\n".encode(), "time_out_of_range"),
    ("K9,2024-03-01 10:00:00+08:00,审核,\"".encode() + b"y" * (20 * 1024 * 1024), "bad_csv"),
], ids=["field_too_large", "bad_encoding", "time_out_of_range", "bad_csv"])
def test_a_bad_csv_row_is_rejected_alone(tmp_path: Path, middle: bytes, code: str) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(csv_rows(middle))
    batch = read_events(path)
    assert [(r.line, r.code) for r in batch.rejected] == [(5, code)]
    if code == "bad_csv":  # an unclosed quote: csv reads on past the field it refused
        assert 3 <= len(batch.events) <= 5
    else:
        assert len(batch.events) == 6


def test_a_latin1_csv_rejects_its_rows_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(csv_rows("K9,2024-03-01 10:00:00+08:00,审核,José\n".encode("latin-1",
                                                                             "replace")))
    batch = read_events(path)
    assert [(r.line, r.code) for r in batch.rejected] == [(5, "bad_encoding")]
    assert "0xE9" in batch.rejected[0].message


def test_an_xes_file_with_an_unknown_encoding_is_refused_not_crashed(tmp_path: Path) -> None:
    # found by the fuzz harness (tests/fuzz): LookupError from the XML declaration
    path = tmp_path / "log.xes"
    path.write_bytes(b'<?xml version="1.0" encoding="U0001-01-01TF-8"?><log><trace>'
                     b'<string key="concept:name" value="T1"/></trace></log>')
    batch = read_events(path)
    assert [(r.line, r.code) for r in batch.rejected] == [(1, "bad_xml")]
