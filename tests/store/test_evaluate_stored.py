"""Evaluating what is stored, on both backends, with the language-neutral ladder case
(tests/cases/ladder_escalation: one official late four times → 告诫, 通报, 诫勉, then a reset
to 告诫 outside the 12-month window): recorded once, and the ladder's history read from earlier
runs."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from wenze.dsl.loader import load_rulebook
from wenze.engine.evaluate import evaluate
from wenze.engine.lower import lower
from wenze.events.readers import read_events
from wenze.store.evaluate import evaluate_stored, store_evaluation
from wenze.store.ingest import ingest
from wenze.store.runs import decision_chain, decisions_in_force, prior_sanctions, sanction_history

from .conftest import REPO

CASE = REPO / "tests" / "cases" / "ladder_escalation"
RULEBOOK = CASE / "rulebook.wz"
SPEC = json.loads((CASE / "case.json").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(SPEC["as_of"])
EXPECTED = sorted((d["case"], d["person"], d["sanction"]) for d in SPEC["decisions"])


def _subset(tmp_path: Path, name: str, cases: set[str]) -> Path:
    lines = (CASE / "events.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / name
    kept = [line for line in lines if line.strip() and json.loads(line)["case"] in cases]
    path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    return path


def test_evaluate_stored_records_once(engine: Engine) -> None:
    assert ingest(engine, CASE / "events.jsonl").ok
    first = evaluate_stored(engine, RULEBOOK, AS_OF)
    got = sorted((d.case, d.person, d.sanction) for d in first.result.decisions)
    assert got == EXPECTED
    assert first.run.created and first.run.decisions_added == len(EXPECTED)
    again = evaluate_stored(engine, RULEBOOK, AS_OF)
    assert not again.run.created and again.run.run_id == first.run.run_id
    history = sanction_history(engine, AS_OF + timedelta(days=1))
    assert sorted((h["case"], h["person"], h["sanction"]) for h in history) == EXPECTED
    # The cases evaluated now are recomputed, so their sanctions are not given as priors.
    assert first.prior_sanctions == 0
    assert prior_sanctions(engine, AS_OF, exclude_cases={"ESC-1", "ESC-2", "ESC-3", "ESC-4"}) == []


def test_ladder_history_comes_from_earlier_runs(engine: Engine, tmp_path: Path) -> None:
    # An earlier evaluation of ESC-1 and ESC-2 (from a file, recorded with --db): 告诫, 通报.
    early = read_events(_subset(tmp_path, "early.jsonl", {"ESC-1", "ESC-2"})).events
    loaded = load_rulebook(RULEBOOK)
    assert loaded.rulebook is not None
    result = evaluate(lower(loaded.rulebook), early, AS_OF)
    recorded = store_evaluation(result, engine, loaded.sources, early)
    assert recorded.created and recorded.decisions_added == 2
    # Now only ESC-3 is stored and evaluated: its ladder step counts the two earlier sanctions.
    ingest(engine, _subset(tmp_path, "late.jsonl", {"ESC-3"}))
    later = evaluate_stored(engine, RULEBOOK, AS_OF)
    assert later.prior_sanctions == 2
    got = [(d.case, d.person, d.sanction) for d in later.result.decisions]
    assert got == [e for e in EXPECTED if e[0] == "ESC-3"]  # 诫勉谈话, the third step


def test_late_events_withdraw_a_decision_and_correct_the_ladder(
    engine: Engine, tmp_path: Path
) -> None:
    # ESC-1's clock was suspended for an expert review (2 Mar – 10 Apr 2023), recorded late: the
    # case was on time after all. The next stored run withdraws ESC-1's 告诫 (a new row, the old
    # act kept) and corrects ESC-2 and ESC-3 down one step each (superseding rows).
    assert ingest(engine, CASE / "events.jsonl").ok
    first = evaluate_stored(engine, RULEBOOK, AS_OF)
    assert sorted((d.case, d.sanction) for d in first.result.decisions) == [
        (c, s) for c, _p, s in EXPECTED]
    late = tmp_path / "late.jsonl"
    late.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in [
        {"id": "ESC-1-3", "case": "ESC-1", "type": "suspended", "at": "2023-03-02T09:00:00+08:00",
         "item": "许可", "actor": "蒋明", "post": "首席代表", "data": {"reason": "专家评审"}},
        {"id": "ESC-1-4", "case": "ESC-1", "type": "resumed", "at": "2023-04-10T09:00:00+08:00",
         "item": "许可", "actor": "蒋明", "post": "首席代表"},
    ]), encoding="utf-8")
    assert ingest(engine, late).ok
    second = evaluate_stored(engine, RULEBOOK, AS_OF)
    assert sorted((d.case, d.sanction) for d in second.result.decisions) == [
        ("ESC-2", "效能告诫"), ("ESC-3", "通报批评"), ("ESC-4", "效能告诫")]
    assert (second.run.withdrawn, second.run.superseded) == (1, 2)
    in_force = sorted((d["case"], d["sanction"]) for d in decisions_in_force(engine))
    assert in_force == [("ESC-2", "效能告诫"), ("ESC-3", "通报批评"), ("ESC-4", "效能告诫")]
    [esc1] = [d for d in first.result.decisions if d.case == "ESC-1"]
    chain = decision_chain(engine, esc1.key)
    assert chain[0]["body"]["sanction"] == "效能告诫" and chain[1]["body"]["withdrawn"] is True
    assert "ESC-1" not in {h["case"] for h in sanction_history(engine, date(2030, 1, 1))}


def test_a_target_decision_is_not_its_own_history(engine: Engine, tmp_path: Path) -> None:
    # tests/cases/target_rate: 马局长 answers for the unit's 2024-Q1 rate (a decision with no
    # case). Evaluating the store again after an unrelated event must not count that decision
    # as an earlier sanction of his (it is being recomputed), nor correct anything.
    target = REPO / "tests" / "cases" / "target_rate"
    as_of = date(2024, 6, 30)
    assert ingest(engine, target / "events.jsonl").ok
    first = evaluate_stored(engine, target / "rulebook.wz", as_of)
    [boss] = [d for d in first.result.decisions if d.case is None]
    assert (boss.person, boss.sanction) == ("马局长", "效能告诫")
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps(
        {"id": "X-1", "case": "X", "type": "received", "at": "2024-06-03T09:00:00+08:00",
         "item": "许可", "actor": "许办", "post": "首席代表"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    assert ingest(engine, extra).ok
    second = evaluate_stored(engine, target / "rulebook.wz", as_of)
    assert second.run.created and second.run.superseded == 0
    [again] = [d for d in second.result.decisions if d.case is None]
    assert (again.key, again.sanction) == (boss.key, "效能告诫")
