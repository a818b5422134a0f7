"""The penalty ladder (wenze.engine.ladder): windows, escalation, circumstances, consequences,
joint liability, determinism. Ladders are written in the rules language and parsed for real."""

from __future__ import annotations

import datetime as dt
import functools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenze.dsl import ast as A
from wenze.dsl.parser import parse
from wenze.engine.ladder import (
    LISTED_EARLIER,
    LadderError,
    Offence,
    PriorSanction,
    apply_ladder,
    minus_months,
    unit_leaders,
    window_of,
)

D = dt.date

EFFICIENCY = """
阶梯 「效能问责」 {
  计次期间 滚动 12 个月
  等级 「效能告诫」、「通报批评」、「诫勉谈话」、「党纪政纪处分」、「移送司法机关」
  第 1 次 「效能告诫」
  第 2 次 「通报批评」
  第3次及以上 「诫勉谈话」
  从重 「阻碍调查」 升 1 级
  从重 「打击报复」 直接至 「党纪政纪处分」
  从轻 「主动纠正」 降 1 级
  免责 「不可抗力」、「申请人提供虚假材料」
  后果 「效能告诫」 "当年不得评为优秀"
  连带 第 3 次 分管领导、主要领导 「效能告诫」
}
"""

# Fujian 机关效能建设工作条例: one 告诫 in a year → not 优秀; two or more → 不称职.
FUJIAN = """
阶梯 「福建效能告诫」 {
  计次期间 自然年
  等级 「效能告诫」、「通报批评」
  第 1 次及以上 「效能告诫」
  后果 「效能告诫」 "当年不得评为优秀"
  后果 「效能告诫」 累计 2 次 "年度考核确定为不称职"
}
"""

UNITS = """
单位 「审批科」 { 主要领导 「局长」 分管领导 「副局长」 }
岗位 「局长」 { 属于 「审批科」 }
岗位 「副局长」 { 属于 「审批科」 }
"""


def rulebook(body: str) -> A.Rulebook:
    result = parse('规则集 「测试」 { 版本 "t" 生效 2020-01-01 }\n' + body, "test.wz")
    assert result.rulebook is not None, result.diagnostics
    return result.rulebook


@functools.cache
def ladder(body: str) -> A.LadderDecl:
    (decl,) = rulebook(body).named(A.LadderDecl).values()
    assert isinstance(decl, A.LadderDecl)
    return decl


def off(key: str, on: dt.date, person: str = "蒋明", *circumstances: str,
        unit: str | None = "审批科") -> Offence:
    return Offence(key=key, person=person, unit=unit, post=None, role=A.Role.DIRECT,
                   violation="超过法定时限", case=key, on=on,
                   circumstances=frozenset(circumstances))


def levels(outcome) -> dict[str, str | None]:
    return {s.offence.key: s.level for s in outcome.sanctions}


# --------------------------------------------------------------------------- windows


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert minus_months(D(2024, 2, 29), 12) == D(2023, 2, 28)
    assert minus_months(D(2024, 3, 31), 1) == D(2024, 2, 29)
    assert minus_months(D(2024, 1, 15), 1) == D(2023, 12, 15)
    assert minus_months(D(2024, 5, 31), 12) == D(2023, 5, 31)


def test_rolling_window_excludes_the_day_n_months_back() -> None:
    lad = ladder(EFFICIENCY)
    assert window_of(lad.window, D(2025, 1, 5)) == (D(2024, 1, 6), D(2025, 1, 5))
    # exactly 12 months after → not counted any more; one day less → counted
    out = apply_ladder(lad, [off("a", D(2024, 1, 5)), off("b", D(2025, 1, 5))])
    assert levels(out) == {"a": "效能告诫", "b": "效能告诫"}
    out = apply_ladder(lad, [off("a", D(2024, 1, 5)), off("b", D(2025, 1, 4))])
    assert levels(out) == {"a": "效能告诫", "b": "通报批评"}


def test_escalation_inside_12_months_and_reset_outside() -> None:
    lad = ladder(EFFICIENCY)
    offences = [off("C1", D(2024, 1, 5)), off("C2", D(2024, 3, 1)), off("C3", D(2024, 9, 10)),
                off("C4", D(2025, 10, 20))]  # 13 months after C3
    out = apply_ladder(lad, offences)
    assert levels(out) == {"C1": "效能告诫", "C2": "通报批评", "C3": "诫勉谈话", "C4": "效能告诫"}
    assert [s.count_in_window for s in out.sanctions] == [1, 2, 3, 1]
    assert [s.step for s in out.sanctions] == [1, 2, 3, 1]
    second = out.sanctions[1]
    assert second.reasons[0].zh == (
        "第 2 次（滚动 12 个月，2023-03-02 至 2024-03-01 内："
        "2024-01-05 「超过法定时限」 案件 C1 「效能告诫」）→ 「通报批评」")
    assert second.reasons[0].en.startswith("2nd sanction (in rolling 12 months")
    assert out.sanctions[3].reasons[0].zh.startswith("第 1 次")
    assert out.sanctions[3].counted == ()


def test_or_more_row_applies_to_every_later_ordinal() -> None:
    lad = ladder(EFFICIENCY)
    out = apply_ladder(lad, [off(f"k{i}", D(2024, 1, 1 + i)) for i in range(5)])
    assert [s.level for s in out.sanctions][2:] == ["诫勉谈话"] * 3
    assert [s.count_in_window for s in out.sanctions] == [1, 2, 3, 4, 5]
    assert [s.step for s in out.sanctions] == [1, 2, 3, 3, 3]


def test_reasons_list_the_latest_earlier_sanctions_and_count_the_rest() -> None:
    # a deputy leader answering for many late cases: the 13th decision names the latest
    # LISTED_EARLIER earlier sanctions and says how many more there are; counts stay exact
    lad = ladder(EFFICIENCY)
    out = apply_ladder(lad, [off(f"k{i:02d}", D(2024, 1, 1 + i)) for i in range(13)])
    last = out.sanctions[-1]
    assert last.count_in_window == 13 and last.level == "诫勉谈话"
    assert len(last.counted) == LISTED_EARLIER == 10
    assert last.counted[0].zh.startswith("2024-01-03 ")  # k02: k00 and k01 are counted only
    assert "此前另有 2 次，最近 10 次：2024-01-03 " in last.reasons[0].zh
    assert "2 more before the latest 10: 2024-01-03 " in last.reasons[0].en
    assert "案件 k01" not in last.reasons[0].zh and "案件 k12" not in last.reasons[0].zh
    assert "此前另有" not in out.sanctions[10].reasons[0].zh  # exactly 10 earlier: all listed


def test_calendar_year_window_resets_on_january_first() -> None:
    lad = ladder(EFFICIENCY.replace("滚动 12 个月", "自然年"))
    out = apply_ladder(lad, [off("a", D(2024, 1, 1)), off("b", D(2024, 12, 31)),
                             off("c", D(2025, 1, 1))])
    assert levels(out) == {"a": "效能告诫", "b": "通报批评", "c": "效能告诫"}
    assert out.sanctions[2].window == (D(2025, 1, 1), D(2025, 1, 1))
    assert out.sanctions[1].window_text.zh == "自然年 2024，2024-01-01 至 2024-12-31"


def test_no_window_counts_every_earlier_sanction() -> None:
    lad = ladder("""阶梯 L { 等级 「告诫」、「通报」  第 1 次 「告诫」  第2次及以上 「通报」 }""")
    out = apply_ladder(lad, [off("a", D(2001, 1, 1)), off("b", D(2024, 1, 1))])
    assert levels(out) == {"a": "告诫", "b": "通报"}
    assert out.sanctions[1].window == (None, D(2024, 1, 1))


def test_rolling_window_without_months_is_an_error() -> None:
    with pytest.raises(LadderError, match="number of months"):
        window_of(A.CountWindow(A.WindowKind.ROLLING_MONTHS, None), D(2024, 1, 1))


def test_rows_missing_for_the_ordinal() -> None:
    lad = ladder("""阶梯 L { 计次期间 自然年  等级 「告诫」、「通报」、「诫勉」
                 第 1 次 「告诫」  第 2 次 「通报」 }""")
    out = apply_ladder(lad, [off(f"k{i}", D(2024, 2, 1 + i)) for i in range(3)])
    assert [s.level for s in out.sanctions] == ["告诫", "通报", "通报"]
    assert "阶梯未规定第 3 次" in out.sanctions[2].reasons[1].zh

    starts_late = ladder("""阶梯 L { 计次期间 自然年  等级 「告诫」、「通报」
                         第 2 次 「通报」 }""")
    out = apply_ladder(starts_late, [off("k", D(2024, 2, 1))])
    assert out.sanctions[0].level == "通报"
    assert "阶梯自第 2 次起规定" in out.sanctions[0].reasons[1].zh


# --------------------------------------------------------------------------- prior sanctions


def test_prior_sanctions_count_inside_the_window_only() -> None:
    lad = ladder(EFFICIENCY)
    prior = [
        PriorSanction("蒋明", "审批科", D(2024, 2, 1), "效能告诫", "决定 2024-7"),  # counts
        PriorSanction("蒋明", "审批科", D(2023, 1, 1), "通报批评", "决定 2023-1"),  # too old
        PriorSanction("蒋明", "审批科", D(2024, 9, 1), "通报批评", "决定 2024-9"),  # later
        PriorSanction("李四", "审批科", D(2024, 2, 2), "通报批评", "决定 2024-8"),  # someone else
    ]
    out = apply_ladder(lad, [off("a", D(2024, 6, 1))], prior)
    (s,) = out.sanctions
    assert (s.level, s.count_in_window) == ("通报批评", 2)
    assert [c.zh for c in s.counted] == ["2024-02-01 「效能告诫」（此前，决定 2024-7）"]


# --------------------------------------------------------------------------- circumstances


def test_aggravating_up_one_level() -> None:
    out = apply_ladder(ladder(EFFICIENCY), [off("a", D(2024, 1, 5), "蒋明", "阻碍调查")])
    (s,) = out.sanctions
    assert (s.base_level, s.level) == ("效能告诫", "通报批评")
    assert s.reasons[1].zh == "从重：「阻碍调查」 升 1 级 → 「通报批评」"
    assert [(a.circumstance, a.before, a.after) for a in s.adjustments] == [
        ("阻碍调查", "效能告诫", "通报批评")]


def test_aggravating_directly_to_never_lowers() -> None:
    lad = ladder(EFFICIENCY)
    out = apply_ladder(lad, [off("a", D(2024, 1, 5), "蒋明", "打击报复")])
    assert out.sanctions[0].level == "党纪政纪处分"
    # already at 党纪政纪处分 after 阻碍调查 on the 3rd → 直接至 changes nothing
    offences = [off("a", D(2024, 1, 5)), off("b", D(2024, 2, 5)),
                off("c", D(2024, 3, 5), "蒋明", "阻碍调查", "打击报复")]
    s = apply_ladder(lad, offences).sanctions[2]
    assert s.level == "党纪政纪处分"
    assert [a.limited for a in s.adjustments] == [False, True]


def test_aggravating_capped_at_the_top_level() -> None:
    lad = ladder(EFFICIENCY.replace("升 1 级", "升 9 级"))
    (s,) = apply_ladder(lad, [off("a", D(2024, 1, 5), "蒋明", "阻碍调查")]).sanctions
    assert s.level == "移送司法机关"
    assert "已是最高等级" in s.reasons[1].zh
    assert s.adjustments[0].limited


def test_mitigating_down_one_level_and_floor() -> None:
    lad = ladder(EFFICIENCY)
    out = apply_ladder(lad, [off("a", D(2024, 1, 5)), off("b", D(2024, 2, 5), "蒋明", "主动纠正"),
                             off("c", D(2024, 3, 5), "蒋明", "主动纠正")])
    assert levels(out) == {"a": "效能告诫", "b": "效能告诫", "c": "通报批评"}
    assert out.sanctions[1].reasons[1].zh == "从轻：「主动纠正」 降 1 级 → 「效能告诫」"
    # the first offence mitigated: already the lowest level, it stays (the sanction is not waived)
    (s,) = apply_ladder(lad, [off("a", D(2024, 1, 5), "蒋明", "主动纠正")]).sanctions
    assert s.level == "效能告诫"
    assert "已是最低等级" in s.reasons[1].zh
    assert s.adjustments[0].limited


def test_aggravating_then_mitigating_both_explained() -> None:
    (s,) = apply_ladder(ladder(EFFICIENCY),
                        [off("a", D(2024, 1, 5), "蒋明", "主动纠正", "阻碍调查")]).sanctions
    assert s.level == "效能告诫"
    assert [r.zh.split("：")[0] for r in s.reasons[1:3]] == ["从重", "从轻"]
    assert [a.after for a in s.adjustments] == ["通报批评", "效能告诫"]


def test_unknown_circumstance_is_reported_not_dropped() -> None:
    (s,) = apply_ladder(ladder(EFFICIENCY), [off("a", D(2024, 1, 5), "蒋明", "天气")]).sanctions
    assert s.level == "效能告诫"
    assert any("「天气」" in r.zh and "未予考虑" in r.zh for r in s.reasons)


def test_exemption_wins_and_does_not_count_later() -> None:
    lad = ladder(EFFICIENCY)
    out = apply_ladder(lad, [off("a", D(2024, 1, 5), "蒋明", "不可抗力", "打击报复"),
                             off("b", D(2024, 2, 5))])
    a, b = out.sanctions
    assert (a.level, a.base_level, a.exempt_by, a.consequences) == (None, None, "不可抗力", ())
    assert not a.sanctioned
    assert a.reasons[0].zh.startswith("免责：「不可抗力」")
    assert (b.level, b.count_in_window) == ("效能告诫", 1)


# --------------------------------------------------------------------------- consequences


def test_fujian_two_warnings_in_a_year_rated_incompetent() -> None:
    lad = ladder(FUJIAN)
    out = apply_ladder(lad, [off("a", D(2024, 3, 1)), off("b", D(2024, 11, 1)),
                             off("c", D(2025, 2, 1))])
    a, b, c = out.sanctions
    assert a.consequences == ("当年不得评为优秀",)
    assert b.consequences == ("当年不得评为优秀", "年度考核确定为不称职")
    assert "累计 2 次" in b.reasons[-1].zh
    assert c.consequences == ("当年不得评为优秀",)  # a new year


def test_consequence_counts_prior_sanctions_of_that_level() -> None:
    lad = ladder(FUJIAN)
    prior = [PriorSanction("蒋明", None, D(2024, 1, 2), "效能告诫", "决定 1")]
    (s,) = apply_ladder(lad, [off("a", D(2024, 3, 1))], prior).sanctions
    assert "年度考核确定为不称职" in s.consequences
    other = [PriorSanction("蒋明", None, D(2024, 1, 2), "通报批评", "决定 1")]
    (s,) = apply_ladder(lad, [off("a", D(2024, 3, 1))], other).sanctions
    assert s.consequences == ("当年不得评为优秀",)


def test_consequence_only_on_its_own_level() -> None:
    out = apply_ladder(ladder(EFFICIENCY), [off("a", D(2024, 1, 5)), off("b", D(2024, 2, 5))])
    assert [s.consequences for s in out.sanctions] == [("当年不得评为优秀",), ()]


# --------------------------------------------------------------------------- joint liability


def test_joint_liability_on_the_third_sanction_in_a_unit() -> None:
    rb = rulebook(EFFICIENCY + UNITS)
    (lad,) = rb.named(A.LadderDecl).values()
    leaders = unit_leaders(rb.named(A.UnitDecl).values())  # type: ignore[arg-type]
    assert leaders == {"审批科": {A.Role.CHIEF_LEADER: "局长", A.Role.DEPUTY_LEADER: "副局长"}}
    offences = [off("a", D(2024, 1, 5), "甲"), off("b", D(2024, 2, 5), "乙"),
                off("x", D(2024, 2, 20), "丙", "不可抗力"),  # exempt: not counted
                off("o", D(2024, 2, 25), "丁", unit="别的单位"),
                off("c", D(2024, 3, 5), "丙"), off("d", D(2024, 4, 5), "丁")]
    out = apply_ladder(lad, offences, unit_leaders=leaders)  # type: ignore[arg-type]
    assert [(j.role, j.person, j.sanction, j.on) for j in out.joint] == [
        (A.Role.DEPUTY_LEADER, "副局长", "效能告诫", D(2024, 3, 5)),
        (A.Role.CHIEF_LEADER, "局长", "效能告诫", D(2024, 3, 5)),
    ]
    assert out.joint[0].triggered_by == ("a", "b", "c")
    assert out.joint[0].trigger == "c"
    assert "第 3 次问责" in out.joint[0].reasons[0].zh


def test_joint_liability_counts_prior_and_fires_once_per_window() -> None:
    lad = ladder(EFFICIENCY.replace("滚动 12 个月", "自然年"))
    prior = [PriorSanction("甲", "审批科", D(2024, 1, 2), "效能告诫", "决定 1")]
    offences = [off("b", D(2024, 2, 5), "乙"), off("c", D(2024, 3, 5), "丙"),
                off("d", D(2024, 4, 5), "丁"),  # 4th in the year: nothing more
                off("e", D(2025, 1, 5), "戊"), off("f", D(2025, 2, 5), "己"),
                off("g", D(2025, 3, 5), "庚")]  # 3rd of 2025: fires again
    out = apply_ladder(lad, offences, prior)
    assert sorted({j.on for j in out.joint}) == [D(2024, 3, 5), D(2025, 3, 5)]
    first = [j for j in out.joint if j.on == D(2024, 3, 5)]
    assert first[0].prior == tuple(prior) and first[0].triggered_by == ("b", "c")
    assert all(j.person is None for j in out.joint)  # no leaders given: said, not guessed
    assert "未指明" in first[0].reasons[-1].zh


# --------------------------------------------------------------------------- errors


def test_duplicate_offence_keys_are_an_error() -> None:
    with pytest.raises(LadderError, match="duplicate"):
        apply_ladder(ladder(EFFICIENCY), [off("a", D(2024, 1, 5)), off("a", D(2024, 2, 5))])


def test_adjusting_a_sanction_that_is_not_a_level_is_an_error() -> None:
    lad = ladder("""阶梯 L { 等级 「告诫」  第 1 次 「通报」  从重 「阻碍调查」 升 1 级 }""")
    with pytest.raises(LadderError, match="not one of its levels"):
        apply_ladder(lad, [off("a", D(2024, 1, 5), "蒋明", "阻碍调查")])


# --------------------------------------------------------------------------- properties

PEOPLE = ["甲", "乙", "丙"]
CIRCS = ["阻碍调查", "主动纠正", "不可抗力", "打击报复", "天气"]

offence_lists = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(["审批科", "窗口科", None]),
              st.dates(D(2023, 1, 1), D(2025, 12, 31)),
              st.frozensets(st.sampled_from(CIRCS), max_size=2)),
    max_size=25)
prior_lists = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(["审批科", None]),
              st.dates(D(2022, 6, 1), D(2025, 12, 31)),
              st.sampled_from(["效能告诫", "通报批评"])),
    max_size=5)


def build(raw, raw_prior):
    offences = [Offence(f"k{i:02d}", p, u, None, A.Role.DIRECT, "超过法定时限", f"C{i}", d, c)
                for i, (p, u, d, c) in enumerate(raw)]
    prior = [PriorSanction(p, u, d, s, f"P{i}") for i, (p, u, d, s) in enumerate(raw_prior)]
    return offences, prior


@settings(max_examples=60, deadline=None)
@given(offence_lists, prior_lists, st.randoms(use_true_random=False),
       st.sampled_from(["滚动 12 个月", "自然年", "滚动 6 个月"]))
def test_order_of_input_does_not_matter(raw, raw_prior, rnd: random.Random, window: str) -> None:
    lad = ladder(EFFICIENCY.replace("滚动 12 个月", window))
    offences, prior = build(raw, raw_prior)
    expected = apply_ladder(lad, offences, prior)
    rnd.shuffle(offences)
    rnd.shuffle(prior)
    assert apply_ladder(lad, offences, prior) == expected
    assert [s.offence.key for s in expected.sanctions] == sorted(
        (o.key for o in offences), key=lambda k: (next(o.on for o in offences if o.key == k), k))


@settings(max_examples=60, deadline=None)
@given(offence_lists, prior_lists)
def test_count_matches_an_independent_brute_force(raw, raw_prior) -> None:
    lad = ladder(EFFICIENCY)
    offences, prior = build(raw, raw_prior)
    out = apply_ladder(lad, offences, prior)
    by_key = {s.offence.key: s for s in out.sanctions}
    for o in offences:
        # earlier = a sanctioned offence of the same person before it (date, then key), or a
        # prior sanction of the person, dated in (on − 12 months, on]
        start = minus_months(o.on, 12)
        earlier = sum(
            1 for x in offences
            if x.person == o.person and (x.on, x.key) < (o.on, o.key) and start < x.on
            and not (x.circumstances & {"不可抗力", "申请人提供虚假材料"}))
        earlier += sum(1 for p in prior if p.person == o.person and start < p.on <= o.on)
        s = by_key[o.key]
        exempt = bool(o.circumstances & {"不可抗力", "申请人提供虚假材料"})
        assert s.count_in_window == (earlier if exempt else earlier + 1)
        assert (s.level is None) == exempt
        assert s.reasons and all(r.zh and r.en for r in s.reasons)  # every step explained


def test_leadership_sanctions_do_not_count_toward_the_units_joint_liability() -> None:
    # two late cases, each sanctioning the handler and the deputy leader: four sanctions, but only
    # two 问责 of the unit's staff — the 3rd-in-a-unit rule must not fire
    from dataclasses import replace

    lad = ladder(EFFICIENCY)
    offences = []
    for key, day, handler in (("a", D(2024, 1, 5), "甲"), ("b", D(2024, 2, 5), "乙")):
        offences.append(off(key, day, handler))
        offences.append(replace(off(key + "-lead", day, "副局长"), role=A.Role.DEPUTY_LEADER))
    assert apply_ladder(lad, offences).joint == []
    offences.append(off("c", D(2024, 3, 5), "丙"))  # the 3rd staff sanction fires it
    assert {j.on for j in apply_ladder(lad, offences).joint} == {D(2024, 3, 5)}


def test_offences_of_one_date_are_taken_in_the_evaluators_order_not_by_key() -> None:
    """Two offences established the same day: ``Offence.order`` (the evaluator's: the time of
    the act behind each, then case, violation …) decides which is the first, whatever the keys."""
    from dataclasses import replace

    lad = ladder(EFFICIENCY)
    early, late = off("zzz", D(2024, 3, 1)), off("aaa", D(2024, 3, 1))
    early, late = replace(early, order=(1.0, "B")), replace(late, order=(2.0, "A"))
    out = apply_ladder(lad, [late, early])
    assert [s.offence.key for s in out.sanctions] == ["zzz", "aaa"]
    assert levels(out) == {"zzz": "效能告诫", "aaa": "通报批评"}
    out = apply_ladder(lad, [replace(early, order=(3.0, "B")), late])
    assert levels(out) == {"aaa": "效能告诫", "zzz": "通报批评"}
