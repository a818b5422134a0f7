"""Every fact of the vocabulary (``wenze.dsl.facts.FACTS``) is computed by the evaluator, in each
scope it is declared for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import wenze
from wenze.dsl.ast import Scope
from wenze.dsl.facts import FACTS
from wenze.engine.evaluate import target_facts

CASES = Path(__file__).resolve().parents[1] / "cases"


def _facts_by_scope() -> dict[Scope, set[str]]:
    found: dict[Scope, set[str]] = {s: set() for s in Scope}
    for name, case in (("countersign_unanswered", "CS"), ("step_before_prerequisite", "ORDER")):
        rulebook = wenze.load(CASES / name / "rulebook.wz")
        result = rulebook.evaluate(CASES / name / "events.jsonl", as_of=dt.date(2024, 6, 30),
                                   explain=[case])
        trace = result.traces[case]
        found[Scope.CASE] |= set(trace.facts)
        for scope, _subject, facts in trace.subjects:
            found[Scope(scope)] |= set(facts)
        for metric in result.metrics:
            found[Scope.TARGET] |= set(target_facts(metric))
    return found


def test_every_fact_is_computed_in_every_scope_it_is_declared_for() -> None:
    found = _facts_by_scope()
    missing = [(f.key, s.value) for f in FACTS for s in f.scopes if f.key not in found[s]]
    assert not missing


def test_no_fact_is_computed_that_the_vocabulary_does_not_declare() -> None:
    declared = {f.key for f in FACTS}
    found = set().union(*_facts_by_scope().values())
    assert found <= declared, found - declared
