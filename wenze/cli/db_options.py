"""Store stage — command line: ``wenze db`` (schema) and ``wenze ingest`` (events)."""

from __future__ import annotations

import argparse

from wenze.store.db import DEFAULT_URL, ENV_VAR


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help=f"database URL (default: ${ENV_VAR}, else {DEFAULT_URL}); "
        "PostgreSQL: postgresql+psycopg://USER@HOST:PORT/DB",
    )
