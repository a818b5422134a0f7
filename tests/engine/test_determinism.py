"""Same inputs → byte-identical JSON: two runs, and a run on the events shuffled (lines and ids
unchanged, order changed) give the same document."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

import wenze
from wenze.events.readers import read_jsonl

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
RUNS = [(p / "rulebook.wz", p / "events.jsonl", json.loads((p / "case.json").read_text())["as_of"])
        for p in sorted(CASES.iterdir())
        if (p / "case.json").is_file() and "error" not in (p / "case.json").read_text()]
EXAMPLE = (ROOT / "rules" / "zitong_2008.wz", ROOT / "examples" / "caseload.jsonl", "2024-06-30")
if EXAMPLE[0].is_file() and EXAMPLE[1].is_file():
    RUNS.append(EXAMPLE)


def _json(rulebook: Path, lines: list[str], as_of: str) -> bytes:
    batch = read_jsonl(lines, "events.jsonl")
    result = wenze.load(rulebook).evaluate(batch.events, as_of=dt.date.fromisoformat(as_of))
    return wenze.to_json(result).encode("utf-8")


@pytest.mark.parametrize("rulebook,events,as_of", RUNS, ids=[r[1].parent.name for r in RUNS])
def test_byte_identical_across_runs_and_shuffled_input(rulebook: Path, events: Path,
                                                       as_of: str) -> None:
    lines = events.read_text(encoding="utf-8").splitlines()
    first = _json(rulebook, lines, as_of)
    assert first == _json(rulebook, lines, as_of)
    shuffled = list(lines)
    random.Random(20240210).shuffle(shuffled)
    assert shuffled != lines
    assert first == _json(rulebook, shuffled, as_of)
    assert json.loads(first)["decisions"] or json.loads(first)["warnings"]


def test_forked_workers_give_the_same_document(monkeypatch: pytest.MonkeyPatch) -> None:
    from wenze.engine import evaluate as E

    rulebook, events, as_of = RUNS[-1]
    monkeypatch.setattr(E, "PARALLEL_MIN_CASES", 2)
    lines = events.read_text(encoding="utf-8").splitlines()
    batch = read_jsonl(lines, "events.jsonl")
    program = wenze.load(rulebook).program
    day = dt.date.fromisoformat(as_of)
    one = E.evaluate(program, batch.events, day, workers=1)
    three = E.evaluate(program, batch.events, day, workers=3)
    assert wenze.to_json(one) == wenze.to_json(three)
    assert one.decisions
