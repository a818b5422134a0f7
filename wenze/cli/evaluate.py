"""The ``wenze evaluate`` command: rulebook + case events → decisions (the product's main job).

load (``wenze.dsl.loader``) → lower → read events (``wenze.events.readers``, ``read_columns``,
``arrow``) → evaluate → output (``--format jsonl|parquet``: written as the decisions are made).

    wenze evaluate RULEBOOK EVENTS --as-of DATE [--format table|json|csv|jsonl|parquet]
                   [--explain CASE] [--decision KEY] [--strict] [-o FILE|DIR] [--db URL]
                   [--evaluator auto|reference|columnar] [--quiet]
    wenze evaluate RULEBOOK 'events/*.parquet' --as-of DATE --dask local|tcp://HOST:PORT …
                                                      (the cases judged on a Dask cluster)
    wenze evaluate RULEBOOK --db URL --as-of DATE [--evaluator …]
                                                      (evaluate the events stored in the database;
                                                       without --db: $WENZE_DB)

With ``--db`` beside an events file the run is also recorded in the store; with ``--db`` and no
file, the stored events are evaluated (earlier runs' sanctions feed the ladder) and the run is
recorded. A second run with the same inputs records nothing new.

Every rejected event is reported on stderr with its file, line, id and reason; the valid rest is
still evaluated. Exit status: 0 success, 1 the rulebook has errors (or ``--strict`` and a bad
event), 2 an unreadable file or a bad argument.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from wenze.cli.event_files import mapping_named, read_files
from wenze.cli.progress import Progress
from wenze.dsl.ast import plain_name
from wenze.fast.evaluators import (
    add_evaluator_argument,
    evaluator_for,
    family_evaluator_for,
    reads_columns,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rulebook", help="the rulebook (.wz); its 继承 bases are followed")
    parser.add_argument("events", nargs="?",
                        help="case events: JSON Lines (.jsonl), CSV, XES, Parquet (.parquet) or "
                             "Arrow IPC (.arrow); leave out with --db to evaluate the stored "
                             "events")
    parser.add_argument("--rulebook-path", metavar="DIR",
                        help="the folder 继承 may reach (default: the rulebook's own folder)")
    parser.add_argument("--as-of", required=True, metavar="DATE",
                        help="evaluate as of this date (YYYY-MM-DD); later events are ignored")
    parser.add_argument("--format", choices=("table", "json", "csv", "jsonl", "parquet"),
                        default="table",
                        help="table, the JSON document, CSV; jsonl: one decision a line, "
                             "written as made (-o DIR: every record, a file each); parquet: a "
                             "directory of Parquet files (-o DIR; docs/semantics.md §8)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress line on stderr (it is shown only on a terminal)")
    parser.add_argument("--explain", metavar="CASE",
                        help="print the full trace of one case (deadlines day by day, rules, "
                             "ladder)")
    parser.add_argument("--decision", metavar="KEY",
                        help="print one decision as a 问责决定书 (decision letter)")
    parser.add_argument("--strict", action="store_true",
                        help="stop at the first bad event (exit 1)")
    parser.add_argument("--mapping", metavar="NAME",
                        help="the CSV/XES column mapping: a built-in name (receipt, xes) or a "
                             ".toml/.json mapping file")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE")
    add_evaluator_argument(parser)
    parser.add_argument("--dask", metavar="ADDRESS",
                        help="judge the cases on a Dask cluster: `local` (a LocalCluster on "
                             "this machine) or a scheduler's address (tcp://host:8786); EVENTS "
                             "may then be a glob ('events/*.parquet'); docs/scale.md")
    parser.add_argument("--dask-workers", type=int, default=2, metavar="N",
                        help="workers of `--dask local` (default 2)")
    parser.add_argument("--db", metavar="URL",
                        help="record the run in this database (SQLite or PostgreSQL URL); "
                             "without EVENTS, evaluate the events stored there (default: "
                             "$WENZE_DB)")


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def print_diagnostics(diagnostics: list[Any], sources: dict[str, str]) -> None:
    from wenze.dsl.render import render

    sys.stderr.write(render(diagnostics, sources, "zh"))


def run(args: argparse.Namespace) -> int:
    from wenze.dsl.loader import load_rulebook
    from wenze.engine.lower import lower
    from wenze.events import readers as E
    from wenze.events.arrow import arrow_format, read_arrow

    if args.explain:  # a case id, with or without 「」 as a rulebook writes names
        args.explain = plain_name(args.explain)
    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        _err(f"error: --as-of `{args.as_of}` is not a date (YYYY-MM-DD); 日期格式错误")
        return 2
    family = _family(args.rulebook)
    family_run = None
    if family is not None:  # each act by the version in force when it happened (从旧兼从轻)
        from wenze.engine.versions import VersionError, lower_family, program_on

        if not family.ok:
            print_diagnostics(family.errors or family.diagnostics, family.sources)
            _err(f"error: rulebook family `{args.rulebook}` has errors; 规则族有错误，未评价")
            return 1
        versions = lower_family(family)
        try:
            program = program_on(versions, as_of)
        except VersionError as err:
            _err(f"error: {err}")
            return 2
        family_run = versions
        sources = family.sources
    else:
        try:
            loaded = load_rulebook(args.rulebook, getattr(args, "rulebook_path", None))
        except OSError as err:
            _err(f"error: cannot read rulebook `{args.rulebook}`: {err}; 无法读取规则文件")
            return 2
        if not loaded.ok or loaded.rulebook is None:
            print_diagnostics(loaded.errors or loaded.diagnostics, loaded.sources)
            _err(f"error: rulebook `{args.rulebook}` has errors; 规则集有错误，未评价")
            return 1
        program = lower(loaded.rulebook)
        sources = loaded.sources
    if args.events is None:
        args.db = args.db or os.environ.get("WENZE_DB")  # as `wenze ingest` and `wenze db`
        if not args.db:
            _err("error: give an events file, or --db URL (or WENZE_DB) to evaluate the stored "
                 "events; 缺少事件文件")
            return 2
        return _evaluate_stored(args, as_of, program)
    if getattr(args, "dask", None):
        return _evaluate_on_dask(args, as_of, program)
    if not Path(args.events).is_file():
        _err(f"error: cannot read events `{args.events}`; 无法读取事件文件")
        return 2
    if args.format == "parquet" and not args.output:
        _err("error: --format parquet writes a directory: give -o DIR; 请用 -o 指定输出目录")
        return 2
    mapping = mapping_named(getattr(args, "mapping", None))
    asked = getattr(args, "evaluator", "auto")
    progress = Progress(enabled=not getattr(args, "quiet", False))
    progress.begin("reading events 读取事件")
    try:
        if arrow_format(args.events):  # Parquet, Arrow IPC: straight into columns
            batch = read_arrow(args.events, strict=args.strict)
        elif mapping is None and reads_columns(asked, args.events):  # no Event objects
            from wenze.events.arrow import read_jsonl_arrow  # (read_columns' very outcome)

            batch = read_jsonl_arrow(args.events, strict=args.strict)
        elif args.strict:
            batch = E.read_events(args.events, mapping=mapping, strict=True)
        else:
            batch = E.read_events(args.events, mapping=mapping)
    except OSError as err:
        _err(f"error: cannot read events `{args.events}`: {err}")
        return 2
    except E.EventError as err:
        _err(f"error: {err}")
        return 1
    except ValueError as err:  # a bad mapping file
        _err(f"error: {err}")
        return 2
    finally:
        progress.end()
    columns = getattr(batch, "columns", None)
    if family_run is not None:  # the same choice, of the family's two judges
        chosen, run_with = family_evaluator_for(
            asked, batch.events if columns is None else columns, versions)
    else:
        chosen, run_with = evaluator_for(asked, batch.events if columns is None else columns)
    events = columns if chosen == "columnar" and columns is not None else batch.events
    prior: list[Any] = []
    explain = [args.explain] if args.explain else []
    progress.begin("judging 评价")
    if args.db:  # the ladder counts the sanctions earlier runs recorded there
        from wenze.store.evaluate import evaluate_with_history, stored_history

        try:
            cases = set(columns.case_names) if columns is not None else \
                {ev.case for ev in batch.events if ev.case}
            prior = stored_history(args.db, as_of, cases)
        except Exception as err:
            _err(f"error: cannot read the sanction history in `{args.db}`: {err}; "
                 f"无法读取数据库中的问责记录")
            return 2
        result, prior = evaluate_with_history(run_with, program, events, as_of, prior,
                                              rejected=batch.rejected, explain=explain)
        _err(f"note: ladder history: {len(prior)} earlier sanction(s) from `{args.db}`; "
             f"已读取既往问责记录")
    else:
        result = run_with(program, events, as_of, rejected=batch.rejected, explain=explain)
    progress.end()
    program_of = None
    if family_run is not None:
        from wenze.engine.versions import hybrid, procedure_version

        def program_of(case: str | None, version: str | None = None) -> Any:
            found = procedure_version(versions, batch.events, case)
            rules = next((v.program for v in versions if v.label == version), program)
            return hybrid(found.program, rules) if found is not None else rules

    code = _report(args, result, program, duplicates=batch.duplicates, progress=progress,
                   program_of=program_of)
    if code == 0 and args.db:
        from wenze.store.evaluate import store_evaluation, with_history

        try:
            run = store_evaluation(result, args.db, sources, batch.events,
                                   with_history({"events": str(args.events)}, prior))
        except Exception as err:  # the database is a user's input too: say what went wrong
            _err(f"error: cannot record the run in `{args.db}`: {err}; 无法写入数据库")
            return 2
        _note_run(run)
        _print_row_hash(args)
    return code


def _family(path: str) -> Any:
    """The loaded family when ``path`` is a rulebook family file, else None."""
    from wenze.dsl.family import load_family
    from wenze.dsl.parser import is_family

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # the rulebook path reports it
    return load_family(path) if is_family(text) else None


def _print_row_hash(args: argparse.Namespace) -> None:
    """Under the 问责决定书 of a recorded decision: the hash of its row in the decision chain
    (``wenze db verify`` recomputes it), so a printed letter can be matched to the store."""
    if not args.decision:
        return
    from wenze.store.chain import row_hash_of
    from wenze.store.db import make_engine

    engine = make_engine(args.db)
    try:
        found = row_hash_of(engine, args.decision)
    finally:
        engine.dispose()
    if found is None:
        return
    line = f"\n存证：决定链第 {found[0]} 行，哈希 {found[1]}\n（row {found[0]} of the decision " \
           f"chain, SHA-256 {found[1]}; check with `wenze db verify`）\n"
    if args.output:
        with open(args.output, "a", encoding="utf-8") as f:
            f.write(line)
    else:
        sys.stdout.write(line)


def _note_run(run: Any) -> None:
    if run.created:
        _err(f"note: run {run.run_id} recorded: {run.decisions_added} decision(s) added "
             f"({run.superseded} superseding), {run.unchanged} unchanged"
             + (f", {run.withdrawn} withdrawn" if run.withdrawn else "") + "; 已记录")
    else:
        _err(f"note: run {run.run_id} with the same inputs was already recorded; nothing added; "
             f"相同输入的评价已记录")


def _evaluate_stored(args: argparse.Namespace, as_of: dt.date, program: Any) -> int:
    from wenze.store.db import make_engine
    from wenze.store.evaluate import evaluate_stored

    engine = make_engine(args.db)
    try:
        stored = evaluate_stored(engine, args.rulebook, as_of,
                                 explain=[args.explain] if args.explain else (),
                                 evaluator=getattr(args, "evaluator", "auto"))
    except Exception as err:
        _err(f"error: cannot evaluate the events stored in `{args.db}`: {err}; "
             f"无法评价数据库中的事件")
        return 2
    finally:
        engine.dispose()
    code = _report(args, stored.result, program, duplicates=0)
    if code == 0:
        _note_run(stored.run)
        _print_row_hash(args)
    return code


def _where(r: Any) -> str:
    """``FILE:LINE`` of a rejected event (the file alone when it has no line)."""
    return f"{r.source}:{r.line}" if r.line else (r.source or "")


def _not_judged(u: Any) -> str:
    at = f" (event {u.event_id}, {u.source}:{u.line})" if u.event_id else ""
    return f"case {u.case}: not judged [{u.code}]{at} {u.message}"


def _report(args: argparse.Namespace, result: Any, program: Any, duplicates: int,
            progress: Progress | None = None, program_of: Any = None) -> int:
    """``program_of(case, version)``: for a rulebook family, the program with the limits a case
    ran under and the ladders of the version that judged it (its letter cites their bases); else
    ``program`` serves every case."""
    from wenze.report import output

    if args.strict and (result.rejected or result.unjudged):
        # --strict stops at the first error (in file order), like the event reader does
        if result.rejected:
            r = result.rejected[0]
            _err(f"error: {_where(r)}: event {r.event_id or '?'}: [{r.code}] {r.message}")
        else:
            _err(f"error: {_not_judged(result.unjudged[0])}")
        return 1
    for r in result.rejected:
        _err(f"{_where(r)}: rejected event {r.event_id or '?'}: [{r.code}] {r.message}")
    if duplicates:
        _err(f"note: {duplicates} identical duplicate event(s) ignored; 重复事件已忽略")
    for u in result.unjudged:
        _err(_not_judged(u))
    if args.explain:
        if args.explain not in result.traces and all(u.case != args.explain
                                                      for u in result.unjudged):
            _err(f"error: no events for case `{args.explain}` (as of {result.as_of}); "
                 f"没有该案件的事件")
            return 2
        text = output.explain(result, args.explain,
                              program_of(args.explain) if program_of else program)
    elif args.decision:
        from wenze.report.summaries import column

        keys = column(result.decisions, "key")  # (a columnar result makes only the one found)
        if args.decision not in keys:
            _err(f"error: no decision with key `{args.decision}`; 没有该决定")
            return 2
        found = result.decisions[keys.index(args.decision)]
        text = output.decision_letter(
            found, program_of(found.case, found.version) if program_of else program)
    elif args.format in ("jsonl", "parquet"):
        return _write_files(args, result, progress or Progress(enabled=False))
    elif args.format == "json":
        text = output.to_json(result)
    elif args.format == "csv":
        text = output.to_csv(result)
    else:
        text = output.table(result)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _write_files(args: argparse.Namespace, result: Any, progress: Progress) -> int:
    """``--format jsonl`` and ``--format parquet``: written as the decisions are made."""
    from wenze.report import stream

    if args.format == "parquet" and not args.output:
        _err("error: --format parquet writes a directory: give -o DIR; 请用 -o 指定输出目录")
        return 2
    progress.begin("writing decisions 写出决定", total=len(result.decisions))
    try:
        if args.format == "parquet":
            from wenze.report.parquet import write_parquet

            write_parquet(result, args.output, progress.update)
        elif args.output and not args.output.endswith((".jsonl", ".ndjson")):
            stream.write_jsonl_dir(result, args.output, progress.update)
        else:
            if args.output:
                with Path(args.output).open("w", encoding="utf-8") as fh:
                    stream.write_jsonl(result.decisions, fh, progress.update)
            else:
                stream.write_jsonl(result.decisions, sys.stdout, progress.update)
            left = {name: len(getattr(result, name)) for name in ("warnings", "metrics")}
            if any(left.values()):
                _err(f"note: the decisions only: {left['warnings']} warning(s) and "
                     f"{left['metrics']} metric row(s) not written (-o DIR writes every record)"
                     f"; 仅输出决定，预警与指标请用 -o 目录")
    except OSError as err:
        _err(f"error: cannot write `{args.output}`: {err}; 无法写出")
        return 2
    finally:
        progress.end()
    return 0


def _evaluate_on_dask(args: argparse.Namespace, as_of: dt.date, program: Any) -> int:
    """``--dask``: the events of one file or a glob, judged on a Dask cluster
    (:mod:`wenze.fast.distributed`)."""
    import glob

    from wenze.events import readers as E
    from wenze.fast.distributed import dask_client, evaluate_dask, evaluate_dask_files

    if args.db or args.explain:
        _err("error: --dask does not go with --db or --explain; --dask 不能与 --db、--explain "
             "同用")
        return 2
    try:
        import dask.distributed  # noqa: F401  (the `scale` extra)
    except ImportError:
        _err("error: --dask needs Dask: pip install 'wenze[scale]'; 分布式评价需要安装 Dask")
        return 2
    paths = sorted(glob.glob(args.events)) if any(c in args.events for c in "*?[") \
        else [args.events]
    if not paths or not all(Path(p).is_file() for p in paths):
        _err(f"error: cannot read events `{args.events}`; 无法读取事件文件")
        return 2
    mapping = mapping_named(getattr(args, "mapping", None))
    progress = Progress(enabled=not getattr(args, "quiet", False))
    progress.begin("reading and judging on Dask 分布式读取与评价")
    try:
        with dask_client(args.dask, args.dask_workers) as client:
            done = evaluate_dask_files(args.rulebook, program, paths, as_of, client,
                                       mapping=mapping, strict=args.strict)
            if done is None:  # an id in two files: which is kept needs every file here
                _err("note: an event id may occur in two files: the files are read here, the "
                     "cases judged on Dask; 事件编号可能跨文件重复，由本机读取")
                batch = read_files(paths, mapping, args.strict)
                done = (evaluate_dask(args.rulebook, program, batch.events, as_of, client,
                                      rejected=batch.rejected), batch.duplicates)
    except E.EventError as err:
        _err(f"error: {err}")
        return 1
    except ValueError as err:
        _err(f"error: {err}")
        return 2
    except OSError as err:
        _err(f"error: cannot read events or reach the Dask scheduler `{args.dask}`: {err}; "
             f"无法读取事件或连接 Dask")
        return 2
    finally:
        progress.end()
    result, duplicates = done
    return _report(args, result, program, duplicates=duplicates, progress=progress)
