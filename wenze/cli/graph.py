"""The ``wenze graph`` command: draw a process, a rulebook overview or a case on its process.

load (``wenze.dsl.loader``) → process model (``wenze.dsl.processes``) [+ events → case overlay]
→ **render** (``wenze.graphs.render``) → SVG / PNG / PDF / DOT.

    wenze graph RULEBOOK [--process NAME] [--overview] [--group-by unit|stage]
                [--case ID --events FILE --as-of DATE [--mapping NAME]] -o OUT.{svg,png,pdf,dot}

Exit status: 0 drawn, 1 the rulebook has errors (or the process has a cycle, or the case's events
cannot be placed), 2 bad usage (unknown process or case, missing option, unknown output format)
or an unreadable file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wenze.dsl import ast as A


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rulebook", help="the rulebook (.wz); its 继承 bases are followed")
    parser.add_argument("--process", metavar="NAME", help="the process (流程) to draw")
    parser.add_argument(
        "--overview",
        action="store_true",
        help="draw units → posts → powers (A/B delegation) and the penalty ladders instead",
    )
    parser.add_argument(
        "--group-by",
        choices=("unit", "stage"),
        default="unit",
        help="cluster the steps of a process by unit (default) or by stage",
    )
    parser.add_argument("--case", metavar="ID", help="overlay the state of this case")
    parser.add_argument("--events", metavar="FILE", help="the case events (JSONL, CSV or XES)")
    parser.add_argument("--as-of", metavar="DATE", help="the day of the overlay (YYYY-MM-DD)")
    parser.add_argument(
        "--mapping", metavar="NAME", help="the CSV/XES column mapping (built-in name or file)"
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="OUT.svg, .png, .pdf or .dot"
    )


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _print_diagnostics(diagnostics: list[Any], sources: dict[str, str]) -> None:
    from wenze.dsl.render import render

    sys.stderr.write(render(diagnostics, sources, "zh"))


def _numbers_alike(name: str) -> str:
    """``ZT-2024-10`` and ``ZT-2024-010`` alike: numbers without their leading zeros."""
    import re

    return re.sub(r"\d+", lambda m: str(int(m.group(0))), name)


def _suggest(name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    alike = [k for k in known if k != name and _numbers_alike(k) == _numbers_alike(name)]
    close = alike + [c for c in difflib.get_close_matches(name, known, n=3, cutoff=0.4)
                     if c not in alike]
    close = close[:3]
    if not close:
        return ""
    return (
        "; did you mean "
        + " or ".join(f"`{c}`" for c in close)
        + "?（是否指 "
        + "、".join(f"「{c}」" for c in close)
        + "？）"
    )


def _listing(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names))


def _load(path: str) -> tuple[A.Rulebook | None, int]:
    try:
        from wenze.dsl.loader import load_rulebook
    except ImportError:  # pragma: no cover - before helper A's loader existed
        load_rulebook = None  # type: ignore[assignment]
    try:
        if load_rulebook is not None:
            result = load_rulebook(path)
            rulebook, diagnostics, sources = result.rulebook, result.diagnostics, result.sources
        else:  # pragma: no cover
            from wenze.dsl.parser import parse_file

            parsed = parse_file(path)
            rulebook, diagnostics = parsed.rulebook, parsed.diagnostics
            sources = {path: Path(path).read_text(encoding="utf-8")}
    except OSError as err:
        _err(f"error: cannot read `{path}`: {err.strerror or err}（无法读取规则集文件）")
        return None, 2
    errors = [d for d in diagnostics if d.is_error]
    if errors or rulebook is None:
        _print_diagnostics(diagnostics, sources)
        _err(f"error: `{path}` has {len(errors)} error(s); nothing drawn（规则集有错误，未绘图）")
        return None, 1
    return rulebook, 0


def _case_events(args: argparse.Namespace) -> tuple[list[Any], dt.date | None, int]:
    missing = [o for o, v in (("--events", args.events), ("--as-of", args.as_of)) if not v]
    if missing:
        _err(
            f"error: --case needs {' and '.join(missing)}（--case 须同时给出 --events 和 --as-of）"
        )
        return [], None, 2
    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        _err(f"error: --as-of `{args.as_of}` is not a date YYYY-MM-DD（日期格式应为 YYYY-MM-DD）")
        return [], None, 2
    from wenze.events.readers import read_events

    try:
        batch = read_events(args.events, mapping=args.mapping)
    except OSError as err:
        _err(f"error: cannot read `{args.events}`: {err.strerror or err}（无法读取事件文件）")
        return [], None, 2
    except ValueError as err:
        _err(f"error: {err}")
        return [], None, 2
    for r in batch.rejected:
        _err(f"{r.source}:{r.line}: rejected event `{r.event_id}` [{r.code}]: {r.message}")
    cases = sorted({e.case for e in batch.events if e.case})
    if args.case not in cases:
        _err(
            f"error: no events of case `{args.case}` in `{args.events}`"
            + _suggest(args.case, cases)
            + (f"; cases there: {_listing(cases[:20])}" if cases else "; it has no valid events")
            + (f" (and {len(cases) - 20} more)" if len(cases) > 20 else "")
            + f"（事件文件中没有案件 {args.case}）"
        )
        return [], None, 2
    # every event: the engine judges the case as `wenze evaluate` does from the whole file (staff
    # events of no case say who covers for whom, other cases who holds a post); the overlay
    # itself reads the events of the case only
    return list(batch.events), as_of, 0


def _choose_process(
    rulebook: A.Rulebook, wanted: str | None, events: list[Any]
) -> tuple[A.ProcessDecl | None, int]:
    processes = rulebook.named(A.ProcessDecl)
    if wanted is not None:
        wanted = A.plain_name(wanted)  # 「X」 as the rulebook writes it, or X
        found = processes.get(wanted)
        if not isinstance(found, A.ProcessDecl):
            _err(
                f"error: unknown process `{wanted}`"
                + _suggest(wanted, processes)
                + (f"; processes: {_listing(processes)}" if processes else "; it has none")
                + f"（规则集中没有流程「{wanted}」）"
            )
            return None, 2
        return found, 0
    # A case's item may name its process.
    items = rulebook.named(A.ItemDecl)
    for event in events:
        item = items.get(event.item or "")
        if isinstance(item, A.ItemDecl) and item.process and item.process.text in processes:
            found = processes[item.process.text]
            assert isinstance(found, A.ProcessDecl)
            return found, 0
    if len(processes) == 1:
        (only,) = processes.values()
        assert isinstance(only, A.ProcessDecl)
        return only, 0
    if not processes:
        _err(
            "error: the rulebook declares no process (流程); draw --overview instead"
            "（规则集没有流程）"
        )
    else:
        _err(
            f"error: the rulebook declares {len(processes)} processes; choose one with --process: "
            f"{_listing(processes)}（请用 --process 指定流程）"
        )
    return None, 2


def run(args: argparse.Namespace) -> int:
    from wenze.dsl.processes import ProcessCycleError
    from wenze.graphs import render as R

    try:
        R.output_format(args.output)
    except ValueError as err:
        _err(f"error: {err}")
        return 2
    if args.overview and (args.process or args.case):
        _err("error: --overview draws the whole rulebook; leave out --process/--case")
        return 2
    rulebook, status = _load(args.rulebook)
    if rulebook is None:
        return status

    if args.overview:
        graph = R.render_overview(rulebook)
    else:
        events: list[Any] = []  # every event of the file (the engine reads them all)
        as_of: dt.date | None = None
        if args.case:
            events, as_of, status = _case_events(args)
            if status:
                return status
        elif args.events or args.as_of:
            _err("error: --events/--as-of need --case ID（须用 --case 指定案件）")
            return 2
        own = [e for e in events if e.case == args.case]  # the case's own events
        process, status = _choose_process(rulebook, args.process, own)
        if process is None:
            return status
        overlay = None
        try:
            if args.case:
                from wenze.dsl.calendar import CalendarRangeError
                from wenze.graphs.overlay import OverlayError, case_overlay, engine_view

                assert as_of is not None
                try:
                    view = engine_view(rulebook, events, as_of, args.case)
                    ids = {e.id for e in own}
                    for r in (r for r in view.rejected if r.event_id in ids):
                        _err(f"warning: {r.source}:{r.line}: the engine rejects event "
                             f"`{r.event_id}` [{r.code}]: {r.message}; `wenze evaluate` will not "
                             "judge it（引擎拒收此事件）")
                    _, overlay = case_overlay(rulebook, process, events, as_of, args.case, view)
                except (OverlayError, CalendarRangeError) as err:
                    _err(f"error: {err}")
                    return 1
            case_lines: list[str] = []
            if args.case:
                case_lines.append(f"案件 {args.case}（截至 {as_of}）")
                if view.case_accountable:
                    case_lines.append("本案问责：" + "、".join(view.case_accountable))
            graph = R.render_process(process, rulebook, overlay, group_by=args.group_by,
                                     case_lines=case_lines)
        except ProcessCycleError as err:
            _err(f"error: {err}")
            return 1
    try:
        R.write(graph, args.output)
    except R.RenderError as err:
        _err(f"error: {err}")
        return 1
    except OSError as err:
        _err(f"error: cannot write `{args.output}`: {err.strerror or err}（无法写入输出文件）")
        return 2
    return 0
