"""The array writer (``wenze.report.flat``: a columnar run's decisions written from the
``DecisionTable``'s columns, no decision made) against the per-decision writer (each decision
made, ``to_json()``, its flat row or line): the same JSON Lines text and the same Parquet file,
byte for byte — for the example caseload, simulated caseloads of the shipped rulebooks (with
prior sanctions too), the benchmark's caseload, in runs and batches that split the decisions
anywhere (joint decisions among them). The random ladders of ``tests/fast/
test_ladder_columnar.py`` are held to the same (its ``_compare``)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import wenze
from wenze.dsl.loader import load_text
from wenze.engine import decisions as D
from wenze.engine.evaluate import EvaluationResult
from wenze.engine.lower import lower
from wenze.events.readers import read_events
from wenze.fast.columnar import evaluate_columnar
from wenze.fast.ladder import DecisionTable
from wenze.report import stream
from wenze.report.parquet import write_decisions
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["zitong_2008.wz", "yingshan_2009.wz", "luzhou_2009.wz", "foshan_2005.wz",
           "fujian_2010.wz", "county_en.wz", "receipt_wabo.wz", "statutory_base.wz"]


def written(decisions: Any, where: Path, workers: int = 1) -> tuple[str, bytes]:
    """The decisions as JSON Lines and as a Parquet file."""
    out = io.StringIO()
    stream.write_jsonl(decisions, out, workers=workers)
    write_decisions(decisions, where, workers=workers)
    return out.getvalue(), where.read_bytes()


def assert_written_alike(result: EvaluationResult, where: Path) -> None:
    """The array writer writes what the per-decision writer writes."""
    decisions = result.decisions
    assert isinstance(decisions, DecisionTable) and decisions.has_columns()
    made = tuple(decisions)  # (a tuple: written decision by decision)
    lines, parquet = written(decisions, where / "columns.parquet")
    lines_made, parquet_made = written(made, where / "made.parquet")
    assert lines == lines_made
    assert parquet == parquet_made
    assert lines.count("\n") == len(made)


def _priors(result: EvaluationResult, seed: int) -> list[dict[str, Any]]:
    """Prior sanctions of people and units of these decisions, of the ladders' levels."""
    rnd = random.Random(seed)
    people = sorted({d.person for d in result.decisions if d.person})
    units = [*sorted({d.unit for d in result.decisions if d.unit}), None]
    levels = sorted({d.sanction for d in result.decisions if d.sanction})
    return [{"person": rnd.choice(people), "unit": rnd.choice(units),
             "on": (dt.date(2023, 3, 1) + dt.timedelta(days=rnd.randrange(700))).isoformat(),
             "sanction": rnd.choice(levels), "source": f"文书{i}"}
            for i in range(60 if people and levels else 0)]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns read 7 decisions at a time, runs of 16 (batches and runs split anywhere)."""
    monkeypatch.setattr(stream, "COLUMNS_BATCH", 7)
    monkeypatch.setattr("wenze.report.parquet.COLUMNS_BATCH", 7)
    monkeypatch.setattr(stream, "RUN", 16)
    monkeypatch.setattr(stream, "PARALLEL_MIN_DECISIONS", 32)


def test_the_example_caseload(tmp_path: Path) -> None:
    program = wenze.load(ROOT / "rules" / "zitong_2008.wz").program
    batch = read_events(ROOT / "examples" / "caseload.jsonl")
    result = evaluate_columnar(program, batch.events, dt.date(2024, 6, 30),
                               rejected=batch.rejected)
    assert len(result.decisions) > 10
    assert_written_alike(result, tmp_path)


@functools.cache
def _simulated(name: str, as_of: dt.date, with_priors: bool) -> EvaluationResult:
    program = wenze.load(ROOT / "rules" / name).program
    events = generate(program, load_profile(), cases=1200, seed=7)
    result = evaluate_columnar(program, events, as_of)
    if with_priors and result.decisions:
        result = evaluate_columnar(program, events, as_of, _priors(result, 3))
    return result


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("with_priors", [False, True])
def test_simulated_caseloads_of_the_shipped_rulebooks(name: str, with_priors: bool,
                                                      tmp_path: Path) -> None:
    result = _simulated(name, dt.date(2024, 12, 31), with_priors)
    if not result.decisions:
        pytest.skip(f"{name}: no decisions in this caseload")
    assert_written_alike(result, tmp_path)


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("workers", [1, 2])
def test_runs_and_batches_split_anywhere(workers: int, tmp_path: Path) -> None:
    result = _simulated("zitong_2008.wz", dt.date(2024, 12, 31), True)
    decisions = result.decisions
    assert len(decisions) > 3 * stream.RUN
    lines, parquet = written(decisions, tmp_path / "columns.parquet", workers)
    assert (lines, parquet) == written(tuple(decisions), tmp_path / "made.parquet", workers)
    assert pq.ParquetFile(tmp_path / "columns.parquet").metadata.num_row_groups == \
        -(-len(decisions) // stream.RUN)


def test_the_benchmark_caseload(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_evaluate as B
        from columns_caseload import caseload_columns
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    program = lower(load_text(B.RULEBOOK, "<bench>").rulebook)
    result = evaluate_columnar(program, caseload_columns(3000), dt.date(2024, 12, 31))
    assert len(result.decisions) > 100
    assert_written_alike(result, tmp_path)


def test_joint_decisions_are_the_only_ones_made(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """Writing a columnar run makes no decision (its joint ones are made already); the
    per-decision writer makes each one."""
    result = _simulated("zitong_2008.wz", dt.date(2024, 12, 31), True)
    made = tuple(result.decisions)
    joint = sum(1 for d in made if d.ladder is not None and d.ladder.joint)
    calls = []
    original = D.Decision.to_json

    def counted(self: D.Decision) -> dict[str, Any]:
        calls.append(self)
        return original(self)

    monkeypatch.setattr(D.Decision, "to_json", counted)
    written(result.decisions, tmp_path / "columns.parquet")
    assert len(calls) == 2 * joint  # (once for the lines, once for the Parquet rows)
    calls.clear()
    written(made, tmp_path / "made.parquet")
    assert len(calls) == 2 * len(made)
