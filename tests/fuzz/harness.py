"""Fuzz harnesses (issue 15): hypothesis strategies and one check per target, shared by the
bounded pass of the normal test run (``tests/fuzz/test_fuzz.py``) and the long run
(``WENZE_FUZZ_EXAMPLES=… WENZE_FUZZ_DEADLINE_MS=1000 pytest tests/fuzz``; figures in
``docs/reliability.md``).

A check fails on a Python traceback (any exception escaping the code under test), on a
disagreement (the formatter's round trip; ``read_events`` against ``read_columns``), and — in the
long run only, where the deadline is set — on an input taking longer than the deadline."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("WENZE_FUZZ_EXAMPLES", "60"))
DEADLINE = os.environ.get("WENZE_FUZZ_DEADLINE_MS")
FUZZ = settings(max_examples=EXAMPLES, deadline=int(DEADLINE) if DEADLINE else None,
                suppress_health_check=list(HealthCheck), derandomize=not DEADLINE)

SOURCES = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "rules").glob("*.wz"))]
_TOKEN = re.compile(r'\s+|「[^」\n]*」|"(?:[^"\\\n]|\\.)*"|[A-Za-z_0-9.%-]+|.', re.S)
_PIECES = ["(", ")", "非 ", " 且 ", " 或 ", "「", "」", '"', "“", "\\", "\x00", "\n", "{", "}",
           "覆盖", "继承 \"../x.wz\"", "9" * 30, "2024-02-30", "\ud7ff", "「a」", "# c\n"]


@st.composite
def rulebook_texts(draw: st.DrawFn) -> str:
    """A shipped rulebook with tokens deleted, repeated (up to hundreds of times: deep
    nesting, long chains, long lines) or replaced by hostile pieces; or arbitrary text."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.text(max_size=300))
    tokens = _TOKEN.findall(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "repeat", "replace", "insert"]))
        if action == "delete":
            del tokens[i]
        elif action == "repeat":
            tokens[i] = tokens[i] * draw(st.sampled_from([2, 3, 60, 600]))
        elif action == "replace":
            tokens[i] = draw(st.sampled_from(_PIECES))
        else:
            tokens.insert(i, draw(st.sampled_from(_PIECES)) * draw(st.sampled_from([1, 50, 500])))
        if not tokens:
            break
    return "".join(tokens)


def check_rulebook(text: str) -> None:
    from wenze.dsl.formatter import try_format_text
    from wenze.dsl.loader import load_text
    from wenze.dsl.parser import parse
    from wenze.dsl.render import render, to_json

    result = load_text(text, str(ROOT / "rules" / "fuzz.wz"))
    render(result.diagnostics, result.sources, "zh")
    render(result.diagnostics, result.sources, "en")
    json.dumps(to_json(result.diagnostics, result.sources), ensure_ascii=False)
    formatted, diagnostics = try_format_text(text, "fuzz.wz")
    if formatted is None:
        assert any(d.is_error for d in diagnostics)
        return
    assert parse(formatted).rulebook == parse(text).rulebook, "fmt changed the tree"
    assert try_format_text(formatted, "fuzz.wz")[0] == formatted, "fmt is not stable"


GOOD_LINES = (ROOT / "examples" / "caseload.jsonl").read_bytes().splitlines()[:400]
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=20,
)
_HOSTILE = [b"\xff", b"\xed\xa0\x80", b"\\ud800", b"\\udc00", b"0001-01-01", b"9999-12-31",
            b"[" * 2000, b"{\"a\":" * 500, b"\x00", b"\r", b"\"", b",", b"}", b"NaN",
            b"1e999", b"2024-02-30"]


@st.composite
def event_lines(draw: st.DrawFn) -> list[bytes]:
    """Lines of a JSON Lines file: real events, real events with bytes cut, repeated or replaced
    by hostile pieces, random JSON objects with the contract's keys."""
    lines = list(draw(st.lists(st.sampled_from(GOOD_LINES), min_size=1, max_size=12)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        kind = draw(st.integers(0, 3))
        if kind == 0 and line:
            j = draw(st.integers(0, len(line) - 1))
            lines[i] = line[:j] + draw(st.sampled_from(_HOSTILE)) + line[j + 1:]
        elif kind == 1:
            obj = json.loads(GOOD_LINES[0])
            obj[draw(st.sampled_from(sorted(obj)))] = draw(_JSON_VALUES)
            lines[i] = json.dumps(obj).encode()
        elif kind == 2:
            lines.insert(i, draw(st.binary(max_size=60)))
        else:
            lines[i] = line.replace(b"2024", draw(st.sampled_from([b"0001", b"1899", b"2201",
                                                                   b"1900", b"2200"])))
    return lines


def check_event_lines(lines: list[bytes], tmp: Path) -> None:
    from wenze.events.read_columns import read_columns
    from wenze.events.readers import read_events

    path = tmp / "fuzz.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    exact = read_events(path)
    fast = read_columns(path)
    assert [(r.line, r.code, r.event_id) for r in fast.rejected] == [
        (r.line, r.code, r.event_id) for r in exact.rejected], "the readers disagree"
    assert len(fast.events) == len(exact.events), "the readers disagree"
    for r in exact.rejected:
        (r.message + (r.event_id or "")).encode("utf-8")  # printable


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    head = b"case:concept:name,time:timestamp,concept:name,org:resource\n"
    rows = [f"K{i},2024-03-0{1 + i % 5} 10:00:00+08:00,\xe5\xae\xa1,x\n".encode("latin-1")
            for i in range(draw(st.integers(1, 6)))]
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i][:draw(st.integers(0, len(rows[i])))] + draw(
            st.sampled_from([*_HOSTILE, b"\"", b"\n", b"x" * 140_000])) + rows[i]
    return head + b"".join(rows)


def check_csv(data: bytes, tmp: Path) -> None:
    from wenze.events.readers import read_events

    path = tmp / "fuzz.csv"
    path.write_bytes(data)
    read_events(path)


@st.composite
def xes_bytes(draw: st.DrawFn) -> bytes:
    names = st.sampled_from(["a", "收件", "&amp;", "&#0;", "x"])
    times = st.sampled_from(["2024-03-01T10:00:00+08:00", "0001-01-01T00:00:00Z", "bad", ""])
    events = "".join(
        f'<event><string key="concept:name" value="{draw(names)}"/>'
        f'<date key="time:timestamp" value="{draw(times)}"/></event>'
        for _ in range(draw(st.integers(0, 4))))
    text = (f'<?xml version="1.0" encoding="UTF-8"?><log><trace><string key="concept:name" '
            f'value="T1"/>{events}</trace></log>').encode()
    if draw(st.booleans()):
        j = draw(st.integers(0, len(text) - 1))
        hostile = [*_HOSTILE, b"<!ENTITY x SYSTEM 'file:///etc/passwd'>", b"<", b"&",
                   b"U0001-01-01"]
        text = text[:j] + draw(st.sampled_from(hostile)) + text[j:]
    return text


def check_xes(data: bytes, tmp: Path) -> None:
    from wenze.events.model import EventError
    from wenze.events.readers import read_events

    path = tmp / "fuzz.xes"
    path.write_bytes(data)
    try:
        read_events(path)
    except (EventError, ValueError, OSError) as err:  # a refused file: said, not crashed
        assert "/etc/passwd" not in str(err) or "root:" not in str(err)
