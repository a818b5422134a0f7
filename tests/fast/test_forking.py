"""fork_map: results in order, arrays back through shared memory, errors raised in the parent."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from wenze.fast import forking
from wenze.fast.forking import fork_map


def test_results_come_back_in_order() -> None:
    assert fork_map(lambda x: x * x, [1, 2, 3]) == [1, 4, 9]
    assert len(forking.CHILDREN_PEAK_KB) == 2  # one per child


def test_arrays_come_back_equal_aligned_and_writable() -> None:
    def make(seed: int) -> dict[str, object]:
        rng = np.random.default_rng(seed)
        return {"ints": rng.integers(0, 1 << 40, 1_000_003), "flags": rng.random(7) > 0.5,
                "empty": np.zeros(0, np.int32), "strided": np.arange(20)[::3],
                "text": ["审批", None], "seed": seed}

    got = fork_map(make, [1, 2, 3])
    for seed, value in zip([1, 2, 3], got, strict=True):
        want = make(seed)
        assert value.keys() == want.keys()
        for key in want:
            if isinstance(want[key], np.ndarray):
                assert value[key].dtype == want[key].dtype
                assert np.array_equal(value[key], want[key])
            else:
                assert value[key] == want[key]
    child_ints = got[0]["ints"]
    assert child_ints.ctypes.data % 64 == 0
    child_ints[0] = -1  # a child's array is the parent's own to change
    assert child_ints[0] == -1


def test_a_childs_error_is_raised_in_the_parent() -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError: division by zero"):
        fork_map(lambda x: 1 / x, [0, 1])


def _children() -> set[str]:
    return set(Path(f"/proc/self/task/{os.getpid()}/children").read_text().split())


def test_an_error_in_the_parents_own_slice_leaves_no_child_behind() -> None:
    before = _children()
    with pytest.raises(ZeroDivisionError):
        fork_map(lambda x: 1 / x, [1, 2, 0])
    assert _children() == before  # every child was waited for (no zombie left)
