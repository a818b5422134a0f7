"""Shared helpers of the check passes (stage 3: AST → checked AST): building bilingual
diagnostics, "did you mean" suggestions, the words for each kind of name, walking every citation
of a declaration, and comparing durations that may be written in different kinds of days.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from wenze.dsl import ast as A
from wenze.dsl.diagnostics import Diagnostic, Label, Message, Severity

# kind of declaration → (zh word, en word)
KIND_WORDS: dict[type, tuple[str, str]] = {
    A.DocumentDecl: ("文件", "document"),
    A.CalendarDecl: ("日历", "calendar"),
    A.HolidayScheduleDecl: ("节假日安排", "holiday schedule"),
    A.PowerDecl: ("职权", "power"),
    A.UnitDecl: ("单位", "unit"),
    A.PostDecl: ("岗位", "post"),
    A.ItemDecl: ("事项", "item"),
    A.ProcessDecl: ("流程", "process"),
    A.ViolationDecl: ("违规", "violation"),
    A.LadderDecl: ("阶梯", "ladder"),
    A.TargetDecl: ("目标", "target"),
}

DAY_WORDS = {A.DayKind.WORKING: ("工作日", "working days"), A.DayKind.NATURAL: ("自然日", "days")}


def kind_words(kind: type) -> tuple[str, str]:
    return KIND_WORDS.get(kind, ("声明", "declaration"))


def msg(zh: str, en: str) -> Message:
    return Message(zh, en)


def error(code: str, message: Message, span: A.Span, labels: Iterable[Label] = (),
          help: Message | None = None, suggestions: Iterable[str] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, tuple(labels), help,
                      tuple(suggestions))


def warning(code: str, message: Message, span: A.Span, labels: Iterable[Label] = (),
            help: Message | None = None, suggestions: Iterable[str] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, tuple(labels), help,
                      tuple(suggestions))


def label(span: A.Span, zh: str, en: str) -> Label:
    return Label(span, Message(zh, en))


def first_declared_here(span: A.Span) -> Label:
    return label(span, "首次声明于此", "first declared here")


def suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Close matches for a misspelt name; CJK names are short, so the cutoff is lenient."""
    pool = sorted({c for c in candidates if c != name})
    cutoff = 0.5 if any(ord(ch) > 0x2E80 for ch in name) else 0.6
    return difflib.get_close_matches(name, pool, n=n, cutoff=cutoff)


def did_you_mean(suggestions: list[str]) -> Message | None:
    if not suggestions:
        return None
    zh = "、".join(f"`{s}`" for s in suggestions)
    en = ", ".join(f"`{s}`" for s in suggestions)
    return Message(f"是否想写 {zh}", f"did you mean {en}")


def day_text(d: A.Duration) -> tuple[str, str]:
    zh, en = DAY_WORDS.get(d.unit, ("日", "days"))
    return f"{d.amount} {zh}", f"{d.amount} {en}"


def compare_durations(a: A.Duration, b: A.Duration) -> int | None:
    """-1, 0 or 1 as ``a`` is shorter than, as long as, or longer than ``b``; ``None`` when the
    day kinds differ and the answer depends on the calendar. N natural days are never longer than
    N working days, which settles some mixed cases."""
    if a.unit == b.unit:
        return (a.amount > b.amount) - (a.amount < b.amount)
    if a.unit is A.DayKind.NATURAL and b.unit is A.DayKind.WORKING and a.amount <= b.amount:
        return -1 if a.amount < b.amount else 0  # at most as long
    if a.unit is A.DayKind.WORKING and b.unit is A.DayKind.NATURAL and a.amount >= b.amount:
        return 1 if a.amount > b.amount else 0  # at least as long
    return None


def decl_citations(decl: A.Decl) -> Iterator[A.Citation]:
    """Every ``依据`` of a declaration, including those trailing its clauses."""
    yield from getattr(decl, "basis", ()) or ()
    if isinstance(decl, A.ItemDecl):
        for part in (decl.statutory, decl.promised, decl.extension, decl.correction,
                     decl.suspension):
            if part is not None:
                yield from part.basis or ()
        for w in decl.warnings or ():
            yield from w.basis or ()
    elif isinstance(decl, A.ProcessDecl):
        for part in (decl.limit, decl.extension):
            if part is not None:
                yield from part.basis or ()
        for node in decl.steps or ():
            yield from node.basis or ()
            lim = node.limit if isinstance(node, A.StepDecl) else node.reply_within
            if lim is not None:
                yield from lim.basis or ()


def process_nodes(process: A.ProcessDecl) -> dict[str, A.ProcessNode]:
    """Steps and countersigns of a process by name (the first wins on duplicates)."""
    found: dict[str, A.ProcessNode] = {}
    for node in process.steps or ():
        found.setdefault(node.name.text, node)
    return found


def node_limit(node: A.ProcessNode) -> A.Limit | None:
    return node.limit if isinstance(node, A.StepDecl) else node.reply_within
