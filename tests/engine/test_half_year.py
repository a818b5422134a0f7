"""半年度 / half-yearly targets: the period keys (``2024-H1``, ``2024-H2``), their ends, and a
unit below its half-year rate answering once per completed half-year (the case file
``tests/cases/half_year_target`` holds the hand-worked numbers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import wenze
from wenze.dsl import ast as A
from wenze.dsl.parser import parse
from wenze.engine.case import period_end, period_key
from wenze.engine.evaluate import period_of_key
from wenze.report.compare import summarize

CASE = Path(__file__).resolve().parents[1] / "cases" / "half_year_target"
D = dt.date


@pytest.mark.parametrize(("day", "key", "end"), [
    (D(2024, 1, 1), "2024-H1", D(2024, 6, 30)),
    (D(2024, 6, 30), "2024-H1", D(2024, 6, 30)),
    (D(2024, 7, 1), "2024-H2", D(2024, 12, 31)),
    (D(2024, 12, 31), "2024-H2", D(2024, 12, 31)),
])
def test_half_year_keys_and_ends(day: dt.date, key: str, end: dt.date) -> None:
    assert period_key(day, A.Period.HALF_YEAR) == key
    assert period_end(key) == end
    assert period_of_key(key) is A.Period.HALF_YEAR
    # the other periods are unchanged
    assert period_of_key(period_key(day, A.Period.QUARTER)) is A.Period.QUARTER
    assert period_of_key(period_key(day, A.Period.MONTH)) is A.Period.MONTH
    assert period_of_key(period_key(day, A.Period.YEAR)) is A.Period.YEAR


def test_both_keyword_tables_spell_the_half_year() -> None:
    for text in ("规则集 r {}\n目标 t { 周期 半年度 }\n",
                 "rulebook r {}\ntarget t { period half-yearly }\n",
                 "rulebook r {}\ntarget t { period semiannual }\n"):
        rulebook = parse(text).rulebook
        assert rulebook is not None, text
        target = rulebook.decls[0]
        assert isinstance(target, A.TargetDecl) and target.period is A.Period.HALF_YEAR


def test_a_unit_below_its_half_year_rate_answers_once_the_half_year_is_over() -> None:
    rulebook = wenze.load(CASE / "rulebook.wz")
    june = rulebook.evaluate(CASE / "events.jsonl", as_of=D(2024, 6, 30))
    assert [m.period for m in june.metrics] == ["2024-H1"]
    assert not june.metrics[0].complete
    assert not [d for d in june.decisions if d.violation == "未达按时办结率"]
    july = rulebook.evaluate(CASE / "events.jsonl", as_of=D(2024, 7, 1))
    missed = [d for d in july.decisions if d.violation == "未达按时办结率"]
    assert [d.to_json()["subject"] for d in missed] == ["审批科/2024-H1"]
    # the simulation summary reads the half-year metrics (no other period is measured here)
    units = summarize(july)["units"]
    assert [(u["unit"], u["decided"], u["on_time"]) for u in units] == [("审批科", 11, 9)]
