"""The edge — the ``wenze`` command line: one module per subcommand in this package
(``check``, ``fmt``, ``evaluate``, ``graph``, ``ingest``, ``db``, ``live``, ``features``,
``simulate``, ``convert``); ``files`` and ``db_options`` hold what several of them share.
Only this layer (and the service) imports the store.

Exit codes (:data:`EXIT`): 0 success, 1 findings — the input has errors (a rulebook that fails its
checks, rejected events under ``--strict``), 2 bad usage or an unreadable file, 3 an internal
error — a bug in wenze, never the input's fault: a short message and where to report it on
stderr, the Python traceback only under ``wenze --debug …``. A script can thus tell a crash from
a finding. 130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

# name → (module, help). A module provides ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("wenze.cli.check", "check rulebooks and report every error at once"),
    "fmt": ("wenze.cli.fmt", "rewrite rulebooks in the canonical layout"),
    "evaluate": ("wenze.cli.evaluate", "evaluate case events and issue decisions"),
    "graph": ("wenze.cli.graph", "draw approval processes, overviews and case overlays"),
    "ingest": ("wenze.cli.ingest", "store case events in the database"),
    "db": ("wenze.cli.db", "manage the database schema"),
    "live": ("wenze.cli.live", "evaluate events as they arrive (durable_rules)"),
    "features": ("wenze.cli.features", "run the Gherkin scenarios"),
    "simulate": ("wenze.cli.simulate", "what-if simulation on a synthetic caseload"),
    "diff": ("wenze.cli.diff", "what changed between two rulebooks (and which decisions change)"),
    "serve": ("wenze.serve.command", "the HTTP service approval systems embed"),
    "token": ("wenze.serve.token_command", "create, list and revoke the service's API tokens"),
    "rulebook": ("wenze.serve.rulebook_command", "store, list, show and activate the service's "
                                                 "rulebooks"),
    "convert": ("wenze.cli.convert", "convert an events file (JSON Lines, CSV, XES, Parquet, "
                                     "Arrow)"),
}


EXIT = {"ok": 0, "findings": 1, "usage": 2, "internal_error": 3, "interrupted": 130}

REPORT_TO = ("the wenze maintainers (the project's issue tracker), with the command line, the "
             "input files if you may share them, and the output of `wenze --debug …`")


def _module(name: str):
    path = COMMANDS[name][0]
    return importlib.import_module(path)


def build_parser(available_only: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wenze", description="wenze (问责): executable accountability rulebooks",
        epilog="exit status: 0 ok, 1 findings (errors in the input), 2 bad usage or an "
               "unreadable file, 3 internal error (a bug in wenze: please report it)",
    )
    parser.add_argument("--debug", action="store_true",
                        help="print the Python traceback of an internal error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_path, help_) in COMMANDS.items():
        try:
            module = _module(name)
        except ModuleNotFoundError as err:
            # a command whose module is not part of this build; a missing dependency still raises
            if available_only and err.name == _path:
                continue
            raise
        command = sub.add_parser(name, help=help_, description=help_)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except BrokenPipeError:  # `wenze … | head`
        return 0
    except KeyboardInterrupt:
        print("wenze: interrupted / 已中断", file=sys.stderr)
        return EXIT["interrupted"]
    except Exception as exc:  # a bug in wenze: never reported as a finding (exit 1)
        return internal_error(exc, debug=bool(getattr(args, "debug", False)))


def internal_error(exc: BaseException, *, debug: bool) -> int:
    """Tell stderr that wenze itself failed (not the input), and where to report it; the
    traceback only when ``debug``. Returns the exit status for an internal error."""
    what = f"{type(exc).__name__}: {str(exc)[:200]}"
    print(f"wenze: 内部错误（程序缺陷，不是输入的问题）/ internal error (a bug in wenze, not a "
          f"problem with the input): {what}", file=sys.stderr)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    else:
        print("wenze: 加 `--debug` 重新运行可看到调用栈 / run again as `wenze --debug …` for the "
              "traceback", file=sys.stderr)
    print(f"wenze: 请报告 / please report it to {REPORT_TO}", file=sys.stderr)
    return EXIT["internal_error"]


if __name__ == "__main__":
    sys.exit(main())
