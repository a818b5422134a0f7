"""Events as columns (``wenze.events.columns``): columns made without Event objects rebuild
each event exactly (id, case, type, time with its own UTC offset, texts, data, source, line);
``from_events`` computes the same columns as the plain per-event definitions; and the benchmark
caseload generated directly as columns is a valid caseload that reads back to the same columns
and is judged without rejections."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import wenze
from wenze.dsl.loader import load_text
from wenze.engine.evaluate import evaluate
from wenze.engine.lower import Program, lower
from wenze.events.columns import TYPES, EventColumns, EventView, TextColumn
from wenze.events.readers import Event, EventType
from wenze.fast.columnar import evaluate_columnar
from wenze.report.output import to_json
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("case", "type", "day", "instant", "item", "post", "actor", "unit", "step", "reason",
           "refused_nr", "odd")
NAMES = ("case_names", "item_names", "post_names", "actor_names", "unit_names", "step_names",
         "reason_names")
FIELDS = ("id", "case", "type", "at", "item", "actor", "post", "unit", "step", "data", "line",
          "source")


@functools.cache
def _program() -> Program:
    return wenze.load(ROOT / "rules" / "zitong_2008.wz").program


def _bench(name: str) -> ModuleType:
    path = ROOT / "benchmarks" / f"{name}.py"
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _without_events(cols: EventColumns) -> EventColumns:
    """The same columns with only the details: the events come from the view."""
    lazy = dataclasses.replace(cols, originals=None, details=cols.event_details())
    assert isinstance(lazy.events, EventView)
    return lazy


def _same_event(a: Event, b: Event) -> None:
    """Every field the same, with the same types (equality alone ignores line and source, and
    compares times by instant and 1 == 1.0 == True)."""
    assert type(a) is type(b)
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x == y, name
        assert type(x) is type(y), name
    assert a.at.utcoffset() == b.at.utcoffset()
    assert a.at.replace(tzinfo=None) == b.at.replace(tzinfo=None)
    assert a.at.tzinfo == b.at.tzinfo
    assert repr(a.data) == repr(b.data)


def _odd_caseload(seed: int) -> list[Event]:
    """A simulated caseload made awkward: other UTC offsets (and microseconds), odd data (nested,
    numbers of three types, other keys), missing texts, empty texts, sources and lines."""
    rng = random.Random(seed)
    events = generate(_program(), load_profile(), cases=150, seed=seed)
    zones = [dt.timezone(dt.timedelta(hours=h, minutes=m)) for h, m in
             ((0, 0), (-5, 0), (5, 45), (-9, -30), (14, 0), (8, 0))]
    out = []
    for i, e in enumerate(events):
        change: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.3:
            change["at"] = e.at.astimezone(rng.choice(zones)).replace(
                microsecond=rng.randrange(1_000_000))
        if rng.random() < 0.1:
            change["data"] = {**e.data, "附注": rng.choice(
                [1, 1.0, True, None, "文本", [1, "二", {"三": 3.5}], {"k": [False]}])}
        if rng.random() < 0.1:
            change[rng.choice(("item", "actor", "post", "unit", "step"))] = None
        if rng.random() < 0.02:
            change[rng.choice(("item", "actor", "post", "unit", "step"))] = ""
        if rng.random() < 0.5:
            change["source"] = rng.choice(("a.jsonl", "b.csv", "日志.xes"))
            change["line"] = i + 1 if rng.random() < 0.9 else 0
        out.append(dataclasses.replace(e, **change) if change else e)
    return out


@pytest.mark.parametrize("seed", [1, 5])
def test_the_view_rebuilds_each_event_exactly(seed: int) -> None:
    events = _odd_caseload(seed)
    assert {e.at.utcoffset() for e in events} > {dt.timedelta(hours=8)}  # offsets vary
    assert any(e.case == "" for e in events)  # absences: events without a case
    cols = EventColumns.from_events(events)
    assert cols.events is events
    lazy = _without_events(cols)
    view = lazy.events
    assert len(view) == len(events) == len(lazy)
    rebuilt = list(view)
    assert rebuilt == events
    for a, b in zip(rebuilt, events, strict=True):
        _same_event(a, b)
    for i in range(-len(events), len(events), 37):
        _same_event(view[i], events[i])
    assert view[5:40] == events[5:40]
    assert view[::-7] == events[::-7]
    assert view[len(events):] == []
    with pytest.raises(IndexError):
        view[len(events)]
    # the odd rows (empty texts) are kept as they are; the rest is rebuilt
    kept = lazy.event_details().kept
    assert kept and len(kept) < len(events) // 20
    assert all(any(getattr(events[i], f) == "" for f in ("item", "actor", "post", "unit",
                                                         "step")) for i in kept)


def test_rebuilt_data_is_each_events_own() -> None:
    events = _odd_caseload(2)
    lazy = _without_events(EventColumns.from_events(events))
    first = list(lazy.events)
    nested = next(i for i, e in enumerate(events) if isinstance(e.data.get("附注"), list | dict))
    note = first[nested].data["附注"]
    if isinstance(note, list):
        note.append("x")
    else:
        note.clear()
    plain = next(i for i, e in enumerate(events) if e.data)
    first[plain].data["added"] = 1
    again = list(lazy.events)
    assert again == events  # the columns did not change with the events given out


def test_from_events_computes_the_plain_definitions() -> None:
    events = _odd_caseload(3)
    cols = EventColumns.from_events(events)
    assert cols.day.tolist() == [e.at.toordinal() for e in events]
    assert cols.instant.tolist() == [e.at.timestamp() for e in events]  # float for float
    assert [TYPES[t] for t in cols.type.tolist()] == [e.type for e in events]
    expected_cases = sorted({e.case for e in events if e.case})
    assert cols.case_names == expected_cases
    assert [cols.case_names[c] if c >= 0 else "" for c in cols.case.tolist()] == \
        [e.case for e in events]
    for name in ("item", "actor", "post", "unit", "step"):
        names = getattr(cols, f"{name}_names")
        assert [names[c] if c >= 0 else None for c in getattr(cols, name).tolist()] == \
            [getattr(e, name) or None for e in events]
        seen = list(dict.fromkeys(getattr(e, name) for e in events if getattr(e, name)))
        assert names == seen  # first-seen order


def test_columns_need_events_or_details() -> None:
    cols = EventColumns.from_events(_odd_caseload(4)[:50])
    with pytest.raises(ValueError):
        dataclasses.replace(cols, originals=None, details=None)
    with pytest.raises(ValueError):
        dataclasses.replace(cols, originals=cols.events[:-1])


def test_text_column() -> None:
    values = ["B1-1", "", "事项-二", "x" * 40, "é"]
    col = TextColumn.of(values)
    assert list(col) == values and len(col) == 5
    assert col[-1] == "é" and col[1:4] == values[1:4] and col[::2] == values[::2]
    with pytest.raises(ValueError):
        TextColumn("abc", np.asarray([0, 2], np.int32))


# --------------------------------------------------------------------------- generated caseload


def _same_columns(a: EventColumns, b: EventColumns) -> None:
    for name in COLUMNS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in NAMES:
        assert getattr(a, name) == getattr(b, name), name
    da, db = a.event_details(), b.event_details()
    assert da.id == db.id
    assert np.array_equal(da.tz, db.tz) and da.tz_table == db.tz_table
    assert np.array_equal(da.data, db.data) and da.data_table == db.data_table
    assert da.kept == db.kept == {}


def test_generated_caseload_reads_back_to_the_same_columns() -> None:
    cols = _bench("columns_caseload").caseload_columns(400, seed=3)
    events = list(cols.events)
    assert len(events) == len(cols)
    _same_columns(cols, EventColumns.from_events(events))


def test_generated_caseload_is_valid_and_seeded() -> None:
    gen = _bench("columns_caseload")
    cols = gen.caseload_columns(3000)
    events = list(cols.events)
    ids = [e.id for e in events]
    assert len(set(ids)) == len(ids)
    cases = [e.case for e in events]
    assert cases == sorted(cases) and len(set(cases)) == 3000
    keys = [(e.case, e.at) for e in events]
    assert keys == sorted(keys)  # (case, time) order
    assert all(e.at.utcoffset() == dt.timedelta(hours=8) for e in events)
    days = {e.at.date() for e in events}
    assert dt.date(2023, 1, 3) <= min(days) and max(days) <= dt.date(2024, 12, 31)
    # the shape of bench_evaluate.caseload
    suspended = {e.case for e in events if e.type is EventType.SUSPENDED}
    assert 0.12 < len(suspended) / 3000 < 0.18
    assert all(e.data == {"reason": "专家评审"} for e in events if e.type is EventType.SUSPENDED)
    decided = [e for e in events if e.type is EventType.DECIDED]
    assert len(decided) == 3000
    assert 0.01 < sum(e.post == "窗口" for e in decided) / 3000 < 0.035
    assert {e.step for e in events if e.step} == set(gen.STEPS)
    per_case = {c: sum(1 for x in cases if x == c) for c in list(dict.fromkeys(cases))[:50]}
    assert set(per_case.values()) <= {15, 17}
    # seeded: the same seed the same columns, another seed others
    _same_columns(cols, gen.caseload_columns(3000))
    assert not np.array_equal(cols.day, gen.caseload_columns(3000, seed=8).day)


def test_generated_caseload_is_judged_without_rejections() -> None:
    bench = _bench("bench_evaluate")
    program = lower(load_text(bench.RULEBOOK, "<bench>").rulebook)
    cols = _bench("columns_caseload").caseload_columns(300)
    as_of = dt.date(2024, 12, 31)
    result = evaluate(program, list(cols.events), as_of)
    assert not result.rejected and not result.unjudged
    assert result.cases == 300 and result.events_after_as_of == 0
    violations = {d.violation for d in result.decisions}
    assert {"超过法定时限", "决定越权", "环节超时"} <= violations
    assert to_json(evaluate_columnar(program, cols, as_of)) == to_json(result)


@pytest.mark.parametrize("values", [["a1", "", "bb2", "c", "dddd"], ["甲", "a", "", "乙丙"], []])
def test_text_column_take_concat_and_hashes(values: list[str]) -> None:
    col = TextColumn.of(values)
    rows = [i for i in (4, 0, 2, 2, 1, 3) if i < len(values)]
    assert list(col.take(rows)) == [values[i] for i in rows]
    assert col.take(rows) == TextColumn.of([values[i] for i in rows])
    assert TextColumn.concat([col, col.take(rows)]) == TextColumn.of(values + [values[i]
                                                                                 for i in rows])
    hashes = col.hashes()
    assert len(hashes) == len(values)
    again = TextColumn.of([*values, *values]).hashes()  # equal texts, equal hashes
    assert (again[:len(values)] == hashes).all() and (again[len(values):] == hashes).all()
    assert len(set(hashes.tolist())) == len(set(values))
