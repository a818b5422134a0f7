"""The rules-language subcommands of the ``wenze`` CLI: ``check`` and ``fmt``.

Each module provides ``add_arguments(parser)`` and ``run(args) -> int`` (see ``wenze.cli``).
Exit codes: 0 clean, 1 the rulebooks have errors (or would be reformatted under ``fmt --check``),
2 bad usage or an unreadable file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def unreadable(path: str, lang: str, reason: object) -> str:
    """The message for a file that cannot be read, naming the file."""
    if lang == "zh":
        return f"wenze: 无法读取文件 `{path}`：{reason}"
    return f"wenze: cannot read `{path}`: {reason}"


def read_text(path: str, lang: str) -> str | None:
    """The UTF-8 text of ``path``, or ``None`` after telling stderr why it cannot be read."""
    from wenze.dsl.loader import read_rulebook_text

    try:
        return read_rulebook_text(Path(path))
    except (OSError, ValueError) as err:  # (ValueError: a NUL byte in the path)
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err
        print(unreadable(path, lang, reason), file=sys.stderr)
    return None


def load_reported(path: str, not_done_zh: str) -> tuple[Any, int]:
    """(the loaded rulebook's AST, 0), or (None, exit status) after telling stderr why: 2 when
    the file cannot be read, 1 when the rulebook has errors (printed with their carets).
    ``not_done_zh`` says in Chinese what was not done (``未模拟``, ``未比较`` …)."""
    from wenze.cli.evaluate import print_diagnostics
    from wenze.dsl.loader import load_rulebook

    try:
        loaded = load_rulebook(path)
    except OSError as err:
        print(f"error: cannot read rulebook `{path}`: {err}; 无法读取规则文件", file=sys.stderr)
        return None, 2
    if not loaded.ok or loaded.rulebook is None:
        print_diagnostics(loaded.errors or loaded.diagnostics, loaded.sources)
        print(f"error: rulebook `{path}` has errors; 规则集有错误，{not_done_zh}", file=sys.stderr)
        return None, 1
    return loaded.rulebook, 0
