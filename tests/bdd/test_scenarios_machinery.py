"""The acceptance-scenario machinery as an author meets it: lint messages, the table diff of a
failing scenario in its own language, the coverage gate, readable Chinese test ids.

Each run is a real pytest process over a throw-away features folder next to the shipped rules,
with the shipped ``features/conftest.py`` (the step library and the coverage hooks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from wenze.bdd.lint import lint_text

ROOT = Path(__file__).resolve().parents[2]

DOC_EXAMPLE_WITHOUT_LEADER = """\
# language: zh-CN
功能: 超过法定时限的问责

  场景: 承办人超过法定时限，首次给予效能告诫
    假如 规则集 "rules/zitong_2008.wz"
    而且 事件如下:
      | 编号 | 案件 | 类型 | 时间             | 事项                 | 人员 | 岗位       |
      | e1   | C1   | 受理 | 2024-03-01 09:00 | 「建设工程规划许可」 | 张三 | 窗口受理员 |
    当 评估日期为 2024-06-30
    那么 问责决定如下:
      | 案件 | 人员 | 违规         | 处分     |
      | C1   | 张三 | 超过法定时限 | 效能告诫 |
"""

ENGLISH_WRONG_SANCTION = """\
Feature: promise broken

  Scenario: The handler and the deputy answer for a broken promise
    Given the rulebook "rules/county_en.wz"
    And the events:
      | id | case | type     | at         | item            | actor | post | unit |
      | e1 | E1   | accepted | 2024-03-01 | planning_permit | Li    |      | housing_bureau |
      | e2 | E1   | decided  | 2024-03-20 | planning_permit | Chen  | housing_window_chief | |
    When evaluated as of 2024-03-29
    Then the decisions are:
      | case | person | violation      | sanction |
      | E1   | Li     | promise_broken | 通报批评 |
      | E1   |        | promise_broken | 效能告诫 |
"""


def _project(tmp_path: Path, feature: str) -> Path:
    """A features folder as a user would have it, next to (a link to) the shipped rules."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")  # the --wenze-coverage option
    (tmp_path / "rules").symlink_to(ROOT / "rules")
    folder = tmp_path / "features"
    folder.mkdir()
    shutil.copy(ROOT / "features" / "conftest.py", folder / "conftest.py")
    (folder / "test_x.py").write_text(
        "from pytest_bdd import scenarios\n\nscenarios('x.feature')\n", encoding="utf-8")
    (folder / "x.feature").write_text(feature, encoding="utf-8")
    return folder


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder), *args],
        cwd=folder.parent, capture_output=True, text=True, timeout=300, check=False,
    )


def test_a_failing_chinese_scenario_shows_the_table_diff_in_chinese(tmp_path: Path) -> None:
    run = _pytest(_project(tmp_path, DOC_EXAMPLE_WITHOUT_LEADER))
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    assert "问责决定不符" in out
    # the author's own headings, then the rows; the 分管领导 decision is the unexpected one
    assert "| 案件 | 人员 | 违规         | 处分     |" in out
    expected, actual = out.split("期望:")[1].split("缺少:")[0].split("实际:")
    assert "| C1   | 张三 | 超过法定时限 | 效能告诫 |" in expected
    assert actual.count("超过法定时限") == 2
    missing, extra = out.split("缺少:")[1].split("多出:")
    assert "（无）" in missing
    assert "| C1   |      | 超过法定时限 | 效能告诫 |" in extra
    assert "Traceback" not in out and "def _compare" not in out  # a table, not Python


def test_a_failing_english_scenario_shows_the_table_diff_in_english(tmp_path: Path) -> None:
    run = _pytest(_project(tmp_path, ENGLISH_WRONG_SANCTION))
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    assert "decisions differ" in out and "问责决定不符" not in out
    missing, extra = out.split("missing:")[1].split("unexpected:")
    assert "| E1   | Li     | promise_broken | 通报批评 |" in missing
    assert "| E1   | Li     | promise_broken | 效能告诫 |" in extra


def test_chinese_test_ids_are_readable(tmp_path: Path) -> None:
    run = _pytest(_project(tmp_path, DOC_EXAMPLE_WITHOUT_LEADER), "--collect-only")
    assert "test_承办人超过法定时限首次给予效能告诫" in run.stdout, run.stdout + run.stderr


PASSING = DOC_EXAMPLE_WITHOUT_LEADER.replace(
    "      | C1   | 张三 | 超过法定时限 | 效能告诫 |\n",
    "      | C1   | 张三 | 超过法定时限 | 效能告诫 |\n"
    "      | C1   |      | 超过法定时限 | 效能告诫 |\n"
    '    而且 "李四" 没有问责决定\n',  # 而且 after 那么 is another 那么
)


def test_the_coverage_gate_fails_the_run_when_a_shipped_rule_is_uncovered(
    tmp_path: Path,
) -> None:
    folder = _project(tmp_path, PASSING)
    plain = _pytest(folder)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    gated = _pytest(folder, "--wenze-coverage")
    assert gated.returncode == 1, gated.stdout + gated.stderr
    assert "rule(s) exercised by no scenario" in gated.stdout
    assert "zitong_2008.wz: violation 「超过承诺时限」" in gated.stdout
    # exercised through 梓潼's own declaration (二、（四）3 adds the 分管领导 to the statutory one)
    assert "zitong_2008.wz: violation 「超过法定时限」" not in gated.stdout


def test_full_width_colon_after_a_keyword_is_pointed_at() -> None:
    text = "# language: zh-CN\n功能: 甲\n\n  场景：乙\n    假如 规则集 \"rules/zitong_2008.wz\"\n"
    (problem,) = lint_text(text, "x.feature")
    assert (problem.code, problem.line, problem.col) == ("BDD001", 4, 5)
    rendered = problem.render("zh")
    assert "全角冒号" in rendered and "场景：乙" in rendered
    # the caret stands under the colon: two cells for each of the four CJK-wide characters
    # before it ("  场景" = 2 + 4 cells)
    assert rendered.splitlines()[2] == "       |       ^"
    assert "full-width colon" in problem.render("en")


def test_duplicate_scenario_names_are_found_across_files_and_punctuation() -> None:
    seen: dict[str, tuple[str, int, str]] = {}
    first = "# language: zh-CN\n功能: 甲\n  场景: 超期，告诫\n    当 评估日期为 2024-06-30\n"
    second = "# language: zh-CN\n功能: 乙\n  场景: 超期告诫\n    当 评估日期为 2024-06-30\n"
    assert lint_text(first, "a.feature", seen) == []
    (problem,) = lint_text(second, "b.feature", seen)
    assert (problem.code, problem.file, problem.line) == ("BDD002", "b.feature", 3)
    assert "a.feature:3" in problem.zh and "超期，告诫" in problem.zh


def test_wenze_features_runs_a_folder_of_feature_files_outside_the_repository(
    tmp_path: Path
) -> None:
    """A folder with .feature files only (no conftest.py / test_features.py), outside the
    repository: its scenarios run with the wenze steps, and --coverage reports."""
    import os

    folder = tmp_path / "my-scenarios"
    folder.mkdir()
    (folder / "x.feature").write_text(PASSING, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def features(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "wenze", "features", str(folder), *args],
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300, check=False)

    run = features()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    covered = features("--coverage")  # one scenario cannot cover the shipped rulebooks
    assert covered.returncode == 1, covered.stdout + covered.stderr
    assert "exercised by no scenario" in covered.stdout and "1 passed" in covered.stdout
    (folder / "x.feature").write_text(PASSING.replace("效能告诫", "通报批评"), encoding="utf-8")
    assert features().returncode == 1


def test_the_documented_example_is_the_one_that_runs() -> None:
    # features/docs_scenarios.feature runs with every other feature; it must stay the text of
    # the ```gherkin example in docs/scenarios.md, so that the page never shows an untried one
    import re

    page = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    examples = "".join(re.findall(r"```gherkin\n(.*?)```", page, re.S))
    shipped = (ROOT / "features" / "docs_scenarios.feature").read_text(encoding="utf-8")
    assert shipped == examples, "copy the ```gherkin block of docs/scenarios.md into " \
        "features/docs_scenarios.feature"


WRONG_ERROR_LINE = '''\
# language: zh-CN
功能: 规则集检查

  场景: 未声明的单位
    假如 规则集如下:
      """
      规则集 「测」 { 版本 "1" }
      文件 「法」 { 文号 "测〔2024〕1号" }
      事项 「许可」 依据 「法」 "1" { 单位 「县国土资原局」 法定时限 20 工作日 }
      """
    当 检查该规则集
    那么 报告错误 WZ101 于第 2 行
'''


def test_a_wrong_error_line_names_what_was_reported(tmp_path: Path) -> None:
    run = _pytest(_project(tmp_path, WRONG_ERROR_LINE))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "期望第 2 行报告 WZ101，实际报告：WZ101@3" in run.stdout
    assert "Traceback" not in run.stdout
    (tmp_path / "ok").mkdir()
    fixed = _pytest(_project(tmp_path / "ok", WRONG_ERROR_LINE.replace("于第 2 行", "于第 3 行")))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
