"""The ``wenze simulate`` command: what-if evaluation of a synthetic caseload (simulation stage).

profile + rulebook → :func:`wenze.simulate.caseload.generate` → evaluate (one or two rulebooks) →
metrics, case-by-case differences, an HTML report with charts.

    wenze simulate RULEBOOK --cases N --seed S [--as-of DATE] [--compare OTHER_RULEBOOK]
                   [--profile FILE] [--events-out FILE] [--report out.html]
                   [--format table|json] [--evaluator auto|reference|columnar]

Reported: 按时办结率 and 现场办结率 per unit, violations by kind and unit, sanctions by level,
warnings by level; with ``--compare``, the cases whose decisions differ (first 20 and the count,
both sides) and the totals per violation and per sanction level (A, B, B−A). Both rulebooks are
judged by the evaluator ``--evaluator`` names (:mod:`wenze.fast.evaluators`; the report is the
same whichever runs). Exit status: 0 success, 1 a rulebook has errors, 2 an unreadable file or a
bad argument or profile.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from wenze.cli.files import load_reported
from wenze.fast.evaluators import add_evaluator_argument, evaluator_for
from wenze.report.compare import (
    compare_results,
    level_order,
    ordered,
    summarize,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rulebook", help="the rulebook (.wz) the caseload is generated for")
    parser.add_argument("--cases", type=int, default=None, metavar="N",
                        help="number of cases (default: the profile's cases_per_year)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed; the same seed gives the same caseload (default 0)")
    parser.add_argument("--as-of", metavar="DATE",
                        help="evaluate as of this date (default: the profile's period.as_of)")
    parser.add_argument("--compare", metavar="OTHER_RULEBOOK",
                        help="evaluate the same caseload under this rulebook too and compare")
    parser.add_argument("--profile", metavar="FILE",
                        help="caseload profile (.json or .toml) over the built-in default")
    parser.add_argument("--events-out", metavar="FILE",
                        help="write the generated caseload as JSON Lines")
    parser.add_argument("--report", metavar="FILE", help="write an HTML report with charts")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_evaluator_argument(parser)


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr; silent when stderr is not a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.total = max(1, total)
        self.on = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = ""
        self.last = 0.0
        self.n = 0

    def stage(self, label: str, restart: bool = False) -> None:
        """A new stage: the label changes; the count restarts only when asked."""
        self.label = label
        self.update(0 if restart else self.n, force=True)

    def update(self, n: int, force: bool = False) -> None:
        self.n = n
        if not self.on:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.1 and n < self.total:
            return
        self.last = now
        width = 30
        filled = width * min(n, self.total) // self.total
        self.stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] "
                          f"{100 * min(n, self.total) // self.total:3d}% {self.label:<24}")
        self.stream.flush()

    def close(self) -> None:
        if self.on:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()


# --------------------------------------------------------------------------- summaries


# --------------------------------------------------------------------------- text output


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}%"


def render_table(doc: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"模拟 simulation: {doc['rulebook']} — {doc['cases']} 件 cases, seed {doc['seed']}, "
        f"截至 as of {doc['as_of']}")
    add(f"画像 profile: {doc['profile']}")
    for label, s in (("A", doc["summary"]), ("B", doc.get("summary_b"))):
        if s is None:
            continue
        if "summary_b" in doc:
            add("")
            add(f"== {label}: {doc['rulebook'] if label == 'A' else doc['compare']} ==")
        add(f"评估 evaluated: {s['cases']} 件, {s['events']} 事件 events "
            f"({s['events_after_as_of']} 晚于截至日 after as-of), 拒收 rejected {s['rejected']}, "
            f"未判 unjudged {s['unjudged']}, 决定 decisions {s['decisions']}")
        add("")
        add(f"{'单位 unit':<16}{'收件':>8}{'办结':>8}{'按时办结率':>12}{'现场办结率':>12}"
            f"{'逾期未结':>8}")
        for u in s["units"]:
            add(f"{u['unit']:<16}{u['received']:>8}{u['decided']:>8}"
                f"{_pct(u['on_time_rate']):>12}{_pct(u['on_the_spot_rate']):>12}"
                f"{u['overdue_open']:>8}")
        add("")
        add("违规 violations (kind, unit):")
        for v in s["violations"] or [{"violation": "（无）", "unit": "", "count": 0}]:
            add(f"  {v['violation']:<20} {v['unit']:<12} {v['count']:>6}")
        add("处分 sanctions by level: " + ("、".join(
            f"{k} {s['sanctions'][k]}" for k in ordered(s["sanctions"], doc["levels"]))
            or "（无）"))
        add("预警 warnings: " + "、".join(
            f"{k} {n}" for k, n in s["warnings"].items()))
    cmp_ = doc.get("comparison")
    if cmp_:
        add("")
        add(f"== 比较 comparison A={doc['rulebook']} B={doc['compare']} ==")
        add(f"决定不同的案件 cases whose decisions differ: {cmp_['differing_cases']}")
        for row in cmp_["shown"]:
            add(f"  {row['case']}")
            add("    A: " + ("; ".join(row["a"]) or "（无决定）"))
            add("    B: " + ("; ".join(row["b"]) or "（无决定）"))
        if cmp_["differing_cases"] > len(cmp_["shown"]):
            add(f"  … 另有 {cmp_['differing_cases'] - len(cmp_['shown'])} 件 more")
        for title, key in (("违规 violations", "violations"), ("处分 sanctions", "sanctions"),
                           ("预警 warnings", "warnings")):
            add(f"{title}:{'A':>10}{'B':>8}{'B−A':>8}")
            rows = {r["name"]: r for r in cmp_[key]}
            names = ordered(rows, doc["levels"]) if key == "sanctions" else sorted(rows)
            for r in (rows[n] for n in names):
                add(f"  {r['name']:<20}{r['a']:>8}{r['b']:>8}{r['b_minus_a']:>+8}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML report


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def charts(doc: dict[str, Any], durations: Sequence[int]) -> list[tuple[str, str]]:
    """(title, base64 PNG) of each chart: durations, sanctions by level, comparison bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    out: list[tuple[str, str]] = []
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if durations:
        top = max(durations)
        ax.hist(durations, bins=range(0, top + 2), color="#4472c4", align="left")
    ax.set_title("办理用时分布（受理至决定，工作日）")
    ax.set_xlabel("工作日")
    ax.set_ylabel("案件数")
    out.append(("办理用时分布 case durations", _png(fig)))
    sides = [("A", doc["summary"])] + ([("B", doc["summary_b"])] if "summary_b" in doc else [])
    for title, key in (("处分等级 sanctions by level", "sanctions"),
                       ("违规种类 violations by kind", "violations_total")):
        names = sorted({k for _l, s in sides for k in s[key]})
        if key == "sanctions":
            names = ordered(names, doc["levels"])
        fig, ax = plt.subplots(figsize=(7, 3.5))
        width = 0.8 / len(sides)
        for i, (label, s) in enumerate(sides):
            xs = [j + i * width for j in range(len(names))]
            ax.bar(xs, [s[key].get(n, 0) for n in names], width=width, label=label)
        ax.set_xticks([j + width * (len(sides) - 1) / 2 for j in range(len(names))])
        ax.set_xticklabels(names, rotation=20, ha="right")
        ax.set_title(title.split(" ")[0] + ("（A 与 B 比较）" if len(sides) > 1 else ""))
        ax.set_ylabel("次数")
        if len(sides) > 1:
            ax.legend()
        out.append((title, _png(fig)))
    return out


def render_html(doc: dict[str, Any], durations: Sequence[int]) -> str:
    """A self-contained HTML report (charts embedded as base64 PNG, the text report below)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>wenze 模拟报告 {esc(doc['rulebook'])}</title>",
        "<style>body{font-family:'Noto Sans CJK SC',sans-serif;margin:2em;max-width:60em}"
        "pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style></head><body>",
        f"<h1>模拟报告 simulation report</h1><p>{esc(doc['rulebook'])}"
        + (f" ⟷ {esc(doc['compare'])}" if doc.get("compare") else "")
        + f" — {doc['cases']} 件, seed {doc['seed']}, 截至 {esc(doc['as_of'])}</p>",
    ]
    for title, data in charts(doc, durations):
        parts.append(f"<h2>{esc(title)}</h2>")
        parts.append(f'<img alt="{esc(title)}" src="data:image/png;base64,{data}">')
    parts.append("<h2>明细 details</h2>")
    parts.append(f"<pre>{esc(render_table(doc))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- the command


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _load(path: str) -> tuple[Any, int]:
    """(the lowered program, 0), or (None, exit status) after reporting the problem."""
    from wenze.engine.lower import lower

    rulebook, status = load_reported(path, "未模拟")
    return (None, status) if rulebook is None else (lower(rulebook), 0)


def run(args: argparse.Namespace) -> int:
    from wenze.simulate.caseload import (
        ProfileError,
        duration_days,
        generate,
        load_profile,
        to_jsonl,
    )

    try:
        profile = load_profile(args.profile)
    except OSError as err:
        _err(f"error: cannot read profile `{args.profile}`: {err}; 无法读取画像文件")
        return 2
    except ProfileError as err:
        _err(f"error: {err}")
        return 2
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else profile.as_of
    except ValueError:
        _err(f"error: --as-of `{args.as_of}` is not a date (YYYY-MM-DD); 日期格式错误")
        return 2
    cases = args.cases if args.cases is not None else int(profile["cases_per_year"])
    if cases < 0:
        _err("error: --cases must be ≥ 0; 案件数不能为负")
        return 2
    program, status = _load(args.rulebook)
    if program is None:
        return status
    other = None
    if args.compare:
        other, status = _load(args.compare)
        if other is None:
            return status
    bar = Progress(cases)
    bar.stage("生成 generating")
    try:
        events = generate(program, profile, cases, args.seed, progress=bar.update)
    except ProfileError as err:
        bar.close()
        _err(f"error: {err}")
        return 2
    if args.events_out:
        Path(args.events_out).write_text(to_jsonl(events), encoding="utf-8")
    _chosen, evaluate = evaluator_for(getattr(args, "evaluator", "auto"), events)
    bar.stage("评估 evaluating A")
    result = evaluate(program, events, as_of)
    doc: dict[str, Any] = {
        "rulebook": args.rulebook, "seed": args.seed, "cases": cases,
        "as_of": as_of.isoformat(), "profile": profile.name, "summary": summarize(result),
        "levels": level_order(program, *([other] if other is not None else [])),
    }
    if other is not None:
        bar.stage("评估 evaluating B")
        result_b = evaluate(other, events, as_of)
        doc["compare"] = args.compare
        doc["summary_b"] = summarize(result_b)
        doc["comparison"] = compare_results(result, result_b, doc["summary"], doc["summary_b"])
    bar.update(cases, force=True)
    bar.close()
    for r in list(result.rejected)[:5]:
        _err(f"A: rejected event {r.event_id or '?'}: [{r.code}] {r.message}")
    if args.report:
        bar.stage("图表 charts")
        durations = sorted(duration_days(program, events).values())
        Path(args.report).write_text(render_html(doc, durations), encoding="utf-8")
        bar.close()
    if args.format == "json":
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
    else:
        sys.stdout.write(render_table(doc))
    return 0
