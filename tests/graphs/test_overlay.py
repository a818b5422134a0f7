"""The case overlay: step states from real events on the real statutory calendar (2024).

March 2024 has no public holiday: 4–8, 11–15, 18–22 March are Monday–Friday working days; 9/10,
16/17 are weekends. Periods do not count their starting day.
"""

from __future__ import annotations

import datetime as dt

import pytest

from wenze.dsl import ast as A
from wenze.dsl.calendar import WorkCalendar
from wenze.dsl.parser import parse
from wenze.events.readers import Event, EventType
from wenze.graphs.overlay import OverlayError, StepStatus, overlay_from_events
from wenze.graphs.render import render_process

RULEBOOK = """
规则集 「测试」 { 版本 "1" }
单位 「审批局」 { }
岗位 「承办岗」 { 属于 「审批局」 }
流程 「并联」 {
  总时限 20 工作日
  环节 「受理」 { 单位 「审批局」 岗位 「承办岗」 时限 2 工作日 }
  环节 「审查」 { 单位 「审批局」 岗位 「承办岗」 时限 5 工作日 前置 「受理」 }
  会签 「部门会签」 { 单位 「国土局」, 「环保局」 回复时限 7 工作日 前置 「受理」 }
  环节 「决定」 { 单位 「审批局」 时限 3 工作日 前置 「审查」, 「部门会签」 }
}
"""

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def rulebook() -> A.Rulebook:
    result = parse(RULEBOOK, "test.wz")
    assert result.rulebook is not None, result.diagnostics
    return result.rulebook


@pytest.fixture(scope="module")
def process(rulebook: A.Rulebook) -> A.ProcessDecl:
    decl = rulebook.named(A.ProcessDecl)["并联"]
    assert isinstance(decl, A.ProcessDecl)
    return decl


def _event(n: int, kind: EventType, day: int, step: str | None = None, **more) -> Event:
    return Event(
        id=f"e{n}",
        case=more.pop("case", "C1"),
        type=kind,
        at=dt.datetime(2024, 3, day, 10, 0, tzinfo=TZ),
        step=step,
        source="events.jsonl",
        line=n,
        **more,
    )


def _events() -> list[Event]:
    return [
        _event(1, EventType.STEP_STARTED, 4, "受理", post="承办岗", actor="张三"),
        _event(2, EventType.STEP_COMPLETED, 6, "受理", post="承办岗", actor="张三"),
        _event(3, EventType.STEP_STARTED, 6, "审查", post="承办岗", actor="李四"),
        _event(4, EventType.STEP_COMPLETED, 15, "审查", post="承办岗", actor="李四"),
        _event(5, EventType.COUNTERSIGN_REQUESTED, 6, "部门会签"),
        _event(6, EventType.COUNTERSIGN_REPLIED, 8, "部门会签", unit="国土局"),
        _event(7, EventType.STEP_STARTED, 5, "受理", case="OTHER"),
    ]


def test_states_on_20_march(process: A.ProcessDecl) -> None:
    states = overlay_from_events(
        process, _events(), dt.date(2024, 3, 20), WorkCalendar.statutory(), case="C1"
    )
    # 受理: Mon 4 → Wed 6 = Tue, Wed = 2 working days ≤ 2.
    s = states["受理"]
    assert (s.state, s.actual_days, s.allowed_days) == (StepStatus.DONE_ON_TIME, 2, 2)
    assert s.responsible_post is None and s.days_text == "2/2 工作日"
    # 审查: Wed 6 → Fri 15 = Thu 7, Fri 8, Mon 11 … Fri 15 = 2 + 5 = 7 > 5: done late, deadline
    # the 5th working day after the 6th = Wed 13.
    s = states["审查"]
    assert (s.state, s.actual_days, s.allowed_days) == (StepStatus.DONE_LATE, 7, 5)
    assert s.deadline == dt.date(2024, 3, 13)
    assert (s.responsible_post, s.responsible_person) == ("承办岗", "李四")
    # 会签: requested Wed 6, 环保局 silent; to Wed 20 = 2 + 5 + 3 = 10 days, 3 over 7: 红牌.
    s = states["部门会签"]
    assert (s.state, s.actual_days, s.allowed_days) == (StepStatus.RUNNING_RED, 10, 7)
    assert s.responsible_post == "环保局" and s.responsible_person is None
    assert s.note == "未回复 环保局"
    # 决定 waits for the countersign.
    assert states["决定"].state is StepStatus.BLOCKED
    assert states["决定"].note == "等待 部门会签"


@pytest.mark.parametrize(
    ("day", "expected", "used"),
    [
        # Thu 7, Fri 8, Mon 11 … Wed 13 = 5 used of 7: 2 left, no warning yet.
        (13, StepStatus.RUNNING, 5),
        # … Thu 14 = 6 used: 1 left → 预警 (one day before the deadline).
        (14, StepStatus.RUNNING_NOTICE, 6),
        # … Fri 15 = 7 used: the deadline day itself, still 预警.
        (15, StepStatus.RUNNING_NOTICE, 7),
        # Sat 16 / Sun 17 do not count: still 7.
        (17, StepStatus.RUNNING_NOTICE, 7),
        # Mon 18 = 8: overdue → 黄牌; Tue 19 = 9 still 黄牌; Wed 20 = 10 (3 over) → 红牌.
        (18, StepStatus.RUNNING_YELLOW, 8),
        (19, StepStatus.RUNNING_YELLOW, 9),
        (20, StepStatus.RUNNING_RED, 10),
    ],
)
def test_warning_levels_of_a_running_countersign(
    process: A.ProcessDecl, day: int, expected: StepStatus, used: int
) -> None:
    states = overlay_from_events(
        process, _events(), dt.date(2024, 3, day), WorkCalendar.statutory(), case="C1"
    )
    assert (states["部门会签"].state, states["部门会签"].actual_days) == (expected, used)


def test_events_after_as_of_do_not_count(process: A.ProcessDecl) -> None:
    # On Thu 14, 审查 has not been completed yet (that happens on the 15th): running, 6 > 5 days.
    states = overlay_from_events(
        process, _events(), dt.date(2024, 3, 14), WorkCalendar.statutory(), case="C1"
    )
    assert states["审查"].state is StepStatus.RUNNING_YELLOW
    assert states["审查"].actual_days == 6 and states["审查"].finished is None


def test_countersign_complete_when_every_unit_replied(process: A.ProcessDecl) -> None:
    events = [*_events(), _event(8, EventType.COUNTERSIGN_REPLIED, 19, "部门会签", unit="环保局")]
    states = overlay_from_events(
        process, events, dt.date(2024, 3, 20), WorkCalendar.statutory(), case="C1"
    )
    # Complete on Tue 19 = 9 working days after Wed 6 > 7: late; the deadline is Fri 15, so only
    # 环保局 (replied on the 19th) is responsible, not 国土局 (replied on the 8th).
    s = states["部门会签"]
    assert (s.state, s.actual_days, s.finished) == (StepStatus.DONE_LATE, 9, dt.date(2024, 3, 19))
    assert s.responsible_post == "环保局"
    # Both prerequisites of 决定 are complete, it has no start event: not started (not blocked).
    assert states["决定"].state is StepStatus.NOT_STARTED


def test_suspension_days_are_skipped(process: A.ProcessDecl) -> None:
    # Suspended Mon 11 … resumed Tue 12 (both inclusive, not counted): 审查 uses 7 − 2 = 5 days.
    events = [
        *_events(),
        _event(9, EventType.SUSPENDED, 11, data={"reason": "专家评审"}),
        _event(10, EventType.RESUMED, 12),
    ]
    states = overlay_from_events(
        process, events, dt.date(2024, 3, 20), WorkCalendar.statutory(), case="C1"
    )
    assert (states["审查"].state, states["审查"].actual_days) == (StepStatus.DONE_ON_TIME, 5)
    # An unlisted reason stops nothing.
    states = overlay_from_events(
        process,
        events,
        dt.date(2024, 3, 20),
        WorkCalendar.statutory(),
        case="C1",
        suspension_reasons={"听证"},
    )
    assert states["审查"].actual_days == 7


def test_undeclared_step_is_an_error(process: A.ProcessDecl) -> None:
    events = [_event(1, EventType.STEP_STARTED, 4, "不存在的环节")]
    with pytest.raises(OverlayError, match=r"events.jsonl:1: event `e1` names step `不存在的环节`"):
        overlay_from_events(process, events, dt.date(2024, 3, 20), WorkCalendar.statutory())


def test_overlay_in_the_drawing(process: A.ProcessDecl, rulebook: A.Rulebook) -> None:
    states = overlay_from_events(
        process, _events(), dt.date(2024, 3, 20), WorkCalendar.statutory(), case="C1"
    )
    dot = render_process(process, rulebook, states).source
    assert "实际/允许 7/5 工作日" in dot
    assert "责任岗位 承办岗 · 责任人 李四" in dot
    assert "责任单位 环保局" in dot  # a countersign: the silent unit is responsible
    assert 'fillcolor="#e53935"' in dot  # 红牌
    assert 'fillcolor="#ef9a9a"' in dot  # done late
    assert "等待前置环节" in dot and "按时办结" in dot  # node states and the legend


def test_the_overlay_names_each_party_with_its_degree() -> None:
    """Who answers for an unanswered countersign, as the picture says it: the silent unit, and
    the 分管领导 of the post that requested it with 主要领导责任 (issue 14, situation e)."""
    from pathlib import Path

    from wenze.dsl.loader import load_rulebook
    from wenze.events.readers import read_events
    from wenze.graphs.overlay import engine_view

    case = Path(__file__).resolve().parents[1] / "cases" / "parties_unanswered_countersign"
    rulebook = load_rulebook(case / "rulebook.wz").rulebook
    assert rulebook is not None
    events = read_events(case / "events.jsonl").events
    view = engine_view(rulebook, events, dt.date(2024, 6, 30), "E")
    assert view.accountable["部门会签"] == (
        "国土局（会签未回复）", "王副（会签未回复，主要领导责任（会签发起人的分管领导））")


def test_the_overlay_agrees_with_the_decisions_on_real_receipts() -> None:
    """On the BPI receipt log (steps recorded by their completion only), a step the picture
    shows done late is exactly a step the engine holds someone to account for (环节超时), and
    its days are the engine's: a step with no recorded start begins when the engine says it
    could begin (its prerequisites done, else the case's clock start), not on its completion."""
    from pathlib import Path

    from wenze.dsl.loader import load_rulebook
    from wenze.engine.evaluate import evaluate
    from wenze.engine.lower import lower
    from wenze.events.readers import read_events
    from wenze.graphs.overlay import case_overlay, state_is_late

    root = Path(__file__).resolve().parents[2]
    rulebook = load_rulebook(root / "rules" / "receipt_wabo.wz").rulebook
    assert rulebook is not None
    events = read_events(root / "tests" / "web" / "data" / "receipt_sample.csv",
                         mapping="receipt").events
    as_of = dt.date(2012, 1, 31)
    result = evaluate(lower(rulebook), events, as_of)
    late_by_engine = {(d.case, d.subject) for d in result.decisions
                      if d.violation == "环节超时"}
    assert late_by_engine  # the sample has late steps, or this test proves nothing
    process = rulebook.named(A.ProcessDecl)["收件"]
    assert isinstance(process, A.ProcessDecl)
    late_in_picture: set[tuple[str, str]] = set()
    for case in sorted({e.case for e in events}):
        _, overlay = case_overlay(rulebook, process, events, as_of, case)
        late_in_picture |= {(case, step) for step, s in overlay.items() if state_is_late(s.state)}
    assert late_in_picture == late_by_engine
