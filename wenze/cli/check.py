"""``wenze check FILE...``: parse, load and check rulebooks and report every problem at once.

parse → load → check → **render** (``wenze.dsl.render``). Text output (Chinese by default: the
users are Chinese legal-affairs offices; ``--lang en`` for English) or ``--format json`` for
editors. ``--sources DIR`` also checks every citation against the documents' texts in DIR
(``wenze.dsl.citations``: coded warnings WZ601–WZ604, and a line on stderr naming the documents
without text). Exit 0 when no file has errors (warnings allowed), 1 when some has, 2 on bad usage
or when a file (or DIR) cannot be read (the message names it).
"""

from __future__ import annotations

import argparse
import json
import sys

from wenze.cli.files import read_text, unreadable
from wenze.dsl.citations import check_texts, load_sources, unchecked_note
from wenze.dsl.diagnostics import Diagnostic, sorted_diagnostics
from wenze.dsl.family import load_family
from wenze.dsl.loader import load_text
from wenze.dsl.parser import is_family
from wenze.dsl.render import render, to_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="rulebooks (.wz) or rulebook families to check")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh",
                        help="language of the messages (default: zh)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people, json for editors (default: text)")
    parser.add_argument("--sources", metavar="DIR",
                        help="check every citation against the documents' texts in DIR "
                             "(*.txt, optionally described by DIR/sources.toml): WZ601–WZ604")
    parser.add_argument("--rulebook-path", metavar="DIR",
                        help="the folder 继承 may reach (default: each rulebook's own folder)")


def check_paths(
    paths: list[str], lang: str = "zh", root: str | None = None
) -> tuple[list[Diagnostic], dict[str, str], bool]:
    """Every diagnostic of ``paths`` (sorted, each once), the text of every file involved, and
    whether all named files could be read."""
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    all_read = True
    for path in paths:
        text = read_text(path, lang)
        if text is None:
            all_read = False
            continue
        try:
            result = (load_family(path, root) if is_family(text)
                      else load_text(text, path, root))
        except OSError as err:  # pragma: no cover - the loader reads only extended files
            print(unreadable(path, lang, err), file=sys.stderr)
            all_read = False
            continue
        diagnostics += result.diagnostics
        sources.update(result.sources)
    return sorted_diagnostics(diagnostics), sources, all_read


def run(args: argparse.Namespace) -> int:
    diagnostics, sources, all_read = check_paths(list(args.files), args.lang,
                                                args.rulebook_path)
    if args.sources:
        try:
            texts = load_sources(args.sources)
        except (OSError, ValueError) as err:
            print(unreadable(args.sources, args.lang, err), file=sys.stderr)
            return 2
        report = check_texts(sources, texts)
        diagnostics = sorted_diagnostics(diagnostics + report.diagnostics)
        print(unchecked_note(report, args.lang), file=sys.stderr)
    if args.format == "json":
        json.dump(to_json(diagnostics, sources), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif diagnostics or all_read:
        sys.stdout.write(render(diagnostics, sources, args.lang))
    if not all_read:
        return 2
    return 1 if any(d.is_error for d in diagnostics) else 0
