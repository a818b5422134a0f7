"""Benchmark of the evaluator (not a test): a seeded synthetic caseload evaluated three ways.

    python benchmarks/bench_evaluate.py            # 100k cases
    python benchmarks/bench_evaluate.py --million  # 1M cases as well
    python benchmarks/bench_evaluate.py --cases 20000 --durable 2000

The caseload: one item with a 6-step process (收件审查 → 现场勘查 ∥ 技术审查 → 审核 → 审批 → 制证;
the two middle steps run in parallel), 20k officials, 15% of the cases with a suspension for
expert review, some decisions by a post without the deciding power, some steps started before
their prerequisites, dates spread over 2023–2024 (Spring Festival and 调休 days included).

Side by side, in one run, on the same events:
- ``wenze``: ``wenze.engine.evaluate.evaluate`` with the full rulebook (every fact, every
  violation, ladders, warnings, metrics);
- ``wenze columnar``: ``wenze.fast.columnar.evaluate_columnar`` (the fast path, the same
  result byte for byte; ``--evaluator auto`` picks it from 20k cases), timed from the same
  ``Event`` objects (the conversion to columns included);
- ``plain loop``: a hand-written per-case Python loop computing only the statutory-deadline rule
  (the floor any evaluator has to match);
- ``durable_rules``: the same events posted to a durable_rules ruleset holding the same deadline
  rule (run on a subset — it is orders of magnitude slower — and reported per case).
Reported: cases/s, events/s and peak memory (tracemalloc) of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wenze.dsl import ast as A
from wenze.dsl.calendar import WorkCalendar
from wenze.dsl.loader import load_text
from wenze.engine.evaluate import evaluate
from wenze.engine.lower import lower
from wenze.events.readers import Event, EventType

RULEBOOK = """
规则集 「基准」 { 版本 "bench" }
文件 「行政许可法」 { 文号 "中华人民共和国主席令第29号" 标题 "中华人民共和国行政许可法" }
日历 「法定工作日」 { 基于 法定工作日 }
职权 「审批决定权」 { 说明 "作出审批决定" }
职权 「延期批准权」 { 说明 "批准延期" }
单位 「审批局」 { 主要领导 「局长」 分管领导 「副局长」 }
岗位 「局长」 { 属于 「审批局」 拥有 「审批决定权」、「延期批准权」 }
岗位 「副局长」 { 属于 「审批局」 }
岗位 「首席代表」 { 属于 「审批局」 拥有 「审批决定权」 }
岗位 「窗口」 { 属于 「审批局」 }
流程 「建设项目审批」 {
  总时限 20 工作日
  环节 「收件审查」 { 单位 「审批局」 时限 2 工作日 }
  环节 「现场勘查」 { 单位 「审批局」 时限 5 工作日 前置 「收件审查」 }
  环节 「技术审查」 { 单位 「审批局」 时限 5 工作日 前置 「收件审查」 }
  环节 「审核」 { 单位 「审批局」 时限 3 工作日 前置 「现场勘查」、「技术审查」 }
  环节 「审批」 { 单位 「审批局」 时限 2 工作日 前置 「审核」 }
  环节 「制证」 { 单位 「审批局」 时限 2 工作日 前置 「审批」 }
}
事项 「建设许可」 依据 「行政许可法」 "第四十二条" {
  单位 「审批局」
  日历 「法定工作日」
  流程 「建设项目审批」
  法定时限 20 工作日
  承诺时限 15 工作日
  延期 10 工作日 批准 「延期批准权」
  补正告知 5 工作日 一次性
  中止计时 「专家评审」、「检验」
  预警 提前 2 工作日
  黄牌 逾期
  红牌 逾期 3 工作日
}
阶梯 「效能问责」 依据 「行政许可法」 "第七十四条" {
  计次期间 滚动 12 个月
  等级 「效能告诫」、「通报批评」、「诫勉谈话」
  第 1 次 「效能告诫」
  第 2 次 「通报批评」
  第3次及以上 「诫勉谈话」
  从轻 「主动纠正」 降 1 级
  免责 「不可抗力」
}
违规 「超过法定时限」 依据 「行政许可法」 "第四十二条" {
  针对 案件 当 「超法定天数」 > 0 责任 直接责任人、分管领导 阶梯 「效能问责」
}
违规 「决定越权」 依据 「行政许可法」 "第七十四条" {
  针对 案件 当 「决定越权」 责任 直接责任人 阶梯 「效能问责」
}
违规 「环节超时」 依据 「行政许可法」 "第七十四条" {
  针对 环节 当 「环节超时天数」 > 0 责任 直接责任人 阶梯 「效能问责」
}
违规 「前置未完成即开始」 依据 「行政许可法」 "第七十四条" {
  针对 环节 当 「前置未完成即开始」 责任 直接责任人 阶梯 「效能问责」
}
"""

STEPS = ("收件审查", "现场勘查", "技术审查", "审核", "审批", "制证")
LIMITS = {"收件审查": 2, "现场勘查": 5, "技术审查": 5, "审核": 3, "审批": 2, "制证": 2}
TZ = dt.timezone(dt.timedelta(hours=8))


def caseload(n_cases: int, n_officials: int = 20_000, seed: int = 7) -> list[Event]:
    rng = random.Random(seed)
    cal = WorkCalendar.statutory()
    first = dt.date(2023, 1, 3).toordinal()
    span = dt.date(2024, 10, 31).toordinal() - first
    officials = [f"官员{i:05d}" for i in range(n_officials)]
    events: list[Event] = []
    for c in range(n_cases):
        case = f"B{c:07d}"
        day = dt.date.fromordinal(first + rng.randrange(span))
        while not cal.is_workday(day):
            day += dt.timedelta(days=1)
        who = officials[rng.randrange(n_officials)]
        k = 0

        def add(typ: EventType, d: dt.date, hour: int, actor: str, post: str,
                step: str | None = None, data: dict | None = None, case: str = case) -> None:
            nonlocal k
            k += 1
            events.append(Event(  # minutes follow the order of generation within a day
                id=f"{case}-{k}", case=case, type=typ,
                at=dt.datetime(d.year, d.month, d.day, 8, k, tzinfo=TZ), item="建设许可",
                actor=actor, post=post, unit="审批局", step=step, data=data or {},
                line=None, source="<bench>"))

        add(EventType.RECEIVED, day, 9, who, "窗口")
        add(EventType.ACCEPTED, day, 10, who, "窗口")
        cur = day
        done: dict[str, dt.date] = {}
        suspend = rng.random() < 0.15
        for i, step in enumerate(STEPS):
            actor = officials[rng.randrange(n_officials)]
            start = done.get(STEPS[i - 1], cur) if i else cur
            if step == "技术审查":
                start = done["收件审查"]
            if step == "审核":
                start = max(done["现场勘查"], done["技术审查"])
                if rng.random() < 0.03:  # started before its prerequisites were completed
                    start = done["收件审查"]
            add(EventType.STEP_STARTED, start, 11, actor, "窗口", step)
            length = rng.randrange(LIMITS[step] + 1)
            if rng.random() < 0.04:  # a step over its own limit
                length = LIMITS[step] + rng.randrange(1, 4)
            if step == "审批" and rng.random() < 0.03:  # a case left lying: late overall
                length += 12
            end = cal.deadline(start, length, A.DayKind.WORKING) if length else start
            if suspend and step == "技术审查":
                add(EventType.SUSPENDED, start, 15, actor, "窗口",
                    data={"reason": "专家评审"})
                back = cal.deadline(start, rng.randrange(2, 8), A.DayKind.WORKING)
                add(EventType.RESUMED, back, 9, actor, "窗口")
                end = max(end, back)
            add(EventType.STEP_COMPLETED, end, 16, actor, "窗口", step)
            done[step] = end
            cur = end
        decider_post = "窗口" if rng.random() < 0.02 else "首席代表"
        add(EventType.DECIDED, done["审批"], 17, officials[rng.randrange(n_officials)],
            decider_post, data={"outcome": "准予许可"})
    return events


def plain_loop(events: list[Event], as_of: dt.date) -> int:
    """The statutory-deadline rule only, by hand: accepted + 20 working days (suspensions for
    listed reasons skipped) against the decision date."""
    cal = WorkCalendar.statutory()
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        by_case[ev.case].append(ev)
    late = 0
    for evs in by_case.values():
        start = decided = None
        susp: list[tuple[dt.date, dt.date]] = []
        s_open = None
        for ev in sorted(evs, key=lambda e: (e.at, e.id)):
            t = ev.type
            if t is EventType.ACCEPTED and start is None:
                start = ev.at.date()
            elif t is EventType.SUSPENDED and ev.data.get("reason") == "专家评审":
                s_open = ev.at.date()
            elif t is EventType.RESUMED and s_open is not None:
                susp.append((s_open, ev.at.date()))
                s_open = None
            elif t is EventType.DECIDED:
                decided = ev.at.date()
        if start is None:
            continue
        deadline = cal.deadline(start, 20, A.DayKind.WORKING, susp)
        if (decided or as_of) > deadline:
            late += 1
    return late


def suspended_ranges(evs: list[Event], as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The suspended (first, last) days of one case's events in time order; a suspension still
    open runs to the as-of date (the durable_rules peers' deadline arithmetic)."""
    ranges = []
    s_open = None
    for ev in evs:
        if ev.type is EventType.SUSPENDED and s_open is None:
            s_open = ev.at.date()
        elif ev.type is EventType.RESUMED and s_open:
            ranges.append((s_open, ev.at.date()))
            s_open = None
    if s_open is not None:
        ranges.append((s_open, as_of))
    return ranges


def post_cases(name: str, by_case: dict[str, list[Event]], as_of: dt.date,
               deciders: frozenset[str] | None = None) -> None:
    """Post each case's events to the durable_rules ruleset ``name``: the acceptance as a fact
    carrying its 20-working-day deadline, the rest as events; with ``deciders``, each decision
    also posts whether its post holds the deciding power (the authorization rule)."""
    from durable.lang import assert_fact, post

    cal = WorkCalendar.statutory()
    for case, evs in by_case.items():
        evs.sort(key=lambda e: (e.at, e.id))
        susp = suspended_ranges(evs, as_of)
        for ev in evs:
            if ev.type is EventType.ACCEPTED:
                deadline = cal.deadline(ev.at.date(), 20, A.DayKind.WORKING, susp)
                assert_fact(name, {"kind": "accepted", "case": case, "id": ev.id,
                                   "deadline": deadline.toordinal()})
            elif ev.type is EventType.DECIDED:
                post(name, {"kind": "decided", "case": case, "id": ev.id,
                            "day": ev.at.date().toordinal()})
                if deciders is not None:
                    post(name, {"kind": "decision_post", "case": case, "id": f"{ev.id}/post",
                                "holds": int(ev.post in deciders)})
            else:
                post(name, {"kind": ev.type.value, "case": case, "id": ev.id})


def durable(events: list[Event], as_of: dt.date) -> int:
    """The same deadline rule in durable_rules: events posted per case; a rule fires when a
    decision arrives and compares it to the deadline carried by the acceptance fact."""
    from durable.lang import c, m, rule, ruleset, when_all

    late = [0]
    name = f"wenze_bench_{time.time_ns()}"
    with ruleset(name):
        @when_all(c.a << (m.kind == "accepted"),
                  c.d << ((m.kind == "decided") & (m.case == c.a.case)))
        def decided_late(ctx):
            if ctx.d.day > ctx.a.deadline:
                late[0] += 1

        @when_all(+m.kind)
        def other(ctx):
            pass
    del rule
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        by_case[ev.case].append(ev)
    post_cases(name, by_case, as_of)
    return late[0]


def measure(label: str, fn, n_cases: int, n_events: int) -> dict:
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"label": label, "cases": n_cases, "events": n_events, "seconds": seconds,
            "cases_s": n_cases / seconds, "events_s": n_events / seconds,
            "peak_mb": peak / 2**20, "value": value}


def timed(label: str, fn, n_cases: int, n_events: int, wall: bool = False) -> dict:
    """Time without tracemalloc (it slows Python code several times), then measure memory.
    Both wall-clock and CPU seconds are reported (a shared machine makes the wall clock noisy);
    the rates use CPU seconds (wall seconds for the multi-process row, whose work is done in
    child processes; its peak memory is the parent's only)."""
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = measure(label, fn, n_cases, n_events)
    per = seconds if wall else cpu  # forked workers' CPU is not this process's: use the wall
    row.update(seconds=seconds, cpu=cpu, cases_s=n_cases / per, events_s=n_events / per,
               value=value)
    return row


def run(n_cases: int, durable_cases: int) -> list[dict]:
    as_of = dt.date(2024, 12, 31)
    loaded = load_text(RULEBOOK, "<bench>")
    assert loaded.ok, loaded.diagnostics
    program = lower(loaded.rulebook)
    t0 = time.perf_counter()
    events = caseload(n_cases)
    print(f"generated {n_cases:,} cases / {len(events):,} events in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    rows = []
    def wenze_late(workers: int = 1) -> int:
        result = evaluate(program, events, as_of, workers=workers)
        return len({d.case for d in result.decisions if d.violation == "超过法定时限"})

    rows.append(timed("wenze evaluate (all rules)", wenze_late, n_cases, len(events)))

    def columnar_late() -> int:  # the columnar fast path, from the same Event objects
        from wenze.fast.columnar import evaluate_columnar

        result = evaluate_columnar(program, events, as_of)
        return len({d.case for d in result.decisions if d.violation == "超过法定时限"})

    rows.append(timed("wenze columnar (all rules)", columnar_late, n_cases, len(events)))
    cpus = os.cpu_count() or 1
    if cpus > 1:
        rows.append(timed(f"wenze evaluate, {cpus} processes", lambda: wenze_late(0), n_cases,
                          len(events), wall=True))
    rows.append(timed("plain per-case loop", lambda: plain_loop(events, as_of), n_cases,
                      len(events)))
    if durable_cases:
        subset = [e for e in events if int(e.case[1:]) < durable_cases]
        rows.append(timed(f"durable_rules ({durable_cases:,} cases)",
                          lambda: durable(subset, as_of), durable_cases, len(subset)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 cases")
    parser.add_argument("--durable", type=int, default=2_000,
                        help="cases posted to durable_rules (0: skip)")
    args = parser.parse_args()
    sizes = [args.cases] + ([1_000_000] if args.million else [])
    for n in sizes:
        rows = run(n, args.durable)
        print(f"\n{'':<34}{'wall s':>8}{'CPU s':>8}{'cases/s':>11}{'events/s':>12}"
              f"{'peak MB':>9}{'result':>9}")
        for r in rows:
            print(f"{r['label']:<34}{r['seconds']:>8.2f}{r['cpu']:>8.2f}{r['cases_s']:>11,.0f}"
                  f"{r['events_s']:>12,.0f}{r['peak_mb']:>9.1f}{r['value']:>9,}")
        print("result = cases late on the statutory deadline (the three must agree)")


if __name__ == "__main__":
    main()
