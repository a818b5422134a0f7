"""wenze (问责): executable accountability rulebooks — the Python API for embedding.

The whole pipeline behind two calls: load (parse, merge, check, lower) and evaluate::

    import datetime as dt
    import wenze

    rulebook = wenze.load("rules/zitong_2008.wz")        # raises wenze.RulebookError on errors
    result = rulebook.evaluate("examples/caseload.jsonl", as_of=dt.date(2024, 6, 30))
    for d in result.decisions:
        print(d.case, d.person, d.violation, d.sanction)
    print(len(result.warnings), "warnings;", len(result.rejected), "rejected events")
    print(wenze.to_json(result))                         # the stable JSON document

``events`` may be a path (JSON Lines, CSV or XES), a list of
:class:`wenze.events.readers.Event`, or a list of dicts in the JSON Lines shape
(``{"id", "case", "type", "at", "item", "actor", "post", "unit", "step", "data"}``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from wenze.dsl.diagnostics import RulebookError

__all__ = ["Rulebook", "RulebookError", "load", "to_json"]
__version__ = "0.1.0"


class Rulebook:
    """A loaded, checked and lowered rulebook, ready to evaluate events."""

    def __init__(self, path: str, program: Any, diagnostics: list) -> None:
        self.path = path
        self.program = program
        self.diagnostics = diagnostics  # warnings only (errors raise in load)

    @property
    def name(self) -> str:
        return self.program.name

    def evaluate(
        self,
        events: str | Path | Iterable[Any],
        as_of: dt.date | str,
        prior_sanctions: Sequence[Any] = (),
        explain: Iterable[str] = (),
        evaluator: str = "auto",
    ) -> Any:
        """Evaluate events as of a date → :class:`wenze.engine.evaluate.EvaluationResult`
        (decisions, warnings, metrics, rejected events, unjudged cases, traces).
        ``evaluator``: ``reference``, ``columnar`` (the numpy fast path for large batches, the
        same result byte for byte) or ``auto`` (columnar from 20,000 cases on)."""
        from wenze.events import readers as E

        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of)
        rejected: list = []
        if isinstance(events, str | Path):
            batch = E.read_events(events)
            evs, rejected = list(batch.events), list(batch.rejected)
        else:
            items = list(events)
            dicts = [e for e in items if isinstance(e, dict)]
            evs = [e for e in items if not isinstance(e, dict)]
            if dicts:
                lines = [json.dumps(d, ensure_ascii=False) for d in dicts]
                batch = E.read_jsonl(lines, "<python>")
                evs += list(batch.events)
                rejected = list(batch.rejected)
        from wenze.fast.evaluators import evaluator_for

        _, run = evaluator_for(evaluator, evs)
        return run(self.program, evs, as_of, prior_sanctions, rejected=rejected,
                   explain=explain)


def load(path: str | Path) -> Rulebook:
    """Load a rulebook file (and the rulebooks it extends). Raises :class:`RulebookError`
    carrying every diagnostic when the rulebook has errors, :class:`OSError` when unreadable."""
    from wenze.dsl.loader import load_rulebook
    from wenze.engine.lower import lower

    loaded = load_rulebook(path)
    if not loaded.ok or loaded.rulebook is None:
        raise RulebookError(loaded.errors or loaded.diagnostics)
    return Rulebook(str(path), lower(loaded.rulebook), list(loaded.diagnostics))


def to_json(result: Any) -> str:
    """The evaluation result as one JSON document (sorted keys, byte-stable)."""
    from wenze.report.output import to_json as _to_json

    return _to_json(result)
