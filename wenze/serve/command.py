"""The ``wenze serve`` command (wired into :mod:`wenze.cli`): the HTTP service on uvicorn.

    wenze serve [--rulebook FILE] [--db URL] [--host 127.0.0.1] [--port 8000] [--workers N]
                [--today DATE] [--max-body BYTES] [--max-batch N] [--tick SECONDS]

The rulebook: the one last activated in the store (``POST /v1/rulebooks/{name}/activate``),
else ``--rulebook``; with neither the service does not start.

Exit status: 0; 1 the rulebook has errors; 2 bad usage, or the service cannot start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import Any


def open_store(db: str | None, command: str) -> Any | None:
    """The store's engine for ``--db`` (its schema not yet ensured), or None with the reason
    printed (``wenze COMMAND: --db: …``) when the URL names no store wenze can open."""
    from wenze.store.db import make_engine

    try:
        return make_engine(db)
    except ValueError as err:
        print(f"wenze {command}: --db: {err}", file=sys.stderr)
        return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rulebook", default=os.environ.get("WENZE_RULEBOOK"),
                        help="the rulebook to judge by (.wz; default: WENZE_RULEBOOK) when the "
                             "store has no activated rulebook (which wins over it)")
    parser.add_argument("--db", help="database URL (default: WENZE_DB, else sqlite:///wenze.db)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1,
                        help="HTTP worker processes (default 1): they take and store events; "
                             "the supervising process judges them, so the judge's work never "
                             "holds a request's interpreter lock (docs/api.md)")
    parser.add_argument("--today", metavar="DATE",
                        help="a fixed (virtual) clock starting on DATE, moved by POST /v1/clock "
                             "(replays and tests); default: the wall clock, UTC+8")
    parser.add_argument("--max-body", type=int, default=8 * 1024 * 1024, metavar="BYTES",
                        help="largest request body (default 8 MiB; larger: 413)")
    parser.add_argument("--max-batch", type=int, default=10_000, metavar="N",
                        help="most events per POST /v1/events (default 10000; more: 413)")
    parser.add_argument("--tick", type=float, default=60.0, metavar="SECONDS",
                        help="re-check deadlines at least this often, besides just after each "
                             "midnight in China Standard Time (default 60)")
    parser.add_argument("--openapi", action="store_true",
                        help="print the OpenAPI document (docs/openapi.json) and exit")
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"))


def run(args: argparse.Namespace) -> int:
    import wenze
    from wenze.serve.service import ServeConfig

    if args.openapi:
        from wenze.serve.app import openapi_text

        sys.stdout.write(openapi_text())
        return 0
    if args.workers < 1:
        print("wenze serve: --workers 须至少为 1 --workers must be at least 1", file=sys.stderr)
        return 2
    if args.today:
        try:
            dt.date.fromisoformat(args.today)
        except ValueError as err:
            print(f"wenze serve: --today: {err}", file=sys.stderr)
            return 2
    from wenze.serve.service import starting_rulebook
    from wenze.store.db import ensure_schema

    # the rulebook last activated in the store, else --rulebook (docs/api.md, "Rulebooks")
    engine = open_store(args.db, "serve")
    if engine is None:
        return 2
    try:
        ensure_schema(engine)
        force = starting_rulebook(engine, args.rulebook)
    except wenze.RulebookError as err:  # refuse a rulebook with errors, with its errors
        for d in getattr(err, "diagnostics", [err]):
            print(str(d), file=sys.stderr)
        return 1
    except OSError as err:
        print(f"wenze serve: 无法读取 cannot read {args.rulebook}: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        print(f"wenze serve: {err}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if force.origin == "store":
        print(f"wenze serve: 按已启用的规则集「{force.name}」第 {force.version} 版评判 judging by "
              f"the activated stored rulebook {force.name} v{force.version}"
              + (f" (not --rulebook {args.rulebook})" if args.rulebook else ""),
              file=sys.stderr)
    from wenze.live import LiveEngine, LiveUnavailable

    try:  # the service judges live: without durable_rules it refuses to start, and says why
        LiveEngine(force.program).close()
    except LiveUnavailable as err:
        print(f"wenze serve: {err}", file=sys.stderr)
        return 2
    config = ServeConfig(
        rulebook=os.path.abspath(args.rulebook) if args.rulebook else None, db=args.db,
        today=args.today,
        max_body_bytes=args.max_body, max_batch=args.max_batch, tick_seconds=args.tick,
    )
    # the judge in this (supervising) process, the HTTP workers in processes of their own —
    # also for one worker: the judge computes in Python for long stretches, and in a request's
    # process it would hold the interpreter lock that request needs
    from wenze.serve.judge import serve_workers

    return serve_workers(config, args.host, args.port, args.workers, args.log_level)
