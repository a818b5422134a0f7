"""Store stage — ``wenze db upgrade|current|verify [--db URL]``: bring the schema to the newest
migration, show where it is, or recompute the decisions' hash chain (``wenze.store.chain``):
exit 0 when it holds, 1 naming the first row edited, deleted or inserted out of order."""

from __future__ import annotations

import argparse
import sys

from wenze.cli.db_options import add_db_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["upgrade", "current", "verify"],
        help="upgrade: run the migrations up to the newest; current: print the revision; "
             "verify: recompute the decisions' hash chain and name the first tampered row",
    )
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from wenze.store.db import current_revision, head_revision, make_engine, upgrade

    try:
        engine = make_engine(args.db)
    except Exception as err:
        print(f"wenze db: 数据库地址无效 / bad database URL: {err}", file=sys.stderr)
        return 2
    try:
        if args.action == "verify":
            from wenze.store.chain import verify

            checked, problems = verify(engine)
            if not problems:
                print(f"决定链完好，共 {checked} 行 / the decision chain holds: {checked} rows")
                return 0
            print(f"wenze db verify: {problems[0].message}", file=sys.stderr)
            for problem in problems[1:10]:
                print(f"  {problem.message}", file=sys.stderr)
            return 1
        if args.action == "upgrade":
            reached = upgrade(engine)
            where = engine.url.render_as_string(hide_password=True)
            print(f"{where}: 已升级至 / at revision {reached}")
        else:
            now, head = current_revision(engine), head_revision(engine)
            state = "最新 / up to date" if now == head else f"待升级 / behind (newest {head})"
            print(f"{now or '(empty)'} — {state}")
    except SQLAlchemyError as err:
        print(f"wenze db: 无法连接或升级数据库 / database error: {err}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0
