"""Which evaluator judges a caseload: ``--evaluator auto|reference|columnar``.

One choice for every command that evaluates (``wenze evaluate`` with an events file or with
``--db``, ``wenze simulate`` with or without ``--compare``): ``reference`` is
:func:`wenze.engine.evaluate.evaluate`, ``columnar`` the numpy fast path
:func:`wenze.fast.columnar.evaluate_columnar` (the same decisions, byte for byte;
docs/semantics.md §9), ``auto`` the columnar path from
:data:`wenze.fast.columnar.AUTO_MIN_CASES` cases on (counted as the cases the events name).
Both take ``(program, events, as_of, prior_sanctions, *, rejected=…, explain=…)``; a trace
(``--explain``) is always the reference's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

EVALUATORS = ("auto", "reference", "columnar")


# the threshold is columnar.AUTO_MIN_CASES (a test holds the two together); spelt out here so
# that building the command line does not import numpy
EVALUATOR_HELP = ("the reference evaluator, or the columnar fast path (same decisions, byte for "
                  "byte; docs/semantics.md §9); auto: columnar from 20,000 cases on")


def add_evaluator_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--evaluator`` option, worded the same for every command."""
    parser.add_argument("--evaluator", choices=EVALUATORS, default="auto", help=EVALUATOR_HELP)


def case_count(events: Iterable[Any]) -> int:
    """The number of cases the events name (events of a person, with no case, are not one);
    of events as columns, the number of their case names (the same count)."""
    names = getattr(events, "case_names", None)
    if names is not None:
        return len(names)
    return len({e.case for e in events if e.case})


def reads_columns(asked: str, path: str | Path, fmt: str | None = None) -> bool:
    """Whether an events file is best read straight into columns
    (:func:`wenze.events.read_columns.read_columns`): a JSON Lines file, when the columnar
    evaluator is asked for, or may be chosen (``auto``: the count of cases is known only once
    the file is read; if the reference is chosen it judges the columns' events)."""
    if asked not in ("auto", "columnar"):
        return False
    name = (fmt or Path(path).suffix.lstrip(".")).lower()
    return name in ("jsonl", "ndjson", "json")


def evaluator_for(asked: str, events: Iterable[Any]) -> tuple[str, Callable[..., Any]]:
    """(``reference`` or ``columnar``, its evaluate function) for ``--evaluator asked`` on these
    events. Raises ``ValueError`` for a name that is not one of :data:`EVALUATORS`."""
    from wenze.engine.evaluate import evaluate
    from wenze.fast.columnar import choose_evaluator, evaluate_columnar

    if asked not in EVALUATORS:
        raise ValueError(f"evaluator must be auto, reference or columnar, not {asked!r}")
    chosen = choose_evaluator(asked, case_count(events) if asked == "auto" else 0)
    return chosen, evaluate_columnar if chosen == "columnar" else evaluate


def family_evaluator_for(asked: str, events: Iterable[Any], versions: Any
                         ) -> tuple[str, Callable[..., Any]]:
    """:func:`evaluator_for` for a rulebook family (``versions``: its lowered versions): the
    reference family judge (:func:`wenze.engine.versions.family_evaluator`) or its columnar
    twin (:func:`wenze.fast.versions.family_evaluator_columnar`), chosen alike."""
    from wenze.engine.versions import family_evaluator
    from wenze.fast.columnar import choose_evaluator
    from wenze.fast.versions import family_evaluator_columnar

    if asked not in EVALUATORS:
        raise ValueError(f"evaluator must be auto, reference or columnar, not {asked!r}")
    chosen = choose_evaluator(asked, case_count(events) if asked == "auto" else 0)
    return chosen, (family_evaluator_columnar(versions) if chosen == "columnar"
                    else family_evaluator(versions))
