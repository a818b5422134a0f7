"""A JSON Lines file read straight into columns (``wenze.events.read_columns``) gives what
``read_events`` gives: columns equal to ``EventColumns.from_events`` of its events (every column,
its integer type, every table of names), each event rebuilt equal field for field (line, source,
UTC offset, data with its types), the same rejections in the same order, the same count of
identical duplicates, the same ``EventError`` in strict mode, the same exception for a file it
cannot read — on the odd inputs of the reader's own tests, line ends, chunk boundaries, values
orjson reads otherwise than json, times of every shape; and the same evaluation documents."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.test_evaluate_command import run as _cli
from tests.events.test_event_columns import COLUMNS, NAMES, _odd_caseload, _program, _same_event
from tests.events.test_events import REJECTIONS
from tests.events.test_events_quick import DECODE_LINES, ODD, _events, ev
from wenze.engine.evaluate import evaluate
from wenze.events import arrow as AR
from wenze.events import read_columns as RC
from wenze.events.arrow import read_jsonl_arrow
from wenze.events.columns import EventColumns
from wenze.events.read_columns import ColumnBatch, read_columns
from wenze.events.readers import EventError, read_events
from wenze.fast.columnar import evaluate_columnar
from wenze.report.output import to_json
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]


def _outcome(read: Any, path: Path, strict: bool) -> Any:
    try:
        return read(path, strict=strict)
    except Exception as err:  # the same exception is part of the same outcome
        return err


def _agree(path: Path) -> ColumnBatch | None:
    """``read_columns(path)`` and ``read_events(path)`` agree, strict or not; and so does
    ``read_jsonl_arrow(path)`` (Arrow's JSON parser where it can)."""
    got = None
    for strict, read in ((False, read_columns), (True, read_columns),
                         (False, read_jsonl_arrow), (True, read_jsonl_arrow)):
        want = _outcome(read_events, path, strict)
        have = _outcome(read, path, strict)
        if isinstance(want, Exception):
            assert type(have) is type(want) and str(have) == str(want)
            if isinstance(want, EventError):
                assert have.rejection == want.rejection
            continue
        assert isinstance(have, ColumnBatch), have
        expected = EventColumns.from_events(want.events)
        for name in COLUMNS:
            a, b = getattr(have.columns, name), getattr(expected, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
        for name in NAMES:
            assert getattr(have.columns, name) == getattr(expected, name), name
        events = list(have.columns.events)
        assert len(events) == len(want.events)
        for a, b in zip(events, want.events, strict=True):
            _same_event(a, b)
        assert have.rejected == want.rejected
        assert have.duplicates == want.duplicates
        if not strict and read is read_columns:
            got = have
    return got


def _write(tmp_path: Path, content: str | bytes, name: str = "events.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _odd_lines() -> list[str]:
    """The odd events and lines of the reader's tests, ids made distinct where they have one."""
    out = []
    for k, obj in enumerate(ODD):
        if isinstance(obj, dict) and isinstance(obj.get("id"), str) and obj["id"]:
            obj = {**obj, "id": f"odd{k}"}
        out.append(_line(obj))
    out += DECODE_LINES
    for k, (obj, _, _) in enumerate(REJECTIONS):
        if isinstance(obj, dict) and obj.get("id") == "e1":
            obj = {**obj, "id": f"rej{k}"}
        out.append(obj if isinstance(obj, str) else _line(obj))
    return out


@pytest.fixture(params=[1 << 19, 64], ids=["chunks", "tiny-chunks"])
def chunk_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Read with the usual chunks, and with chunks of a line or two (every boundary)."""
    monkeypatch.setattr(RC, "_CHUNK_BYTES", request.param)
    monkeypatch.setattr(AR, "_JSON_BLOCK", request.param)  # (Arrow's blocks too)
    return int(request.param)


def test_odd_lines_read_the_same(tmp_path: Path, chunk_bytes: int) -> None:
    lines = _odd_lines()
    got = _agree(_write(tmp_path, "\n".join(lines) + "\n"))
    assert got is not None and got.rejected and len(got.columns)
    assert got.columns.details is not None and got.columns.details.kept  # exact-path events
    shuffled = lines[:]
    random.Random(3).shuffle(shuffled)
    _agree(_write(tmp_path, "\n".join(shuffled)))  # no final newline


def test_each_odd_line_alone(tmp_path: Path) -> None:
    for k, text in enumerate(_odd_lines()):
        _agree(_write(tmp_path, text + "\n", f"e{k}.jsonl"))


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_line_ends_blank_lines_and_bom(tmp_path: Path, end: str, chunk_bytes: int) -> None:
    lines = [_line(ev(id=f"e{k}", case=f"C{k % 3}")) for k in range(12)]
    lines[3:3] = ["", "   ", "\t", "\u3000", "\x0c"]
    lines[8] = "  " + lines[8] + " \t"
    text = end.join(lines) + end
    got = _agree(_write(tmp_path, "\ufeff" + text))
    assert got is not None and len(got.columns) == 12
    _agree(_write(tmp_path, "\ufeff\ufeff" + text))  # a second BOM is not one
    _agree(_write(tmp_path, text.replace(end, "\r\n", 2)))  # mixed


def test_duplicates_across_chunks(tmp_path: Path, chunk_bytes: int) -> None:
    same = ev(id="d1")
    lines = [_line(same), _line(ev(id="x1", case="C9")), _line(same),
             _line(ev(id="d1", actor="李四")),  # conflicting
             _line(ev(id="d1", type="受理")),  # the same event, spelt in Chinese
             _line(ev(id="d1", at="2024-03-01T01:00:00Z")),  # the same instant, another offset
             _line(ev(id="c0", type="absent", case="", post="窗口")),  # exact path
             _line(ev(id="c0", type="absent", case="", post="窗口")),
             _line(ev(id="c0", type="absent", case="", post="局长")),
             _line(ev(id="d1", data={"n": 1.5}))]
    got = _agree(_write(tmp_path, "\n".join(lines * 2)))
    assert got is not None and got.duplicates and got.rejected


def test_order_by_case_instant_and_id(tmp_path: Path) -> None:
    lines = [_line(ev(id=i, case=c, at=at)) for i, c, at in [
        ("z", "B", "2024-03-01T09:00:00+08:00"),
        ("b", "B", "2024-03-01T01:00:00+00:00"),  # the same instant: by id
        ("a", "B", "2024-03-01T02:00:00+01:00"),
        ("m", "A", "2024-03-02T09:00:00+08:00"),
        ("c", "A", "2024-03-01T09:00:00+08:00"),
        ("p", "", "2024-03-01T09:00:00+08:00")]]
    lines[-1] = _line(ev(id="p", case="", type="absent", post="窗口"))
    got = _agree(_write(tmp_path, "\n".join(lines)))
    assert got is not None
    assert [e.id for e in got.columns.events] == ["p", "c", "m", "a", "b", "z"]


def test_values_orjson_reads_otherwise(tmp_path: Path, chunk_bytes: int) -> None:
    base = _line(ev(id="ID"))[:-1]
    tails = ['"n": 123456789012345678901234567890', '"n": 18446744073709551616',
             '"n": -9223372036854775809', '"n": 18446744073709551615', '"x": NaN',
             '"x": Infinity', '"x": -Infinity', '"x": 1e400', '"x": 0.1', '"x": 1.0',
             '"x": -0.0', '"x": 1E5', '"s": "\\ud800"', '"s": "\\udc00x"',
             '"s": "\\ud83d\\ude00"', '"s": "\\u0000"', '"k": 1, "k": 2',
             '"reasons": ["a"], "reasons": [1]', '"deep": ' + "[" * 70 + "]" * 70]
    lines = [base.replace('"ID"', f'"v{k}"') + ', "data": {' + tail + "}}"
             for k, tail in enumerate(tails)]
    lines.append(base.replace('"ID"', '"dup"') + ', "item": "a", "item": "b"}')
    lines.append(base.replace('"ID"', '"dup2"') + ', "type": "bogus", "type": "accepted"}')
    got = _agree(_write(tmp_path, "\n".join(lines)))
    assert got is not None
    by_id = {e.id: e for e in got.columns.events}
    assert by_id["v0"].data == {"n": 123456789012345678901234567890}
    assert "v12" not in by_id and "v13" not in by_id  # lone surrogates: rejected (bad_text)
    assert by_id["v14"].data == {"s": "\U0001F600"}
    assert by_id["dup"].item == "b"


def test_a_line_too_deep_for_json_and_bad_utf8(tmp_path: Path) -> None:
    deep = _line(ev(id="deep"))[:-1] + ', "data": {"x": ' + "[" * 5000 + "]" * 5000 + "}}"
    fine = _line(ev(id="fine"))
    _agree(_write(tmp_path, f"{fine}\n{deep}\n", "deep.jsonl"))  # RecursionError, as json's
    bad = fine.encode() + b"\n" + _line(ev(id="bad")).encode().replace(b"accepted", b"acc\xffd")
    got = _agree(_write(tmp_path, bad + b"\n", "bad.jsonl"))  # the one line rejected
    assert got is not None and [(r.line, r.code) for r in got.rejected] == [(2, "bad_encoding")]
    rejected_first = b'{"id": 1}\n' + bad
    _agree(_write(tmp_path, rejected_first, "bad2.jsonl"))


TIMES = ["2024-03-01T09:00:00+08:00", "2024-03-01 09:00:00+08:00", "2024-03-01T09:00:00Z",
         "2024-03-01T09:00:00-00:00", "2024-03-01T09:00:00+23:59", "2024-03-01T09:00:00+24:00",
         "2024-03-01T09:00:00-05:30", "2024-02-29T09:00:00+08:00", "2023-02-29T09:00:00+08:00",
         "1900-02-29T09:00:00+08:00", "2000-02-29T09:00:00+08:00", "2024-04-31T09:00:00+08:00",
         "2024-00-01T09:00:00+08:00", "2024-13-01T09:00:00+08:00", "2024-03-00T09:00:00+08:00",
         "2024-03-01T24:00:00+08:00", "2024-03-01T23:60:00+08:00", "2024-03-01T23:59:60+08:00",
         "0000-03-01T09:00:00+08:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
         "1697-12-31T09:00:00+08:00", "1698-01-01T00:00:00+23:59", "2241-12-31T23:59:59-23:59",
         "2242-01-01T00:00:00+00:00", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
         "2024-03-01X09:00:00+08:00", "2024-03-01T09:00:00 08:00", "2024-03-01T09:00:00+0800",
         "2024-03-01T09:00:00.5+08:00", "2024-03-01T09:00:00.123456Z", "2024-03-01T09:00+08:00",
         "２０２４-03-01T09:00:00+08:00", "2024-03-01T09:00:00+08:00 ", " 2024-03-01T09:00:00Z",
         "2024-03-01T09:00:00z", "20240301T090000+0800", "2024-03-01T09:00:00+08:00:30",
         "2024-03-01T09:00:0a+08:00", "2024-03-01T09:00:00/08:00", "-024-03-01T09:00:00+08:00"]


def test_times_of_every_shape(tmp_path: Path) -> None:
    lines = [_line(ev(id=f"t{k}", at=at)) for k, at in enumerate(TIMES)]
    got = _agree(_write(tmp_path, "\n".join(lines)))
    assert got is not None and got.rejected and len(got.columns) > 10


_digit = st.sampled_from("0123456789")
_time_texts = st.builds(
    lambda y, mo, d, sep, h, mi, s, sign, oh, om, z: (
        f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}" + ("Z" if z else f"{sign}{oh}:{om}")),
    st.integers(1600, 2300).map(str), st.integers(0, 13).map("{:02d}".format),
    st.integers(0, 32).map("{:02d}".format), st.sampled_from("T t"),
    st.integers(0, 25).map("{:02d}".format), st.integers(0, 61).map("{:02d}".format),
    st.integers(0, 61).map("{:02d}".format), st.sampled_from("+-"),
    st.integers(0, 25).map("{:02d}".format), st.integers(0, 61).map("{:02d}".format),
    st.booleans())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_time_texts, min_size=1, max_size=40))
def test_generated_times(tmp_path: Path, ats: list[str]) -> None:
    lines = [_line(ev(id=f"t{k}", case=f"C{k % 4}", at=at)) for k, at in enumerate(ats)]
    _agree(_write(tmp_path, "\n".join(lines)))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_events, max_size=10), st.lists(st.sampled_from(["\n", "\r\n", "\n\n"]),
                                                 min_size=1, max_size=3))
def test_generated_events(tmp_path: Path, objs: list[dict[str, Any]], ends: list[str]) -> None:
    text = "".join(_line(o) + ends[k % len(ends)] for k, o in enumerate(objs))
    _agree(_write(tmp_path, text))


def _odd_file(tmp_path: Path, seed: int) -> Path:
    lines = [_line(e.to_json()) for e in _odd_caseload(seed)]
    random.Random(seed).shuffle(lines)
    return _write(tmp_path, "\n".join(lines) + "\n", f"odd{seed}.jsonl")


@pytest.mark.parametrize("seed", [1, 5])
def test_the_same_documents(tmp_path: Path, seed: int) -> None:
    path = _odd_file(tmp_path, seed)
    got = _agree(path)
    assert got is not None
    batch = read_events(path)
    program = _program()
    as_of = dt.date(2024, 12, 31)
    reference = to_json(evaluate(program, batch.events, as_of, rejected=batch.rejected))
    assert to_json(evaluate_columnar(program, got.columns, as_of,
                                     rejected=got.rejected)) == reference
    assert to_json(evaluate_columnar(program, batch.events, as_of,
                                     rejected=batch.rejected)) == reference


def test_evaluate_command_reads_columns_for_the_columnar_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    events = generate(_program(), load_profile(), cases=60, seed=2)
    lines = [_line(e.to_json()) for e in events]
    lines[5:5] = ['{"id": "broken"', _line(ev(id="bad", type="nope"))]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    rulebook = ROOT / "rules" / "zitong_2008.wz"
    argv = (rulebook, path, "--as-of", "2024-12-31", "--format", "json")
    want = _cli(capsys, *argv, "--evaluator", "reference")
    assert want[0] == 0 and "rejected event" in want[2]
    strict = _cli(capsys, *argv, "--evaluator", "reference", "--strict")

    def no_events(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read_events is not used for a JSON Lines file here")

    monkeypatch.setattr("wenze.events.readers.read_events", no_events)
    for asked in ("columnar", "auto"):  # (auto: 60 cases, so the reference judges the columns)
        assert _cli(capsys, *argv, "--evaluator", asked) == want
        assert _cli(capsys, *argv, "--evaluator", asked, "--strict") == strict


def test_rows_rebuilt_together_are_the_rows_one_by_one(tmp_path: Path) -> None:
    got = _agree(_odd_file(tmp_path, 7))
    assert got is not None
    cols = got.columns
    view = cols.events
    assert cols.details is not None and cols.details.kept  # rows kept as Event objects too
    rng = np.random.default_rng(7)
    for idx in (rng.permutation(len(cols)), rng.integers(0, len(cols), 50),
                np.asarray(sorted(cols.details.kept)), np.arange(3, 40), np.zeros(0, int)):
        together = view.take(idx)  # type: ignore[attr-defined]
        assert len(together) == len(idx)
        for a, i in zip(together, idx.tolist(), strict=True):
            _same_event(a, view[i])
        assert cols.events_at(idx) == together
        originals = EventColumns.from_events(list(view))
        assert originals.events_at(idx) == together
    with pytest.raises(IndexError):
        view.take([len(cols)])  # type: ignore[attr-defined]
