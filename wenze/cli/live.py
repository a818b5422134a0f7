"""The ``wenze live`` command: events on stdin as they happen → warnings and decisions on stdout.

load → **LiveEngine** (``wenze.live.engine``) ← JSON Lines on stdin; outputs → JSON Lines on stdout.

    wenze live RULEBOOK [--clock virtual|wall] [--as-of DATE] [--start MOMENT] [--tick SECONDS]

Each output line is ``{"kind", "at", "record"[, "supersedes", "revision"]}`` (``docs/live.md``),
written and flushed as soon as it arises, so ``tail -f events.jsonl | wenze live RULEBOOK`` works.
``--clock virtual`` replays a log: the clock follows the event times and, at the end of the input,
moves on to ``--as-of`` when given. ``--clock wall`` (the default) uses the wall clock in China
Standard Time and re-checks just after each midnight and every ``--tick`` seconds, so a deadline
that passes with no event still gives its warning. Exit status: 0, 1 the rulebook has errors,
2 bad usage or live mode unavailable, 3 the clock thread failed (the error on stderr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from wenze.live.rules import LiveUnavailable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rulebook", help="the rulebook (.wz); its 继承 bases are followed")
    parser.add_argument("--clock", choices=("virtual", "wall"), default="wall",
                        help="virtual: follow the event times (replaying a log); wall: real time")
    parser.add_argument("--as-of", metavar="DATE",
                        help="with --clock virtual: at the end of the input, advance to this date")
    parser.add_argument("--start", metavar="MOMENT",
                        help="with --clock virtual: the clock's start (ISO 8601 with offset); "
                             "default: the first event's time")
    parser.add_argument("--tick", type=float, default=60.0, metavar="SECONDS",
                        help="with --clock wall: re-check deadlines at least this often, besides "
                             "just after each midnight (default 60)")


def _write(item: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    import wenze
    from wenze.events.model import bad_bytes
    from wenze.events.readers import parse_time
    from wenze.live.engine import CHINA, LiveEngine, VirtualClock, WallClock

    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
        start = parse_time(args.start) if args.start else None
    except Exception as err:
        print(f"wenze live: 参数错误 bad argument: {err}", file=sys.stderr)
        return 2
    try:
        rulebook = wenze.load(args.rulebook)
    except wenze.RulebookError as err:
        for d in err.diagnostics if hasattr(err, "diagnostics") else [err]:
            print(str(d), file=sys.stderr)
        return 1
    except OSError as err:
        print(f"wenze live: 无法读取 cannot read {args.rulebook}: {err}", file=sys.stderr)
        return 2

    engine: Any = None

    def make(first: dict[str, Any] | None) -> Any:
        try:
            if args.clock == "wall":
                return LiveEngine(rulebook, WallClock(), on_output=_write)
            begin = start
            if begin is None and first is not None:
                try:
                    begin = parse_time(first.get("at"))
                except Exception:
                    begin = None
            if begin is None:
                begin = dt.datetime.combine(as_of or dt.date.today(), dt.time(0), CHINA)
            return LiveEngine(rulebook, VirtualClock(begin), on_output=_write)
        except LiveUnavailable as err:
            print(f"wenze live: {err}", file=sys.stderr)
            return None

    if args.clock == "wall":
        engine = make(None)
        if engine is None:
            return 2
        engine.start_clock(every=args.tick)  # deadlines pass at midnight with no event

    try:
        stdin = getattr(sys.stdin, "buffer", None)
        lines = ((raw.decode("utf-8", "surrogateescape") for raw in stdin) if stdin is not None
                 else sys.stdin)
        for number, raw in enumerate(lines, start=1):
            text = raw.strip()
            if not text:
                continue
            code = "bad_json"
            reason = bad_bytes(text)  # one bad byte rejects its line, not the stream
            if reason is not None:
                obj, code, message = None, "bad_encoding", reason
            else:
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as err:
                    obj = None
                    message = f"不是 JSON not JSON: {err.msg} (column {err.colno})"
                except RecursionError:
                    obj, code, message = None, "too_deep", "JSON 嵌套过深 / JSON nested too deeply"
            if engine is None:
                engine = make(obj if isinstance(obj, dict) else None)
                if engine is None:
                    return 2
            if obj is None:
                _write({"kind": "rejected", "at": engine.today.isoformat(), "record": {
                    "source": "<stdin>", "line": number, "event_id": None, "code": code,
                    "message": message}})
                continue
            engine.submit(obj, line=number, source="<stdin>")
        if engine is None:
            engine = make(None)
            if engine is None:
                return 2
        if as_of is not None and args.clock == "virtual":
            engine.advance_to(as_of)
    except KeyboardInterrupt:
        pass
    finally:
        if engine is not None:
            engine.close()
    if engine is not None and engine.clock_error is not None:
        print(f"wenze live: 时钟线程出错 the clock thread failed: {engine.clock_error!r}",
              file=sys.stderr)
        return 3
    return 0
