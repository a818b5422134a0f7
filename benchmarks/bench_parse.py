"""Benchmark (not a test): parse + check a generated 10,000-line rulebook.

text → **parse** → **load + check** → (render). Reports lines per second and peak memory for each
stage and compares the total with the target of 2 s. The grammar is built once before timing
(Lark caches it on disk; the first build of a fresh checkout takes a few seconds more).

    python benchmarks/bench_parse.py [--lines 10000] [--lang zh|en] [--seed 0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dsl.generate import rulebook_text  # noqa: E402
from wenze.dsl.formatter import format_rulebook  # noqa: E402
from wenze.dsl.loader import load_text  # noqa: E402
from wenze.dsl.parser import _lark, parse  # noqa: E402
from wenze.dsl.render import summary  # noqa: E402

TARGET_SECONDS = 2.0


def _measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall time of ``repeat`` runs, and the peak traced memory (MiB) of one more run."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--lang", choices=("zh", "en"), default="zh")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    started = time.perf_counter()
    _lark()
    grammar_s = time.perf_counter() - started
    text = rulebook_text(args.lines, args.seed, args.lang)
    lines = text.count("\n")
    file = f"generated_{lines}.wz"

    parse_s, parse_mib, parsed = _measure(lambda: parse(text, file), args.repeat)
    load_s, load_mib, loaded = _measure(lambda: load_text(text, file), args.repeat)
    assert parsed.rulebook is not None, parsed.diagnostics[:3]
    fmt_s, fmt_mib, _ = _measure(lambda: format_rulebook(parsed.rulebook), args.repeat)

    print(f"rulebook: {lines} lines, {len(text)} characters, "
          f"{len(parsed.rulebook.decls)} declarations ({args.lang}, seed {args.seed})")
    print(f"grammar ready in {grammar_s:.2f} s; checks: {summary(loaded.diagnostics, 'en')}")
    print()
    print(f"{'stage':<22}{'seconds':>9}{'lines/s':>11}{'peak MiB':>10}")
    rows = [
        ("parse", parse_s, parse_mib),
        ("parse + load + check", load_s, load_mib),
        ("format (for scale)", fmt_s, fmt_mib),
    ]
    for name, seconds, mib in rows:
        print(f"{name:<22}{seconds:>9.3f}{lines / seconds:>11,.0f}{mib:>10.1f}")
    verdict = "met" if load_s <= TARGET_SECONDS else "MISSED"
    print()
    print(f"target: parse + check <= {TARGET_SECONDS:.1f} s for {lines} lines: {verdict} "
          f"({load_s:.2f} s, best of {args.repeat})")
    return 0 if load_s <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
