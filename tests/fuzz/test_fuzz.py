"""The bounded fuzz pass of the normal test run (60 inputs a target, derandomised); the long
run sets ``WENZE_FUZZ_EXAMPLES`` and ``WENZE_FUZZ_DEADLINE_MS`` (see ``docs/reliability.md``).
Live against batch on random caseloads is ``tests/live/test_live.py::test_random_logs_*``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from tests.fuzz.harness import (
    FUZZ,
    check_csv,
    check_event_lines,
    check_rulebook,
    check_xes,
    csv_bytes,
    event_lines,
    rulebook_texts,
    xes_bytes,
)


@FUZZ
@given(rulebook_texts())
def test_rulebook_text(text: str) -> None:
    check_rulebook(text)


@FUZZ
@given(event_lines())
def test_event_lines_both_readers(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_event_lines(lines, Path(tmp))


@FUZZ
@given(csv_bytes())
def test_csv_files(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_csv(data, Path(tmp))


@FUZZ
@given(xes_bytes())
def test_xes_files(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_xes(data, Path(tmp))
