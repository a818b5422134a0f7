"""Spies on the evaluators, for the tests of the code around them: which evaluator a command
that chooses one (``--evaluator``: ``wenze simulate``, ``wenze evaluate`` with a file or
``--db``) called, and whether a consumer of a columnar result made every decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wenze.engine import evaluate as reference
from wenze.fast import columnar
from wenze.fast.ladder import DecisionTable


class EvaluatorCalls:
    """The calls of the two evaluators' entry points (each still runs): the positional
    arguments of each call, in order, until the test's ``monkeypatch`` is undone."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.columnar: list[tuple[Any, ...]] = []
        self.reference: list[tuple[Any, ...]] = []
        monkeypatch.setattr(columnar, "evaluate_columnar",
                            self._spy(columnar.evaluate_columnar, self.columnar))
        monkeypatch.setattr(reference, "evaluate", self._spy(reference.evaluate, self.reference))

    @staticmethod
    def _spy(fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> Callable[..., Any]:
        def spy(*args: Any, **kw: Any) -> Any:
            calls.append(args)
            return fn(*args, **kw)

        return spy


def forbid_passes_over_every_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on in the test a DecisionTable refuses to be iterated (each decision would be
    made): what still passes read the columns, or made only the decisions it indexed."""
    def refuse(self: DecisionTable) -> Any:
        raise AssertionError("every decision made where the columns would do")

    monkeypatch.setattr(DecisionTable, "__iter__", refuse)
