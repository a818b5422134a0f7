"""The language stage: the working-day calendar.

text → parse → AST → checks → lowered program → **evaluate (deadlines)** → decisions.

The Chinese statutory calendar comes from the PyPI package ``chinesecalendar`` (import name
``chinese_calendar``): statutory holidays and the 调休 make-up working days published every year by
the State Council. The package is slow per call, so the years it knows are read **once** into a
table of day kinds (one byte per day, indexed by ``ordinal - first ordinal``) with the holiday
names kept for explanations, plus a cumulative count of working days and the positions of the
working days, so that a deadline or a day count is a couple of list look-ups.

A date outside the years the package knows is an error (:class:`CalendarRangeError`), never a
Monday–Friday guess. A rulebook may add the schedule of a year the package does not know yet
(``节假日安排 2027 依据 「通知」 "…" { 放假 … 补班 … }``, :class:`DeclaredYear`): a declared year
adjacent to the known years (or to another declared year that is) extends the statutory table for
that rulebook — weekdays work, weekends rest, except the declared 放假 and 补班 days, each named
with its notice in traces. A year the package already knows keeps the package's data (the checks
make sure a declaration agrees with it); a declared year after a gap stays unknown.

Counting rules (行政许可法 Art. 82; a period does not count its first day):

- the starting day is never counted; the period ends on the day the ``n``-th counted day falls;
- in working days (工作日) only working days count: Mon–Fri that are not holidays, make-up working
  days (调休上班) and local working days; weekends, statutory holidays and local holidays do not;
- in natural days (自然日) every day counts (no roll-forward when the last day is a holiday);
- days inside a suspension (中止计时, inclusive date ranges) never count.

A calendar declared ``基于 自然日历`` (natural base) counts every day except its local holidays,
also for working-day periods; it knows the years :data:`NATURAL_FIRST` … :data:`NATURAL_LAST`.

One module on purpose (~700 lines): the statutory table, the rulebook's declared years and the day-
by-day deadline arithmetic are one calendar, read through one class.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import chinese_calendar
from chinese_calendar import constants as _cc

from wenze.dsl import ast as A

__all__ = [
    "NATURAL_FIRST",
    "NATURAL_LAST",
    "STATUTORY_FIRST",
    "STATUTORY_LAST",
    "CalendarRangeError",
    "DayEntry",
    "DayType",
    "DeadlineTrace",
    "DeclaredYear",
    "WorkCalendar",
    "builtin_disagreement",
    "declared_years_of",
    "holiday_name_zh",
    "usable_declared_years",
]


class CalendarRangeError(ValueError):
    """A date outside the years the calendar knows (never guessed).

    ``CalendarRangeError(day, first, last[, what])`` builds the bilingual message naming the date
    and the known range; ``CalendarRangeError("message")`` takes a ready message."""

    def __init__(
        self,
        day: dt.date | str,
        first: dt.date | None = None,
        last: dt.date | None = None,
        what: str = "date",
    ):
        self.day = day if isinstance(day, dt.date) else None
        self.first = first
        self.last = last
        self.what = what
        if isinstance(day, dt.date) and first is not None and last is not None:
            # a statutory calendar learns a year from a rulebook's 节假日安排; a natural one cannot
            natural = (first, last) == (NATURAL_FIRST, NATURAL_LAST)
            hint_zh = "" if natural else (
                f"；国务院公布该年节假日安排后可在规则集中声明 `节假日安排 {day.year}`")
            hint_en = "" if natural else (
                f" (once the State Council publishes that year's holidays, declare them: "
                f"`holiday schedule {day.year}`)")
            message = (
                f"日期 {day.isoformat()} 超出日历已知范围 {first.isoformat()} 至 "
                f"{last.isoformat()}（法定节假日数据未知，不作推测{hint_zh}） / {what} "
                f"{day.isoformat()} is outside the years the calendar knows ({first.isoformat()} "
                f"to {last.isoformat()}); no Mon–Fri guess is made{hint_en}"
            )
        else:
            message = str(day)
        super().__init__(message)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        if self.day is not None:
            return (type(self), (self.day, self.first, self.last, self.what))
        return (type(self), (str(self),))


class DayType(StrEnum):
    """What a day is on a calendar (and, in a trace, ``suspended``)."""

    WORKDAY = "workday"  # 工作日
    WEEKEND = "weekend"  # 周末
    HOLIDAY = "holiday"  # 法定节假日 (named)
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班 (a weekend day worked, named)
    LOCAL_HOLIDAY = "local_holiday"  # 本地放假
    LOCAL_WORKDAY = "local_workday"  # 本地补班
    NATURAL_DAY = "natural_day"  # a day of a natural-base calendar
    SUSPENDED = "suspended"  # 中止计时 (only in traces)


_KINDS: tuple[DayType, ...] = (
    DayType.WORKDAY,
    DayType.WEEKEND,
    DayType.HOLIDAY,
    DayType.MAKEUP_WORKDAY,
    DayType.LOCAL_HOLIDAY,
    DayType.LOCAL_WORKDAY,
    DayType.NATURAL_DAY,
)
_CODE = {k: i for i, k in enumerate(_KINDS)}
_WORKING_CODES = frozenset(
    _CODE[k]
    for k in (DayType.WORKDAY, DayType.MAKEUP_WORKDAY, DayType.LOCAL_WORKDAY, DayType.NATURAL_DAY)
)

ZH_KIND = {
    DayType.WORKDAY: "工作日",
    DayType.WEEKEND: "周末",
    DayType.HOLIDAY: "法定节假日",
    DayType.MAKEUP_WORKDAY: "调休上班",
    DayType.LOCAL_HOLIDAY: "本地放假",
    DayType.LOCAL_WORKDAY: "本地补班",
    DayType.NATURAL_DAY: "自然日",
    DayType.SUSPENDED: "中止计时",
}

_HOLIDAY_ZH = {h.value: h.chinese for h in _cc.Holiday}


def holiday_name_zh(name: str | None) -> str | None:
    """The Chinese name of a holiday the package names in English (``Spring Festival`` → 春节)."""
    if name is None:
        return None
    return _HOLIDAY_ZH.get(name, name)


# --------------------------------------------------------------------------- the statutory table

STATUTORY_FIRST = dt.date(min(_cc.holidays).year, 1, 1)
STATUTORY_LAST = dt.date(max(_cc.holidays).year, 12, 31)
NATURAL_FIRST = dt.date(1950, 1, 1)
NATURAL_LAST = dt.date(2099, 12, 31)


@dataclass(frozen=True)
class _Table:
    """Day kinds (one byte per day) and holiday names, from ``first`` to ``last`` inclusive."""

    first: dt.date
    last: dt.date
    kinds: bytes
    names: dict[int, str]  # index → holiday name (English, as the package gives it)
    sources: dict[int, str] = dataclasses.field(default_factory=dict)  # index → notice cited


@dataclass(frozen=True)
class DeclaredYear:
    """A year's State Council holiday schedule declared in a rulebook (``节假日安排``).

    ``holidays`` and ``workdays`` are ``(date, name)`` pairs, one per day (ranges already
    expanded); ``source`` names the notice (document, 文号 and clause, e.g.
    ``「国办2027节假日通知」 国办发明电〔2026〕X号 "一"``)."""

    year: int
    holidays: tuple[tuple[dt.date, str | None], ...] = ()
    workdays: tuple[tuple[dt.date, str | None], ...] = ()
    source: str = ""


def usable_declared_years(years: Iterable[int]) -> list[int]:
    """The declared years that extend the package's range: those after its last year with no gap
    in between (2027, 2028 … while each is declared), and those before its first year likewise.
    Years the package knows and years after a gap are not in the list."""
    wanted = set(years)
    out = []
    y = STATUTORY_LAST.year + 1
    while y in wanted:
        out.append(y)
        y += 1
    y = STATUTORY_FIRST.year - 1
    while y in wanted and y >= 1:
        out.append(y)
        y -= 1
    return sorted(out)


def _declared_kinds(decl: DeclaredYear) -> tuple[bytearray, dict[int, str]]:
    """The day kinds of one declared year (index 0 = 1 January) and the names of its days."""
    first = dt.date(decl.year, 1, 1).toordinal()
    size = dt.date(decl.year, 12, 31).toordinal() - first + 1
    kinds = bytearray(size)
    for i in range(size):
        weekend = dt.date.fromordinal(first + i).weekday() > 4
        kinds[i] = _CODE[DayType.WEEKEND if weekend else DayType.WORKDAY]
    names: dict[int, str] = {}
    for day, name in decl.holidays:
        i = day.toordinal() - first
        if 0 <= i < size:
            kinds[i] = _CODE[DayType.HOLIDAY]
            if name:
                names[i] = name
    for day, name in decl.workdays:
        i = day.toordinal() - first
        if 0 <= i < size:
            weekend = day.weekday() > 4
            kinds[i] = _CODE[DayType.MAKEUP_WORKDAY if weekend else DayType.WORKDAY]
            if name:
                names[i] = name
    return kinds, names


def builtin_disagreement(decl: DeclaredYear) -> dt.date | None:
    """For a declared year the package knows: the first day on which the declaration and the
    package disagree about whether it is a working day (``None`` when they agree on every day)."""
    table = _statutory_table()
    kinds, _ = _declared_kinds(decl)
    first = dt.date(decl.year, 1, 1).toordinal()
    offset = first - table.first.toordinal()
    for i, k in enumerate(kinds):
        if (k in _WORKING_CODES) != (table.kinds[offset + i] in _WORKING_CODES):
            return dt.date.fromordinal(first + i)
    return None


@functools.lru_cache(maxsize=16)
def _extended_table(declared: tuple[DeclaredYear, ...]) -> _Table:
    """The package's table extended by the usable declared years (:func:`usable_declared_years`;
    the others are left out: a year the package knows keeps the package's data)."""
    base = _statutory_table()
    by_year = {d.year: d for d in declared}
    years = usable_declared_years(by_year)
    if not years:
        return base
    before = [y for y in years if y < base.first.year]
    after = [y for y in years if y > base.last.year]
    first = dt.date(before[0], 1, 1) if before else base.first
    last = dt.date(after[-1], 12, 31) if after else base.last
    kinds = bytearray()
    names: dict[int, str] = {}
    sources: dict[int, str] = {}

    def add_year(y: int) -> None:
        decl = by_year[y]
        offset = len(kinds)
        year_kinds, year_names = _declared_kinds(decl)
        kinds.extend(year_kinds)
        for i, name in year_names.items():
            names[offset + i] = name
        for day, _ in (*decl.holidays, *decl.workdays):
            i = day.toordinal() - dt.date(y, 1, 1).toordinal()
            if 0 <= i < len(year_kinds):
                sources[offset + i] = decl.source

    for y in before:
        add_year(y)
    offset = len(kinds)
    kinds.extend(base.kinds)
    names.update({offset + i: n for i, n in base.names.items()})
    for y in after:
        add_year(y)
    return _Table(first, last, bytes(kinds), names, sources)


def declared_years_of(rulebook: A.Rulebook) -> tuple[DeclaredYear, ...]:
    """The holiday schedules a (merged) rulebook declares, as :class:`DeclaredYear` values sorted
    by year, each citing its notice by document name, 文号 and clause."""
    documents = {n: d for n, d in rulebook.named(A.DocumentDecl).items()
                 if isinstance(d, A.DocumentDecl)}
    out = []
    for decl in rulebook.named(A.HolidayScheduleDecl).values():
        assert isinstance(decl, A.HolidayScheduleDecl)
        cites = []
        for c in decl.basis:
            doc = documents.get(c.document.text)
            number = f" {doc.number}" if doc is not None and doc.number else ""
            cites.append(f"「{c.document.text}」{number} \"{c.clause}\"")
        out.append(DeclaredYear(
            decl.year,
            tuple((d, e.note) for e in decl.holidays for d in e.dates()),
            tuple((d, e.note) for e in decl.workdays for d in e.dates()),
            "; ".join(cites),
        ))
    return tuple(sorted(out, key=lambda d: d.year))


@functools.cache
def _statutory_table() -> _Table:
    """Read the package's data once. Same rules as ``chinese_calendar.get_holiday_detail``: a day in
    ``workdays`` is worked (a make-up day when it is a weekend), a day in ``holidays`` is off, other
    days follow the week. ``tests/dsl/test_calendar.py`` checks every day against the package."""
    base = STATUTORY_FIRST.toordinal()
    size = STATUTORY_LAST.toordinal() - base + 1
    kinds = bytearray(size)
    names: dict[int, str] = {}
    for i in range(size):
        day = dt.date.fromordinal(base + i)
        weekend = day.weekday() > 4
        if day in _cc.workdays:
            kinds[i] = _CODE[DayType.MAKEUP_WORKDAY if weekend else DayType.WORKDAY]
            names[i] = _cc.workdays[day]
        elif day in _cc.holidays:
            kinds[i] = _CODE[DayType.HOLIDAY]
            names[i] = _cc.holidays[day]
        else:
            kinds[i] = _CODE[DayType.WEEKEND if weekend else DayType.WORKDAY]
    return _Table(STATUTORY_FIRST, STATUTORY_LAST, bytes(kinds), names)


@functools.cache
def _natural_table() -> _Table:
    size = NATURAL_LAST.toordinal() - NATURAL_FIRST.toordinal() + 1
    return _Table(NATURAL_FIRST, NATURAL_LAST, bytes([_CODE[DayType.NATURAL_DAY]]) * size, {})


def package_is_workday(day: dt.date) -> bool:
    """The package's own answer (slow; for cross-checks)."""
    return bool(chinese_calendar.is_workday(day))


# --------------------------------------------------------------------------- traces


@dataclass(frozen=True)
class DayEntry:
    """One day of a deadline computation, for explanations.

    ``kind`` is the day's type, or ``suspended`` when a suspension covers it (``calendar_kind`` then
    still says what the calendar would have made of it). ``ordinal`` is the day's position among the
    counted days (1 … n), ``None`` when not counted. ``reason`` is a code: ``start_day``,
    ``counted``, ``not_a_working_day``, ``suspended``. ``source`` names the notice of a day a
    rulebook's holiday schedule (``节假日安排``) declares.
    """

    date: dt.date
    kind: DayType
    calendar_kind: DayType
    holiday: str | None
    counted: bool
    reason: str
    ordinal: int | None
    source: str | None = None

    @property
    def holiday_zh(self) -> str | None:
        return holiday_name_zh(self.holiday)

    def describe(self, lang: str = "zh") -> str:
        """One line of explanation, e.g. ``2024-02-12 周一 法定节假日（春节） 不计``."""
        wd = "一二三四五六日"[self.date.weekday()]
        if lang == "zh":
            label = ZH_KIND[self.kind]
            if self.holiday or self.source:
                parts = [self.holiday_zh or ""] + ([f"依据 {self.source}"] if self.source else [])
                label += f"（{'，'.join(p for p in parts if p)}）"
            if self.counted:
                return f"{self.date.isoformat()} 周{wd} {label} 计第{self.ordinal}日"
            why = {"start_day": "起算日不计", "suspended": "中止计时不计"}.get(self.reason, "不计")
            return f"{self.date.isoformat()} 周{wd} {label} {why}"
        name = self.date.strftime("%a")
        parts = [self.holiday or ""] + ([f"per {self.source}"] if self.source else [])
        notes = ", ".join(p for p in parts if p)
        label = self.kind.value + (f" ({notes})" if notes else "")
        if self.counted:
            return f"{self.date.isoformat()} {name} {label} counted as day {self.ordinal}"
        return f"{self.date.isoformat()} {name} {label} not counted ({self.reason})"


@dataclass(frozen=True)
class DeadlineTrace:
    """A deadline and every day from the start day to it, each with why it counted or not."""

    start: dt.date
    duration: A.Duration
    deadline: dt.date
    days: tuple[DayEntry, ...]

    def explain(self, lang: str = "zh") -> list[str]:
        return [d.describe(lang) for d in self.days]


# --------------------------------------------------------------------------- the calendar


def _merge(
    suspended: Iterable[tuple[dt.date, dt.date]],
) -> list[tuple[dt.date, dt.date]]:
    """Sorted, merged (touching or overlapping), inclusive intervals; empty ones (end < start)
    rejected."""
    out: list[tuple[dt.date, dt.date]] = []
    for a, b in sorted(suspended):
        if b < a:
            raise ValueError(
                f"中止计时区间终点早于起点：{a.isoformat()} 至 {b.isoformat()} / suspension ends "
                f"before it starts: {a.isoformat()} to {b.isoformat()}"
            )
        if out and a.toordinal() <= out[-1][1].toordinal() + 1:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


class WorkCalendar:
    """A working-day calendar: the statutory (or natural) base with local overrides.

    Build with :meth:`statutory`, :meth:`natural` or :meth:`from_decl` (cached per declaration).
    ``first_date``/``last_date`` are the dates it knows; anything else raises
    :class:`CalendarRangeError`.
    """

    def __init__(
        self,
        name: str = "法定工作日",
        base: A.CalendarBase = A.CalendarBase.STATUTORY,
        local_holidays: Iterable[tuple[dt.date, str | None]] = (),
        local_workdays: Iterable[tuple[dt.date, str | None]] = (),
        declared: tuple[DeclaredYear, ...] = (),
    ):
        if base is A.CalendarBase.STATUTORY:
            table = _extended_table(declared) if declared else _statutory_table()
        else:
            table = _natural_table()  # knows 1950–2099: a declared schedule changes nothing
        self.declared = declared if base is A.CalendarBase.STATUTORY else ()
        self.name = name
        self.base = base
        self.first_date: dt.date = table.first
        self.last_date: dt.date = table.last
        self._base = table.first.toordinal()
        self._size = len(table.kinds)
        kinds = bytearray(table.kinds)
        names = dict(table.names)
        holidays = dict(local_holidays)
        workdays = dict(local_workdays)
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise ValueError(
                f"日历「{name}」中 {both[0].isoformat()} 既是本地放假又是本地补班 / calendar "
                f"`{name}` declares {both[0].isoformat()} both a local holiday and a local workday"
            )
        # Overrides outside the known years cannot be placed; any query there raises anyway.
        for day, note in holidays.items():
            i = day.toordinal() - self._base
            if 0 <= i < self._size:
                kinds[i] = _CODE[DayType.LOCAL_HOLIDAY]
                if note:
                    names[i] = note
        for day, note in workdays.items():
            i = day.toordinal() - self._base
            if 0 <= i < self._size:
                kinds[i] = _CODE[DayType.LOCAL_WORKDAY]
                if note:
                    names[i] = note
        self.local_holidays: dict[dt.date, str | None] = holidays
        self.local_workdays: dict[dt.date, str | None] = workdays
        self.kinds: bytes = bytes(kinds)
        self._names = names
        self._sources = table.sources
        # cum_working[i] = working days among indices 0 … i-1; days in (i, j] = cum[j+1] - cum[i+1]
        cum = [0] * (self._size + 1)
        total = 0
        working = _WORKING_CODES
        for i, k in enumerate(self.kinds):
            if k in working:
                total += 1
            cum[i + 1] = total
        self._cum_working = cum
        # positions of working days, for O(1) "k-th working day"
        self._working_pos = [i for i, k in enumerate(self.kinds) if k in working]

    # ------------------------------------------------------------------ construction

    @classmethod
    def statutory(cls, declared: tuple[DeclaredYear, ...] = ()) -> WorkCalendar:
        """The State Council's calendar as the package knows it, extended by the ``declared``
        years of a rulebook (shared instances)."""
        return _statutory_calendar(declared)

    @classmethod
    def natural(cls) -> WorkCalendar:
        return _natural_calendar()

    @classmethod
    def from_decl(cls, decl: A.CalendarDecl,
                  declared: tuple[DeclaredYear, ...] = ()) -> WorkCalendar:
        """The calendar a rulebook declares, its statutory base extended by the rulebook's
        ``declared`` years (cached: equal declarations share one instance)."""
        return _from_decl(decl, declared)

    def __repr__(self) -> str:
        return (
            f"WorkCalendar({self.name!r}, base={self.base.value}, "
            f"{self.first_date.isoformat()}..{self.last_date.isoformat()}, "
            f"local_holidays={len(self.local_holidays)}, local_workdays={len(self.local_workdays)})"
        )

    # ------------------------------------------------------------------ single days

    def _index(self, day: dt.date, what: str = "date") -> int:
        i = day.toordinal() - self._base
        if i < 0 or i >= self._size:
            raise CalendarRangeError(day, self.first_date, self.last_date, what)
        return i

    def knows(self, day: dt.date) -> bool:
        return 0 <= day.toordinal() - self._base < self._size

    def is_workday(self, day: dt.date) -> bool:
        return self.kinds[self._index(day)] in _WORKING_CODES

    def day_kind(self, day: dt.date) -> DayType:
        return _KINDS[self.kinds[self._index(day)]]

    def holiday_name(self, day: dt.date) -> str | None:
        """The holiday a day belongs to (also for make-up working days), or the local note."""
        return self._names.get(self._index(day))

    def holiday_source(self, day: dt.date) -> str | None:
        """The notice a rulebook cites for a day its holiday schedule declares (else None)."""
        return self._sources.get(self._index(day))

    # ------------------------------------------------------------------ counting

    def _counted_between(self, i: int, j: int, unit: A.DayKind) -> int:
        """Counted days with index in (i, j]; indices already checked."""
        if j <= i:
            return 0
        if unit is A.DayKind.NATURAL:
            return j - i
        return self._cum_working[j + 1] - self._cum_working[i + 1]

    def _kth_after(self, i: int, k: int, unit: A.DayKind, start: dt.date) -> int:
        """Index of the k-th (k >= 1) counted day after index i."""
        if unit is A.DayKind.NATURAL:
            j = i + k
        else:
            p = self._cum_working[i + 1] + k - 1
            j = self._working_pos[p] if p < len(self._working_pos) else self._size
        if j >= self._size:
            raise CalendarRangeError(
                self.last_date + dt.timedelta(days=1),
                self.first_date,
                self.last_date,
                f"the deadline of a period starting {start.isoformat()}: date after",
            )
        return j

    def _suspension_indices(
        self, i: int, suspended: Sequence[tuple[dt.date, dt.date]]
    ) -> list[tuple[int, int]]:
        """Merged suspensions as index ranges clipped to after index i (may exceed the table)."""
        out = []
        for a, b in _merge(suspended):
            ai = max(a.toordinal() - self._base, i + 1)
            bi = b.toordinal() - self._base
            if bi >= ai:
                out.append((ai, bi))
        return out

    def deadline(
        self,
        start: dt.date,
        amount: int,
        unit: A.DayKind = A.DayKind.WORKING,
        suspended: Sequence[tuple[dt.date, dt.date]] = (),
    ) -> dt.date:
        """The last day of a period of ``amount`` days after ``start`` (fast path, no trace)."""
        i = self._index(start, "start date")
        if amount <= 0:
            return start
        j = self._kth_after(i, amount, unit, start)
        if suspended:
            extra = 0
            for ai, bi in self._suspension_indices(i, suspended):
                if ai > j:
                    break
                if bi >= self._size:
                    raise CalendarRangeError(
                        dt.date.fromordinal(self._base + self._size),
                        self.first_date,
                        self.last_date,
                        "suspension reaching",
                    )
                extra += self._counted_between(ai - 1, bi, unit)
                j = self._kth_after(i, amount + extra, unit, start)
        return dt.date.fromordinal(self._base + j)

    def count_days(
        self,
        start: dt.date,
        end: dt.date,
        unit: A.DayKind = A.DayKind.WORKING,
        suspended: Sequence[tuple[dt.date, dt.date]] = (),
    ) -> int:
        """Counted days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
        if end <= start:
            self._index(start, "start date")
            return 0
        i = self._index(start, "start date")
        j = self._index(end, "end date")
        n = self._counted_between(i, j, unit)
        for ai, bi in self._suspension_indices(i, suspended):
            if ai > j:
                break
            n -= self._counted_between(ai - 1, min(bi, j), unit)
        return n

    def add_days(
        self,
        start: dt.date,
        duration: A.Duration,
        suspended: Sequence[tuple[dt.date, dt.date]] = (),
    ) -> DeadlineTrace:
        """The deadline of ``duration`` after ``start``, with every day from ``start`` to it."""
        unit = duration.unit
        i = self._index(start, "start date")
        end = self.deadline(start, duration.amount, unit, suspended)
        j = end.toordinal() - self._base
        susp = self._suspension_indices(i, suspended)
        days: list[DayEntry] = []
        k0 = _KINDS[self.kinds[i]]
        src = self._sources
        days.append(DayEntry(start, k0, k0, self._names.get(i), False, "start_day", None,
                             src.get(i)))
        n = 0
        s = 0
        for x in range(i + 1, j + 1):
            while s < len(susp) and susp[s][1] < x:
                s += 1
            kind = _KINDS[self.kinds[x]]
            day = dt.date.fromordinal(self._base + x)
            name = self._names.get(x)
            source = src.get(x)
            if s < len(susp) and susp[s][0] <= x:
                days.append(DayEntry(day, DayType.SUSPENDED, kind, name, False, "suspended", None,
                                     source))
            elif unit is A.DayKind.NATURAL or self.kinds[x] in _WORKING_CODES:
                n += 1
                days.append(DayEntry(day, kind, kind, name, True, "counted", n, source))
            else:
                days.append(DayEntry(day, kind, kind, name, False, "not_a_working_day", None,
                                     source))
        return DeadlineTrace(start, duration, end, tuple(days))

    def deadline_ordinals(self, starts: Sequence[int], amount: int, unit: A.DayKind) -> list[int]:
        """Bulk fast path: deadlines (as proleptic ordinals) of ``amount`` days after each start
        ordinal, no suspensions."""
        base = self._base
        if amount <= 0:
            for o in starts:
                if not 0 <= o - base < self._size:
                    self._index(dt.date.fromordinal(o), "start date")
            return list(starts)
        out = []
        for o in starts:
            i = o - base
            if not 0 <= i < self._size:
                self._index(dt.date.fromordinal(o), "start date")
            out.append(base + self._kth_after(i, amount, unit, dt.date.fromordinal(o)))
        return out

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day after ``day``."""
        return self.deadline(day, 1, A.DayKind.WORKING)


@functools.lru_cache(maxsize=16)
def _statutory_calendar(declared: tuple[DeclaredYear, ...] = ()) -> WorkCalendar:
    return WorkCalendar(declared=declared)


@functools.cache
def _natural_calendar() -> WorkCalendar:
    return WorkCalendar("自然日历", A.CalendarBase.NATURAL)


@functools.lru_cache(maxsize=64)
def _from_decl(decl: A.CalendarDecl, declared: tuple[DeclaredYear, ...] = ()) -> WorkCalendar:
    return WorkCalendar(
        decl.name.text,
        decl.base,
        ((d.date, d.note) for d in decl.holidays),
        ((d.date, d.note) for d in decl.workdays),
        declared if decl.base is A.CalendarBase.STATUTORY else (),
    )
