"""Store stage — ``wenze ingest EVENTS… [--db URL] [--batch-size N]``: store case events.

Prints every rejected event and every conflicting duplicate (file:line, event id, reason) and a
summary. Exit code 0 when everything went in or was already there identically, 1 when events
were rejected or conflicted (the valid rest is stored), 2 for an unreadable file or database."""

from __future__ import annotations

import argparse
import sys

from wenze.cli.db_options import add_db_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("events", nargs="+", help="event files (JSON Lines; CSV/XES by extension)")
    add_db_argument(parser)
    parser.add_argument(
        "--batch-size", type=int, default=5000, metavar="N",
        help="events per transaction (default 5000)",
    )
    parser.add_argument(
        "--format", dest="fmt", default=None, help="jsonl, csv or xes (default: by extension)"
    )
    parser.add_argument(
        "--mapping", metavar="NAME",
        help="the CSV/XES column mapping: a built-in name (receipt, xes) or a .toml/.json file",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from wenze.events.readers import MAPPINGS
    from wenze.store.db import ensure_schema, make_engine
    from wenze.store.ingest import ingest

    if args.batch_size < 1:
        print("wenze ingest: --batch-size 须为正数 / must be at least 1", file=sys.stderr)
        return 2
    try:
        engine = make_engine(args.db)
        ensure_schema(engine)
    except (SQLAlchemyError, ValueError) as err:
        print(f"wenze ingest: 数据库错误 / database error: {err}", file=sys.stderr)
        return 2
    mapping = MAPPINGS.get(args.mapping.lower(), args.mapping) if args.mapping else None
    status = 0
    try:
        for path in args.events:
            try:
                report = ingest(
                    engine, path, batch_size=args.batch_size, fmt=args.fmt, mapping=mapping
                )
            except (OSError, ValueError) as err:  # unreadable file, unknown format or mapping
                print(f"wenze ingest: {path}: 无法读取 / cannot read: {err}", file=sys.stderr)
                return 2
            if not args.quiet:
                for rej in report.rejected:
                    line = rej.line if rej.line is not None else "?"
                    print(
                        f"{rej.source}:{line}: 拒收 / rejected {rej.event_id or '-'}: "
                        f"[{rej.code}] {rej.message}",
                        file=sys.stderr,
                    )
                for conflict in report.conflicts:
                    print(
                        f"{conflict.where()}: 冲突 / conflict {conflict.event_id}: "
                        f"{conflict.message}",
                        file=sys.stderr,
                    )
            print(
                f"{path}: 新增 {report.inserted}，相同重复 {report.identical_duplicates}，"
                f"冲突 {len(report.conflicts)}，拒收 {len(report.rejected)} / "
                f"inserted {report.inserted}, identical duplicates {report.identical_duplicates}, "
                f"conflicts {len(report.conflicts)}, rejected {len(report.rejected)}"
            )
            if not report.ok:
                status = 1
    except SQLAlchemyError as err:
        print(f"wenze ingest: 数据库错误 / database error: {err}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return status
