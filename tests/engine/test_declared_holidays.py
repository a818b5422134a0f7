"""A rulebook's holiday schedule (``节假日安排 YEAR``) extends the statutory calendar past the years
``chinesecalendar`` knows: the calendar, the lowered program (``DayIndex``), ``--explain`` traces,
the columnar fast path and ``wenze check``.

Every schedule in this file is FICTIONAL test data (the real 2027 schedule was not published when
it was written): a four-day New Year, Fri 1 – Mon 4 Jan 2027, and a make-up working Saturday,
9 Jan 2027.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

import wenze
from wenze.dsl import ast as A
from wenze.dsl import calendar as C
from wenze.dsl.loader import load_text
from wenze.engine.evaluate import evaluate
from wenze.engine.lower import lower
from wenze.events.readers import read_jsonl
from wenze.fast import columnar

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "cases" / "declared_holidays_2027"
D = dt.date

FICTIONAL_2027 = C.DeclaredYear(
    2027,
    tuple((D(2027, 1, d), "元旦（虚构）") for d in range(1, 5)),
    ((D(2027, 1, 9), "元旦调休（虚构）"),),
    "「虚构通知」 测试〔2026〕0号 \"一\"",
)

RULEBOOK = """规则集 「测」 {}
文件 「虚构通知」 { 文号 "测试〔2026〕0号" }
节假日安排 2027 依据 「虚构通知」 "一" {
  放假 2027-01-01 至 2027-01-04 "元旦（虚构）"
  补班 2027-01-09 "元旦调休（虚构）"
}
日历 「县日历」 {
  基于 法定工作日
  放假 2027-01-06 "县庆（虚构）"
}
日历 「每天」 { 基于 自然日历 }
"""


def test_the_builtin_calendar_still_ends_in_2026() -> None:
    # when chinesecalendar learns 2027 these tests must move on to the next unknown year
    assert C.STATUTORY_LAST == D(2026, 12, 31)
    with pytest.raises(C.CalendarRangeError, match="节假日安排 2027"):
        C.WorkCalendar.statutory().is_workday(D(2027, 1, 4))


def test_a_declared_year_is_known_with_its_holidays_and_make_up_days() -> None:
    cal = C.WorkCalendar.statutory((FICTIONAL_2027,))
    assert cal.first_date == C.STATUTORY_FIRST and cal.last_date == D(2027, 12, 31)
    assert cal.day_kind(D(2027, 1, 1)) is C.DayType.HOLIDAY  # Friday
    assert cal.day_kind(D(2027, 1, 4)) is C.DayType.HOLIDAY  # Monday
    assert cal.day_kind(D(2027, 1, 5)) is C.DayType.WORKDAY
    assert cal.day_kind(D(2027, 1, 9)) is C.DayType.MAKEUP_WORKDAY  # Saturday
    assert cal.day_kind(D(2027, 1, 10)) is C.DayType.WEEKEND
    assert cal.day_kind(D(2027, 12, 31)) is C.DayType.WORKDAY  # a Friday nobody declared
    assert cal.holiday_name(D(2027, 1, 2)) == "元旦（虚构）"
    assert cal.holiday_source(D(2027, 1, 9)) == FICTIONAL_2027.source
    assert cal.holiday_source(D(2027, 1, 5)) is None
    # the known years are untouched
    builtin = C.WorkCalendar.statutory()
    for day in (D(2026, 2, 14), D(2026, 10, 1), D(2026, 12, 31), D(2004, 1, 1)):
        assert cal.day_kind(day) is builtin.day_kind(day)
    # 20 working days from Wed 30 Dec 2026 (see tests/cases/declared_holidays_2027/case.json)
    assert cal.deadline(D(2026, 12, 30), 20) == D(2027, 1, 28)
    assert cal.count_days(D(2026, 12, 30), D(2027, 1, 29)) == 21
    with pytest.raises(C.CalendarRangeError, match="2028"):
        cal.deadline(D(2027, 12, 20), 20)


def test_the_trace_names_the_declared_holiday_and_its_notice() -> None:
    cal = C.WorkCalendar.statutory((FICTIONAL_2027,))
    trace = cal.add_days(D(2026, 12, 30), A.Duration(20, A.DayKind.WORKING))
    assert trace.deadline == D(2027, 1, 28)
    lines = trace.explain("zh")
    assert lines[2] == ("2027-01-01 周五 法定节假日（元旦（虚构），依据 「虚构通知」 "
                        "测试〔2026〕0号 \"一\"） 不计")
    assert "2027-01-09 周六 调休上班（元旦调休（虚构），依据 「虚构通知」" in lines[10]
    assert lines[10].endswith("计第6日")
    english = trace.explain("en")
    assert english[2] == ("2027-01-01 Fri holiday (元旦（虚构）, per 「虚构通知」 "
                          "测试〔2026〕0号 \"一\") not counted (not_a_working_day)")
    assert trace.explain("zh") == lines  # deterministic


def test_only_years_adjacent_to_the_known_ones_extend_the_calendar() -> None:
    y2028 = C.DeclaredYear(2028, ((D(2028, 1, 3), "元旦（虚构）"),), (), "x")
    assert C.usable_declared_years([2028]) == []
    assert C.usable_declared_years([2027, 2028, 2030]) == [2027, 2028]
    assert C.usable_declared_years([2003, 2024]) == [2003]  # 2024 is known: the package stands
    gap = C.WorkCalendar.statutory((y2028,))
    assert gap.last_date == D(2026, 12, 31)
    with pytest.raises(C.CalendarRangeError):
        gap.is_workday(D(2028, 1, 3))
    both = C.WorkCalendar.statutory((FICTIONAL_2027, y2028))
    assert both.last_date == D(2028, 12, 31)
    assert both.day_kind(D(2028, 1, 3)) is C.DayType.HOLIDAY
    assert both.deadline(D(2027, 12, 31), 1) == D(2028, 1, 4)


def test_a_declared_year_the_package_knows_does_not_replace_its_data() -> None:
    wrong_2024 = C.DeclaredYear(2024, ((D(2024, 3, 1), "虚构"),), (), "x")
    cal = C.WorkCalendar.statutory((wrong_2024,))
    assert cal.day_kind(D(2024, 3, 1)) is C.DayType.WORKDAY
    assert C.builtin_disagreement(wrong_2024) == D(2024, 1, 1)  # 元旦, a Monday, comes first


def test_lowering_extends_every_statutory_calendar_and_local_days_still_apply() -> None:
    loaded = load_text(RULEBOOK, "t.wz")
    assert loaded.ok, loaded.diagnostics
    assert loaded.rulebook is not None
    program = lower(loaded.rulebook)
    county = program.calendars["县日历"]
    assert county.calendar.day_kind(D(2027, 1, 6)) is C.DayType.LOCAL_HOLIDAY
    assert county.calendar.day_kind(D(2027, 1, 4)) is C.DayType.HOLIDAY
    # 20 working days from 30 Dec 2026, one more for the county's own day off
    assert county.working.deadline(D(2026, 12, 30), 20) == D(2027, 1, 29)
    natural = program.calendars["每天"].calendar
    assert natural.day_kind(D(2027, 1, 4)) is C.DayType.NATURAL_DAY
    # the fast index agrees with the calendar on every start day of the declared year
    for cal in program.calendars.values():
        idx = cal.working
        day = D(2026, 12, 1)
        while day <= D(2027, 11, 30):
            assert idx.deadline(day, 5) == cal.calendar.deadline(day, 5), day
            day += dt.timedelta(days=1)


def test_the_columnar_fast_path_judges_declared_years_itself_and_identically() -> None:
    loaded = load_text((CASE / "rulebook.wz").read_text(encoding="utf-8"), "rulebook.wz")
    assert loaded.rulebook is not None
    program = lower(loaded.rulebook)
    lines = (CASE / "events.jsonl").read_text(encoding="utf-8").splitlines()
    batch = read_jsonl([ln for ln in lines if '"NY-' in ln], "events.jsonl")
    as_of = D(2027, 6, 30)
    stats: dict[str, float] = {}
    ref = wenze.to_json(evaluate(program, list(batch.events), as_of, rejected=[]))
    col = wenze.to_json(columnar.evaluate_columnar(program, list(batch.events), as_of,
                                                   rejected=[], stats=stats))
    assert col == ref
    assert stats["screened"] == 2 and stats["routed"] == 0  # not merely routed to the reference
    assert '"NY-LATE"' in ref and "超过法定时限" in ref


def test_wenze_check_and_evaluate_accept_the_declared_year() -> None:
    check = subprocess.run([sys.executable, "-m", "wenze", "check", str(CASE / "rulebook.wz"),
                            "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 0, check.stdout + check.stderr
    assert all(d["severity"] != "error" for d in json.loads(check.stdout))
    run = subprocess.run([sys.executable, "-m", "wenze", "evaluate", str(CASE / "rulebook.wz"),
                          str(CASE / "events.jsonl"), "--as-of", "2028-01-31", "--explain",
                          "NY-LATE"], capture_output=True, text=True, cwd=ROOT)
    assert "期限 deadline statutory: 自 2026-12-30 起 20 工作日 → 2027-01-28" in run.stdout
    assert "2027-01-09 周六 调休上班（元旦调休（虚构），依据 「虚构2027节假日通知」" in run.stdout
    assert "not judged [calendar_range] (event X28-9" in run.stdout + run.stderr


def test_schedules_are_inherited_and_overridden_like_any_declaration(tmp_path: Path) -> None:
    from wenze.dsl.loader import load_rulebook

    (tmp_path / "base.wz").write_text(
        '规则集 base {}\n文件 「虚构通知」 { 文号 "测试〔2026〕0号" }\n'
        '节假日安排 2027 依据 「虚构通知」 "一" {\n'
        '  放假 2027-01-01 至 2027-01-04 "元旦（虚构）"\n}\n',
        encoding="utf-8")
    (tmp_path / "county.wz").write_text(
        '规则集 county { 继承 "base.wz" }\n', encoding="utf-8")
    (tmp_path / "corrected.wz").write_text(
        '规则集 corrected { 继承 "base.wz" }\n'
        '覆盖 节假日安排 2027 依据 「虚构通知」 "二" {\n  放假 2027-01-01 "元旦（虚构更正）"\n}\n',
        encoding="utf-8")
    (tmp_path / "clash.wz").write_text(
        '规则集 clash { 继承 "base.wz" }\n'
        '节假日安排 2027 依据 「虚构通知」 "二" {\n  放假 2027-01-01 "元旦"\n}\n', encoding="utf-8")
    county = load_rulebook(tmp_path / "county.wz")
    assert county.ok and county.rulebook is not None
    cal = C.WorkCalendar.statutory(C.declared_years_of(county.rulebook))
    assert cal.day_kind(D(2027, 1, 4)) is C.DayType.HOLIDAY
    corrected = load_rulebook(tmp_path / "corrected.wz")
    assert corrected.ok and corrected.rulebook is not None
    cal = C.WorkCalendar.statutory(C.declared_years_of(corrected.rulebook))
    assert cal.day_kind(D(2027, 1, 4)) is C.DayType.WORKDAY
    assert cal.holiday_source(D(2027, 1, 1)) == '「虚构通知」 测试〔2026〕0号 "二"'
    clash = load_rulebook(tmp_path / "clash.wz")
    assert [d.code for d in clash.errors] == ["WZ106"]


def test_a_year_before_the_known_ones_extends_the_calendar_backwards() -> None:
    y2003 = C.DeclaredYear(2003, ((D(2003, 12, 31), "虚构"),), ((D(2003, 12, 27), "虚构"),), "x")
    cal = C.WorkCalendar.statutory((y2003,))
    assert cal.first_date == D(2003, 1, 1) and cal.last_date == C.STATUTORY_LAST
    assert cal.day_kind(D(2003, 12, 27)) is C.DayType.MAKEUP_WORKDAY  # a Saturday
    assert cal.day_kind(D(2003, 12, 31)) is C.DayType.HOLIDAY
    # Fri 26 Dec 2003 + 3 working days: Sat 27 (make-up), Mon 29, Tue 30 (31 off)
    assert cal.deadline(D(2003, 12, 26), 3) == D(2003, 12, 30)
    # 1 Jan 2004 is the package's own holiday; the next working day is Fri 2 Jan
    assert cal.deadline(D(2003, 12, 30), 1) == D(2004, 1, 2)
    assert cal.count_days(D(2003, 12, 26), D(2004, 1, 2)) == 4
