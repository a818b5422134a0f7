"""A joint-liability (连带) decision says what it is: the sanction the ladder's 连带 rule names,
given to a leader because of the unit's Nth sanction — not a step of the leader's own ladder.

The rulebook is the ``joint_liability`` case's (``tests/cases/joint_liability``) with its ladder
citing an assumed document: four officials of the 审批科 are each late once, and J-3 is the third
sanction of the unit in 12 months, so its 分管领导 牛副局长 gets the 效能告诫 the ladder's
``连带 第 3 次 分管领导、主要领导 「效能告诫」`` names — while his own ladder stands elsewhere.

(This test used the 梓潼 main job until issue 21: 梓委办发[2008]16号 二、（四）3 holds the
分管领导 to account for every violation directly, so the faithful 梓潼 rulebook has no 连带 rule.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import wenze
from wenze.report import output

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "tests" / "cases" / "joint_liability"


@pytest.fixture
def joint(tmp_path: Path):  # type: ignore[no-untyped-def]
    text = (CASE / "rulebook.wz").read_text(encoding="utf-8")
    text = text.replace('阶梯 「效能问责」 {',
                        '阶梯 「效能问责」 依据 「问责实施细则（示例，非原文）」 "连带" {')
    text += '\n文件 「问责实施细则（示例，非原文）」 {\n  标题 "测试用细则（示例，非原文）"\n}\n'
    path = tmp_path / "joint.wz"
    path.write_text(text, encoding="utf-8")
    rulebook = wenze.load(path)
    result = rulebook.evaluate(CASE / "events.jsonl", as_of=dt.date(2024, 6, 30))
    decision = next(d for d in result.decisions
                    if d.case == "J-3" and d.person == "牛副局长")
    return rulebook, result, decision


def test_joint_decision_is_the_fixed_sanction_of_the_joint_rule(joint) -> None:  # type: ignore[no-untyped-def]
    _, _, d = joint
    j = d.to_json()
    assert (j["case"], j["person"], j["role"], j["sanction"]) == (
        "J-3", "牛副局长", "deputy_leader", "效能告诫")
    ladder = j["ladder"]
    assert ladder["joint"] is True
    assert ladder["step"] is None  # no escalation row of the leader's ladder was used
    assert ladder["count_in_window"] == 3  # the unit's count
    zh = " ".join(r["zh"] for r in ladder["reasons"])
    assert "「审批科」" in zh and "第 3 次" in zh
    assert "连带规定" in zh and "不按本人" in zh
    # the legal basis of the leader's sanction is the ladder's 连带 clause, beside the violation's
    assert {"rule": "效能问责", "document": "问责实施细则（示例，非原文）", "clause": "连带"} in [
        {k: b[k] for k in ("rule", "document", "clause")} for b in j["basis"]]


def test_table_row_says_joint_not_a_third_step(joint) -> None:  # type: ignore[no-untyped-def]
    _, result, d = joint
    row = next(line for line in output.table(result).splitlines() if d.key in line)
    assert "连带:「审批科」第3次问责→分管领导「效能告诫」" in row
    assert "第3次 连带" not in row
    assert " 3 " not in row.split("效能告诫", 1)[1]  # no ladder step in the 级 column


def test_letter_and_explain_say_joint(joint) -> None:  # type: ignore[no-untyped-def]
    rulebook, _, d = joint
    letter = output.decision_letter(d, rulebook.program)
    assert "不按本人" in letter and "《测试用细则（示例，非原文）》连带" in letter
    result = rulebook.evaluate(CASE / "events.jsonl", as_of=dt.date(2024, 6, 30),
                               explain=["J-3"])
    text = output.explain(result, "J-3", rulebook.program)
    line = next(x for x in text.splitlines() if "joint liability, window" in x)
    assert "unit count 3" in line and "step" not in line
