"""The decisions' hash chain (issue 15): every row chained by SHA-256, each run records the
head, and ``wenze db verify`` names the first row edited, deleted or inserted out of order —
tampering done directly in the SQLite file and the PostgreSQL table (triggers dropped first, as
an administrator would)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from wenze.cli import main
from wenze.store.chain import GENESIS, row_hash, verify
from wenze.store.models import trigger_ddl
from wenze.store.runs import record_run

AS_OF = dt.date(2024, 3, 31)
RULEBOOK = '规则集 「链」 { 版本 "1" }\n'


def decision(key: str, person: str = "P1", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": key, "case": "C1", "item": "许可", "violation": "超期", "person": person,
        "post": "窗口", "unit": "局", "role": "direct", "sanction": "效能告诫",
        "established": "2024-03-20", "as_of": AS_OF.isoformat(), "facts": {"days_over": 2},
    }
    body.update(extra)
    return body


def _fill(engine: Engine) -> None:
    record_run(engine, RULEBOOK, AS_OF, {}, [decision(f"k{i}") for i in range(5)])
    # a second run corrects k1 (a superseding row) and adds k9
    record_run(engine, RULEBOOK, AS_OF + dt.timedelta(days=1), {},
               [*(decision(f"k{i}") for i in (0, 2, 3, 4)), decision("k1", person="P2"),
                decision("k9")])


def _tamper(engine: Engine, *statements: str) -> None:
    create, drop = trigger_ddl(engine.dialect.name)
    with engine.begin() as conn:
        for s in drop:
            conn.exec_driver_sql(s)
        for s in statements:
            conn.exec_driver_sql(s)
        for s in create:
            conn.exec_driver_sql(s)


def _first(engine: Engine) -> tuple[int | None, str]:
    _checked, problems = verify(engine)
    assert problems, "tampering not detected"
    return problems[0].decision_id, problems[0].kind


def test_an_untouched_chain_verifies(engine: Engine, db_url: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _fill(engine)
    checked, problems = verify(engine)
    assert (checked, problems) == (7, [])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, prev_hash, row_hash FROM decisions ORDER BY id")).all()
        heads = conn.execute(text("SELECT chain_head FROM evaluation_runs ORDER BY id")).all()
    assert [r.id for r in rows] == list(range(1, 8))
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(rows))
    assert [h[0] for h in heads] == [rows[4].row_hash, rows[6].row_hash]
    assert main(["db", "verify", "--db", db_url]) == 0
    assert "7" in capsys.readouterr().out


def test_the_hash_covers_every_field() -> None:
    row = {"id": 1, "key": "k", "run_id": 1, "case_id": "C", "person": "P", "unit": "U",
           "sanction": "s", "decided_on": dt.date(2024, 1, 1), "body": {"a": 1},
           "body_hash": "h", "supersedes": None, "reason": None}
    base = row_hash(GENESIS, row)
    for name, other in [("person", "Q"), ("body", {"a": 2}), ("decided_on", dt.date(2024, 1, 2)),
                        ("sanction", None), ("supersedes", 3), ("id", 2)]:
        assert row_hash(GENESIS, {**row, name: other}) != base, name
    assert row_hash("1" * 64, row) != base


@pytest.mark.parametrize("statements, first", [
    (["UPDATE decisions SET person = 'someone else' WHERE id = 3"], (3, "edited")),
    (["UPDATE decisions SET sanction = NULL WHERE id = 6"], (6, "edited")),
    (["UPDATE decisions SET body = '{\"key\": \"k2\"}' WHERE id = 3"], (3, "edited")),
    (["DELETE FROM sanction_history WHERE decision_id = 4",
      "DELETE FROM decisions WHERE id = 4"], (5, "deleted")),
    (["DELETE FROM sanction_history WHERE decision_id = 7",
      "DELETE FROM decisions WHERE id = 7"], (None, "truncated")),
    # a forged row appended with a made-up chain position
    (["INSERT INTO decisions (id, key, run_id, person, body, body_hash, created_at, prev_hash, "
      "row_hash) SELECT 8, 'forged', 1, 'X', body, body_hash, created_at, prev_hash, row_hash "
      "FROM decisions WHERE id = 2"], (8, "out_of_order")),
], ids=["edit_person", "edit_sanction", "edit_body", "delete_middle", "delete_last", "insert"])
def test_verify_names_the_first_tampered_row(engine: Engine, db_url: str,
                                             statements: list[str],
                                             first: tuple[int | None, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _fill(engine)
    _tamper(engine, *statements)
    assert _first(engine) == first
    assert main(["db", "verify", "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert (f"#{first[0]}" if first[0] else "chain head") in err


def test_concurrent_first_ingests_into_a_new_sqlite_file_both_succeed(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    url = f"sqlite:///{tmp_path / 'new.db'}"
    command = [sys.executable, "-m", "wenze", "ingest", str(root / "examples" / "caseload.jsonl"),
               "--db", url]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    for _ in range(3):
        runs = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE) for _ in range(2)]
        for run in runs:
            _out, err = run.communicate()
            assert run.returncode == 0, err.decode()
        (tmp_path / "new.db").unlink()
