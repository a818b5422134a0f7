"""``wenze evaluate RULEBOOK [EVENTS] --db URL --evaluator auto|reference|columnar`` on SQLite and
PostgreSQL: the evaluator asked for judges the stored (or the file's) events with the ladder
history read from the store, and prints the same JSON document, byte for byte, as the other one;
the run it records is the same run (the evaluator is not one of its parameters)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.evaluator_spies import EvaluatorCalls, forbid_passes_over_every_decision
from wenze.cli import main
from wenze.store.db import make_engine
from wenze.store.evaluate import evaluate_stored
from wenze.store.models import EvaluationRun

from .conftest import REPO

CASE = REPO / "tests" / "cases" / "ladder_escalation"
RULEBOOK = str(CASE / "rulebook.wz")
EVENTS = CASE / "events.jsonl"
AS_OF = json.loads((CASE / "case.json").read_text(encoding="utf-8"))["as_of"]


def _split(tmp_path: Path) -> tuple[Path, Path]:
    """The ladder case's events in two files: ESC-1 and ESC-2 (early), ESC-3 (late)."""
    lines = [json.loads(x) for x in EVENTS.read_text(encoding="utf-8").splitlines() if x]
    early, late = tmp_path / "early.jsonl", tmp_path / "late.jsonl"
    for path, cases in ((early, {"ESC-1", "ESC-2"}), (late, {"ESC-3"})):
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines
                                if e["case"] in cases), encoding="utf-8")
    return early, late


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[str, str]:
    assert main(argv) == 0
    return capsys.readouterr()


def _history_then_stored(capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path,
                         evaluator: str) -> tuple[str, str]:
    """ESC-1 and ESC-2 judged from a file and recorded (two sanctions of history); ESC-3 ingested
    and the store evaluated: its ladder counts the two earlier sanctions."""
    early, late = _split(tmp_path)
    base = ["evaluate", RULEBOOK, "--as-of", AS_OF, "--format", "json", "--db", url]
    _run(capsys, [*base[:2], str(early), *base[2:], "--evaluator", evaluator])
    _run(capsys, ["ingest", str(late), "--db", url])
    return _run(capsys, [*base, "--evaluator", evaluator])


def test_stored_events_by_each_evaluator_with_the_ladder_history(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = EvaluatorCalls(monkeypatch)
    by_columnar, err = _history_then_stored(capsys, db_url, tmp_path, "columnar")
    assert "run 2 recorded" in err
    assert [(d["case"], d["sanction"]) for d in json.loads(by_columnar)["decisions"]] == [
        ("ESC-3", "诫勉谈话")]  # the third sanction in the window: the history was counted
    # the stored evaluation went through the columnar path, given the two earlier sanctions
    stored_call = calls.columnar[-1]
    assert {ev.case for ev in stored_call[1]} == {"ESC-3"}
    assert len(stored_call[3]) == 2

    # the same steps by the reference evaluator (on a fresh SQLite database)
    columnar_calls = len(calls.columnar)
    other = tmp_path / "other"
    other.mkdir()
    by_reference, err = _history_then_stored(capsys, f"sqlite:///{other / 'wenze.db'}", other,
                                             "reference")
    assert len(calls.columnar) == columnar_calls
    assert "run 2 recorded" in err
    assert by_reference == by_columnar  # the same JSON document, byte for byte


def test_evaluate_stored_takes_the_evaluator_and_records_one_run(
    engine: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = EvaluatorCalls(monkeypatch)
    _run(capsys, ["ingest", str(EVENTS), "--db", db_url])
    as_of = date.fromisoformat(AS_OF)
    first = evaluate_stored(engine, RULEBOOK, as_of, evaluator="reference")
    assert calls.columnar == [] and first.run.created
    with monkeypatch.context() as m:
        # the keys issued are read from the columns, and a run recorded already reads no
        # decision's document: the columnar result makes none of its decisions
        forbid_passes_over_every_decision(m)
        second = evaluate_stored(engine, RULEBOOK, as_of, evaluator="columnar")
    assert len(calls.columnar) == 1
    # the same decisions: the same run, nothing recorded again
    assert not second.run.created and second.run.run_id == first.run.run_id
    assert [d.to_json() for d in second.result.decisions] == [
        d.to_json() for d in first.result.decisions]
    with make_engine(db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(EvaluationRun)).scalar_one() == 1
    with pytest.raises(ValueError, match="auto, reference or columnar"):
        evaluate_stored(engine, RULEBOOK, as_of, evaluator="fast")


def test_file_with_db_by_each_evaluator(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--db`` beside a file: the history of earlier runs reaches the columnar path too."""
    calls = EvaluatorCalls(monkeypatch)
    early, late = _split(tmp_path)
    base = ["evaluate", RULEBOOK, "--as-of", AS_OF, "--format", "json", "--db", db_url]
    _run(capsys, [*base[:2], str(early), *base[2:], "--evaluator", "reference"])
    by_columnar, err = _run(capsys, [*base[:2], str(late), *base[2:], "--evaluator", "columnar"])
    assert "2 earlier sanction(s)" in err
    assert len(calls.columnar) >= 1 and len(calls.columnar[-1][3]) == 2
    assert [(d["case"], d["sanction"]) for d in json.loads(by_columnar)["decisions"]] == [
        ("ESC-3", "诫勉谈话")]
    # the reference on the same inputs: the same document; the same run (nothing new recorded)
    by_reference, err = _run(capsys, [*base[:2], str(late), *base[2:], "--evaluator",
                                      "reference"])
    assert by_reference == by_columnar
    assert "already recorded; nothing added" in err
