"""``wenze evaluate … --db URL`` as a user runs it, on SQLite and PostgreSQL: with an events file
the run is recorded beside the printed decisions; without one, the stored events are evaluated;
the same inputs twice record nothing new; the decisions equal those of the file-based run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from wenze.cli import main
from wenze.store.db import make_engine
from wenze.store.models import Decision, EvaluationRun

from .conftest import REPO

CASE = REPO / "tests" / "cases" / "ladder_escalation"
RULEBOOK = str(CASE / "rulebook.wz")
EVENTS = str(CASE / "events.jsonl")
AS_OF = json.loads((CASE / "case.json").read_text(encoding="utf-8"))["as_of"]


def _decisions(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[list[dict], str]:
    assert main(argv) == 0
    out, err = capsys.readouterr()
    return json.loads(out)["decisions"], err


def _count(url: str, table: type) -> int:
    engine: Engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        engine.dispose()


def test_file_run_recorded_then_stored_run_agrees(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["evaluate", RULEBOOK, "--as-of", AS_OF, "--format", "json"]
    from_file, err = _decisions(capsys, [*base[:2], EVENTS, *base[2:], "--db", db_url])
    assert "run 1 recorded" in err
    assert from_file, "the ladder case yields decisions"
    assert _count(db_url, Decision) == len(from_file)

    again, err = _decisions(capsys, [*base[:2], EVENTS, *base[2:], "--db", db_url])
    assert again == from_file
    assert "already recorded; nothing added" in err
    assert _count(db_url, EvaluationRun) == 1

    assert main(["ingest", EVENTS, "--db", db_url]) == 0
    capsys.readouterr()
    stored, err = _decisions(capsys, [*base, "--db", db_url])
    key = lambda d: (d["case"], d["person"], d["violation"])  # noqa: E731
    assert sorted(map(key, stored)) == sorted(map(key, from_file))
    assert [d["sanction"] for d in sorted(stored, key=key)] == [
        d["sanction"] for d in sorted(from_file, key=key)
    ]


def test_no_events_and_no_db_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WENZE_DB", raising=False)
    assert main(["evaluate", RULEBOOK, "--as-of", AS_OF]) == 2
    assert "--db URL" in capsys.readouterr().err


def test_unreachable_database_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'wenze.db'}"
    assert main(["evaluate", RULEBOOK, "--as-of", AS_OF, "--db", url]) == 2
    assert "cannot evaluate the events stored" in capsys.readouterr().err


def test_stored_events_through_wenze_db(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # WENZE_DB names the database for `wenze evaluate RULEBOOK --as-of D` as for `wenze ingest`
    monkeypatch.setenv("WENZE_DB", db_url)
    assert main(["ingest", EVENTS]) == 0
    capsys.readouterr()
    stored, err = _decisions(capsys, ["evaluate", RULEBOOK, "--as-of", AS_OF, "--format", "json"])
    assert stored and "run 1 recorded" in err
    assert _count(db_url, Decision) == len(stored)
    # with an events file and no --db nothing is recorded, WENZE_DB or not
    assert main(["evaluate", RULEBOOK, EVENTS, "--as-of", AS_OF]) == 0
    assert "recorded" not in capsys.readouterr().err
    assert _count(db_url, EvaluationRun) == 1


def _split(tmp_path: Path) -> tuple[Path, Path]:
    """The ladder case's events in two files: ESC-1 and ESC-2 (early), ESC-3 (late)."""
    lines = [json.loads(x) for x in Path(EVENTS).read_text(encoding="utf-8").splitlines() if x]
    early, late = tmp_path / "early.jsonl", tmp_path / "late.jsonl"
    for path, cases in ((early, {"ESC-1", "ESC-2"}), (late, {"ESC-3"})):
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines
                                if e["case"] in cases), encoding="utf-8")
    return early, late


def test_file_runs_recorded_in_the_store_read_the_ladder_history(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Monthly files evaluated with --db: the later file's ladder counts the earlier sanctions.
    early, late = _split(tmp_path)
    base = ["evaluate", RULEBOOK, "--as-of", AS_OF, "--format", "json", "--db", db_url]
    first, _ = _decisions(capsys, [*base[:2], str(early), *base[2:]])
    assert sorted((d["case"], d["sanction"]) for d in first) == [
        ("ESC-1", "效能告诫"), ("ESC-2", "通报批评")]
    later, err = _decisions(capsys, [*base[:2], str(late), *base[2:]])
    assert [(d["case"], d["sanction"]) for d in later] == [("ESC-3", "诫勉谈话")]
    assert "2 earlier sanction(s)" in err


def test_the_same_file_against_a_new_history_is_a_new_run(
    db_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # ESC-3 recorded first (告诫, no history); then ESC-1 and ESC-2 are recorded; ESC-3 again is
    # judged against that history (诫勉谈话) and the stored decision is corrected, not ignored.
    early, late = _split(tmp_path)
    base = ["evaluate", RULEBOOK, "--as-of", AS_OF, "--format", "json", "--db", db_url]
    alone, _ = _decisions(capsys, [*base[:2], str(late), *base[2:]])
    assert [d["sanction"] for d in alone] == ["效能告诫"]
    _decisions(capsys, [*base[:2], str(early), *base[2:]])
    again, err = _decisions(capsys, [*base[:2], str(late), *base[2:]])
    assert [d["sanction"] for d in again] == ["诫勉谈话"]
    assert "1 superseding" in err
    assert _count(db_url, EvaluationRun) == 3
