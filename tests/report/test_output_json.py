"""The JSON document (``wenze.report.output.to_json``): written without :mod:`json`'s indenting
encoder, in forked processes for many decisions — the text of ``json.dumps`` all the same."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wenze
from wenze.engine.evaluate import evaluate
from wenze.fast.columnar import evaluate_columnar
from wenze.report import output
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]


def _dumps(value: Any, level: int = 0) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2)
    return text.replace("\n", "\n" + "  " * level)


_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
            | st.text(st.characters(codec="utf-8")))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.lists(inner, max_size=3).map(tuple)
                       | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_values, st.integers(0, 3))
def test_json_text_is_the_text_of_json_dumps(value: Any, level: int) -> None:
    assert output.json_text(value, level) == _dumps(value, level)


def test_json_text_leaves_what_it_does_not_write_to_json() -> None:
    class Code(str):
        pass

    odd = [{"a": Code("x"), "b": [math.inf, -math.inf, -0.0]}, {2: "two", 1: [1]},
           dt.date(2024, 1, 1)]
    for value in odd[:2]:
        assert output.json_text(value, 1) == _dumps(value, 1)
    with pytest.raises(TypeError):
        output.json_text(odd[2])
    with pytest.raises(TypeError):  # keys json cannot sort, as json.dumps
        output.json_text({1: "one", "b": 2})


@pytest.mark.parametrize("workers", [1, 3])
def test_to_json_is_json_dumps_of_the_result(monkeypatch: pytest.MonkeyPatch,
                                             workers: int) -> None:
    program = wenze.load(ROOT / "rules" / "zitong_2008.wz").program
    events = generate(program, load_profile(), cases=1200, seed=7)
    monkeypatch.setattr(output, "PARALLEL_MIN_DECISIONS", 10)  # forked even for a few
    as_of = dt.date(2024, 12, 31)
    for result in (evaluate(program, events, as_of), evaluate_columnar(program, events, as_of)):
        assert len(result.decisions) > 3 * 10
        assert output.to_json(result, workers) == _dumps(result.to_json()) + "\n"
