"""The ladder read across runs gives what one run over all the events gives.

Splitting a caseload over two runs (the first recorded in the store, the second evaluating the
stored events with the first run's sanctions as history) must not change any decision: the
history is counted exactly as the ladder counts sanctions inside one run — a joint (连带)
sanction does not count toward the leader's own ladder, and a sanction a leader receives in a
leadership role does not count toward the unit's 连带 count (tests/cases/joint_liability).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from wenze.dsl.loader import load_rulebook
from wenze.engine.evaluate import evaluate
from wenze.engine.lower import lower
from wenze.events.readers import read_events
from wenze.store.evaluate import evaluate_stored, store_evaluation
from wenze.store.ingest import ingest

from .conftest import REPO

CASE = REPO / "tests" / "cases" / "joint_liability"
AS_OF = date(2024, 6, 30)

# 牛副局长 (the 分管领导 who answered J-3 jointly) is himself late in J-5 afterwards.
J5 = [
    {"id": "J-5-1", "case": "J-5", "type": "received", "at": "2024-05-06T09:00:00+08:00",
     "item": "许可", "actor": "牛副局长", "post": "副局长"},
    {"id": "J-5-2", "case": "J-5", "type": "accepted", "at": "2024-05-06T10:00:00+08:00",
     "item": "许可", "actor": "牛副局长", "post": "副局长"},
    {"id": "J-5-9", "case": "J-5", "type": "decided", "at": "2024-06-20T16:00:00+08:00",
     "item": "许可", "actor": "马局长", "post": "局长", "data": {"outcome": "准予许可"}},
]

# (rulebook text edit, cases of the first run, cases of the second run); BOSSES shows who holds
# the leader posts (a run names the leader seen in its own events)
SPLITS = {
    # joint sanctions of run 1 must not raise the leader's own count in run 2
    "joint_not_counted_for_leader": (
        {}, {"BOSSES", "J-1", "J-2", "J-3", "J-4"}, {"J-5"}),
    # leaders' own (分管领导) sanctions of run 1 must not count toward the unit's 连带 count
    "leader_role_not_counted_for_unit": (
        {"责任 直接责任人": "责任 直接责任人、分管领导"}, {"BOSSES", "J-1", "J-2"},
        {"BOSSES", "J-3", "J-4"}),
}


def _rulebook(tmp_path: Path, edits: dict[str, str]) -> Path:
    text = (CASE / "rulebook.wz").read_text(encoding="utf-8")
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "rulebook.wz"
    path.write_text(text, encoding="utf-8")
    return path


def _events(tmp_path: Path, name: str, cases: set[str]) -> Path:
    lines = [json.loads(line) for line in
             (CASE / "events.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    lines += J5
    path = tmp_path / name
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines
                            if e["case"] in cases), encoding="utf-8")
    return path


def _summary(decisions: list) -> list[tuple]:
    return sorted((d.case or "", d.person or "", d.role.value, d.sanction or "",
                   bool(d.ladder and d.ladder.joint)) for d in decisions)


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_split_runs_decide_as_one_run(engine: Engine, tmp_path: Path, split: str) -> None:
    edits, first, second = SPLITS[split]
    rulebook = _rulebook(tmp_path, edits)
    loaded = load_rulebook(rulebook)
    assert loaded.rulebook is not None
    program = lower(loaded.rulebook)

    whole = evaluate(program, read_events(_events(tmp_path, "all.jsonl", first | second)).events,
                     AS_OF)
    expected = [d for d in _summary(whole.decisions) if d[0] in second]

    early = read_events(_events(tmp_path, "early.jsonl", first)).events
    store_evaluation(evaluate(program, early, AS_OF), engine, loaded.sources, early)
    assert ingest(engine, _events(tmp_path, "late.jsonl", second)).ok
    later = evaluate_stored(engine, rulebook, AS_OF)
    assert later.prior_sanctions > 0
    assert _summary(later.result.decisions) == expected
