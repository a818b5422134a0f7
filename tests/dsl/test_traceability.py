"""The traceability tables (``wenze.dsl.traceability``): each seed's operative rules, quoted from
their clauses, with the declarations that encode them and the scenarios that quote them — checked
against the texts, the rulebooks and the feature files, and generated so they cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenze.dsl.traceability import ROOT, inventories, render_markdown, scenario_quotes, trace

INVENTORIES = inventories()


def test_every_seed_has_an_inventory() -> None:
    assert {p.name.removesuffix(".rules.toml") for p in INVENTORIES} == {
        "zitong_2008", "foshan_2005", "fujian_2010", "luzhou_2009", "yingshan_2009"}


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[p.name for p in INVENTORIES])
def test_inventory_holds(inventory: Path) -> None:
    t = trace(inventory)
    assert t.problems == []
    assert t.judged and len(t.encoded) == len(t.judged)


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[p.name for p in INVENTORIES])
def test_generated_table_is_current(inventory: Path) -> None:
    t = trace(inventory)
    page = ROOT / "docs" / "traceability" / f"{t.name}.md"
    assert page.read_text(encoding="utf-8") == render_markdown(t), (
        f"{page} is stale: python -m wenze.dsl.traceability")


@pytest.mark.parametrize("inventory", INVENTORIES, ids=[p.name for p in INVENTORIES])
def test_every_judged_rule_has_a_scenario(inventory: Path) -> None:
    t = trace(inventory)
    assert [(r.clause, r.text) for r in t.judged if not r.scenarios] == []


def test_a_wrong_quote_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "rules" / "sources").mkdir(parents=True)
    (tmp_path / "features").mkdir()
    src = ROOT / "rules" / "sources"
    for name in ("zitong_2008.txt", "sources.toml"):
        (tmp_path / "rules" / "sources" / name).write_bytes((src / name).read_bytes())
    rulebook = (ROOT / "rules" / "zitong_2008.wz").read_text(encoding="utf-8")
    rulebook = rulebook.replace("当 「现场办结率」 < 90%", "当 「现场办结率」 < 85%")
    (tmp_path / "rules" / "zitong_2008.wz").write_text(rulebook, encoding="utf-8")
    (tmp_path / "features" / "zitong_2008.feature").write_text(
        "# language: zh-CN\n功能: 甲\n\n  # 条款 二、（四）3：“对违反制度规定的”\n  场景: 乙\n"
        "    假如 规则集 \"rules/zitong_2008.wz\"\n\n"
        "  # 条款 二、（四）3：“原文没有这句话”\n  场景: 丙\n", encoding="utf-8")
    inventory = tmp_path / "rules" / "sources" / "zitong_2008.rules.toml"
    inventory.write_text(
        'rulebook = "zitong_2008.wz"\nsource = "zitong_2008.txt"\n'
        'feature = "zitong_2008.feature"\n\n'
        '[[rule]]\nclause = "二、（四）3"\n'
        'text = "对违反制度规定的,立即对当事人及分管领导进行问责"\n'
        'judged = true\ndeclarations = ["违规 「超过承诺时限」", "违规 「没有这条」"]\n\n'
        '[[rule]]\nclause = "二、（四）9"\ntext = "甲"\njudged = false\nreason = "乙"\n\n'
        '[[rule]]\nclause = "二、（三）1"\ntext = "不在此条"\njudged = true\n\n'
        '[[rule]]\nclause = "二、（三）1"\ntext = "确保行政审批现场办结率达90%以上"\n'
        'judged = true\ndeclarations = ["违规 「现场办结率未达标」"]\n',
        encoding="utf-8")
    t = trace(inventory, tmp_path)
    problems = "\n".join(t.problems)
    assert "has no 违规 「没有这条」" in problems
    assert "clause `二、（四）9` is not in" in problems
    assert "“不在此条” is not in the clause" in problems
    assert "a judged rule with no declaration" in problems
    assert "“原文没有这句话” is not in clause 二、（四）3" in problems
    assert "违规 「现场办结率未达标」 has an unsupported citation" in problems  # 85% is not there
    assert t.rules[0].scenarios == ["乙"]


def test_scenario_quotes_are_the_comments_just_above_a_scenario(tmp_path: Path) -> None:
    feature = tmp_path / "x.feature"
    feature.write_text("# language: zh-CN\n功能: 甲\n  # 条款 一、：“甲”\n  # 别的注释\n"
                       "  # 条款 二、（一）：“乙”\n  场景: 丙\n    假如 x\n  # 条款 三、：“丁”\n",
                       encoding="utf-8")
    quotes = scenario_quotes(feature)
    assert [(q.scenario, q.clause, q.quote) for q in quotes] == [
        ("丙", "一、", "甲"), ("丙", "二、（一）", "乙")]
