"""Check passes over holiday schedules (``节假日安排 YEAR 依据 … { 放假 … 补班 … }``): the State
Council's schedule of a year the built-in calendar does not know yet. The language stage
(parse → load → **check** → lower).

- WZ117 (error): a schedule without ``依据`` — holiday data is law; it must cite its notice.
- WZ213 (error): a date outside the schedule's year.
- WZ214 (error): a range that ends before it starts.
- WZ212 (warning / error): a day listed twice / both 放假 and 补班 (as in a local calendar).
- WZ215 (warning): a 补班 on a weekday (changes nothing), or a 放假 entry with no weekday.
- WZ216 (error): a year the built-in calendar knows, declared differently (the first day on which
  they disagree about working is named); WZ217 (warning): declared exactly as the built-in
  calendar has it (redundant, e.g. after a ``chinesecalendar`` upgrade).
- WZ218 (error): a year not adjacent to the known years (2004–2026 plus the declared years that
  are): it would stay unknown, so it is refused rather than silently unused.
"""

from __future__ import annotations

import datetime as dt

from wenze.dsl import ast as A
from wenze.dsl.checks.common import error, label, msg, warning
from wenze.dsl.diagnostics import Diagnostic

_WEEKDAY_ZH = "一二三四五六日"


def _schedules(rulebook: A.Rulebook) -> list[A.HolidayScheduleDecl]:
    return [d for d in rulebook.decls if isinstance(d, A.HolidayScheduleDecl)]


def check_schedule_basis(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ117: a holiday schedule that cites no notice."""
    return [
        error(
            "WZ117",
            msg(f"节假日安排 {s.year} 没有 `依据`", f"holiday schedule {s.year} has no `basis`"),
            s.name.span,
            help=msg(
                f"写明国务院办公厅的通知，例如 `文件 「国办{s.year}节假日通知」 "
                f"{{ 文号 \"…\" }}` 和 "
                f"`节假日安排 {s.year} 依据 「国办{s.year}节假日通知」 \"一\"`",
                f"cite the State Council notice, e.g. `document notice_{s.year} "
                f"{{ number \"…\" }}` and `holiday schedule {s.year} basis notice_{s.year} \"1\"`"),
        )
        for s in _schedules(rulebook)
        if not s.basis
    ]


def check_schedule_days(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ213 dates outside the year, WZ214 reversed ranges, WZ212 days listed twice or both off
    and on, WZ215 a 补班 on a weekday or a 放假 entry with no weekday."""
    out: list[Diagnostic] = []
    for s in _schedules(rulebook):
        entries = [("放假", "holiday", e) for e in s.holidays or ()]
        entries += [("补班", "workday", e) for e in s.workdays or ()]
        entries.sort(key=lambda t: t[2].span.start)
        seen: dict[dt.date, tuple[str, A.ScheduleDays]] = {}
        for zh, en, e in entries:
            bad = False
            for field_, day in (("start", e.start), ("end", e.end)):
                if day is not None and day.year != s.year:
                    bad = True
                    out.append(error(
                        "WZ213",
                        msg(f"`{day}` 不在节假日安排的年度 {s.year} 内",
                            f"`{day}` is not in the year {s.year} of this holiday schedule"),
                        e.span_of(field_),
                        labels=[label(s.name.span, "安排的年度", "the schedule's year")],
                        help=msg("每一年的安排单独写一个 `节假日安排`；跨年的假期分别写在两年里",
                                 "write one `holiday schedule` per year; a holiday across New "
                                 "Year goes into both years"),
                    ))
            if e.end is not None and e.end < e.start:
                bad = True
                out.append(error(
                    "WZ214",
                    msg(f"{zh}区间的结束日 `{e.end}` 早于开始日 `{e.start}`",
                        f"the {en} range ends `{e.end}` before it starts `{e.start}`"),
                    e.span_of("end"),
                    labels=[label(e.span_of("start"), "开始日", "the start")],
                ))
            if bad:
                continue
            days = e.dates()
            if zh == "补班":
                weekdays = [d for d in days if d.weekday() <= 4]
                if weekdays:
                    d = weekdays[0]
                    out.append(warning(
                        "WZ215",
                        msg(f"补班日 `{d}` 是周{_WEEKDAY_ZH[d.weekday()]}，本来就是工作日",
                            f"make-up working day `{d}` is a {d.strftime('%A')}, a working day "
                            "anyway"),
                        e.span,
                        help=msg("调休上班通常是周六或周日；请核对通知",
                                 "make-up working days are normally Saturdays or Sundays; "
                                 "check the notice"),
                    ))
            elif all(d.weekday() > 4 for d in days):
                out.append(warning(
                    "WZ215",
                    msg(f"放假 `{e.start}`" + (f" 至 `{e.end}`" if e.end else "")
                        + " 都是周末，本来就不上班",
                        f"holiday `{e.start}`" + (f" to `{e.end}`" if e.end else "")
                        + " falls on weekend days only, which are off anyway"),
                    e.span,
                    help=msg("请核对通知：放假通常包括工作日", "check the notice: a holiday "
                             "normally includes working days"),
                ))
            for d in days:
                prior = seen.get(d)
                if prior is None:
                    seen[d] = (zh, e)
                    continue
                same = prior[0] == zh
                out.append((warning if same else error)(
                    "WZ212",
                    msg(f"节假日安排 {s.year} 中 `{d}` "
                        + ("重复列出" if same else "既是放假日又是补班日"),
                        f"holiday schedule {s.year} lists `{d}` "
                        + ("twice" if same else "both as a holiday and as a workday")),
                    e.span,
                    labels=[label(prior[1].span, "首次列出于此", "first listed here")],
                ))
                break  # one diagnostic per entry
    return out


def check_schedule_years(rulebook: A.Rulebook) -> list[Diagnostic]:
    """WZ216 / WZ217: a year the built-in calendar knows (declared differently / the same);
    WZ218: a year that cannot extend the known range because a year in between is missing."""
    from wenze.dsl import calendar as C  # the built-in data (the engine depends on dsl only)

    out: list[Diagnostic] = []
    schedules = _schedules(rulebook)
    first, last = C.STATUTORY_FIRST.year, C.STATUTORY_LAST.year
    declared = {y.year: y for y in C.declared_years_of(rulebook)}
    usable = set(C.usable_declared_years(declared))
    for s in schedules:
        if first <= s.year <= last:
            if any(e.last.year != s.year or (e.end is not None and e.end < e.start)
                   for e in (*s.holidays, *s.workdays)):
                continue  # WZ213/WZ214 already; comparing would only add noise
            differs = C.builtin_disagreement(declared[s.year])
            if differs is None:
                out.append(warning(
                    "WZ217",
                    msg(f"内置日历已有 {s.year} 年的节假日安排，且与此处声明一致；此声明多余",
                        f"the built-in calendar already knows {s.year}, exactly as declared "
                        "here; the declaration is redundant"),
                    s.name.span,
                    help=msg("可以删除这一声明", "the declaration can be removed"),
                ))
            else:
                builtin = C.WorkCalendar.statutory()
                kind_zh = C.ZH_KIND[builtin.day_kind(differs)]
                name = C.holiday_name_zh(builtin.holiday_name(differs))
                kind_zh += f"（{name}）" if name else ""
                working = builtin.is_workday(differs)
                out.append(error(
                    "WZ216",
                    msg(f"内置日历（chinesecalendar）已有 {s.year} 年的节假日安排，"
                        "与此处声明不一致："
                        f"`{differs}` 在内置日历中是{kind_zh}"
                        f"（{'上班' if working else '不上班'}），此处声明为"
                        f"{'不上班' if working else '上班'}",
                        f"the built-in calendar (chinesecalendar) already knows {s.year} and "
                        f"disagrees with this declaration: `{differs}` is "
                        f"a {builtin.day_kind(differs).value.replace('_', ' ')} there "
                        f"({'a working day' if working else 'a day off'}), here "
                        f"{'a day off' if working else 'a working day'}"),
                    s.name.span,
                    help=msg("内置日历已知的年份以内置数据为准：删除此声明，或核对通知",
                             "for a year the built-in calendar knows its data stands: remove "
                             "the declaration, or check the notice"),
                ))
        elif s.year not in usable:
            gap = last + 1 if s.year > last else first - 1
            while gap in usable:
                gap += 1 if s.year > last else -1
            out.append(error(
                "WZ218",
                msg(f"节假日安排 {s.year} 与已知年份不相连：缺少 {gap} 年的安排，"
                    f"{s.year} 年仍将是未知年份",
                    f"holiday schedule {s.year} is not adjacent to the known years: {gap} is "
                    f"missing, so {s.year} would stay unknown"),
                s.name.span,
                help=msg(f"先声明 `节假日安排 {gap}`（已知年份：{first}–{last} 及相连的声明年份）",
                         f"declare `holiday schedule {gap}` first (known: {first}–{last} and "
                         "the declared years adjacent to them)"),
            ))
    return out


__all__ = ["check_schedule_basis", "check_schedule_days", "check_schedule_years"]
