"""``wenze diff OLD NEW``: what changed between two rulebooks, as a lawyer reads it.

    wenze diff OLD.wz NEW.wz [--format text|json|html] [--lang zh|en] [-o FILE]
                             [--events FILE --as-of DATE [--mapping NAME]]

Limits changed per item (with the clause), powers granted or withdrawn, violations added, removed
or changed, ladder steps and targets changed (:mod:`wenze.dsl.diff`); with ``--events`` the same
caseload is judged under both and the decisions that change are listed by case and by person
(:mod:`wenze.report.compare`, the machinery of ``wenze simulate --compare``).

Exit codes: 0 the comparison was made (whether or not anything changed), 1 a rulebook has errors,
2 bad usage or an unreadable file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from wenze.cli.files import load_reported
from wenze.fast.evaluators import add_evaluator_argument, evaluator_for


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="the earlier rulebook (.wz), or a rulebook family alone: "
                        "the change log of its versions, one after another")
    parser.add_argument("new", nargs="?", help="the later rulebook (.wz)")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh",
                        help="the language of the text output (JSON and HTML carry both)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE")
    parser.add_argument("--events", metavar="FILE",
                        help="judge these events under both rulebooks and list the decisions "
                        "that change")
    parser.add_argument("--as-of", metavar="DATE", help="the decision date for --events")
    parser.add_argument("--mapping", metavar="NAME", help="a CSV/XES mapping for --events")
    add_evaluator_argument(parser)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _decisions(args: argparse.Namespace, old: Any, new: Any) -> tuple[dict[str, Any] | None, int]:
    from wenze.cli.event_files import mapping_named
    from wenze.engine.lower import lower
    from wenze.events import readers as E
    from wenze.report.compare import compare_results, differing_persons, summarize

    if not args.as_of:
        _err("error: --events needs --as-of DATE; 缺少评价日期")
        return None, 2
    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        _err(f"error: --as-of `{args.as_of}` is not a date (YYYY-MM-DD); 日期格式错误")
        return None, 2
    try:
        batch = E.read_events(args.events, mapping=mapping_named(args.mapping))
    except (OSError, ValueError, E.EventError) as err:
        _err(f"error: cannot read events `{args.events}`: {err}; 无法读取事件文件")
        return None, 2
    _chosen, evaluate = evaluator_for(args.evaluator, batch.events)
    results = [evaluate(lower(rb), batch.events, as_of, rejected=batch.rejected)
               for rb in (old, new)]
    a, b = results
    comparison = compare_results(a, b, summarize(a), summarize(b))
    comparison["persons"], comparison["persons_shown"] = differing_persons(a.decisions,
                                                                           b.decisions)
    comparison["as_of"] = as_of.isoformat()
    comparison["events"] = str(args.events)
    return comparison, 0


def _family_log(args: argparse.Namespace) -> int:
    """``wenze diff FAMILY``: each version against the one before it."""
    from wenze.cli.evaluate import print_diagnostics
    from wenze.dsl.diff import diff_rulebooks
    from wenze.dsl.family import load_family
    from wenze.dsl.loader import flatten_items

    if args.events:
        _err("error: --events compares two rulebooks: name both; 比较决定须给出两个规则集")
        return 2
    try:
        family = load_family(args.old)
    except OSError as err:
        _err(f"error: cannot read `{args.old}`: {err}; 无法读取文件")
        return 2
    if family.family is None:
        _err(f"error: `{args.old}` is not a rulebook family; give two rulebooks to compare; "
             "单个文件须为规则族")
        return 2
    if not family.ok:
        print_diagnostics(family.errors, family.sources)
        return 1
    parts: list[str] = []
    docs: list[dict[str, Any]] = []
    for a, b in zip(family.versions, family.versions[1:], strict=False):
        diff = diff_rulebooks(flatten_items(a.rulebook), flatten_items(b.rulebook))
        title = (f"版本 {a.label}（{a.effective_from} 起）→ 版本 {b.label}（{b.effective_from} 起）"
                 if args.lang == "zh" else
                 f"version {a.label} (from {a.effective_from}) → version {b.label} "
                 f"(from {b.effective_from})")
        parts.append(f"== {title} ==\n" + diff.text(args.lang, a.path, b.path))
        docs.append(diff.to_json() | {"old": a.path, "new": b.path,
                                      "old_from": a.effective_from.isoformat(),
                                      "new_from": b.effective_from.isoformat()})
    if args.format == "json":
        text = json.dumps({"family": family.family.name.text, "versions": docs},
                          ensure_ascii=False, indent=2) + "\n"
    else:
        text = "\n".join(parts) if parts else ("规则族只有一个版本。\n" if args.lang == "zh"
                                                else "The family has one version.\n")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def run(args: argparse.Namespace) -> int:
    from wenze.dsl.diff import diff_rulebooks
    from wenze.dsl.loader import flatten_items
    from wenze.report.diff import decisions_text, render_html

    if args.new is None:
        return _family_log(args)
    old, status = load_reported(args.old, "未比较")
    if old is None:
        return status
    new, status = load_reported(args.new, "未比较")
    if new is None:
        return status
    diff = diff_rulebooks(flatten_items(old), flatten_items(new))
    comparison = None
    if args.events:
        comparison, status = _decisions(args, old, new)
        if comparison is None:
            return status
    if args.format == "json":
        doc = diff.to_json() | {"old": args.old, "new": args.new}
        if comparison is not None:
            doc["decisions"] = comparison
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    elif args.format == "html":
        text = render_html(diff, args.old, args.new, comparison)
    else:
        text = diff.text(args.lang, args.old, args.new)
        if comparison is not None:
            text += decisions_text(comparison, args.lang)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
