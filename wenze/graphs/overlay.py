"""Case overlay: where one case stands in its process, step by step.

case events (``wenze.events.readers``) + process (AST) + calendar → **step states** → the process
drawing (``wenze.graphs.render``) colours each step by its state.

:class:`StepState` is the contract between the evaluator (which knows warnings and responsibility)
and the renderer. :func:`overlay_from_events` reads the raw events of one case: step start/finish
events, days counted with the rulebook's calendar. The warning level of a running step is the
one the engine gives for that case and step (:func:`engine_warning_levels`: the item's own
预警/黄牌/红牌 rules, exactly as ``wenze evaluate`` reports them), so the picture and the
warnings list always agree; a step past its limit that no warning rule covers is shown as
"overdue" without a card. Without engine levels (a bare API call) fixed thresholds are used:
预警 one day before the deadline, 黄牌 when overdue, 红牌 three or more days overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from wenze.dsl import ast as A
from wenze.engine.decisions import role_label
from wenze.report.output import who_answers


class StepStatus(StrEnum):
    DONE_ON_TIME = "done_on_time"  # 按时办结
    DONE_LATE = "done_late"  # 超时办结
    RUNNING = "running"  # 办理中 (within its time, no warning yet)
    RUNNING_NOTICE = "running_notice"  # 办理中 · 预警
    RUNNING_YELLOW = "running_yellow"  # 办理中 · 黄牌
    RUNNING_RED = "running_red"  # 办理中 · 红牌
    RUNNING_OVERDUE = "running_overdue"  # 办理中 · 已超时 (past its limit, no warning rule hit)
    NOT_STARTED = "not_started"  # 未开始 (its prerequisites are done, or it has none)
    BLOCKED = "blocked"  # 等待前置环节


# (Chinese label, fill colour) of each state; the legend lists them in this order.
STATUS_STYLE: dict[StepStatus, tuple[str, str]] = {
    StepStatus.DONE_ON_TIME: ("按时办结", "#a5d6a7"),
    StepStatus.DONE_LATE: ("超时办结", "#ef9a9a"),
    StepStatus.RUNNING: ("办理中", "#90caf9"),
    StepStatus.RUNNING_NOTICE: ("办理中 · 预警", "#fff59d"),
    StepStatus.RUNNING_YELLOW: ("办理中 · 黄牌", "#ffca28"),
    StepStatus.RUNNING_RED: ("办理中 · 红牌", "#e53935"),
    StepStatus.RUNNING_OVERDUE: ("办理中 · 已超时", "#ff8a65"),
    StepStatus.NOT_STARTED: ("未开始", "#ffffff"),
    StepStatus.BLOCKED: ("等待前置环节", "#e0e0e0"),
}

LATE_STATES = frozenset({StepStatus.DONE_LATE, StepStatus.RUNNING_YELLOW, StepStatus.RUNNING_RED,
                         StepStatus.RUNNING_OVERDUE})
_LEVEL_STATES = {"notice": StepStatus.RUNNING_NOTICE, "yellow": StepStatus.RUNNING_YELLOW,
                 "red": StepStatus.RUNNING_RED}


@dataclass(frozen=True)
class StepState:
    """The state of one step of one case on the ``as_of`` day.

    ``actual_days`` counts the days used so far (or in all, when done) in ``unit``;
    ``allowed_days`` is the step's limit. ``responsible_post``/``responsible_person`` name who is
    held responsible when the step is late (the step's post, or the acting post of the events).
    """

    state: StepStatus
    actual_days: int | None = None
    allowed_days: int | None = None
    unit: A.DayKind = A.DayKind.WORKING
    started: dt.date | None = None
    finished: dt.date | None = None
    deadline: dt.date | None = None
    responsible_post: str | None = None
    responsible_person: str | None = None
    note: str | None = None
    accountable: tuple[str, ...] = ()  # "张三（违规）" for each engine decision about the step
    countersign: bool = False  # the responsible "post" is then the silent unit(s)

    @property
    def late(self) -> bool:
        """Held to account for this step: late, or carded (黄牌/红牌) by a warning rule."""
        return self.state in LATE_STATES

    @property
    def overdue(self) -> bool:
        """Past the step's own limit (done late, or still running beyond it)."""
        if self.state is StepStatus.DONE_LATE:
            return True
        if self.finished is not None or self.actual_days is None or self.allowed_days is None:
            return False
        return self.actual_days > self.allowed_days

    @property
    def days_text(self) -> str | None:
        """``"23/20 工作日"``: actual over allowed days, for the node label."""
        if self.actual_days is None and self.allowed_days is None:
            return None
        actual = "–" if self.actual_days is None else str(self.actual_days)
        allowed = "–" if self.allowed_days is None else str(self.allowed_days)
        word = "工作日" if self.unit is A.DayKind.WORKING else "自然日"
        return f"{actual}/{allowed} {word}"


Overlay = Mapping[str, StepState]


# --------------------------------------------------------------------------- from events

START_TYPES = frozenset({"step_started", "countersign_requested"})
FINISH_TYPES = frozenset({"step_completed", "countersign_replied"})


class OverlayError(ValueError):
    """The events cannot be placed on the process (an unknown case or step)."""


def _event_type(event: Any) -> str:
    kind = getattr(event, "type", "")
    return str(getattr(kind, "value", kind))


def _day(event: Any) -> dt.date:
    at = event.at
    return at.date() if isinstance(at, dt.datetime) else at


def _where(event: Any) -> str:
    source = getattr(event, "source", "") or "<events>"
    line = getattr(event, "line", None)
    return f"{source}:{line}" if line else source


def overlay_from_events(
    process: A.ProcessDecl,
    events: Iterable[Any],
    as_of: dt.date,
    calendar: Any,
    case: str | None = None,
    notice_before: int = 1,
    red_after: int = 3,
    suspension_reasons: Collection[str] | None = None,
    warning_levels: Mapping[str, str] | None = None,
    accountable: Mapping[str, Collection[str]] | None = None,
    step_clocks: Mapping[str, tuple[dt.date, dt.date]] | None = None,
) -> dict[str, StepState]:
    """The state of every declared step of ``process`` for one case on ``as_of``.

    ``events`` are :class:`wenze.events.readers.Event`; only those of ``case`` (when given) that
    happened on or before ``as_of`` count. Following docs/semantics.md §5: a step runs from its
    ``step_started`` (with no start recorded: from when the engine says it began, given by
    ``step_clocks``, else from its first ``step_completed``) to its first completion or
    ``as_of``; a countersign runs from ``countersign_requested`` until every requested unit
    (``data.units``, default its declared units) has replied. ``suspended`` … ``resumed`` ranges
    are inclusive and skipped (an open one runs to ``as_of``); with ``suspension_reasons`` only
    those reasons stop the clock. ``calendar`` is a ``WorkCalendar``. An event naming a step the
    process does not declare raises :class:`OverlayError` (never silently dropped).

    States: done on time / late against the step's limit; running with the level
    ``warning_levels`` gives the step (step → ``notice``/``yellow``/``red``, from
    :func:`engine_warning_levels`), or overdue without a card, or plainly running; when
    ``warning_levels`` is None, running with 预警 when at most ``notice_before`` days are left,
    黄牌 when overdue, 红牌 when ``red_after`` or more days overdue; not started; blocked while a
    prerequisite is not complete. ``accountable`` (step → "person（violation）", from the
    engine's decisions) is shown on the step whatever its state (a step done on time may still
    have started before its prerequisites). ``step_clocks`` (step → the day its clock started
    and its deadline, as the engine computed them: :attr:`EngineView.step_clocks`) replace the
    overlay's own reading of a step's start, so that a step with no recorded start begins when
    the engine says it could begin (its prerequisites done, else the case's clock start) and
    the picture never contradicts the decisions.
    """
    from wenze.dsl.processes import COUNTERSIGN, process_graph

    graph = process_graph(process)
    started: dict[str, dt.date] = {}
    completed: dict[str, dt.date] = {}
    requested: dict[str, set[str]] = {}
    replied: dict[str, dict[str, dt.date]] = {}
    acting: dict[str, tuple[str | None, str | None]] = {}
    suspensions: list[tuple[dt.date, dt.date]] = []
    open_since: dt.date | None = None
    for event in sorted(events, key=lambda e: (e.at, str(e.id))):
        if (case is not None and event.case != case) or _day(event) > as_of:
            continue
        kind = _event_type(event)
        if kind == "suspended":
            reason = (getattr(event, "data", None) or {}).get("reason")
            if suspension_reasons is None or reason in suspension_reasons:
                open_since = open_since or _day(event)
            continue
        if kind == "resumed":
            if open_since is not None:
                suspensions.append((open_since, _day(event)))
                open_since = None
            continue
        if kind not in START_TYPES | FINISH_TYPES or not getattr(event, "step", None):
            continue
        step = event.step
        if step not in graph:
            raise OverlayError(
                f"{_where(event)}: event `{event.id}` names step `{step}` which process "
                f"`{process.name.text}` does not declare "
                f"（事件 {event.id} 所述环节「{step}」不在流程「{process.name.text}」中）"
            )
        day = _day(event)
        if kind == "step_started":
            started.setdefault(step, day)
        elif kind == "step_completed":
            started.setdefault(step, day)
            completed.setdefault(step, day)  # the first completion counts (semantics §5)
        elif kind == "countersign_requested":
            started.setdefault(step, day)
            units = (getattr(event, "data", None) or {}).get("units")
            declared = graph.nodes[step]["units"]
            requested.setdefault(step, set()).update(units or declared)
        else:  # countersign_replied
            started.setdefault(step, day)
            replied.setdefault(step, {})[event.unit or ""] = day
        if event.post or event.actor:
            acting[step] = (event.post or None, event.actor or None)
    if open_since is not None:
        suspensions.append((open_since, as_of))

    for step, answers in replied.items():
        wanted = requested.get(step) or set(graph.nodes[step]["units"])
        if wanted <= set(answers) or (not wanted and answers):
            completed[step] = max(answers.values())

    states: dict[str, StepState] = {}
    for name in sorted(graph.nodes):
        data = graph.nodes[name]
        allowed: int | None = data["limit"]
        unit: A.DayKind = data["limit_unit"] or A.DayKind.WORKING
        start = started.get(name)
        clock = (step_clocks or {}).get(name)
        if clock is not None and start is not None:
            start = clock[0]
        if start is None:
            waiting = sorted(p for p in graph.predecessors(name) if p not in completed)
            states[name] = StepState(
                state=StepStatus.BLOCKED if waiting else StepStatus.NOT_STARTED,
                allowed_days=allowed,
                unit=unit,
                note=("等待 " + "、".join(waiting)) if waiting else None,
            )
            continue
        end = completed.get(name, as_of)
        actual = calendar.count_days(start, end, unit, suspensions)
        deadline = None
        if clock is not None:
            deadline = clock[1]
        elif allowed is not None:
            deadline = calendar.deadline(start, allowed, unit, suspensions)
        if warning_levels is not None and name not in completed:
            state = _LEVEL_STATES.get(warning_levels.get(name, ""), StepStatus.RUNNING)
            if state is StepStatus.RUNNING and allowed is not None and actual > allowed:
                state = StepStatus.RUNNING_OVERDUE
        else:
            state = _state(name in completed, actual, allowed, notice_before, red_after)
        post, person = acting.get(name, (None, None))
        if data["kind"] != COUNTERSIGN:
            post = data["post"] or post
        note = None
        if data["kind"] == COUNTERSIGN:
            # The units that did not reply by the deadline are responsible, not a person.
            wanted = requested.get(name) or set(data["units"])
            answers = replied.get(name, {})
            silent = sorted(wanted - set(answers))
            if silent and name not in completed:
                note = "未回复 " + "、".join(silent)
            tardy = sorted(
                u for u in wanted if u not in answers or (deadline and answers[u] > deadline)
            )
            if tardy:
                post, person = "、".join(tardy), None
        states[name] = StepState(
            state=state,
            actual_days=actual,
            allowed_days=allowed,
            unit=unit,
            started=start,
            finished=completed.get(name),
            deadline=deadline,
            responsible_post=post if state_is_late(state) else None,
            responsible_person=person if state_is_late(state) else None,
            note=note,
            accountable=tuple((accountable or {}).get(name, ())),
            countersign=data["kind"] == COUNTERSIGN,
        )
    return states


@dataclass(frozen=True)
class EngineView:
    """What ``wenze evaluate`` says about one case on the overlay's day."""

    levels: Mapping[str, str]  # step → notice / yellow / red (running steps with a warning)
    accountable: Mapping[str, tuple[str, ...]]  # step → "张三（违规）" for each decision about it
    case_accountable: tuple[str, ...]  # "张三（违规）" for each decision about the whole case
    rejected: tuple[Any, ...]  # events the engine rejects (it would not judge them)
    # step → (the day its clock started, its deadline), as the engine computed them
    step_clocks: Mapping[str, tuple[dt.date, dt.date]] = field(default_factory=dict)


def engine_view(
    rulebook: A.Rulebook, events: Iterable[Any], as_of: dt.date, case: str
) -> EngineView:
    """Evaluate ``case`` exactly as ``wenze evaluate`` does: the warning level of each running
    step (the item's own 预警/黄牌/红牌 rules; steps without a warning are absent), who is held to
    account for each step or countersign (the step-scope and countersign-scope decisions), and
    the events the engine rejects (unknown post, unknown item, …)."""
    from wenze.engine.evaluate import evaluate
    from wenze.engine.lower import lower

    result = evaluate(lower(rulebook), list(events), as_of, explain=[case])
    trace = result.traces.get(case)
    clocks = {n.name.removeprefix("step:"): (n.start, n.deadline)
              for n in (trace.deadlines if trace is not None else ())
              if n.name.startswith("step:")}
    levels = {w.step: w.level for w in result.warnings if w.case == case and w.step}
    accountable: dict[str, list[str]] = {}
    whole: list[str] = []
    for d in result.decisions:
        if d.case != case:
            continue
        # who, for which violation, and — for anyone but the direct party — in what degree and as
        # which party (主要领导责任：决定人的分管领导)
        degree = "" if d.role.degree is A.Degree.DIRECT and not d.role.is_leader else (
            f"，{role_label(d.role)[0]}")
        who = f"{who_answers(d)}（{d.violation}{degree}）"
        if d.subject and d.scope in ("step", "countersign"):
            accountable.setdefault(d.subject.split("/", 1)[0], []).append(who)
        elif d.scope == "case":
            whole.append(who)
    return EngineView(levels, {k: tuple(sorted(set(v))) for k, v in accountable.items()},
                      tuple(sorted(set(whole))), tuple(result.rejected), clocks)


def case_overlay(rulebook: A.Rulebook, process: A.ProcessDecl, events: Sequence[Any],
                 as_of: dt.date, case: str, view: EngineView | None = None
                 ) -> tuple[EngineView, dict[str, StepState]]:
    """What ``wenze evaluate`` says about ``case`` (``view``, else :func:`engine_view` over all
    ``events``) and the state of each step of ``process`` drawn from it: the engine's warning
    levels, who answers, and each step's clock — as ``wenze graph --case`` and the workbench
    draw it."""
    view = view if view is not None else engine_view(rulebook, events, as_of, case)
    own = [e for e in events if e.case == case]
    overlay = overlay_from_events(process, own, as_of, case_calendar(rulebook, process, own),
                                  case, warning_levels=view.levels,
                                  accountable=view.accountable, step_clocks=view.step_clocks)
    return view, overlay


def state_is_late(state: StepStatus) -> bool:
    return state in LATE_STATES


def _state(
    done: bool, actual: int, allowed: int | None, notice_before: int, red_after: int
) -> StepStatus:
    if allowed is None:
        return StepStatus.DONE_ON_TIME if done else StepStatus.RUNNING
    if done:
        return StepStatus.DONE_ON_TIME if actual <= allowed else StepStatus.DONE_LATE
    if actual - allowed >= red_after:
        return StepStatus.RUNNING_RED
    if actual > allowed:
        return StepStatus.RUNNING_YELLOW
    if allowed - actual <= notice_before:
        return StepStatus.RUNNING_NOTICE
    return StepStatus.RUNNING


def case_calendar(rulebook: Any, process: Any, events: list[Any]) -> Any:
    """The working calendar of a case's process (the process's, else its item's, else the
    statutory one), with the rulebook's 节假日安排 — as ``wenze graph --case`` takes it."""
    from wenze.dsl.calendar import WorkCalendar, declared_years_of

    declared = declared_years_of(rulebook)
    calendars = rulebook.named(A.CalendarDecl)
    names = [process.calendar.text] if process.calendar else []
    items = rulebook.named(A.ItemDecl)
    for event in events:
        item = items.get(event.item or "")
        if isinstance(item, A.ItemDecl) and item.calendar:
            names.append(item.calendar.text)
    for name in names:
        decl = calendars.get(name)
        if isinstance(decl, A.CalendarDecl):
            return WorkCalendar.from_decl(decl, declared)
    return WorkCalendar.statutory(declared)
