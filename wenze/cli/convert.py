"""The ``wenze convert`` command: an events file in another format, events checked on the way.

    wenze convert EVENTS -o OUT [--mapping NAME] [--strict]

EVENTS is JSON Lines, CSV or XES (through ``--mapping``, as ``wenze evaluate`` reads them),
Parquet or Arrow IPC; OUT is Parquet (``.parquet``), Arrow IPC (``.arrow``) or JSON Lines
(``.jsonl``), by its extension. The events written are the valid ones, in the readers' order (by
case, instant, id) and in the contract's shape (docs/events.md §5); every rejected event is
reported on stderr with its file, line and reason, as ``wenze evaluate`` reports it. Exit
status: 0 written, 1 ``--strict`` and a bad event (nothing written), 2 an unreadable file or a
bad argument.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

_OUT = {".parquet": "parquet", ".pq": "parquet", ".arrow": "arrow", ".feather": "arrow",
        ".ipc": "arrow", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("events", help="events: JSON Lines, CSV, XES, Parquet or Arrow IPC")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the file to write: .parquet, .arrow or .jsonl")
    parser.add_argument("--mapping", metavar="NAME",
                        help="the CSV/XES column mapping: a built-in name (receipt, xes) or a "
                             ".toml/.json mapping file")
    parser.add_argument("--strict", action="store_true",
                        help="stop at the first bad event (exit 1, nothing written)")


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from wenze.cli.event_files import mapping_named, read_any
    from wenze.events.arrow import write_events
    from wenze.events.readers import EventError

    kind = _OUT.get(Path(args.output).suffix.lower())
    if kind is None:
        _err(f"error: cannot tell the format of `{args.output}` (.parquet, .arrow, .jsonl); "
             f"无法识别输出格式")
        return 2
    if not Path(args.events).is_file():
        _err(f"error: cannot read events `{args.events}`; 无法读取事件文件")
        return 2
    try:
        batch = read_any(args.events, mapping_named(args.mapping), args.strict)
    except OSError as err:
        _err(f"error: cannot read events `{args.events}`: {err}")
        return 2
    except EventError as err:
        _err(f"error: {err}")
        return 1
    except ValueError as err:  # a bad mapping file, an unknown format
        _err(f"error: {err}")
        return 2
    for r in batch.rejected:
        where = f"{r.source}:{r.line}" if r.line else r.source
        _err(f"{where}: rejected event {r.event_id or '?'}: [{r.code}] {r.message}")
    if batch.duplicates:
        _err(f"note: {batch.duplicates} identical duplicate event(s) ignored; 重复事件已忽略")
    events = batch.events
    if kind == "jsonl":
        with Path(args.output).open("w", encoding="utf-8") as fh:
            for ev in events:
                fh.write(json.dumps(ev.to_json(), ensure_ascii=False) + "\n")
        n = len(events)
    else:
        n = write_events(events, args.output, kind)
    _err(f"note: {n} event(s) written to `{args.output}`"
         + (f", {len(batch.rejected)} rejected" if batch.rejected else "") + "; 已转换")
    return 0
