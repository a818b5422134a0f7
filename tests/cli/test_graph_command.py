"""The ``wenze graph`` command, run in-process through ``wenze.cli.main``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wenze.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "rules" / "statutory_base.wz"

TWO_PROCESSES = """
规则集 「两个流程」 { 版本 "1" }
单位 「审批局」 { }
事项 「建设许可」 { 单位 「审批局」 流程 「建设审批」 法定时限 20 工作日 }
流程 「建设审批」 {
  总时限 20 工作日
  环节 「受理」 { 单位 「审批局」 时限 2 工作日 }
  环节 「审查」 { 单位 「审批局」 时限 5 工作日 前置 「受理」 }
}
流程 「投资核准」 {
  环节 「选址」 { 单位 「审批局」 时限 20 工作日 }
}
"""


@pytest.fixture
def rulebook(tmp_path: Path) -> Path:
    path = tmp_path / "two.wz"
    path.write_text(TWO_PROCESSES, encoding="utf-8")
    return path


@pytest.fixture
def events(tmp_path: Path) -> Path:
    rows = [
        ("e1", "step_started", "2024-03-04", "受理"),
        ("e2", "step_completed", "2024-03-06", "受理"),
        ("e3", "step_started", "2024-03-06", "审查"),
    ]
    path = tmp_path / "events.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": i,
                    "case": "CASE-2024-001",
                    "type": t,
                    "at": f"{d}T10:00:00+08:00",
                    "item": "建设许可",
                    "post": "承办岗",
                    "step": s,
                },
                ensure_ascii=False,
            )
            + "\n"
            for i, t, d, s in rows
        ),
        encoding="utf-8",
    )
    return path


def test_single_process_rulebook_needs_no_process_option(tmp_path: Path) -> None:
    out = tmp_path / "base.svg"
    assert main(["graph", str(BASE), "-o", str(out)]) == 0
    root = ET.fromstring(out.read_bytes())
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "投资项目核准" in texts and "关键路径 42 工作日" in texts


def test_overview(tmp_path: Path) -> None:
    out = tmp_path / "o.dot"
    assert main(["graph", str(BASE), "--overview", "-o", str(out)]) == 0
    assert "阶梯「效能问责」" in out.read_text(encoding="utf-8")


def test_several_processes_without_process_lists_them(
    rulebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", str(rulebook), "-o", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert "2 processes" in err and "`建设审批`" in err and "`投资核准`" in err
    assert not (tmp_path / "x.svg").exists()


def test_unknown_process_suggests(
    rulebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["graph", str(rulebook), "--process", "建设审", "-o", str(tmp_path / "x.svg")])
    assert code == 2
    assert "did you mean `建设审批`" in capsys.readouterr().err


def test_case_overlay_infers_the_process_from_the_item(
    rulebook: Path, events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "case.dot"
    args = ["graph", str(rulebook), "--case", "CASE-2024-001", "--events", str(events)]
    assert main([*args, "--as-of", "2024-03-14", "-o", str(out)]) == 0
    dot = out.read_text(encoding="utf-8")
    # 审查 started Wed 6 March, running on Thu 14: 6 working days of 5. The item declares no
    # warning rule, so the engine gives no card: the step is shown overdue, 承办岗 responsible.
    assert "流程「建设审批」" in dot
    node = next(line for line in dot.splitlines() if "实际/允许 6/5 工作日" in line)
    assert "办理中 · 已超时" in node and "责任岗位 承办岗" in node and "黄牌" not in node


def test_unknown_case_suggests(
    rulebook: Path, events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["graph", str(rulebook), "--case", "CASE-2024-01", "--events", str(events)]
    assert main([*args, "--as-of", "2024-03-14", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "no events of case `CASE-2024-01`" in err and "`CASE-2024-001`" in err


def test_case_needs_events_and_as_of(
    rulebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", str(rulebook), "--case", "X", "-o", str(tmp_path / "x.png")]) == 2
    assert "--events and --as-of" in capsys.readouterr().err


def test_bad_output_suffix_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", str(BASE), "-o", str(tmp_path / "x.jpeg")]) == 2
    assert main(["graph", str(tmp_path / "none.wz"), "-o", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert ".svg" in err and "cannot read" in err


def test_rulebook_with_errors_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.wz"
    text = '规则集 「坏」 { 版本 "1" }\n流程 「甲」 { 环节 A { 时限 } }\n'
    bad.write_text(text, encoding="utf-8")
    assert main(["graph", str(bad), "-o", str(tmp_path / "x.svg")]) == 1
    assert "bad.wz:2" in capsys.readouterr().err


def test_cycle_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cycle.wz"
    path.write_text(
        '规则集 「环」 { 版本 "1" }\n流程 「甲」 { 环节 A { 前置 B }  环节 B { 前置 A } }\n',
        encoding="utf-8",
    )
    code = main(["graph", str(path), "-o", str(tmp_path / "x.svg")])
    err = capsys.readouterr().err
    # The checks (helper A) may report the cycle first (exit 1 with a diagnostic); if they do
    # not, the renderer does (exit 1, every edge named).
    assert code == 1
    assert "A" in err and "B" in err


RECEIPT = Path("/work/shared/data/receipt.csv")


@pytest.mark.skipif(not RECEIPT.exists(), reason="the real WABO receipt log is not here")
def test_case_overlay_from_the_real_receipt_log(tmp_path: Path) -> None:
    out = tmp_path / "case.dot"
    code = main(
        [
            "graph",
            str(ROOT / "rules" / "receipt_wabo.wz"),
            "--case",
            "case-10011",
            "--events",
            str(RECEIPT),
            "--mapping",
            "receipt",
            "--as-of",
            "2012-12-31",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    dot = out.read_text(encoding="utf-8")
    # The case completed its first step: at least one node is coloured by a state (the legend
    # uses BGCOLOR cells, nodes use fillcolor).
    coloured = [line for line in dot.splitlines() if "fillcolor=" in line and "实际/允许" in line]
    assert coloured and "Confirmation of receipt" in dot


# An item with its own warning rules, unlike the fixed thresholds (预警 1 day before, 黄牌 when
# overdue, 红牌 3 days overdue) the overlay used to apply.
OWN_WARNINGS = """
规则集 「自定预警」 { 版本 "1" }
文件 「法」 { 文号 "测〔2024〕1号" }
单位 「审批局」 依据 「法」 "1" { 主要领导 「局长」 }
岗位 「局长」 依据 「法」 "1" { 属于 「审批局」 }
岗位 「承办岗」 依据 「法」 "1" { 属于 「审批局」 }
事项 「建设许可」 依据 「法」 "2" {
  单位 「审批局」
  流程 「建设审批」
  法定时限 40 工作日
  预警 提前 3 工作日
  黄牌 达到 80%
  红牌 逾期 1 工作日
}
流程 「建设审批」 依据 「法」 "3" {
  总时限 40 工作日
  环节 「受理」 { 单位 「审批局」 时限 2 工作日 }
  环节 「审查」 { 单位 「审批局」 时限 10 工作日 前置 「受理」 }
  环节 「勘验」 { 单位 「审批局」 时限 10 工作日 前置 「受理」 }
}
"""


@pytest.mark.parametrize("as_of", ["2024-03-11", "2024-03-15", "2024-03-19", "2024-03-21",
                                   "2024-03-22", "2024-03-26"])
def test_overlay_colours_agree_with_the_engine_warnings(
    tmp_path: Path, as_of: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rulebook = tmp_path / "own.wz"
    rulebook.write_text(OWN_WARNINGS, encoding="utf-8")
    rows = [("e0", "accepted", "2024-03-04", None),
            ("e1", "step_started", "2024-03-04", "受理"),
            ("e2", "step_completed", "2024-03-05", "受理"),
            ("e3", "step_started", "2024-03-06", "审查"),
            ("e4", "step_started", "2024-03-08", "勘验")]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(
        {"id": i, "case": "C1", "type": t, "at": f"{d}T10:00:00+08:00", "item": "建设许可",
         "post": "承办岗", "actor": "张三", "step": step}, ensure_ascii=False) + "\n"
        for i, t, d, step in rows), encoding="utf-8")
    assert main(["evaluate", str(rulebook), str(events), "--as-of", as_of, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    engine = {w["step"]: w["level_zh"] for w in report["warnings"] if w["step"]}
    out = tmp_path / "case.dot"
    args = ["graph", str(rulebook), "--case", "C1", "--events", str(events), "--as-of", as_of]
    assert main([*args, "-o", str(out)]) == 0
    dot = out.read_text(encoding="utf-8")
    for step in ("审查", "勘验"):
        node = next(line for line in dot.splitlines()
                    if f'label="{step}\\n' in line and "实际/允许" in line)
        shown = {level for level in ("预警", "黄牌", "红牌") if f"办理中 · {level}" in node}
        assert shown == ({engine[step]} if step in engine else set()), (as_of, step, node)
        used, allowed = (int(x) for x in node.split("实际/允许 ")[1].split(" ")[0].split("/"))
        assert ("peripheries=2" in node) == (used > allowed), node  # double border: overdue
        if shown & {"黄牌", "红牌"}:
            assert "责任岗位 承办岗 · 责任人 张三" in node


def test_overlay_marks_whom_the_engine_holds_to_account(tmp_path: Path) -> None:
    # ZT-2024-201 of the shipped caseload: 林涛 started 用地预审 before 统一受理 was complete
    # (done on time, yet a decision), and 县环境保护局 never answered the 集中会签.
    out = tmp_path / "zt.dot"
    args = ["graph", str(ROOT / "rules" / "zitong_2008.wz"), "--case", "ZT-2024-201",
            "--events", str(ROOT / "examples" / "caseload.jsonl"), "--as-of", "2024-06-30"]
    assert main([*args, "-o", str(out)]) == 0
    dot = out.read_text(encoding="utf-8")
    land = next(line for line in dot.splitlines() if 'label="用地预审\\n' in line)
    assert "按时办结" in land and "问责 林涛（前置环节未完成即开始）" in land
    sign = next(line for line in dot.splitlines() if 'label="会签「集中会签」' in line)
    assert "责任单位 县环境保护局" in sign and "问责 县环境保护局（会签逾期未回复）" in sign
    assert "peripheries=2" in sign and "peripheries=2" not in land


def test_unknown_case_suggests_the_same_number_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the shipped caseload has ZT-2024-010, ZT-2024-L10 and ZT-2024-110: a clerk who types
    # ZT-2024-10 means the first
    args = ["graph", str(ROOT / "rules" / "zitong_2008.wz"), "--case", "ZT-2024-10",
            "--events", str(ROOT / "examples" / "caseload.jsonl"), "--as-of", "2024-06-30"]
    assert main([*args, "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "did you mean `ZT-2024-010`" in err
    assert "cases there: `ZT-2024-001`" in err  # staff events without a case are not listed


def test_overlay_counts_staff_events_of_no_case(tmp_path: Path) -> None:
    # ZT-2024-201 with 规划选址 completed by the B post while the 首席代表 was recorded absent
    # (离岗/返岗 are staff events of no case): covering is lawful, nobody is held to account
    # for the step, as `wenze evaluate` decides from the whole file.
    rows = [json.loads(line) for line in
            (ROOT / "examples" / "caseload.jsonl").read_text(encoding="utf-8").splitlines()]
    case = [r for r in rows if r.get("case") == "ZT-2024-201"]
    for r in case:
        if r["id"] == "ev-0296":  # 规划选址 completed
            r["post"], r["actor"] = "建设局首席代表B岗", "李代办"
    staff = [
        {"id": "s1", "case": "", "type": "absent", "at": "2024-04-12T08:00:00+08:00",
         "actor": "高远", "post": "建设局首席代表"},
        {"id": "s2", "case": "", "type": "returned", "at": "2024-04-17T08:00:00+08:00",
         "actor": "高远", "post": "建设局首席代表"},
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in staff + case),
                      encoding="utf-8")
    out = tmp_path / "zt.dot"
    args = ["graph", str(ROOT / "rules" / "zitong_2008.wz"), "--case", "ZT-2024-201",
            "--events", str(events), "--as-of", "2024-06-30"]
    assert main([*args, "-o", str(out)]) == 0
    dot = out.read_text(encoding="utf-8")
    plan = next(line for line in dot.splitlines() if 'label="规划选址\\n' in line)
    assert "按时办结" in plan and "问责" not in plan
    # under the title: the case, its day, whom the engine holds to account for the whole case
    title = next(line for line in dot.splitlines() if "流程「重大项目并联审批」" in line)
    assert "案件 ZT-2024-201（截至 2024-06-30）" in title
    assert "本案问责：" in title and "胡斌（超过法定时限）" in title
    assert "李代办" not in dot  # A was absent: no A岗在岗B岗越权代理


def test_overlay_names_the_same_people_as_wenze_evaluate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rulebook = str(ROOT / "rules" / "zitong_2008.wz")
    events = str(ROOT / "examples" / "caseload.jsonl")
    assert main(["evaluate", rulebook, events, "--as-of", "2024-06-30", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # who, for which violation, and for anyone but the direct party in what degree, as which
    # party (the decision's role_label)
    wanted = {f"{d['person'] or d['post'] or d['unit']}（{d['violation']}"
              + ("" if d["degree"]["code"] == "direct" and d["party"]["leader"] is None
                 else f"，{d['role_label']['zh']}") + "）"
              for d in report["decisions"] if d["case"] == "ZT-2024-201"}
    out = tmp_path / "zt.dot"
    args = ["graph", rulebook, "--case", "ZT-2024-201", "--events", events,
            "--as-of", "2024-06-30", "-o", str(out)]
    assert main(args) == 0
    dot = out.read_text(encoding="utf-8")
    # the 分管领导, known from the other cases
    assert "陈光辉（超过法定时限，主要领导责任（分管领导））" in wanted
    for who in wanted:
        assert who in dot, who


def test_a_process_name_is_taken_with_or_without_its_brackets(
    rulebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--process 「X」`, as the rulebook writes it, names the same process as `--process X`."""
    bare, bracketed = tmp_path / "bare.dot", tmp_path / "bracketed.dot"  # (DOT: deterministic)
    assert main(["graph", str(rulebook), "--process", "建设审批", "-o", str(bare)]) == 0
    assert main(["graph", str(rulebook), "--process", "「建设审批」", "-o", str(bracketed)]) == 0
    assert bare.read_text(encoding="utf-8") == bracketed.read_text(encoding="utf-8")
    assert main(["graph", str(rulebook), "--process", "「建设审」", "-o", str(bare)]) == 2
    assert "「「" not in capsys.readouterr().err
