"""A 问责决定书 shows which of its numbers come from the text and which from a document named as an
assumption: the bases of the deadlines it names and of its ladder follow the violation's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import wenze
from wenze.report import output

ROOT = Path(__file__).resolve().parents[2]


def test_a_broken_promise_names_the_basis_of_the_promise_and_of_the_ladder() -> None:
    rulebook = wenze.load(ROOT / "rules" / "zitong_2008.wz")
    result = rulebook.evaluate(ROOT / "examples" / "caseload.jsonl", as_of=dt.date(2024, 6, 30))
    d = next(d for d in result.decisions
             if d.violation == "超过承诺时限" and d.to_json()["role"] == "direct" and d.sanction)
    letter = output.decision_letter(d, rulebook.program)
    basis = letter.split("二、依据", 1)[1].split("三、处理决定", 1)[0]
    assert "（梓委办发[2008]16号）二、（四）2" in basis  # the rule: the text
    promise = "承诺期限依据：《梓潼县首问责任制、限时办结制、责任追究制实施办法及审批标准时间（示例"
    assert promise in basis  # the promised number: the assumption
    assert "法定期限依据：《中华人民共和国行政许可法（2019年修正）》" in basis
    assert "处理阶梯依据：" in basis and "三、（三）2" in basis
    # without the program the letter still stands, with the violation's basis only
    assert "承诺期限依据" not in output.decision_letter(d)
