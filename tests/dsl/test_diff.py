"""`wenze diff`: what changed between two rulebooks, sentence by sentence, in both languages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wenze.dsl.diff import diff_rulebooks
from wenze.dsl.loader import flatten_items, load_text

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "tests/cases/joint_liability/rulebook.wz").read_text(encoding="utf-8")


def _load(text: str):
    loaded = load_text(text)
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    return flatten_items(loaded.rulebook)


def _diff(old: str, new: str):
    return diff_rulebooks(_load(old), _load(new))


def _changed(old: str, new: str, lang: str = "zh") -> list[str]:
    return [c.sentence(lang) for c in _diff(old, new).changes]


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_same_rulebook_states_the_same_rules():
    d = _diff(BASE, BASE)
    assert d.same and d.changes == []
    assert d.text("zh") == "两个规则集的规则相同。\n"


def test_a_limit_changed_names_both_values_and_the_clause():
    new = _edit(BASE, "法定时限 20 工作日", "法定时限 15 工作日")
    assert _changed(BASE, new) == ["事项 「许可」：法定时限 由 20 工作日 改为 15 工作日"
                                   '（依据 「行政许可法」 "第四十二条第一款"）']
    assert _changed(BASE, new, "en") == [
        "item 「许可」: statutory limit changed from 20 workdays to 15 workdays "
        '(basis 「行政许可法」 "第四十二条第一款")']


def test_a_new_basis_alone_is_said_as_such():
    new = _edit(BASE, '依据 「行政许可法」 "第四十二条第一款"', '依据 「行政许可法」 "第四十二条"')
    [sentence] = _changed(BASE, new)
    assert sentence == ("事项 「许可」：法定时限 20 工作日 的依据由 "
                        '「行政许可法」 "第四十二条第一款" 改为 「行政许可法」 "第四十二条"')


def test_powers_granted_and_withdrawn():
    new = _edit(BASE, "岗位 「局长」 { 属于 「审批科」 拥有 「延期批准权」、「审批决定权」 }",
                "岗位 「局长」 { 属于 「审批科」 拥有 「审批决定权」 }")
    new = _edit(new, "岗位 「副局长」 { 属于 「审批科」 }",
                "岗位 「副局长」 { 属于 「审批科」 拥有 「延期批准权」 }")
    assert _changed(BASE, new) == ["岗位 「局长」：收回 「延期批准权」",
                                   "岗位 「副局长」：新增 拥有 「延期批准权」"]
    assert [c.action for c in _diff(BASE, new).changes] == ["withdrawn", "added"]


def test_ladder_steps_and_circumstances():
    new = _edit(BASE, "第 2 次 「通报批评」", "第 2 次 「诫勉谈话」")
    new = _edit(new, "  从轻 「主动纠正」 降 1 级\n", "")
    assert _changed(BASE, new) == ["阶梯 「效能问责」：第 2 次 由 「通报批评」 改为 「诫勉谈话」",
                                   "阶梯 「效能问责」：删去 从轻 「主动纠正」 降 1 级"]
    assert _changed(BASE, new, "en")[0] == (
        "ladder 「效能问责」: upon 2 offences changed from 「通报批评」 to 「诫勉谈话」")


def test_violations_added_removed_and_changed():
    added = BASE + ('\n违规 「推诿」 依据 「行政许可法」 "第七十四条" {\n  针对 案件\n'
                    '  当 「超法定天数」 > 5\n  责任 直接责任人\n  阶梯 「效能问责」\n}\n')
    d = _diff(BASE, added)
    [c] = d.changes
    assert (c.action, c.whole, c.kind, c.kind_en, c.name) == ("added", True, "违规", "violation",
                                                               "推诿")
    assert "当 「超法定天数」 > 5" in d.text("zh")  # printed whole below its line
    assert [x.action for x in _diff(added, BASE).changes] == ["removed"]
    assert _changed(added, BASE) == ["废止 违规 「推诿」"]
    changed = _edit(BASE, "当 「超法定天数」 > 0", "当 「超法定天数」 > 2")
    assert _changed(BASE, changed) == [
        "违规 「超过法定时限」：当 由 「超法定天数」 > 0 改为 「超法定天数」 > 2"]


def test_a_header_change_is_a_change_of_the_rulebook():
    new = _edit(BASE, "生效 2020-01-01", "生效 2021-01-01")
    assert _changed(BASE, new) == ["规则集 「连带责任」：生效 由 2020-01-01 改为 2021-01-01"]


def test_every_change_has_both_languages_in_json():
    new = _edit(BASE, "法定时限 20 工作日", "法定时限 15 工作日")
    doc = _diff(BASE, new).to_json()
    assert doc["schema"] == "wenze.diff/1"
    assert doc["counts"] == {"changed": 1}
    [c] = doc["changes"]
    assert c["zh"].startswith("事项 「许可」") and c["en"].startswith("item 「许可」")


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.wz", tmp_path / "new.wz"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(_edit(BASE, "第 1 次 「效能告诫」", "第 1 次 「通报批评」"), encoding="utf-8")
    return old, new


def _wenze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wenze", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_the_command_lists_the_decisions_that_change(two_files, tmp_path):
    old, new = two_files
    events = tmp_path / "events.jsonl"
    shutil.copy(ROOT / "tests/cases/joint_liability/events.jsonl", events)
    run = _wenze("diff", str(old), str(new), "--events", str(events), "--as-of", "2024-12-31")
    assert run.returncode == 0, run.stderr
    assert "阶梯 「效能问责」：第 1 次 由 「效能告诫」 改为 「通报批评」" in run.stdout
    assert "决定的变化" in run.stdout
    assert "+ " in run.stdout and "→ 通报批评" in run.stdout
    doc = json.loads(_wenze("diff", str(old), str(new), "--format", "json", "--events",
                            str(events), "--as-of", "2024-12-31").stdout)
    assert doc["decisions"]["persons"] >= 1
    assert any("通报批评" in line for p in doc["decisions"]["persons_shown"] for line in p["b"])
    page = _wenze("diff", str(old), str(new), "--format", "html").stdout
    assert page.startswith("<!doctype html>") and "第 1 次" in page and "@page{size:A4" in page


def test_the_command_reports_a_broken_rulebook(two_files, tmp_path):
    old, _new = two_files
    broken = tmp_path / "broken.wz"
    broken.write_text(BASE.replace("事项 「许可」", "事项 「许可」 {{"), encoding="utf-8")
    run = _wenze("diff", str(old), str(broken))
    assert run.returncode == 1 and "WZ0" in run.stderr
    assert _wenze("diff", str(old), str(tmp_path / "missing.wz")).returncode == 2
