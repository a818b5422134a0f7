"""The process model and its critical-path schedule, on small processes worked by hand."""

from __future__ import annotations

import pytest

from wenze.dsl import ast as A
from wenze.dsl.parser import parse
from wenze.dsl.processes import (
    COUNTERSIGN,
    STEP,
    ProcessCycleError,
    process_graph,
    schedule,
    schedules,
)

HEADER = '规则集 「测试」 { 版本 "1" }\n'


def _process(body: str, name: str = "流程甲") -> A.ProcessDecl:
    result = parse(HEADER + body, "test.wz")
    assert result.rulebook is not None, result.diagnostics
    decl = result.rulebook.named(A.ProcessDecl)[name]
    assert isinstance(decl, A.ProcessDecl)
    return decl


# The verified shape of domain.md §5: stage 1 in parallel (选址 20, 用地 25, 环评 25, 消防 5),
# stage 2 核准 15 after all of them, within 60 working days; a 会签 (7) after 选址 that 核准 also
# waits for.
INVESTMENT = """
流程 「流程甲」 {
  总时限 60 工作日
  环节 「选址意见」 { 单位 「规划局」 岗位 「规划科长」 时限 20 工作日 }
  环节 「用地预审」 { 单位 「国土局」 时限 25 工作日 }
  环节 「环评」 { 单位 「环保局」 时限 25 工作日 }
  环节 「消防意见」 { 单位 「消防大队」 时限 5 工作日 }
  会签 「部门会签」 { 单位 「发改局」, 「住建局」 回复时限 7 工作日 前置 「选址意见」 }
  环节 「核准」 {
    单位 「发改局」 时限 15 工作日
    前置 「选址意见」、「用地预审」、「环评」、「消防意见」、「部门会签」
  }
}
"""


def test_graph_nodes_and_edges_are_keyed_by_declared_names() -> None:
    graph = process_graph(_process(INVESTMENT))
    assert sorted(graph.nodes) == sorted(
        ["选址意见", "用地预审", "环评", "消防意见", "部门会签", "核准"]
    )
    assert graph.nodes["选址意见"]["kind"] == STEP
    assert graph.nodes["选址意见"]["post"] == "规划科长"
    assert graph.nodes["选址意见"]["limit"] == 20
    assert graph.nodes["部门会签"]["kind"] == COUNTERSIGN
    assert graph.nodes["部门会签"]["units"] == ("发改局", "住建局")
    assert graph.nodes["部门会签"]["limit"] == 7  # 回复时限
    assert graph.nodes["部门会签"]["span"].line > 1
    assert set(graph.predecessors("核准")) == {
        "选址意见",
        "用地预审",
        "环评",
        "消防意见",
        "部门会签",
    }
    assert set(graph.successors("选址意见")) == {"部门会签", "核准"}


def test_investment_schedule_by_hand() -> None:
    s = schedule(_process(INVESTMENT))
    t = s.timings
    # Forward pass: 选址 0→20, 用地 0→25, 环评 0→25, 消防 0→5, 会签 starts at 选址's finish 20 → 27.
    assert (t["选址意见"].earliest_start, t["选址意见"].earliest_finish) == (0, 20)
    assert (t["部门会签"].earliest_start, t["部门会签"].earliest_finish) == (20, 27)
    # 核准 waits for the latest of 20, 25, 25, 5, 27 = 27, finishes 27 + 15 = 42.
    assert (t["核准"].earliest_start, t["核准"].earliest_finish) == (27, 42)
    assert s.duration == 42
    # Backward pass from 42: 核准 LS = 42 − 15 = 27; every prerequisite has LF = 27.
    # 会签 LS = 27 − 7 = 20 → 选址 LF = min(27, 20) = 20, LS = 0 → slack 0.
    # 用地/环评: LS = 27 − 25 = 2 → slack 2.  消防: LS = 27 − 5 = 22 → slack 22.
    assert t["核准"].latest_start == 27
    assert (t["选址意见"].latest_finish, t["选址意见"].slack) == (20, 0)
    assert (t["用地预审"].latest_start, t["用地预审"].slack) == (2, 2)
    assert t["环评"].slack == 2
    assert (t["消防意见"].latest_start, t["消防意见"].slack) == (22, 22)
    assert t["部门会签"].slack == 0
    assert s.critical_path == ("选址意见", "部门会签", "核准")
    assert s.critical_steps == {"选址意见", "部门会签", "核准"}
    # 42 ≤ 60: within the overall limit.
    assert s.limit == 60 and not s.exceeds_limit and s.over_by == 0


def test_exceeding_the_overall_limit() -> None:
    # A → B → C: 10 + 12 + 9 = 31 working days > 30.
    s = schedule(
        _process("""
流程 「流程甲」 {
  总时限 30 工作日
  环节 A { 时限 10 工作日 }
  环节 B { 时限 12 工作日 前置 A }
  环节 C { 时限 9 工作日 前置 B }
}
""")
    )
    assert s.duration == 31
    assert s.exceeds_limit and s.over_by == 1
    assert s.critical_path == ("A", "B", "C")


def test_ties_are_broken_by_name() -> None:
    # Two equal chains: start → P (5) → end and start → Q (5) → end; start = 3, end = 2.
    # Both P and Q are critical (slack 0); the path takes P, first by name. Total 3 + 5 + 2 = 10.
    s = schedule(
        _process("""
流程 「流程甲」 {
  环节 Q { 时限 5 工作日 前置 start }
  环节 P { 时限 5 工作日 前置 start }
  环节 finish { 时限 2 工作日 前置 Q, P }
  环节 start { 时限 3 工作日 }
}
""")
    )
    assert s.duration == 10
    assert s.order == ("start", "P", "Q", "finish")
    assert s.critical_steps == {"start", "P", "Q", "finish"}
    assert s.critical_path == ("start", "P", "finish")
    assert s.limit is None and not s.exceeds_limit


def test_step_without_limit_counts_zero_and_parallel_starts() -> None:
    # 受理 has no limit (0 days). B (4) and C (6) after it; 办结 (no limit) after both.
    # The path starts at 受理 (the only step without prerequisites) although C sorts before it.
    # ES(B) = ES(C) = 0; 办结 starts at max(4, 6) = 6 and lasts 0 → total 6; B's slack = 6 − 4 = 2.
    s = schedule(
        _process("""
流程 「流程甲」 {
  环节 「受理」 { }
  环节 B { 时限 4 工作日 前置 「受理」 }
  环节 C { 时限 6 工作日 前置 「受理」 }
  环节 「办结」 { 前置 B, C }
}
""")
    )
    assert s.timings["受理"].duration == 0
    assert s.duration == 6
    assert s.timings["B"].slack == 2
    assert s.timings["办结"].earliest_start == 6
    assert s.critical_path == ("受理", "C", "办结")


def test_undeclared_prerequisites_are_ignored_and_listed() -> None:
    process = _process("""
流程 「流程甲」 {
  环节 A { 时限 3 工作日 前置 「不存在」 }
  环节 B { 时限 4 工作日 前置 A, 「也不存在」 }
}
""")
    s = schedule(process)
    assert s.duration == 7
    assert s.missing == (("A", "不存在"), ("B", "也不存在"))
    assert "不存在" not in process_graph(process)


def test_cycle_lists_every_edge() -> None:
    # A → B → C → A is a cycle; D → A is not on it; E ↔ F is a second one.
    process = _process("""
流程 「流程甲」 {
  环节 A { 时限 1 工作日 前置 C, D }
  环节 B { 时限 1 工作日 前置 A }
  环节 C { 时限 1 工作日 前置 B }
  环节 D { 时限 1 工作日 }
  环节 E { 时限 1 工作日 前置 F }
  环节 F { 时限 1 工作日 前置 E }
}
""")
    with pytest.raises(ProcessCycleError) as info:
        schedule(process)
    assert info.value.edges == [("A", "B"), ("B", "C"), ("C", "A"), ("E", "F"), ("F", "E")]
    assert "`C` → `A`" in str(info.value)
    assert "流程甲" in str(info.value)


def test_self_loop_is_a_cycle() -> None:
    with pytest.raises(ProcessCycleError) as info:
        schedule(_process("流程 「流程甲」 { 环节 A { 时限 1 工作日 前置 A } }"))
    assert info.value.edges == [("A", "A")]


def test_schedules_of_a_rulebook_skip_cyclic_processes() -> None:
    result = parse(
        HEADER
        + """
流程 「好」 { 环节 A { 时限 2 工作日 } }
流程 「坏」 { 环节 A { 前置 B }  环节 B { 前置 A } }
""",
        "t.wz",
    )
    assert result.rulebook is not None
    found = schedules(result.rulebook)
    assert list(found) == ["好"]
    assert found["好"].duration == 2


def test_empty_process() -> None:
    s = schedule(_process("流程 「流程甲」 { 总时限 5 工作日 }"))
    assert s.duration == 0 and s.critical_path == () and not s.exceeds_limit


def test_unit_of_a_process_without_overall_limit_is_that_of_its_steps() -> None:
    # No 总时限: the first limited step is in natural days, so the whole schedule is (7 + 14 = 21).
    s = schedule(
        _process("""
流程 「流程甲」 {
  环节 「收件」 { }
  环节 A { 时限 7 自然日 前置 「收件」 }
  环节 B { 时限 14 自然日 前置 A }
}
""")
    )
    assert s.unit is A.DayKind.NATURAL and s.duration == 21 and s.other_unit == ()


def test_steps_in_the_other_kind_of_days_are_listed() -> None:
    # 总时限 in working days; B counts natural days: added as-is (5 + 10 = 15) and listed.
    s = schedule(
        _process("""
流程 「流程甲」 {
  总时限 20 工作日
  环节 A { 时限 5 工作日 }
  环节 B { 时限 10 自然日 前置 A }
}
""")
    )
    assert s.unit is A.DayKind.WORKING and s.duration == 15 and s.other_unit == ("B",)
