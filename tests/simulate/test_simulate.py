"""Simulation: the seeded caseload generator, profiles, and ``wenze simulate`` (with --compare,
--events-out, --report, --evaluator)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import wenze
from tests.evaluator_spies import EvaluatorCalls, forbid_passes_over_every_decision
from wenze.cli import build_parser, main
from wenze.cli.simulate import Progress
from wenze.engine import evaluate as reference
from wenze.events import readers as E
from wenze.fast import columnar
from wenze.fast.evaluators import EVALUATOR_HELP, case_count, evaluator_for
from wenze.report.compare import (
    NO_SANCTION,
    SHOWN_DIFFERENCES,
    case_lines,
    differing_cases,
    summarize,
    violations_by_unit,
)
from wenze.simulate.caseload import (
    ProfileError,
    duration_days,
    generate,
    load_profile,
    to_jsonl,
)

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2024, 12, 31)

# Two items (one with a process: a step, a countersign by another unit, a step after both),
# an A/B pair (窗口 covers 首席代表), a deciding power, violations on every error the profile makes.
BASE = """规则集 「模拟县」 { 版本 "sim" 生效 2020-01-01 }
文件 「行政许可法」 {
  文号 "中华人民共和国主席令第29号"
  标题 "中华人民共和国行政许可法（2019年修正）"
}
日历 「法定工作日」 { 基于 法定工作日 }
职权 「审批决定权」 { 说明 "作出审批决定" }
职权 「延期批准权」 { 说明 "批准延期" }
单位 「审批科」 { 主要领导 「局长」 分管领导 「副局长」 }
单位 「建设科」 { 主要领导 「局长」 分管领导 「副局长」 }
岗位 「局长」 { 属于 「审批科」 拥有 「审批决定权」、「延期批准权」 }
岗位 「副局长」 { 属于 「审批科」 }
岗位 「首席代表」 { 属于 「审批科」 拥有 「审批决定权」 }
岗位 「窗口」 { 属于 「审批科」 代理 「首席代表」 }
岗位 「建设窗口」 { 属于 「建设科」 }
事项 「许可」 依据 「行政许可法」 "第四十二条" {
  单位 「审批科」
  日历 「法定工作日」
  法定时限 20 工作日
  承诺时限 12 工作日
  延期 10 工作日 批准 「延期批准权」
  补正告知 5 工作日 一次性
  中止计时 「专家评审」、「检验」
  预警 提前 2 工作日
  黄牌 逾期
  红牌 逾期 3 工作日
}
事项 「施工许可」 依据 「行政许可法」 "第四十二条" {
  单位 「建设科」
  日历 「法定工作日」
  法定时限 20 工作日
  承诺时限 15 工作日
}
流程 「联合审批」 {
  总时限 20 工作日
  环节 「初审」 { 单位 「审批科」 时限 3 工作日 }
  会签 「联合会签」 { 单位 「建设科」 回复时限 7 工作日 沉默 视为同意 前置 「初审」 }
  环节 「审批」 { 单位 「审批科」 时限 3 工作日 前置 「初审」、「联合会签」 }
}
事项 「联合许可」 依据 「行政许可法」 "第四十二条" {
  单位 「审批科」
  日历 「法定工作日」
  流程 「联合审批」
  法定时限 20 工作日
  承诺时限 15 工作日
}
阶梯 「效能问责」 {
  计次期间 滚动 12 个月
  等级 「效能告诫」、「通报批评」、「诫勉谈话」
  第 1 次 「效能告诫」
  第 2 次 「通报批评」
  第3次及以上 「诫勉谈话」
}
违规 「超过承诺时限」 依据 「行政许可法」 "第四十二条" {
  针对 案件 当 「超承诺天数」 > 0 责任 直接责任人 阶梯 「效能问责」
}
违规 「超过法定时限」 依据 「行政许可法」 "第四十二条" {
  针对 案件 当 「超法定天数」 > 0 责任 直接责任人、分管领导 阶梯 「效能问责」
}
违规 「决定越权」 依据 「行政许可法」 "第七十四条" {
  针对 案件 当 「决定越权」 责任 直接责任人 阶梯 「效能问责」
}
违规 「A岗在岗代理」 依据 「行政许可法」 "第七十四条" {
  针对 案件 当 「A岗在岗代理」 责任 直接责任人 阶梯 「效能问责」
}
违规 「环节超时」 依据 「行政许可法」 "第七十四条" {
  针对 环节 当 「环节超时天数」 > 0 责任 直接责任人 阶梯 「效能问责」
}
违规 「前置未完成即开始」 依据 「行政许可法」 "第七十四条" {
  针对 环节 当 「前置未完成即开始」 责任 直接责任人 阶梯 「效能问责」
}
违规 「会签未回复」 依据 「行政许可法」 "第七十四条" {
  针对 会签 当 「会签未回复」 责任 直接责任人 阶梯 「效能问责」
}
"""

# The same rulebook with the promised limit of 「许可」 cut from 12 to 8 working days.
SHORTER = """规则集 「模拟县（承诺缩短）」 { 继承 "base.wz" }
覆盖 事项 「许可」 依据 「行政许可法」 "第四十二条" {
  单位 「审批科」
  日历 「法定工作日」
  法定时限 20 工作日
  承诺时限 8 工作日
  延期 10 工作日 批准 「延期批准权」
  补正告知 5 工作日 一次性
  中止计时 「专家评审」、「检验」
  预警 提前 2 工作日
  黄牌 逾期
  红牌 逾期 3 工作日
}
"""


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("sim")
    (d / "base.wz").write_text(BASE, encoding="utf-8")
    (d / "short.wz").write_text(SHORTER, encoding="utf-8")
    return d / "base.wz", d / "short.wz"


@pytest.fixture(scope="module")
def program(books: tuple[Path, Path]):
    return wenze.load(books[0]).program


def test_same_seed_same_caseload_other_seed_another(program) -> None:
    a = to_jsonl(generate(program, None, 300, seed=5))
    b = to_jsonl(generate(program, None, 300, seed=5))
    c = to_jsonl(generate(program, None, 300, seed=6))
    assert a == b
    assert a != c
    assert len(a.splitlines()) > 300 * 3  # received, accepted, decided at least


def test_same_seed_same_bytes_across_processes(books: tuple[Path, Path], tmp_path: Path) -> None:
    """Nothing depends on set or hash order: two interpreters with different hash seeds write
    byte-identical caseloads."""
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"ev{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "wenze", "simulate", str(books[0]), "--cases",
                        "150", "--seed", "9", "--events-out", str(out)], check=True, env=env,
                       cwd=ROOT, capture_output=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0]


def test_generated_events_all_accepted(program) -> None:
    events = generate(program, None, 1500, seed=1)
    text = to_jsonl(events)
    batch = E.read_jsonl(text.splitlines(), "<sim>")
    assert batch.rejected == [] and batch.duplicates == 0
    assert len(batch.events) == len(events)
    steps = {s for p in program.processes.values() for s in p.steps}
    kept, rejected = E.validate_against(batch.events, set(program.items), steps,
                                        set(program.posts))
    assert rejected == [] and len(kept) == len(events)
    from wenze.engine.evaluate import evaluate

    result = evaluate(program, batch.events, AS_OF)
    assert result.rejected == () and result.unjudged == ()
    # every kind of event the profile makes is present in a caseload this size
    kinds = Counter(e.type for e in events)
    for t in ("received", "accepted", "decided", "corrections_requested", "suspended",
              "resumed", "step_started", "step_completed", "countersign_requested",
              "countersign_replied", "absent", "returned"):
        assert kinds[E.EventType(t)] > 0, t


@pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.wz")), ids=lambda p: p.name)
def test_shipped_rulebooks_accept_their_caseload(path: Path) -> None:
    book = wenze.load(path)
    result = book.evaluate(generate(book.program, None, 200, seed=2), AS_OF)
    assert result.rejected == () and result.unjudged == ()
    assert result.cases == 200


def test_profile_file_overrides_the_default(program, tmp_path: Path) -> None:
    f = tmp_path / "spot.json"
    f.write_text(json.dumps({
        "name": "全部现场办结",
        "items": {"default": {"on_the_spot": 1.0}, "联合许可": {"weight": 0.0}},
        "corrections": {"rate": 0.0},
        "decision": {"unauthorized": 0.0},
        "absences": {"per_post_per_year": 0},
    }, ensure_ascii=False), encoding="utf-8")
    profile = load_profile(f)
    assert profile.name == "全部现场办结"
    assert profile["cases_per_year"] == load_profile()["cases_per_year"]  # kept from default
    events = generate(program, profile, 400, seed=3)
    assert {e.item for e in events} == {"许可", "施工许可"}  # weight 0 → never drawn
    assert set(duration_days(program, events).values()) == {0}  # all on the spot
    assert not any(e.type in (E.EventType.CORRECTIONS_REQUESTED, E.EventType.ABSENT)
                   for e in events)
    from wenze.engine.evaluate import evaluate

    assert evaluate(program, events, AS_OF).decisions == ()


def test_profile_toml_and_errors(tmp_path: Path) -> None:
    t = tmp_path / "p.toml"
    t.write_text('cases_per_year = 1000\n[suspension]\nrate = 0.5\n', encoding="utf-8")
    p = load_profile(t)
    assert p["cases_per_year"] == 1000 and p["suspension.rate"] == 0.5
    assert p["suspension.median_days"] == load_profile()["suspension.median_days"]
    for bad, word in (({"suspension": {"rat": 0.1}}, "suspension.rat"),
                      ({"suspension": {"rate": 1.5}}, "suspension.rate"),
                      ({"staff": {"officials_per_post": "six"}}, "officials_per_post"),
                      ({"period": {"start": "2024-13-01"}}, "period")):
        f = tmp_path / "bad.json"
        f.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(ProfileError, match=re.escape(word)):
            load_profile(f)


def test_correction_rates_drive_second_notices(program, tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"corrections": {"rate": 1.0, "second_notice": 1.0,
                                             "late_notice": 0.0}}), encoding="utf-8")
    events = generate(program, load_profile(f), 100, seed=4)
    # only 「许可」 declares a correction window (补正告知 5 工作日 一次性)
    with_window = {e.case for e in events if e.item == "许可"}
    notices = Counter(e.case for e in events if e.type is E.EventType.CORRECTIONS_REQUESTED)
    assert with_window and set(notices) == with_window
    assert all(notices[c] == 2 for c in with_window)


def _simulate(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main(["simulate", *(str(a) for a in argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_metrics(books: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _simulate(capsys, books[0], "--cases", 200, "--seed", 1, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    s = doc["summary"]
    assert doc["cases"] == 200 and s["rejected"] == 0 and s["unjudged"] == 0
    assert sum(u["received"] for u in s["units"]) == 200
    assert {u["unit"] for u in s["units"]} == {"审批科", "建设科"}
    for u in s["units"]:
        assert u["on_time_rate"] == round(100 * u["on_time"] / u["decided"], 2)
    assert sum(s["sanctions"].values()) == s["decisions"]
    assert sum(v["count"] for v in s["violations"]) == sum(s["violations_total"].values())
    code, table, _ = _simulate(capsys, books[0], "--cases", 200, "--seed", 1)
    assert code == 0 and "按时办结率" in table and "审批科" in table


def test_cli_compare_shorter_promise(books: tuple[Path, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "out.html"
    slow = tmp_path / "slow.json"  # fewer cases on the spot: lateness in a 400-case run
    slow.write_text('{"items": {"default": {"on_the_spot": 0.3}}}', encoding="utf-8")
    code, out, err = _simulate(capsys, books[0], "--cases", 400, "--seed", 2, "--compare",
                               books[1], "--format", "json", "--report", report,
                               "--profile", slow)
    assert code == 0, err
    doc = json.loads(out)
    cmp_ = {r["name"]: r for r in doc["comparison"]["violations"]}
    late = cmp_["超过承诺时限"]
    assert late["b"] >= late["a"] and late["b_minus_a"] == late["b"] - late["a"]
    assert late["b"] > late["a"]  # 8 instead of 12 days: some case is late only under B
    assert cmp_["超过法定时限"]["b_minus_a"] == 0  # the statutory limit did not change
    assert doc["comparison"]["differing_cases"] >= len(doc["comparison"]["shown"]) > 0
    assert len(doc["comparison"]["shown"]) <= 20
    for row in doc["comparison"]["shown"]:
        assert row["a"] != row["b"]
    levels = {r["name"]: r for r in doc["comparison"]["sanctions"]}
    assert sum(r["b"] for r in levels.values()) == doc["summary_b"]["decisions"]
    # case by case: every case late on the promise under A is late under B too
    a_book, b_book = wenze.load(books[0]), wenze.load(books[1])
    events = generate(a_book.program, load_profile(slow), 400, seed=2)
    late_a = {d.case for d in a_book.evaluate(events, AS_OF).decisions
              if d.violation == "超过承诺时限"}
    late_b = {d.case for d in b_book.evaluate(events, AS_OF).decisions
              if d.violation == "超过承诺时限"}
    assert late_a <= late_b and len(late_b) == late["b"]
    html = report.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "超过承诺时限" in html and "<html" in html


def test_cli_bad_profile_and_rulebook(books: tuple[Path, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"nope": 1}', encoding="utf-8")
    code, _, err = _simulate(capsys, books[0], "--cases", 5, "--profile", bad)
    assert code == 2 and "nope" in err
    broken = tmp_path / "broken.wz"
    broken.write_text("规则集 「坏」 {\n 事项 「x」 {\n", encoding="utf-8")
    code, _, err = _simulate(capsys, broken, "--cases", 5)
    assert code == 1
    code, _, err = _simulate(capsys, tmp_path / "missing.wz", "--cases", 5)
    assert code == 2


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    quiet = io.StringIO()
    p = Progress(10, quiet)
    p.stage("生成")
    p.update(10)
    p.close()
    assert quiet.getvalue() == ""
    tty = _Tty()
    p = Progress(10, tty)
    p.stage("生成")
    p.update(10, force=True)
    assert "100%" in tty.getvalue() and "#" * 30 in tty.getvalue()


def test_events_out_evaluates_to_the_same_decisions(books: tuple[Path, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The saved caseload, read back as a file, gives the decisions of the in-memory run."""
    out = tmp_path / "ev.jsonl"
    code, _, err = _simulate(capsys, books[0], "--cases", 300, "--seed", 8, "--events-out", out)
    assert code == 0, err
    book = wenze.load(books[0])
    from_file = book.evaluate(out, AS_OF)
    in_memory = book.evaluate(generate(book.program, None, 300, seed=8), AS_OF)
    assert from_file.rejected == () and from_file.decisions
    assert wenze.to_json(from_file) == wenze.to_json(in_memory)


# --------------------------------------------------------------------------- --evaluator
# The evaluator asked for is the one that judges the caseload (both rulebooks under --compare),
# and the report is the same, byte for byte, whichever judges it.


def _simulate_with(capsys: pytest.CaptureFixture[str], books: tuple[Path, Path],
                   evaluator: str | None, fmt: str = "json") -> str:
    argv = ["simulate", str(books[0]), "--cases", "300", "--seed", "3", "--compare",
            str(books[1]), "--format", fmt]
    if evaluator:
        argv += ["--evaluator", evaluator]
    assert main(argv) == 0
    out, _err = capsys.readouterr()
    return out


def test_each_evaluator_judges_both_rulebooks_and_reports_the_same(
    books: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = EvaluatorCalls(monkeypatch)
    by_reference = _simulate_with(capsys, books, "reference")
    assert len(calls.reference) == 2 and calls.columnar == []  # A and B
    by_columnar = _simulate_with(capsys, books, "columnar")
    assert len(calls.columnar) == 2  # A and B, by the columnar path
    assert calls.columnar[0][0] is not calls.columnar[1][0]  # two programs
    assert by_columnar == by_reference  # the same JSON document, byte for byte
    doc = json.loads(by_columnar)
    assert doc["summary"]["decisions"] > 0 and doc["comparison"]["differing_cases"] > 0
    table = [_simulate_with(capsys, books, e, "table") for e in ("reference", "columnar")]
    assert table[0] == table[1]


def test_auto_takes_the_columnar_path_from_the_threshold_on(
    books: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = EvaluatorCalls(monkeypatch)
    below = _simulate_with(capsys, books, None)  # auto is the default; 300 cases < 20,000
    assert calls.columnar == [] and len(calls.reference) == 2
    monkeypatch.setattr(columnar, "AUTO_MIN_CASES", 300)
    at = _simulate_with(capsys, books, "auto")
    assert len(calls.columnar) == 2
    assert at == below


def test_evaluator_for_counts_cases_and_refuses_unknown_names() -> None:
    class Ev:
        def __init__(self, case: str):
            self.case = case

    events = [Ev("A"), Ev("A"), Ev(""), Ev("B")]
    assert case_count(events) == 2
    assert evaluator_for("columnar", events) == ("columnar", columnar.evaluate_columnar)
    assert evaluator_for("reference", events) == ("reference", reference.evaluate)
    assert evaluator_for("auto", events)[0] == "reference"
    with pytest.raises(ValueError, match="auto, reference or columnar"):
        evaluator_for("fast", events)


def test_the_option_is_the_same_on_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert f"{columnar.AUTO_MIN_CASES:,} cases" in EVALUATOR_HELP
    parser = build_parser()
    for command in ("evaluate", "simulate"):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "--evaluator {auto,reference,columnar}" in text
        assert " ".join(EVALUATOR_HELP.split()) in text


# --------------------------------------------------------------------------- the report's sums
# The report reads the decisions' columns where they suffice (a columnar result makes each
# decision when read, ~160 µs); the plain computation over every decision says the same.

# The promised limit of 「许可」 cut and a first offence sanctioned harder: against BASE, cases
# with more decisions, and cases with as many decisions but other sanctions.
STRICTER = SHORTER + """覆盖 阶梯 「效能问责」 {
  计次期间 滚动 12 个月
  等级 「效能告诫」、「通报批评」、「诫勉谈话」
  第 1 次 「通报批评」
  第2次及以上 「诫勉谈话」
}
"""
# Many late cases and steps and few officials: several decisions in a case (steps, leaders),
# and ladders that escalate.
ERRING = {"items": {"default": {"median_fraction": 0.9, "sigma": 0.8}},
          "steps": {"median_fraction": 0.9, "sigma": 0.8, "early_start": 0.1},
          "decision": {"unauthorized": 0.05}, "staff": {"officials_per_post": 3}}


@pytest.fixture(scope="module")
def judged(books: tuple[Path, Path]) -> dict[str, tuple[Any, Any]]:
    """BASE (A) and STRICTER (B) on one erring caseload of 300 cases, by each evaluator;
    ``plain``: the columnar results' decisions, made one by one."""
    d = books[0].parent
    (d / "stricter.wz").write_text(STRICTER, encoding="utf-8")
    (d / "erring.json").write_text(json.dumps(ERRING), encoding="utf-8")
    a, b = wenze.load(books[0]).program, wenze.load(d / "stricter.wz").program
    profile = load_profile(d / "erring.json")
    events = generate(a, profile, 300, seed=3)
    out = {"reference": tuple(reference.evaluate(p, events, profile.as_of) for p in (a, b)),
           "columnar": tuple(columnar.evaluate_columnar(p, events, profile.as_of)
                             for p in (a, b))}
    out["plain"] = tuple(tuple(r.decisions) for r in out["columnar"])
    return out


def _violations_over_every_decision(decisions: Sequence[Any]) -> Counter[tuple[str, str]]:
    seen: dict[tuple[str, str, str], tuple[bool, str]] = {}
    for d in decisions:
        key = (d.violation, d.case or "", d.subject or "")
        direct = d.role.value == "direct"
        if key not in seen or (direct and not seen[key][0]):
            seen[key] = (direct, d.unit or "（未知单位）")
    return Counter((v, unit) for (v, _c, _s), (_d, unit) in seen.items())


def _differing_over_every_decision(a: Sequence[Any], b: Sequence[Any], shown: int
                                   ) -> tuple[int, list[dict[str, Any]]]:
    da, db = case_lines(a), case_lines(b)
    differing = sorted(c for c in set(da) | set(db) if da.get(c, []) != db.get(c, []))
    return len(differing), [{"case": c, "a": da.get(c, []), "b": db.get(c, [])}
                            for c in differing[:shown]]


def test_violations_and_sanctions_are_those_of_every_decision(
        judged: dict[str, tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    assert judged["plain"] == tuple(r.decisions for r in judged["reference"])
    # what the summaries must get right: a kind and case with one decision, and with several
    # (other subjects, other roles: the leaders of a late case)
    for plain in judged["plain"]:
        groups: dict[tuple[str, str | None], list[Any]] = {}
        for d in plain:
            groups.setdefault((d.violation, d.case), []).append(d)
        assert any(len(g) == 1 for g in groups.values())
        assert any(len({d.subject for d in g}) > 1 for g in groups.values())
        assert any(len({d.role for d in g}) > 1 for g in groups.values())
    forbid_passes_over_every_decision(monkeypatch)
    for evaluator in ("reference", "columnar"):
        for result, plain in zip(judged[evaluator], judged["plain"], strict=True):
            assert violations_by_unit(result.decisions) == _violations_over_every_decision(plain)
            sanctions = Counter(d.sanction or NO_SANCTION for d in plain)
            assert summarize(result)["sanctions"] == dict(sorted(sanctions.items()))


def test_differing_cases_are_those_of_every_decision(
        judged: dict[str, tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    plain_a, plain_b = judged["plain"]
    count_a, count_b = Counter(d.case for d in plain_a), Counter(d.case for d in plain_b)
    lines_a, lines_b = case_lines(plain_a), case_lines(plain_b)
    alike = {c for c in count_a if count_b.get(c) == count_a[c]}
    # cases with another number of decisions; with as many, differing and not
    assert set(count_a) ^ set(count_b) or any(count_a[c] != count_b[c] for c in count_a)
    assert {lines_a[c] == lines_b[c] for c in alike} == {True, False}
    assert _differing_over_every_decision(plain_a, plain_b, 0)[0] > 5  # more than shown below
    forbid_passes_over_every_decision(monkeypatch)
    for shown in (0, 5, SHOWN_DIFFERENCES):
        want = _differing_over_every_decision(plain_a, plain_b, shown)
        for evaluator in ("reference", "columnar"):
            a, b = judged[evaluator]
            assert differing_cases(a.decisions, b.decisions, shown) == want
