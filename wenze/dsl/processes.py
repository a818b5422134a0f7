"""Process model: a parallel-approval process as a graph, and its time budget (critical path).

rulebook AST (``流程`` declarations) → **process graph + schedule** → checks ("steps on the
critical path exceed the overall limit") and rendering (``wenze.graphs.render``).

A process is a DAG of steps (``环节``) and countersign joins (``会签``); an edge runs from a
prerequisite (``前置``) to the step that waits for it. The schedule is the classic critical-path
method (CPM) in days of the process's unit (that of its overall limit; without one, that of its
first limited step; else working days):

* a step lasts its ``时限``; a countersign lasts its ``回复时限``; a node without a limit lasts 0;
* earliest start = the latest earliest finish of its prerequisites (0 for a step without any);
* latest finish = the earliest latest start of its successors (the total duration for a last step);
* slack = latest start − earliest start; the critical path is a chain of zero-slack steps from a
  first step to a last one (ties broken by name, so the answer is deterministic).

References to undeclared steps are ignored here (the checks report them) and listed in
:attr:`Schedule.missing`; a cycle raises :class:`ProcessCycleError` naming every edge on a cycle.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from wenze.dsl import ast as A

STEP = "step"
COUNTERSIGN = "countersign"


class ProcessCycleError(ValueError):
    """The prerequisites of a process form a cycle; ``edges`` are all (prerequisite, step) edges
    that lie on some cycle, sorted."""

    def __init__(self, process: str, edges: Iterable[tuple[str, str]]):
        self.process = process
        self.edges: list[tuple[str, str]] = sorted(set(edges))
        shown = ", ".join(f"`{a}` → `{b}`" for a, b in self.edges)
        super().__init__(
            f"process `{process}` has a cycle in its prerequisites: {shown} "
            f"(流程「{process}」的前置环节构成循环)"
        )


@dataclass(frozen=True)
class StepTiming:
    """The CPM numbers of one step, in days counted from the start of the process (day 0)."""

    name: str
    kind: str  # STEP or COUNTERSIGN
    duration: int
    earliest_start: int
    earliest_finish: int
    latest_start: int
    latest_finish: int

    @property
    def slack(self) -> int:
        return self.latest_start - self.earliest_start

    @property
    def critical(self) -> bool:
        return self.slack == 0


@dataclass(frozen=True)
class Schedule:
    """The time budget of a process."""

    process: str
    unit: A.DayKind  # the unit every number is in
    order: tuple[str, ...]  # topological order, ties broken by name
    timings: dict[str, StepTiming]
    critical_path: tuple[str, ...]
    duration: int  # the earliest finish of the whole process
    limit: int | None  # the process's 总时限, in ``unit``
    missing: tuple[tuple[str, str], ...] = ()  # (step, undeclared prerequisite)
    other_unit: tuple[str, ...] = ()  # steps whose limit is in the other day kind (counted as-is)

    @property
    def exceeds_limit(self) -> bool:
        return self.limit is not None and self.duration > self.limit

    @property
    def over_by(self) -> int:
        """Days by which the critical path exceeds the overall limit (0 when within it)."""
        return max(0, self.duration - self.limit) if self.limit is not None else 0

    @property
    def critical_steps(self) -> frozenset[str]:
        """Every step with zero slack (there may be several critical chains)."""
        return frozenset(n for n, t in self.timings.items() if t.critical)

    @property
    def critical_edges(self) -> frozenset[tuple[str, str]]:
        path = self.critical_path
        return frozenset(itertools.pairwise(path))


# --------------------------------------------------------------------------- graph


def _limit_of(node: A.ProcessNode) -> A.Limit | None:
    return node.limit if isinstance(node, A.StepDecl) else node.reply_within


def process_graph(process: A.ProcessDecl) -> nx.DiGraph:
    """The process as a DiGraph keyed by declared step names.

    Node attributes: ``kind`` (``"step"``/``"countersign"``), ``units`` (tuple of unit names),
    ``post`` (a post name or None), ``limit`` (days, or None), ``limit_unit`` (a DayKind or None),
    ``silence`` (countersign only), ``span`` and ``decl``. Edges run prerequisite → step. Graph
    attributes: ``name`` and ``missing`` ((step, undeclared prerequisite) pairs, sorted). A step
    declared twice keeps its first declaration (the checks report the duplicate).
    """
    graph = nx.DiGraph(name=process.name.text)
    declared: dict[str, A.ProcessNode] = {}
    for node in process.steps:
        declared.setdefault(node.name.text, node)
    for name, node in declared.items():
        limit = _limit_of(node)
        graph.add_node(
            name,
            kind=STEP if isinstance(node, A.StepDecl) else COUNTERSIGN,
            units=tuple(u.text for u in node.units),
            post=node.post.text if isinstance(node, A.StepDecl) and node.post else None,
            limit=limit.duration.amount if limit else None,
            limit_unit=limit.duration.unit if limit else None,
            silence=node.silence if isinstance(node, A.CountersignDecl) else None,
            span=node.span,
            decl=node,
        )
    missing: set[tuple[str, str]] = set()
    for name, node in declared.items():
        for pre in node.after:
            if pre.text in declared:
                graph.add_edge(pre.text, name)
            else:
                missing.add((name, pre.text))
    graph.graph["missing"] = tuple(sorted(missing))
    return graph


def cycle_edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """Every edge that lies on a cycle (inside a strongly connected component, or a self-loop)."""
    edges: set[tuple[str, str]] = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            edges.update(graph.subgraph(component).edges())
    edges.update((a, b) for a, b in nx.selfloop_edges(graph))
    return sorted(edges)


def topological_order(graph: nx.DiGraph) -> list[str]:
    """Topological order with ties broken by name; raises ProcessCycleError on a cycle."""
    try:
        return list(nx.lexicographical_topological_sort(graph))
    except nx.NetworkXUnfeasible:
        raise ProcessCycleError(graph.graph.get("name", "?"), cycle_edges(graph)) from None


# --------------------------------------------------------------------------- schedule


def schedule(process: A.ProcessDecl, graph: nx.DiGraph | None = None) -> Schedule:
    """The critical-path schedule of ``process`` (see the module docstring for the rules)."""
    graph = graph if graph is not None else process_graph(process)
    order = topological_order(graph)
    unit = _unit_of(process, graph)

    duration: dict[str, int] = {}
    other_unit: list[str] = []
    for name in order:
        data = graph.nodes[name]
        duration[name] = data["limit"] or 0
        if data["limit_unit"] is not None and data["limit_unit"] != unit:
            other_unit.append(name)

    es: dict[str, int] = {}
    ef: dict[str, int] = {}
    for name in order:
        es[name] = max((ef[p] for p in graph.predecessors(name)), default=0)
        ef[name] = es[name] + duration[name]
    total = max(ef.values(), default=0)

    ls: dict[str, int] = {}
    lf: dict[str, int] = {}
    for name in reversed(order):
        lf[name] = min((ls[s] for s in graph.successors(name)), default=total)
        ls[name] = lf[name] - duration[name]

    timings = {
        name: StepTiming(
            name=name,
            kind=graph.nodes[name]["kind"],
            duration=duration[name],
            earliest_start=es[name],
            earliest_finish=ef[name],
            latest_start=ls[name],
            latest_finish=lf[name],
        )
        for name in order
    }
    return Schedule(
        process=process.name.text,
        unit=unit,
        order=tuple(order),
        timings=timings,
        critical_path=_critical_path(graph, timings),
        duration=total,
        limit=process.limit.duration.amount if process.limit else None,
        missing=graph.graph.get("missing", ()),
        other_unit=tuple(sorted(other_unit)),
    )


def _unit_of(process: A.ProcessDecl, graph: nx.DiGraph) -> A.DayKind:
    """The process limit's day kind; without one, the first limited step's; else working days."""
    if process.limit:
        return process.limit.duration.unit
    for node in process.steps:
        unit = graph.nodes[node.name.text]["limit_unit"]
        if unit is not None:
            return unit
    return A.DayKind.WORKING


def _critical_path(graph: nx.DiGraph, timings: dict[str, StepTiming]) -> tuple[str, ...]:
    """Walk from the first-named zero-slack step without prerequisites along zero-slack successors
    that start exactly when the current step finishes (first by name), to a last step.

    Such a successor always exists until the end: a critical step's latest finish equals its
    earliest finish, so the successor that sets it has latest start = that day ≤ its earliest start.
    """
    starts = sorted(n for n, t in timings.items() if t.critical and graph.in_degree(n) == 0)
    if not starts:
        return ()
    path = [starts[0]]
    while True:
        current = timings[path[-1]]
        following = sorted(
            s
            for s in graph.successors(current.name)
            if timings[s].critical and timings[s].earliest_start == current.earliest_finish
        )
        if not following:
            break
        path.append(following[0])
    return tuple(path)


def schedules(rulebook: A.Rulebook) -> dict[str, Schedule]:
    """The schedule of every process of a rulebook that has no cycle, by process name."""
    found: dict[str, Schedule] = {}
    for name, decl in sorted(rulebook.named(A.ProcessDecl).items()):
        assert isinstance(decl, A.ProcessDecl)
        try:
            found[name] = schedule(decl)
        except ProcessCycleError:
            continue
    return found
