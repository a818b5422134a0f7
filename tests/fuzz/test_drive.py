"""The long run's plain-loop driver (``tests/fuzz/drive.py``) in the normal test run: each
target for a few hundred inputs from a fixed seed (no time bound: a slow input is the long run's
business), failing on any traceback or disagreement; and the driver itself counts and reports
a failing input."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from tests.fuzz import drive

BOUNDED = {"line": 300, "fragment": 40, "event_line": 400, "csv_row": 400}


@pytest.mark.parametrize("target", sorted(drive.TARGETS))
def test_bounded_pass(target: str) -> None:
    figures = drive.drive([target], seconds=math.inf, seed=15, hang=math.inf, abort=600.0,
                          crashes=None, max_inputs=BOUNDED[target])[target]
    assert figures.inputs >= BOUNDED[target]
    assert figures.failures == [], "\n".join(figures.failures)
    assert (figures.tracebacks, figures.hangs, figures.disagreements) == (0, 0, 0)


def test_the_generators_are_seeded() -> None:
    for target in drive.TARGETS.values():
        assert [target.generate(random.Random(3)) for _ in range(3)] == [
            target.generate(random.Random(3)) for _ in range(3)]


def test_a_failing_input_is_counted_and_saved(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def check(text: str) -> None:
        if "且" in text:
            raise KeyError("且")
        assert "或" not in text, "a disagreement"

    monkeypatch.setitem(drive.TARGETS, "line", drive.Target("line", drive.gen_line, check))
    figures = drive.drive(["line"], seconds=math.inf, seed=1, hang=math.inf, abort=600.0,
                          crashes=tmp_path, max_inputs=600)["line"]
    assert figures.tracebacks > 0 and figures.disagreements > 0
    assert len(figures.failures) == figures.tracebacks + figures.disagreements
    saved = sorted(tmp_path.glob("line-*-traceback.txt"))
    assert saved and "KeyError" in saved[0].read_text(encoding="utf-8")
    assert "且" in saved[0].with_suffix(".input").read_text(encoding="utf-8")
