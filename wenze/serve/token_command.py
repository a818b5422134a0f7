"""The ``wenze token`` command: the HTTP service's API tokens (:mod:`wenze.serve.tokens`).

    wenze token create --scope unit|supervisor|admin [--unit U] [--label TEXT] [--json] [--db URL]
    wenze token list [--db URL]
    wenze token revoke ID [--db URL]

The token is printed once; the store keeps its SHA-256 only. Exit status: 0; 1 no such token to
revoke; 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a token (printed once)")
    create.add_argument("--scope", required=True, choices=("unit", "supervisor", "admin"))
    create.add_argument("--unit", help="the unit of a unit token")
    create.add_argument("--label", help="who the token is for (shown in `wenze token list`)")
    create.add_argument("--json", action="store_true", help="print {id, token, scope, unit}")
    create.add_argument("--db")
    listing = sub.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--db")
    revoke = sub.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)
    revoke.add_argument("--db")


def run(args: argparse.Namespace) -> int:
    from wenze.serve.command import open_store
    from wenze.serve.tokens import create_token, list_tokens, revoke
    from wenze.store.db import ensure_schema

    engine = open_store(args.db, "token")
    if engine is None:
        return 2
    try:
        ensure_schema(engine)
        if args.action == "create":
            try:
                token, token_id = create_token(engine, args.scope, args.unit, args.label)
            except ValueError as err:
                print(f"wenze token: {err}", file=sys.stderr)
                return 2
            if args.json:
                print(json.dumps({"id": token_id, "token": token, "scope": args.scope,
                                  "unit": args.unit}, ensure_ascii=False))
            else:
                print(token)
                print(f"# id {token_id}, scope {args.scope}"
                      + (f", unit {args.unit}" if args.unit else "")
                      + " — 仅显示一次 shown only once", file=sys.stderr)
            return 0
        if args.action == "list":
            for t in list_tokens(engine):
                print(json.dumps(t, ensure_ascii=False))
            return 0
        if not revoke(engine, args.id):
            print(f"wenze token: 没有可吊销的令牌 no active token {args.id}", file=sys.stderr)
            return 1
        return 0
    finally:
        engine.dispose()
