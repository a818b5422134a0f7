"""Results written as they are read, for runs too large for one JSON document:
``wenze evaluate … --format jsonl`` (this module) and ``--format parquet``
(:mod:`wenze.report.parquet`).

The decisions of a columnar run are a lazy :class:`~wenze.fast.ladder.DecisionTable`: read a
batch at a time (:func:`decision_batches`), each batch written and let go, so the memory of
writing does not grow with the number of decisions. A decision's line is its ``to_json()`` with
sorted keys, as the JSON document holds it (the same values, written without indentation).

``--format jsonl -o DIR`` writes ``decisions.jsonl``, ``warnings.jsonl``, ``metrics.jsonl``,
``rejected.jsonl``, ``unjudged.jsonl`` (one record a line) and ``run.json`` (as-of, counts);
to standard output or ``-o FILE.jsonl``, the decisions alone (the command says on stderr how many
warnings and metrics it left out, and where to get them).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from wenze.engine.decisions import Decision
from wenze.engine.evaluate import EvaluationResult
from wenze.fast.ladder import DecisionTable
from wenze.report.flat import compact, json_lines, plain_floats

__all__ = ["BATCH", "COLUMNS_BATCH", "RUN", "compact", "decision_batches", "decision_line", "made",
           "plain_floats", "rendered", "run_header", "write_jsonl", "write_jsonl_dir"]

BATCH = 2048  # decisions made, written and let go at a time
COLUMNS_BATCH = 4096  # decisions read from a table's columns at a time (no decision made)
Progress = Callable[[int], None]  # called with the count of decisions written so far

_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def decision_batches(decisions: Sequence[Decision], size: int | None = None
                     ) -> Iterator[Sequence[Decision]]:
    """The decisions a batch at a time (a lazy table makes a batch when it is sliced; ``size``
    by default :data:`BATCH`)."""
    size = size or BATCH
    for start in range(0, len(decisions), size):
        yield decisions[start:start + size]


def decision_line(decision: Decision) -> str:
    """One decision as a JSON Lines line (its ``to_json()``, keys sorted, no indentation)."""
    d = decision.to_json()
    return compact(d, plain_floats(d["facts"].values())) + "\n"


def write_jsonl(decisions: Sequence[Decision], out: TextIO,
                progress: Progress | None = None, workers: int | None = None) -> int:
    """Write the decisions one a line as they are made; the count written."""
    done = 0
    for count, text in rendered(decisions, _lines, workers, _text):
        out.write(text if isinstance(text, str) else str(text, "utf-8"))
        done += count
        if progress is not None:
            progress(done)
    return done


def made(decisions: Sequence[Decision], start: int, stop: int) -> Iterator[Decision]:
    """``decisions[start:stop]``, made a batch at a time."""
    for lo in range(start, stop, BATCH):
        yield from decisions[lo:min(lo + BATCH, stop)]


def _text(decisions: Sequence[Decision], start: int, stop: int) -> str:
    """The lines of ``decisions[start:stop]``: from a table's columns where it has them
    (:mod:`wenze.report.flat`), else decision by decision."""
    if isinstance(decisions, DecisionTable) and decisions.has_columns():
        return "".join(
            json_lines(decisions.decision_columns(lo, min(lo + COLUMNS_BATCH, stop)),
                       decision_line)
            for lo in range(start, stop, COLUMNS_BATCH))
    return "".join(map(decision_line, made(decisions, start, stop)))


def _lines(decisions: Sequence[Decision], start: int, stop: int) -> bytes:
    """:func:`_text` as UTF-8 (sent back by a forked process)."""
    return _text(decisions, start, stop).encode()


# Many decisions are made and rendered in forked processes, RUN decisions each at a time, in
# waves of one run per process (the last in this one); each wave's runs are written in order
# before the next wave starts: the memory of writing stays a wave's, whatever the count.
RUN = 1 << 15
PARALLEL_MIN_DECISIONS = 2 * RUN  # below this, forking costs more than it saves


def rendered(decisions: Sequence[Decision], render: Callable[[Sequence[Decision], int, int],
                                                            bytes],
             workers: int | None = None,
             local: Callable[[Sequence[Decision], int, int], Any] | None = None
             ) -> Iterator[tuple[int, Any]]:
    """``render(decisions, start, stop)`` of consecutive runs of the decisions, in order, with
    each run's count: in this process, or from :data:`PARALLEL_MIN_DECISIONS` decisions on in
    waves of forked processes (``workers``: how many, default ``WENZE_WORKERS`` or one per
    CPU). The same bytes either way. ``local``: what to give instead of ``render``'s bytes for
    a run made in this process (what the bytes would be decoded into)."""
    n = len(decisions)
    if workers is None:
        workers = int(os.environ.get("WENZE_WORKERS") or 0)
    workers = min(workers or os.cpu_count() or 1, 16)
    if (workers <= 1 or n < max(PARALLEL_MIN_DECISIONS, RUN + 1)
            or "fork" not in mp.get_all_start_methods()):
        make = local or render
        for lo in range(0, n, RUN):
            yield min(lo + RUN, n) - lo, make(decisions, lo, min(lo + RUN, n))
        return
    from wenze.fast.forking import fork_map

    def made(span: tuple[int, int]) -> pickle.PickleBuffer:  # sent back without copying
        return pickle.PickleBuffer(render(decisions, *span))

    size = RUN  # (the same runs as in one process: a Parquet file's row groups are runs)
    for wave in range(0, n, size * workers):
        spans = [(lo, min(lo + size, n)) for lo in range(wave, min(wave + size * workers, n),
                                                          size)]
        for (lo, hi), part in zip(spans, fork_map(made, spans), strict=True):
            yield hi - lo, part


def run_header(result: EvaluationResult) -> dict[str, Any]:
    """What a run's directory says about the run besides its records (``run.json``)."""
    return {"as_of": result.as_of.isoformat(), "cases": result.cases, "events": result.events,
            "events_after_as_of": result.events_after_as_of,
            "decisions": len(result.decisions), "warnings": len(result.warnings),
            "metrics": len(result.metrics), "rejected": len(result.rejected),
            "unjudged": len(result.unjudged)}


def records(result: EvaluationResult) -> dict[str, list[dict[str, Any]]]:
    """The run's records other than decisions, as the JSON document holds them."""
    whole = dataclasses.replace(result, decisions=()).to_json()
    return {name: whole[name] for name in ("warnings", "metrics", "rejected", "unjudged")}


def write_jsonl_dir(result: EvaluationResult, directory: str | Path,
                    progress: Progress | None = None) -> Path:
    """A run as a directory of JSON Lines files (see the module's docstring)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "decisions.jsonl").open("w", encoding="utf-8") as fh:
        write_jsonl(result.decisions, fh, progress)
    for name, rows in records(result).items():
        with (directory / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(_dumps(row) + "\n" for row in rows)
    (directory / "run.json").write_text(
        json.dumps(run_header(result), ensure_ascii=False, sort_keys=True, indent=2) + "\n",
        encoding="utf-8")
    return directory
