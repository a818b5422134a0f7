"""Acceptance scenarios: the generic step library, in Chinese and English.

The legal-affairs office writes ``.feature`` files only; these steps are thin and call the public
API (``wenze.load``, ``Rulebook.evaluate``, ``wenze.dsl.loader.load_rulebook``). Every step exists
in both languages; ``docs/scenarios.md`` lists them. Tables compare as multisets on the columns the
author wrote, and a mismatch prints both tables side by side in the scenario's language.

Times in an events table without a UTC offset are China Standard Time (+08:00): a convention of
scenario writing only — the event readers themselves reject offset-less times.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from wenze.bdd.coverage import COVERAGE

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"

# table heading → field, for both languages
EVENT_COLUMNS = {
    "编号": "id", "id": "id", "案件": "case", "case": "case", "类型": "type", "type": "type",
    "时间": "at", "at": "at", "事项": "item", "item": "item", "人员": "actor", "actor": "actor",
    "岗位": "post", "post": "post", "单位": "unit", "unit": "unit", "环节": "step", "step": "step",
    "数据": "data", "data": "data",
}
DECISION_COLUMNS = {
    "案件": "case", "case": "case", "人员": "person", "person": "person", "岗位": "post",
    "post": "post", "单位": "unit", "unit": "unit", "违规": "violation",
    "violation": "violation", "处分": "sanction", "sanction": "sanction", "依据": "basis",
    "basis": "basis", "责任": "role", "role": "role", "环节": "subject", "对象": "subject",
    "subject": "subject", "责任方": "party", "party": "party", "责任程度": "degree",
    "degree": "degree", "缺失": "missing", "missing": "missing", "版本": "version",
    "version": "version", "理由": "reasons", "reasons": "reasons",
}
WARNING_COLUMNS = {
    "案件": "case", "case": "case", "环节": "step", "step": "step", "等级": "level",
    "level": "level", "人员": "person", "person": "person",
}
METRIC_COLUMNS = {
    "单位": "unit", "unit": "unit", "周期": "period", "period": "period", "指标": "metric",
    "metric": "metric", "值": "value", "value": "value",
}
PRIOR_COLUMNS = {"日期": "on", "date": "on", "处分": "sanction", "sanction": "sanction",
                 "单位": "unit", "unit": "unit"}
LEVELS = {"预警": "notice", "黄牌": "yellow", "红牌": "red"}
ROLES = {"直接责任人": "direct", "审核人": "reviewer", "批准人": "approver",
         "分管领导": "deputy_leader", "主要领导": "chief_leader"}
NONE = {"zh": "无", "en": "none"}
EXEMPT = {"zh": "免责", "en": "exempt"}


@dataclass
class Scenario:
    """What one scenario has said so far."""

    lang: str = "zh"
    rulebook_path: Path | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    prior: list[Any] = field(default_factory=list)
    result: Any = None
    diagnostics: list[Any] | None = None
    workdir: Path | None = None


@pytest.fixture
def scenario_state() -> Scenario:
    state = Scenario()
    yield state
    if state.workdir:
        shutil.rmtree(state.workdir, ignore_errors=True)


def set_language(request: pytest.FixtureRequest, feature: Any) -> None:
    """Called before each scenario (``features/conftest.py``): tables and messages follow the
    feature's language (``# language: zh-CN`` → Chinese labels, otherwise English)."""
    language = getattr(feature, "language", "en") or "en"
    request.getfixturevalue("scenario_state").lang = "zh" if language.startswith("zh") else "en"


# --------------------------------------------------------------------------- tables


# cells naming something the rulebook declares: `「建设工程规划许可」` is the rulebook's spelling of
# `建设工程规划许可` (in the rules language both are the same name), so the brackets are dropped
NAME_FIELDS = frozenset({"item", "post", "unit", "step", "violation", "sanction", "subject"})


def _cell(key: str, text: str) -> str:
    text = text.strip()
    if key in NAME_FIELDS and text.startswith("「") and text.endswith("」"):
        return text[1:-1].strip()
    return text


def _rows(datatable: list[list[str]], columns: dict[str, str]) -> list[dict[str, str]]:
    heading, *body = datatable
    unknown = [h for h in heading if h.strip() not in columns]
    if unknown:
        raise AssertionError(
            f"unknown column(s) {unknown}; known: {sorted(set(columns))} / 未知列 {unknown}"
        )
    keys = [columns[h.strip()] for h in heading]
    return [{k: _cell(k, cell) for k, cell in zip(keys, row, strict=True)} for row in body]


def _headings(datatable: list[list[str]], columns: dict[str, str]) -> dict[str, str]:
    """field → the column heading the author wrote (案件, 人员 … or case, person …)."""
    return {columns[h.strip()]: h.strip() for h in datatable[0] if h.strip() in columns}


def _render_table(rows: list[dict[str, str]], keys: list[str],
                  headings: dict[str, str] | None = None) -> str:
    from wenze.report.output import width as display_width

    names = {k: (headings or {}).get(k, k) for k in keys}
    widths = {k: max([display_width(names[k])] + [display_width(r.get(k, "")) for r in rows])
              for k in keys}

    def line(values: dict[str, str]) -> str:
        cells = [v + " " * (widths[k] - display_width(v)) for k, v in values.items()]
        return "| " + " | ".join(cells) + " |"

    out = [line({k: (headings or {}).get(k, k) for k in keys})]
    out += [line({k: r.get(k, "") for k in keys}) for r in rows]
    if not rows:
        zh = any(ord(ch) > 0x2E80 for name in names.values() for ch in name)
        out.append("（无）" if zh else "(none)")
    return "\n".join(out)


def _compare(expected: list[dict[str, str]], actual: list[dict[str, str]], what: tuple[str, str],
             lang: str, headings: dict[str, str] | None = None, context: str = "") -> None:
    """Rows compare as a multiset on the columns the author wrote. A mismatch fails the scenario
    with the expected and actual tables, then the missing and the unexpected rows, under the
    author's own column headings and in the scenario's language (no Python traceback)."""
    keys = list(expected[0].keys()) if expected else []

    def project(rows: list[dict[str, str]]) -> Counter:
        return Counter(tuple(r.get(k, "") for k in keys) for r in rows)

    def matches(exp: tuple, act: tuple) -> bool:
        for key, e, a in zip(keys, exp, act, strict=True):
            if key in ("basis", "reasons"):  # a part of the text suffices
                if e not in a:
                    return False
            elif e != a:
                return False
        return True

    remaining = list(project(actual).elements())
    missing = []
    for exp in project(expected).elements():
        hit = next((i for i, act in enumerate(remaining) if matches(exp, act)), None)
        if hit is None:
            missing.append(exp)
        else:
            remaining.pop(hit)
    if missing or remaining:
        title = what[0] if lang == "zh" else what[1]
        exp_h, act_h = ("期望", "实际") if lang == "zh" else ("expected", "actual")
        miss_h, extra_h = ("缺少", "多出") if lang == "zh" else ("missing", "unexpected")
        def as_rows(items: list[tuple]) -> list[dict[str, str]]:
            return [dict(zip(keys, t, strict=True)) for t in items]

        h = headings
        pytest.fail(
            f"{title}\n{exp_h}:\n{_render_table(expected, keys, h)}\n"
            f"{act_h}:\n{_render_table(as_rows(sorted(project(actual).elements())), keys, h)}\n"
            f"{miss_h}:\n{_render_table(as_rows(missing), keys, h)}\n"
            f"{extra_h}:\n{_render_table(as_rows(remaining), keys, h)}" + context,
            pytrace=False,
        )


def _rejected_note(state: Scenario) -> str:
    """The events the evaluation rejected: often why an expected decision is missing."""
    rejected = list(getattr(state.result, "rejected", ()) or ())
    if not rejected:
        return ""
    title = "拒收的事件" if state.lang == "zh" else "rejected events"
    lines = [f"  {r.event_id} [{r.code}] {r.message}" for r in rejected]
    return f"\n{title}:\n" + "\n".join(lines)


# --------------------------------------------------------------------------- givens


def _use_rulebook(state: Scenario, path: str) -> None:
    candidate = (ROOT / path) if not Path(path).is_absolute() else Path(path)
    if not candidate.exists():
        raise AssertionError(f"rulebook `{path}` not found / 找不到规则集 `{path}`")
    state.rulebook_path = candidate


@given(parsers.parse('规则集 "{path}"'))
def given_rulebook_zh(scenario_state: Scenario, path: str) -> None:
    _use_rulebook(scenario_state, path)


@given(parsers.parse('the rulebook "{path}"'))
def given_rulebook_en(scenario_state: Scenario, path: str) -> None:
    _use_rulebook(scenario_state, path)


def _inline_rulebook(state: Scenario, text: str) -> None:
    # next to copies of the shipped rulebooks, so that `继承 "statutory_base.wz"` resolves
    state.workdir = Path(tempfile.mkdtemp(prefix="wenze-scenario-"))
    for shipped in RULES.glob("*.wz"):
        shutil.copy(shipped, state.workdir / shipped.name)
    path = state.workdir / "scenario.wz"
    path.write_text(text, encoding="utf-8")
    state.rulebook_path = path


@given("规则集如下:")
def given_inline_zh(scenario_state: Scenario, docstring: str) -> None:
    _inline_rulebook(scenario_state, docstring)


@given("the rulebook:")
def given_inline_en(scenario_state: Scenario, docstring: str) -> None:
    _inline_rulebook(scenario_state, docstring)


def _event_rows(state: Scenario, datatable: list[list[str]]) -> None:
    for number, row in enumerate(_rows(datatable, EVENT_COLUMNS), start=1):
        event: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
        at = event.get("at", "")
        if at and len(at) <= 16:  # date or date + hh:mm without an offset: China Standard Time
            at = at if "T" in at or " " in at else at + "T09:00"
            event["at"] = at.replace(" ", "T") + ":00+08:00"
        if "data" in event:
            event["data"] = _data(event["data"])
        event.setdefault("id", f"{event.get('case', 'event')}-{len(state.events) + number}")
        state.events.append(event)


def _data(text: str) -> dict[str, Any]:
    text = text.strip()
    if text.startswith("{"):
        return json.loads(text)
    data: dict[str, Any] = {}
    for part in text.replace("；", ";").split(";"):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        value = value.strip()
        if key.strip() == "circumstances" or key.strip() == "情节":
            data["circumstances"] = [v.strip() for v in value.replace("、", ",").split(",") if v]
        elif value.lstrip("-").isdigit():
            data[key.strip()] = int(value)
        else:
            data[key.strip()] = value
    return data


@given("事件如下:")
def given_events_zh(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _event_rows(scenario_state, datatable)


@given("the events:")
def given_events_en(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _event_rows(scenario_state, datatable)


def _prior(state: Scenario, person: str, datatable: list[list[str]]) -> None:
    from wenze.engine.ladder import PriorSanction

    for row in _rows(datatable, PRIOR_COLUMNS):
        state.prior.append(PriorSanction(
            person=person, unit=row.get("unit") or None,
            on=dt.date.fromisoformat(row["on"]), sanction=row["sanction"], source="scenario",
        ))


@given(parsers.parse('"{person}" 此前受过处分:'))
def given_prior_zh(scenario_state: Scenario, person: str, datatable: list[list[str]]) -> None:
    _prior(scenario_state, person, datatable)


@given(parsers.parse('"{person}" was sanctioned before:'))
def given_prior_en(scenario_state: Scenario, person: str, datatable: list[list[str]]) -> None:
    _prior(scenario_state, person, datatable)


# --------------------------------------------------------------------------- whens


def _evaluate(state: Scenario, date: str) -> None:
    import wenze

    assert state.rulebook_path, "no rulebook given / 未指定规则集"
    rulebook = wenze.load(state.rulebook_path)
    state.result = rulebook.evaluate(state.events, as_of=dt.date.fromisoformat(date),
                                     prior_sanctions=state.prior)
    COVERAGE.record(state.rulebook_path, state.result)


@when(parsers.parse("评估日期为 {date}"))
def when_evaluated_zh(scenario_state: Scenario, date: str) -> None:
    _evaluate(scenario_state, date)


@when(parsers.parse("evaluated as of {date}"))
def when_evaluated_en(scenario_state: Scenario, date: str) -> None:
    _evaluate(scenario_state, date)


def _check(state: Scenario) -> None:
    from wenze.dsl.loader import load_rulebook

    assert state.rulebook_path, "no rulebook given / 未指定规则集"
    state.diagnostics = list(load_rulebook(state.rulebook_path).diagnostics)


@when("检查该规则集")
def when_checked_zh(scenario_state: Scenario) -> None:
    _check(scenario_state)


@when("the rulebook is checked")
def when_checked_en(scenario_state: Scenario) -> None:
    _check(scenario_state)


# --------------------------------------------------------------------------- thens


def _decision_rows(state: Scenario) -> list[dict[str, str]]:
    rows = []
    for decision in state.result.decisions:
        d = decision.to_json()
        ladder = d.get("ladder") or {}
        if d["sanction"]:
            sanction = d["sanction"]
        elif ladder.get("exempt_by"):
            sanction = EXEMPT[state.lang]
        else:
            sanction = NONE[state.lang]
        basis = " ".join(
            " ".join(str(b.get(k) or "") for k in ("document", "number", "clause"))
            for b in d["basis"]
        )
        role = d["role"]
        if state.lang == "zh":
            role = {v: k for k, v in ROLES.items()}.get(role, role)
        missing = d.get("party_missing") or {}
        rows.append({
            "case": d.get("case") or "", "person": d.get("person") or "",
            "post": d.get("post") or "", "unit": d.get("unit") or "",
            "violation": d["violation"], "sanction": sanction, "basis": basis, "role": role,
            "subject": d.get("subject") or "", "party": d["party"][state.lang],
            "degree": d["degree"][state.lang], "missing": missing.get(state.lang, ""),
            "version": d.get("version") or "",
            "reasons": " ".join(r[state.lang] for r in ladder.get("reasons", ())),
        })
    return rows


def _expect_decisions(state: Scenario, datatable: list[list[str]]) -> None:
    expected = _rows(datatable, DECISION_COLUMNS)
    _compare(expected, _decision_rows(state), ("问责决定不符", "decisions differ"), state.lang,
             _headings(datatable, DECISION_COLUMNS), _rejected_note(state))


@then("问责决定如下:")
def then_decisions_zh(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _expect_decisions(scenario_state, datatable)


@then("the decisions are:")
def then_decisions_en(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _expect_decisions(scenario_state, datatable)


def _same_everywhere(state: Scenario) -> None:
    """The columnar fast path and live mode (the events posted one by one, the clock advanced to
    the as-of date) give the reference's decisions, byte for byte."""
    import wenze
    from wenze.events.readers import read_jsonl
    from wenze.live.engine import replay

    assert state.result is not None, "not evaluated yet / 尚未评估"
    as_of = state.result.as_of
    rulebook = wenze.load(state.rulebook_path)  # type: ignore[arg-type]
    reference = [d.to_json() for d in state.result.decisions]
    columnar = rulebook.evaluate(state.events, as_of=as_of, prior_sanctions=state.prior,
                                 evaluator="columnar")
    lines = [json.dumps(e, ensure_ascii=False) for e in state.events]
    events = read_jsonl(lines, "<scenario>").events
    if events and not state.prior:
        live = [d.to_json() for d in replay(rulebook, events, as_of).decisions()]
    else:
        live = reference
    for name, other in (("columnar", [d.to_json() for d in columnar.decisions]), ("live", live)):
        if json.dumps(other, ensure_ascii=False, sort_keys=True) != json.dumps(
                reference, ensure_ascii=False, sort_keys=True):
            pytest.fail(f"{name} 与参考评估器的问责决定不同 / {name} decisions differ from the "
                        f"reference's:\n{json.dumps(other, ensure_ascii=False, indent=1)}",
                        pytrace=False)


@then("列式评估与实时模式的问责决定相同")
def then_same_everywhere_zh(scenario_state: Scenario) -> None:
    _same_everywhere(scenario_state)


@then("the columnar evaluator and live mode give the same decisions")
def then_same_everywhere_en(scenario_state: Scenario) -> None:
    _same_everywhere(scenario_state)


def _no_decision(state: Scenario, person: str | None) -> None:
    rows = [r for r in _decision_rows(state) if person is None or r["person"] == person]
    if rows:
        keys = ["case", "person", "violation", "sanction"]
        title = ("不应有问责决定" if state.lang == "zh" else "expected no decision") + (
            f" `{person}`" if person else "")
        headings = dict(zip(keys, ("案件", "人员", "违规", "处分"), strict=True)) if (
            state.lang == "zh") else None
        pytest.fail(f"{title}\n{_render_table(rows, keys, headings)}", pytrace=False)


@then(parsers.parse('"{person}" 没有问责决定'))
def then_no_decision_for_zh(scenario_state: Scenario, person: str) -> None:
    _no_decision(scenario_state, person)


@then(parsers.parse('there is no decision for "{person}"'))
def then_no_decision_for_en(scenario_state: Scenario, person: str) -> None:
    _no_decision(scenario_state, person)


@then("没有问责决定")
def then_no_decisions_zh(scenario_state: Scenario) -> None:
    _no_decision(scenario_state, None)


@then("there are no decisions")
def then_no_decisions_en(scenario_state: Scenario) -> None:
    _no_decision(scenario_state, None)


def _expect_warnings(state: Scenario, datatable: list[list[str]]) -> None:
    expected = _rows(datatable, WARNING_COLUMNS)
    for row in expected:
        if "level" in row:
            row["level"] = LEVELS.get(row["level"], row["level"])
    actual = []
    for warning in state.result.warnings:
        w = warning.to_json()
        actual.append({"case": w["case"], "step": w.get("step") or "", "level": w["level"],
                       "person": w.get("person") or ""})
    _compare(expected, actual, ("预警不符", "warnings differ"), state.lang,
             _headings(datatable, WARNING_COLUMNS), _rejected_note(state))


@then("预警如下:")
def then_warnings_zh(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _expect_warnings(scenario_state, datatable)


@then("the warnings are:")
def then_warnings_en(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _expect_warnings(scenario_state, datatable)


def _expect_metrics(state: Scenario, datatable: list[list[str]]) -> None:
    from wenze.dsl.facts import lookup

    expected = _rows(datatable, METRIC_COLUMNS)
    actual = []
    for metric in state.result.metrics:
        m = metric.to_json()
        for row in expected:
            fact = lookup(row["metric"])
            key = fact.key if fact else row["metric"]
            if key in m:
                value = m[key]
                shown = "" if value is None else (
                    f"{value:g}%" if row["value"].endswith("%") else f"{value:g}")
                actual.append({"unit": m["unit"], "period": m["period"],
                               "metric": row["metric"], "value": shown})
    wanted = {(r["unit"], r["period"], r["metric"]) for r in expected}
    actual = [a for a in actual if (a["unit"], a["period"], a["metric"]) in wanted]
    _compare(expected, list({tuple(a.items()): a for a in actual}.values()),
             ("指标不符", "metrics differ"), state.lang, _headings(datatable, METRIC_COLUMNS))


@then("指标如下:")
def then_metrics_zh(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _expect_metrics(scenario_state, datatable)


@then("the metrics are:")
def then_metrics_en(scenario_state: Scenario, datatable: list[list[str]]) -> None:
    _expect_metrics(scenario_state, datatable)


def _expect_error(state: Scenario, code: str, line: int) -> None:
    assert state.diagnostics is not None, "check the rulebook first / 请先检查规则集"
    found = [(d.code, d.span.line) for d in state.diagnostics]
    if (code, line) not in found:
        shown = "、".join(f"{c}@{n}" for c, n in found) or ("（无）" if state.lang == "zh"
                                                             else "(none)")
        pytest.fail(
            f"期望第 {line} 行报告 {code}，实际报告：{shown}" if state.lang == "zh"
            else f"expected {code} at line {line}, reported: {shown}",
            pytrace=False,
        )


@then(parsers.parse("报告错误 {code} 于第 {line:d} 行"))
def then_error_zh(scenario_state: Scenario, code: str, line: int) -> None:
    _expect_error(scenario_state, code, line)


@then(parsers.parse("error {code} is reported at line {line:d}"))
def then_error_en(scenario_state: Scenario, code: str, line: int) -> None:
    _expect_error(scenario_state, code, line)


@then("没有错误")
def then_clean_zh(scenario_state: Scenario) -> None:
    _expect_clean(scenario_state)


@then("there are no errors")
def then_clean_en(scenario_state: Scenario) -> None:
    _expect_clean(scenario_state)


def _expect_clean(state: Scenario) -> None:
    zh = state.lang == "zh"
    if state.diagnostics is not None:
        errors = [f"{d.code} 第 {d.span.line} 行 {d.message.zh}" if zh
                  else f"{d.code} line {d.span.line}: {d.message.en}"
                  for d in state.diagnostics if d.is_error]
        if errors:
            pytest.fail(("期望没有错误，实际：\n" if zh else "expected no errors, got:\n")
                        + "\n".join(errors), pytrace=False)
    if state.result is not None and getattr(state.result, "rejected", ()):
        pytest.fail(("期望没有错误，但有事件被拒收" if zh else "expected no errors, but events "
                     "were rejected") + _rejected_note(state), pytrace=False)
