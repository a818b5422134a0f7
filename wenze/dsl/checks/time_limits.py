"""Check passes over time limits and processes (codes ``WZ2xx``): dependency cycles among process
steps, a critical path longer than the overall limit, promised limits above statutory ones, limits
in day kinds that cannot be compared, items without a statutory limit, empty suspension reasons and
warning thresholds out of range. The language stage (parse → load → **check** → lower).

The critical path comes from :func:`wenze.dsl.processes.schedule` (the process graph, CPM).
"""

from __future__ import annotations

from wenze.dsl import ast as A
from wenze.dsl.checks.common import (
    compare_durations,
    day_text,
    error,
    label,
    msg,
    node_limit,
    warning,
)
from wenze.dsl.diagnostics import Diagnostic

# --------------------------------------------------------------------------- process cycles


def _edges(process: A.ProcessDecl) -> dict[tuple[str, str], A.Name]:
    """(prerequisite, step) → the ``前置`` name that makes the edge (first one wins)."""
    declared = {n.name.text for n in process.steps or ()}
    edges: dict[tuple[str, str], A.Name] = {}
    seen: set[str] = set()
    for node in process.steps or ():
        if node.name.text in seen:
            continue  # a duplicate step is reported by the duplicates pass
        seen.add(node.name.text)
        for dep in node.after or ():
            if dep.text in declared:
                edges.setdefault((dep.text, node.name.text), dep)
    return edges


def _components(nodes: list[str], edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), each in source order; singletons only if they
    depend on themselves."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    position = {n: i for i, n in enumerate(nodes)}
    for a, b in sorted(edges, key=lambda e: (position[e[0]], position[e[1]])):
        succ[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(succ[node]):
                work.append((node, i + 1))
                nxt = succ[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1 or (node, node) in edges:
                    found.append(sorted(comp, key=position.__getitem__))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _one_cycle(comp: list[str], edges: set[tuple[str, str]]) -> list[str]:
    """The shortest cycle through the first node of a strongly connected component (breadth-first,
    successors in source order, so the answer is deterministic)."""
    start = comp[0]
    order = {n: i for i, n in enumerate(comp)}
    succ: dict[str, list[str]] = {n: [] for n in comp}
    for a, b in edges:
        if a in order and b in order:
            succ[a].append(b)
    for targets in succ.values():
        targets.sort(key=order.__getitem__)
    if start in succ[start]:
        return [start]
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in succ[node]:
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return path[::-1]
                if nxt not in parent:
                    parent[nxt] = node
                    following.append(nxt)
        frontier = following
    return comp


def check_process_cycles(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ201: steps of a process that come after each other in a cycle; every edge of the cycle is
    labelled where its ``前置`` is written."""
    out: list[Diagnostic] = []
    for process in rulebook.decls:
        if not isinstance(process, A.ProcessDecl):
            continue
        edge_names = _edges(process)
        edges = set(edge_names)
        nodes: list[str] = []
        for n in process.steps or ():
            if n.name.text not in nodes:
                nodes.append(n.name.text)
        for comp in _components(nodes, edges):
            cycle = _one_cycle(comp, edges)
            # the cycle runs against the arrows: x 前置 y means y → x; show "x after y after …"
            chain = " → ".join(f"`{n}`" for n in [*cycle, cycle[0]])
            members = set(comp)
            cycle_edges = [(a, b) for (a, b) in edge_names if a in members and b in members]
            cycle_edges.sort(key=lambda e: (edge_names[e].span.start, e))
            first = edge_names[cycle_edges[0]]
            labels = [
                label(edge_names[(a, b)].span, f"`{b}` 在此排在 `{a}` 之后",
                      f"`{b}` comes after `{a}` here")
                for a, b in cycle_edges
            ]
            out.append(error(
                "WZ201",
                msg(f"流程 `{process.name.text}` 的环节前置关系构成循环：{chain}",
                    f"steps of process `{process.name.text}` depend on each other in a cycle: "
                    f"{chain}"),
                first.span,
                labels=labels,
                help=msg("去掉其中一个 `前置`，使环节之间没有循环",
                         "remove one of these `after` references to break the cycle"),
            ))
    return out


# --------------------------------------------------------------------------- critical path


def check_critical_path(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ202: the limits of the steps on the critical path add up past the process's overall
    limit; WZ204 (warning) when the steps' limits are in another kind of days than the overall
    limit, so that they cannot be added up; WZ211 (warning) for a step with no limit."""
    from wenze.dsl.processes import ProcessCycleError, schedule

    out: list[Diagnostic] = []
    for process in rulebook.decls:
        if not isinstance(process, A.ProcessDecl):
            continue
        nodes: dict[str, A.ProcessNode] = {}
        for node in process.steps or ():
            nodes.setdefault(node.name.text, node)
            if node_limit(node) is None:
                zh, en = (("环节", "step") if isinstance(node, A.StepDecl)
                          else ("会签", "countersign"))
                key_zh, key_en = (("时限", "limit") if isinstance(node, A.StepDecl)
                                  else ("回复时限", "reply within"))
                out.append(warning(
                    "WZ211",
                    msg(f"{zh} `{node.name.text}` 没有 `{key_zh}`，无法判断是否超时",
                        f"{en} `{node.name.text}` has no `{key_en}`, so it can never be late"),
                    node.name.span,
                    help=msg(f"写 `{key_zh} N 工作日`", f"write `{key_en} N workdays`"),
                ))
        if process.limit is None:
            continue
        try:
            plan = schedule(process)
        except ProcessCycleError:
            continue  # reported by check_process_cycles
        if plan.other_unit:
            lzh, len_ = day_text(process.limit.duration)
            names = "、".join(f"`{n}`" for n in plan.other_unit)
            names_en = ", ".join(f"`{n}`" for n in plan.other_unit)
            out.append(warning(
                "WZ204",
                msg(f"流程 `{process.name.text}` 的总时限为 `{lzh}`，"
                    f"但环节 {names} 的时限按另一种日计，无法相加比较",
                    f"process `{process.name.text}` has an overall limit of `{len_}` but "
                    f"{names_en} count another kind of days, so the critical path cannot be "
                    "checked"),
                process.limit.span,
                labels=[label(node_limit(nodes[n]).span, "另一种日", "another kind of days")  # type: ignore[union-attr]
                        for n in plan.other_unit if node_limit(nodes[n]) is not None],
                help=msg("各环节与总时限使用同一种日（工作日或自然日）",
                         "give the steps and the overall limit the same kind of days"),
            ))
            continue
        if not plan.exceeds_limit:
            continue
        unit_zh, unit_en = day_text(A.Duration(0, plan.unit))
        unit_zh, unit_en = unit_zh.split(" ", 1)[1], unit_en.split(" ", 1)[1]
        path = plan.critical_path
        chain = " → ".join(f"`{n}`" for n in path)
        labels = []
        for n in path:
            lim = node_limit(nodes[n])
            if lim is None:
                continue
            amount = plan.timings[n].duration
            labels.append(label(lim.span, f"`{n}` {amount} {unit_zh}",
                                f"`{n}` takes {amount} {unit_en}"))
        out.append(error(
            "WZ202",
            msg(f"流程 `{process.name.text}` 关键路径 {chain} 共需 {plan.duration} {unit_zh}，"
                f"超过总时限 {plan.limit} {unit_zh}",
                f"the critical path {chain} of process `{process.name.text}` takes "
                f"{plan.duration} {unit_en}, more than its overall limit of {plan.limit} "
                f"{unit_en}"),
            process.limit.span,
            labels=labels,
            help=msg(f"缩短关键路径上的环节时限（共需缩短 {plan.over_by} {unit_zh}），"
                     "或让环节并行",
                     f"shorten the steps on the critical path by {plan.over_by} {unit_en} in "
                     "all, or run them in parallel"),
        ))
    return out


# --------------------------------------------------------------------------- items


def _limits_compare(code_zh: str, code_en: str, item: A.ItemDecl, shorter: A.Limit,
                    longer: A.Limit, what_zh: str, what_en: str) -> list[Diagnostic]:
    cmp = compare_durations(shorter.duration, longer.duration)
    szh, sen = day_text(shorter.duration)
    lzh, len_ = day_text(longer.duration)
    if cmp == 1:
        return [error(
            "WZ203",
            msg(f"事项 `{item.name.text}` 的{code_zh} `{szh}` 超过{what_zh} `{lzh}`",
                f"{code_en} of item `{item.name.text}` `{sen}` exceeds its {what_en} `{len_}`"),
            shorter.span,
            labels=[label(longer.span, f"{what_zh}为 `{lzh}`", f"the {what_en} is `{len_}`")],
            help=msg(f"{code_zh}不得超过{what_zh}", f"a {code_en} may not exceed the {what_en}"),
        )]
    if cmp is None:
        return [warning(
            "WZ204",
            msg(f"事项 `{item.name.text}` 的{code_zh} `{szh}` 与{what_zh} `{lzh}` 按不同的日计，"
                "无法比较",
                f"{code_en} of item `{item.name.text}` `{sen}` and its {what_en} `{len_}` "
                "count different kinds of days and cannot be compared"),
            shorter.span,
            labels=[label(longer.span, what_zh, what_en)],
            help=msg("两者使用同一种日", "use the same kind of days for both"),
        )]
    return []


def check_item_limits(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ205: an item without a statutory limit (after inheritance); WZ203: a promised limit above
    the statutory one; WZ204: limits that count different kinds of days; WZ206: an empty list of
    suspension reasons; WZ210: a suspension reason listed twice; WZ207: a warning percentage
    outside (0, 100]; WZ209: a warning before the deadline that is as long as the limit."""
    items = rulebook.named(A.ItemDecl)
    out: list[Diagnostic] = []
    for item in rulebook.decls:
        if not isinstance(item, A.ItemDecl):
            continue
        name = item.name.text
        statutory = _inherited(item, items, "statutory")
        if statutory is None:
            out.append(error(
                "WZ205",
                msg(f"事项 `{name}` 没有法定时限", f"item `{name}` has no statutory limit"),
                item.name.span,
                help=msg("写 `法定时限 N 工作日 依据 …`，或 `继承` 一个有法定时限的事项",
                         "write `statutory limit N workdays basis …`, or extend an item that "
                         "has one"),
            ))
        promised = _inherited(item, items, "promised")
        if promised is not None and statutory is not None and (
                item.promised is not None or item.statutory is not None):
            out += _limits_compare("承诺时限", "promised limit", item, promised, statutory,
                                   "法定时限", "statutory limit")
        if item.suspension is not None:
            reasons = item.suspension.reasons or ()
            if not reasons:
                out.append(error(
                    "WZ206",
                    msg(f"事项 `{name}` 的中止计时事由为空",
                        f"item `{name}` lists no reason to suspend the clock"),
                    item.suspension.span,
                    help=msg("列出中止计时的法定事由（第四十五条）",
                             "list the statutory reasons (Art. 45)"),
                ))
            seen: dict[str, A.Name] = {}
            for reason in reasons:
                if reason.text in seen:
                    out.append(warning(
                        "WZ210",
                        msg(f"中止计时事由 `{reason.text}` 重复",
                            f"suspension reason `{reason.text}` is listed twice"),
                        reason.span,
                        labels=[label(seen[reason.text].span, "首次列出于此", "first listed here")],
                    ))
                else:
                    seen[reason.text] = reason
        for rule in item.warnings or ():
            if rule.trigger is A.TriggerKind.AT_PERCENT and rule.percent is not None and not (
                    0 < rule.percent <= 100):
                out.append(error(
                    "WZ207",
                    msg(f"事项 `{name}` 的预警比例 `{rule.percent}%` 不在 (0%, 100%] 之内",
                        f"warning percentage `{rule.percent}%` of item `{name}` is outside "
                        "(0%, 100%]"),
                    rule.span,
                    help=msg("比例是已用时间占时限的百分比", "the percentage is the share of the "
                             "allowed time used"),
                ))
            if (rule.trigger is A.TriggerKind.BEFORE and rule.duration is not None
                    and statutory is not None
                    and compare_durations(rule.duration, statutory.duration) in (0, 1)):
                wzh, wen = day_text(rule.duration)
                out.append(warning(
                    "WZ209",
                    msg(f"事项 `{name}` 提前 `{wzh}` 预警，不短于法定时限，受理当天即会预警",
                        f"item `{name}` warns `{wen}` before the deadline, which is not shorter "
                        "than its statutory limit: it warns on the day of acceptance"),
                    rule.span,
                    labels=[label(statutory.span, "法定时限", "statutory limit")],
                ))
    return out


def _inherited(item: A.ItemDecl, items: dict[str, A.Decl], field: str) -> A.Limit | None:
    """A limit of the item or of the nearest item it inherits from (cycle-safe): the loader
    flattens items already, but the checks also run on a rulebook straight from the parser."""
    seen: set[str] = set()
    current: A.Decl | None = item
    while isinstance(current, A.ItemDecl) and current.name.text not in seen:
        value = getattr(current, field)
        if value is not None:
            return value
        seen.add(current.name.text)
        current = items.get(current.base.text) if current.base is not None else None
    return None


# --------------------------------------------------------------------------- calendars


def check_calendars(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ212: a local calendar that makes one date both a day off (``放假``) and a working day
    (``补班``), or lists a date twice."""
    out: list[Diagnostic] = []
    for cal in rulebook.decls:
        if not isinstance(cal, A.CalendarDecl):
            continue
        seen: dict[object, tuple[str, A.CalendarDay]] = {}
        days = [("放假", "holiday", d) for d in cal.holidays or ()]
        days += [("补班", "workday", d) for d in cal.workdays or ()]
        days.sort(key=lambda t: t[2].span.start)
        for zh, _en, day in days:
            prior = seen.get(day.date)
            if prior is None:
                seen[day.date] = (zh, day)
                continue
            same = prior[0] == zh
            out.append((warning if same else error)(
                "WZ212",
                msg(f"日历 `{cal.name.text}` 中 `{day.date}` " + ("重复列出" if same else
                                                                  "既是放假日又是补班日"),
                    f"calendar `{cal.name.text}` lists `{day.date}` "
                    + ("twice" if same else "both as a holiday and as a workday")),
                day.span,
                labels=[label(prior[1].span, "首次列出于此", "first listed here")],
            ))
    return out
