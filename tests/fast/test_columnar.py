"""The columnar fast path (``wenze.fast.columnar``) against the reference evaluator: the same JSON
document, byte for byte, on the case files, on seeded simulated caseloads of the shipped rulebooks
and on random rulebooks and caseloads (hypothesis). Each comparison also checks that the fast path
really judged cases itself (else the test would prove nothing), and a deliberately broken fast
path must be caught."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wenze
from wenze.dsl.loader import load_text
from wenze.engine.evaluate import evaluate
from wenze.engine.lower import Program, lower
from wenze.events.readers import read_jsonl
from wenze.fast import arrays, native, slices
from wenze.fast import columnar as C
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(p for p in (ROOT / "tests" / "cases").iterdir() if (p / "case.json").is_file())


def _both(program: Program, events: list, as_of: dt.date, rejected: list | None = None,
          native: bool = True) -> tuple[str, str, dict[str, float]]:
    stats: dict[str, float] = {}
    ref = wenze.to_json(evaluate(program, events, as_of, rejected=rejected or []))
    col = wenze.to_json(C.evaluate_columnar(program, events, as_of, rejected=rejected or [],
                                            stats=stats, native_offences=native))
    return ref, col, stats


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_case_files_give_the_same_document(case: Path) -> None:
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    loaded = load_text((case / "rulebook.wz").read_text(encoding="utf-8"), "rulebook.wz")
    if not loaded.ok or loaded.rulebook is None:
        pytest.skip("the case is about a rulebook error")
    program = lower(loaded.rulebook)
    batch = read_jsonl((case / "events.jsonl").read_text(encoding="utf-8").splitlines(),
                       "events.jsonl")
    as_of = dt.date.fromisoformat(spec["as_of"])
    ref, col, _ = _both(program, list(batch.events), as_of, list(batch.rejected))
    assert col == ref


SHIPPED = ["zitong_2008.wz", "yingshan_2009.wz", "luzhou_2009.wz", "foshan_2005.wz",
           "fujian_2010.wz", "county_en.wz", "receipt_wabo.wz", "statutory_base.wz"]


@functools.cache
def _shipped(name: str) -> Program:
    return wenze.load(ROOT / "rules" / name).program


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("seed", [3, 11])
def test_simulated_caseloads_of_the_shipped_rulebooks(name: str, seed: int) -> None:
    program = _shipped(name)
    events = generate(program, load_profile(), cases=600, seed=seed)
    # as of mid-year too: open cases, running steps, warnings
    for as_of in (dt.date(2024, 12, 31), dt.date(2024, 7, 15)):
        ref, col, stats = _both(program, events, as_of)
        assert col == ref
        assert stats["screened"] > stats["cases"] // 2  # the fast path did the bulk itself
        _, slow, _ = _both(program, events, as_of, native=False)
        assert slow == ref
    assert json.loads(ref)["decisions"] or json.loads(ref)["warnings"]


def _native_rows_checked(program: Program, events: list, as_of: dt.date,
                         rejected: list | None = None) -> int:
    """Run the fast path keeping the offence tables it makes on arrays, and check each: who
    answers, when, in which post and unit — computed on arrays for screened cases — is what the
    reference's own offence of that row says, and the rows are exactly the reference's offences
    of those cases (none missing, none twice). Returns the number of rows checked."""
    real = C.native_table
    kept: list[Any] = []

    def keep(ctx: Any, s: Any, group: Any, people: Any) -> Any:
        table = real(ctx, s, group, people)
        kept.append((table, native.NativeCases(ctx, s, group)))
        return table

    C.native_table = keep  # type: ignore[assignment]
    try:
        C.evaluate_columnar(program, events, as_of, rejected=rejected or [])
    finally:
        C.native_table = real  # type: ignore[assignment]
    rows = 0
    for table, cases in kept:
        assert table.mismatches() == []
        reference = {o.key: o for i in range(len(cases)) for o in cases.offences(i)}
        assert sorted(table.key(i) for i in range(len(table))) == sorted(reference)
        # the offences made from the columns (facts and dates too) are the reference's, made
        # one by one or together, their fact values of the same types (True is not 1 in JSON)
        made = table.offences(np.arange(len(table)))
        assert [table.offence(i) for i in range(len(table))] == made
        expected = [reference[table.key(i)] for i in range(len(table))]
        assert made == expected
        assert [[type(v) for _, v in o.facts] for o in made] == \
            [[type(v) for _, v in o.facts] for o in expected]
        rows += len(table)
    return rows


def test_offence_columns_made_on_arrays_say_what_the_reference_offences_say() -> None:
    rows = 0
    for name in SHIPPED:
        program = _shipped(name)
        events = generate(program, load_profile(), cases=800, seed=5)
        for as_of in (dt.date(2024, 12, 31), dt.date(2024, 7, 15)):
            rows += _native_rows_checked(program, events, as_of)
    template = lower(load_text(RULEBOOK.format(**BASE_PARAMS), "<t>").rulebook)  # type: ignore
    events, rejected = _events(_skeleton_caseload(400, seed=4))
    rows += _native_rows_checked(template, events, dt.date(2024, 12, 31), rejected)
    assert rows > 300


def test_a_seeded_caseload_with_every_kind_of_offence_is_judged_here() -> None:
    """The offences of screened cases (late cases, late steps, early steps, unauthorized
    decisions) are made by the fast path itself, not by routing: both give the reference's."""
    program = lower(load_text(RULEBOOK.format(**BASE_PARAMS), "<t>").rulebook)  # type: ignore
    events, rejected = _events(_skeleton_caseload(400, seed=5))
    as_of = dt.date(2024, 12, 31)
    ref, col, stats = _both(program, events, as_of, rejected)
    assert col == ref
    assert stats["hit_here"] > 20
    names = {d["violation"] for d in json.loads(ref)["decisions"]}
    assert {"超过法定时限", "环节超时", "前置未完成即开始", "决定越权"} <= names


# --------------------------------------------------------------------------- random rulebooks

RULEBOOK = """规则集 「差分」 {{ 版本 "t" }}
文件 「法」 {{ 文号 "1号" 标题 "法" }}
日历 「县日历」 {{
  基于 {basis}
  {local}
}}
{power}
职权 「延期批准权」 {{ 说明 "延期" }}
{act_power}
单位 「审批局」 {{ 主要领导 「局长」 {unit_deputy} }}
岗位 「局长」 {{ 属于 「审批局」 拥有 「延期批准权」{chief_decides} }}
岗位 「副局长」 {{ 属于 「审批局」 }}
岗位 「首席代表」 {{ 属于 「审批局」 {rep_holds} }}
岗位 「窗口」 {{ 属于 「审批局」 {cover} }}
流程 「审批流程」 {{
  环节 「收件审查」 {{ 单位 「审批局」 {post} 时限 {s1} {u1} }}
  环节 「现场勘查」 {{ 单位 「审批局」 时限 {s2} 工作日 前置 「收件审查」 }}
  环节 「审核」 {{ 单位 「审批局」 时限 2 工作日 前置 「现场勘查」{cs_after} }}
  {countersign}
}}
事项 「许可」 依据 「法」 "一" {{
  {unit}
  日历 「县日历」
  {process}
  法定时限 {stat} {stat_unit}
  {promised}
  延期 5 工作日 批准 「延期批准权」
  {correction}
  中止计时 「专家评审」
  {warnings}
}}
事项 「登记」 依据 「法」 "二" {{
  单位 「审批局」
  法定时限 3 工作日
}}
阶梯 「问责」 {{
  计次期间 滚动 12 个月
  等级 「告诫」、「通报」、「诫勉」
  第 1 次 「告诫」
  第 2 次 「通报」
  第3次及以上 「诫勉」
  从轻 「主动纠正」 降 1 级
}}
{violations}
"""

BASE_PARAMS: dict[str, str] = {
    "basis": "法定工作日", "local": "", "power": "职权 「审批决定权」 { 说明 \"决定\" }",
    "chief_decides": "、「审批决定权」", "rep_holds": "拥有 「审批决定权」", "cover": "",
    "post": "岗位 「窗口」", "s1": "2", "u1": "工作日", "s2": "5", "cs_after": "",
    "countersign": "", "unit": "单位 「审批局」", "process": "流程 「审批流程」", "stat": "20",
    "stat_unit": "工作日", "promised": "承诺时限 15 工作日", "correction": "",
    "warnings": "", "act_power": "", "unit_deputy": "分管领导 「副局长」",
    "violations": """违规 「超过法定时限」 依据 「法」 "三" {
  针对 案件 当 「超法定天数」 > 0 责任 直接责任人、分管领导 阶梯 「问责」 }
违规 「决定越权」 依据 「法」 "三" { 针对 案件 当 「决定越权」 责任 直接责任人 阶梯 「问责」 }
违规 「环节超时」 依据 「法」 "三" {
  针对 环节 当 「环节超时天数」 > 0 责任 直接责任人 阶梯 「问责」 }
违规 「前置未完成即开始」 依据 「法」 "三" {
  针对 环节 当 「前置未完成即开始」 责任 直接责任人、审核人、批准人 阶梯 「问责」 }
""",
}

CASE_CONDITIONS = [
    "「超法定天数」 > {k}", "「超承诺天数」 >= {k}", "「用时」 > {d}", "「用时」 <= {k}",
    "「决定越权」 且 非 「A岗在岗代理」", "「中止天数」 > {k} 或 「中止事由不合法」",
    "非 「已办结」", "「现场办结」 == 否", "「不予许可未说明理由」", "「视为受理」",
    "「超法定时限」 且 「超承诺时限」", "「延期越权」 或 「补正告知次数」 > 1",
    "「用时」 != {k}", "(「超承诺天数」 > {k}) == 是", "「用时」 > {k} 天",
    "「超外部期限天数」 > 0 或 「送达逾期」", "「投诉次数」 >= 1 或 「推诿」",
    "「用时」 < {d} 且 「已办结」", "「受理越权」", "「越权行为」 且 非 「A岗在岗代理」",
    "「送达越权」 或 「收件越权」",
]
STEP_CONDITIONS = [
    "「环节超时天数」 > {k}", "「前置未完成即开始」", "「环节越权」", "「环节用时」 >= {k}",
    "「环节超时」 且 「超法定天数」 > {k}", "「环节用时」 > {d} 或 「决定越权」",
    "非 「环节超时」 且 「前置未完成即开始」",
]
ROLES = ["直接责任人", "直接责任人、分管领导", "直接责任人、审核人、批准人", "主要领导",
         "批准人、直接责任人",
         # parties and degrees (issue 14): any act's actor, a leader of one, any degree
         "决定人 承担 直接责任、决定人的分管领导 承担 主要领导责任",
         "受理人、收件人的主要领导 承担 全面领导责任", "送达人、延期批准人 承担 重要领导责任",
         "被投诉人、补正告知人、中止人的分管领导", "直接责任人 承担 重要领导责任、审核人的主要领导",
         # a unit's leadership body (全面领导责任), and the deputy leader a unit may not name
         "直接责任人、领导班子", "决定人的领导班子 承担 重要领导责任、分管领导"]
# the powers a rulebook may require for acts (职权 … 行为): none, acts judged on arrays, or not
ACT_POWERS = ["", "职权 「受理权」 { 行为 「受理」、「收件」 }",
              "职权 「送达权」 { 行为 delivered }",
              "职权 「受理权」 { 行为 「受理」 }\n"
              "职权 「送达权」 { 行为 「送达」、corrections_requested }"]


@st.composite
def rulebooks(draw: Any) -> str:
    p = dict(BASE_PARAMS)
    p["basis"] = draw(st.sampled_from(["法定工作日", "法定工作日", "自然日历"]))
    p["local"] = draw(st.sampled_from(
        ["", "放假 2024-03-12 \"县庆\"\n  补班 2024-03-16 \"调休\"", "放假 2024-10-08 \"县庆\""]))
    decides = draw(st.booleans())
    p["power"] = "职权 「审批决定权」 { 说明 \"决定\" }" if decides else ""
    p["chief_decides"] = "、「审批决定权」" if decides else ""
    p["rep_holds"] = "拥有 「审批决定权」" if decides else ""
    p["cover"] = draw(st.sampled_from(["", "代理 「首席代表」"])) if decides else ""
    p["post"] = draw(st.sampled_from(["", "岗位 「窗口」", "岗位 「首席代表」"]))
    p["s1"] = str(draw(st.integers(0, 4)))
    p["u1"] = draw(st.sampled_from(["工作日", "自然日"]))
    p["s2"] = str(draw(st.integers(1, 6)))
    with_cs = draw(st.booleans())
    p["countersign"] = ("会签 「征求意见」 { 单位 「审批局」 回复时限 3 工作日 沉默 视为同意 }"
                        if with_cs else "")
    p["cs_after"] = "、「征求意见」" if with_cs and draw(st.booleans()) else ""
    p["unit"] = draw(st.sampled_from(["单位 「审批局」", ""]))
    p["process"] = draw(st.sampled_from(["流程 「审批流程」", "流程 「审批流程」", ""]))
    stat = draw(st.integers(1, 25))
    p["stat"] = str(stat)
    p["stat_unit"] = draw(st.sampled_from(["工作日", "工作日", "自然日"]))
    promised = draw(st.one_of(st.none(), st.integers(1, stat)))
    p["promised"] = f"承诺时限 {promised} 工作日" if promised else ""
    p["correction"] = draw(st.sampled_from(["", "补正告知 5 工作日 一次性", "补正告知 2 自然日"]))
    p["act_power"] = draw(st.sampled_from(ACT_POWERS))
    # a unit naming no deputy leader: decisions name the unit, no person (never dropped)
    p["unit_deputy"] = draw(st.sampled_from(["分管领导 「副局长」", "分管领导 「副局长」", ""]))
    if "受理权" in p["act_power"]:  # the window may accept, or not (then every act is void)
        p["cover"] = (p["cover"] + " " if p["cover"] else "") + draw(
            st.sampled_from(["拥有 「受理权」", ""]))
    p["warnings"] = draw(st.sampled_from(
        ["", "预警 提前 2 工作日\n  黄牌 逾期\n  红牌 逾期 3 工作日", "黄牌 达到 80%"]))
    vio = []
    for i in range(draw(st.integers(1, 4))):
        step = draw(st.booleans())
        text = draw(st.sampled_from(STEP_CONDITIONS if step else CASE_CONDITIONS))
        text = text.format(k=draw(st.integers(0, 6)),
                           d=draw(st.sampled_from(["2.5", "0.5", "7.25", "3.0"])))
        roles = draw(st.sampled_from(ROLES))
        ladder = " 阶梯 「问责」"
        scope = "环节" if step else "案件"
        items = draw(st.sampled_from(["", " 事项 「许可」", " 事项 「登记」"]))
        vio.append(f"违规 「违规{i}」 依据 「法」 \"三\" {{ 针对 {scope}{items} 当 {text} "
                   f"责任 {roles}{ladder} }}")
    p["violations"] = "\n".join(vio)
    return RULEBOOK.format(**p)


@functools.lru_cache(maxsize=256)
def _program(text: str) -> Program | None:
    loaded = load_text(text, "<random>")
    if not loaded.ok or loaded.rulebook is None:
        return None
    return lower(loaded.rulebook)


def test_the_random_rulebook_template_loads() -> None:
    text = RULEBOOK.format(**BASE_PARAMS)
    loaded = load_text(text, "<t>")
    assert loaded.ok, [d.message for d in loaded.diagnostics]


# --------------------------------------------------------------------------- random caseloads

STEPS = ("收件审查", "现场勘查", "审核")
ACTORS = ("甲", "乙", "丙", "丁", None)
POSTS = ("窗口", "首席代表", "局长", "副局长", None, "", "临时岗")
TYPES_ALL = ("received", "accepted", "step_started", "step_completed", "suspended", "resumed",
             "decided", "corrections_requested", "extension_granted", "delivered", "complaint",
             "countersign_requested", "countersign_replied", "referred", "absent")
BASE_DAYS = ("2024-01-02", "2024-02-06", "2024-04-28", "2024-09-27", "2024-12-02", "2026-12-10",
             "2023-12-28")


def _at(day: dt.date, minute: int, offset: int) -> str:
    tz = dt.timezone(dt.timedelta(hours=offset))
    hour = 9 if offset == 8 else (1 if offset > 8 else 20)
    return dt.datetime(day.year, day.month, day.day, hour, minute % 60, tzinfo=tz).isoformat()


@st.composite
def case_events(draw: Any, c: int) -> list[dict[str, Any]]:
    case = f"C{c:03d}"
    day = dt.date.fromisoformat(draw(st.sampled_from(BASE_DAYS)))
    item = draw(st.sampled_from(["许可", "许可", "许可", "登记", "未知事项"]))
    out: list[dict[str, Any]] = []
    minute = [0]

    def add(typ: str, d: dt.date, **fields: Any) -> None:
        tie = draw(st.integers(0, 30)) == 0  # the same instant as the event before
        minute[0] += 0 if tie and out else 1
        offset = 8 if draw(st.integers(0, 25)) else draw(st.sampled_from([0, 9, -5]))
        ev = {"id": f"{case}-{len(out):02d}", "case": case, "type": typ,
              "at": _at(d, minute[0], offset), "item": item,
              "actor": draw(st.sampled_from(ACTORS)), "post": fields.pop("post", "窗口"),
              "unit": draw(st.sampled_from(["审批局", None, None]))}
        ev.update(fields)
        out.append({k: v for k, v in ev.items() if v is not None})

    def gap(most: int) -> dt.date:
        return day + dt.timedelta(days=draw(st.integers(0, most)))

    if draw(st.integers(0, 9)):
        add("received", day)
    if draw(st.integers(0, 5)):
        add("accepted", gap(8))
    day = gap(3)
    for name in STEPS:
        if not draw(st.integers(0, 8)):
            continue
        if draw(st.integers(0, 12)):
            add("step_started", day, step=name)
        if not draw(st.integers(0, 20)):
            add("step_started", day, step="未声明环节")
        day = gap(6)
        if draw(st.integers(0, 6)):
            add("step_completed", day, step=name,
                post=draw(st.sampled_from(["窗口", "窗口", "首席代表", None])))
    if not draw(st.integers(0, 3)):
        add("suspended", gap(3), data={"reason": draw(st.sampled_from(
            ["专家评审", "专家评审", "领导出差", ""]))})
        if draw(st.integers(0, 3)):
            day = gap(10)
            add("resumed", day)
    day = gap(12)
    if draw(st.integers(0, 6)):
        data: dict[str, Any] = {"outcome": draw(st.sampled_from(
            ["准予许可", "不予许可", "驳回", "approved", ""]))}
        if draw(st.booleans()):
            data["reasons"] = "材料不全"
        add("decided", day, post=draw(st.sampled_from(POSTS)), data=data)
    for _ in range(draw(st.integers(0, 2))):  # anything else, anywhere
        typ = draw(st.sampled_from(TYPES_ALL))
        extra: dict[str, Any] = {}
        if draw(st.integers(0, 3)) == 0:
            extra["data"] = draw(st.sampled_from([
                {"circumstances": "主动纠正"}, {"role": "reviewer"}, {"deadline": "2024-02-01"},
                {"days": 3}, {"reason": "检验"}, {"kind": "推诿", "against": "乙"},
                {"units": ["审批局"]}, {"opinion": "不同意"}]))
        add(typ, gap(20), step=draw(st.sampled_from([*STEPS, "征求意见", None])),
            post=draw(st.sampled_from(POSTS)), **extra)
    return out


@st.composite
def caseloads(draw: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for c in range(draw(st.integers(1, 14))):
        events += draw(case_events(c))
    for i in range(draw(st.integers(0, 3))):  # absences of 首席代表 (A/B cover)
        d = dt.date(2024, 1, 2) + dt.timedelta(days=draw(st.integers(0, 360)))
        events.append({"id": f"ABS-{i}-a", "case": "", "type": "absent", "at": _at(d, 0, 8),
                       "actor": "戊", "post": "首席代表"})
        if draw(st.booleans()):
            back = d + dt.timedelta(days=draw(st.integers(0, 20)))
            events.append({"id": f"ABS-{i}-r", "case": "", "type": "returned",
                           "at": _at(back, 59, 8), "actor": "戊", "post": "首席代表"})
    return draw(st.permutations(events))


def _events(dicts: list[dict[str, Any]]) -> tuple[list, list]:
    batch = read_jsonl([json.dumps(d, ensure_ascii=False) for d in dicts], "events.jsonl")
    return list(batch.events), list(batch.rejected)


# WENZE_COLUMNAR_EXAMPLES=5000 for a deeper search (the default keeps the suite quick)
@settings(max_examples=int(os.environ.get("WENZE_COLUMNAR_EXAMPLES") or 120), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=rulebooks(), dicts=caseloads(),
       as_of=st.sampled_from(["2024-03-20", "2024-12-31", "2025-02-10", "2027-01-04"]))
def test_random_rulebooks_and_caseloads_give_the_same_document(
        text: str, dicts: list[dict[str, Any]], as_of: str) -> None:
    program = _program(text)
    assert program is not None, text
    events, rejected = _events(dicts)
    day = dt.date.fromisoformat(as_of)
    ref, col, _ = _both(program, events, day, rejected)
    assert col == ref
    _, slow, _ = _both(program, events, day, rejected, native=False)
    assert slow == ref
    _native_rows_checked(program, events, day, rejected)


# --------------------------------------------------------------------------- a broken fast path

def _skeleton_caseload(n: int, seed: int) -> list[dict[str, Any]]:
    """Plain cases (every one screened by the fast path): late ones, late steps, early steps."""
    import random

    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for c in range(n):
        case = f"S{c:04d}"
        day = dt.date(2024, 1, 2) + dt.timedelta(days=rng.randrange(300))
        k = 0

        def add(typ: str, d: dt.date, case: str = case, **fields: Any) -> None:
            nonlocal k
            k += 1
            out.append({"id": f"{case}-{k:02d}", "case": case, "type": typ,
                        "at": _at(d, k, 8), "item": "许可", "actor": f"官{rng.randrange(9)}",
                        "post": "窗口", "unit": "审批局", **fields})

        add("received", day)
        add("accepted", day)
        for i, name in enumerate(STEPS):
            start = day - dt.timedelta(days=1) if i and rng.random() < 0.05 else day
            add("step_started", start, step=name)
            day = day + dt.timedelta(days=rng.choice([0, 1, 2, 3, 9]))
            add("step_completed", day, step=name)
        if rng.random() < 0.2:
            add("suspended", day, data={"reason": "专家评审"})
            day += dt.timedelta(days=rng.randrange(1, 12))
            add("resumed", day)
        day += dt.timedelta(days=rng.choice([0, 1, 5, 30]))
        add("decided", day, post=rng.choice(["首席代表"] * 30 + ["窗口"]),
            data={"outcome": "准予许可"})
    return out


def test_a_broken_fast_path_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: a deadline one counted day late in the fast path (only there)
    changes the document."""
    program = lower(load_text(RULEBOOK.format(**BASE_PARAMS), "<t>").rulebook)  # type: ignore
    events, rejected = _events(_skeleton_caseload(300, seed=9))
    as_of = dt.date(2024, 12, 31)
    ref, col, _ = _both(program, events, as_of, rejected)
    assert col == ref
    real = arrays.DayArrays.deadline

    def late(self: arrays.DayArrays, start: Any, amount: int, sus: Any) -> Any:
        return real(self, start, amount + 1, sus)

    monkeypatch.setattr(arrays.DayArrays, "deadline", late)
    _, broken, _ = _both(program, events, as_of, rejected)
    assert broken != ref


def test_explain_and_choice_of_evaluator() -> None:
    program = lower(load_text(RULEBOOK.format(**BASE_PARAMS), "<t>").rulebook)  # type: ignore
    events, _ = _events(_skeleton_caseload(50, seed=2))
    as_of = dt.date(2024, 12, 31)
    case = events[0].case
    result = C.evaluate_columnar(program, events, as_of, explain=[case])
    assert case in result.traces  # --explain is the reference's trace
    assert C.choose_evaluator("auto", C.AUTO_MIN_CASES - 1) == "reference"
    assert C.choose_evaluator("auto", C.AUTO_MIN_CASES) == "columnar"
    assert C.choose_evaluator("reference", 10**7) == "reference"


def test_wenze_evaluate_evaluator_flag_and_api(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from wenze.cli import main

    rulebook, events = ROOT / "rules" / "zitong_2008.wz", ROOT / "examples" / "caseload.jsonl"
    outputs = []
    for evaluator in ("reference", "columnar", "auto"):
        out = tmp_path / f"{evaluator}.json"
        code = main(["evaluate", str(rulebook), str(events), "--as-of", "2024-06-30",
                     "--format", "json", "--evaluator", evaluator, "-o", str(out)])
        assert code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert json.loads(outputs[0])["decisions"]
    book = wenze.load(rulebook)
    api = wenze.to_json(book.evaluate(events, "2024-06-30", evaluator="columnar"))
    assert api.encode("utf-8") == outputs[0]
    with pytest.raises(ValueError, match="evaluator"):
        book.evaluate(events, "2024-06-30", evaluator="fast")
    capsys.readouterr()


def test_the_order_of_the_input_does_not_matter() -> None:
    """Events already grouped by case in time order are only checked, not sorted; shuffled
    events are sorted: both give the reference's document."""
    import random

    program = lower(load_text(RULEBOOK.format(**BASE_PARAMS), "<t>").rulebook)  # type: ignore
    events, rejected = _events(_skeleton_caseload(200, seed=12))
    in_order = sorted(events, key=lambda e: (e.case, e.at))
    shuffled = list(in_order)
    random.Random(1).shuffle(shuffled)
    as_of = dt.date(2024, 12, 31)
    ref = wenze.to_json(evaluate(program, in_order, as_of, rejected=rejected))
    for evs in (in_order, shuffled):
        stats: dict[str, float] = {}
        col = wenze.to_json(C.evaluate_columnar(program, evs, as_of, rejected=rejected,
                                                stats=stats))
        assert col == ref
        assert stats["screened"] == 200
    assert C._case_time_order(C.EventColumns.from_events(in_order),
                              np.ones(len(in_order), bool))[1] is True
    assert C._case_time_order(C.EventColumns.from_events(shuffled),
                              np.ones(len(in_order), bool))[1] is False


@pytest.mark.parametrize("name", ["zitong_2008.wz", "receipt_wabo.wz"])
def test_screening_on_two_processes_gives_the_same_document(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large caseload is screened in slices, in forked processes, each a run of slices: the
    document is the one of a single slice in a single process (and of the reference)."""
    program = _shipped(name)
    events = generate(program, load_profile(), cases=700, seed=8)
    as_of = dt.date(2024, 12, 31)
    ref = wenze.to_json(evaluate(program, events, as_of))
    assert wenze.to_json(C.evaluate_columnar(program, events, as_of)) == ref  # one slice
    monkeypatch.setattr(C, "PARALLEL_MIN_CASES", 10)
    monkeypatch.setattr(slices, "PARALLEL_MIN_CASES", 10)
    monkeypatch.setattr(slices, "SLICE_CASES", 97)  # 8 slices: 3, 3 and 2 per process
    docs = {}
    for workers in (1, 2, 3):
        stats: dict[str, float] = {}
        docs[workers] = wenze.to_json(C.evaluate_columnar(program, events, as_of, stats=stats,
                                                          workers=workers))
        assert stats["workers"] == workers
    assert docs[1] == docs[2] == docs[3] == ref
    template = lower(load_text(RULEBOOK.format(**BASE_PARAMS), "<t>").rulebook)  # type: ignore
    skeleton, rejected = _events(_skeleton_caseload(300, seed=2))
    one, two = (wenze.to_json(C.evaluate_columnar(template, skeleton, as_of, rejected=rejected,
                                                  workers=w)) for w in (1, 2))
    assert one == two
    assert json.loads(one)["decisions"]


def test_first_row_per_case_and_key() -> None:
    """The first of the rows of each (case, key), duplicates included, -1 where none."""
    rng = np.random.default_rng(4)
    n_cases, n_keys = 50, 4
    case_of = np.sort(rng.integers(0, n_cases, 400))
    rows = np.sort(rng.choice(400, 300, replace=False))
    keys = rng.integers(0, n_keys, len(rows))
    table = arrays.first_per_case_and_key(case_of, rows, keys, n_cases, n_keys)
    expected = np.full((n_cases, n_keys), -1)
    for r, k in zip(rows.tolist(), keys.tolist(), strict=True):
        if expected[case_of[r], k] < 0:
            expected[case_of[r], k] = r
    assert (table == expected).all()
    assert (table >= 0).sum() < n_cases * n_keys  # some pairs have no row


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["县长", "发改局局长", "窗口"]), st.integers(0, 6),
                          st.sampled_from(["张三", "李四", "王五"]), st.integers(0, 99),
                          st.sampled_from(["decided", "complaint", "step_completed"]),
                          st.integers(-1, 1)),
                min_size=1, max_size=40))
def test_the_holders_of_leaders_posts_are_read_from_the_events_that_decide_them(
        seen: list[tuple[str, int, str, int, str, int]]) -> None:
    """The shared context made from the fewer events :func:`C._holder_rows` keeps names the same
    holder of every leader's post on every day as the one made from all the events (several
    actors in a post on a day, ids out of time order, complaints, offsets across midnight)."""
    from wenze.engine.case import CaseContext
    from wenze.events.readers import Event, EventType

    program = _shipped("zitong_2008.wz")
    start = dt.datetime(2024, 3, 1, 23, 30)
    events = [Event(f"e{number:02d}", f"c{i}", EventType(kind),
                    (start + dt.timedelta(days=day)).replace(
                        tzinfo=dt.timezone(dt.timedelta(hours=8 + shift))),
                    actor=actor, post=post)
              for i, (post, day, actor, number, kind, shift) in enumerate(seen)]
    cols = C.EventColumns.from_events(events)
    leaders = np.flatnonzero((cols.type != C.T["complaint"]) & (cols.actor >= 0)
                             & (cols.post >= 0))
    kept = C._holder_rows(cols, leaders)
    as_of = dt.date(2024, 12, 31)
    every = CaseContext(program, events, as_of)
    fewer = CaseContext(program, [events[i] for i in kept.tolist()], as_of)
    assert len(kept) <= len(leaders)
    for post in ("县长", "发改局局长"):
        for day in range(-1, 9):
            on = dt.date(2024, 3, 1) + dt.timedelta(days=day)
            assert fewer.holder(post, on) == every.holder(post, on), (post, on)
