"""``--format jsonl`` and ``--format parquet``: the same decisions as the JSON document, byte for
byte once put back in it, from both evaluators; written as they are made (a batch made, then
written, then the next); the flat Parquet schema read back exactly."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import wenze
from wenze.engine.evaluate import EvaluationResult, evaluate
from wenze.fast.columnar import evaluate_columnar
from wenze.report import stream
from wenze.report.output import to_json
from wenze.report.parquet import (
    DECISION_SCHEMA,
    RECORD_SCHEMAS,
    decision_json,
    write_decisions,
    write_parquet,
)
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 decisions, runs of 16 (many of both from a small caseload)."""
    monkeypatch.setattr(stream, "BATCH", 4)
    monkeypatch.setattr(stream, "RUN", 16)
    monkeypatch.setattr(stream, "PARALLEL_MIN_DECISIONS", 32)


@functools.cache
def _results() -> tuple[EvaluationResult, ...]:
    program = wenze.load(ROOT / "rules" / "zitong_2008.wz").program
    events = generate(program, load_profile(), cases=1500, seed=4)
    as_of = dt.date(2024, 10, 15)  # open cases: warnings too
    return evaluate(program, events, as_of), evaluate_columnar(program, events, as_of)


def _document(result: EvaluationResult, decisions: list[dict[str, Any]]) -> str:
    """The JSON document with these decisions in it (as ``to_json`` writes it)."""
    whole = dataclasses.replace(result, decisions=()).to_json()
    whole["decisions"] = decisions
    return json.dumps(whole, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("which", ["reference", "columnar"])
def test_jsonl_lines_are_the_documents_decisions(which: str, tmp_path: Path) -> None:
    result = _results()[which == "columnar"]
    doc = to_json(result)
    assert len(result.decisions) > stream.BATCH  # more than one batch
    out = io.StringIO()
    assert stream.write_jsonl(result.decisions, out) == len(result.decisions)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(result.decisions)
    assert _document(result, [json.loads(line) for line in lines]) == doc
    assert lines[0] == json.dumps(json.loads(lines[0]), sort_keys=True, ensure_ascii=False,
                                  separators=(",", ":"))  # keys sorted, one line
    # -o DIR: every record
    stream.write_jsonl_dir(result, tmp_path / "run")
    records = {name: [json.loads(x) for x in (tmp_path / "run" / f"{name}.jsonl")
                      .read_text(encoding="utf-8").splitlines()]
               for name in ("decisions", "warnings", "metrics", "rejected", "unjudged")}
    whole = json.loads(doc)
    for name, rows in records.items():
        assert rows == whole[name], name
    assert records["warnings"] and records["metrics"]
    header = json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))
    assert header["decisions"] == len(lines) and header["as_of"] == "2024-10-15"
    assert header["cases"] == whole["cases"] and header["events"] == whole["events"]


@pytest.mark.parametrize("which", ["reference", "columnar"])
def test_parquet_rows_give_back_the_documents_decisions(which: str, tmp_path: Path) -> None:
    result = _results()[which == "columnar"]
    doc = to_json(result)
    write_parquet(result, tmp_path)
    table = pq.read_table(tmp_path / "decisions.parquet")
    assert table.schema.equals(DECISION_SCHEMA)
    rows = table.to_pylist()
    assert _document(result, [decision_json(r) for r in rows]) == doc
    assert any(r["ladder_name"] for r in rows) and all("{" not in (r["key"] or "") for r in rows)
    whole = json.loads(doc)
    for name, schema in RECORD_SCHEMAS.items():
        got = pq.read_table(tmp_path / f"{name}.parquet")
        assert got.schema.equals(schema), name
        assert got.to_pylist() == whole[name], name  # (1 == 1.0: rates are doubles here)
    assert json.loads((tmp_path / "run.json").read_text())["decisions"] == len(rows)


class _Watched:
    """Decisions whose batches say when they are made."""

    def __init__(self, decisions: Any, log: list[str]) -> None:
        self.decisions, self.log = decisions, log

    def __len__(self) -> int:
        return len(self.decisions)

    def __getitem__(self, index: slice) -> Any:
        self.log.append(f"made {index.start}")
        return self.decisions[index]


class _Out(io.StringIO):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def write(self, text: str) -> int:
        self.log.append("wrote")
        return super().write(text)


def test_decisions_are_written_as_they_are_made(tmp_path: Path) -> None:
    """A run of decisions is made a batch at a time, then written, then the next run."""
    decisions = _results()[1].decisions
    n = len(decisions)
    log: list[str] = []
    stream.write_jsonl(_Watched(decisions, log), _Out(log), workers=1)
    runs = [(lo, min(lo + stream.RUN, n)) for lo in range(0, n, stream.RUN)]
    assert len(runs) > 2
    assert log == [x for lo, hi in runs
                   for x in [f"made {k}" for k in range(lo, hi, stream.BATCH)] + ["wrote"]]
    log.clear()
    done: list[int] = []
    assert write_decisions(_Watched(decisions, log), tmp_path / "d.parquet", done.append,
                           workers=1) == n
    assert log == [f"made {k}" for lo, hi in runs for k in range(lo, hi, stream.BATCH)]
    assert done == [hi for _, hi in runs]  # the progress
    assert pq.ParquetFile(tmp_path / "d.parquet").metadata.num_row_groups == len(runs)


@pytest.mark.parametrize("which", ["reference", "columnar"])
def test_forked_writers_write_the_same_bytes(which: str, tmp_path: Path) -> None:
    """Runs made and rendered in forked processes, in waves: the same files as one process."""
    decisions = _results()[which == "columnar"].decisions
    assert len(decisions) > 2 * stream.RUN * 2  # several waves of two
    texts = []
    for workers in (1, 2, 3):
        out = io.StringIO()
        stream.write_jsonl(decisions, out, workers=workers)
        texts.append(out.getvalue())
        write_decisions(decisions, tmp_path / f"{workers}.parquet", workers=workers)
    assert texts[0] == texts[1] == texts[2]
    assert texts[0] == "".join(map(stream.decision_line, decisions))
    one = (tmp_path / "1.parquet").read_bytes()
    assert one == (tmp_path / "2.parquet").read_bytes() == (tmp_path / "3.parquet").read_bytes()


def test_no_decisions(tmp_path: Path) -> None:
    result = dataclasses.replace(_results()[0], decisions=())
    write_parquet(result, tmp_path)
    assert pq.read_table(tmp_path / "decisions.parquet").num_rows == 0
    out = io.StringIO()
    assert stream.write_jsonl((), out) == 0 and out.getvalue() == ""
