"""A joint-liability (连带) decision says what it is: the sanction the ladder's 连带 rule names,
given to a leader because of the unit's Nth sanction — not a step of the leader's own ladder.

The main job's row ``ZT-2024-105 越权批准延期 陈光辉 … 效能告诫`` is such a decision: 梓潼's
ladder says ``连带 第 3 次 分管领导 「效能告诫」`` (梓委办发[2008]16号 三、（三）2), and 刘洋's
越权批准延期 of 25 Apr 2024 is the third sanction of the 县政务服务中心 in 12 months
(ZT-2024-101, ZT-2024-106, ZT-2024-105), so its 分管领导 陈光辉 gets a 效能告诫 — while his
own ladder stands elsewhere.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import wenze
from wenze.report import output

REPO = Path(__file__).resolve().parents[2]
KEY = "2a70f4b6aa990b45"


def _decision():  # type: ignore[no-untyped-def]
    rulebook = wenze.load(REPO / "rules" / "zitong_2008.wz")
    result = rulebook.evaluate(REPO / "examples" / "caseload.jsonl", as_of=dt.date(2024, 6, 30))
    return rulebook, result, next(d for d in result.decisions if d.key == KEY)


def test_joint_decision_is_the_fixed_sanction_of_the_joint_rule() -> None:
    _, _, d = _decision()
    j = d.to_json()
    assert (j["case"], j["person"], j["role"], j["sanction"]) == (
        "ZT-2024-105", "陈光辉", "deputy_leader", "效能告诫")
    ladder = j["ladder"]
    assert ladder["joint"] is True
    assert ladder["step"] is None  # no escalation row of the leader's ladder was used
    assert ladder["count_in_window"] == 3  # the unit's count
    zh = " ".join(r["zh"] for r in ladder["reasons"])
    assert "「县政务服务中心」" in zh and "第 3 次" in zh
    assert "连带规定" in zh and "不按本人" in zh
    # the legal basis of the leader's sanction is the ladder's 连带 clause, beside the violation's
    assert {"rule": "效能问责", "document": "梓委办发[2008]16号", "clause": "三、（三）2"} in [
        {k: b[k] for k in ("rule", "document", "clause")} for b in j["basis"]]
    assert j["basis"][0]["rule"] == "越权批准延期"


def test_table_row_says_joint_not_a_third_step() -> None:
    _, result, _ = _decision()
    row = next(line for line in output.table(result).splitlines() if KEY in line)
    assert "连带:「县政务服务中心」第3次问责→分管领导「效能告诫」" in row
    assert "第3次 连带" not in row
    assert " 3 " not in row.split("效能告诫", 1)[1]  # no ladder step in the 级 column


def test_letter_and_explain_say_joint() -> None:
    rulebook, result, d = _decision()
    letter = output.decision_letter(d, rulebook.program)
    assert "不按本人" in letter and "三、（三）2" in letter
    result = rulebook.evaluate(REPO / "examples" / "caseload.jsonl", as_of=dt.date(2024, 6, 30),
                               explain=["ZT-2024-105"])
    text = output.explain(result, "ZT-2024-105", rulebook.program)
    line = next(x for x in text.splitlines() if "window 2023-04-26" in x and "连带" in x)
    assert "step" not in line
