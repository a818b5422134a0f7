"""The offence table (``wenze.fast.offence_table``): offences as columns give back the same
offences, keys and order as the offence objects."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np

import wenze
from wenze.engine import evaluate as R
from wenze.fast.offence_table import ROLES, OffenceTable, Strings
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]


def _offences(name: str, seed: int) -> tuple[object, list[R.Offence]]:
    program = wenze.load(ROOT / "rules" / name).program
    events = generate(program, load_profile(), cases=800, seed=seed)
    ctx = R.CaseContext(program, events, dt.date(2024, 12, 31))
    by_case: dict[str, list] = {}
    for e in events:
        by_case.setdefault(e.case, []).append(e)
    batch = R.run_cases(ctx, program, sorted(by_case), by_case, set())
    return program, batch[1]


def test_columns_give_back_the_offences_keys_and_order() -> None:
    seen = 0
    for name, seed in (("zitong_2008.wz", 3), ("county_en.wz", 5), ("fujian_2010.wz", 7)):
        program, offences = _offences(name, seed)
        seen += len(offences)
        shuffled = offences[::-1]
        table = OffenceTable.from_offences(program, shuffled)
        assert len(table) == len(shuffled)
        for i, o in enumerate(shuffled):
            assert table.offence(i) is o
            assert table.key(i) == o.key
            assert table.person_key.value(i) == o.person_key
            assert ROLES[int(table.role[i])] == o.role
            assert table.case.value(i) == o.case
        expected = sorted(range(len(shuffled)), key=lambda i: shuffled[i].order)
        assert table.order().tolist() == expected
    assert seen > 30


def test_concat_keeps_rows_and_makers_apart() -> None:
    program, offences = _offences("zitong_2008.wz", 11)
    half = len(offences) // 2
    a = OffenceTable.from_offences(program, offences[:half])
    b = OffenceTable.from_offences(program, offences[half:])
    joined = OffenceTable.concat(program, [a, b])
    assert [joined.offence(i) for i in range(len(joined))] == offences
    # many rows at once, from both parts, in any order (repeats too): each its own offence
    rows = np.random.default_rng(3).integers(0, len(joined), 3 * len(joined))
    assert all(o is offences[r] for o, r in zip(joined.offences(rows), rows.tolist(),
                                                 strict=True))
    assert joined.offences(np.zeros(0, np.int64)) == []
    assert [joined.key(i) for i in range(len(joined))] == [o.key for o in offences]
    assert joined.order().tolist() == sorted(range(len(offences)),
                                             key=lambda i: offences[i].order)


def test_take_gives_the_rows_offences_and_columns_in_its_order() -> None:
    program, offences = _offences("zitong_2008.wz", 3)
    offences = [dataclasses.replace(o, circumstances=("主动纠正",)) if i % 3 == 0 else o
                for i, o in enumerate(offences)]
    half = len(offences) // 2
    joined = OffenceTable.concat(program, [OffenceTable.from_offences(program, offences[:half]),
                                           OffenceTable.from_offences(program, offences[half:])])
    rows = np.random.default_rng(5).integers(0, len(joined), 2 * len(joined))
    taken = joined.take(rows)
    assert [taken.offence(i) for i in range(len(taken))] == [offences[r] for r in rows.tolist()]
    assert taken.mismatches() == []  # columns, circumstances and keys follow the rows
    assert taken.order().tolist() == sorted(range(len(rows)),
                                            key=lambda i: offences[int(rows[i])].order)


def test_strings_concat_of_equal_or_overlapping_names() -> None:
    a, b = Strings.of(["x", "y", None]), Strings.of(["y", "x"])
    assert a.names == b.names and a.names is not b.names
    assert Strings.concat([a, b]).values() == ["x", "y", None, "y", "x"]
    parts = [Strings.of(["c", "a", "e"]), Strings.of(["b", "e", None]), Strings.of(["d", "a"])]
    joined = Strings.concat(parts)
    assert joined.names == ["a", "b", "c", "d", "e"]
    assert joined.values() == ["c", "a", "e", "b", "e", None, "d", "a"]


def test_strings_sort_as_python_strings() -> None:
    values = ["乙", None, "甲", "b", "A", "", "甲", None]
    s = Strings.of(values)
    assert s.values() == values
    order = np.lexsort((np.arange(len(values)), s.sort_codes()))
    assert order.tolist() == sorted(range(len(values)), key=lambda i: values[i] or "")
    coded = Strings.coded(np.asarray([2, -1, 0, 1], np.int32), ["z", "a", "m"])
    assert coded.values() == ["m", None, "z", "a"]


def test_strings_concat_sorted_runs_and_overlaps() -> None:
    runs = [Strings.of(["a", None, "c"]), Strings.of([]), Strings.of(["d", "e", "d"])]
    joined = Strings.concat(runs)
    assert joined.values() == ["a", None, "c", "d", "e", "d"]
    assert joined.names == ["a", "c", "d", "e"]
    overlapping = [Strings.of(["b", "z"]), Strings.of(["a", None, "z"])]
    joined = Strings.concat(overlapping)
    assert joined.values() == ["b", "z", "a", None, "z"]
    assert joined.names == ["a", "b", "z"]


def test_offences_sent_from_another_process_are_the_same() -> None:
    """An offence pickled as a portable batch (forked slices, Dask workers) comes back equal,
    the time of its act included (it orders one date's offences on the ladder)."""
    program, offences = _offences("zitong_2008.wz", 3)
    assert any(o.act_at is not None for o in offences)
    back = R.joined(program, [R.portable(program, ([], offences, [], [], [], {}))])[1]
    assert back == offences
    assert [o.act_at for o in back] == [o.act_at for o in offences]
