"""Benchmark of a rulebook family on the columnar fast path (not a test): the cost of judging a
caseload by two versions (each act by the version in force, 从旧兼从轻) against one version.

    python benchmarks/bench_versions.py                  # 100k cases (~1.5M events)
    python benchmarks/bench_versions.py --cases 1000000  # 1M cases (~15M events; ~8 GB RAM)

The caseload is ``bench_columnar``'s (``columns_caseload.caseload_columns``: one item, a 6-step
process, cases accepted from January 2023 to October 2024, seed 7), judged as of 2024-12-31:

- ``one version``: :func:`wenze.fast.columnar.evaluate_columnar` with ``bench_evaluate``'s
  rulebook (``基准``) alone;
- ``two-version family``: :func:`wenze.fast.versions.evaluate_versions_columnar` with a family
  of that rulebook (in force from 2023-01-01) and a 2024 revision (in force from 2024-01-01: the
  statutory limit shortened from 20 to 18 working days, a lighter ladder, a violation repealed)
  — so the cases accepted in 2023 are judged under both, and every act of 2023 goes through
  从旧兼从轻;
- ``reference family`` (``--reference``): :func:`wenze.engine.versions.evaluate_versions` on
  the same events (rebuilt as ``Event`` objects, not timed), for scale.

Each row is timed twice: the evaluation alone (both results' decisions are lazy tables, made
when read: the family's each from the ladder its 从旧兼从轻 choice takes), and the evaluation with
every decision's JSON (what ``wenze evaluate --format json`` writes). The two rows' ratio is the
figure the issue sets (≤ 1.3×). CPU is this process's (``--workers 1``, the default: no forked
children, whose CPU would not be counted). The same machine load for both rows is not
guaranteed — run it quiet, or with ``nice`` and read ``uptime``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_evaluate as B
from columns_caseload import caseload_columns

from wenze.dsl.family import load_family
from wenze.dsl.loader import load_text
from wenze.engine.lower import lower
from wenze.engine.versions import evaluate_versions, lower_family
from wenze.fast.columnar import evaluate_columnar
from wenze.fast.versions import evaluate_versions_columnar

AS_OF = dt.date(2024, 12, 31)

HEADER = '规则集 「基准」 { 版本 "bench" }'
V2023 = B.RULEBOOK.replace(HEADER, '规则集 「基准」 {\n  版本 "2023"\n  生效 2023-01-01\n}')
V2024 = """规则集 「基准」 {
  版本 "2024"
  生效 2024-01-01
  继承 "v2023.wz"
}
覆盖 事项 「建设许可」 依据 「行政许可法」 "第四十二条" {
  单位 「审批局」
  日历 「法定工作日」
  流程 「建设项目审批」
  法定时限 18 工作日
  承诺时限 15 工作日
  延期 10 工作日 批准 「延期批准权」
  补正告知 5 工作日 一次性
  中止计时 「专家评审」、「检验」
  预警 提前 2 工作日
  黄牌 逾期
  红牌 逾期 3 工作日
}
覆盖 阶梯 「效能问责」 依据 「行政许可法」 "第七十四条" {
  计次期间 滚动 12 个月
  等级 「效能告诫」、「通报批评」、「诫勉谈话」
  第 1 次 「效能告诫」
  第 2 次 「效能告诫」
  第3次及以上 「通报批评」
  从轻 「主动纠正」 降 1 级
  免责 「不可抗力」
}
废止 违规 「前置未完成即开始」 依据 「行政许可法」 "第七十四条"
"""
FAMILY = '规则族 「基准」 {\n  版本 "v2023.wz"\n  版本 "v2024.wz"\n}\n'


def family_versions(folder: Path) -> list[Any]:
    """The two-version family, written to ``folder`` and lowered."""
    for name, text in (("v2023.wz", V2023), ("v2024.wz", V2024), ("family.wz", FAMILY)):
        (folder / name).write_text(text, encoding="utf-8")
    family = load_family(folder / "family.wz")
    if not family.ok:
        raise SystemExit(f"the benchmark family has errors: {family.errors or family.diagnostics}")
    return lower_family(family)


def _json_lines(result: Any) -> int:
    """Every decision's JSON (as ``wenze evaluate --format json`` makes it): the bytes."""
    import orjson

    return sum(len(orjson.dumps(d.to_json())) for d in result.decisions)


def _row(label: str, run: Callable[[], Any], with_json: bool) -> dict[str, Any]:
    def work() -> Any:
        result = run()
        return _json_lines(result) if with_json else len(result.decisions)

    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    value = work()
    r = {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "value": value}
    gc.collect()
    print(f"  {label}{' + JSON' if with_json else ''}: {r['wall']:.2f} s wall, "
          f"{r['cpu']:.2f} s CPU ({r['value']:,} {'bytes' if with_json else 'decisions'})",
          flush=True)
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1,
                        help="processes screening a caseload of 100k cases or more (0: one per "
                             "CPU; default 1, so that CPU seconds compare)")
    parser.add_argument("--reference", type=int, default=0, metavar="N",
                        help="also time the reference family judge on the first N cases")
    args = parser.parse_args()
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        versions = family_versions(Path(tmp))
    single = lower(load_text(V2023, "<bench>").rulebook)
    t0 = time.perf_counter()
    cols = caseload_columns(args.cases)
    print(f"generated {args.cases:,} cases / {len(cols):,} events as columns in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    gc.collect()
    rows: dict[str, dict[str, Any]] = {}
    for with_json in (False, True):
        one = _row("one version", lambda: evaluate_columnar(single, cols, AS_OF,
                                                           workers=args.workers), with_json)
        two = _row("two-version family",
                   lambda: evaluate_versions_columnar(versions, cols, AS_OF,
                                                              workers=args.workers), with_json)
        rows[f"one{with_json}"], rows[f"two{with_json}"] = one, two
        print(f"  ratio family / one version{' (with JSON)' if with_json else ''}: "
              f"{two['wall'] / one['wall']:.2f}× wall, {two['cpu'] / one['cpu']:.2f}× CPU",
              flush=True)
    if args.reference:
        m = min(args.reference, args.cases)
        import numpy as np

        upto = int(np.searchsorted(cols.case, m))
        events = cols.events_at(np.arange(upto))
        _row(f"reference family ({m:,} cases)", lambda: evaluate_versions(versions, events,
                                                                          AS_OF), False)
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)


if __name__ == "__main__":
    main()
