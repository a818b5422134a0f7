"""The named check passes: one small rulebook per diagnostic code, asserting the code, the line it
points at and that the message names the offending input; plus properties of the whole set."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenze.dsl import ast as A
from wenze.dsl.checks import CODES, PASSES, CheckPass, run_checks
from wenze.dsl.diagnostics import Diagnostic, Severity
from wenze.dsl.loader import flatten_items, load_rulebook
from wenze.dsl.parser import parse

RULES = Path(__file__).resolve().parents[2] / "rules"

# two lines: the cases below start on line 3
PRELUDE = '规则集 「测」 {}\n文件 「法」 {}\n'

LADDER = ('阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」、「通报」 '
          '第 1 次 「告诫」 第 2 次及以上 「通报」 }\n')


def check(text: str) -> list[Diagnostic]:
    if not text.startswith(("规则集", "rulebook")):
        text = PRELUDE + text
    result = parse(text, "t.wz")
    assert result.rulebook is not None, result.diagnostics
    return run_checks(flatten_items(result.rulebook))


def _builtin_year_text(year: int) -> str:
    """A holiday schedule that repeats exactly what the built-in calendar (chinesecalendar)
    says about ``year``: each of its holidays and make-up working days, one per line."""
    from chinese_calendar import constants as cc

    offs = sorted(d for d in cc.holidays if d.year == year)
    ons = sorted(d for d in cc.workdays if d.year == year and d.weekday() > 4)
    body = [f"放假 {d.isoformat()}" for d in offs] + [f"补班 {d.isoformat()}" for d in ons]
    return f'节假日安排 {year} 依据 「法」 "1" {{\n ' + "\n ".join(body) + "\n}\n"


# (code, rulebook after the prelude, line of the diagnostic, text its message must name)
CASES: list[tuple[str, str, int, str]] = [
    # ---------------------------------------------------------------- names and structure
    ("WZ101", '单位 「局」 {}\n岗位 「科长」 { 属于 「居」 }\n', 4, "居"),
    ("WZ101", '事项 「甲」 依据 「法律」 "1" { 法定时限 5 工作日 }\n', 3, "法律"),
    ("WZ101", '事项 「甲」 依据 「法」 "1" { 法定时限 5 工作日 日历 「本地」 }\n', 3, "本地"),
    ("WZ101", '事项 「甲」 依据 「法」 "1" { 法定时限 5 工作日 流程 「流」 }\n', 3, "流"),
    ("WZ101", '事项 「甲」 依据 「法」 "1" { 法定时限 5 工作日 延期 5 工作日 批准 「权」 }\n',
     3, "权"),
    ("WZ101", '违规 「违」 依据 「法」 "1" { 事项 「乙」 当 「已办结」 责任 直接责任人 }\n', 3,
     "乙"),
    ("WZ101", '流程 「流」 依据 「法」 "1" { 总时限 5 工作日\n 环节 a { 岗位 「科员」 } }\n', 4,
     "科员"),
    ("WZ101", '违规 「违」 依据 「法」 "1" {\n 针对 目标 「按时率」 当 「按时办结率」 < 90%\n'
              ' 责任 直接责任人 阶梯 「梯」 }\n' + LADDER, 4, "按时率"),
    ("WZ101", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」 第 1 次 「告诫」 }\n'
              '违规 「违」 依据 「法」 "1" { 当 「已办结」 责任 直接责任人\n 阶梯 「悌」 }\n',
     5, "悌"),
    ("WZ102", '流程 「流」 依据 「法」 "1" { 总时限 9 工作日\n 环节 a { 时限 1 工作日 }\n'
              ' 环节 b { 时限 1 工作日 前置 x }\n}\n', 5, "x"),
    ("WZ103", '单位 「局」 {}\n\n单位 「局」 {}\n', 5, "局"),
    ("WZ103", '流程 「流」 依据 「法」 "1" { 总时限 9 工作日\n 环节 a { 时限 1 工作日 }\n'
              ' 会签 a { 回复时限 1 工作日 }\n}\n', 5, "a"),
    ("WZ108", '事项 「乙」 继承 「丙」 依据 「法」 "1" {}\n'
              '事项 「丙」 继承 「乙」 依据 「法」 "1" {}\n',
     3, "丙"),
    ("WZ109", '职权 「审批权」 {}\n', 3, "审批权"),
    ("WZ110", '违规 「违」 { 当 「已办结」 责任 直接责任人 阶梯 「梯」 }\n' + LADDER, 3, "违"),
    ("WZ111", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」 }\n' + LADDER, 3, "违"),
    ("WZ112", '违规 「违」 依据 「法」 "1" { 当 「已办结」 责任 直接责任人 }\n', 3, "违"),
    ("WZ113", '违规 「违」 依据 「法」 "1" { 当 「已办结」 阶梯 「梯」 }\n' + LADDER, 3, "违"),
    ("WZ118", '违规 「违」 依据 「法」 "1" { 当 「已办结」 责任 决定人、环节承办人 阶梯 「梯」 }\n'
     + LADDER, 3, "环节承办人"),
    ("WZ120", '单位 「局」 { }\n岗位 「窗口」 { 属于 「局」 }\n违规 「违」 依据 「法」 "1" {'
              ' 当 「已办结」 责任 直接责任人、分管领导 阶梯 「梯」 }\n' + LADDER, 3, "窗口"),
    ("WZ120", '单位 「局」 { 分管领导 「副局长」 }\n岗位 「副局长」 { 属于 「局」 }\n'
              '违规 「违」 依据 「法」 "1" { 当 「已办结」 责任 主要领导 阶梯 「梯」 }\n' + LADDER,
     3, "局"),
    ("WZ406", '职权 「甲」 依据 「法」 "1" { 说明 "无人需要" }\n', 3, "甲"),
    ("WZ407", '职权 「甲」 依据 「法」 "1" { 行为 「盖章」 }\n', 3, "盖章"),
    ("WZ115", '规则集 「测」 {\n 生效 2020-01-01 至 2019-12-31\n}\n', 2, "2019-12-31"),
    ("WZ116", '单位 「甲」 { 上级 「乙」 }\n单位 「乙」 { 上级 「甲」 }\n', 3, "乙"),
    # ---------------------------------------------------------------- time limits, processes
    ("WZ201", '流程 「流」 依据 「法」 "1" { 总时限 90 工作日\n 环节 a { 时限 1 工作日 前置 b }\n'
              ' 环节 b { 时限 1 工作日 前置 a }\n}\n', 4, "`a` → `b` → `a`"),
    ("WZ202", '流程 「流」 依据 「法」 "1" {\n 总时限 30 工作日\n 环节 a { 时限 20 工作日 }\n'
              ' 会签 s { 回复时限 15 工作日 前置 a }\n}\n', 4, "35"),
    ("WZ203", '事项 「甲」 依据 「法」 "1" {\n 法定时限 20 工作日\n 承诺时限 25 工作日\n}\n', 5,
     "25"),
    ("WZ204", '事项 「甲」 依据 「法」 "1" {\n 法定时限 20 工作日\n 承诺时限 25 自然日\n}\n', 5,
     "25"),
    ("WZ204", '流程 「流」 依据 「法」 "1" {\n 总时限 30 工作日\n 环节 a { 时限 20 自然日 }\n}\n',
     4, "a"),
    ("WZ205", '事项 「甲」 依据 「法」 "1" { 承诺时限 5 工作日 }\n', 3, "甲"),
    ("WZ207", '事项 「甲」 依据 「法」 "1" {\n 法定时限 20 工作日\n 预警 达到 150%\n}\n', 5,
     "150"),
    ("WZ209", '事项 「甲」 依据 「法」 "1" {\n 法定时限 5 工作日\n 预警 提前 5 工作日\n}\n', 5,
     "5"),
    ("WZ210", '事项 「甲」 依据 「法」 "1" { 法定时限 5 工作日\n 中止计时 「听证」、「听证」\n}\n',
     4, "听证"),
    ("WZ211", '流程 「流」 依据 「法」 "1" { 总时限 30 工作日\n 环节 a { 单位 「局」 }\n}\n'
              '单位 「局」 {}\n', 4, "a"),
    ("WZ212", '日历 「本地」 { 放假 2024-05-06 "庙会"\n 补班 2024-05-06 }\n', 4, "2024-05-06"),
    # ---------------------------------------------------------------- ladders
    ("WZ301", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」、「通报」\n'
              ' 第 1 次 「告诫」\n 第 1 次 「通报」\n}\n', 5, "1"),
    ("WZ302", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」、「通报」\n'
              ' 第 1 次 「通报」\n 第 2 次 「告诫」\n}\n', 5, "告诫"),
    ("WZ303", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」、「通报」\n'
              ' 第 1 次 「告诫」\n 第 2 次 「通抱」\n}\n', 5, "通抱"),
    ("WZ303", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」\n 第 1 次 「告诫」\n'
              ' 从重 「打击报复」 直接至 「处分」\n}\n', 5, "处分"),
    ("WZ304", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年\n 等级 「告诫」、「通报」\n'
              ' 第 1 次 「告诫」 }\n', 4, "通报"),
    ("WZ305", '阶梯 「梯」 依据 「法」 "1" { 等级 「告诫」 第 1 次 「告诫」 }\n', 3, "梯"),
    ("WZ306", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」\n 第 2 次 「告诫」 }\n',
     4, "梯"),
    ("WZ307", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 }\n', 3, "梯"),
    ("WZ308", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」、「告诫」\n'
              ' 第 1 次 「告诫」 }\n', 3, "告诫"),
    ("WZ309", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」、「通报」\n'
              ' 第 1 次及以上 「告诫」\n 第 2 次 「通报」 }\n', 5, "2"),
    ("WZ310", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」 第 1 次 「告诫」\n'
              ' 从重 「阻碍」 升 0 级 }\n', 4, "阻碍"),
    ("WZ311", '阶梯 「梯」 依据 「法」 "1" { 计次期间 自然年 等级 「告诫」 第 1 次 「告诫」\n'
              ' 连带 第 0 次 主要领导 「告诫」 }\n', 4, "0"),
    # ---------------------------------------------------------------- authorization
    ("WZ401", '职权 「审批权」 依据 「法」 "1" {}\n岗位 「甲」 {}\n'
              '岗位 「乙」 { 代理 「甲」 (「审批权」) }\n', 5, "审批权"),
    ("WZ402", '岗位 「甲」 {\n 代理 「甲」\n}\n', 4, "甲"),
    ("WZ403", '岗位 「甲」 {}\n岗位 「乙」 { 代理 「甲」 }\n岗位 「丙」 { 代理 「乙」 }\n', 5,
     "丙"),
    ("WZ404", '职权 「延期权」 依据 「法」 "1" {}\n'
              '事项 「甲」 依据 「法」 "1" { 法定时限 5 工作日\n'
              ' 延期 5 工作日 批准 「延期权」 }\n', 5, "延期权"),
    ("WZ405", '单位 「局」 {}\n单位 「委」 {}\n岗位 「科长」 { 属于 「局」 }\n'
              '流程 「流」 依据 「法」 "1" { 总时限 9 工作日\n'
              ' 环节 a { 单位 「委」 岗位 「科长」 时限 1 工作日 } }\n', 7, "科长"),
    # ---------------------------------------------------------------- facts and conditions
    ("WZ501", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」\n 当 「超法定时」\n}\n'
              + LADDER, 4, "超法定时"),
    ("WZ502", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」\n 当 「环节超时」\n}\n'
              + LADDER, 4, "环节超时"),
    ("WZ503", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」\n 当 「已办结」 > 3\n}\n'
              + LADDER, 4, "已办结"),
    ("WZ503", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」\n'
              ' 当 「超法定天数」 > 5%\n}\n' + LADDER, 4, "超法定天数"),
    ("WZ504", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」\n'
              ' 当 「已办结」 且 「超法定天数」\n}\n' + LADDER, 4, "超法定天数"),
    ("WZ505", '目标 「目」 依据 「法」 "1" {\n 指标 「办件数」 >= 90%\n}\n', 4, "办件数"),
    ("WZ506", '目标 「目」 依据 「法」 "1" {\n 指标 「按时办结率」 >= 101%\n}\n', 4, "101"),
    ("WZ507", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」\n'
              ' 当 「超法定天数」 > 3 自然日\n}\n' + LADDER, 4, "3 自然日"),
    ("WZ509", '事项 「甲」 依据 「法」 "1" { 法定时限 5 工作日 }\n'
              '违规 「违」 依据 「法」 "1" { 针对 环节 事项 「甲」\n'
              ' 当 「环节超时」 责任 直接责任人 阶梯 「梯」 }\n' + LADDER, 4, "甲"),
    ("WZ508", '违规 「违」 依据 「法」 "1" { 责任 直接责任人 阶梯 「梯」\n 当 1 > 2\n}\n'
              + LADDER, 4, "1 > 2"),
    # ---------------------------------------------------------------- holiday schedules
    # (every schedule below is FICTIONAL test data, not a State Council notice)
    ("WZ117", '节假日安排 2027 {\n 放假 2027-01-01 "元旦" }\n', 3, "2027"),
    ("WZ213", '节假日安排 2027 依据 「法」 "1" {\n 放假 2028-01-01 "元旦" }\n', 4, "2028-01-01"),
    ("WZ214", '节假日安排 2027 依据 「法」 "1" {\n 放假 2027-05-05 至 2027-05-01 }\n', 4,
     "2027-05-01"),
    ("WZ215", '节假日安排 2027 依据 「法」 "1" {\n 补班 2027-02-10 "调休" }\n', 4, "2027-02-10"),
    ("WZ215", '节假日安排 2027 依据 「法」 "1" {\n 放假 2027-02-06 至 2027-02-07 }\n', 4,
     "2027-02-06"),
    ("WZ212", '节假日安排 2027 依据 「法」 "1" { 放假 2027-10-01 至 2027-10-07\n'
              ' 补班 2027-10-02 }\n', 4, "2027-10-02"),
    ("WZ216", '节假日安排 2024 依据 「法」 "1" { 放假 2024-01-01 "元旦" }\n', 3, "2024-02-04"),
    ("WZ217", _builtin_year_text(2025), 3, "2025"),
    ("WZ218", '节假日安排 2027 依据 「法」 "1" {}\n节假日安排 2029 依据 「法」 "1" {}\n', 4,
     "2028"),
]


@pytest.mark.parametrize(("code", "text", "line", "needle"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_code_points_at_the_offending_input(code: str, text: str, line: int,
                                                 needle: str) -> None:
    diagnostics = check(text)
    found = [d for d in diagnostics if d.code == code]
    assert found, f"no {code} among {[(d.code, d.message.en) for d in diagnostics]}"
    assert any(d.span.line == line for d in found), [(d.span.line, d.message.en) for d in found]
    hit = next(d for d in found if d.span.line == line)
    assert needle in hit.message.en and needle in hit.message.zh, hit.message
    assert hit.span.file == "t.wz"


LOADER_CODES = {"WZ104", "WZ105", "WZ106", "WZ107", "WZ208",  # tests/dsl/test_loader.py
                "WZ119"}  # tests/dsl/test_hostile_rulebooks.py


def test_every_code_is_listed_and_tested() -> None:
    hand_built = {"WZ100", "WZ114", "WZ206"}  # tests below build these from odd ASTs
    families = {f"WZ70{i}" for i in range(1, 8)}  # tests/dsl/test_family.py
    tested = {c[0] for c in CASES} | LOADER_CODES | hand_built | families
    # WZ6xx need the documents' texts: tests/dsl/test_citations.py raises each of them
    citation_codes = {c for c in CODES if c.startswith("WZ6")}
    assert tested == set(CODES) - citation_codes
    citation_tests = (Path(__file__).parent / "test_citations.py").read_text(encoding="utf-8")
    assert citation_codes == {"WZ601", "WZ602", "WZ603", "WZ604"}
    assert all(f'"{c}"' in citation_tests for c in citation_codes)
    for code, (zh, en) in CODES.items():
        assert re.fullmatch(r"WZ[1-7]\d\d", code)
        assert zh and en and not en.endswith(".") and en[0] == en[0].lower()


@pytest.mark.parametrize("text", [c[1] for c in CASES])
def test_messages_follow_the_style_guide(text: str) -> None:
    for d in check(text):
        assert d.code in CODES
        for m in (d.message, *(lab.message for lab in d.labels), *([d.help] if d.help else [])):
            assert not m.en.endswith(".") and not m.zh.endswith("。"), m
        assert d.message.en[0] == d.message.en[0].lower() or d.message.en[0] == "`", d.message


def test_the_statutory_base_checks_clean() -> None:
    result = load_rulebook(RULES / "statutory_base.wz")
    assert result.ok
    assert result.diagnostics == []


def test_structure_the_grammar_cannot_express_is_still_checked() -> None:
    """WZ206 and WZ114 guard ASTs built by hand (the grammar needs a reason and a target)."""
    text = ('事项 「甲」 依据 「法」 "1" { 法定时限 5 工作日 中止计时 「听证」 }\n'
            '违规 「违」 依据 「法」 "1" { 针对 目标 「目」 当 「已办结」 责任 直接责任人 }\n')
    rulebook = parse(PRELUDE + text, "t.wz").rulebook
    assert rulebook is not None
    item, violation = rulebook.decls[1], rulebook.decls[2]
    assert isinstance(item, A.ItemDecl) and isinstance(violation, A.ViolationDecl)
    assert item.suspension is not None
    odd = replace(rulebook, decls=(
        rulebook.decls[0],
        replace(item, suspension=replace(item.suspension, reasons=())),
        replace(violation, target=None),
    ))
    found = {(d.code, d.span.line) for d in run_checks(odd)}
    assert {("WZ206", 3), ("WZ114", 4)} <= found


def test_did_you_mean_for_undefined_names() -> None:
    [d] = [d for d in check('单位 「县国土资源局」 {}\n岗位 「科长」 { 属于 「县国土资原局」 }\n')
           if d.code == "WZ101"]
    assert d.suggestions == ("县国土资源局",)
    assert "县国土资源局" in d.help.en
    assert (d.span.line, d.span.col) == (4, 14)


def test_a_name_of_another_kind_is_named_in_the_hint() -> None:
    [d] = [d for d in check('职权 「局」 依据 「法」 "1" {}\n岗位 「科长」 { 属于 「局」 }\n')
           if d.code == "WZ101"]
    assert "is a power, not a unit" in d.help.en


def test_duplicate_points_back_at_the_first_declaration() -> None:
    [d] = [d for d in check('单位 「局」 {}\n单位 「局」 {}\n') if d.code == "WZ103"]
    assert d.span.line == 4
    assert [(lab.span.line, lab.message.en) for lab in d.labels] == [(3, "first declared here")]


def test_a_dependency_cycle_labels_every_edge() -> None:
    text = ('流程 「流」 依据 「法」 "1" { 总时限 90 工作日\n'
            ' 环节 a { 时限 1 工作日 前置 c }\n'
            ' 环节 b { 时限 1 工作日 前置 a }\n'
            ' 环节 c { 时限 1 工作日 前置 b }\n'
            ' 环节 d { 时限 1 工作日 前置 a }\n}\n')
    [d] = [d for d in check(text) if d.code == "WZ201"]
    assert "`a` → `b` → `c` → `a`" in d.message.en
    assert [(lab.span.line, lab.message.en) for lab in d.labels] == [
        (4, "`a` comes after `c` here"),
        (5, "`b` comes after `a` here"),
        (6, "`c` comes after `b` here"),
    ]


def test_a_step_after_itself_is_a_cycle() -> None:
    text = '流程 「流」 依据 「法」 "1" { 总时限 9 工作日 环节 a { 时限 1 工作日 前置 a } }\n'
    [d] = [d for d in check(text) if d.code == "WZ201"]
    assert "`a` → `a`" in d.message.en


def test_the_critical_path_runs_through_the_countersign() -> None:
    # 选址 20 → 会签 7 → 核准 15 = 42 > 40; 用地 25 → 核准 15 = 40 is not the longest chain
    text = ('流程 「流」 依据 「法」 "1" {\n 总时限 40 工作日\n'
            ' 环节 「选址」 { 时限 20 工作日 }\n 环节 「用地」 { 时限 25 工作日 }\n'
            ' 会签 「会签」 { 回复时限 7 工作日 前置 「选址」 }\n'
            ' 环节 「核准」 { 时限 15 工作日 前置 「会签」, 「用地」 }\n}\n')
    [d] = [d for d in check(text) if d.code == "WZ202"]
    assert "`选址` → `会签` → `核准`" in d.message.en and "42" in d.message.en
    assert [lab.span.line for lab in d.labels] == [5, 7, 8]
    assert "2 working days" in d.help.en


def test_a_critical_path_within_the_limit_is_clean() -> None:
    text = ('流程 「流」 依据 「法」 "1" {\n 总时限 42 工作日\n'
            ' 环节 「选址」 { 时限 20 工作日 }\n'
            ' 会签 「会签」 { 回复时限 7 工作日 前置 「选址」 }\n'
            ' 环节 「核准」 { 时限 15 工作日 前置 「会签」 }\n}\n')
    assert [d for d in check(text) if d.code.startswith("WZ2")] == []


def test_inherited_statutory_limit_satisfies_an_item() -> None:
    text = ('事项 「甲」 依据 「法」 "1" { 法定时限 20 工作日 }\n'
            '事项 「乙」 继承 「甲」 依据 「法」 "1" { 承诺时限 25 工作日 }\n')
    codes = [(d.code, d.span.line) for d in check(text)]
    assert ("WZ205", 4) not in codes
    assert ("WZ203", 4) in codes  # the promise is compared with the inherited statutory limit


def test_natural_days_shorter_than_working_days_compare() -> None:
    text = '事项 「甲」 依据 「法」 "1" { 法定时限 20 工作日 承诺时限 15 自然日 }\n'
    assert [d.code for d in check(text)] == []


def test_unreachable_levels_are_warnings_and_adjustments_reach_levels() -> None:
    text = ('阶梯 「梯」 依据 「法」 "1" { 计次期间 滚动 12 个月\n'
            ' 等级 「告诫」、「通报」、「诫勉」、「处分」\n 第 1 次 「告诫」\n'
            ' 从重 「阻碍」 升 1 级\n}\n')
    found = [d for d in check(text) if d.code == "WZ304"]
    # 告诫 (first offence), 通报 (告诫 aggravated once); nothing reaches the two gravest
    assert [d.message.en for d in found] == [
        "level `诫勉` of ladder `梯` can never be reached",
        "level `处分` of ladder `梯` can never be reached",
    ]
    assert [d.span.line for d in found] == [4, 4]
    assert all(d.severity is Severity.WARNING for d in found)


def test_scope_and_type_of_facts_in_a_step_violation() -> None:
    text = ('违规 「违」 依据 「法」 "1" { 针对 环节 责任 直接责任人 阶梯 「梯」\n'
            ' 当 「环节超时天数」 > 2 且 「超法定天数」 > 0 且 「办件数」 > 1\n}\n' + LADDER)
    found = [(d.code, d.message.en) for d in check(text) if d.code.startswith("WZ5")]
    # a case fact is visible in a step; a target fact is not
    assert found == [("WZ502", "fact `办件数` exists per target, not in a violation on `step`")]


def test_english_rulebooks_get_english_expressions() -> None:
    text = ('rulebook r {}\ndocument law {}\n'
            'ladder l basis law "1" { window calendar year levels a upon 1 offence a }\n'
            'violation v basis law "1" { responsible direct ladder l\n'
            ' when decided and days_over_statutory }\n')
    [d] = [d for d in check(text) if d.code == "WZ504"]
    assert d.message.en == "condition `days_over_statutory` is a number of days, not a yes/no value"


def test_diagnostics_are_sorted_and_all_reported_at_once() -> None:
    text = ('岗位 「科长」 { 属于 「局」 }\n'
            '事项 「甲」 依据 「法」 "1" { 承诺时限 5 工作日 }\n'
            '阶梯 「梯」 依据 「法」 "1" { 等级 「告诫」 第 1 次 「告诫」 }\n')
    diagnostics = check(text)
    assert [(d.code, d.span.line) for d in diagnostics] == [
        ("WZ101", 3), ("WZ205", 4), ("WZ305", 5)]


def test_a_failing_pass_becomes_a_diagnostic_and_the_others_still_run() -> None:
    def broken(rulebook: A.Rulebook) -> list[Diagnostic]:
        raise KeyError("boom")

    rulebook = parse(PRELUDE + '事项 「甲」 依据 「法」 "1" {}\n', "t.wz").rulebook
    assert rulebook is not None
    diagnostics = run_checks(rulebook, (CheckPass("broken", broken), *PASSES))
    assert [d.code for d in diagnostics] == ["WZ100", "WZ205"]
    assert "broken" in diagnostics[0].message.en


def _declaration_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines()) if line.startswith("  ")]


@pytest.mark.parametrize("path", sorted(RULES.glob("statutory_base.wz")))
def test_no_pass_fails_when_any_one_clause_is_missing(path: Path) -> None:
    """Odd but parseable input (each property line of a real rulebook removed in turn) never
    makes a check pass fail."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i in _declaration_lines("\n".join(lines)):
        text = "\n".join(lines[:i] + lines[i + 1:])
        result = parse(text, "cut.wz")
        if result.rulebook is None:
            continue
        diagnostics = run_checks(flatten_items(result.rulebook))
        assert "WZ100" not in {d.code for d in diagnostics}, (i, diagnostics)


# --------------------------------------------------------------------------- generated rulebooks


_NAMES = st.sampled_from(["「甲」", "「乙」", "「丙」", "a", "b", "「超法定天数」", "「已办结」",
                          "「环节超时」", "「按时办结率」", "「法」"])
_DUR = st.builds(lambda n, u: f"{n} {u}", st.integers(0, 40), st.sampled_from(["工作日", "自然日"]))


def _list(names: list[str]) -> str:
    return "、".join(names)


_PROPS: dict[str, list[st.SearchStrategy[str]]] = {
    "单位": [_NAMES.map(lambda n: f"上级 {n}"), _NAMES.map(lambda n: f"主要领导 {n}")],
    "岗位": [_NAMES.map(lambda n: f"属于 {n}"), st.lists(_NAMES, min_size=1, max_size=3).map(
        lambda ns: f"拥有 {_list(ns)}"),
        st.tuples(_NAMES, st.lists(_NAMES, max_size=2)).map(
            lambda t: f"代理 {t[0]}" + (f" ({_list(t[1])})" if t[1] else ""))],
    "事项": [_DUR.map(lambda d: f"法定时限 {d}"), _DUR.map(lambda d: f"承诺时限 {d}"),
           st.tuples(_DUR, _NAMES).map(lambda t: f"延期 {t[0]} 批准 {t[1]}"),
           _NAMES.map(lambda n: f"流程 {n}"), _NAMES.map(lambda n: f"日历 {n}"),
           st.integers(0, 200).map(lambda p: f"预警 达到 {p}%"),
           _DUR.map(lambda d: f"预警 提前 {d}"),
           st.lists(_NAMES, min_size=1, max_size=3).map(lambda ns: f"中止计时 {_list(ns)}")],
    "流程": [_DUR.map(lambda d: f"总时限 {d}"),
           st.tuples(_NAMES, _DUR, st.lists(_NAMES, max_size=2)).map(
               lambda t: f"环节 {t[0]} {{ 时限 {t[1]}"
                         + (f" 前置 {_list(t[2])}" if t[2] else "") + " }"),
           st.tuples(_NAMES, _DUR, st.lists(_NAMES, max_size=2)).map(
               lambda t: f"会签 {t[0]} {{ 回复时限 {t[1]}"
                         + (f" 前置 {_list(t[2])}" if t[2] else "") + " }")],
    "违规": [st.sampled_from(["针对 案件", "针对 环节", "针对 会签"]),
           _NAMES.map(lambda n: f"针对 目标 {n}"), _NAMES.map(lambda n: f"阶梯 {n}"),
           st.lists(_NAMES, min_size=1, max_size=2).map(lambda ns: f"事项 {_list(ns)}"),
           st.tuples(_NAMES, st.sampled_from([">", "==", "<="]),
                     st.sampled_from(["3", "5%", "2 工作日", "是", '"x"'])).map(
               lambda t: f"当 {t[0]} {t[1]} {t[2]}"),
           _NAMES.map(lambda n: f"当 非 {n}"), st.just("责任 直接责任人")],
    "阶梯": [st.just("计次期间 自然年"), st.lists(_NAMES, max_size=4, min_size=1).map(
        lambda ns: f"等级 {_list(ns)}"),
        st.tuples(st.integers(0, 4), st.booleans(), _NAMES).map(
            lambda t: f"第 {t[0]} 次{'及以上' if t[1] else ''} {t[2]}"),
        st.tuples(_NAMES, st.integers(0, 3)).map(lambda t: f"从重 {t[0]} 升 {t[1]} 级"),
        st.tuples(_NAMES, _NAMES).map(lambda t: f"从重 {t[0]} 直接至 {t[1]}"),
        st.tuples(st.integers(0, 3), _NAMES).map(lambda t: f"连带 第 {t[0]} 次 主要领导 {t[1]}")],
    "目标": [st.tuples(_NAMES, st.integers(0, 150)).map(lambda t: f"指标 {t[0]} >= {t[1]}%")],
    "日历": [st.sampled_from(['放假 2024-05-06', '补班 2024-05-06', '放假 2024-10-08'])],
}

_DECL = st.sampled_from(sorted(_PROPS)).flatmap(
    lambda kind: st.tuples(
        st.just(kind), st.booleans(), _NAMES, st.one_of(st.none(), _NAMES),
        st.lists(st.one_of(*_PROPS[kind]), max_size=5)))


def _render(decl: tuple) -> str:
    kind, cite, name, base, props = decl
    extends = f" 继承 {base}" if kind == "事项" and base else ""
    basis = ' 依据 「法」 "1"' if cite else ""
    return f"{kind} {name}{extends}{basis} {{\n  " + "\n  ".join(props) + "\n}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_DECL, max_size=8))
def test_generated_rulebooks_never_break_a_pass(decls: list[tuple]) -> None:
    text = "规则集 r {}\n文件 「法」 {}\n" + "\n".join(_render(d) for d in decls) + "\n"
    result = parse(text, "gen.wz")
    assert result.rulebook is not None, (text, result.diagnostics)
    diagnostics = run_checks(flatten_items(result.rulebook))
    assert [d for d in diagnostics if d.code == "WZ100"] == []
    assert diagnostics == sorted(diagnostics, key=lambda d: d.sort_key)
    assert all(d.code in CODES for d in diagnostics)


# --------------------------------------------------------------------------- holiday schedules

REACHED: list[int] = []  # examples that checked clean (the property's second half ran)

# (kind, day of the year counted from 1 January — past 364 it leaves the year —, range length)
_SCHEDULE_DAY = st.tuples(
    st.sampled_from(["放假", "补班"]),
    st.integers(0, 366),
    st.one_of(st.none(), st.integers(-3, 9)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from([2027, 2027, 2027, 2028, 2003, 2002, 2024, 2030]),
                          st.sampled_from([True, True, True, True, False]),
                          st.lists(_SCHEDULE_DAY, max_size=5)),
                max_size=3, unique_by=lambda t: t[0]))
def test_generated_holiday_schedules_never_break_a_pass(schedules: list[tuple]) -> None:
    """Random schedules (FICTIONAL dates): no pass fails, and a schedule that checks without
    errors lowers to a calendar on which each declared 放假 day of a usable year is off and each
    补班 day worked."""
    from wenze.dsl import calendar as C
    from wenze.engine.lower import lower

    parts = []
    for year, cite, days in schedules:
        lines = []
        for kind, offset, span in days:
            start = dt.date(year, 1, 1) + dt.timedelta(days=offset)
            end = "" if span is None else f" 至 {start + dt.timedelta(days=span)}"
            lines.append(f"  {kind} {start}{end}")
        basis = ' 依据 「法」 "1"' if cite else ""
        parts.append(f"节假日安排 {year}{basis} {{\n" + "\n".join(lines) + "\n}")
    text = PRELUDE + "\n".join(parts) + "\n"
    result = parse(text, "gen.wz")
    assert result.rulebook is not None, (text, result.diagnostics)
    diagnostics = run_checks(result.rulebook)
    assert [d for d in diagnostics if d.code == "WZ100"] == []
    if any(d.is_error for d in diagnostics):
        return
    REACHED.append(len(schedules))
    lower(result.rulebook)
    declared = C.declared_years_of(result.rulebook)
    usable = set(C.usable_declared_years(y.year for y in declared))
    cal = C.WorkCalendar.statutory(declared)
    for year in declared:
        if year.year not in usable:
            continue
        for day, _ in year.holidays:
            assert not cal.is_workday(day), day
        for day, _ in year.workdays:
            assert cal.is_workday(day), day


LEADER_RULE = ('违规 「违」 依据 「法」 "1" {'
               ' 当 「已办结」 责任 直接责任人、分管领导 阶梯 「梯」 }\n' + LADDER)


@pytest.mark.parametrize(("units", "warned"), [
    # the unit names its deputy: no gap, whatever its posts say
    ('单位 「局」 { 分管领导 「副局长」 }\n岗位 「副局长」 { 属于 「局」 }\n'
     '岗位 「窗口」 { 属于 「局」 }\n', []),
    # every post that is not a leader's names one: no gap
    ('单位 「局」 { 主要领导 「局长」 }\n岗位 「局长」 { 属于 「局」 }\n'
     '岗位 「副局长」 { 属于 「局」 }\n岗位 「窗口」 { 属于 「局」 分管领导 「副局长」 }\n', []),
    # one post names it, another does not: the one that does not is named
    ('单位 「局」 { }\n岗位 「副局长」 { 属于 「局」 }\n'
     '岗位 「窗口」 { 属于 「局」 分管领导 「副局长」 }\n岗位 「窗口二」 { 属于 「局」 }\n',
     ["窗口二"]),
    # a unit with no posts: nothing in the rulebook acts there
    ('单位 「局」 { }\n', []),
])
def test_wz120_names_the_posts_left_without_a_leader(units: str, warned: list[str]) -> None:
    found = [d for d in check(units + LEADER_RULE) if d.code == "WZ120"]
    assert [d.severity for d in found] == [Severity.WARNING] * len(found)
    assert len(found) == (1 if warned else 0), [d.message.zh for d in found]
    for post in warned:
        assert f"「{post}」" in found[0].message.zh and f"`{post}`" in found[0].message.en
    if found:  # the posts that do name one are not listed
        assert "「窗口」" not in found[0].message.zh


def test_wz120_is_silent_when_no_violation_holds_a_leader_to_account() -> None:
    rule = LEADER_RULE.replace("直接责任人、分管领导", "直接责任人")
    assert [d.code for d in check('单位 「局」 { }\n岗位 「窗口」 { 属于 「局」 }\n' + rule)] == []
