"""Rendering: processes and rulebook overviews as graphviz drawings (SVG, PNG, PDF, DOT).

rulebook (merged AST) → process model (``wenze.dsl.processes``) [+ case overlay
(``wenze.graphs.overlay``)] → **graphviz.Digraph** → ``dot`` → a file people look at.

Drawings are deterministic: nodes, edges and clusters are emitted sorted (by name, or by
topological order with ties broken by name), node ids are derived from that order, and nothing
random or time-dependent goes into the DOT text — so DOT output can be a golden file. Chinese
labels render with the CJK font named in :data:`FONT` on the graph, its nodes and its edges.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path

import graphviz
import networkx as nx

from wenze.dsl import ast as A
from wenze.dsl.processes import COUNTERSIGN, Schedule, process_graph, schedule
from wenze.graphs.overlay import STATUS_STYLE, StepState

FONT = "Noto Sans CJK SC"  # Debian fonts-noto-cjk
FORMATS = ("svg", "png", "pdf", "dot")
CRITICAL = "#c62828"
MISSING = "#9e9e9e"
GROUP_BY = ("unit", "stage")

_BASE_GRAPH = {"fontname": FONT, "fontsize": "12", "newrank": "true"}
_BASE_NODE = {"fontname": FONT, "fontsize": "11"}
_BASE_EDGE = {"fontname": FONT, "fontsize": "10"}


def _day_word(unit: A.DayKind | None) -> str:
    return "自然日" if unit is A.DayKind.NATURAL else "工作日"


def _text(*lines: str | None) -> str:
    """A multi-line label: backslashes kept literal, empty lines left out, joined with ``\\n``."""
    return "\\n".join(line.replace("\\", "\\\\") for line in lines if line)


def _html_label(text: str) -> str:
    return html.escape(text, quote=True)


def _digraph(name: str, label: str, rankdir: str = "LR") -> graphviz.Digraph:
    graph = graphviz.Digraph(
        name=name,
        graph_attr={**_BASE_GRAPH, "label": label, "labelloc": "t", "rankdir": rankdir},
        node_attr=_BASE_NODE,
        edge_attr=_BASE_EDGE,
    )
    return graph


# --------------------------------------------------------------------------- process


def _ids(names: Iterable[str], prefix: str) -> dict[str, str]:
    return {name: f"{prefix}{i}" for i, name in enumerate(sorted(names))}


def _stages(graph: nx.DiGraph) -> dict[str, int]:
    """The stage of each step: 1 + the length of the longest chain of prerequisites before it."""
    stage: dict[str, int] = {}
    for name in nx.lexicographical_topological_sort(graph):
        stage[name] = 1 + max((stage[p] for p in graph.predecessors(name)), default=0)
    return stage


def _process_label(process: A.ProcessDecl, plan: Schedule, case_lines: Iterable[str] = ()) -> str:
    word = _day_word(plan.unit)
    parts = [f"流程「{process.name.text}」"]
    if plan.limit is not None:
        parts.append(f"总时限 {plan.limit} {word}")
    parts.append(f"关键路径 {plan.duration} {word}")
    if plan.exceeds_limit:
        parts.append(f"超出总时限 {plan.over_by} {word}")
    if plan.other_unit:
        other = _day_word(
            A.DayKind.NATURAL if plan.unit is A.DayKind.WORKING else A.DayKind.WORKING
        )
        parts.append(f"{len(plan.other_unit)} 个环节按{other}计，按原数相加")
    return _text("  ·  ".join(parts), *case_lines)


def _step_label(name: str, data: dict, plan: Schedule, state: StepState | None) -> str:
    word = _day_word(data["limit_unit"] or plan.unit)
    timing = plan.timings[name]
    if data["kind"] == COUNTERSIGN:
        silence = "沉默视为同意" if data["silence"] is A.Silence.CONSENT else "沉默视为失职"
        limit = f"回复 {data['limit']} {word}" if data["limit"] is not None else "未定回复时限"
        lines = [f"会签「{name}」", f"{limit} · {silence}", "、".join(data["units"]) or None]
    else:
        limit = f"{data['limit']} {word}" if data["limit"] is not None else "未定时限"
        post = f"岗位 {data['post']}" if data["post"] else None
        lines = [name, limit, post]
    window = f"第 {timing.earliest_start}–{timing.earliest_finish} 日"
    lines.append(window + (f" · 机动 {timing.slack} 日" if timing.slack else " · 关键"))
    if state is not None:
        lines.append(STATUS_STYLE[state.state][0])
        if state.days_text:
            lines.append(f"实际/允许 {state.days_text}")
        if state.note:
            lines.append(state.note)
        if state.late and (state.responsible_post or state.responsible_person):
            post_word = "责任单位" if state.countersign else "责任岗位"
            who = [f"{post_word} {state.responsible_post}"] if state.responsible_post else []
            who += [f"责任人 {state.responsible_person}"] if state.responsible_person else []
            lines.append(" · ".join(who))
        for entry in state.accountable:
            lines.append(f"问责 {entry}")
    return _text(*lines)


def _legend(graph: graphviz.Digraph, overlay: bool) -> None:
    rows = [
        '<TR><TD COLSPAN="2"><B>图例</B></TD></TR>',
        '<TR><TD BORDER="1" WIDTH="28">□</TD>'
        '<TD ALIGN="LEFT">环节（时限 · 岗位 · 第 ES–EF 日）</TD></TR>',
        '<TR><TD BORDER="1" WIDTH="28">◇</TD>'
        '<TD ALIGN="LEFT">会签，切角框（回复时限 · 沉默后果）</TD></TR>',
        f'<TR><TD BGCOLOR="{CRITICAL}" WIDTH="28"> </TD>'
        '<TD ALIGN="LEFT">关键路径（机动时间为 0）</TD></TR>',
        f'<TR><TD BORDER="1" COLOR="{MISSING}" STYLE="dashed" WIDTH="28"> </TD>'
        '<TD ALIGN="LEFT">未声明的前置环节</TD></TR>',
    ]
    if overlay:
        for label, colour in STATUS_STYLE.values():
            rows.append(
                f'<TR><TD BORDER="1" BGCOLOR="{colour}" WIDTH="28"> </TD>'
                f'<TD ALIGN="LEFT">{_html_label(label)}</TD></TR>'
            )
        rows.append('<TR><TD COLSPAN="2" ALIGN="LEFT">'
                    "双边框：超时；超时或亮牌时标注责任岗位与责任人</TD></TR>")
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">' + "".join(rows) + "</TABLE>"
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="", style="rounded", color="#bdbdbd")
        legend.node("legend", label=f"<{table}>", shape="plaintext")


def render_process(
    process: A.ProcessDecl,
    rulebook: A.Rulebook | None = None,
    overlay: Mapping[str, StepState] | None = None,
    group_by: str = "unit",
    legend: bool = True,
    case_lines: Iterable[str] = (),
) -> graphviz.Digraph:
    """Draw ``process``: steps grouped by unit (``group_by="unit"``, clusters named after the
    units; a countersign of several units stands outside) or by stage (``"stage"``), each labelled
    with its limit, post and CPM window; the critical path red and bold; a legend. With
    ``overlay`` (step → :class:`StepState`), steps are filled by state and labelled with actual
    vs allowed days and the post held responsible when late. ``rulebook`` supplies the unit
    declarations (cluster labels name their parent unit when known). ``case_lines`` go under the
    title (the case, its day, whom the engine holds to account for the case as a whole).
    Raises ProcessCycleError when the prerequisites form a cycle."""
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {GROUP_BY}, not {group_by!r}")
    graph = process_graph(process)
    plan = schedule(process, graph)
    missing_names = sorted({pre for _step, pre in plan.missing})
    ids = _ids(graph.nodes, "s")
    missing_ids = {name: f"m{i}" for i, name in enumerate(missing_names)}
    dot = _digraph("process", _process_label(process, plan, case_lines))
    critical = plan.critical_steps

    units = rulebook.named(A.UnitDecl) if rulebook is not None else {}
    groups: dict[str, list[str]] = {}
    loose: list[str] = []
    if group_by == "unit":
        for name in sorted(graph.nodes):
            step_units = graph.nodes[name]["units"]
            if len(step_units) == 1:
                groups.setdefault(step_units[0], []).append(name)
            else:
                loose.append(name)
    else:
        for name, stage in sorted(_stages(graph).items()):
            groups.setdefault(f"第 {stage:02d} 阶段", []).append(name)

    def add_step(target: graphviz.Digraph, name: str) -> None:
        data = graph.nodes[name]
        state = overlay.get(name) if overlay is not None else None
        attrs = {
            "shape": "box",
            "style": "filled,diagonals" if data["kind"] == COUNTERSIGN else "rounded,filled",
            "fillcolor": STATUS_STYLE[state.state][1] if state else "#ffffff",
        }
        if name in critical:
            attrs.update(color=CRITICAL, penwidth="2.5")
        if state is not None and state.overdue:
            # a double border: unlike the bold red of the critical path, it means "late"
            attrs.update(peripheries="2", penwidth="3")
        if state is not None and state.state.value == "running_red":
            attrs["fontcolor"] = "#ffffff"
        target.node(ids[name], label=_step_label(name, data, plan, state), **attrs)

    for index, (group, members) in enumerate(sorted(groups.items())):
        with dot.subgraph(name=f"cluster_{index}") as cluster:
            label = group
            if group_by == "unit":
                parent = units.get(group)
                label = f"{group}（{parent.parent.text}）" if parent and parent.parent else group
            cluster.attr(label=_text(label), style="rounded", color="#90a4ae")
            if group_by == "stage":
                cluster.attr(rank="same")
            for name in members:
                add_step(cluster, name)
    for name in loose:
        add_step(dot, name)
    for name in missing_names:
        dot.node(
            missing_ids[name],
            label=_text(name, "（未声明）"),
            shape="box",
            style="dashed",
            color=MISSING,
            fontcolor=MISSING,
        )

    for tail, head in sorted(graph.edges):
        on_path = (
            tail in critical
            and head in critical
            and plan.timings[head].earliest_start == plan.timings[tail].earliest_finish
        )
        if on_path:
            dot.edge(ids[tail], ids[head], color=CRITICAL, penwidth="2.5", style="bold")
        else:
            dot.edge(ids[tail], ids[head])
    for step, pre in plan.missing:
        dot.edge(missing_ids[pre], ids[step], style="dashed", color=MISSING)
    if legend:
        _legend(dot, overlay is not None)
    return dot


# --------------------------------------------------------------------------- overview


def _adjust_text(kind: A.AdjustKind, circumstance: A.Circumstance) -> str:
    """How a circumstance moves the sanction: 升 N 级, 降 N 级 or 直接至 SANCTION."""
    if kind is A.AdjustKind.UP:
        return f"升 {circumstance.steps} 级"
    if kind is A.AdjustKind.DOWN:
        return f"降 {circumstance.steps} 级"
    return f"直接至 {circumstance.sanction.text if circumstance.sanction else '?'}"


_ROLE_ZH = {
    A.Role.DIRECT: "直接责任人",
    A.Role.REVIEWER: "审核人",
    A.Role.APPROVER: "批准人",
    A.Role.DEPUTY_LEADER: "分管领导",
    A.Role.CHIEF_LEADER: "主要领导",
}


def _window_text(window: A.CountWindow | None) -> str | None:
    if window is None:
        return None
    if window.kind is A.WindowKind.ROLLING_MONTHS:
        return f"计次期间 滚动 {window.months} 个月"
    return "计次期间 自然年"


def _ladder_notes(ladder: A.LadderDecl) -> list[str]:
    notes = [f"从重 {c.name.text} {_adjust_text(c.kind, c)}" for c in ladder.aggravating]
    notes += [f"从轻 {c.name.text} {_adjust_text(c.kind, c)}" for c in ladder.mitigating]
    if ladder.exemptions:
        notes.append("免责 " + "、".join(n.text for n in ladder.exemptions))
    for c in ladder.consequences:
        times = f" 累计 {c.cumulative} 次" if c.cumulative > 1 else ""
        notes.append(f"后果 {c.sanction.text}{times}：{c.text}")
    for j in ladder.joint:
        roles = "、".join(_ROLE_ZH[r] for r in j.roles)
        notes.append(f"连带 第 {j.count} 次 {roles} {j.sanction.text}")
    return notes


def _draw_ladder(dot: graphviz.Digraph, index: int, ladder: A.LadderDecl) -> None:
    prefix = f"l{index}_"
    order: list[str] = [n.text for n in ladder.levels]
    for e in sorted(ladder.escalations, key=lambda e: e.count):
        if e.sanction.text not in order:
            order.append(e.sanction.text)
    for c in (*ladder.aggravating, *ladder.mitigating):
        if c.sanction is not None and c.sanction.text not in order:
            order.append(c.sanction.text)
    ids = {name: f"{prefix}{i}" for i, name in enumerate(order)}
    levels = {n.text for n in ladder.levels}
    with dot.subgraph(name=f"cluster_ladder_{index}") as cluster:
        cluster.attr(
            label=_text(f"阶梯「{ladder.name.text}」", _window_text(ladder.window)),
            style="rounded",
            color="#8d6e63",
        )
        cluster.node(
            f"{prefix}head",
            label=_text("违规"),
            shape="circle",
            style="filled",
            fillcolor="#eeeeee",
        )
        for name in order:
            extra = {} if name in levels else {"style": "dashed", "color": MISSING}
            cluster.node(ids[name], label=_text(name), shape="box", **extra)
        notes = _ladder_notes(ladder)
        if notes:
            left = "".join(note.replace("\\", "\\\\") + "\\l" for note in notes)
            cluster.node(f"{prefix}notes", label=left, shape="note", fontsize="10")
    # The severity order, thin and grey; escalations bold with their count.
    for a, b in zip(ladder.levels, ladder.levels[1:], strict=False):
        dot.edge(ids[a.text], ids[b.text], color="#bdbdbd", arrowhead="none", style="dotted")
    previous = f"{prefix}head"
    for e in sorted(ladder.escalations, key=lambda e: e.count):
        word = f"第 {e.count} 次" + ("及以上" if e.or_more else "")
        dot.edge(previous, ids[e.sanction.text], label=_text(word), penwidth="2")
        previous = ids[e.sanction.text]
    for c in ladder.aggravating:
        if c.kind is A.AdjustKind.TO and c.sanction is not None:
            dot.edge(
                f"{prefix}head",
                ids[c.sanction.text],
                label=_text(f"从重 {c.name.text}"),
                style="dashed",
                color=CRITICAL,
                fontcolor=CRITICAL,
            )
    for c in ladder.mitigating:
        if c.kind is A.AdjustKind.TO and c.sanction is not None:
            dot.edge(
                f"{prefix}head",
                ids[c.sanction.text],
                label=_text(f"从轻 {c.name.text}"),
                style="dashed",
                color="#2e7d32",
                fontcolor="#2e7d32",
            )
    if notes:
        dot.edge(f"{prefix}head", f"{prefix}notes", style="dotted", arrowhead="none")


def render_overview(rulebook: A.Rulebook) -> graphviz.Digraph:
    """Draw the organisation of a rulebook — units → posts → powers, unit hierarchy, leaders,
    A/B delegation (dashed, with the powers B may use) — and each penalty ladder as a chain of
    sanctions whose edges carry the escalation (``第 2 次``) with 从重/从轻 notes."""
    units = rulebook.named(A.UnitDecl)
    posts = rulebook.named(A.PostDecl)
    powers = rulebook.named(A.PowerDecl)
    ladders = rulebook.named(A.LadderDecl)

    named_units = set(units)
    named_posts = set(posts)
    named_powers = set(powers)
    for post in posts.values():
        assert isinstance(post, A.PostDecl)
        if post.unit:
            named_units.add(post.unit.text)
        named_powers.update(p.text for p in post.powers)
        if post.covers:
            named_posts.add(post.covers.principal.text)
            named_powers.update(p.text for p in post.covers.powers)
        if post.deputy_leader:
            named_posts.add(post.deputy_leader.text)
    for unit in units.values():
        assert isinstance(unit, A.UnitDecl)
        if unit.parent:
            named_units.add(unit.parent.text)
        for leader in (unit.chief_leader, unit.deputy_leader):
            if leader:
                named_posts.add(leader.text)
    unit_ids = _ids(named_units, "u")
    post_ids = _ids(named_posts, "p")
    power_ids = _ids(named_powers, "w")

    title = f"规则集「{rulebook.header.name.text}」总览"
    dot = _digraph("overview", _text(title))

    undeclared = {"style": "dashed", "color": MISSING, "fontcolor": MISSING}
    by_unit: dict[str | None, list[str]] = {}
    for name in sorted(named_posts):
        post = posts.get(name)
        unit = post.unit.text if isinstance(post, A.PostDecl) and post.unit else None
        by_unit.setdefault(unit, []).append(name)
    for index, unit_name in enumerate(sorted(named_units)):
        with dot.subgraph(name=f"cluster_u{index}") as cluster:
            cluster.attr(label="", style="rounded", color="#90a4ae")
            extra = {} if unit_name in units else undeclared
            cluster.node(
                unit_ids[unit_name],
                label=_text(unit_name),
                shape="folder",
                style="filled",
                fillcolor="#e3f2fd",
                **extra,
            )
            for post_name in by_unit.get(unit_name, []):
                cluster.node(
                    post_ids[post_name], label=_text(post_name), shape="box", style="rounded"
                )
    for post_name in by_unit.get(None, []):
        extra = {} if post_name in posts else undeclared
        dot.node(post_ids[post_name], label=_text(post_name), shape="box", style="rounded", **extra)
    with dot.subgraph(name="cluster_powers") as cluster:
        cluster.attr(label="职权", style="rounded", color="#a5d6a7")
        for name in sorted(named_powers):
            extra = {} if name in powers else undeclared
            cluster.node(
                power_ids[name],
                label=_text(name),
                shape="ellipse",
                style="filled",
                fillcolor="#e8f5e9",
                **extra,
            )

    # A leader post that belongs to the unit it leads: one labelled membership edge.
    leader_word: dict[tuple[str, str], str] = {}
    for name, unit in units.items():
        assert isinstance(unit, A.UnitDecl)
        for word, leader in (("主要领导", unit.chief_leader), ("分管领导", unit.deputy_leader)):
            post = posts.get(leader.text) if leader else None
            if isinstance(post, A.PostDecl) and post.unit and post.unit.text == name:
                leader_word.setdefault((name, post.name.text), word)
    for name in sorted(units):
        unit = units[name]
        assert isinstance(unit, A.UnitDecl)
        if unit.parent:
            dot.edge(unit_ids[unit.parent.text], unit_ids[name], label=_text("下级单位"))
        for word, leader in (("主要领导", unit.chief_leader), ("分管领导", unit.deputy_leader)):
            if leader and (name, leader.text) in leader_word:
                continue  # drawn as the labelled membership edge below
            if leader:
                dot.edge(unit_ids[name], post_ids[leader.text], label=_text(word), style="dotted")
    for name in sorted(posts):
        post = posts[name]
        assert isinstance(post, A.PostDecl)
        if post.unit:
            unit_name = post.unit.text
            word = leader_word.get((unit_name, name))
            extra = {"label": _text(word)} if word else {}
            dot.edge(unit_ids[unit_name], post_ids[name], color="#90a4ae", **extra)
        for power in sorted(p.text for p in post.powers):
            dot.edge(post_ids[name], power_ids[power], color="#2e7d32")
        if post.deputy_leader:
            dot.edge(
                post_ids[name],
                post_ids[post.deputy_leader.text],
                label=_text("分管领导"),
                style="dotted",
            )
        if post.covers:
            held = "、".join(p.text for p in post.covers.powers) or "全部职权"
            dot.edge(
                post_ids[name],
                post_ids[post.covers.principal.text],
                label=_text("B岗代理", held),
                style="dashed",
                color="#6a1b9a",
                fontcolor="#6a1b9a",
            )

    for index, name in enumerate(sorted(ladders)):
        ladder = ladders[name]
        assert isinstance(ladder, A.LadderDecl)
        _draw_ladder(dot, index, ladder)
    _overview_legend(dot)
    return dot


def _overview_legend(graph: graphviz.Digraph) -> None:
    """What each kind of line of the overview means (the green power edges carry no label)."""

    def row(colour: str, style: str, text: str, width: str = "1") -> str:
        dashes = {"solid": "———", "dashed": "– – –", "dotted": "·····"}[style]
        weight = "<B>" + dashes + "</B>" if width != "1" else dashes
        return (f'<TR><TD ALIGN="CENTER"><FONT COLOR="{colour}">{weight}</FONT></TD>'
                f'<TD ALIGN="LEFT">{_html_label(text)}</TD></TR>')

    rows = [
        '<TR><TD COLSPAN="2"><B>图例</B></TD></TR>',
        row("#000000", "solid", "上级单位 → 下级单位"),
        row("#90a4ae", "solid", "单位 → 所属岗位（主要领导、分管领导标注）"),
        row("#2e7d32", "solid", "岗位 → 拥有的职权"),
        row("#6a1b9a", "dashed", "B岗 → A岗：A岗离岗期间代理所列职权"),
        row("#000000", "dotted", "分管领导"),
        row("#000000", "solid", "阶梯：第 N 次违规选定的处理", "2"),
        row(CRITICAL, "dashed", "阶梯：从重情节直接至某处理"),
        row("#bdbdbd", "dotted", "阶梯：等级由轻到重"),
    ]
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">' + "".join(rows) + "</TABLE>"
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="", style="rounded", color="#bdbdbd")
        legend.node("legend", label=f"<{table}>", shape="plaintext")


# --------------------------------------------------------------------------- output


def output_format(path: str | Path) -> str:
    """The format named by a file's suffix; raises ValueError for one we cannot write."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "gv":
        suffix = "dot"
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot write `{path}`: the file name must end in one of "
            + ", ".join(f".{f}" for f in FORMATS)
            + "（输出文件须以 .svg/.png/.pdf/.dot 结尾）"
        )
    return suffix


class RenderError(RuntimeError):
    """Graphviz could not lay out or write the drawing (its own message is kept)."""


def render_bytes(graph: graphviz.Digraph, fmt: str) -> bytes:
    """The drawing in ``fmt`` (svg, png, pdf or dot); DOT is the graph's source text.
    Raises :class:`RenderError` when ``dot`` fails or is not installed."""
    if fmt == "dot":
        return graph.source.encode("utf-8")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    try:
        return graph.pipe(format=fmt, engine="dot")
    except graphviz.ExecutableNotFound as err:
        raise RenderError(
            "graphviz `dot` is not installed (apt-get install graphviz)（未安装 graphviz）"
        ) from err
    except graphviz.CalledProcessError as err:
        detail = (err.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise RenderError(
            f"graphviz `dot` failed to draw {graph.name}: "
            + (detail[0] if detail else f"exit status {err.returncode}")
            + "（graphviz 绘图失败；可改为输出 .dot 文件）"
        ) from err


def write(graph: graphviz.Digraph, path: str | Path) -> Path:
    """Write the drawing to ``path`` in the format its suffix names."""
    path = Path(path)
    data = render_bytes(graph, output_format(path))
    path.write_bytes(data)
    return path
