"""The rules-language subcommands of the ``wenze`` CLI: ``check`` and ``fmt``.

Each module provides ``add_arguments(parser)`` and ``run(args) -> int`` (see ``wenze.cli``).
Exit codes: 0 clean, 1 the rulebooks have errors (or would be reformatted under ``fmt --check``),
2 bad usage or an unreadable file.
"""

from __future__ import annotations

import sys
from pathlib import Path


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
