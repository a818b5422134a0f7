"""Rules in time: each act judged by the version in force when it happened, the decision date's
version where it is lighter (从旧兼从轻) — on the shipped example family (rules/versions/)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

import wenze
from wenze.engine.versions import NO_VERSION, VersionError

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "rules" / "versions" / "family.wz"
EVENTS = ROOT / "examples" / "versions" / "caseload.jsonl"
AS_OF = dt.date(2022, 6, 30)


def _ev(case: str, n: int, kind: str, at: str, actor: str, **data: str) -> dict:
    ev = {"id": f"{case}-{n}", "case": case, "type": kind, "at": f"{at}T09:00:00+08:00",
          "item": "建设工程规划许可", "actor": actor, "post": "首席代表"}
    if data:
        ev["data"] = data
    return ev


def _late_case(case: str, actor: str, accepted: str, decided: str) -> list[dict]:
    return [_ev(case, 1, "received", accepted, actor), _ev(case, 2, "accepted", accepted, actor),
            _ev(case, 3, "decided", decided, actor, outcome="准予许可")]


@pytest.fixture(scope="module")
def family() -> wenze.RulebookFamily:
    loaded = wenze.load(FAMILY)
    assert isinstance(loaded, wenze.RulebookFamily)
    return loaded


def _by_case(result) -> dict[str, object]:
    return {d.case: d for d in result.decisions}


def test_each_act_by_its_own_version_and_the_lighter_new_rule(family):
    result = family.evaluate(EVENTS, AS_OF)
    d = _by_case(result)
    assert set(d) == {"OLD", "STRADDLE", "SUSP", "NEW"}
    # late in 2021 under the 2019 ladder (通报批评 first); the 2022 ladder is lighter: it applies
    assert (d["OLD"].sanction, d["OLD"].version) == ("效能告诫", "2022")
    assert d["OLD"].established == dt.date(2021, 11, 30)
    assert "从旧兼从轻" in d["OLD"].ladder.reasons[-1][0]
    assert "通报批评" in d["OLD"].ladder.reasons[-1][0]
    # accepted in 2021 (20 working days, the 2019 limit), late in January 2022: the 2022 rules
    assert d["STRADDLE"].established == dt.date(2022, 1, 19)
    assert (d["STRADDLE"].sanction, d["STRADDLE"].version) == ("效能告诫", "2022")
    # accepted in March 2022: the 2022 limit of 15 working days (20 would not be late)
    assert d["NEW"].established == dt.date(2022, 3, 23)
    # an unlisted suspension in 2021; the 2022 version repealed that violation: no sanction
    assert (d["SUSP"].sanction, d["SUSP"].version) == (None, "2019")
    assert "不再认定为违规" in d["SUSP"].ladder.reasons[-1][0]


def test_before_the_change_the_old_rule_alone(family):
    """As of a day when 2019 is still in force, 2022 plays no part."""
    result = family.evaluate(EVENTS, dt.date(2021, 12, 31))
    d = _by_case(result)
    assert (d["OLD"].sanction, d["OLD"].version) == ("通报批评", "2019")
    assert (d["SUSP"].sanction, d["SUSP"].version) == ("通报批评", "2019")
    assert "NEW" not in d and "STRADDLE" not in d


def test_offences_count_on_the_ladder_across_versions(family):
    events = _late_case("A", "甲", "2021-11-01", "2021-12-20") + \
        _late_case("B", "甲", "2022-03-01", "2022-03-25")
    d = _by_case(family.evaluate(events, AS_OF))
    assert d["A"].ladder.count_in_window == 1
    assert (d["B"].ladder.count_in_window, d["B"].sanction) == (2, "通报批评")


def test_a_heavier_new_rule_does_not_reach_back(tmp_path: Path):
    for name in ("v2019.wz", "v2022.wz"):
        text = (FAMILY.parent / name).read_text(encoding="utf-8")
        if name == "v2022.wz":  # the 2022 ladder made heavier instead
            lighter = "第 1 次 「效能告诫」\n  第 2 次 「通报批评」\n  第 3 次及以上 「诫勉谈话」"
            text = text.replace(lighter, "第 1 次 「诫勉谈话」\n  第 2 次及以上 「党纪政纪处分」")
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "family.wz").write_text(FAMILY.read_text(encoding="utf-8"), encoding="utf-8")
    d = _by_case(wenze.load(tmp_path / "family.wz").evaluate(EVENTS, AS_OF))
    assert (d["OLD"].sanction, d["OLD"].version) == ("通报批评", "2019")
    assert d["OLD"].ladder.reasons[-1][0].startswith("从旧：")
    assert d["NEW"].sanction == "诫勉谈话"  # an act after the change: the new rule


def test_no_version_in_force_is_never_guessed(family):
    early = _late_case("EARLY", "甲", "2018-11-01", "2018-12-20")
    result = family.evaluate(early, AS_OF)
    assert [u.code for u in result.unjudged] == [NO_VERSION]
    assert result.decisions == ()
    with pytest.raises(VersionError):
        family.evaluate(EVENTS, dt.date(2018, 6, 30))
    with pytest.raises(VersionError):
        family.evaluate(EVENTS, dt.date(2018, 6, 30), evaluator="columnar")
    # either evaluator: the same decisions (tests/fast/test_versions_columnar.py, byte for byte)
    assert wenze.to_json(family.evaluate(EVENTS, AS_OF, evaluator="columnar")) == \
        wenze.to_json(family.evaluate(EVENTS, AS_OF, evaluator="reference"))
    with pytest.raises(ValueError):
        family.evaluate(EVENTS, AS_OF, evaluator="fastest")


def _wenze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wenze", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_the_command_evaluates_a_family_byte_for_byte_the_same():
    args = ("evaluate", str(FAMILY), str(EVENTS), "--as-of", "2022-06-30", "--format", "json")
    first, second = _wenze(*args), _wenze(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert sorted(d["version"] for d in doc["decisions"]) == ["2019", "2022", "2022", "2022"]
    letter = _wenze("evaluate", str(FAMILY), str(EVENTS), "--as-of", "2022-06-30",
                    "--decision", next(d["key"] for d in doc["decisions"] if d["case"] == "OLD"))
    assert "适用规则版本：2022" in letter.stdout and "从旧兼从轻" in letter.stdout
    # the limit it ran under is the 2019 version's (the statute), the ladder applied the 2022 one's
    assert "法定期限依据：《中华人民共和国行政许可法（2019年修正）》" in letter.stdout
    assert "处理阶梯依据：《示例县机关效能问责办法（2022年修订" in letter.stdout
    repealed = _wenze("evaluate", str(FAMILY), str(EVENTS), "--as-of", "2022-06-30", "--decision",
                      next(d["key"] for d in doc["decisions"] if d["case"] == "SUSP"))
    assert "不予处分" in repealed.stdout and "None" not in repealed.stdout
    assert _wenze("evaluate", str(FAMILY), str(EVENTS), "--as-of", "2018-01-01").returncode == 2
