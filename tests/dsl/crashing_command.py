"""A ``wenze`` subcommand with a bug on purpose, for the exit-status test of an internal error."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    return 1 // 0
