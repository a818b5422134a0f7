"""Runs the language-neutral case files under ``tests/cases/<behaviour>/``.

Each directory holds ``rulebook.wz``, ``events.jsonl`` and ``case.json``. ``case.json`` names the
as-of date and what must come out: ``decisions`` (each a subset of a decision's JSON: case,
person, violation, sanction, role, subject; with ``exact`` the list is complete once the
``ignore_violations`` / ``ignore_cases`` are left out), ``facts`` and ``dates`` per case (read from
the case's trace), ``warnings``, ``metrics``, ``unjudged``, or ``error: "rulebook"``. The ``why``
field explains how each expected value was worked out by hand. ``evaluators`` (optional) lists
other ways of judging the same events — ``columnar`` (the fast path) and ``live`` (durable_rules,
the events posted one by one) — whose decisions must be the reference's, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import wenze
from wenze.engine.decisions import json_value

CASES = Path(__file__).resolve().parents[1] / "cases"
DIRS = sorted(p for p in CASES.iterdir() if (p / "case.json").is_file())


def _matches(expected: dict, actual: dict) -> bool:
    """Each expected key has the expected value; a dict value need only give some of its keys."""
    return all(_matches(v, actual.get(k)) if isinstance(v, dict) and isinstance(actual.get(k), dict)
               else actual.get(k) == v for k, v in expected.items())


@pytest.mark.parametrize("case_dir", DIRS, ids=[p.name for p in DIRS])
def test_case(case_dir: Path) -> None:
    spec = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    if spec.get("error") == "rulebook":
        with pytest.raises(wenze.RulebookError) as err:
            wenze.load(case_dir / "rulebook.wz")
        assert err.value.diagnostics
        return
    rulebook = wenze.load(case_dir / "rulebook.wz")
    traced = set(spec.get("facts", {})) | set(spec.get("dates", {}))
    result = rulebook.evaluate(case_dir / "events.jsonl", as_of=dt.date.fromisoformat(
        spec["as_of"]), explain=traced)
    assert not result.rejected, result.rejected
    ignore_v = set(spec.get("ignore_violations", ()))
    ignore_c = set(spec.get("ignore_cases", ()))
    decisions = [d.to_json() for d in result.decisions
                 if d.violation not in ignore_v and d.case not in ignore_c]
    for exp in spec.get("decisions", ()):
        assert any(_matches(exp, d) for d in decisions), (exp, decisions)
    if spec.get("exact"):
        assert len(decisions) == len(spec.get("decisions", ())), decisions
    for case, facts in spec.get("facts", {}).items():
        trace = result.traces[case]
        for name, value in facts.items():
            assert json_value(trace.facts[name]) == value, (case, name, trace.facts[name])
    for case, dates in spec.get("dates", {}).items():
        trace = result.traces[case]
        for name, value in dates.items():
            assert json_value(trace.dates[name]) == value, (case, name, trace.dates[name])
    warnings = [w.to_json() for w in result.warnings]
    for exp in spec.get("warnings", ()):
        assert any(_matches(exp, w) for w in warnings), (exp, warnings)
    if "warnings" in spec:
        assert len(warnings) == len(spec["warnings"]), warnings
    metrics = [m.to_json() for m in result.metrics]
    for exp in spec.get("metrics", ()):
        assert any(_matches(exp, m) for m in metrics), (exp, metrics)
    unjudged = [u.to_json() for u in result.unjudged]
    for exp in spec.get("unjudged", ()):
        assert any(_matches(exp, u) for u in unjudged), (exp, unjudged)
    assert len(unjudged) == len(spec.get("unjudged", ())), unjudged
    as_of = dt.date.fromisoformat(spec["as_of"])
    reference = json.dumps([d.to_json() for d in result.decisions], ensure_ascii=False,
                           sort_keys=True)
    for how in spec.get("evaluators", ()):
        if how == "live":
            from wenze.events.readers import read_events
            from wenze.live.engine import replay

            engine = replay(rulebook.program, read_events(case_dir / "events.jsonl").events,
                            as_of)
            other = [d.to_json() for d in engine.decisions()]
        else:
            other = [d.to_json() for d in rulebook.evaluate(
                case_dir / "events.jsonl", as_of=as_of, evaluator=how).decisions]
        assert json.dumps(other, ensure_ascii=False, sort_keys=True) == reference, how
