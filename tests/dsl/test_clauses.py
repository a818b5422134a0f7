"""Splitting a document into clauses by its own headings, and reading the numbers a text states
(``wenze.dsl.clauses``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenze.dsl.clauses import (
    Quantity,
    chinese_number,
    parse_clause_ref,
    split_clauses,
    stated_numbers,
    states,
)

SOURCES = Path(__file__).resolve().parents[2] / "rules" / "sources"


def refs(text: str) -> list[str]:
    return [c.ref for c in split_clauses(text)]


@pytest.mark.parametrize(("text", "value"), [
    ("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("四十二", 42), ("一百零五", 105),
    ("两", 2), ("二〇〇八", 2008), ("三千", 3000), ("九十两", None), ("五是", None), ("", None),
])
def test_chinese_numbers(text: str, value: int | None) -> None:
    assert chinese_number(text) == value


def test_headings_nest_by_rank() -> None:
    text = ("一、总则\n（一）目标\n1、第一项。\n2、第二项。\n（二）措施\n1、再一项。\n"
            "二、要求\n(一)半角括号也是。\n")
    assert refs(text) == ["一、", "一、（一）", "一、（一）1", "一、（一）2", "一、（二）",
                          "一、（二）1", "二、", "二、（一）"]


def test_a_clause_text_runs_to_the_next_heading_outside_it() -> None:
    text = "一、甲\n（一）乙。5日内办结。\n（二）丙\n二、丁\n"
    by_ref = {c.ref: c.text for c in split_clauses(text)}
    assert by_ref["一、"] == "一、甲\n（一）乙。5日内办结。\n（二）丙\n"
    assert by_ref["一、（一）"] == "（一）乙。5日内办结。\n"
    assert by_ref["二、"] == "二、丁\n"


def test_headings_inside_a_line() -> None:
    text = "一、总则(一)目标1.甲。2.乙金额1.06亿元。(二)措施。一是丙;二是丁。"
    assert refs(text) == ["一、", "一、（一）", "一、（一）1", "一、（一）2", "一、（二）",
                          "一、（二）一是", "一、（二）二是"]


def test_a_heading_is_only_the_next_number() -> None:
    # "3、" out of order is not a clause, nor a list that starts over
    text = ("一、甲\n1、子\n3、不是标题\n2、丑\n"
            "二、乙。一是甲;二是乙;三是丙。又:一是重来;四是也不是。")
    assert refs(text) == ["一、", "一、1", "一、2", "二、", "二、一是", "二、二是", "二、三是"]
    assert "四是也不是" in split_clauses(text)[-1].text


def test_words_that_look_like_headings_are_not() -> None:
    text = "一、总则\n统一、规范地办理。第二、第三都不是。二是 在句中不算。\n二、分则\n"
    assert refs(text) == ["一、", "二、"]


def test_articles_and_chapters() -> None:
    text = "第一章 总则\n第一条 目的。\n第二条 范围。\n第二章 时限\n第三条 二十日内作出决定。\n"
    # articles are numbered through the whole text: cited without their chapter
    assert [r for r in refs(text) if not r.endswith("款")] == [
        "第一章", "第一条", "第二条", "第二章", "第三条"]
    chapter = split_clauses(text)[0]
    assert chapter.text.endswith("第二条 范围。\n")


STATUTE = """第一章 总则
第三十二条 行政机关对申请人提出的申请，应当根据下列情况分别作出处理：
（一）申请事项依法不需要取得许可的，应当即时告知申请人不受理；
（二）申请材料存在可以当场更正的错误的，应当允许申请人当场更正；
（三）申请材料不齐全的，应当当场或者在五日内一次告知申请人需要补正的全部内容。
行政机关受理或者不予受理申请，应当出具书面凭证。
第三十三条 行政机关应当建立和完善有关制度。
"""


def test_an_article_has_paragraphs_and_items() -> None:
    by_ref = {c.ref: c.text for c in split_clauses(STATUTE)}
    assert by_ref["第三十二条第一款"].startswith("第三十二条 行政机关对申请人")
    assert "（三）申请材料不齐全" in by_ref["第三十二条第一款"]
    assert by_ref["第三十二条第一款第三项"].startswith("（三）申请材料不齐全")
    assert states(by_ref["第三十二条第一款第三项"], 5, Quantity.DAYS)
    assert by_ref["第三十二条第二款"] == "行政机关受理或者不予受理申请，应当出具书面凭证。\n"
    assert "第三十二条第三款" not in by_ref
    assert by_ref["第三十三条第一款"] == "第三十三条 行政机关应当建立和完善有关制度。\n"
    alone = {c.ref: c.text for c in split_clauses("第五条\n甲。\n乙。\n")}
    assert alone["第五条第一款"] == "第五条\n甲。\n" and alone["第五条第二款"] == "乙。\n"


@pytest.mark.parametrize(("ref", "path"), [
    ("二、（四）3", ("二、", "（四）", "3")),
    ("二（四）3", ("二、", "（四）", "3")),
    ("二、(四)3", ("二、", "（四）", "3")),
    ("三、4", ("三、", "4")),
    ("三", ("三、",)),
    ("三、4、四是", ("三、", "4", "四是")),
    ("一、（一）三是", ("一、", "（一）", "三是")),
    ("第四十二条", ("第四十二条",)),
    ("第四十二条第一款", ("第四十二条", "第一款")),
    ("第三十二条第一款第四项", ("第三十二条", "第一款", "第四项")),
    ("呈批", None),
    ("", None),
])
def test_clause_refs(ref: str, path: tuple[str, ...] | None) -> None:
    assert parse_clause_ref(ref) == path


def test_stated_numbers_read_chinese_numerals_and_units() -> None:
    text = "须在三个工作日内答复，达百分之九十以上，按时办结率99%，两次以上，滚动十二个月，降一级"
    found = {(n.value, n.quantity) for n in stated_numbers(text)}
    assert {(3, Quantity.DAYS), (90, Quantity.PERCENT), (99, Quantity.PERCENT),
            (2, Quantity.TIMES), (12, Quantity.MONTHS), (1, Quantity.LEVELS)} <= found


def test_states_needs_the_same_quantity() -> None:
    text = "确保现场办结率达90%以上，5月15日前完成。"
    assert states(text, 90, Quantity.PERCENT)
    assert not states(text, 90, Quantity.DAYS)
    assert states(text, 15, Quantity.DAYS)  # a date's day: a number is a number, as written
    assert not states(text, 3, Quantity.DAYS)


def test_a_page_break_between_number_and_unit() -> None:
    assert states("力争 100\n%", 100, Quantity.PERCENT)
    assert states("5 \n日内", 5, Quantity.DAYS)


# --------------------------------------------------------------------------- the shipped texts


def clause_refs_of(name: str) -> list[str]:
    from wenze.dsl.citations import load_sources

    source = next(s for s in load_sources(SOURCES) if s.path.name == name)
    return [c.ref for c in source.clauses]


def test_zitong_is_split_by_its_headings() -> None:
    found = clause_refs_of("zitong_2008.txt")
    assert found[:3] == ["一、", "一、（一）", "一、（二）"]
    assert {"二、（三）1", "二、（三）2", "二、（四）3", "三、（三）2", "四、（五）"} <= set(found)
    assert len(found) == 41


def test_luzhou_preview_ends_inside_five_one() -> None:
    found = clause_refs_of("luzhou_2009.txt")
    assert found[-1] == "一、（五）1"  # the site's preview stops here
    assert "1" not in found and "2" not in found  # the site's chunk numbers are dropped
    assert "一、（四）2" in found


def test_yingshan_points_are_clauses() -> None:
    found = clause_refs_of("yingshan_2009.txt")
    assert {"一、（一）三是", "二、（一）一是", "二、（一）二是", "二、（四）一是"} <= set(found)
