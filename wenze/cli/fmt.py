"""``wenze fmt [--check] FILE...``: rewrite rulebooks in the canonical layout.

parse → **format** (``wenze.dsl.formatter``) → write back. ``--check`` writes nothing: it lists the
files that would change and exits 1 if there is any. ``--lang zh|en`` writes the keywords of that
language (default: each file's own). A file that does not parse is left alone and its diagnostics
are printed (exit 1); an unreadable file exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wenze.cli.files import read_text, unreadable
from wenze.dsl.formatter import try_format_text
from wenze.dsl.parser import is_family
from wenze.dsl.render import render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="rulebooks (.wz) to format")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the files that would change and exit 1 if any")
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="keywords in this language (default: the file's own)")


def run(args: argparse.Namespace) -> int:
    lang = args.lang or "zh"  # the language of our own messages
    status = 0
    for path in args.files:
        text = read_text(path, lang)
        if text is None:
            status = 2
            continue
        if is_family(text):  # a list of version files: nothing to lay out
            print(("规则族文件无需格式化：" if lang == "zh" else "a family file, left as it is: ")
                  + path, file=sys.stderr)
            continue
        formatted, diagnostics = try_format_text(text, path, args.lang)
        if formatted is None:
            sys.stdout.write(render(diagnostics, {path: text}, lang))
            status = max(status, 1)
            continue
        if formatted == text:
            continue
        if args.check:
            print(path)
            status = max(status, 1)
            continue
        try:
            Path(path).write_text(formatted, encoding="utf-8")
        except OSError as err:
            print(unreadable(path, lang, err.strerror or err), file=sys.stderr)
            status = 2
            continue
        print(("已格式化 " if lang == "zh" else "formatted ") + path, file=sys.stderr)
    return status
