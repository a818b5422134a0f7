"""The edge — the ``wenze`` command line: one module per subcommand in this package
(``check``, ``fmt``, ``evaluate``, ``graph``, ``ingest``, ``db``, ``live``, ``features``,
``simulate``, ``convert``); ``files`` and ``db_options`` hold what several of them share.
Only this layer (and the service) imports the store.

Exit codes: 0 success, 1 the input has errors (a rulebook that fails its checks, rejected events
under ``--strict``), 2 bad usage or an unreadable file.
"""

from __future__ import annotations

import argparse
import importlib
import sys
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
    "convert": ("wenze.cli.convert", "convert an events file (JSON Lines, CSV, XES, Parquet, "
                                     "Arrow)"),
}


def _module(name: str):
    path = COMMANDS[name][0]
    return importlib.import_module(path)


def build_parser(available_only: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wenze", description="wenze (问责): executable accountability rulebooks"
    )
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


if __name__ == "__main__":
    sys.exit(main())
