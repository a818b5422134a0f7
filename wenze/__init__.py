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

__all__ = ["Rulebook", "RulebookError", "RulebookFamily", "load", "to_json"]
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
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of)
        evs, rejected = _events(events)
        from wenze.fast.evaluators import evaluator_for

        _, run = evaluator_for(evaluator, evs)
        return run(self.program, evs, as_of, prior_sanctions, rejected=rejected,
                   explain=explain)


class RulebookFamily(Rulebook):
    """The versions of one rulebook, each in force for its period (``规则族``): each act judged
    by the version in force when it happened, the decision date's version where it is lighter
    (从旧兼从轻, :mod:`wenze.engine.versions`). ``program`` is the latest version's."""

    def __init__(self, path: str, versions: Sequence[Any], diagnostics: list) -> None:
        super().__init__(path, versions[-1].program, diagnostics)
        self.versions = tuple(versions)

    def evaluate(self, events: str | Path | Iterable[Any], as_of: dt.date | str,
                 prior_sanctions: Sequence[Any] = (), explain: Iterable[str] = (),
                 evaluator: str = "auto") -> Any:
        """As :meth:`Rulebook.evaluate` (either evaluator: the same decisions)."""
        from wenze.fast.evaluators import family_evaluator_for

        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of)
        evs, rejected = _events(events)
        _, run = family_evaluator_for(evaluator, evs, self.versions)
        return run(self.program, evs, as_of, prior_sanctions, rejected=rejected,
                   explain=explain)


def _events(events: str | Path | Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """Events from a file, from Event objects or from dicts in the JSON Lines shape."""
    from wenze.events import readers as E

    rejected: list = []
    if isinstance(events, str | Path):
        batch = E.read_events(events)
        return list(batch.events), list(batch.rejected)
    items = list(events)
    dicts = [e for e in items if isinstance(e, dict)]
    evs = [e for e in items if not isinstance(e, dict)]
    if dicts:
        lines = [json.dumps(d, ensure_ascii=False) for d in dicts]
        batch = E.read_jsonl(lines, "<python>")
        evs += list(batch.events)
        rejected = list(batch.rejected)
    return evs, rejected


def load(path: str | Path) -> Rulebook:
    """Load a rulebook file (and the rulebooks it extends), or a rulebook family
    (:class:`RulebookFamily`). Raises :class:`RulebookError` carrying every diagnostic when the
    rulebook has errors, :class:`OSError` when unreadable."""
    from wenze.dsl.loader import load_rulebook
    from wenze.dsl.parser import is_family
    from wenze.engine.lower import lower

    if is_family(Path(path).read_text(encoding="utf-8")):
        from wenze.dsl.family import load_family
        from wenze.engine.versions import lower_family

        family = load_family(path)
        if not family.ok:
            raise RulebookError(family.errors or family.diagnostics)
        versions = lower_family(family)
        return RulebookFamily(str(path), versions, list(family.diagnostics))
    loaded = load_rulebook(path)
    if not loaded.ok or loaded.rulebook is None:
        raise RulebookError(loaded.errors or loaded.diagnostics)
    return Rulebook(str(path), lower(loaded.rulebook), list(loaded.diagnostics))


def to_json(result: Any) -> str:
    """The evaluation result as one JSON document (sorted keys, byte-stable)."""
    from wenze.report.output import to_json as _to_json

    return _to_json(result)
