"""A rulebook family through the store: each run records which version judged each decision, and
a run after a new version took effect supersedes only the decisions whose content changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from wenze.store.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "rules" / "versions" / "family.wz"
EVENTS = ROOT / "examples" / "versions" / "caseload.jsonl"


def _wenze(*args: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "wenze", *args], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return run


def test_runs_before_and_after_a_new_version(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'family.db'}"
    _wenze("ingest", str(EVENTS), "--db", url)
    first = _wenze("evaluate", str(FAMILY), "--db", url, "--as-of", "2021-12-31")
    assert "2 decision(s) added (0 superseding)" in first.stderr
    # 2022 in force: OLD lighter, SUSP no longer a violation (both superseded), two new cases
    second = _wenze("evaluate", str(FAMILY), "--db", url, "--as-of", "2022-06-30")
    assert "4 decision(s) added (2 superseding)" in second.stderr
    # a later decision date under the same version changes nothing
    third = _wenze("evaluate", str(FAMILY), "--db", url, "--as-of", "2022-07-31")
    assert "0 decision(s) added" in third.stderr and "4 unchanged" in third.stderr
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            bodies = [json.loads(b) for (b,) in conn.execute(text("SELECT body FROM decisions"))]
    finally:
        engine.dispose()
    versions = {(b["case"], b["version"], b["sanction"]) for b in bodies}
    assert ("OLD", "2019", "通报批评") in versions and ("OLD", "2022", "效能告诫") in versions
    assert ("SUSP", "2019", None) in versions


def test_the_stored_events_judged_alike_by_either_evaluator(tmp_path: Path):
    # the stored events of a family, judged by the columnar path: the same document as the
    # reference's (the run itself is recorded once: the same inputs)
    url = f"sqlite:///{tmp_path / 'family.db'}"
    _wenze("ingest", str(EVENTS), "--db", url)
    for as_of in ("2021-12-31", "2022-06-30"):
        out = {evaluator: _wenze("evaluate", str(FAMILY), "--db", url, "--as-of", as_of,
                                 "--format", "json", "--evaluator", evaluator).stdout
               for evaluator in ("reference", "columnar")}
        assert out["columnar"] == out["reference"]
        assert json.loads(out["columnar"])["decisions"]
