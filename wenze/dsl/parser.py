"""The language stage: text → AST.

One Lark LALR grammar (``grammar.lark``, ``strict=True``, positions on) with the keyword terminals
generated from :mod:`wenze.dsl.keywords`. Parse errors never escape as Python exceptions: they
come back as :class:`~wenze.dsl.diagnostics.Diagnostic` values (:data:`PARSE_CODES`). After
an error the statement holding it is blanked out and the file parsed again (:func:`_recover`), so
two broken statements inside one declaration are both reported; where that cannot help (a missing
brace) each later top-level declaration is parsed on its own.

One module on purpose (~1.2k lines): the tree transformer, the error messages and the recovery all
speak of the one grammar; split, each part would need the others' private tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

from lark import Lark, TextSlice, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from wenze.dsl import ast as A
from wenze.dsl.diagnostics import Diagnostic, Label, Message, Severity
from wenze.dsl.keywords import KEYWORDS, describe_terminal, language_of, terminal_definitions


@functools.cache
def _lark() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
    grammar += "\n" + terminal_definitions() + "\n"
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=False,
        start=["start", "decl", "family"],
        cache=True,  # strict analysis takes seconds; Lark keys the cache on grammar and options
    )


@dataclass(frozen=True)
class ParseResult:
    rulebook: A.Rulebook | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.rulebook is not None and not any(d.is_error for d in self.diagnostics)


def parse(text: str, file: str = "<string>") -> ParseResult:
    """Parse one rulebook. Never raises on bad input: errors come back as diagnostics.

    Every step is linear in the length of the text, and the limits below (:data:`LIMITS`) keep
    the tree shallow enough to be walked: past a limit the file is refused with its code."""
    too_big = _limit_diagnostics(text, file)
    if too_big:
        return ParseResult(None, tuple(too_big))
    comments = tuple(_comments(text, file))
    try:
        tree = _lark().parse(text, start="start")
        too_deep = _shape_conditions(tree, file)
        if too_deep is not None:
            return ParseResult(None, (too_deep,))
        builder = _Builder(file, text)
        rulebook = builder.transform(tree)
        return ParseResult(
            A.Rulebook(
                rulebook.header,
                rulebook.decls,
                lang=builder.language(),
                comments=comments,
                span=rulebook.span,
            ),
            tuple(builder.diagnostics),
        )
    except UnexpectedInput as first:
        diagnostics, stopped = _recover(text, file, first)
    except VisitError as err:  # a value the grammar accepts but that is not valid (e.g. 2024-02-30)
        if isinstance(err.orig_exc, _ValueProblem):
            return ParseResult(None, (err.orig_exc.diagnostic,))
        raise
    if stopped is not None:
        seen = {d.span for d in diagnostics}
        diagnostics += [d for d in _errors_of_other_declarations(text, file, stopped)
                        if d.span not in seen]
    return ParseResult(None, tuple(sorted(diagnostics, key=lambda d: (d.span.start, d.code))))


class DeclarationCache:
    """:func:`parse` for a text edited a little at a time (the workbench checks it on each
    keystroke): the header and each top-level declaration are parsed alone (Lark reads the
    text between the declaration's offsets, so every span is where the whole parse puts it)
    and kept by their text and position, so an edit parses again only the declarations it
    touched — and any declaration after it whose offset moved.

    The answer is :func:`parse`'s, span for span and diagnostic for diagnostic (a test edits
    shipped rulebooks at random and compares): where every piece parses and builds, the text
    is a header, declarations and between them only blanks and comments, which is exactly what
    the whole grammar accepts, token for token (the contextual lexer is in the same LALR state
    at a declaration's first keyword either way). A syntax error in a piece is reported by
    :func:`parse` itself on the text with every declaration before it blanked out, lines and
    offsets kept, but for the two just before it (those the recovery may look back to): the
    parser reaches the broken declaration in the same state either way, the diagnostics are
    the same and only the broken rest is parsed again. Anything else (an impossible date, a
    condition nested too deeply, a text not split into declarations) is :func:`parse` of the
    whole text. Shared by threads."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self.kept: OrderedDict[tuple[Any, ...], _Piece | str] = OrderedDict()
        # (file, header?, column, text) → the key (with offset and line) last kept for it
        self.placed: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.lock = threading.Lock()
        self.parsed = 0  # pieces parsed so far (not found kept, nor moved)

    def parse(self, text: str, file: str = "<string>") -> ParseResult:
        if _limit_diagnostics(text, file):
            return parse(text, file)
        chunks = _top_level_chunks(text)
        if not chunks:
            return parse(text, file)
        line_starts = _line_starts(text)
        keys: list[tuple[Any, ...]] = []
        broken = len(chunks)  # the first piece that does not parse alone
        for index, (start, end) in enumerate(chunks):
            begin = start if index == 0 else _declaration_start(text, start, end)
            if begin is None:
                broken = index
                break
            line, col = _line_col(line_starts, begin)
            keys.append((file, index == 0, begin, line, col, text[begin:end]))
        found = self.find(keys)
        clean = broken == len(chunks) and _SKIP.fullmatch(text, chunks[-1][1]) is not None
        missing = [i for i, piece in enumerate(found) if piece is None]
        if clean and len(missing) > MAX_PIECES_ALONE:  # a text mostly new: one parse is cheaper
            whole = _pieces_of_whole(text, file, keys)
            if whole is None:
                return parse(text, file)
            self.parsed += len(whole)
            self.keep(zip(keys, whole, strict=True))
            return _rulebook_of(text, file, whole, whole.span)
        builder: _Builder | None = None  # made once a piece is parsed (binding is not free)
        pieces: list[_Piece] = []
        for index, (key, piece) in enumerate(zip(keys, found, strict=True)):
            if piece is None:
                builder = builder or _Builder(file, text)
                piece = _parse_piece(builder, text, key, chunks[index][1])
                self.parsed += 1
                self.keep([(key, piece)])
            if piece == _SYNTAX:
                broken = index
                break
            if not isinstance(piece, _Piece):  # a value the grammar accepts but is not valid
                return parse(text, file)
            pieces.append(piece)
        else:
            if clean:
                first, last = pieces[0].span, pieces[-1].span
                return _rulebook_of(text, file, pieces, A.Span(
                    file, first.line, first.col, last.end_line, last.end_col, first.start,
                    last.end))
        if broken < 4:
            return parse(text, file)
        # the declarations before the one broken (but the header and the two just before it)
        # blanked out, every line and offset kept: only the broken rest is parsed again
        cut, keep = chunks[1][0], chunks[broken - 2][0]
        blank = "\n".join(" " * len(line) for line in text[cut:keep].split("\n"))
        result = parse(text[:cut] + blank + text[keep:], file)
        if result.rulebook is not None:  # parsed after all (a declaration without braces)
            return parse(text, file)
        return result

    def find(self, keys: list[tuple[Any, ...]]) -> list[_Piece | str | None]:
        """The piece kept for each key; else one of the same text kept elsewhere in the file
        (an edit before it moved it), its spans moved by as many lines and characters, kept
        in its new place instead."""
        found: list[_Piece | str | None] = []
        moved: list[tuple[tuple[Any, ...], _Piece | str]] = []
        with self.lock:
            for key in keys:
                piece = self.kept.get(key)
                if piece is None:
                    elsewhere = self.placed.get(_unplaced(key))
                    # taken from its old place (kept there, each edit that moves the text
                    # would add a copy of every declaration after it)
                    piece = None if elsewhere is None else self.kept.pop(elsewhere, None)
                    if isinstance(piece, _Piece):  # moved outside the lock (below)
                        moved.append((key, piece))
                        piece = None
                    elif piece is not None:
                        moved.append((key, piece))
                else:
                    self.kept.move_to_end(key)
                found.append(piece)
        if moved:
            at = {key: i for i, key in enumerate(keys)}
            shifted = []
            for key, piece in moved:
                if isinstance(piece, _Piece):
                    piece = _moved_piece(piece, key[3] - piece.line, key[2] - piece.begin)
                found[at[key]] = piece
                shifted.append((key, piece))
            self.keep(shifted)
        return found

    def keep(self, pieces: Iterable[tuple[tuple[Any, ...], _Piece | str]]) -> None:
        with self.lock:
            for key, piece in pieces:
                self.kept[key] = piece
                self.placed[_unplaced(key)] = key
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
            if len(self.placed) > 2 * self.size:  # keys of pieces no longer kept
                self.placed = {k: v for k, v in self.placed.items() if v in self.kept}


MAX_PIECES_ALONE = 8  # past this many pieces not parsed before, the whole text is parsed once


class _Pieces(list["_Piece"]):
    span: A.Span  # of the whole rulebook


def _pieces_of_whole(text: str, file: str, keys: list[tuple[Any, ...]]) -> _Pieces | None:
    """The pieces of a text that parses whole into as many as ``keys`` (None if it does not)."""
    try:
        tree = _lark().parse(text, start="start")
    except UnexpectedInput:
        return None
    if _shape_conditions(tree, file) is not None or len(tree.children) != len(keys):
        return None
    builder = _Builder(file, text)
    pieces = _Pieces()
    pieces.span = _meta_span(file, tree.meta)
    for child, key in zip(tree.children, keys, strict=True):
        node = _built(builder, child)
        if node is None:
            return None
        pieces.append(_Piece(node, builder.keyword_langs, _meta_span(file, child.meta),
                             key[2], key[3]))
    return pieces


def _rulebook_of(text: str, file: str, pieces: list[_Piece], span: A.Span) -> ParseResult:
    header, *decls = pieces
    return ParseResult(
        A.Rulebook(header.node, tuple(p.node for p in decls),
                   lang=_language(sum((p.langs for p in pieces), Counter())),
                   comments=tuple(_comments(text, file)), span=span),
        (),
    )


@dataclass(frozen=True)
class _Piece:
    node: Any  # the header (of the first piece) or a declaration
    langs: Counter[str]  # keywords of each language
    span: A.Span  # of its parse tree's root
    begin: int  # where it was parsed: the offset and line of its first character
    line: int


def _unplaced(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A piece's key without its offset and line: (file, header?, column, text)."""
    return key[0], key[1], key[4], key[5]


def _moved_piece(piece: _Piece, lines: int, chars: int) -> _Piece:
    """``piece`` as if parsed ``lines`` lines and ``chars`` characters further on (its text and
    the column it starts at the same: every span moves by as much, no column changes)."""
    file = piece.span.file

    def span(s: A.Span) -> A.Span:
        if s.file != file:
            return s
        return A.Span(file, s.line + lines, s.col, s.end_line + lines, s.end_col,
                      s.start + chars, s.end + chars)

    def moved(value: Any) -> Any:
        kind = type(value)
        if kind is A.Span:
            return span(value)
        if kind is tuple:
            return tuple(map(moved, value))
        if kind is dict:
            return {k: moved(v) for k, v in value.items()}
        names = _DATACLASS_FIELDS.get(kind)
        if names is None:
            dataclass = dataclasses.is_dataclass(value) and not isinstance(value, type)
            names = _DATACLASS_FIELDS.setdefault(
                kind, tuple(f.name for f in dataclasses.fields(value)) if dataclass else ())
        if not names:  # a plain value (or a dataclass with no fields)
            return value
        state = dict(value.__dict__)
        for name in names:
            state[name] = moved(state[name])
        new = object.__new__(kind)  # a frozen dataclass: its fields set as its __init__ would
        object.__setattr__(new, "__dict__", state)
        return new

    return _Piece(moved(piece.node), piece.langs, span(piece.span), piece.begin + chars,
                  piece.line + lines)


_DATACLASS_FIELDS: dict[type, tuple[str, ...]] = {}  # () for a type that is not a dataclass


_SYNTAX = "syntax"  # a piece that does not parse alone
_INVALID = "invalid"  # a piece that parses but holds a value that is not valid


def _built(builder: _Builder, tree: Tree) -> Any | None:
    """``tree`` (one declaration or the header) built into its AST node with the keyword
    languages counted afresh; None when it holds a value that is not valid (e.g. 2024-02-30)."""
    builder.keyword_langs = Counter()
    try:
        return builder.transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, _ValueProblem):
            return None
        raise


def _parse_piece(builder: _Builder, text: str, key: tuple[Any, ...], end: int
                 ) -> _Piece | str:
    file, header, begin, line = key[:4]
    try:
        tree = _lark().parse(TextSlice(text, begin, end), start="start" if header else "decl")
    except UnexpectedInput:
        return _SYNTAX
    if _shape_conditions(tree, file) is not None:
        return _INVALID
    node = _built(builder, tree)
    if node is None:
        return _INVALID
    if header:
        node = node.header
    return _Piece(node, builder.keyword_langs, _meta_span(file, tree.meta), begin, line)


def _language(keyword_langs: Counter[str]) -> str:
    if not keyword_langs:
        return "zh"
    return "en" if keyword_langs["en"] > keyword_langs["zh"] else "zh"


@dataclass(frozen=True)
class FamilyParseResult:
    family: A.Family | None
    diagnostics: tuple[Diagnostic, ...]


def is_family(text: str) -> bool:
    """Whether ``text`` declares a rulebook family (its first word is ``规则族`` /
    ``rulebook family``) rather than a rulebook."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        return stripped.startswith(tuple(s for lang in KEYWORDS["FAMILY"] for s in lang))
    return False


def parse_family(text: str, file: str = "<string>") -> FamilyParseResult:
    """Parse a family file (``规则族 「名称」 { 版本 "a.wz" … }``); errors come back as
    diagnostics, as :func:`parse` gives them."""
    try:
        tree = _lark().parse(text, start="family")
        builder = _Builder(file, text)
        return FamilyParseResult(builder.transform(tree), tuple(builder.diagnostics))
    except UnexpectedInput as err:
        return FamilyParseResult(None, (_syntax_diagnostic(err, text, file),))


def parse_file(path: str | Path) -> ParseResult:
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), str(path))


# --------------------------------------------------------------------------- limits

PARSE_CODES: dict[str, tuple[str, str]] = {
    "WZ001": ("无法识别的字符", "unexpected character"),
    "WZ002": ("此处不应出现的词", "unexpected token"),
    "WZ003": ("文件意外结束", "unexpected end of file"),
    "WZ004": ("日期不存在", "invalid date"),
    "WZ005": ("条件嵌套过深", "condition nested too deeply"),
    "WZ006": ("规则集过大", "rulebook too large"),
    "WZ007": ("行过长", "line too long"),
    "WZ008": ("名称过长", "name too long"),
}

MAX_RULEBOOK_CHARS = 1_000_000  # the shipped rulebooks are 10–25 k characters
MAX_LINES = 20_000  # the longest shipped rulebook has ~420 lines
MAX_LINE_CHARS = 2_000  # statements stand one per line; the longest shipped line is ~130
MAX_NAME_CHARS = 200  # a document's full title is ~60
MAX_NESTING = 50  # parentheses and 非 inside one another in a condition
LIMITS = {"rulebook": MAX_RULEBOOK_CHARS, "lines": MAX_LINES, "line": MAX_LINE_CHARS,
          "name": MAX_NAME_CHARS, "nesting": MAX_NESTING}


def _limit_diagnostics(text: str, file: str) -> list[Diagnostic]:
    """WZ006 for a text over :data:`MAX_RULEBOOK_CHARS` characters or :data:`MAX_LINES` lines,
    WZ007 for each line over :data:`MAX_LINE_CHARS` (the first ten): such a file is refused
    before it is parsed."""
    if len(text) > MAX_RULEBOOK_CHARS:
        return [Diagnostic(
            "WZ006",
            Severity.ERROR,
            Message(f"规则集过大：{len(text)} 个字符，上限 {MAX_RULEBOOK_CHARS}",
                    f"rulebook too large: {len(text)} characters, at most {MAX_RULEBOOK_CHARS}"),
            A.Span(file, 1, 1, 1, 1, 0, 0),
            help=Message("把规则集拆成几个文件，用 `继承` 合在一起",
                         "split the rulebook into files joined with `extends`"),
        )]
    found: list[Diagnostic] = []
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        at = sum(map(len, lines[:MAX_LINES])) + MAX_LINES
        return [Diagnostic(
            "WZ006",
            Severity.ERROR,
            Message(f"规则集过大：{len(lines)} 行，上限 {MAX_LINES}",
                    f"rulebook too large: {len(lines)} lines, at most {MAX_LINES}"),
            A.Span(file, MAX_LINES + 1, 1, MAX_LINES + 1, 2, at, at + 1),
            help=Message("把规则集拆成几个文件，用 `继承` 合在一起",
                         "split the rulebook into files joined with `extends`"),
        )]
    if max(map(len, lines)) <= MAX_LINE_CHARS:
        return found
    long_ones = [i for i, n in enumerate(map(len, lines)) if n > MAX_LINE_CHARS][:10]
    for index in long_ones:
        start = sum(map(len, lines[:index])) + index
        end = start + len(lines[index])
        line = index + 1
        offset = start + MAX_LINE_CHARS
        found.append(Diagnostic(
            "WZ007",
            Severity.ERROR,
            Message(f"行过长：{end - start} 个字符，上限 {MAX_LINE_CHARS}",
                    f"line too long: {end - start} characters, at most {MAX_LINE_CHARS}"),
            A.Span(file, line, MAX_LINE_CHARS + 1, line, MAX_LINE_CHARS + 2, offset, offset + 1),
            help=Message("每行写一条语句", "write one statement per line"),
        ))
    return found


def _shape_conditions(tree: Tree, file: str) -> Diagnostic | None:
    """Before the tree is built into the AST (a recursive walk): a flat chain ``a 且 b 且 c …``
    (a left-leaning tree as deep as the chain is long) becomes one node with every operand, and
    a condition whose parentheses and ``非`` nest deeper than :data:`MAX_NESTING` is refused with
    WZ005. Iterative, so no depth of input can exhaust the stack here."""
    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in ("and_", "or_"):
            _flatten_chain(node)
        elif node.data in ("not_", "paren"):
            depth += 1
            if depth > MAX_NESTING:
                span = _meta_span(file, node.meta)
                return Diagnostic(
                    "WZ005",
                    Severity.ERROR,
                    Message(f"条件嵌套过深：括号与 `非` 超过 {MAX_NESTING} 层",
                            f"condition nested too deeply: more than {MAX_NESTING} levels of "
                            "parentheses and `not`"),
                    A.Span(file, span.line, span.col, span.line, span.col + 1, span.start,
                           span.start + 1),
                    help=Message("把条件拆开写，或去掉多余的括号与成对的 `非`",
                                 "split the condition, or drop redundant parentheses and "
                                 "double negations"),
                )
        stack.extend((c, depth) for c in node.children if isinstance(c, Tree))
    return None


def _flatten_chain(node: Tree) -> None:
    """``((a 且 b) 且 c)`` as Lark builds it → one ``and_`` node with children ``a 且 b 且 c``."""
    rights: list[list[Any]] = []
    current: Any = node
    while isinstance(current, Tree) and current.data == node.data:
        left, *rest = current.children
        rights.append(rest)
        current = left
    children = [current]
    for rest in reversed(rights):
        children += rest
    node.children = children


# --------------------------------------------------------------------------- comments


_CLOSER = {'"': '"', "“": "”", "「": "」"}
_OPENERS = re.compile(r'["“「#]|//')


def quoted_and_comments(text: str, begin: int = 0, end: int | None = None
                        ) -> list[tuple[int, int, bool]]:
    """``(start, end, is_comment)`` of every string (``"…"`` with ``\\`` escapes, ``“…”``),
    bracketed name (``「…」``) and comment (``#``, ``//`` to the end of the line) in
    ``text[begin:end]``, scanned left to right as the lexer sees them; an opener without its
    closer on the same line is an ordinary character.

    Linear in the length of the text, however many openers stay unclosed: once an opener of a
    kind finds no closer before the end of its line, no later opener of that kind on that line
    can (for ``"``, a later ``"`` inside the failed scan was an escaped one, and the scan from it
    runs in step with the failed one)."""
    end = len(text) if end is None else end
    found: list[tuple[int, int, bool]] = []
    dead: dict[str, int] = {}  # opener → end of the line on which it can no longer close
    i = begin
    while True:
        m = _OPENERS.search(text, i, end)
        if m is None:
            return found
        i = m.start()
        ch = m.group(0)
        eol = text.find("\n", i, end)
        eol = end if eol < 0 else eol
        if ch in ("#", "//"):
            found.append((i, eol, True))
            i = eol
            continue
        if dead.get(ch) == eol:
            i += 1
            continue
        close = _closing(text, i, eol, ch)
        if close < 0:
            dead[ch] = eol
            i += 1
            continue
        found.append((i, close + 1, False))
        i = close + 1


def _closing(text: str, i: int, eol: int, opener: str) -> int:
    """Where the string or name opened at ``i`` closes on its line, or -1."""
    closer = _CLOSER[opener]
    if opener != '"':
        return text.find(closer, i + 1, eol)
    j = i + 1
    while j < eol:
        c = text[j]
        if c == '"':
            return j
        j += 2 if c == "\\" else 1
    return -1


def _comments(text: str, file: str) -> list[A.Comment]:
    found: list[A.Comment] = []
    spans = [(start, end) for start, end, is_comment in quoted_and_comments(text) if is_comment]
    if not spans:
        return found
    line_starts = _line_starts(text)
    for start, end in spans:
        line, col = _line_col(line_starts, start)
        found.append(
            A.Comment(
                text[start:end],
                span=A.Span(file, line, col, line, col + end - start, start, end),
            )
        )
    return found


def _line_starts(text: str) -> list[int]:
    starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))
    starts.pop()  # (where a line after the last would start)
    return starts


def _line_col(line_starts: list[int], offset: int) -> tuple[int, int]:
    import bisect

    index = bisect.bisect_right(line_starts, offset) - 1
    return index + 1, offset - line_starts[index] + 1


# --------------------------------------------------------------------------- errors


class _ValueProblem(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message.en)
        self.diagnostic = diagnostic


def _token_span(file: str, tok: Token) -> A.Span:
    return A.Span(
        file,
        tok.line or 1,
        tok.column or 1,
        tok.end_line or tok.line or 1,
        tok.end_column or (tok.column or 1) + 1,
        tok.start_pos or 0,
        tok.end_pos or 0,
    )


def _expected_list(expected: set[str] | frozenset[str]) -> tuple[str, str]:
    names = sorted(expected, key=lambda t: (t not in KEYWORDS, t))
    # hide the internal terminals that never help a person
    names = [n for n in names if not n.startswith("__")]
    if len(names) > 8:
        names = [*names[:8], "…"]
    zh = "、".join(describe_terminal(n, "zh") if n != "…" else n for n in names)
    en = ", ".join(describe_terminal(n, "en") if n != "…" else n for n in names)
    return zh, en


def _syntax_diagnostic(err: UnexpectedInput, text: str, file: str) -> Diagnostic:
    if isinstance(err, UnexpectedToken) and err.token.type == "$END":
        err = UnexpectedEOF(err.expected)  # type: ignore[assignment]
        err.line, err.column = _end_position(text)  # type: ignore[attr-defined]
    if isinstance(err, UnexpectedCharacters):
        line, col = err.line, err.column
        ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        ch = ch if ch.isprintable() else f"U+{ord(ch):04X}" if ch else ch
        span = A.Span(file, line, col, line, col + 1, err.pos_in_stream, err.pos_in_stream + 1)
        hint = _character_hint(ch, text, err.pos_in_stream)
        return Diagnostic(
            "WZ001",
            Severity.ERROR,
            Message(f"无法识别的字符 `{ch}`", f"unexpected character `{ch}`"),
            span,
            help=hint,
        )
    if isinstance(err, UnexpectedEOF):
        line, col = getattr(err, "line", 0), getattr(err, "column", 0)
        if line in (-1, 0, None):
            line, col = _end_position(text)
        offset = len(text)
        if "RBRACE" in err.expected:  # inside a block: the one thing that surely helps
            message = Message("文件意外结束，缺少右花括号 `}`",
                              "unexpected end of file, missing a closing brace `}`")
        else:
            zh, en = _expected_list(err.expected)
            message = Message(f"文件意外结束，应为 {zh}", f"unexpected end of file, expected {en}")
        return Diagnostic(
            "WZ003",
            Severity.ERROR,
            message,
            A.Span(file, line, col, line, col + 1, offset, offset),
            help=Message("检查是否缺少右花括号 `}`", "check for a missing closing brace `}`"),
        )
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    zh, en = _expected_list(err.expected)
    shown = str(tok) if len(tok) <= 40 else str(tok)[:40] + "…"
    shown = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in shown)
    help_ = _token_hint(tok, err.expected)
    return Diagnostic(
        "WZ002",
        Severity.ERROR,
        Message(f"此处不应出现 `{shown}`，应为 {zh}", f"unexpected `{shown}`, expected {en}"),
        _token_span(file, tok),
        labels=_unfinished_line(tok, err.expected, text, file),
        help=help_,
    )


def _unfinished_line(tok: Token, expected: set[str], text: str, file: str) -> tuple[Label, ...]:
    """When the unexpected token starts its line and the parser is in the middle of a statement
    (a `}` would not do), the statement on the line before is the unfinished one: point at its
    end (``法定时限 20`` without its ``工作日``)."""
    from wenze.dsl.diagnostics import Label

    start = tok.start_pos or 0
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip() or "RBRACE" in expected or line_start == 0:
        return ()
    end = line_start - 1  # the newline before the token's line
    while end > 0:
        code = _code_of(text[text.rfind("\n", 0, end) + 1:end]).rstrip()
        if code:
            begin = text.rfind("\n", 0, end) + 1
            offset = begin + len(code)
            starts = _line_starts(text)
            line, col = _line_col(starts, offset - 1)
            span = A.Span(file, line, col, line, col + 1, offset - 1, offset)
            return (Label(span, Message("上一条语句在此处没有写完", "the statement above ends "
                                                                 "here unfinished")),)
        end = text.rfind("\n", 0, end)
    return ()


def _end_position(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _character_hint(ch: str, text: str, pos: int) -> Message | None:
    if _CJK.match(ch):
        word = _CJK_RUN.match(text, pos)
        shown = word.group(0) if word else ch
        keyword = _close_keyword(shown)
        if keyword:
            return Message(
                f"是否想写关键字 `{keyword}`？中文名称则要写在「」里，例如 `「{shown}」`",
                f"did you mean the keyword `{keyword}`? Chinese names are written in 「」, "
                f"e.g. `「{shown}」`",
            )
        return Message(
            f"中文名称要写在「」里，例如 `「{shown}」`；如果这是关键字，请检查拼写",
            f"Chinese names are written in 「」, e.g. `「{shown}」`; "
            "if this is a keyword, check its spelling",
        )
    if ch in "：:":
        return Message("这里不需要冒号", "no colon is needed here")
    if ch in "；;":
        return Message("语句之间不需要分号", "statements need no semicolon")
    if ch == "「":
        return Message(
            "名称缺少右括号 `」`，或名称为空", "a name lacks its closing `」`, or is empty"
        )
    if ch in "\"“":
        return Message("字符串缺少右引号", "a string lacks its closing quote")
    return None


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{1,12}")


def _close_keyword(word: str) -> str | None:
    """The Chinese keyword a misspelt or cut-short word most likely means."""
    import difflib

    spellings = sorted({zh for zhs, _ in KEYWORDS.values() for zh in zhs if len(zh) > 1})
    for n in range(len(word), 1, -1):  # `工作` (cut short) or `工作曰` (mistyped) → `工作日`
        prefix = word[:n]
        starting = [k for k in spellings if k.startswith(prefix) and k != word]
        if len(starting) == 1:
            return starting[0]
        close = difflib.get_close_matches(word[:max(n, 2)], spellings, n=1, cutoff=0.6)
        if close and close[0] != word:
            return close[0]
    return None


def _token_hint(tok: Token, expected: set[str]) -> Message | None:
    if tok.type == "IDENT" and tok.value.lower() in {
        en for _, ens in KEYWORDS.values() for en in ens
    }:
        return None
    if tok.type in KEYWORDS and expected & {"IDENT", "BRACKETED"}:
        return Message(
            f"`{tok}` 是关键字；作为名称使用时请写成 `「{tok}」`",
            f"`{tok}` is a keyword; to use it as a name write `「{tok}」`",
        )
    if "RBRACE" in expected and tok.type in KEYWORDS:
        return Message(
            "这个关键字不能用在这个声明里，或者上一个声明缺少 `}`",
            "this keyword does not belong in this declaration, or the previous one lacks its `}`",
        )
    return None


MAX_SYNTAX_ERRORS = 50  # like OPA's error limit: past this, more errors help nobody


def _recover(text: str, file: str, first: UnexpectedInput) -> tuple[list[Diagnostic], Any]:
    """Every syntax error of ``text``, not only the first.

    Statements are written one per line, so after an error the statement that holds it is
    blanked out (replaced by spaces, so that every later line and column stays where it was) and
    the text parsed again. When the offending token starts its line, the incomplete statement is
    usually the line before (``上级`` with its name missing), so that line is tried first. A line
    whose braces do not balance is never blanked (that would only move the error); when no blank
    moves the parser past the error, recovery stops there and each later top-level declaration is
    parsed on its own. Returns the diagnostics and the diagnostic where recovery stopped (None when
    the rest of the file parsed)."""
    found = [_syntax_diagnostic(first, text, file)]
    current, err = text, first
    while len(found) < MAX_SYNTAX_ERRORS:
        position = _error_offset(err, current)
        progressed = None
        for line in _lines_to_blank(current, err):
            candidate = _blank_line(current, line)
            if candidate is None:
                continue
            try:
                _lark().parse(candidate, start="start")
            except UnexpectedInput as nxt:
                if _error_offset(nxt, candidate) > position:
                    progressed = (candidate, nxt)
                    break
                continue
            return found, None
        if progressed is None:
            return found, found[-1]
        current, err = progressed
        found.append(_syntax_diagnostic(err, current, file))
    return found, found[-1]


def _error_offset(err: UnexpectedInput, text: str) -> int:
    if isinstance(err, UnexpectedToken):
        if err.token.type == "$END":
            return len(text)
        return err.token.start_pos or 0
    if isinstance(err, UnexpectedCharacters):
        return err.pos_in_stream
    return len(text)


def _lines_to_blank(text: str, err: UnexpectedInput) -> list[int]:
    """0-based line numbers worth blanking for this error, the likeliest first."""
    if isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    ):
        return []
    if isinstance(err, UnexpectedToken) and "LBRACE" in err.expected:
        # a declaration lacks its `{`: blanking would report each statement of its body in
        # turn; the declaration-by-declaration pass after this handles the rest
        return []
    offset = _error_offset(err, text)
    lines = text.split("\n")
    starts = _line_starts(text)
    import bisect

    index = bisect.bisect_right(starts, offset) - 1
    before = lines[index][: offset - starts[index]]
    wanted = [index]
    if not before.strip():  # the token starts its line: the statement before may be unfinished
        prev = index - 1
        while prev >= 0 and not _code_of(lines[prev]).strip():
            prev -= 1
        if prev >= 0:
            wanted.insert(0, prev)
    return wanted


def _code_of(line: str) -> str:
    """The line without strings, bracketed names and its comment."""
    code = list(line)
    for start, end, is_comment in quoted_and_comments(line):
        if is_comment:
            return "".join(code[:start])
        code[start:end] = " " * (end - start)
    return "".join(code)


def _blank_line(text: str, index: int) -> str | None:
    lines = text.split("\n")
    code = _code_of(lines[index])
    if not code.strip():
        return None
    opening = code.count("{") + code.count("｛")
    closing = code.count("}") + code.count("｝")
    if opening != closing:
        return None
    lines[index] = " " * len(lines[index])
    return "\n".join(lines)


_TOP_LEVEL = re.compile(
    "|".join(
        sorted(
            (re.escape(s) for t in ("OVERRIDE", "DOCUMENT", "CALENDAR", "POWER", "UNIT", "POST",
                                     "ITEM", "PROCESS", "VIOLATION", "LADDER", "TARGET")
             for lang in KEYWORDS[t] for s in lang),
            key=len,
            reverse=True,
        )
    )
)


_CHUNK_MARKS = re.compile('#|//|["“「{｛}｝]')


def _top_level_chunks(text: str) -> list[tuple[int, int]]:
    """Character ranges of the top-level ``{ … }`` declarations, found by brace depth alone."""
    chunks = []
    depth = 0
    start = None
    i = 0
    n = len(text)
    decl_start = 0
    while i < n:
        mark = _CHUNK_MARKS.search(text, i)  # every other character is passed over
        if mark is None:
            break
        i = mark.start()
        ch = text[i]
        if ch == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch in "\"“「":
            close = {"\"": "\"", "“": "”", "「": "」"}[ch]
            j = i + 1
            while j < n and text[j] != close and text[j] != "\n":
                j += 2 if ch == "\"" and text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in "{｛":
            if depth == 0:
                start = decl_start
            depth += 1
        elif ch in "}｝" and depth > 0:
            depth -= 1
            if depth == 0 and start is not None:
                chunks.append((start, i + 1))
                decl_start = i + 1
                start = None
        i += 1
    return chunks


_SKIP = re.compile(r"(?:\s+|(?:#|//)[^\n]*)*")


def _declaration_start(text: str, start: int, end: int) -> int | None:
    """Where the declaration of a chunk begins: after the blank lines and comments before it
    (a comment may well contain a keyword word such as ``items``), at a top-level keyword."""
    begin = _SKIP.match(text, start, end).end()  # type: ignore[union-attr]
    return begin if _TOP_LEVEL.match(text, begin, end) else None


def _errors_of_other_declarations(text: str, file: str, first: Diagnostic) -> list[Diagnostic]:
    """Re-parse each top-level declaration after ``first`` (where recovery stopped) alone."""
    found: list[Diagnostic] = []
    line_starts = _line_starts(text)
    for start, end in _top_level_chunks(text)[1:]:  # the first chunk is the header
        begin = _declaration_start(text, start, end)
        if begin is None:
            continue
        line, col = _line_col(line_starts, begin)
        if (line, col) <= (first.span.line, first.span.col) <= _line_col(line_starts, end - 1):
            continue
        if (line, col) <= (first.span.line, first.span.col):
            continue  # parsed (with its errors blanked) before recovery stopped
        chunk = "\n" * (line - 1) + " " * (col - 1) + text[begin:end]
        try:
            _lark().parse(chunk, start="decl")
        except UnexpectedInput as err:
            d = _syntax_diagnostic(err, chunk, file)
            # offsets in the padded chunk: the padding is (line-1) newlines + (col-1) spaces
            shift = begin - (line - 1) - (col - 1)
            span = d.span
            d = Diagnostic(
                d.code,
                d.severity,
                d.message,
                A.Span(file, span.line, span.col, span.end_line, span.end_col,
                       span.start + shift, span.end + shift),
                d.labels,
                d.help,
            )
            if d.span != first.span:
                found.append(d)
    return found


# --------------------------------------------------------------------------- tree → AST


def _meta_span(file: str, meta: Any) -> A.Span:
    if getattr(meta, "empty", True):
        return A.NO_SPAN
    return A.Span(file, meta.line, meta.column, meta.end_line, meta.end_column,
                  meta.start_pos, meta.end_pos)


_DURATION_UNITS = {"WORKDAYS": A.DayKind.WORKING, "DAYS": A.DayKind.NATURAL}
_ROLES = {
    "DIRECT": A.Role.DIRECT,
    "REVIEWER": A.Role.REVIEWER,
    "APPROVER": A.Role.APPROVER,
    "DEPUTY_LEADER": A.Role.DEPUTY_LEADER,
    "CHIEF_LEADER": A.Role.CHIEF_LEADER,
}
_PARTY_BASES = {
    "DIRECT": A.PartyBase.DIRECT, "REVIEWER": A.PartyBase.REVIEWER,
    "APPROVER": A.PartyBase.DECIDER, "RECEIVER": A.PartyBase.RECEIVER,
    "ACCEPTOR": A.PartyBase.ACCEPTOR, "CORRECTION_NOTIFIER": A.PartyBase.CORRECTION_NOTIFIER,
    "SUSPENDER": A.PartyBase.SUSPENDER, "EXTENSION_APPROVER": A.PartyBase.EXTENSION_APPROVER,
    "DECIDER": A.PartyBase.DECIDER, "DELIVERER": A.PartyBase.DELIVERER,
    "REFERRER": A.PartyBase.REFERRER, "STEP_HANDLER": A.PartyBase.STEP_HANDLER,
    "COUNTERSIGN_UNIT": A.PartyBase.COUNTERSIGN_UNIT,
    "COUNTERSIGN_REQUESTER": A.PartyBase.COUNTERSIGN_REQUESTER,
    "COMPLAINED_OF": A.PartyBase.COMPLAINED_OF,
}
_LEADERS = {"DEPUTY_LEADER": A.Leader.DEPUTY, "CHIEF_LEADER": A.Leader.CHIEF,
            "LEADERSHIP_BODY": A.Leader.BODY}
_DEGREES = {"DEGREE_DIRECT": A.Degree.DIRECT, "DEGREE_PRIMARY": A.Degree.PRIMARY_LEADERSHIP,
            "DEGREE_IMPORTANT": A.Degree.IMPORTANT_LEADERSHIP,
            "DEGREE_OVERALL": A.Degree.OVERALL_LEADERSHIP}
_CMP = {
    ">": A.CompareOp.GT, "＞": A.CompareOp.GT, ">=": A.CompareOp.GE, "≥": A.CompareOp.GE,
    "<": A.CompareOp.LT, "＜": A.CompareOp.LT, "<=": A.CompareOp.LE, "≤": A.CompareOp.LE,
    "==": A.CompareOp.EQ, "!=": A.CompareOp.NE, "≠": A.CompareOp.NE,
}
_WARNING_LEVELS = {"NOTICE": A.WarningLevel.NOTICE, "YELLOW": A.WarningLevel.YELLOW,
                   "RED": A.WarningLevel.RED}
_PERIODS = {"MONTH": A.Period.MONTH, "QUARTER": A.Period.QUARTER,
            "HALF_YEAR": A.Period.HALF_YEAR, "YEAR": A.Period.YEAR}


def _string_value(tok: Token) -> str:
    raw = str(tok)
    if raw.startswith("“"):
        return raw[1:-1]
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _Roles(tuple):
    """A role list while the tree is being built: the roles and the span of the list."""

    span: A.Span = A.NO_SPAN


def _tokens(children: list[Any]) -> list[Token]:
    return [c for c in children if isinstance(c, Token)]


def _values(children: list[Any]) -> list[Any]:
    """The children that are not keyword or punctuation tokens."""
    return [c for c in children if not isinstance(c, Token)]


@v_args(meta=True)
class _Builder(Transformer):
    """Turns Lark's parse tree into :mod:`wenze.dsl.ast` nodes, recording which keyword table the
    file uses and the diagnostics for values the grammar cannot judge (impossible dates, …)."""

    def __init__(self, file: str, text: str):
        super().__init__(visit_tokens=True)
        self.file = file
        self.text = text
        self.keyword_langs: Counter[str] = Counter()
        self.diagnostics: list[Diagnostic] = []
        # Lark looks a rule's method up once a node, and ``v_args`` makes a new wrapper (with
        # functools.update_wrapper) on every lookup: bound once here, the lookup finds it in the
        # instance (the wrappers are non-data descriptors), the same callable every time.
        for name in _RULE_METHODS:
            self.__dict__[name] = getattr(self, name)

    def language(self) -> str:
        return _language(self.keyword_langs)

    def __default_token__(self, tok: Token) -> Token:
        lang = language_of(tok.type, str(tok))
        if lang:
            self.keyword_langs[lang] += 1
        return tok

    def _span(self, meta: Any) -> A.Span:
        return _meta_span(self.file, meta)

    def _date(self, tok: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(tok))
        except ValueError:
            raise _ValueProblem(
                Diagnostic(
                    "WZ004",
                    Severity.ERROR,
                    Message(f"日期 `{tok}` 不存在", f"`{tok}` is not a valid date"),
                    _token_span(self.file, tok),
                    help=Message("日期写作 YYYY-MM-DD", "dates are written YYYY-MM-DD"),
                )
            ) from None

    def _int(self, tok: Token) -> int:
        return int(str(tok))

    # ---------------------------------------------------------------- shared pieces
    def name(self, meta: Any, children: list[Token]) -> A.Name:
        tok = children[0]
        text = str(tok)
        if tok.type == "BRACKETED":
            text = text[1:-1].strip()
        if len(text) > MAX_NAME_CHARS:
            raise _ValueProblem(Diagnostic(
                "WZ008",
                Severity.ERROR,
                Message(f"名称过长：{len(text)} 个字符，上限 {MAX_NAME_CHARS}",
                        f"name too long: {len(text)} characters, at most {MAX_NAME_CHARS}"),
                _token_span(self.file, tok),
                help=Message("用简称作名称，全称写在文件的 `标题` 里",
                             "use a short name; the full title goes in the document's `title`"),
            ))
        return A.Name(text, span=self._span(meta))

    def name_list(self, meta: Any, children: list[A.Name]) -> tuple[A.Name, ...]:
        return tuple(_values(children))

    def duration(self, meta: Any, children: list[Token]) -> A.Duration:
        amount, unit = children
        return A.Duration(self._int(amount), _DURATION_UNITS[unit.type], span=self._span(meta))

    def basis(self, meta: Any, children: list[Any]) -> A.Citation:
        _, document, clause = children
        return A.Citation(document, _string_value(clause), span=self._span(meta),
                          field_spans={"clause": self._tok(clause)})

    def role(self, meta: Any, children: list[Token]) -> A.Role:
        return _ROLES[children[0].type]

    # 责任 PARTY [承担 DEGREE], …
    def party_base(self, meta: Any, children: list[Token]) -> tuple[A.PartyBase, A.Role | None]:
        kind = children[0].type
        return _PARTY_BASES[kind], _ROLES.get(kind)

    def leader(self, meta: Any, children: list[Token]) -> tuple[A.Leader, A.Role | None]:
        kind = children[0].type
        return _LEADERS[kind], _ROLES.get(kind)

    def degree(self, meta: Any, children: list[Token]) -> A.Degree:
        return _DEGREES[children[0].type]

    def party(self, meta: Any, children: list[Any]) -> tuple[A.Party, A.Role | None]:
        first, word = children[0]
        if isinstance(first, A.Leader):  # 分管领导 alone: the direct party's
            return A.Party(A.PartyBase.DIRECT, first), word
        return A.Party(first), word

    def leader_of(self, meta: Any, children: list[Any]) -> tuple[A.Party, A.Role | None]:
        (base, word), (leader, _) = _values(children)
        if word is A.Role.APPROVER:  # 批准人 is the decider
            base = A.PartyBase.DECIDER
        return A.Party(base, leader), None

    def responsibility(self, meta: Any, children: list[Any]) -> A.Responsibility:
        values = _values(children)
        party, word = values[0]
        if word is not None and len(values) == 1:  # a role word: its own meaning
            return A.Responsibility.of_role(word)
        if word is A.Role.APPROVER:
            party = A.Party(A.PartyBase.DECIDER, party.leader)
        degree = values[1] if len(values) > 1 else A.default_degree(party)
        return A.Responsibility(party, degree, word if len(values) == 1 else None)

    def responsibility_list(self, meta: Any, children: list[Any]) -> _Roles:
        roles = _Roles(_values(children))
        roles.span = self._span(meta)
        return roles

    def role_list(self, meta: Any, children: list[Any]) -> _Roles:
        roles = _Roles(_values(children))
        roles.span = self._span(meta)
        return roles

    # ---------------------------------------------------------------- block helpers
    def _split(self, children: list[Any]) -> tuple[A.Name, tuple[A.Citation, ...], list[Any]]:
        values = _values(children)
        name = values[0]
        basis = tuple(v for v in values[1:] if isinstance(v, A.Citation))
        items = [v for v in values[1:] if not isinstance(v, A.Citation)]
        return name, basis, items

    @staticmethod
    def _fields(items: list[Any], repeated: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The fields of a block from its ``(key, value[, spans])`` items."""
        out: dict[str, Any] = {}
        for key, value, *_ in items:
            if key in repeated:
                out.setdefault(key, []).append(value)
            else:
                out[key] = value  # a later clause of the same kind replaces an earlier one
        return {k: tuple(v) if k in repeated else v for k, v in out.items()}

    @staticmethod
    def _field_spans(items: list[Any]) -> dict[str, A.Span]:
        """The spans of the plain-value fields of a block (the third element of an item)."""
        spans: dict[str, A.Span] = {}
        for item in items:
            if isinstance(item, tuple) and len(item) == 3:
                spans.update(item[2])
        return spans

    def _tok(self, tok: Token) -> A.Span:
        return _token_span(self.file, tok)

    def _spans_if(self, field: str, toks: list[Token]) -> dict[str, A.Span]:
        """``{field: span of the first token}``, or nothing when the optional part is absent."""
        return {field: self._tok(toks[0])} if toks else {}

    def _trailing_basis(self, children: list[Any]) -> tuple[A.Citation, ...]:
        return tuple(c for c in children if isinstance(c, A.Citation))

    # ---------------------------------------------------------------- header
    def start(self, meta: Any, children: list[Any]) -> A.Rulebook:
        header, *decls = children
        return A.Rulebook(header, tuple(decls), span=self._span(meta))

    def header(self, meta: Any, children: list[Any]) -> A.Header:
        name, basis, items = self._split(children)
        fields = self._fields(items, frozenset({"extends"}))
        effective = fields.get("effective", (None, None))
        return A.Header(
            name,
            version=fields.get("version"),
            effective_from=effective[0],
            effective_until=effective[1],
            jurisdiction=fields.get("jurisdiction"),
            extends=fields.get("extends", ()),
            basis=basis,
            span=self._span(meta),
            field_spans=self._field_spans(items),
            default_basis=fields.get("default_basis"),
        )

    def default_basis(self, meta: Any, children: list[Any]) -> tuple[str, A.Citation]:
        _, document, clause = children
        return ("default_basis", A.Citation(document, _string_value(clause),
                                            span=self._span(meta),
                                            field_spans={"clause": self._tok(clause)}))

    def version(self, meta: Any, children: list[Token]) -> tuple[str, str, dict[str, A.Span]]:
        return ("version", _string_value(children[1]), {"version": self._tok(children[1])})

    def effective(self, meta: Any, children: list[Token]) -> tuple[str, Any]:
        dates = [c for c in children if c.type == "DATE"]
        start = self._date(dates[0])
        until = self._date(dates[1]) if len(dates) > 1 else None
        spans = {"effective_from": self._tok(dates[0])}
        if len(dates) > 1:
            spans["effective_until"] = self._tok(dates[1])
        return ("effective", (start, until), spans)

    def jurisdiction(self, meta: Any, children: list[Token]) -> tuple[str, str, Any]:
        return ("jurisdiction", _string_value(children[1]),
                {"jurisdiction": self._tok(children[1])})

    def extends(self, meta: Any, children: list[Token]) -> tuple[str, A.StringLit]:
        tok = children[1]
        return ("extends", A.StringLit(_string_value(tok), span=_token_span(self.file, tok)))

    def repeal(self, meta: Any, children: list[Any]) -> A.Repeal:
        kind, name = children[1], children[2]
        basis = tuple(c for c in children[3:] if isinstance(c, A.Citation))
        return A.Repeal(kind, name, basis, span=self._span(meta))

    def decl_kind(self, meta: Any, children: list[Token]) -> str:
        return children[0].type

    def family(self, meta: Any, children: list[Any]) -> A.Family:
        name = children[1]
        basis = tuple(c for c in children if isinstance(c, A.Citation))
        versions = tuple(c for c in children if isinstance(c, A.StringLit))
        return A.Family(name, versions, basis, span=self._span(meta))

    def family_version(self, meta: Any, children: list[Token]) -> A.StringLit:
        tok = children[1]
        return A.StringLit(_string_value(tok), span=_token_span(self.file, tok))

    def decl(self, meta: Any, children: list[Any]) -> A.Decl:
        body = children[-1]
        if len(children) == 2:
            from dataclasses import replace

            return replace(body, override=True,
                           field_spans={**body.field_spans, "override": self._tok(children[0])})
        return body

    # ---------------------------------------------------------------- documents, calendars
    def document(self, meta: Any, children: list[Any]) -> A.DocumentDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        return A.DocumentDecl(name, f.get("number"), f.get("title"), basis=basis,
                              span=self._span(meta), field_spans=self._field_spans(items))

    def doc_number(self, meta: Any, children: list[Token]) -> tuple[str, str]:
        return ("number", _string_value(children[1]), {"number": self._tok(children[1])})

    def doc_title(self, meta: Any, children: list[Token]) -> tuple[str, str]:
        return ("title", _string_value(children[1]), {"title": self._tok(children[1])})

    def calendar(self, meta: Any, children: list[Any]) -> A.CalendarDecl:
        name, basis, items = self._split(children)
        f = self._fields(items, frozenset({"holiday", "workday"}))
        return A.CalendarDecl(
            name,
            f.get("base", A.CalendarBase.STATUTORY),
            f.get("holiday", ()),
            f.get("workday", ()),
            basis,
            span=self._span(meta),
            field_spans=self._field_spans(items),
        )

    def cal_base(self, meta: Any, children: list[Token]) -> tuple[str, A.CalendarBase]:
        kind = children[1].type
        base = A.CalendarBase.STATUTORY if kind == "STATUTORY_DAYS" else A.CalendarBase.NATURAL
        return ("base", base, {"base": self._tok(children[1])})

    def _calendar_day(self, meta: Any, children: list[Token]) -> A.CalendarDay:
        note = _string_value(children[2]) if len(children) > 2 else None
        spans = {"date": self._tok(children[1])}
        if len(children) > 2:
            spans["note"] = self._tok(children[2])
        return A.CalendarDay(self._date(children[1]), note, span=self._span(meta),
                             field_spans=spans)

    def cal_holiday(self, meta: Any, children: list[Token]) -> tuple[str, A.CalendarDay]:
        return ("holiday", self._calendar_day(meta, children))

    def cal_workday(self, meta: Any, children: list[Token]) -> tuple[str, A.CalendarDay]:
        return ("workday", self._calendar_day(meta, children))

    def holiday_schedule(self, meta: Any, children: list[Any]) -> A.HolidayScheduleDecl:
        year_tok = next(c for c in children if isinstance(c, Token) and c.type == "INT")
        year = self._int(year_tok)
        values = _values(children)
        basis = tuple(v for v in values if isinstance(v, A.Citation))
        items = [v for v in values if not isinstance(v, A.Citation)]
        f = self._fields(items, frozenset({"holiday", "workday"}))
        return A.HolidayScheduleDecl(
            A.Name(str(year), span=self._tok(year_tok)),
            year,
            f.get("holiday", ()),
            f.get("workday", ()),
            basis,
            span=self._span(meta),
            field_spans={"year": self._tok(year_tok)},
        )

    def _schedule_days(self, meta: Any, children: list[Token]) -> A.ScheduleDays:
        dates = [c for c in children if c.type == "DATE"]
        strings = [c for c in children if c.type == "STRING"]
        spans = {"start": self._tok(dates[0])}
        end = None
        if len(dates) > 1:
            end = self._date(dates[1])
            spans["end"] = self._tok(dates[1])
        note = None
        if strings:
            note = _string_value(strings[0])
            spans["note"] = self._tok(strings[0])
        return A.ScheduleDays(self._date(dates[0]), end, note, span=self._span(meta),
                              field_spans=spans)

    def sched_holiday(self, meta: Any, children: list[Token]) -> tuple[str, A.ScheduleDays]:
        return ("holiday", self._schedule_days(meta, children))

    def sched_workday(self, meta: Any, children: list[Token]) -> tuple[str, A.ScheduleDays]:
        return ("workday", self._schedule_days(meta, children))

    # ---------------------------------------------------------------- powers, units, posts
    def power(self, meta: Any, children: list[Any]) -> A.PowerDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        return A.PowerDecl(name, f.get("description"), basis, span=self._span(meta),
                           field_spans=self._field_spans(items), acts=f.get("acts", ()))

    def power_acts(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("acts", children[1])

    def description(self, meta: Any, children: list[Token]) -> tuple[str, str]:
        return ("description", _string_value(children[1]),
                {"description": self._tok(children[1])})

    def unit(self, meta: Any, children: list[Any]) -> A.UnitDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        return A.UnitDecl(
            name,
            f.get("parent"),
            f.get("chief_leader"),
            f.get("deputy_leader"),
            basis,
            span=self._span(meta),
        )

    def parent(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("parent", children[1])

    def chief_leader(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("chief_leader", children[1])

    def deputy_leader(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("deputy_leader", children[1])

    def post(self, meta: Any, children: list[Any]) -> A.PostDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        return A.PostDecl(
            name,
            f.get("unit"),
            f.get("powers", ()),
            f.get("deputy_leader"),
            f.get("covers"),
            basis,
            span=self._span(meta),
        )

    def belongs_to(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("unit", children[1])

    def holds(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("powers", children[1])

    def covers(self, meta: Any, children: list[Any]) -> tuple[str, A.Cover]:
        values = _values(children)
        powers = values[1] if len(values) > 1 else ()
        return ("covers", A.Cover(values[0], powers, span=self._span(meta)))

    # ---------------------------------------------------------------- items
    def item(self, meta: Any, children: list[Any]) -> A.ItemDecl:
        values = _values(children)
        name = values[0]
        base = None
        rest = values[1:]
        if rest and isinstance(rest[0], A.Name):
            base, rest = rest[0], rest[1:]
        basis = tuple(v for v in rest if isinstance(v, A.Citation))
        items = [v for v in rest if not isinstance(v, A.Citation)]
        f = self._fields(items, frozenset({"warning"}))
        return A.ItemDecl(
            name,
            base=base,
            unit=f.get("unit"),
            calendar=f.get("calendar"),
            process=f.get("process"),
            statutory=f.get("statutory"),
            promised=f.get("promised"),
            extension=f.get("extension"),
            correction=f.get("correction"),
            suspension=f.get("suspension"),
            warnings=f.get("warning", ()),
            basis=basis,
            span=self._span(meta),
            field_spans=self._field_spans(items),
            title=f.get("title"),
        )

    def item_title(self, meta: Any, children: list[Any]) -> tuple[str, str]:
        return ("title", _string_value(children[1]), {"title": self._tok(children[1])})

    def item_unit(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("unit", children[1])

    def use_calendar(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("calendar", children[1])

    def use_process(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("process", children[1])

    def _limit(self, meta: Any, children: list[Any]) -> A.Limit:
        values = _values(children)
        return A.Limit(values[0], self._trailing_basis(values[1:]), span=self._span(meta))

    def statutory(self, meta: Any, children: list[Any]) -> tuple[str, A.Limit]:
        return ("statutory", self._limit(meta, children))

    def promised(self, meta: Any, children: list[Any]) -> tuple[str, A.Limit]:
        return ("promised", self._limit(meta, children))

    def extension(self, meta: Any, children: list[Any]) -> tuple[str, A.Extension]:
        values = _values(children)
        duration, power, *rest = values
        return ("extension", A.Extension(duration, power, tuple(rest), span=self._span(meta)))

    def corrections(self, meta: Any, children: list[Any]) -> tuple[str, A.CorrectionRule]:
        values = _values(children)
        once_tok = [c for c in children if isinstance(c, Token) and c.type == "ONCE"]
        rule = A.CorrectionRule(values[0], bool(once_tok), self._trailing_basis(values[1:]),
                                span=self._span(meta),
                                field_spans=self._spans_if("once", once_tok))
        return ("correction", rule)

    def suspend_on(self, meta: Any, children: list[Any]) -> tuple[str, A.SuspensionRule]:
        values = _values(children)
        rule = A.SuspensionRule(values[0], self._trailing_basis(values[1:]), span=self._span(meta))
        return ("suspension", rule)

    def warning_level(self, meta: Any, children: list[Token]) -> tuple[A.WarningLevel, A.Span]:
        return (_WARNING_LEVELS[children[0].type], self._span(meta))

    def _warning(self, meta: Any, children: list[Any], trigger: A.TriggerKind,
                 **values: Any) -> tuple[str, A.WarningRule]:
        (level, level_span), *rest = _values(children)
        word = next(c for c in children if isinstance(c, Token)
                    and c.type in ("BEFORE", "AT", "OVERDUE"))
        spans = {"level": level_span, "trigger": self._tok(word)}
        percent = [c for c in children if isinstance(c, Token) and c.type == "PERCENT"]
        if percent:
            values["percent"] = _percent(percent[0])
            spans["percent"] = self._tok(percent[0])
        if rest and isinstance(rest[0], A.Duration):
            values["duration"], rest = rest[0], rest[1:]
        return ("warning", A.WarningRule(level, trigger, basis=tuple(rest),
                                         span=self._span(meta), field_spans=spans, **values))

    def warn_before(self, meta: Any, children: list[Any]) -> tuple[str, A.WarningRule]:
        return self._warning(meta, children, A.TriggerKind.BEFORE)

    def warn_at(self, meta: Any, children: list[Any]) -> tuple[str, A.WarningRule]:
        return self._warning(meta, children, A.TriggerKind.AT_PERCENT)

    def warn_overdue(self, meta: Any, children: list[Any]) -> tuple[str, A.WarningRule]:
        return self._warning(meta, children, A.TriggerKind.OVERDUE)

    # ---------------------------------------------------------------- processes
    def process(self, meta: Any, children: list[Any]) -> A.ProcessDecl:
        name, basis, items = self._split(children)
        steps = tuple(v for v in items if isinstance(v, A.StepDecl | A.CountersignDecl))
        f = self._fields([v for v in items if isinstance(v, tuple)])
        return A.ProcessDecl(
            name,
            f.get("limit"),
            f.get("extension"),
            f.get("calendar"),
            steps,
            basis,
            span=self._span(meta),
        )

    def overall_limit(self, meta: Any, children: list[Any]) -> tuple[str, A.Limit]:
        return ("limit", self._limit(meta, children))

    def step(self, meta: Any, children: list[Any]) -> A.StepDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        return A.StepDecl(
            name,
            f.get("units", ()),
            f.get("post"),
            f.get("limit"),
            f.get("after", ()),
            basis,
            span=self._span(meta),
        )

    def countersign(self, meta: Any, children: list[Any]) -> A.CountersignDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        return A.CountersignDecl(
            name,
            f.get("units", ()),
            f.get("reply_within"),
            f.get("silence", A.Silence.CONSENT),
            f.get("after", ()),
            basis,
            span=self._span(meta),
            field_spans=self._field_spans(items),
        )

    def units(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("units", children[1])

    def step_post(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("post", children[1])

    def step_limit(self, meta: Any, children: list[Any]) -> tuple[str, A.Limit]:
        return ("limit", self._limit(meta, children))

    def reply_within(self, meta: Any, children: list[Any]) -> tuple[str, A.Limit]:
        return ("reply_within", self._limit(meta, children))

    def silence(self, meta: Any, children: list[Token]) -> tuple[str, A.Silence]:
        kind = children[1].type
        return ("silence", A.Silence.CONSENT if kind == "CONSENT" else A.Silence.FAILURE,
                {"silence": self._tok(children[1])})

    def after(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("after", children[1])

    # ---------------------------------------------------------------- violations
    def violation(self, meta: Any, children: list[Any]) -> A.ViolationDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        scope, target = f.get("scope", (A.Scope.CASE, None))
        return A.ViolationDecl(
            name,
            scope,
            target,
            f.get("items", ()),
            f.get("condition"),
            f.get("responsible", ()),
            f.get("ladder"),
            basis,
            span=self._span(meta),
            field_spans=self._field_spans(items),
        )

    def on_scope(self, meta: Any, children: list[Any]) -> tuple[str, Any]:
        return ("scope", children[1], {"scope": self._span(meta)})

    def scope(self, meta: Any, children: list[Any]) -> tuple[A.Scope, A.Name | None]:
        kind = children[0].type
        if kind == "TARGET":
            return (A.Scope.TARGET, children[1])
        return ({"CASE": A.Scope.CASE, "STEP": A.Scope.STEP,
                 "COUNTERSIGN": A.Scope.COUNTERSIGN}[kind], None)

    def for_items(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("items", children[1])

    def when(self, meta: Any, children: list[Any]) -> tuple[str, A.Expr]:
        return ("condition", children[1])

    def responsible(self, meta: Any, children: list[Any]
                    ) -> tuple[str, tuple[A.Responsibility, ...], dict[str, A.Span]]:
        return ("responsible", tuple(children[1]), {"responsible": children[1].span})

    def use_ladder(self, meta: Any, children: list[Any]) -> tuple[str, A.Name]:
        return ("ladder", children[1])

    # expressions
    # a chain arrives flattened (_flatten_chain); a parenthesised first operand of the same
    # operator is merged as the left-leaning tree always merged it
    def or_(self, meta: Any, children: list[Any]) -> A.Or:
        first, *rest = _values(children)
        operands = (*first.operands, *rest) if isinstance(first, A.Or) else (first, *rest)
        return A.Or(operands, span=self._span(meta))

    def and_(self, meta: Any, children: list[Any]) -> A.And:
        first, *rest = _values(children)
        operands = (*first.operands, *rest) if isinstance(first, A.And) else (first, *rest)
        return A.And(operands, span=self._span(meta))

    def not_(self, meta: Any, children: list[Any]) -> A.Not:
        return A.Not(_values(children)[0], span=self._span(meta))

    def compare(self, meta: Any, children: list[Any]) -> A.Compare:
        left, op, right = children
        return A.Compare(_CMP[str(op)], left, right, span=self._span(meta),
                         field_spans={"op": self._tok(op)})

    def fact(self, meta: Any, children: list[Any]) -> A.FactRef:
        return A.FactRef(children[0], span=self._span(meta))

    def number(self, meta: Any, children: list[Token]) -> A.NumberLit:
        return A.NumberLit(Decimal(str(children[0])), span=self._span(meta))

    def percent(self, meta: Any, children: list[Token]) -> A.PercentLit:
        return A.PercentLit(_percent(children[0]), span=self._span(meta))

    def duration_lit(self, meta: Any, children: list[Any]) -> A.DurationLit:
        return A.DurationLit(children[0], span=self._span(meta))

    def true(self, meta: Any, children: list[Any]) -> A.BoolLit:
        return A.BoolLit(True, span=self._span(meta))

    def false(self, meta: Any, children: list[Any]) -> A.BoolLit:
        return A.BoolLit(False, span=self._span(meta))

    def string(self, meta: Any, children: list[Token]) -> A.StringLit:
        return A.StringLit(_string_value(children[0]), span=self._span(meta))

    def paren(self, meta: Any, children: list[Any]) -> A.Expr:
        return _values(children)[0]

    # ---------------------------------------------------------------- ladders
    def ladder(self, meta: Any, children: list[Any]) -> A.LadderDecl:
        name, basis, items = self._split(children)
        many = frozenset({"escalation", "aggravating", "mitigating", "exempt", "consequence",
                          "joint"})
        f = self._fields(items, many)
        exemptions = tuple(n for names in f.get("exempt", ()) for n in names)
        return A.LadderDecl(
            name,
            f.get("window"),
            f.get("levels", ()),
            f.get("escalation", ()),
            f.get("aggravating", ()),
            f.get("mitigating", ()),
            exemptions,
            f.get("consequence", ()),
            f.get("joint", ()),
            basis,
            span=self._span(meta),
        )

    def window_rolling(self, meta: Any, children: list[Token]) -> tuple[str, A.CountWindow]:
        months = self._int(next(c for c in children if c.type == "INT"))
        months_tok = next(c for c in children if c.type == "INT")
        return ("window", A.CountWindow(A.WindowKind.ROLLING_MONTHS, months,
                                        span=self._span(meta),
                                        field_spans={"months": self._tok(months_tok),
                                                     "kind": self._tok(children[1])}))

    def window_year(self, meta: Any, children: list[Token]) -> tuple[str, A.CountWindow]:
        return ("window", A.CountWindow(A.WindowKind.CALENDAR_YEAR, span=self._span(meta),
                                        field_spans={"kind": self._tok(children[1])}))

    def levels(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("levels", children[1])

    def escalation(self, meta: Any, children: list[Any]) -> tuple[str, A.Escalation]:
        count_tok = next(c for c in children if isinstance(c, Token) and c.type == "INT")
        more = [c for c in children if isinstance(c, Token) and c.type == "OR_MORE"]
        sanction = _values(children)[0]
        spans = {"count": self._tok(count_tok)} | self._spans_if("or_more", more)
        return ("escalation", A.Escalation(self._int(count_tok), bool(more), sanction,
                                           span=self._span(meta), field_spans=spans))

    def _circumstance(self, meta: Any, children: list[Any]) -> A.Circumstance:
        name, (kind, steps, sanction, spans) = _values(children)
        return A.Circumstance(name, kind, steps, sanction, span=self._span(meta),
                              field_spans=spans)

    def aggravating(self, meta: Any, children: list[Any]) -> tuple[str, A.Circumstance]:
        return ("aggravating", self._circumstance(meta, children))

    def mitigating(self, meta: Any, children: list[Any]) -> tuple[str, A.Circumstance]:
        return ("mitigating", self._circumstance(meta, children))

    def adjust_up(self, meta: Any, children: list[Token]) -> tuple[Any, ...]:
        spans = {"kind": self._tok(children[0]), "steps": self._tok(children[1])}
        return (A.AdjustKind.UP, self._int(children[1]), None, spans)

    def adjust_down(self, meta: Any, children: list[Token]) -> tuple[Any, ...]:
        spans = {"kind": self._tok(children[0]), "steps": self._tok(children[1])}
        return (A.AdjustKind.DOWN, self._int(children[1]), None, spans)

    def adjust_to(self, meta: Any, children: list[Any]) -> tuple[Any, ...]:
        return (A.AdjustKind.TO, 0, children[1], {"kind": self._tok(children[0])})

    def exempt(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("exempt", children[1])

    def consequence(self, meta: Any, children: list[Any]) -> tuple[str, A.Consequence]:
        sanction = _values(children)[0]
        ints = [c for c in children if isinstance(c, Token) and c.type == "INT"]
        text = next(c for c in children if isinstance(c, Token) and c.type == "STRING")
        cumulative = self._int(ints[0]) if ints else 1
        spans = {"text": self._tok(text)} | self._spans_if("cumulative", ints)
        return ("consequence", A.Consequence(sanction, _string_value(text), cumulative,
                                             span=self._span(meta), field_spans=spans))

    def joint(self, meta: Any, children: list[Any]) -> tuple[str, A.JointLiability]:
        count_tok = next(c for c in children if isinstance(c, Token) and c.type == "INT")
        roles, sanction = _values(children)
        return ("joint", A.JointLiability(self._int(count_tok), tuple(roles), sanction,
                                          span=self._span(meta),
                                          field_spans={"count": self._tok(count_tok),
                                                       "roles": roles.span}))

    # ---------------------------------------------------------------- targets
    def target(self, meta: Any, children: list[Any]) -> A.TargetDecl:
        name, basis, items = self._split(children)
        f = self._fields(items)
        metric, op, threshold = f.get("metric", (None, A.CompareOp.GE, None))
        return A.TargetDecl(
            name,
            metric,
            op,
            threshold,
            f.get("period", A.Period.QUARTER),
            f.get("units", ()),
            basis,
            span=self._span(meta),
            field_spans=self._field_spans(items),
        )

    def metric(self, meta: Any, children: list[Any]) -> tuple[str, Any]:
        _, metric, op, percent = children
        threshold = A.PercentLit(_percent(percent), span=_token_span(self.file, percent))
        return ("metric", (metric, _CMP[str(op)], threshold), {"op": self._tok(op)})

    def period(self, meta: Any, children: list[Token]) -> tuple[str, A.Period]:
        return ("period", _PERIODS[children[1].type], {"period": self._tok(children[1])})

    def target_units(self, meta: Any, children: list[Any]) -> tuple[str, tuple[A.Name, ...]]:
        return ("units", children[1])


_RULE_METHODS = tuple(sorted(name for name, value in vars(_Builder).items()
                             if callable(getattr(value, "visit_wrapper", None))))


def _percent(tok: Token) -> Decimal:
    return Decimal(re.sub(r"[\s%％]", "", str(tok)))


__all__ = ["DeclarationCache", "ParseResult", "Tree", "parse", "parse_file"]
