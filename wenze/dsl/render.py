"""Diagnostics for people and for editors: the last step of ``wenze check``.

parse → load → check → **render**. :func:`render` prints each diagnostic as

.. code-block:: text

    rules/x.wz:3:6: error[WZ101]: undefined unit `「县国土局」`
      |
    3 | 岗位 「窗口」 { 属于 「县国土局」 }
      |                      ^^^^^^^^^^^^
      = help: …
      = did you mean `「县国土资源局」`?

with the caret under the exact display columns of the span (a CJK or full-width character takes
two columns, a tab advances to the next multiple of four), secondary labelled spans underlined with
``-`` and their label, the help line and the suggestions, in Chinese or English, and a summary
line. :func:`to_json` gives the same facts as plain dictionaries (stable key order) for editors.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from wenze.dsl.ast import Span
from wenze.dsl.diagnostics import Diagnostic, Severity, sorted_diagnostics

TAB = 4

_SEVERITY = {
    ("zh", Severity.ERROR): "错误",
    ("zh", Severity.WARNING): "警告",
    ("en", Severity.ERROR): "error",
    ("en", Severity.WARNING): "warning",
}


def char_width(ch: str) -> int:
    """Display columns of one character: 2 for East Asian wide/full-width, 0 for combining."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def expand(text: str) -> str:
    """``text`` with tabs expanded to the next multiple of :data:`TAB` display columns and
    control characters shown as ``�`` (one column)."""
    out: list[str] = []
    column = 0
    for ch in text:
        if ch == "\t":
            pad = TAB - column % TAB
            out.append(" " * pad)
            column += pad
        elif not ch.isprintable() and ch != "\r":  # a NUL or other control byte: shown, not sent
            out.append("\ufffd")
            column += 1
        else:
            out.append(ch)
            column += char_width(ch)
    return "".join(out)


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in expand(text))


def _source_line(sources: Mapping[str, str], file: str, line: int) -> str | None:
    text = sources.get(file)
    if text is None or line < 1:
        return None
    lines = text.split("\n")
    if line > len(lines):
        return None
    return lines[line - 1].rstrip("\r")


def _marker(source: str, span: Span, line: int, char: str) -> str:
    """Spaces up to the span's first column on ``line`` and ``char`` under each of its columns."""
    start = span.col if line == span.line else 1
    if span.end_line == line:
        end = span.end_col
    else:
        end = len(source) + 1  # the span runs on past this line
    start = max(1, start)
    before = display_width(source[: start - 1]) + max(0, start - 1 - len(source))
    width = display_width(source[: end - 1]) - before if end > start else 0
    return " " * before + char * max(1, width)


SHOWN_CHARS = 120  # of a longer source line only this much is shown, around the marks


def _window(source: str, line: int, marks: list[tuple[Span, str, str]]
            ) -> tuple[str, list[tuple[Span, str, str]]]:
    """A long line cut to :data:`SHOWN_CHARS` characters from a little before its first mark
    (``…`` where text is left out), with the marks' columns moved to match."""
    if len(source) <= SHOWN_CHARS:
        return source, marks
    first = min((m[0].col if m[0].line == line else 1) for m in marks)
    cut = max(0, min(first - 1 - 20, len(source) - SHOWN_CHARS))
    shown = source[cut:cut + SHOWN_CHARS]
    prefix = "…" if cut else ""
    suffix = "…" if cut + SHOWN_CHARS < len(source) else ""
    shift = len(prefix) - cut

    def moved(span: Span) -> Span:
        col = span.col + shift if span.line == line else span.col
        end_col = span.end_col + shift if span.end_line == line else span.end_col
        return replace(span, col=max(1, col),
                       end_col=min(max(1, end_col), len(prefix) + len(shown) + 1))

    return prefix + shown + suffix, [(moved(s), c, t) for s, c, t in marks]


def _suggestion_line(suggestions: tuple[str, ...], lang: str) -> str:
    if lang == "zh":
        return "是否想写 " + " 或 ".join(f"`{s}`" for s in suggestions) + "？"
    return "did you mean " + " or ".join(f"`{s}`" for s in suggestions) + "?"


def render_one(diagnostic: Diagnostic, sources: Mapping[str, str], lang: str = "zh") -> str:
    """One diagnostic: the heading line, its source lines with carets, help and suggestions."""
    d = diagnostic
    span = d.span
    heading = (
        f"{span.file}:{span.line}:{span.col}: "
        f"{_SEVERITY[(_lang(lang), d.severity)]}[{d.code}]: {d.message.in_lang(_lang(lang))}"
    )
    # (span, marker character, label) for the primary span and every label, by file and line
    marks: list[tuple[Span, str, str]] = [(span, "^", "")]
    marks += [(label.span, "-", label.message.in_lang(_lang(lang))) for label in d.labels]
    shown_lines = sorted(
        {(m[0].file != span.file, m[0].file, m[0].line) for m in marks if m[0].line > 0}
    )
    gutter = max((len(str(line)) for _, _, line in shown_lines), default=1)
    pad = " " * gutter
    out = [heading]
    current_file = span.file
    snippet_open = False
    for _other, file, line in shown_lines:
        source = _source_line(sources, file, line)
        here = [m for m in marks if m[0].file == file and m[0].line == line]
        if source is None:
            for mark_span, _char, text in here:
                if mark_span is span:
                    continue
                where = f"{mark_span.file}:{mark_span.line}:{mark_span.col}"
                out.append(f"{pad} = {where}: {text}" if text else f"{pad} = {where}")
            continue
        if file != current_file:
            out.append(f"{pad}::: {file}:{line}")
            current_file = file
            snippet_open = False
        if not snippet_open:
            out.append(f"{pad} |")
            snippet_open = True
        source, here = _window(source, line, here)
        out.append(f"{str(line).rjust(gutter)} | {expand(source)}".rstrip())
        for mark_span, char, text in here:
            marker = _marker(source, mark_span, line, char)
            out.append(f"{pad} | {marker}" + (f" {text}" if text else ""))
    if d.help is not None:
        word = "提示：" if _lang(lang) == "zh" else "help: "
        out.append(f"{pad} = {word}{d.help.in_lang(_lang(lang))}")
    shown_help = d.help.in_lang(_lang(lang)) if d.help is not None else ""
    if d.suggestions and not all(f"`{s}`" in shown_help for s in d.suggestions):
        # (a help line that already offers every suggestion is not repeated)
        out.append(f"{pad} = {_suggestion_line(d.suggestions, _lang(lang))}")
    return "\n".join(out)


def summary(diagnostics: Iterable[Diagnostic], lang: str = "zh") -> str:
    """``2 errors, 1 warning`` / ``2 个错误，1 个警告`` (or that nothing was found)."""
    items = list(diagnostics)
    errors = sum(1 for d in items if d.severity is Severity.ERROR)
    warnings = len(items) - errors
    if _lang(lang) == "zh":
        parts = [f"{n} 个{word}" for n, word in ((errors, "错误"), (warnings, "警告")) if n]
        return "，".join(parts) if parts else "未发现问题"
    parts = [
        f"{n} {word}{'' if n == 1 else 's'}"
        for n, word in ((errors, "error"), (warnings, "warning"))
        if n
    ]
    return ", ".join(parts) if parts else "no problems found"


def render(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, str],
    lang: str = "zh",
    *,
    with_summary: bool = True,
) -> str:
    """Every diagnostic (sorted by file, line, column, code; each once), a blank line between
    them, then the summary line. Ends with a newline."""
    items = sorted_diagnostics(list(diagnostics))
    blocks = [render_one(d, sources, lang) for d in items]
    if with_summary:
        blocks.append(summary(items, lang))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _lang(lang: str) -> str:
    return "zh" if lang == "zh" else "en"


def _span_json(span: Span) -> dict[str, Any]:
    return {
        "file": span.file,
        "line": span.line,
        "col": span.col,
        "end_line": span.end_line,
        "end_col": span.end_col,
    }


def to_json(
    diagnostics: Iterable[Diagnostic], sources: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The diagnostics as JSON-ready dictionaries (sorted; keys in a fixed order) for editors.
    Columns count characters (1-based, ``end_col`` exclusive); when the file's text is in
    ``sources`` each entry also gives ``display_col``, the column in display cells."""
    out: list[dict[str, Any]] = []
    for d in sorted_diagnostics(list(diagnostics)):
        entry: dict[str, Any] = {
            "code": d.code,
            "severity": d.severity.value,
            "message": {"zh": d.message.zh, "en": d.message.en},
            **_span_json(d.span),
        }
        source = _source_line(sources or {}, d.span.file, d.span.line)
        if source is not None:
            entry["display_col"] = display_width(source[: max(0, d.span.col - 1)]) + 1
        entry["labels"] = [
            {**_span_json(label.span), "message": {"zh": label.message.zh, "en": label.message.en}}
            for label in d.labels
        ]
        entry["help"] = {"zh": d.help.zh, "en": d.help.en} if d.help is not None else None
        entry["suggestions"] = list(d.suggestions)
        out.append(entry)
    return out


__all__ = ["char_width", "display_width", "expand", "render", "render_one", "summary", "to_json"]
