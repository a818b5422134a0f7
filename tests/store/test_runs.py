"""Evaluation runs on both backends: recorded once per identical inputs; a changed decision is a
new row superseding the old one with the reason; the ladder's sanction history across runs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from wenze.events.readers import read_jsonl
from wenze.store.ingest import ingest
from wenze.store.models import Decision, EvaluationRun, Rulebook, RunWarning
from wenze.store.runs import (
    decision_chain,
    decisions_in_force,
    events_fingerprint,
    load_events,
    load_snapshot,
    prior_sanctions,
    record_run,
    sanction_history,
)

from .conftest import write_events

RULEBOOK = '规则集 「测试规则」 { 版本 "1.0" }\n'
AS_OF = date(2024, 4, 1)


def decision(key: str, person: str = "P1", sanction: str | None = "效能告诫",
             established: str = "2024-03-20", **extra: Any) -> dict[str, Any]:
    """The shape of ``wenze.engine.decisions.Decision.to_json()`` (the fields the store reads)."""
    body: dict[str, Any] = {
        "key": key, "case": "C1", "item": "营业执照", "violation": "超期", "person": person,
        "post": "窗口", "unit": "市场监管局", "role": "direct", "sanction": sanction,
        "established": established, "as_of": AS_OF.isoformat(), "facts": {"days_over": 2},
    }
    body.update(extra)
    return body


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_same_inputs_record_nothing_new(engine: Engine) -> None:
    decisions = [decision("k1"), decision("k2", person="P2")]
    warnings = [{"case": "C9", "level": "yellow", "days_left": 1}]
    first = record_run(engine, RULEBOOK, AS_OF, {"mode": "x"}, decisions, warnings)
    assert first.created and (first.decisions_added, first.superseded) == (2, 0)
    assert first.warnings_added == 1
    again = record_run(engine, RULEBOOK, AS_OF, {"mode": "x"}, list(reversed(decisions)), warnings)
    assert not again.created and again.run_id == first.run_id
    assert (again.decisions_added, again.superseded) == (0, 0)
    for model, n in ((EvaluationRun, 1), (Decision, 2), (RunWarning, 1), (Rulebook, 1)):
        assert _count(engine, model) == n
    with engine.connect() as conn:
        rb = conn.execute(select(Rulebook)).one()
    assert (rb.name, rb.version, rb.source) == ("测试规则", "1.0", RULEBOOK)


def test_other_parameters_are_another_run_but_the_same_decisions(engine: Engine) -> None:
    record_run(engine, RULEBOOK, AS_OF, {"a": 1}, [decision("k1")])
    # A later as-of and other parameters: a new run; the decision (as_of aside) is the same one.
    later = decision("k1", as_of="2024-05-01")
    second = record_run(engine, RULEBOOK, date(2024, 5, 1), {"a": 2}, [later])
    assert second.created and (second.decisions_added, second.unchanged) == (0, 1)
    assert _count(engine, EvaluationRun) == 2 and _count(engine, Decision) == 1


def test_changed_decision_supersedes_with_reason(engine: Engine) -> None:
    first = record_run(engine, RULEBOOK, AS_OF, {}, [decision("k1"), decision("k2")])
    changed = decision("k1", sanction="通报批评", facts={"days_over": 5})
    second = record_run(engine, RULEBOOK, AS_OF, {"rerun": True}, [changed, decision("k2")])
    assert second.created and (second.decisions_added, second.superseded) == (1, 1)
    chain = decision_chain(engine, "k1")
    assert [row["supersedes"] for row in chain] == [None, chain[0]["id"]]
    assert chain[0]["run_id"] == first.run_id and chain[1]["run_id"] == second.run_id
    assert "facts" in chain[1]["reason"] and "sanction" in chain[1]["reason"]
    assert chain[0]["body"]["sanction"] == "效能告诫"  # the old act is kept as issued
    in_force = {d["key"]: d for d in decisions_in_force(engine)}
    assert in_force["k1"]["sanction"] == "通报批评" and set(in_force) == {"k1", "k2"}
    # Correcting again supersedes the correction, not the original.
    third = record_run(engine, RULEBOOK, AS_OF, {"rerun": 2}, [decision("k1", sanction="诫勉")],
                       reason="复核更正")
    assert third.superseded == 1
    chain = decision_chain(engine, "k1")
    assert chain[2]["supersedes"] == chain[1]["id"] and chain[2]["reason"].startswith("复核更正")


def test_new_events_change_the_input_fingerprint(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, write_events(tmp_path / "a.jsonl", range(10)))
    before, n = events_fingerprint(engine)
    assert n == 10
    first = record_run(engine, RULEBOOK, AS_OF, {}, [decision("k1")])
    assert not record_run(engine, RULEBOOK, AS_OF, {}, [decision("k1")]).created
    ingest(engine, write_events(tmp_path / "b.jsonl", range(10, 12)))
    after, n = events_fingerprint(engine)
    assert n == 12 and after != before
    second = record_run(engine, RULEBOOK, AS_OF, {}, [decision("k1")])
    assert second.created and second.run_id != first.run_id and second.decisions_added == 0
    with engine.connect() as conn:
        runs = conn.execute(
            select(EvaluationRun.input_fingerprint, EvaluationRun.event_count)
            .order_by(EvaluationRun.id)
        ).all()
    assert [tuple(r) for r in runs] == [(before, 10), (after, 12)]


def test_sanction_history_for_ladders(engine: Engine) -> None:
    record_run(engine, RULEBOOK, AS_OF, {}, [
        decision("a", person="P1", established="2024-01-10"),
        decision("b", person="P1", sanction="通报批评", established="2024-03-05"),
        decision("c", person="P2", established="2024-02-01"),
        decision("d", person="P3", sanction=None, established="2024-02-02"),  # exempt: no sanction
    ])
    history = sanction_history(engine, before=date(2024, 3, 1))
    assert [(h["person"], h["on"], h["sanction"], h["key"]) for h in history] == [
        ("P1", date(2024, 1, 10), "效能告诫", "a"),
        ("P2", date(2024, 2, 1), "效能告诫", "c"),
    ]
    assert history[0]["unit"] == "市场监管局" and history[0]["case"] == "C1"
    assert [h["key"] for h in sanction_history(engine, date(2025, 1, 1), person="P1")] == ["a", "b"]
    # A later run exempts P2 (不可抗力): the superseded sanction no longer counts.
    record_run(engine, RULEBOOK, date(2024, 4, 2), {}, [
        decision("c", person="P2", sanction=None, established="2024-02-01"),
    ])
    assert [h["key"] for h in sanction_history(engine, date(2025, 1, 1))] == ["a", "b"]


def test_two_different_decisions_with_one_key_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="same key"):
        record_run(engine, RULEBOOK, AS_OF, {}, [decision("k"), decision("k", person="P9")])
    assert _count(engine, EvaluationRun) == 0  # nothing half-recorded


def test_load_events_gives_back_what_was_ingested(engine: Engine, tmp_path: Path) -> None:
    path = write_events(tmp_path / "a.jsonl", range(25))
    ingest(engine, path)
    snapshot = load_snapshot(engine)
    expected = read_jsonl(path.read_text(encoding="utf-8").splitlines(), str(path)).events
    assert snapshot.count == 25
    assert sorted(snapshot.events, key=lambda e: e.id) == sorted(expected, key=lambda e: e.id)
    by_id = {e.id: e for e in snapshot.events}
    assert (by_id["E0000007"].source, by_id["E0000007"].line) == (str(path), 8)
    assert by_id["E0000007"].at.utcoffset() == timedelta(hours=8)  # the offset as written
    assert snapshot.fingerprint == events_fingerprint(engine)[0]
    assert [e.id for e in load_events(engine)] == [e.id for e in snapshot.events]
    run = record_run(engine, RULEBOOK, AS_OF, {}, [decision("k1")],
                     input_fingerprint=snapshot.fingerprint, event_count=snapshot.count)
    # The same events, fingerprint computed by the store: the same run.
    assert not record_run(engine, RULEBOOK, AS_OF, {}, [decision("k1")]).created
    assert run.created


def test_a_decision_no_longer_issued_is_withdrawn_by_a_superseding_row(engine: Engine) -> None:
    cases = {"C1", "C2", "C3"}
    first = record_run(engine, RULEBOOK, AS_OF, {}, [
        decision("k1"),
        decision("k2", case="C2", person="P2"),
        decision("k3", case="C3", person="P3"),
        decision("k5", case="C2", person="P5", established="2024-03-28"),
    ], cases=cases)
    assert first.withdrawn == 0
    # A later run, over C1 and C2 only, as of 25 March, no longer finds k2: k2 is withdrawn by a
    # new row (the issued act is kept); k3 (C3 was not evaluated) and k5 (established after
    # this run's as-of) stand.
    second = record_run(engine, RULEBOOK, date(2024, 3, 25), {"n": 2}, [decision("k1")],
                        cases={"C1", "C2"})
    assert (second.withdrawn, second.decisions_added, second.unchanged) == (1, 0, 1)
    chain = decision_chain(engine, "k2")
    assert [r["supersedes"] for r in chain] == [None, chain[0]["id"]]
    assert chain[0]["body"]["sanction"] == "效能告诫"
    assert chain[1]["body"]["withdrawn"] is True and chain[1]["body"]["sanction"] is None
    assert f"run {second.run_id}" in chain[1]["reason"] and "撤销" in chain[1]["reason"]
    assert {d["key"] for d in decisions_in_force(engine)} == {"k1", "k3", "k5"}
    assert "k2" not in {h["key"] for h in sanction_history(engine, date(2025, 1, 1))}
    # the same run again withdraws nothing more; another rulebook withdraws nothing of this one
    assert record_run(engine, RULEBOOK, date(2024, 3, 25), {"n": 3}, [decision("k1")],
                      cases={"C1", "C2"}).withdrawn == 0
    other = '规则集 「另一规则」 { 版本 "1.0" }\n'
    assert record_run(engine, other, AS_OF, {}, [], cases=cases).withdrawn == 0
    # found again later: the withdrawal is itself superseded
    again = record_run(engine, RULEBOOK, AS_OF, {"n": 4}, [decision("k2", case="C2", person="P2")],
                       cases={"C2"})
    assert again.superseded == 1
    assert decision_chain(engine, "k2")[-1]["body"]["sanction"] == "效能告诫"
    assert "k2" in {d["key"] for d in decisions_in_force(engine)}


def test_sanctions_of_a_post_or_unit_without_a_person_are_history_too(engine: Engine) -> None:
    # The ladder counts a decision naming no person under its post (岗位:…) or unit (单位:…), as
    # wenze.engine.evaluate.Offence.person_key does; earlier runs' ones must count the same way.
    record_run(engine, RULEBOOK, AS_OF, {}, [
        decision("u", person=None, post=None, unit="环保局", established="2024-03-01"),
        decision("p", person=None, post="国土局长", unit="国土局", established="2024-03-02"),
    ])
    prior = prior_sanctions(engine, date(2025, 1, 1))
    assert sorted(p["person"] for p in prior) == ["单位:环保局", "岗位:国土局长"]
