"""Lowering: the evaluator's day tables agree with the calendar (deadlines and day counts, with
and without suspensions, working and natural days), and conditions compile to closures that
read the facts they name."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from wenze.dsl import ast as A
from wenze.dsl.calendar import CalendarRangeError, WorkCalendar
from wenze.dsl.parser import parse
from wenze.engine.lower import DayIndex, compile_condition


@pytest.mark.parametrize("unit", [A.DayKind.WORKING, A.DayKind.NATURAL])
def test_day_index_agrees_with_the_calendar(unit: A.DayKind) -> None:
    cal = WorkCalendar.statutory()
    index = DayIndex(cal, unit)
    rng = random.Random(82)
    base = dt.date(2023, 12, 1).toordinal()
    for _ in range(3000):
        start = dt.date.fromordinal(base + rng.randrange(500))
        amount = rng.randrange(0, 40)
        susp: list[tuple[dt.date, dt.date]] = []
        for _ in range(rng.randrange(3)):
            a = start + dt.timedelta(days=rng.randrange(-5, 40))
            susp.append((a, a + dt.timedelta(days=rng.randrange(0, 10))))
        merged = _merge(susp)
        assert index.deadline(start, amount, merged) == cal.deadline(start, amount, unit, merged)
        end = start + dt.timedelta(days=rng.randrange(-3, 60))
        assert index.count(start, end, merged) == cal.count_days(start, end, unit, merged)


def test_day_index_refuses_dates_it_does_not_know() -> None:
    index = DayIndex(WorkCalendar.statutory(), A.DayKind.WORKING)
    with pytest.raises(CalendarRangeError):
        index.deadline(dt.date(2031, 3, 3), 20)
    with pytest.raises(CalendarRangeError):
        index.deadline(dt.date(2026, 12, 20), 20)  # the deadline itself would be unknown


def _merge(ranges: list[tuple[dt.date, dt.date]]) -> tuple[tuple[dt.date, dt.date], ...]:
    from wenze.engine.case import _merge as merge

    return merge(ranges)


def _condition(text: str):
    rb = parse(f'规则集 X {{}}\n违规 V {{ 当 {text} }}\n').rulebook
    assert rb is not None
    decl = rb.decls[0]
    assert isinstance(decl, A.ViolationDecl)
    return compile_condition(decl.condition)


def test_conditions_read_facts_by_either_name_and_treat_missing_values_as_false() -> None:
    cond, used = _condition("「超法定天数」 > 0 且 非 extended")
    assert used == ("days_over_statutory", "extended")
    assert cond({"days_over_statutory": 2, "extended": False})
    assert not cond({"days_over_statutory": 2, "extended": True})
    assert not cond({"days_over_statutory": 0, "extended": False})
    rate, _ = _condition("「按时办结率」 < 99%")
    assert rate({"on_time_rate": 80}) and not rate({"on_time_rate": 100})
    assert not rate({"on_time_rate": None})  # no cases, no rate: never a violation


def test_generated_conditions_agree_with_the_composed_closures() -> None:
    from wenze.engine.lower import _test

    texts = ["「超法定天数」 > 0 且 非 extended", "非 (decided 或 「补正告知次数」 >= 2)",
             "「按时办结率」 < 99.5%", "elapsed_days >= 20 工作日 或 extended == 是",
             "days_over_promised > days_over_statutory", "shirked"]
    rng = random.Random(5)
    for text in texts:
        rb = parse(f"规则集 X {{}}\n违规 V {{ 当 {text} }}\n").rulebook
        assert rb is not None
        decl = rb.decls[0]
        assert isinstance(decl, A.ViolationDecl) and decl.condition is not None
        fast, used = compile_condition(decl.condition)
        slow = _test(decl.condition, [])
        assert fast is not slow
        for _ in range(300):
            env = {k: rng.choice([None, 0, 1, 3, 25, True, False]) for k in used}
            if "on_time_rate" in env and env["on_time_rate"] is not None:
                env["on_time_rate"] = rng.choice([None, 80, 99, 99.5, 100])
            assert fast(env) == slow(env), (text, env)
