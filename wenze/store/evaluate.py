"""Store stage — evaluating what is stored, and storing an evaluation.

stored events (``load_snapshot``) + earlier runs' sanctions (``prior_sanctions``) → the engine's
evaluator (reference or columnar: ``--evaluator``, :mod:`wenze.fast.evaluators`) →
``record_run`` (run, decisions, warnings; a second run with the same inputs records nothing new).
This is the body of ``wenze evaluate RULEBOOK --db URL --as-of DATE``; ``store_evaluation``
records an evaluation made from an events file (``--db`` beside a file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Engine

from wenze.store.db import make_engine
from wenze.store.runs import (
    RunRecord,
    fingerprint_events,
    load_snapshot,
    prior_sanctions,
    record_run,
)


@dataclass(frozen=True)
class StoredEvaluation:
    result: Any  # wenze.engine.evaluate.EvaluationResult
    run: RunRecord
    prior_sanctions: int  # how many sanctions of earlier runs the ladder was given


class DecisionBodies(Sequence[dict[str, Any]]):
    """The decisions' JSON documents, each made when read: a run recorded already (the same
    inputs) reads none, so its decisions are not made again (a columnar result makes each
    decision when read)."""

    __slots__ = ("_decisions",)

    def __init__(self, decisions: Sequence[Any]) -> None:
        self._decisions = decisions

    def __len__(self) -> int:
        return len(self._decisions)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [d.to_json() for d in self._decisions[i]]
        return self._decisions[i].to_json()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (d.to_json() for d in self._decisions)


def _load(rulebook_path: str | Path, as_of: date | None = None
          ) -> tuple[Any, dict[str, str], Any]:
    """(program, the text of every file, a rulebook family's lowered versions or None)."""
    from wenze.dsl.diagnostics import RulebookError
    from wenze.dsl.family import load_family
    from wenze.dsl.loader import load_rulebook
    from wenze.dsl.parser import is_family
    from wenze.engine.lower import lower

    if is_family(Path(rulebook_path).read_text(encoding="utf-8")):
        from wenze.engine.versions import lower_family, program_on

        family = load_family(rulebook_path)
        if not family.ok:
            raise RulebookError(list(family.errors or family.diagnostics))
        versions = lower_family(family)
        program = program_on(versions, as_of) if as_of is not None else versions[-1].program
        return program, dict(family.sources), versions
    loaded = load_rulebook(rulebook_path)
    if not loaded.ok or loaded.rulebook is None:
        errors = getattr(loaded, "errors", None) or loaded.diagnostics
        raise RulebookError(list(errors))
    return lower(loaded.rulebook), dict(loaded.sources), None


def stored_history(db: str | Engine, as_of: date, cases: Iterable[str]) -> list[Any]:
    """The sanctions earlier runs recorded in ``db`` (up to ``as_of``), for the ladder of an
    evaluation of ``cases`` made from a file (``wenze evaluate RULEBOOK EVENTS --db URL``): the
    sanctions of those very cases are left out (they are recomputed now). The schema is upgraded
    when behind."""
    from wenze.store.db import ensure_schema

    engine = db if isinstance(db, Engine) else make_engine(db)
    try:
        ensure_schema(engine)
        return prior_sanctions(engine, as_of + timedelta(days=1), exclude_cases=set(cases))
    finally:
        if not isinstance(db, Engine):
            engine.dispose()


def history_digest(prior: Iterable[Any]) -> str:
    """A fingerprint of the ladder history an evaluation read (part of its run's parameters:
    the same events judged against another history are another run)."""
    import hashlib

    keys = sorted(_source(p) for p in prior)
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


def with_history(params: Mapping[str, Any] | None, prior: Sequence[Any]) -> dict[str, Any]:
    """``params`` plus the ladder history's fingerprint when there was any history."""
    out = dict(params or {})
    if prior:
        out["ladder_history"] = history_digest(prior)
    return out


def evaluate_with_history(evaluate: Callable[..., Any], program: Any, events: Any, as_of: date,
                          prior: Sequence[Any], **options: Any) -> tuple[Any, list[Any]]:
    """``evaluate(program, events, as_of, prior, **options)`` with the stored history, without
    counting a decision as its own history: an earlier sanction whose decision this evaluation
    issues again (same key — e.g. a target decision, which has no case to exclude it by) is
    being recomputed, so it is dropped and the evaluation made again. Decision keys do not
    depend on the history (joint decisions, whose keys do, are never history), so the second
    pass is exact. Returns (result, the history used)."""
    from wenze.report.summaries import column

    result = evaluate(program, events, as_of, prior, **options)
    issued = set(column(result.decisions, "key"))  # (a columnar result makes no decision)
    kept = [p for p in prior if _source(p) not in issued]
    if len(kept) == len(prior):
        return result, list(prior)
    return evaluate(program, events, as_of, kept, **options), kept


def _source(prior: Any) -> str:
    return str(prior["source"] if isinstance(prior, Mapping) else prior.source)


def judged_cases(result: Any, cases: set[str]) -> set[str]:
    """The cases an evaluation judged: its input's cases less the unjudged ones (a case that
    could not be judged says nothing about its earlier decisions, which stand)."""
    return cases - {u.case for u in result.unjudged}


def evaluate_stored(
    engine: Engine,
    rulebook_path: str | Path,
    as_of: date,
    params: Mapping[str, Any] | None = None,
    explain: Iterable[str] = (),
    evaluator: str = "auto",
) -> StoredEvaluation:
    """Evaluate every stored event with the rulebook as of ``as_of`` and record the run. The
    ladder is given the sanctions of earlier runs dated up to ``as_of``, except those of the
    cases evaluated now (recomputed, not counted twice). ``evaluator``: ``auto``, ``reference``
    or ``columnar`` (:mod:`wenze.fast.evaluators`; the same decisions whichever runs, so the
    choice is not part of the run's parameters). Raises ``RulebookError`` for a rulebook with
    errors, ``ValueError`` for an unknown evaluator."""
    from wenze.fast.evaluators import evaluator_for, family_evaluator_for

    program, sources, versions = _load(rulebook_path, as_of)
    snapshot = load_snapshot(engine)
    if versions is not None:  # a rulebook family: each act by its own version
        _chosen, evaluate = family_evaluator_for(evaluator, snapshot.events, versions)
    else:
        _chosen, evaluate = evaluator_for(evaluator, snapshot.events)
    cases = {ev.case for ev in snapshot.events if ev.case}
    prior = prior_sanctions(engine, as_of + timedelta(days=1), exclude_cases=cases)
    result, prior = evaluate_with_history(evaluate, program, snapshot.events, as_of, prior,
                                          explain=tuple(explain))
    run = record_run(
        engine, sources, as_of, with_history(params, prior),
        DecisionBodies(result.decisions), [w.to_json() for w in result.warnings],
        input_fingerprint=snapshot.fingerprint, event_count=snapshot.count,
        cases=judged_cases(result, cases),
    )
    return StoredEvaluation(result, run, len(prior))


def store_evaluation(
    result: Any,
    db: str | Engine | None,
    sources: Mapping[str, str] | str,
    events: Iterable[Any],
    params: Mapping[str, Any] | None = None,
) -> RunRecord:
    """Record an evaluation made outside the store (``wenze evaluate RULEBOOK EVENTS --db URL``):
    ``sources`` is ``LoadResult.sources`` (or the rulebook text), ``events`` the events evaluated
    (their fingerprint identifies the input). The schema is upgraded when behind."""
    from wenze.store.db import ensure_schema

    engine = db if isinstance(db, Engine) else make_engine(db)
    try:
        ensure_schema(engine)
        events = list(events)
        return record_run(
            engine, sources if isinstance(sources, str) else dict(sources), result.as_of,
            params or {}, DecisionBodies(result.decisions),
            [w.to_json() for w in result.warnings],
            input_fingerprint=fingerprint_events(events), event_count=len(events),
            cases=judged_cases(result, {ev.case for ev in events if ev.case}),
        )
    finally:
        if not isinstance(db, Engine):
            engine.dispose()
