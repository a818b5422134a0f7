"""``wenze.report.summaries``: the fields of every decision read from a columnar
result's columns are those of its decisions, and those the reference evaluator gives; and the
consumers that read them (``wenze evaluate --decision KEY``) say what they said before."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import wenze
from tests.evaluator_spies import forbid_passes_over_every_decision
from wenze.cli import main
from wenze.engine import evaluate as reference
from wenze.events.readers import read_events
from wenze.fast.columnar import evaluate_columnar
from wenze.fast.ladder import DecisionTable
from wenze.report.summaries import FIELDS, column, count_by, of_cases

CASES = Path(__file__).resolve().parents[1] / "cases"
# joint decisions (keys not made from an offence), decisions about no case (targets), a ladder
KINDS = ("joint_liability", "target_rate", "ladder_escalation")


def _judged(name: str) -> tuple[Any, tuple[Any, ...], Any]:
    """(the columnar result, its decisions made one by one, the reference result)."""
    case = CASES / name
    program = wenze.load(case / "rulebook.wz").program
    events = read_events(case / "events.jsonl").events
    as_of = dt.date.fromisoformat(
        json.loads((case / "case.json").read_text(encoding="utf-8"))["as_of"])
    fast = evaluate_columnar(program, events, as_of)
    return fast, tuple(fast.decisions), reference.evaluate(program, events, as_of)


@pytest.mark.parametrize("name", KINDS)
def test_fields_from_the_columns_are_the_decisions_fields(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, made, slow = _judged(name)
    assert isinstance(fast.decisions, DecisionTable) and isinstance(slow.decisions, tuple)
    assert made == slow.decisions and made
    # on the table, from its columns (a pass over every decision would fail)
    forbid_passes_over_every_decision(monkeypatch)
    for field in FIELDS:
        plain = [getattr(d, field) for d in made]
        assert column(fast.decisions, field) == plain == column(slow.decisions, field)
        assert count_by(fast.decisions, field) == Counter(plain) == count_by(slow.decisions,
                                                                             field)
    some = {c for c in column(made, "case")[::2] if c is not None}
    assert some
    want = [d for d in made if d.case in some]
    assert of_cases(fast.decisions, some) == want == of_cases(slow.decisions, sorted(some))
    with pytest.raises(ValueError, match="not a field"):
        column(made, "person")


def test_the_kinds_are_there() -> None:
    """The case files exercise what they are chosen for."""
    joint = [d for d in _judged("joint_liability")[1] if d.ladder and d.ladder.joint]
    assert joint and all(d.case is not None for d in joint)
    assert None in column(_judged("target_rate")[1], "case")


@pytest.mark.parametrize("evaluator", ["reference", "columnar"])
def test_decision_letter_by_key_from_either_evaluator(
        evaluator: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--decision KEY`` finds the decision by the keys (a columnar result makes only it):
    the letter of the last decision, the same whichever evaluator judged."""
    case = CASES / "joint_liability"
    argv = ["evaluate", str(case / "rulebook.wz"), str(case / "events.jsonl"), "--as-of",
            "2024-06-30", "--evaluator", evaluator]
    assert main([*argv, "--format", "json"]) == 0
    last = json.loads(capsys.readouterr().out)["decisions"][-1]
    assert main([*argv, "--decision", last["key"]]) == 0
    letter = capsys.readouterr().out
    assert "问责决定书" in letter and f"被问责人：{last['person']}" in letter
    assert main([*argv, "--decision", "0000000000000000"]) == 2
    assert "no decision with key" in capsys.readouterr().err
