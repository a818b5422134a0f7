"""Benchmark (not a test) of the graphs stage: a generated 500-step process drawn with graphviz.

    python benchmarks/bench_graph.py [--steps 500] [--units 12] [--group-by unit|stage]

The process is seeded and layered like a big parallel approval: ~25 steps per stage, each with one
to three prerequisites in the stage before it (and now and then one two stages back), every tenth
node a 会签 of two units, limits 1–25 working days, Chinese names. Timed separately: parsing the
generated rulebook text, the model + critical-path schedule, building the graphviz drawing (DOT
text), and ``dot`` producing SVG and PNG. Target: SVG and PNG each ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wenze.dsl import ast as A
from wenze.dsl.parser import parse
from wenze.dsl.processes import schedule
from wenze.graphs.render import render_bytes, render_process

TARGET_SECONDS = 5.0


def generate(steps: int, units: int, seed: int = 42) -> str:
    rng = random.Random(seed)
    unit_names = [f"「第{u + 1:02d}局」" for u in range(units)]
    lines = ['规则集 「基准」 { 版本 "1" }']
    lines += [f"单位 {name} {{ }}" for name in unit_names]
    lines.append(f"流程 「大型并联审批」 {{\n  总时限 {steps // 2} 工作日")
    width = 25
    stages: list[list[str]] = []
    for i in range(steps):
        stage = i // width
        if stage == len(stages):
            stages.append([])
        name = f"「环节{i + 1:04d}」"
        after: list[str] = []
        if stage > 0:
            after = rng.sample(stages[stage - 1], k=min(len(stages[stage - 1]), rng.randint(1, 3)))
            if stage > 1 and rng.random() < 0.2:
                after.append(rng.choice(stages[stage - 2]))
        pre = f" 前置 {'、'.join(sorted(set(after)))}" if after else ""
        days = rng.randint(1, 25)
        if i % 10 == 9:
            pair = "、".join(rng.sample(unit_names, 2))
            lines.append(f"  会签 {name} {{ 单位 {pair} 回复时限 {min(days, 7)} 工作日{pre} }}")
        else:
            unit = rng.choice(unit_names)
            lines.append(f"  环节 {name} {{ 单位 {unit} 时限 {days} 工作日{pre} }}")
        stages[stage].append(name)
    lines.append("}")
    return "\n".join(lines) + "\n"


def timed(label: str, fn, results: dict[str, float]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - start
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--units", type=int, default=12)
    parser.add_argument("--group-by", choices=("unit", "stage"), default="unit")
    args = parser.parse_args()

    text = generate(args.steps, args.units)
    results: dict[str, float] = {}
    parsed = timed("parse", lambda: parse(text, "bench.wz"), results)
    assert parsed.rulebook is not None, parsed.diagnostics
    rulebook = parsed.rulebook
    process = rulebook.named(A.ProcessDecl)["大型并联审批"]
    assert isinstance(process, A.ProcessDecl)
    plan = timed("schedule", lambda: schedule(process), results)
    graph = timed(
        "drawing (DOT text)",
        lambda: render_process(process, rulebook, group_by=args.group_by),
        results,
    )
    sizes: dict[str, int] = {}
    for fmt in ("svg", "png"):
        data = timed(f"dot → {fmt.upper()}", lambda f=fmt: render_bytes(graph, f), results)
        sizes[fmt] = len(data)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (PNG rasterising is CPU-bound)")
    edges = sum(len(s.after) for s in process.steps)
    print(f"process: {len(process.steps)} steps, {edges} prerequisite edges, {args.units} units")
    print(
        f"critical path: {len(plan.critical_path)} steps, {plan.duration} working days "
        f"(limit {plan.limit}, exceeds: {plan.exceeds_limit})"
    )
    for label, seconds in results.items():
        print(f"  {label:<20} {seconds:8.3f} s")
    for fmt in ("svg", "png"):
        total = results["drawing (DOT text)"] + results[f"dot → {fmt.upper()}"]
        verdict = "OK" if total <= TARGET_SECONDS else "OVER TARGET"
        print(
            f"  {fmt.upper()} end to end (drawing + dot): {total:.3f} s, {sizes[fmt]:,} bytes "
            f"— target ≤ {TARGET_SECONDS:.0f} s: {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
