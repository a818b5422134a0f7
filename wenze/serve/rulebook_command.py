"""The ``wenze rulebook`` command: the service's stored rulebooks, for administrators without
HTTP (:mod:`wenze.serve.rulebooks`, :mod:`wenze.store.rulebooks`).

    wenze rulebook push FILE [--name NAME] [--label WHO] [--db URL]
    wenze rulebook list [--db URL]
    wenze rulebook show NAME [--version N] [--db URL]     (the text, to stdout)
    wenze rulebook activate NAME VERSION [--label WHO] [--db URL]

``push`` stores the file's text as the next version of NAME (default: the file's name without
``.wz``), as ``PUT /v1/rulebooks/{name}`` does: a text with errors is refused with its
diagnostics, and its ``继承`` reaches only the stored rulebooks. ``activate`` records the
activation in the store; a *running* service keeps judging by its rulebook until it is started
again (then it judges every stored event under the activated version) — to switch a running
service at once, use ``POST /v1/rulebooks/{name}/activate``.

Exit status: 0; 1 the rulebook has errors; 2 bad usage, unreadable file, no such rulebook.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    push = sub.add_parser("push", help="store a rulebook file as the next version of its name")
    push.add_argument("file")
    push.add_argument("--name", help="the stored name (default: the file name without .wz)")
    push.add_argument("--label", help="who saves it (recorded as the version's author)")
    push.add_argument("--db")
    listing = sub.add_parser("list", help="the stored rulebooks, their versions, the one in force")
    listing.add_argument("--db")
    show = sub.add_parser("show", help="print a stored version's text")
    show.add_argument("name")
    show.add_argument("--version", type=int)
    show.add_argument("--db")
    activate = sub.add_parser("activate", help="record a stored version as the one in force "
                                               "(a running service takes it on its next start)")
    activate.add_argument("name")
    activate.add_argument("version", type=int)
    activate.add_argument("--label", help="who activates it")
    activate.add_argument("--db")


def run(args: argparse.Namespace) -> int:
    from wenze.serve.command import open_store
    from wenze.serve.problems import Problem
    from wenze.store.db import ensure_schema

    engine = open_store(args.db, "rulebook")
    if engine is None:
        return 2
    try:
        ensure_schema(engine)
        return _run(args, engine)
    except Problem as err:
        for d in err.extra.get("diagnostics", ()):
            print(f"{d['file']}:{d['line']}:{d['col']}: {d['severity']} {d['code']}: "
                  f"{d['message']['zh']} / {d['message']['en']}", file=sys.stderr)
        print(f"wenze rulebook: {err.detail}", file=sys.stderr)
        return 1 if err.status == 422 else 2
    finally:
        engine.dispose()


def _run(args: argparse.Namespace, engine: object) -> int:
    from wenze.live import CHINA
    from wenze.serve.rulebooks import check_name, save_checked
    from wenze.serve.service import stored_in_force
    from wenze.store import rulebooks as RB

    if args.action == "push":
        path = Path(args.file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            print(f"wenze rulebook: 无法读取 cannot read {path}: {err}", file=sys.stderr)
            return 2
        name = check_name(args.name or path.stem)
        saved, unchanged, diagnostics = save_checked(engine, name, text, args.label)
        for d in diagnostics:
            print(f"{d['file']}:{d['line']}:{d['col']}: {d['severity']} {d['code']}: "
                  f"{d['message']['zh']} / {d['message']['en']}", file=sys.stderr)
        print(json.dumps({**saved.to_json(with_text=False), "unchanged": unchanged},
                         ensure_ascii=False))
        return 0
    if args.action == "list":
        for entry in RB.list_rulebooks(engine):  # type: ignore[arg-type]
            print(json.dumps(entry, ensure_ascii=False))
        return 0
    found = RB.get_version(engine, check_name(args.name), args.version)  # type: ignore[arg-type]
    if found is None:
        print(f"wenze rulebook: 没有规则集 no stored rulebook `{args.name}`"
              + (f" v{args.version}" if args.version else ""), file=sys.stderr)
        return 2
    if args.action == "show":
        sys.stdout.write(found.text)
        return 0
    stored_in_force(engine, found)  # it still checks clean (a 409 problem otherwise)
    record = RB.activate(engine, found, args.label,  # type: ignore[arg-type]
                         dt.datetime.now(CHINA).date())
    print(json.dumps(record.to_json(), ensure_ascii=False))
    print("wenze rulebook: 已记录启用；运行中的服务在下次启动时按此版本重新评判 "
          "recorded; a running service judges by it from its next start "
          "(POST /v1/rulebooks/{name}/activate switches a running one at once)",
          file=sys.stderr)
    return 0
