"""Diagnostics: what every stage says to a person about a rulebook.

A :class:`Diagnostic` has a stable code (``WZ0xx`` parse, ``WZ1xx`` names, ``WZ2xx`` time limits,
``WZ3xx`` ladders, ``WZ4xx`` authorization, ``WZ5xx`` facts and conditions), a severity, a message
in Chinese and in English, a primary span, labelled secondary spans, and a help line. Messages
follow Cedar's style guide: lowercase, no final period, user input in backticks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from wenze.dsl.ast import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Message:
    """The same sentence in both languages."""

    zh: str
    en: str

    def in_lang(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Label:
    span: Span
    message: Message


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: Message
    span: Span
    labels: tuple[Label, ...] = ()
    help: Message | None = None
    suggestions: tuple[str, ...] = field(default=())

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.col, self.code)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def sorted_diagnostics(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> list[Diagnostic]:
    """All diagnostics of a run, in file order, each reported once."""
    unique: dict[tuple, Diagnostic] = {}
    for d in diagnostics:
        unique.setdefault((d.code, d.span, d.message), d)
    return sorted(unique.values(), key=lambda d: d.sort_key)


class RulebookError(Exception):
    """Raised by the public API when a rulebook has errors; carries all of them."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted_diagnostics(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        summary = (
            f"{first.span.file}:{first.span.line}:{first.span.col}: {first.code} {first.message.en}"
            if first
            else "rulebook has errors"
        )
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))
