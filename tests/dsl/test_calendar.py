"""Tests of the working-day calendar (wenze.dsl.calendar) against the real chinesecalendar data.

Expected deadlines are listed by hand from the State Council's published schedules (quoted in each
test), independently of the code under test.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wenze.dsl import ast as A
from wenze.dsl.calendar import (
    STATUTORY_FIRST,
    STATUTORY_LAST,
    CalendarRangeError,
    DayType,
    WorkCalendar,
)

D = dt.date
W = A.DayKind.WORKING
N = A.DayKind.NATURAL
CAL = WorkCalendar.statutory()


def wd(n: int) -> A.Duration:
    return A.Duration(n, W)


def test_table_matches_the_package_on_every_day() -> None:
    assert (STATUTORY_FIRST, STATUTORY_LAST) == (D(2004, 1, 1), D(2026, 12, 31))
    day = STATUTORY_FIRST
    while day <= STATUTORY_LAST:
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        assert CAL.holiday_name(day) == name, day
        kind = CAL.day_kind(day)
        if on_holiday and name:
            assert kind is DayType.HOLIDAY
        if not on_holiday and name and day.weekday() > 4:
            assert kind is DayType.MAKEUP_WORKDAY
        day += dt.timedelta(days=1)


def test_package_range_is_what_it_raises_outside() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(STATUTORY_FIRST - dt.timedelta(days=1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(STATUTORY_LAST + dt.timedelta(days=1))


def test_spring_festival_2024_with_makeup_sundays() -> None:
    # 国办发明电〔2023〕7号: 2月10日至17日放假调休，共8天；2月4日（星期日）、2月18日（星期日）上班.
    # From Thu 1 Feb, 10 working days: 2 Fri(1), 3 Sat -, 4 Sun make-up(2), 5-9 Mon-Fri(3-7),
    # 10-17 holiday -, 18 Sun make-up(8), 19 Mon(9), 20 Tue(10).
    trace = CAL.add_days(D(2024, 2, 1), wd(10))
    assert trace.deadline == D(2024, 2, 20)
    counted = [e.date for e in trace.days if e.counted]
    expected = [D(2024, 2, 2), D(2024, 2, 4)] + [D(2024, 2, x) for x in range(5, 10)]
    expected += [D(2024, 2, 18), D(2024, 2, 19), D(2024, 2, 20)]
    assert counted == expected
    assert [e.ordinal for e in trace.days if e.counted] == list(range(1, 11))
    by_date = {e.date: e for e in trace.days}
    assert by_date[D(2024, 2, 1)].reason == "start_day" and not by_date[D(2024, 2, 1)].counted
    assert by_date[D(2024, 2, 3)].kind is DayType.WEEKEND
    assert by_date[D(2024, 2, 4)].kind is DayType.MAKEUP_WORKDAY
    assert by_date[D(2024, 2, 4)].holiday_zh == "春节"
    for x in range(10, 18):
        entry = by_date[D(2024, 2, x)]
        assert entry.kind is DayType.HOLIDAY and entry.holiday == "Spring Festival"
        assert not entry.counted and entry.reason == "not_a_working_day"
    assert len(trace.days) == 20  # 1 Feb … 20 Feb, every day listed
    assert "调休上班（春节） 计第2日" in trace.explain("zh")[3]


def test_national_day_2024() -> None:
    # 国办发明电〔2023〕7号: 10月1日至7日放假调休，共7天；9月29日（星期日）、10月12日（星期六）上班.
    # From Fri 27 Sep, 5 working days: 28 Sat -, 29 Sun make-up(1), 30 Mon(2), 1-7 Oct -, 8(3),
    # 9(4), 10(5).
    assert CAL.deadline(D(2024, 9, 27), 5, W) == D(2024, 10, 10)
    assert CAL.day_kind(D(2024, 10, 12)) is DayType.MAKEUP_WORKDAY
    assert CAL.day_kind(D(2024, 10, 7)) is DayType.HOLIDAY
    assert CAL.holiday_name(D(2024, 10, 7)) == "National Day"
    # 7 working days reach Sat 12 Oct (a make-up day): 8(3), 9(4), 10(5), 11(6), 12(7).
    assert CAL.deadline(D(2024, 9, 27), 7, W) == D(2024, 10, 12)


def test_start_day_not_counted() -> None:
    assert CAL.deadline(D(2024, 3, 4), 1, W) == D(2024, 3, 5)  # Mon → Tue
    assert CAL.deadline(D(2024, 3, 2), 1, W) == D(2024, 3, 4)  # Sat → Mon
    assert CAL.deadline(D(2024, 3, 4), 0, W) == D(2024, 3, 4)
    assert CAL.deadline(D(2024, 3, 4), 1, N) == D(2024, 3, 5)


def test_natural_days_count_holidays_and_weekends() -> None:
    trace = CAL.add_days(D(2024, 2, 8), A.Duration(5, N))
    assert trace.deadline == D(2024, 2, 13)  # no roll-forward although 13 Feb is a holiday
    assert [e.counted for e in trace.days] == [False, True, True, True, True, True]
    assert CAL.count_days(D(2024, 2, 8), D(2024, 2, 20), N) == 12


def _decl(**kw: object) -> A.CalendarDecl:
    return A.CalendarDecl(A.Name("本县日历"), **kw)  # type: ignore[arg-type]


def test_local_holiday_and_local_workday_override_the_base() -> None:
    decl = _decl(
        holidays=(A.CalendarDay(D(2024, 3, 5), "县庆"),),
        workdays=(A.CalendarDay(D(2024, 3, 9), "补班"),),
    )
    cal = WorkCalendar.from_decl(decl)
    assert WorkCalendar.from_decl(decl) is cal  # cached per declaration
    assert (
        not cal.is_workday(D(2024, 3, 5)) and cal.day_kind(D(2024, 3, 5)) is DayType.LOCAL_HOLIDAY
    )
    assert cal.is_workday(D(2024, 3, 9)) and cal.day_kind(D(2024, 3, 9)) is DayType.LOCAL_WORKDAY
    assert cal.holiday_name(D(2024, 3, 5)) == "县庆"
    # From Mon 4 Mar, 4 working days: 5 local holiday -, 6(1), 7(2), 8(3), Sat 9 local workday(4).
    assert cal.deadline(D(2024, 3, 4), 4, W) == D(2024, 3, 9)
    assert CAL.deadline(D(2024, 3, 4), 4, W) == D(2024, 3, 8)  # statutory: 5, 6, 7, 8
    # a local override may also cancel a statutory holiday
    cal2 = WorkCalendar.from_decl(_decl(workdays=(A.CalendarDay(D(2024, 2, 12)),)))
    assert cal2.is_workday(D(2024, 2, 12))
    # natural periods ignore local holidays too
    assert cal.deadline(D(2024, 3, 4), 2, N) == D(2024, 3, 6)


def test_conflicting_local_override_rejected() -> None:
    day = A.CalendarDay(D(2024, 3, 5))
    with pytest.raises(ValueError, match="2024-03-05"):
        WorkCalendar.from_decl(_decl(holidays=(day,), workdays=(day,)))


def test_natural_base_calendar() -> None:
    cal = WorkCalendar.from_decl(
        _decl(base=A.CalendarBase.NATURAL, holidays=(A.CalendarDay(D(2030, 1, 2)),))
    )
    assert cal.is_workday(D(2030, 1, 5))  # a Saturday counts; 2030 is fine without holiday data
    # from 1 Jan: 2 Jan local holiday -, 3(1), 4(2), Sat 5(3)
    assert cal.deadline(D(2030, 1, 1), 3, W) == D(2030, 1, 5)
    with pytest.raises(CalendarRangeError):
        cal.is_workday(D(2100, 1, 1))


def test_suspension_does_not_count() -> None:
    # From Fri 1 Mar, 5 working days: 4(1), 5–7 suspended, 8(2), 11(3), 12(4), 13(5).
    susp = [(D(2024, 3, 5), D(2024, 3, 7))]
    assert CAL.deadline(D(2024, 3, 1), 5, W) == D(2024, 3, 8)
    trace = CAL.add_days(D(2024, 3, 1), wd(5), susp)
    assert trace.deadline == D(2024, 3, 13)
    assert CAL.deadline(D(2024, 3, 1), 5, W, susp) == D(2024, 3, 13)
    kinds = {e.date: e for e in trace.days}
    assert kinds[D(2024, 3, 6)].kind is DayType.SUSPENDED
    assert kinds[D(2024, 3, 6)].calendar_kind is DayType.WORKDAY
    assert kinds[D(2024, 3, 6)].reason == "suspended"
    assert CAL.count_days(D(2024, 3, 1), D(2024, 3, 13), W, susp) == 5
    # unsorted, touching intervals merge; one reaching back before the start only removes the days
    # after the start (4 Mar here: 8, 11, 12, 13, 14); one after the deadline changes nothing
    messy = [(D(2024, 3, 6), D(2024, 3, 7)), (D(2024, 2, 20), D(2024, 3, 5)), (D(2024, 4, 1),) * 2]
    assert CAL.deadline(D(2024, 3, 1), 5, W, messy) == D(2024, 3, 14)
    assert CAL.deadline(D(2024, 3, 1), 5, W, [(D(2024, 2, 20), D(2024, 3, 1))]) == D(2024, 3, 8)
    # natural days also stop: 5 natural days from 1 Mar with 5-7 suspended: 2,3,4,8,9
    assert CAL.deadline(D(2024, 3, 1), 5, N, susp) == D(2024, 3, 9)
    with pytest.raises(ValueError, match="ends before"):
        CAL.deadline(D(2024, 3, 1), 5, W, [(D(2024, 3, 7), D(2024, 3, 5))])


def test_out_of_range_is_an_error_never_a_guess() -> None:
    for day in (D(2003, 12, 31), D(2027, 1, 4)):
        with pytest.raises(CalendarRangeError) as err:
            CAL.is_workday(day)
        text = str(err.value)
        assert day.isoformat() in text and "2004-01-01" in text and "2026-12-31" in text
        assert "超出日历已知范围" in text
        assert isinstance(err.value, ValueError)
        with pytest.raises(CalendarRangeError):
            CAL.deadline(day, 1, W)
        with pytest.raises(CalendarRangeError):
            CAL.add_days(day, wd(1))
    # a period starting inside the range but ending after it
    with pytest.raises(CalendarRangeError, match="2027-01-01"):
        CAL.deadline(D(2026, 12, 25), 10, W)
    with pytest.raises(CalendarRangeError):
        CAL.count_days(D(2026, 12, 25), D(2027, 1, 5), W)
    # a suspension that pushes the deadline out of range
    with pytest.raises(CalendarRangeError):
        CAL.deadline(D(2026, 12, 1), 5, W, [(D(2026, 12, 2), D(2027, 3, 1))])
    assert CAL.deadline(D(2026, 12, 1), 5, W, [(D(2027, 1, 2), D(2027, 3, 1))]) == D(2026, 12, 8)


def test_count_days_basics() -> None:
    assert CAL.count_days(D(2024, 2, 1), D(2024, 2, 1), W) == 0
    assert CAL.count_days(D(2024, 2, 5), D(2024, 2, 1), W) == 0
    assert CAL.count_days(D(2024, 2, 1), D(2024, 2, 20), W) == 10
    assert CAL.count_days(D(2024, 2, 9), D(2024, 2, 17), W) == 0


def test_bulk_deadlines_match_single() -> None:
    starts = [D(2024, 2, 1), D(2024, 9, 27), D(2010, 5, 5)]
    got = CAL.deadline_ordinals([s.toordinal() for s in starts], 10, W)
    assert [D.fromordinal(o) for o in got] == [CAL.deadline(s, 10, W) for s in starts]


DATES = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 6, 30))


@settings(max_examples=300, deadline=None)
@given(
    start=DATES,
    n=st.integers(min_value=0, max_value=120),
    unit=st.sampled_from([W, N]),
    gaps=st.lists(st.tuples(st.integers(-5, 60), st.integers(0, 20)), max_size=3),
)
def test_count_days_inverts_deadline(
    start: dt.date, n: int, unit: A.DayKind, gaps: list[tuple[int, int]]
) -> None:
    susp = [
        (start + dt.timedelta(days=a), start + dt.timedelta(days=a + length)) for a, length in gaps
    ]
    end = CAL.deadline(start, n, unit, susp)
    assert CAL.count_days(start, end, unit, susp) == n
    trace = CAL.add_days(start, A.Duration(n, unit), susp)
    assert trace.deadline == end
    assert sum(e.counted for e in trace.days) == n
    if n:
        # the deadline is the n-th counted day: one day earlier has n-1
        assert trace.days[-1].counted and trace.days[-1].ordinal == n
        assert CAL.count_days(start, end - dt.timedelta(days=1), unit, susp) == n - 1
    # working-day trace agrees with the package on each day it marks counted (no suspensions)
    if unit is W and not susp:
        for e in trace.days[1:]:
            assert e.counted == chinese_calendar.is_workday(e.date)


def test_range_error_forms_and_pickling() -> None:
    import pickle

    err = CalendarRangeError(D(2030, 1, 1), STATUTORY_FIRST, STATUTORY_LAST)
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.day == D(2030, 1, 1)
    plain = CalendarRangeError("超出范围 out of range")
    assert str(pickle.loads(pickle.dumps(plain))) == "超出范围 out of range"
    assert plain.day is None
