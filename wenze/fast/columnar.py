"""The columnar fast path: the same evaluation as :func:`wenze.engine.evaluate.evaluate`,
for large batches, with numpy.

parse → check → lower → **evaluate (columnar screening → reference cases → the same ladder)** →
decisions.

How it stays byte-identical with the reference evaluator:

1. The events become columns (:class:`EventColumns`: case, type, local day, instant, item, post,
   actor, unit, step codes, the suspension reason, whether a decision is a refusal without
   reasons, and whether an event carries anything else in ``data``). The same events as the
   reference are ignored (after the as-of date) or rejected (unknown item or post), with the
   reference's own messages.
2. Each case is either **screened** here or **routed** to the reference per-case code
   (:func:`wenze.engine.evaluate.run_cases`, the very function :func:`evaluate` runs). A case is
   screened only if it uses nothing but what this module computes exactly: received, accepted,
   step started/completed, at most one suspension (and its resumption), decided; no other
   ``data`` than a suspension's ``reason`` and a decision's ``outcome``/``reasons``; no two events
   at the same instant (their order would depend on ids); local days in time order; every date
   and deadline inside the item's calendar; no act whose authority depends on A/B absences; no
   warning possible (an open case or a running step of an item with warning rules). Everything
   else — countersigns, extensions, correction notices, complaints, deliveries, odd data, dates
   out of the calendar — is routed.
3. For a screened case every case and step fact is computed on arrays (the working-day calendar
   as a cumulative count per day, deadlines by position in the table of counted days, one
   suspension range subtracted exactly as :class:`~wenze.engine.lower.DayIndex` does) and every
   violation's condition is evaluated on those arrays (:func:`_vector_condition`, the same
   semantics as :func:`wenze.engine.lower.compile_condition`, a fact without a value is false).
   For a screened case with a true condition, its offences are made as columns
   (:class:`~wenze.fast.offence_table.OffenceTable`): who answers and when — the reference's
   ``_attributed`` and ``_responsible`` — on arrays (:func:`_native_table`); the full offence of
   a row (facts, dates) is made only when its decision is read, from the same arrays
   (:class:`_NativeCases`; the tests check it against the reference's own ``offences_for`` fed
   with the case's records rebuilt from them). A screened case with no
   true condition contributes only its metric counts. From :data:`PARALLEL_MIN_CASES` cases on,
   slices of the cases are screened, and their routed cases judged, in forked processes
   (:func:`_screen_parallel`).
4. The offences (routed and screened) and metric counts go through
   :func:`wenze.fast.ladder.finish_columnar` — :func:`wenze.engine.evaluate.finish`
   (targets, ladders, sanctions, sorting) on arrays, byte-identical with it; its decisions are
   made when read.

So identical offences and counts ⇒ identical decisions; the differential tests
(``tests/fast/test_columnar.py``, ``tests/fast/test_ladder_columnar.py``) hold the JSON of
both byte for byte on random caseloads, and every offence row made on arrays to the reference's
own offence of that row.
``--explain`` always runs the reference (it needs the day-by-day trace).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import multiprocessing as mp
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from wenze.dsl import ast as A
from wenze.dsl.facts import POWER_ACTS
from wenze.dsl.facts import lookup as lookup_fact
from wenze.engine import evaluate as R
from wenze.engine.case import CaseContext, period_key
from wenze.engine.lower import DayIndex, ItemIR, Program, StepIR
from wenze.events.columns import NATIVE, TYPES, EventColumns, T
from wenze.events.readers import Event, Rejection
from wenze.fast.forking import CHILDREN_PEAK_KB, fork_map
from wenze.fast.ladder import finish_columnar
from wenze.fast.offence_table import ROLES, OffenceTable, Strings, role_code

__all__ = ["AUTO_MIN_CASES", "EventColumns", "choose_evaluator", "evaluate_columnar"]

# `wenze evaluate --evaluator auto` takes the columnar path from this many cases on (below it the
# conversion to columns costs more than it saves).
AUTO_MIN_CASES = 20_000

# --------------------------------------------------------------------------- calendars on arrays


class _Days:
    """A :class:`~wenze.engine.lower.DayIndex` as numpy tables; the same formulas, on arrays of
    ordinals (callers make sure every day is inside the calendar, else the case is routed)."""

    def __init__(self, index: DayIndex):
        self.base = index.base
        self.size = index.size
        self.first = index.first.toordinal()
        self.last = index.last.toordinal()
        self.cum = np.asarray(index.cum, np.int64)
        self.cum1 = self.cum[1:]  # cum1[i] = cum[i + 1]: counted days up to day i
        self.pos = np.asarray(index.pos, np.int64)

    def inside(self, day: np.ndarray) -> np.ndarray:
        return (day >= self.first) & (day <= self.last)

    def between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        i = np.clip(start - self.base, 0, self.size - 1)
        j = np.clip(end - self.base, 0, self.size - 1)
        out = self.cum1[j]
        out -= self.cum1[i]
        out[end <= start] = 0
        return out

    def count(self, start: np.ndarray, end: np.ndarray, sus: _Suspension) -> np.ndarray:
        n = self.between(start, end)
        h = sus.rows  # the suspension's days in the range are not counted
        if len(h):
            lo = np.maximum(sus.a[h] - 1, start[h])
            hi = np.minimum(sus.b[h], end[h])
            n[h] -= self.between(lo, hi)  # 0 where hi <= lo
        return n

    def deadline(self, start: np.ndarray, amount: int, sus: _Suspension
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(deadline ordinals, ok): ok is False where the reference would raise (the deadline
        falls after the calendar's last known day)."""
        if amount <= 0:
            return start.copy(), np.ones(len(start), bool)
        i = np.clip(start - self.base, 0, self.size - 1)
        npos = len(self.pos)
        counted = self.cum1[i]
        p = counted + (amount - 1)
        ok = p < npos
        j = self.pos[np.minimum(p, npos - 1)]
        h = sus.rows
        if len(h):  # a suspension from the day after the start on, up to the deadline
            ai = np.maximum(sus.a[h] - self.base, i[h] + 1)
            bi = sus.b[h] - self.base
            adjust = (bi >= ai) & (ai <= j[h])
            if adjust.any():
                h, ai, bi = h[adjust], ai[adjust], bi[adjust]
                extra = self.cum[np.clip(bi, 0, self.size - 1) + 1] - self.cum[
                    np.clip(ai, 0, self.size)]
                p2 = counted[h] + amount + extra - 1
                ok[h] &= p2 < npos
                j[h] = self.pos[np.clip(p2, 0, npos - 1)]
        return self.base + j, ok


@dataclass
class _Suspension:
    """At most one listed suspension range per case (inclusive days a…b)."""

    has: np.ndarray
    a: np.ndarray
    b: np.ndarray

    def take(self, rows: np.ndarray) -> _Suspension:
        return _Suspension(self.has[rows], self.a[rows], self.b[rows])

    @functools.cached_property
    def rows(self) -> np.ndarray:
        """The rows that have a suspension."""
        return np.flatnonzero(self.has)


# --------------------------------------------------------------------------- conditions on arrays


class _NotVectorised(Exception):
    """A condition this module does not evaluate on arrays: its cases go to the reference."""


_NONE = object()


def _vector_condition(expr: A.Expr | None, env: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """A violation's condition on arrays of facts (``env``: fact key → int64 array; a fact not in
    ``env`` has no value). Same answers as :func:`wenze.engine.lower.compile_condition`."""
    if expr is None:
        return np.zeros(n, bool)
    return _vtest(expr, env, n)


def _vtest(expr: A.Expr, env: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    if isinstance(expr, A.And):
        out = np.ones(n, bool)
        for e in expr.operands:
            out &= _vtest(e, env, n)
        return out
    if isinstance(expr, A.Or):
        out = np.zeros(n, bool)
        for e in expr.operands:
            out |= _vtest(e, env, n)
        return out
    if isinstance(expr, A.Not):
        return ~_vtest(expr.operand, env, n)
    if isinstance(expr, A.Compare):
        return _vcompare(expr.op, _vvalue(expr.left, env, n), _vvalue(expr.right, env, n), n)
    value = _vvalue(expr, env, n)
    if isinstance(value, np.ndarray):
        return value != 0
    if value is _NONE:
        return np.zeros(n, bool)
    return np.full(n, bool(value))


def _vvalue(expr: A.Expr, env: Mapping[str, np.ndarray], n: int) -> Any:
    """An int64 array (a fact with a value in every row), a constant, or _NONE."""
    if isinstance(expr, A.FactRef):
        fact = lookup_fact(expr.name.text)
        if fact is None:
            raise _NotVectorised(expr.name.text)
        return env.get(fact.key, _NONE)
    if isinstance(expr, A.NumberLit | A.PercentLit):
        return expr.value  # a Decimal
    if isinstance(expr, A.DurationLit):
        return Decimal(expr.duration.amount)
    if isinstance(expr, A.BoolLit):
        return bool(expr.value)
    if isinstance(expr, A.StringLit):
        return expr.value
    return _vtest(expr, env, n).astype(np.int64)  # a test used as a value: a bool


_CMP = {
    A.CompareOp.LT: np.less, A.CompareOp.LE: np.less_equal, A.CompareOp.GT: np.greater,
    A.CompareOp.GE: np.greater_equal, A.CompareOp.EQ: np.equal, A.CompareOp.NE: np.not_equal,
}
_FLIP = {A.CompareOp.LT: A.CompareOp.GT, A.CompareOp.LE: A.CompareOp.GE,
         A.CompareOp.GT: A.CompareOp.LT, A.CompareOp.GE: A.CompareOp.LE,
         A.CompareOp.EQ: A.CompareOp.EQ, A.CompareOp.NE: A.CompareOp.NE}


def _vcompare(op: A.CompareOp, left: Any, right: Any, n: int) -> np.ndarray:
    if left is _NONE or right is _NONE:
        return np.zeros(n, bool)
    la, ra = isinstance(left, np.ndarray), isinstance(right, np.ndarray)
    if not la and not ra:  # two constants: the reference's comparison, once
        from wenze.engine.lower import OPS

        a, b = left, right
        if isinstance(a, bool) and not isinstance(b, bool):
            a = int(a)
        if isinstance(b, bool) and not isinstance(a, bool):
            b = int(b)
        if isinstance(a, str) != isinstance(b, str):
            return np.full(n, op is A.CompareOp.NE)
        return np.full(n, bool(OPS[op](a, b)))
    if la and ra:
        return _CMP[op](left, right)
    if ra:  # constant op array → array flipped-op constant
        return _vcompare(_FLIP[op], right, left, n)
    const = right
    if isinstance(const, str):  # a number never equals a text
        return np.full(n, op is A.CompareOp.NE)
    if isinstance(const, bool):
        const = int(const)
    exact = Fraction(const) if isinstance(const, Decimal) else Fraction(int(const))
    if exact.denominator == 1:
        return _CMP[op](left, int(exact))
    # an integer against a non-integral number, exactly
    low = exact.numerator // exact.denominator  # floor
    if op is A.CompareOp.EQ:
        return np.zeros(n, bool)
    if op is A.CompareOp.NE:
        return np.ones(n, bool)
    if op in (A.CompareOp.LT, A.CompareOp.LE):
        return left <= low
    return left > low


# --------------------------------------------------------------------------- screening


@dataclass
class _Screened:
    """The result of screening: cases to route, and the metric counts of the others."""

    routed: np.ndarray  # bool per case
    counts: dict[tuple[str, str], list[int]]
    groups: list[_Group]  # screened cases with a true condition: offences made here
    screen: _Screen | None = None


def _first_per_case(case_of: np.ndarray, rows: np.ndarray, n_cases: int) -> np.ndarray:
    """Index (into the sorted event arrays) of the first row of each case among ``rows`` (which
    are in order), -1 where none."""
    out = np.full(n_cases, -1, np.int64)
    if len(rows):
        c = case_of[rows]
        first = np.ones(len(rows), bool)
        first[1:] = c[1:] != c[:-1]
        out[c[first]] = rows[first]
    return out


def _first_per_case_and_key(case_of: np.ndarray, rows: np.ndarray, keys: np.ndarray,
                            n_cases: int, n_keys: int) -> np.ndarray:
    """(cases × keys) table of the first of ``rows`` (sorted rows, in order) of each case with
    each key (0 ≤ key < n_keys), -1 where none: one pass for every key at once."""
    out = np.full(n_cases * n_keys, -1, np.int64)
    if len(rows):
        combined = case_of[rows].astype(np.int64) * n_keys + keys
        out[combined] = rows  # one of the rows of each (case, key); the first where it is alone
        lost = out[combined] != rows  # a key seen several times in a case (rare)
        if lost.any():  # its first row, by a stable sort of those keys' rows
            again = np.isin(combined, combined[lost])
            _, first = np.unique(combined[again], return_index=True)
            out[combined[again][first]] = rows[again][first]
    return out.reshape(n_cases, n_keys)


UNKNOWN_UNIT = "（未知单位）"  # the metrics' unit of a case whose unit is not known


def _unit_names(program: Program, cols: EventColumns) -> list[str]:
    """The units a screened case can belong to: the events' units (same codes), then the posts'
    and items' units, and the metrics' unknown unit; the same list in every process."""
    names = list(cols.unit_names)
    seen = set(names)
    for unit in [*(p.unit for p in program.posts.values()),
                 *(i.unit for i in program.items.values()), UNKNOWN_UNIT]:
        if unit and unit not in seen:
            seen.add(unit)
            names.append(unit)
    return names


class _Screen:
    """Screening of the cases of one program against sorted event arrays."""

    def __init__(self, program: Program, cols: EventColumns, as_of: dt.date, rows: np.ndarray,
                 n_cases: int, case_of: np.ndarray, starts: np.ndarray, identity: bool,
                 span: tuple[int, int] | None = None):
        self.program = program
        self.cols = cols
        self.as_of = as_of.toordinal()
        self.rows = rows  # event indices in (case, instant) order
        self.n = n_cases
        self.case_of = case_of  # per sorted row: case number (0..n-1)
        self.starts = starts  # per case: first sorted row
        self.identity = identity  # rows is every event in input order
        self.span = span  # rows is the events span[0]:span[1] in input order
        self.type = self.of(cols.type)
        self.day = self.of(cols.day)
        self.instant = self.of(cols.instant)
        self.days: dict[tuple[str, A.DayKind], _Days] = {}
        self.unit_names = _unit_names(program, cols)
        self.unit_code = {u: i for i, u in enumerate(self.unit_names)}
        self.post_unit = np.asarray(  # per post code (and -1): the post's unit code, -1 none
            [self.unit_code[program.posts[p].unit] if p in program.posts
             and program.posts[p].unit else -1 for p in cols.post_names] + [-1], np.int64)

    def of(self, column: np.ndarray) -> np.ndarray:
        """A column of the events in sorted order."""
        if self.identity:
            return column
        if self.span is not None:
            return column[self.span[0]:self.span[1]]
        return column[self.rows]

    def index(self, item: ItemIR, unit: A.DayKind) -> _Days:
        key = (item.calendar, unit)
        if key not in self.days:
            self.days[key] = _Days(self.program.calendars[item.calendar].index(unit))
        return self.days[key]

    def first(self, type_name: str) -> np.ndarray:
        return _first_per_case(self.case_of, np.flatnonzero(self.type == T[type_name]), self.n)

    def per_case_any(self, flags: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n, bool)
        out[self.case_of[flags]] = True
        return out

    def per_case_count(self, flags: np.ndarray) -> np.ndarray:
        return np.bincount(self.case_of[flags], minlength=self.n)


def _screen(program: Program, cols: EventColumns, as_of: dt.date, rows: np.ndarray,
            case_of: np.ndarray, n_cases: int, native_offences: bool = True,
            starts: np.ndarray | None = None, identity: bool = False,
            span: tuple[int, int] | None = None) -> _Screened:
    """Decide per case: routed to the reference, or screened here (then its metric counts).
    ``starts``: the first sorted row of each case; ``identity``: ``rows`` is every event in input
    order."""
    if not n_cases:
        return _Screened(np.zeros(0, bool), {}, [])
    if starts is None:
        starts = np.flatnonzero(np.r_[True, case_of[1:] != case_of[:-1]])
    s = _Screen(program, cols, as_of, rows, n_cases, case_of, starts, identity, span)
    routed = np.zeros(n_cases, bool)
    if act_powers_read(program):  # powers required for acts: judged by the reference
        routed[:] = True
    t, day, inst = s.type, s.day, s.instant

    # events this module does not compute, odd data, ties, days out of time order
    native = np.zeros(len(TYPES), bool)
    native[list(NATIVE)] = True
    routed |= s.per_case_any(~native[t] | s.of(cols.odd))
    same_case = case_of[1:] == case_of[:-1]  # (row i + 1 against row i)
    later = case_of[1:]
    routed[later[same_case & (inst[1:] == inst[:-1])]] = True
    routed[later[same_case & (day[1:] < day[:-1])]] = True

    # exactly one item (the reference makes the others unjudged)
    item = s.of(cols.item)
    if len(item) and item.min() >= 0 and item.min() == item.max():  # one item named throughout
        case_item = np.full(n_cases, int(item[0]), np.int64)
    else:
        has_item = item >= 0
        big = np.iinfo(np.int32).max
        lo = np.minimum.reduceat(np.where(has_item, item, big), starts)  # grouped by case
        hi = np.maximum.reduceat(np.where(has_item, item, -1), starts)
        routed |= (hi < 0) | (lo != hi)
        case_item = np.where(hi >= 0, hi, -1)

    # at most one suspension, closed at most once, after it
    sus_rows = np.flatnonzero(t == T["suspended"])
    res_rows = np.flatnonzero(t == T["resumed"])
    n_sus = np.bincount(case_of[sus_rows], minlength=n_cases)
    n_res = np.bincount(case_of[res_rows], minlength=n_cases)
    f_sus = _first_per_case(case_of, sus_rows, n_cases)
    f_res = _first_per_case(case_of, res_rows, n_cases)
    routed |= (n_sus > 1) | (n_res > 1) | ((n_res == 1) & ((n_sus == 0) | (f_res < f_sus)))

    counts: dict[tuple[str, str], list[int]] = {}
    groups: list[_Group] = []
    rows_out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                         np.ndarray]] = []
    for code, name in enumerate(cols.item_names):
        item_ir = program.items.get(name)
        mine = np.flatnonzero((case_item == code) & ~routed)
        if item_ir is None or not len(mine):
            continue
        result = _screen_item(s, item_ir, mine, f_sus, f_res, n_sus)
        if result is None:
            routed[mine] = True
            continue
        bad, metric, group = result
        if not native_offences:
            bad = bad | group.hit
        routed[mine[bad]] = True
        keep = ~bad
        rows_out.append(tuple(m[keep] for m in metric))  # type: ignore[arg-type]
        if native_offences and (group.hit & keep).any():
            groups.append(group.only(group.hit & keep))
    for units, received, decided, on_time, spot, overdue_open in rows_out:
        _count(counts, program, as_of, units, s.unit_names, received, decided, on_time, spot,
               overdue_open)
    return _Screened(routed, counts, groups, s)


def _dense(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for integers in a small range (unit codes,
    day ordinals), by counting instead of sorting."""
    if not len(values):
        return values[:0], np.zeros(0, np.int64)
    low = int(values.min())
    seen = np.bincount(values - low) > 0
    uniq = np.flatnonzero(seen)
    code = np.cumsum(seen) - 1
    return uniq + low, code[values - low]


def _count(counts: dict[tuple[str, str], list[int]], program: Program, as_of: dt.date,
           unit: np.ndarray, unit_names: Sequence[str], received: np.ndarray,
           decided: np.ndarray, on_time: np.ndarray, spot: np.ndarray, overdue_open: np.ndarray
           ) -> None:
    """The metric counts of screened cases, as :func:`wenze.engine.evaluate.metrics_of` counts
    them (``unit``: codes into ``unit_names``; days as ordinals, -1: none)."""
    if not len(unit):
        return
    used, ucode = _dense(unit)
    units = [unit_names[c] for c in used.tolist()]
    for period in sorted(R.periods_of(program), key=lambda p: p.value):
        def add(mask: np.ndarray, days: np.ndarray, columns: Sequence[tuple[int, np.ndarray]],
                period: A.Period = period) -> None:
            if not mask.any():
                return
            uniq, inv = _dense(days[mask])
            names = sorted({period_key(dt.date.fromordinal(int(d)), period) for d in uniq})
            where = {k: i for i, k in enumerate(names)}
            day_key = np.asarray([where[period_key(dt.date.fromordinal(int(d)), period)]
                                  for d in uniq], np.int64)
            combined = ucode[mask] * len(names) + day_key[inv]
            size = len(units) * len(names)
            sums = [np.bincount(combined, weights=values[mask].astype(np.float64),
                                minlength=size) for _, values in columns]
            for key in np.flatnonzero(np.bincount(combined, minlength=size)).tolist():
                row = counts.setdefault((str(units[key // len(names)]), names[key % len(names)]),
                                        [0, 0, 0, 0, 0])
                for (column, _), total in zip(columns, sums, strict=True):
                    row[column] += int(total[key])

        one = np.ones(len(unit), np.int64)
        add(received >= 0, received, [(0, one)])
        add(decided >= 0, decided, [(1, one), (2, on_time), (3, spot)])
        add(overdue_open, np.full(len(unit), as_of.toordinal(), np.int64), [(4, one)])


def _screen_item(s: _Screen, item: ItemIR, cases: np.ndarray, f_sus: np.ndarray,
                 f_res: np.ndarray, n_sus: np.ndarray
                 ) -> tuple[np.ndarray, tuple[np.ndarray, ...], _Group] | None:
    """Facts and conditions of the cases (numbers) of one item. Returns (routed per case, metric
    columns, the facts kept for offences) or None when the whole group goes to the reference."""
    program, cols = s.program, s.cols
    as_of = s.as_of
    m = len(cases)
    cal_w = s.index(item, A.DayKind.WORKING)
    if not cal_w.inside(np.asarray([as_of])).all():
        return None  # the reference counts to the as-of date: out of the calendar, route
    bad = np.zeros(m, bool)
    rows = s.rows

    def pick(first: np.ndarray) -> np.ndarray:
        return first[cases]

    def day_of(k: np.ndarray) -> np.ndarray:
        return np.where(k >= 0, s.day[np.maximum(k, 0)], -1)

    # every event day inside the calendar
    bad |= s.per_case_any(~cal_w.inside(s.day))[cases]

    rec_k, acc_k, dec_k = pick(s.first("received")), pick(s.first("accepted")), pick(
        s.first("decided"))
    rd, ad, dd = day_of(rec_k), day_of(acc_k), day_of(dec_k)
    has_r, has_a, has_d = rec_k >= 0, acc_k >= 0, dec_k >= 0
    decided_at = np.where(has_d, s.instant[np.maximum(dec_k, 0)], np.nan)

    # Art. 32 without notices: deemed accepted when accepted (or still not, on as-of) after the
    # correction window
    deemed = np.zeros(m, bool)
    if item.correction_within is not None:
        w = item.correction_within
        nd, ok = s.index(item, w.unit).deadline(np.where(has_r, rd, as_of), w.amount,
                                                _no_susp(m))
        bad |= has_r & ~ok
        deemed = has_r & (np.where(has_a, ad, as_of) > nd)
    start = np.where(deemed | ~has_a, rd, ad)
    start = np.where((start < 0) & has_d, dd, start)
    bad |= start < 0  # no clock at all: route (rare)
    start = np.where(start < 0, as_of, start)
    handler_k = np.where(has_a, acc_k, np.where(has_r, rec_k, dec_k))

    # suspension: one range, listed or not
    sk, rk = f_sus[cases], f_res[cases]
    has_s = n_sus[cases] == 1
    reason_ok = np.zeros(len(cols.reason_names) + 1, bool)
    for i, r in enumerate(cols.reason_names):
        reason_ok[i] = r in item.suspension_reasons
    reason = np.where(has_s, cols.reason[rows[np.maximum(sk, 0)]], -1)
    listed = has_s & reason_ok[reason]
    unlisted = has_s & ~listed
    sus = _Suspension(listed, day_of(sk), np.where(rk >= 0, day_of(rk), as_of))

    end = np.where(has_d, dd, as_of)
    main_limit = item.promised or item.statutory
    main_unit = (item.statutory or item.promised or A.Duration(0, A.DayKind.WORKING)).unit
    main = s.index(item, main_unit)
    lo = np.maximum(sus.a - 1, start)
    hi = np.minimum(sus.b, end)
    suspended_days = np.where(sus.has & (hi > lo), main.between(lo, hi), 0)
    elapsed = main.count(start, end, sus)

    def limit_deadline(d: A.Duration | None) -> tuple[np.ndarray | None, _Days | None]:
        nonlocal bad
        if d is None:
            return None, None
        idx = s.index(item, d.unit)
        value, ok = idx.deadline(start, d.amount, sus)
        bad |= ~ok
        return value, idx

    stat, stat_idx = limit_deadline(item.statutory)
    prom, prom_idx = limit_deadline(item.promised)

    def over(deadline: np.ndarray | None, idx: _Days | None) -> np.ndarray:
        if deadline is None or idx is None:
            return np.zeros(m, np.int64)
        safe = np.minimum(deadline, idx.last)
        return np.where(end > deadline, idx.count(safe, end, sus), 0)

    dop, dos = over(prom, prom_idx), over(stat, stat_idx)

    # the decision's authority: posts holding the power, posts without it, and B posts whose
    # authority depends on A's absence (routed)
    post_state = _post_states(program, cols.post_names, program.deciding_power)
    dpost = np.where(has_d, cols.post[rows[np.maximum(dec_k, 0)]], -1)
    state = post_state[dpost]  # -1 → last slot: "no post"
    unauth = np.zeros(m, bool)
    if program.deciding_power:
        unauth = has_d & (state == 1)
        bad |= has_d & (state == 2)
    refused = has_d & cols.refused_nr[rows[np.maximum(dec_k, 0)]]

    def b(x: np.ndarray) -> np.ndarray:
        return x.astype(np.int64)

    zero = np.zeros(m, np.int64)
    facts: dict[str, np.ndarray] = {
        "correction_notices": zero, "correction_notice_late": zero,
        "deemed_accepted": b(deemed), "suspension_unlisted": b(unlisted),
        "decided": b(has_d), "suspended_days": suspended_days, "elapsed_days": elapsed,
        "extension_unauthorized": zero, "extended": zero,
        "days_over_promised": dop, "days_over_statutory": dos,
        "overdue_promised": b(dop > 0), "overdue_statutory": b(dos > 0),
        "days_over_external_deadline": zero,
        "on_the_spot": b(has_d & (dd == start)),
        "decision_unauthorized": b(unauth), "refused_without_reasons": b(refused),
        "delivered_late": zero, "complaints": zero, "shirked": zero,
        "cover_while_present": zero,
    }

    # open case of an item with warning rules: a warning may be due (routed)
    if item.warnings and main_limit is not None:
        bad |= ~has_d

    # steps
    step_facts: list[_StepCols] = []
    process = program.processes.get(item.process or "")
    if process is not None:
        result = _screen_steps(s, item, process.steps, cases, start, sus, bad)
        if result is None:
            return None
        step_facts = result
    elif (s.of(cols.step) >= 0).any():
        ev_cases = s.per_case_any(s.of(cols.step) >= 0)[cases]
        bad |= ev_cases  # steps named for an item without a process: the reference rejects

    # the conditions: which subjects have a true one (their offences are made in Python by the
    # reference's own functions, see _native_table)
    hit_case = np.zeros(m, bool)
    case_hits: list[tuple[int, np.ndarray]] = []  # (violation index, condition true) per row
    for vi, (v, expr) in enumerate(_violations(program)):
        if v.scope is A.Scope.TARGET or not v.applies_to(item.name):
            continue
        try:
            if v.scope is A.Scope.CASE:
                true = _vector_condition(expr, facts, m)
                if true.any():
                    hit_case |= true
                    case_hits.append((vi, true))
            elif v.scope is A.Scope.STEP:
                for st in step_facts:
                    env = {**facts, **st.facts} if v.needs_parent else st.facts
                    true = st.present & _vector_condition(expr, env, m)
                    if true.any():
                        st.hit |= true
                        st.hits.append((vi, true))
            # countersign subjects exist only for countersign events, which are routed
        except _NotVectorised:
            return None
    hit = hit_case.copy()
    for st in step_facts:
        hit |= st.hit

    on_time = np.zeros(m, bool)
    overdue_open = np.zeros(m, bool)
    if main_limit is not None:
        over_main = (dop > 0) if item.promised else (dos > 0)
        on_time = has_d & ~over_main
        overdue_open = ~has_d & over_main
    # the unit: the item's, else the handler's event unit, else its post's unit
    # (codes into s.unit_names, -1: none)
    if item.unit:
        raw_units = np.full(m, s.unit_code[item.unit], np.int64)
    else:
        hk = rows[np.maximum(handler_k, 0)]
        ev_unit = cols.unit[hk].astype(np.int64)  # the event units are the first unit names
        raw_units = np.where(ev_unit >= 0, ev_unit, s.post_unit[cols.post[hk]])
    units = np.where(raw_units >= 0, raw_units, s.unit_code[UNKNOWN_UNIT])
    received = np.where(has_r, rd, start)
    decided = np.where(has_d, dd, -1)
    del decided_at
    group = _Group(item, cases, hit, hit_case, start, rd, ad, dd, rec_k, acc_k, dec_k, handler_k,
                   np.where(unlisted, sk, -1), prom, stat, raw_units, facts, step_facts,
                   case_hits)
    return bad, (units, received, decided, on_time, facts["on_the_spot"] > 0, overdue_open), group


@dataclass
class _StepCols:
    """One declared step over the cases of an item: its facts and the rows behind them."""

    name: str
    facts: dict[str, np.ndarray]
    present: np.ndarray  # the step is a subject (it has a start or a completion)
    hit: np.ndarray  # some step violation's condition holds
    sk: np.ndarray  # sorted row of the first start, -1
    ck: np.ndarray  # sorted row of the first completion, -1
    b_day: np.ndarray
    deadline: np.ndarray | None
    hits: list[tuple[int, np.ndarray]] = field(default_factory=list)  # per step violation

    def only(self, keep: np.ndarray, cut: Callable[[Any], Any]) -> _StepCols:
        return _StepCols(self.name, {k: cut(v) for k, v in self.facts.items()},
                         cut(self.present), cut(self.hit), cut(self.sk), cut(self.ck),
                         cut(self.b_day), cut(self.deadline),
                         [(vi, cut(t)) for vi, t in self.hits])


@dataclass
class _Group:
    """Screened cases of one item whose facts are kept to make their offences."""

    item: ItemIR
    cases: np.ndarray
    hit: np.ndarray
    hit_case: np.ndarray
    start: np.ndarray
    rd: np.ndarray
    ad: np.ndarray
    dd: np.ndarray
    rec_k: np.ndarray
    acc_k: np.ndarray
    dec_k: np.ndarray
    handler_k: np.ndarray
    unlisted_k: np.ndarray
    prom: np.ndarray | None
    stat: np.ndarray | None
    unit: np.ndarray
    facts: dict[str, np.ndarray]
    steps: list[_StepCols]
    case_hits: list[tuple[int, np.ndarray]]  # (violation index, condition true) per case
    reviewer_k: np.ndarray | None = None  # sorted row of the reviewer's event (_NativeCases)

    def only(self, keep: np.ndarray) -> _Group:
        """The rows where ``keep`` holds (arrays shared between facts are cut once)."""
        rows = np.flatnonzero(keep)
        done: dict[int, np.ndarray] = {}

        def cut(x: np.ndarray | None) -> np.ndarray | None:
            if x is None:
                return None
            if id(x) not in done:
                done[id(x)] = x[rows]
            return done[id(x)]

        return _Group(self.item, cut(self.cases), cut(self.hit), cut(self.hit_case),
                      cut(self.start), cut(self.rd), cut(self.ad), cut(self.dd),
                      cut(self.rec_k), cut(self.acc_k), cut(self.dec_k), cut(self.handler_k),
                      cut(self.unlisted_k), cut(self.prom), cut(self.stat), cut(self.unit),
                      {k: cut(v) for k, v in self.facts.items()},
                      [st.only(keep, cut) for st in self.steps],
                      [(vi, cut(t)) for vi, t in self.case_hits])


_BOOL_FACTS = frozenset(f for f in (
    "correction_notice_late", "deemed_accepted", "suspension_unlisted", "decided",
    "extension_unauthorized", "extended", "overdue_promised", "overdue_statutory", "on_the_spot",
    "decision_unauthorized", "refused_without_reasons", "delivered_late", "shirked",
    "cover_while_present", "step_overdue", "started_before_prerequisites", "step_unauthorized"))


@dataclass(frozen=True, slots=True)
class _Act:
    """An event as :func:`wenze.engine.evaluate._responsible` reads a reviewer's or approver's
    event: who acted, in which post and unit."""

    actor: str | None
    post: str | None
    unit: str | None


_day = functools.lru_cache(maxsize=1 << 16)(dt.date.fromordinal)  # one date object per day


def _days(ordinals: np.ndarray | None, n: int) -> list[dt.date | None]:
    """The dates of day ordinals (-1, or no array: None)."""
    if ordinals is None:
        return [None] * n
    distinct, where = np.unique(ordinals, return_inverse=True)
    days = [_day(o) if o >= 0 else None for o in distinct.tolist()]
    return [days[w] for w in where.ravel().tolist()]


class _NativeCases:
    """The screened cases of one group with a true condition, as the offences of their rows need
    them: the facts a violation's condition reads (:meth:`facts_read`) and the case's dates
    (:meth:`dates`), from the arrays; and the reference's records of a case
    (:class:`~wenze.engine.case.CaseOutcome`, only the subjects with a true condition: the others
    give no offence) rebuilt from the same arrays (:meth:`case_out`), so that the reference's own
    :func:`wenze.engine.evaluate.offences_for` makes the offences the rows are checked against
    (``tests/fast/test_columnar.py``)."""

    def __init__(self, ctx: CaseContext, s: _Screen, group: _Group):
        self.ctx, self.s, self.group = ctx, s, group
        self.reviews = any(r.party == _REVIEWER for v in ctx.program.violations
                           for r in v.responsible)
        if group.reviewer_k is not None:
            self.reviewer_k = group.reviewer_k
            return
        if not self.reviews:
            self.reviewer_k = group.reviewer_k = np.full(len(group.cases), -1, np.int64)
            return  # nobody answers as the reviewer
        # the reviewer: the last completed step whose name is a review step's
        review = np.zeros(len(s.cols.step_names) + 1, bool)
        for i, name in enumerate(s.cols.step_names):
            review[i] = name in ctx.review_steps
        done = np.flatnonzero((s.type == T["step_completed"]) & review[s.of(s.cols.step)])
        last_review = np.full(s.n, -1, np.int64)
        if len(done):  # rows are in (case, time) order: the last row of each case
            is_last = np.r_[s.case_of[done][1:] != s.case_of[done][:-1], True]
            last_review[s.case_of[done[is_last]]] = done[is_last]
        self.reviewer_k = group.reviewer_k = last_review[group.cases]

    def __len__(self) -> int:
        return len(self.group.cases)

    def case_name(self, i: int) -> str:
        s = self.s
        return s.cols.case_names[int(s.cols.case[s.rows[s.starts[self.group.cases[i]]]])]

    # Offences are made when their decisions are read; the arrays they read are turned into
    # Python lists once per group (numpy scalars cost ~100 ns a read), when first asked for.

    def _list(self, key: Any, values: np.ndarray | None) -> list[Any] | None:
        cache = self.__dict__.setdefault("_lists", {})
        if key not in cache:
            cache[key] = None if values is None else values.tolist()
        return cache[key]

    def _facts(self, key: Any, facts: Mapping[str, np.ndarray]) -> dict[str, list[Any]]:
        cache = self.__dict__.setdefault("_fact_lists", {})
        if key not in cache:
            cache[key] = {k: (v.astype(bool) if k in _BOOL_FACTS else v).tolist()
                          for k, v in facts.items()}
        return cache[key]

    def facts_read(self, vi: int, subject: str | None
                   ) -> list[tuple[str, tuple[Any, ...] | None]]:
        """Per fact that violation ``vi``'s condition reads, its values over the cases for
        ``subject`` (a step's name; None: the case), or None where the subject has no such fact:
        the offence's facts are ``(fact, values[i])`` — ``offences_for``'s ``env.get(k)`` of the
        subject's facts (with the case's when the condition reads them, as ``Subject.env``).
        Only the facts read are turned into Python values, as tuples (which the garbage
        collector stops scanning)."""
        cache = self.__dict__.setdefault("_read", {})
        found = cache.get((vi, subject))
        if found is None:
            v = self.ctx.program.violations[vi]
            env = {k: ("case", k) for k in self.group.facts}
            if subject is not None:
                j = next(j for j, st in enumerate(self.group.steps) if st.name == subject)
                step = {k: (j, k) for k in self.group.steps[j].facts}
                env = {**env, **step} if v.needs_parent else step
            found = cache[(vi, subject)] = [(k, self._fact(env[k]) if k in env else None)
                                            for k in v.facts]
        return found

    def _fact(self, where: tuple[Any, str]) -> tuple[Any, ...]:
        """The values of fact ``where[1]`` of the case (``where[0]`` "case") or of step
        ``where[0]``, over the cases, as ``_facts`` makes them."""
        cache = self.__dict__.setdefault("_fact_values", {})
        values = cache.get(where)
        if values is None:
            of, k = where
            column = (self.group.facts if of == "case" else self.group.steps[of].facts)[k]
            values = cache[where] = tuple(
                (column.astype(bool) if k in _BOOL_FACTS else column).tolist())
        return values

    def dates(self, i: int) -> tuple[tuple[str, dt.date | None], ...]:
        """The dates of case ``i``'s offences: ``CaseOutcome.dates`` as ``_responsible`` records
        them (sorted by name)."""
        dated = self.__dict__.get("_dated")
        if dated is None:  # per date, the group's cases' dates (one object per day)
            group = self.group
            by_name = {"received": group.rd, "accepted": group.ad, "clock_start": group.start,
                       "decided": group.dd, "extension": None, "deadline_promised": group.prom,
                       "deadline_statutory": group.stat, "deadline_external": None,
                       "delivered": None}
            dated = self._dated = [(k, tuple(_days(v, len(group.cases))))
                                   for k, v in sorted(by_name.items())]
        return tuple([(k, days[i]) for k, days in dated])

    def _events(self, key: Any, k: np.ndarray) -> tuple[list[int], ...]:
        """Per case: the sorted row's actor, post, unit codes and day (actor -2: no event)."""
        cache = self.__dict__.setdefault("_event_lists", {})
        if key not in cache:
            cols = self.s.cols
            e = self.s.rows[np.maximum(k, 0)]
            cache[key] = (np.where(k >= 0, cols.actor[e], -2).tolist(), cols.post[e].tolist(),
                          cols.unit[e].tolist(), cols.day[e].tolist(), cols.instant[e].tolist())
        return cache[key]

    def _actor(self, key: Any, k: np.ndarray, i: int) -> Any:
        """The :class:`~wenze.engine.case.Actor` of case ``i``'s event at the sorted rows ``k``
        (None where -1), from the columns: what the offence code reads of an event (who, post,
        unit, day)."""
        from wenze.engine.case import Actor

        actors, posts, units, days, instants = self._events(key, k)
        a = actors[i]
        if a == -2:
            return None
        cols = self.s.cols
        p, u = posts[i], units[i]
        return Actor(cols.actor_names[a] if a >= 0 else None,
                      cols.post_names[p] if p >= 0 else None,
                      cols.unit_names[u] if u >= 0 else None, dt.date.fromordinal(days[i]),
                      instants[i])

    def case_out(self, i: int) -> Any:
        """The reference's records of case ``i``."""
        from wenze.engine.case import CaseOutcome, Subject

        group, ev = self.group, self._actor
        one = dt.timedelta(days=1)
        lists = self._list
        case = self.case_name(i)
        decided_ev = ev("dec", group.dec_k, i)
        handler = ev("handler", group.handler_k, i)
        dates = dict(self.dates(i))
        start, decided = dates["clock_start"], dates["decided"]
        pd, sd = dates["deadline_promised"], dates["deadline_statutory"]
        facts = {k: v[i] for k, v in self._facts("case", group.facts).items()}
        attribution: dict[str, Any] = {}
        established: dict[str, dt.date] = {}
        if facts["deemed_accepted"]:
            attribution["deemed_accepted"] = ev("rec", group.rec_k, i)
        sev = ev("unlisted", group.unlisted_k, i)
        if sev is not None:
            attribution["suspension_unlisted"] = sev
            established["suspension_unlisted"] = sev.day
        if decided_ev is not None:
            for key in ("decision_unauthorized", "refused_without_reasons"):
                attribution[key] = decided_ev
                established[key] = decided  # type: ignore[assignment]
        if pd:
            established["days_over_promised"] = established["overdue_promised"] = pd + one
        if sd:
            established["days_over_statutory"] = established["overdue_statutory"] = sd + one
        subjects = []
        if lists("hit_case", group.hit_case)[i]:  # type: ignore[index]
            subjects.append(Subject(A.Scope.CASE, None, facts, attribution, handler,
                                     established))
        for j, st in enumerate(group.steps):
            if not lists(("hit", j), st.hit)[i]:  # type: ignore[index]
                continue
            s_ev, c_ev = ev(("sk", j), st.sk, i), ev(("ck", j), st.ck, i)
            sf = {k: v[i] for k, v in self._facts(j, st.facts).items()}
            est: dict[str, dt.date] = {}
            attr: dict[str, Any] = {}
            if sf["step_days_over"] and st.deadline is not None:
                est["step_days_over"] = est["step_overdue"] = dt.date.fromordinal(
                    lists(("deadline", j), st.deadline)[i]) + one  # type: ignore[index]
            if sf["started_before_prerequisites"]:
                est["started_before_prerequisites"] = dt.date.fromordinal(
                    lists(("b_day", j), st.b_day)[i])  # type: ignore[index]
                attr["started_before_prerequisites"] = s_ev
            if sf["step_unauthorized"] and c_ev is not None:
                est["step_unauthorized"] = c_ev.day
                attr["step_unauthorized"] = c_ev
            subjects.append(Subject(A.Scope.STEP, st.name, sf, attr, c_ev or s_ev, est,
                                     parent=facts))
        reviewer = ev("reviewer", self.reviewer_k, i) if self.reviews else None
        unit = lists("unit", group.unit)[i]  # type: ignore[index]
        return CaseOutcome(case, group.item, self.s.unit_names[unit] if unit >= 0 else None,
                        subjects, handler,
                        None if reviewer is None else _Act(reviewer.person, reviewer.post,
                                                           reviewer.unit),
                        None if decided_ev is None else _Act(decided_ev.person, decided_ev.post,
                                                             decided_ev.unit),
                        (), dates, facts, [], dates["received"] or start, decided, None,
                        bool(facts["on_the_spot"]), False)

    def offences(self, i: int) -> list[R.Offence]:
        """The offences of case ``i``, made by the reference's own ``offences_for``."""
        return R.offences_for(self.ctx, self.case_out(i), None)


class _Names:
    """One table of strings (people, posts, units) for the columns of native offences: a code
    per string, -1 for None; lookup arrays have a last slot for -1."""

    def __init__(self) -> None:
        self.code: dict[str, int] = {}
        self.names: list[str] = []

    def __call__(self, name: str | None) -> int:
        if name is None:
            return -1
        code = self.code.get(name)
        if code is None:
            code = self.code[name] = len(self.names)
            self.names.append(name)
        return code

    def many(self, names: Sequence[str]) -> np.ndarray:
        return np.asarray([self(n) for n in names] + [-1], np.int64)

    def table(self, pairs: Mapping[str, str | None]) -> np.ndarray:
        """A lookup array: code of a key → code of its value (-1 where none)."""
        out = np.full(len(self.names) + 1, -1, np.int64)
        for key, value in pairs.items():
            k = self.code.get(key)
            if k is not None and value is not None:
                out[k] = self(value)
        return out

    def sorted(self) -> _SortedNames:
        """These names sorted, for the string columns of offence tables (made anew once a name
        is added)."""
        known = self.__dict__.get("_sorted")
        if known is None or known.size != len(self.names):
            known = self._sorted = _SortedNames(self.names)
        return known


class _SortedNames:
    """The string columns of offence tables (:class:`Strings`) coded by one sorted table for all
    the tables of a run, so that a child's table needs no sorting of its own and tables join by
    concatenating codes. ``rank``: a :class:`_Names` code (−1 last) → its code in ``names``;
    ``key_rank``: a person key code (a name's code, else ``size + 1`` + a post's code, else
    ``2 (size + 1)`` + a unit's code) → its code in ``key_names`` (person, 岗位:post, 单位:unit)."""

    def __init__(self, names: Sequence[str]):
        self.size = len(names)
        self.names = sorted(names)
        self.rank = np.full(self.size + 1, -1, np.int32)
        order = np.argsort(np.asarray(names, dtype=object), kind="stable")
        self.rank[order] = np.arange(self.size, dtype=np.int32)
        slot = [*names, ""]  # a key with no post or unit (never made: masked by the caller)
        keys = [*slot, *("岗位:" + n for n in slot), *("单位:" + n for n in slot)]
        self.key_names = sorted(set(keys))
        where = {k: i for i, k in enumerate(self.key_names)}
        self.key_rank = np.asarray([where[k] for k in keys], np.int32)

    def strings(self, codes: np.ndarray) -> Strings:
        return Strings(codes, self.names)

    def keys(self, codes: np.ndarray) -> Strings:
        return Strings(codes, self.key_names)


class _People:
    """What :func:`wenze.engine.evaluate._responsible` looks up, as arrays over :class:`_Names`
    codes: the posts' units and deputy leaders, the units' leaders, the leaders' holders."""

    def __init__(self, ctx: CaseContext, cols: EventColumns):
        program = ctx.program
        names = self.names = _Names()
        for post in program.posts.values():
            names(post.name), names(post.unit), names(post.deputy_leader)
        for unit in program.units.values():
            names(unit.name), names(unit.chief_leader), names(unit.deputy_leader)
        for item in program.items.values():
            names(item.unit)
        for process in program.processes.values():
            for step in process.steps:
                names(step)
        self.unknown = names(R.UNKNOWN_UNIT)  # the unit of a party nothing places
        self.screen_unit = names.many(_unit_names(program, cols))  # _Screen.unit_names
        self.actor = names.many(cols.actor_names)
        self.post = names.many(cols.post_names)
        self.unit = names.many(cols.unit_names)
        # holders of leader posts: (date, id, person) sorted, as (days, people) arrays
        self.holders: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for post, seen in ctx.holders.items():
            days = np.asarray([d.toordinal() for d, _, _ in seen], np.int64)
            people = np.asarray([names(who) for _, _, who in seen], np.int64)
            self.holders[names(post)] = (days, people)
        self.unit_of_post = names.table({p.name: p.unit for p in program.posts.values()})
        self.post_deputy = names.table({p.name: p.deputy_leader or None
                                        for p in program.posts.values()})
        self.unit_deputy = names.table({u.name: u.deputy_leader or None
                                        for u in program.units.values()})
        self.unit_chief = names.table({u.name: u.chief_leader or None
                                       for u in program.units.values()})

    def holder(self, post: np.ndarray, day: np.ndarray) -> np.ndarray:
        """``CaseContext.holder(post, day)`` per row (-1 where the post has no holder seen)."""
        out = np.full(len(post), -1, np.int64)
        for code in np.unique(post[post >= 0]).tolist():
            seen = self.holders.get(code)
            if seen is None:
                continue
            days, people = seen
            mine = post == code
            i = np.searchsorted(days, day[mine], side="right")
            out[mine] = people[np.maximum(i - 1, 0)]
        return out


@dataclass
class _Attributable:
    """What ``_attributed`` reads of one fact of a subject, per row: whether the subject has an
    attribution and an established date for it, the attributed event (sorted row) and the date."""

    attributed: np.ndarray | None  # bool: key in sub.attribution
    actor_k: np.ndarray | None  # the attributed event's sorted row
    established: np.ndarray | None  # bool: key in sub.established
    day: np.ndarray | None  # the established date (ordinal)


def _native_parts(ctx: CaseContext, s: _Screen, group: _Group, people: _People
                  ) -> dict[str, list[np.ndarray]]:
    """The offences of a group's screened cases with a true condition, as columns: who answers
    (the reference's ``_attributed`` and ``_responsible`` on arrays) and when; the full offence
    of a row (facts, dates) is made on demand from the same arrays (:class:`_NativeCases`)."""
    program, cols, rows = ctx.program, s.cols, s.rows
    group_cases = _NativeCases(ctx, s, group)

    def who_acted(k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(person, post, unit) codes of the events at sorted rows ``k`` (-1: none)."""
        e = rows[np.maximum(k, 0)]
        none = k < 0
        return (np.where(none, -1, people.actor[cols.actor[e]]),
                np.where(none, -1, people.post[cols.post[e]]),
                np.where(none, -1, people.unit[cols.unit[e]]))

    as_of = ctx.as_of.toordinal()
    m = len(group.cases)

    def ev_day(k: np.ndarray) -> np.ndarray:
        return s.day[np.maximum(k, 0)]

    out_unit = people.screen_unit[group.unit]
    has_d = group.dec_k >= 0
    # the case subject's attributions and established dates (see _NativeCases.case_out)
    deemed = group.facts["deemed_accepted"] != 0
    unlisted = group.unlisted_k >= 0
    case_attr: dict[str, _Attributable] = {
        "deemed_accepted": _Attributable(deemed, group.rec_k, None, None),
        "suspension_unlisted": _Attributable(unlisted, group.unlisted_k, unlisted,
                                             ev_day(group.unlisted_k)),
        "decision_unauthorized": _Attributable(has_d, group.dec_k, has_d, group.dd),
        "refused_without_reasons": _Attributable(has_d, group.dec_k, has_d, group.dd),
    }
    for limit, deadline in (("promised", group.prom), ("statutory", group.stat)):
        if deadline is not None:
            yes = np.ones(m, bool)
            for key in (f"days_over_{limit}", f"overdue_{limit}"):
                case_attr[key] = _Attributable(None, None, yes, deadline + 1)
    subjects: list[tuple[str | None, A.Scope, dict[str, np.ndarray], dict[str, _Attributable],
                         np.ndarray, list[tuple[int, np.ndarray]]]] = [
        (None, A.Scope.CASE, group.facts, case_attr, group.handler_k, group.case_hits)]
    for st in group.steps:
        early = st.facts["started_before_prerequisites"] != 0
        unauth = (st.facts["step_unauthorized"] != 0) & (st.ck >= 0)
        late = (st.facts["step_days_over"] != 0) & (st.deadline is not None)
        late_day = st.deadline + 1 if st.deadline is not None else None
        attr = {
            "started_before_prerequisites": _Attributable(early, st.sk, early, st.b_day),
            "step_unauthorized": _Attributable(unauth, st.ck, unauth, ev_day(st.ck)),
            "step_days_over": _Attributable(None, None, late, late_day),
            "step_overdue": _Attributable(None, None, late, late_day),
        }
        default = np.where(st.ck >= 0, st.ck, st.sk)
        subjects.append((st.name, A.Scope.STEP, st.facts, attr, default, st.hits))

    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for subject, scope, sub_facts, attr, default_k, hits in subjects:
        for vi, true in hits:
            v = program.violations[vi]
            sel = np.flatnonzero(true)
            if not len(sel):
                continue
            env = ({**group.facts, **sub_facts} if scope is A.Scope.STEP and v.needs_parent
                   else sub_facts)
            actor_k, day = _attributed_columns(v, env, attr, default_k, sel)
            day = np.where(day >= 0, day, np.where(group.dd[sel] >= 0, group.dd[sel], as_of))
            n_before = len(parts.get("case", ()))
            _responsible_columns(parts, people, v, vi, subject, sel, actor_k, day,
                                 out_unit[sel], group_cases.reviewer_k[sel],
                                 group.dec_k[sel], who_acted)
            made = parts.get("case", [])[n_before:]
            if made:  # the time of the act behind each new row (Offence.act_at; inf: none)
                act_at = np.where(actor_k >= 0, s.instant[np.maximum(actor_k, 0)], np.inf)
                parts["act_at"] += [act_at[np.searchsorted(sel, rows)] for rows in made]
    return parts


def _native_table(ctx: CaseContext, s: _Screen, group: _Group, people: _People) -> OffenceTable:
    """The offences of a group's screened cases with a true condition, as an offence table."""
    parts = _native_parts(ctx, s, group, people)
    return _table(ctx.program, people.names, _NativeCases(ctx, s, group), parts)


def _attributed_columns(v: Any, env: Mapping[str, np.ndarray], attr: Mapping[str, _Attributable],
                        default_k: np.ndarray, sel: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``evaluate._attributed`` for the rows ``sel``: (the attributed event's sorted row, the
    date established or -1)."""
    n = len(sel)
    actor_k = np.full(n, -1, np.int64)
    day = np.full(n, -1, np.int64)
    chosen = np.zeros(n, bool)

    def truthy(key: str) -> np.ndarray:
        values = env.get(key)
        return np.zeros(n, bool) if values is None else values[sel] != 0

    def take(mask: np.ndarray, k: np.ndarray, d: np.ndarray | None) -> None:
        nonlocal chosen
        mask = mask & ~chosen
        actor_k[mask] = k[mask]
        if d is not None:
            day[mask] = d[mask]
        chosen |= mask

    for key in R.ACT_FACTS:
        a = attr.get(key)
        if key in v.facts and a is not None and a.attributed is not None:
            assert a.actor_k is not None
            take(truthy(key) & a.attributed[sel], a.actor_k[sel],
                 a.day[sel] if a.day is not None and a.established is not None else None)
    for key in R.LATENESS_FACTS:
        a = attr.get(key)
        if key in v.facts and a is not None and a.established is not None:
            assert a.day is not None
            take(truthy(key) & a.established[sel], default_k[sel], a.day[sel])
    for key in v.facts:
        a = attr.get(key)
        if a is not None and a.established is not None:
            assert a.day is not None
            k = default_k[sel]
            if a.attributed is not None and a.actor_k is not None:
                k = np.where(a.attributed[sel], a.actor_k[sel], k)
            take(truthy(key) & a.established[sel], k, a.day[sel])
    take(np.ones(n, bool), default_k[sel], None)
    return actor_k, day


def _responsible_columns(parts: dict[str, list[np.ndarray]], people: _People, v: Any, vi: int,
                         subject: str | None, sel: np.ndarray, actor_k: np.ndarray,
                         day: np.ndarray, out_unit: np.ndarray, reviewer_k: np.ndarray,
                         decided_k: np.ndarray,
                         who_acted: Callable[[np.ndarray], tuple[np.ndarray, ...]]) -> None:
    """``evaluate._responsible`` for the rows ``sel`` (local case numbers of the group): one row
    per responsible person into ``parts`` (the first role of a person wins)."""
    P = people
    subject_code = P.names(subject)
    person, post, a_unit = who_acted(actor_k)
    base_unit = np.where(a_unit >= 0, a_unit, np.where(P.unit_of_post[post] >= 0,
                                                       P.unit_of_post[post], out_unit))
    u_name = base_unit
    deputy = np.where(P.post_deputy[post] >= 0, P.post_deputy[post], P.unit_deputy[u_name])
    chief = P.unit_chief[u_name]
    taken: list[tuple[np.ndarray, np.ndarray]] = []  # (valid, person key) of earlier roles
    n_names = len(P.names.names) + 1
    unknown = P.unknown
    for role in v.responsible:
        party = role.party
        if party == _DIRECT:
            who = (np.where(actor_k >= 0, person, -1), np.where(actor_k >= 0, post, -1),
                   np.where(actor_k >= 0, np.where(a_unit >= 0, a_unit, base_unit), -1))
        elif party in (_REVIEWER, _DECIDER):
            k = reviewer_k if party == _REVIEWER else decided_k
            r_person, r_post, r_unit = who_acted(k)
            who = (np.where(k >= 0, r_person, -1), np.where(k >= 0, r_post, -1),
                   np.where(k >= 0, np.where(r_unit >= 0, r_unit, P.unit_of_post[r_post]), -1))
        elif party in (_DEPUTY, _CHIEF):
            leader = deputy if party == _DEPUTY else chief
            who = (np.where(leader >= 0, P.holder(leader, day), -1), leader,
                   np.where((leader >= 0) & (P.unit_of_post[leader] >= 0),
                            P.unit_of_post[leader], u_name))
        else:  # (a program naming other parties is judged by the reference: native_parties)
            raise _NotVectorised(role.value)
        w_person, w_post, w_unit = who
        nobody = (w_person < 0) & (w_post < 0) & (w_unit < 0)  # never dropped: the case's unit
        w_unit = np.where(nobody, np.where(out_unit >= 0, out_unit, unknown), w_unit)
        # (a leader that the post and unit do not name: nobody to decide on, WZ119)
        valid = leader >= 0 if party in (_DEPUTY, _CHIEF) else np.ones(len(sel), bool)
        # the person key: the person, else 岗位:post, else 单位:unit
        key = np.where(w_person >= 0, w_person,
                       np.where(w_post >= 0, n_names + w_post, 2 * n_names + w_unit))
        for t_valid, t_key in taken:
            valid &= ~(t_valid & (t_key == key))
        taken.append((valid, key))
        rows = np.flatnonzero(valid)
        if not len(rows):
            continue
        parts["case"].append(sel[rows])
        parts["violation"].append(np.full(len(rows), vi, np.int64))
        parts["subject"].append(np.full(len(rows), subject_code, np.int64))
        parts["person"].append(w_person[rows])
        parts["post"].append(w_post[rows])
        parts["unit"].append(w_unit[rows])
        parts["role"].append(np.full(len(rows), role_code(role), np.int64))
        parts["established"].append(day[rows])


_DIRECT = A.Party(A.PartyBase.DIRECT)
_REVIEWER = A.Party(A.PartyBase.REVIEWER)
_DECIDER = A.Party(A.PartyBase.DECIDER)
_DEPUTY = A.Party(A.PartyBase.DIRECT, A.Leader.DEPUTY)
_CHIEF = A.Party(A.PartyBase.DIRECT, A.Leader.CHIEF)
NATIVE_PARTIES = frozenset({_DIRECT, _REVIEWER, _DECIDER, _DEPUTY, _CHIEF})


_POWER_FACTS = frozenset({fact for etype, (_, fact) in POWER_ACTS.items()
                          if etype not in ("decided", "extension_granted")} | {"act_unauthorized"})


def act_powers_read(program: Program) -> bool:
    """Whether the program requires powers (职权 … 行为) for an act this module judges (receipt,
    acceptance, suspension, decision), or a condition reads a fact about acts done without
    their power: this module does not compute those, so every case goes to the reference. (A
    power required for any other act — 送达, 转办, 会签发起 … — changes nothing here: a case
    with such an act is routed anyway.)"""
    native = {TYPES[t].value for t in NATIVE}
    return bool(native & set(program.act_powers)) or any(_POWER_FACTS & set(v.facts)
                                                         for v in program.violations)


def native_parties(program: Program) -> bool:
    """Whether every party the program's violations name is one :func:`_responsible_columns`
    finds on arrays (the direct party, the reviewer, the decider, the direct party's leaders);
    otherwise every case with a true condition is routed to the reference."""
    return all(r.party in NATIVE_PARTIES for v in program.violations for r in v.responsible)


def _table(program: Program, names: _Names, cases: _NativeCases,
           parts: Mapping[str, list[np.ndarray]]) -> OffenceTable:
    """The columns gathered by :func:`_responsible_columns` → an offence table whose rows are
    made on demand from the case's records by the reference."""
    return _table_of(program, cases, _named(names, _table_columns(names, cases, parts)))


_CODED = ("subject", "person", "post", "unit")  # string columns coded by _SortedNames.rank


def _table_columns(names: _Names, cases: _NativeCases, parts: Mapping[str, list[np.ndarray]]
                   ) -> dict[str, Any] | None:
    """The columns of an offence table (arrays, and the cases' string column: what a child
    process sends back) from the columns gathered by :func:`_responsible_columns`; None: no
    offence. The other string columns are codes into ``names.sorted()`` (see :func:`_named`)."""
    if not parts:
        return None
    col = {k: np.concatenate(v) for k, v in parts.items()}
    table = names.sorted()
    n_names = table.size + 1
    person, post, unit = col["person"], col["post"], col["unit"]
    pk = np.where(person >= 0, person, np.where(post >= 0, n_names + post, 2 * n_names + unit))
    case_local = col["case"]
    used_cases, case_inverse = np.unique(case_local, return_inverse=True)
    sc = cases.s
    case_codes = sc.cols.case[sc.rows[sc.starts[cases.group.cases[used_cases]]]]
    all_names = sc.cols.case_names
    case = Strings(case_inverse.ravel().astype(np.int32),
                   [all_names[c] for c in case_codes.tolist()])  # already sorted
    return {"violation": col["violation"].astype(np.int32),
            "established": col["established"].astype(np.int64), "case": case,
            "act_at": col["act_at"].astype(np.float64),
            **{k: table.rank[col[k]] for k in _CODED}, "person_key": table.key_rank[pk],
            "role": col["role"].astype(np.int8), "case_local": case_local.astype(np.int32)}


def _named(names: _Names, columns: dict[str, Any] | None) -> dict[str, Any] | None:
    """:func:`_table_columns`'s columns with their codes made :class:`Strings` of the sorted
    names (the same lists for every table of a run)."""
    if columns is None:
        return None
    table = names.sorted()
    return {**columns, **{k: table.strings(columns[k]) for k in _CODED},
            "person_key": table.keys(columns["person_key"])}


def _table_of(program: Program, cases: _NativeCases, columns: Mapping[str, Any] | None
              ) -> OffenceTable:
    """An offence table from :func:`_table_columns`, the offences of its rows made from the
    columns, the facts their condition read and their case's dates (``cases``)."""
    if columns is None:
        return OffenceTable.from_offences(program, [])
    violation, subject, case_local = columns["violation"], columns["subject"], \
        columns["case_local"]
    n = len(violation)
    item = Strings(np.zeros(n, np.int32), [cases.group.item.name])
    violations = program.violations
    person, post, unit = columns["person"], columns["post"], columns["unit"]
    act_at = columns["act_at"]

    def make(rows: np.ndarray) -> list[R.Offence]:
        local = case_local[rows].tolist()
        dates: dict[int, tuple[tuple[str, dt.date | None], ...]] = {}  # a case's, shared
        made = []
        for c, case, vi, step, who, where, unit_name, role, day, at in zip(
                local, columns["case"].values(rows), violation[rows].tolist(),
                subject.values(rows), person.values(rows), post.values(rows), unit.values(rows),
                columns["role"][rows].tolist(), columns["established"][rows].tolist(),
                act_at[rows].tolist(), strict=True):
            case_dates = dates.get(c)
            if case_dates is None:
                case_dates = dates[c] = cases.dates(c)
            facts = tuple([(k, None if values is None else values[c])
                           for k, values in cases.facts_read(vi, step)])
            made.append(R.Offence(case, item.names[0], violations[vi], step, who, where,
                                  unit_name, ROLES[role], _day(day), facts, case_dates, (),
                                  None if at == np.inf else at))
        return made

    return OffenceTable(program, violation, columns["established"], columns["case"], item,
                        subject, person, post, unit, columns["person_key"], columns["role"],
                        act_at, {},
                        [(0, make)])


def _no_susp(m: int) -> _Suspension:
    z = np.zeros(m, np.int64)
    return _Suspension(np.zeros(m, bool), z, z)


def _post_states(program: Program, post_names: list[str], power: str | None) -> np.ndarray:
    """Per post code (and a last slot for "no post"): 0 holds ``power``, 1 does not, 2 holds it
    only while its A post is absent (depends on the time: routed)."""
    out = np.ones(len(post_names) + 1, np.int8)
    if power is None:
        return out
    for i, name in enumerate(post_names):
        post = program.posts.get(name)
        if post is None:
            continue
        if power in post.powers:
            out[i] = 0
        elif post.covers:
            principal = program.posts.get(post.covers)
            if principal is not None and power in principal.powers and (
                    post.cover_powers is None or power in post.cover_powers):
                out[i] = 2
    return out


def _screen_steps(s: _Screen, item: ItemIR, steps: Mapping[str, StepIR], cases: np.ndarray,
                  clock_start: np.ndarray, sus: _Suspension, bad: np.ndarray
                  ) -> list[_StepCols] | None:
    """Step facts (one dict of arrays per declared step, with the cases that have the step as a
    subject). Marks in ``bad`` the cases the reference must judge."""
    cols, rows, program = s.cols, s.rows, s.program
    m = len(cases)
    as_of = s.as_of
    names = cols.step_names
    known = np.zeros(len(names) + 1, bool)  # the last slot: no step
    known[-1] = True
    code = {n: i for i, n in enumerate(names)}
    for i, n in enumerate(names):
        known[i] = n in steps
    step_col = s.of(cols.step)
    # a step the process does not declare: the reference rejects the event (routed)
    bad |= s.per_case_any(~known[step_col])[cases]
    firsts = []
    for type_name in ("step_started", "step_completed"):
        typed = np.flatnonzero((s.type == T[type_name]) & (step_col >= 0))
        firsts.append(_first_per_case_and_key(s.case_of, typed, step_col[typed], s.n,
                                              len(names))[cases])
    first_s: dict[str, np.ndarray] = {}
    first_c: dict[str, np.ndarray] = {}
    for name in steps:
        c = code.get(name)
        if c is None:
            first_s[name] = first_c[name] = np.full(m, -1, np.int64)
            continue
        first_s[name], first_c[name] = firsts[0][:, c], firsts[1][:, c]
    done_at: dict[str, np.ndarray] = {}
    for name, step in steps.items():
        if step.kind == "step":
            k = first_c[name]
            done_at[name] = np.where(k >= 0, s.instant[np.maximum(k, 0)], np.nan)
        else:
            done_at[name] = np.full(m, np.nan)  # no request in a screened case
    out: list[_StepCols] = []
    for name, step in steps.items():
        if step.kind != "step":
            continue
        sk, ck = first_s[name], first_c[name]
        present = (sk >= 0) | (ck >= 0)
        bad |= (ck >= 0) & (sk < 0)  # no recorded start: the reference infers it (routed)
        b_day = np.where(sk >= 0, s.day[np.maximum(sk, 0)], clock_start)
        begin_at = s.instant[np.maximum(sk, 0)]
        e_day = np.where(ck >= 0, s.day[np.maximum(ck, 0)], as_of)
        limit = step.limit
        idx = s.index(item, limit.unit if limit else A.DayKind.WORKING)
        over = np.zeros(m, np.int64)
        deadline = np.zeros(m, np.int64)
        if limit is not None:
            deadline, ok = idx.deadline(b_day, limit.amount, sus)
            bad |= present & ~ok
            safe = np.minimum(deadline, idx.last)
            over = np.where(e_day > deadline, idx.count(safe, e_day, sus), 0)
            if item.warnings:  # a running step with a limit may draw a warning (routed)
                bad |= present & (ck < 0)
        early = np.zeros(m, bool)
        for pre in step.after:
            t_done = done_at.get(pre, np.full(m, np.nan))
            early |= np.isnan(t_done) | (t_done > begin_at)
        unauth = np.zeros(m, bool)
        if step.post:
            post_ok = np.zeros(len(names) + 1, np.int8)  # per post code: 0 ok, 1 not, 2 cover
            post_ok = np.ones(len(cols.post_names) + 1, np.int8)
            for i, p in enumerate(cols.post_names):
                if p == step.post:
                    post_ok[i] = 0
                else:
                    pir = program.posts.get(p)
                    if pir is not None and pir.covers == step.post:
                        post_ok[i] = 2
            cpost = np.where(ck >= 0, cols.post[rows[np.maximum(ck, 0)]], -1)
            st = post_ok[cpost]
            unauth = (ck >= 0) & (st != 0)
            bad |= present & (ck >= 0) & (st == 2)
        facts = {
            "step_days": idx.count(b_day, e_day, sus), "step_days_over": over,
            "step_overdue": (over > 0).astype(np.int64),
            "started_before_prerequisites": early.astype(np.int64),
            "step_unauthorized": unauth.astype(np.int64),
        }
        out.append(_StepCols(name, facts, present, np.zeros(m, bool), sk, ck, b_day,
                             deadline if limit is not None else None))
    return out


def _violations(program: Program) -> list[tuple[Any, A.Expr | None]]:
    """Each violation with its condition's AST (the lowered program keeps only a closure)."""
    decls = program.rulebook.named(A.ViolationDecl)
    out = []
    for v in program.violations:
        decl = decls.get(v.name)
        if not isinstance(decl, A.ViolationDecl):
            raise _NotVectorised(v.name)
        out.append((v, decl.condition))
    return out


# --------------------------------------------------------------------------- entry point


def evaluate_columnar(
    program: Program,
    events: Iterable[Event] | EventColumns,
    as_of: dt.date,
    prior_sanctions: Sequence[Any] = (),
    *,
    rejected: Sequence[Rejection] = (),
    explain: Iterable[str] = (),
    stats: dict[str, float] | None = None,
    native_offences: bool = True,
    workers: int | None = None,
) -> R.EvaluationResult:
    """:func:`wenze.engine.evaluate.evaluate` for large batches: the same result, byte for byte
    (see the module's docstring for how). ``events`` may be given already as columns. ``stats``,
    if given, receives ``cases``, ``screened`` (judged here), ``routed`` (judged by the reference
    per-case code), ``hit_here`` (screened cases with a true condition) and the seconds of each
    phase. ``native_offences=False`` routes every case with a true condition
    to the reference too (slower; the differential test runs both). ``workers``: processes for
    the screening of a large caseload (see :func:`_workers`; the result is the same)."""
    explain = list(explain)
    cols = events if isinstance(events, EventColumns) else EventColumns.from_events(events)
    if explain:  # a trace is the reference's
        return R.evaluate(program, cols.events, as_of, prior_sanctions, rejected=rejected,
                          explain=explain)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(program, cols, as_of, prior_sanctions, rejected,
                         stats if stats is not None else {}, native_offences, workers)
    finally:
        if collecting:
            gc.enable()


def _evaluate(program: Program, cols: EventColumns, as_of: dt.date,
              prior_sanctions: Sequence[Any], rejected: Sequence[Rejection],
              stats: dict[str, float], native_offences: bool = True,
              workers: int | None = None) -> R.EvaluationResult:
    t_start = time.perf_counter()
    for v in program.violations:  # coded before any fork (children code alike)
        for r in v.responsible:
            role_code(r)
    native_offences = native_offences and native_parties(program)
    n = len(cols.type)
    # (each per-event test is skipped where the tables of names or one pass show it is moot)
    after = (cols.day > as_of.toordinal()) if n and cols.day.max() > as_of.toordinal() \
        else np.zeros(n, bool)
    item_known = np.asarray([x in program.items for x in cols.item_names] + [True], bool)
    post_known = np.asarray([x in program.posts for x in cols.post_names] + [True], bool)
    if item_known.all() and post_known.all():
        bad = np.zeros(n, bool)
    else:
        bad = ~after & (~item_known[cols.item] | ~post_known[cols.post])
    all_rejected = list(rejected)
    for ev in cols.events_at(np.flatnonzero(bad)):
        problem = R.event_problem(program, ev)
        assert problem is not None
        all_rejected.append(Rejection(ev.source, ev.line, ev.id, *problem))
    kept = ~after & ~bad

    # the shared context reads only absences and the events of leaders' posts
    leader_posts = {p for u in program.units.values()
                    for p in (u.chief_leader, u.deputy_leader) if p}
    leader_posts |= {p.deputy_leader for p in program.posts.values() if p.deputy_leader}
    is_leader = np.asarray([x in leader_posts for x in cols.post_names] + [False], bool)
    cover = (cols.type == T["absent"]) | (cols.type == T["returned"])
    ctx_rows = np.flatnonzero(kept & cover & (cols.post >= 0))
    if is_leader.any():
        seen = np.flatnonzero(kept & ~cover & (cols.type != T["complaint"])
                              & is_leader[cols.post] & (cols.actor >= 0))
        ctx_rows = np.union1d(ctx_rows, _holder_rows(cols, seen))
    ctx = CaseContext(program, cols.events_at(ctx_rows), as_of)

    rows, identity = _case_time_order(cols, kept if n and cols.case.min() >= 0
                                      else kept & (cols.case >= 0))
    case_code = cols.case if identity else cols.case[rows]
    first_of_case = np.r_[True, case_code[1:] != case_code[:-1]] if len(rows) else \
        np.zeros(0, bool)
    present = case_code[first_of_case]  # sorted case numbers = sorted case ids
    if len(present) and int(present[-1]) - int(present[0]) + 1 == len(present):
        case_of = case_code - present[0]  # every case number in the range has events
    else:
        case_of = np.cumsum(first_of_case, dtype=np.int64)
        case_of -= 1
    starts = np.flatnonzero(first_of_case)
    n_workers = _workers(len(present), workers)
    batch = None
    if len(present) >= PARALLEL_MIN_CASES:
        screened, tables, batch = _screen_parallel(ctx, cols, rows, case_of, starts, identity,
                                                   native_offences, n_workers)
    else:
        screened = _screen(program, cols, as_of, rows, case_of, len(present), native_offences,
                           starts, identity)
        tables = []
        if screened.groups:
            assert screened.screen is not None
            people = _People(ctx, cols)
            tables = [_native_table(ctx, screened.screen, group, people)
                      for group in screened.groups]
    t_screened = time.perf_counter()

    if batch is None:
        batch = _judge_routed(ctx, cols, rows, case_of, starts, screened.routed)
    outs, offences, warnings, unjudged, late_rejected, traces = batch
    n_routed = int(screened.routed.sum())
    all_rejected += late_rejected
    t_routed = time.perf_counter()
    table = OffenceTable.concat(program, [OffenceTable.from_offences(program, offences),
                                          *tables])
    t_offences = time.perf_counter()
    fast = len(present) - n_routed
    result = finish_columnar(ctx, outs, table, warnings, unjudged, all_rejected, traces,
                             len(outs) + fast, int(kept.sum()), int(after.sum()),
                             prior_sanctions, counts=screened.counts)
    t_end = time.perf_counter()
    if n_workers > 1:
        stats["children_peak_mb"] = round(sum(CHILDREN_PEAK_KB) / 1024)
    stats.update(cases=len(present), screened=fast, routed=n_routed, workers=n_workers,
                 hit_here=sum(int(g.hit.sum()) for g in screened.groups),
                 seconds_screening=round(t_screened - t_start, 3),
                 seconds_routed=round(t_routed - t_screened, 3),
                 seconds_offences_here=round(t_offences - t_routed, 3),
                 seconds_ladders_and_decisions=round(t_end - t_offences, 3))
    return result


def _holder_rows(cols: EventColumns, rows: np.ndarray) -> np.ndarray:
    """Of the events of leaders' posts by a known actor (``rows``), those that decide
    ``CaseContext.holder(post, day)`` — the actor of the post's last event on or before the day
    (by day, then id), else of its first: one per (post, day) whose events have a single actor;
    every event of a (post, day) with several actors (ordered by their ids in ``CaseContext``)."""
    if not len(rows):
        return rows
    post, day, actor = cols.post[rows], cols.day[rows], cols.actor[rows]
    order = np.lexsort((actor, day, post))
    post, day, actor = post[order], day[order], actor[order]
    new_group = np.r_[True, (post[1:] != post[:-1]) | (day[1:] != day[:-1])]
    group = np.cumsum(new_group) - 1
    new_actor = new_group | np.r_[True, actor[1:] != actor[:-1]]
    several = np.bincount(group, weights=new_actor)[group] > 1
    return np.sort(rows[order[new_group | several]])


def _judge_routed(ctx: CaseContext, cols: EventColumns, rows: np.ndarray, case_of: np.ndarray,
                  starts: np.ndarray, routed: np.ndarray) -> R.CaseBatch:
    """The routed cases (``routed``: bool per case of ``starts``) judged by the reference's
    per-case code, in case order."""
    cases = np.flatnonzero(routed)
    names = [cols.case_names[c] for c in cols.case[rows[starts[cases]]].tolist()]
    by_case: dict[str, list[Event]] = defaultdict(list)
    for ev in cols.events_at(rows[routed[case_of]]):
        by_case[ev.case].append(ev)
    return R.run_cases(ctx, ctx.program, names, by_case, set())


# ----------------------------------------------------------------------------- on both cores

# The screening and the offence columns of a large caseload run in slices of SLICE_CASES cases
# (arrays of that size are faster — they stay closer to the CPU's caches — and the peak memory is
# a slice's), in forked processes, each taking a contiguous run of slices (the events are shared
# with the children, never copied or pickled; the children send back arrays only). Below
# PARALLEL_MIN_CASES cases, one slice in this process: forking costs more than it saves.
PARALLEL_MIN_CASES = 100_000
SLICE_CASES = 100_000


def _workers(n_cases: int, asked: int | None) -> int:
    """Processes for the screening: ``asked`` if given (0: one per CPU), else ``WENZE_WORKERS``,
    else one per CPU — for a caseload of at least :data:`PARALLEL_MIN_CASES`, where processes can
    be forked; else 1."""
    if asked is None:
        env = os.environ.get("WENZE_WORKERS")
        asked = int(env) if env else 0
    if asked == 0:
        asked = os.cpu_count() or 1
    if asked <= 1 or n_cases < PARALLEL_MIN_CASES or "fork" not in mp.get_all_start_methods():
        return 1
    return min(asked, 16)


_SHARED: tuple[Any, ...] | None = None  # what forked children read (inherited, never pickled)
_GROUP_ROWS = ("rec_k", "acc_k", "dec_k", "handler_k", "unlisted_k", "reviewer_k")


def _screen_slices(slices: list[tuple[int, int]]) -> list[tuple[Any, ...]]:
    """In one process: :func:`_screen_slice` of each slice, one after the other."""
    return [_screen_slice(bounds) for bounds in slices]


def _screen_slice(bounds: tuple[int, int]) -> tuple[Any, ...]:
    """Screen the cases lo…hi−1, make their offence columns and judge their routed cases (by
    the reference's code), to be sent from a forked child: arrays (groups without their item,
    which the parent puts back) and the routed cases' :func:`~wenze.engine.evaluate.portable`
    batch."""
    assert _SHARED is not None
    ctx, cols, rows, case_of, starts, identity, native, people = _SHARED
    lo, hi = bounds
    a = int(starts[lo])
    b = int(starts[hi]) if hi < len(starts) else len(rows)
    sub_rows = rows[a:b]
    screened = _screen(ctx.program, cols, ctx.as_of, sub_rows, case_of[a:b] - lo, hi - lo,
                       native, starts[lo:hi] - a, False, (a, b) if identity else None)
    known = len(people.names.names)
    out = []
    for group in screened.groups:
        assert screened.screen is not None
        parts = _native_parts(ctx, screened.screen, group, people)
        columns = _table_columns(people.names, _NativeCases(ctx, screened.screen, group), parts)
        out.append((dataclasses.replace(group, item=group.item.name), columns))
    if len(people.names.names) != known:  # a name the parent does not know: not portable
        return None, None, None, None
    batch = _judge_routed(ctx, cols, sub_rows, case_of[a:b] - lo, starts[lo:hi] - a,
                          screened.routed)
    return screened.routed, screened.counts, out, R.portable(ctx.program, batch)


def _screen_parallel(ctx: CaseContext, cols: EventColumns, rows: np.ndarray, case_of: np.ndarray,
                     starts: np.ndarray, identity: bool, native: bool, workers: int
                     ) -> tuple[_Screened, list[OffenceTable], R.CaseBatch | None]:
    """:func:`_screen` and :func:`_native_table` over slices of :data:`SLICE_CASES` cases, each of
    the ``workers`` processes (forked; the last is this one) taking a contiguous run of slices;
    joined in case order, so the result is the one of a single slice."""
    global _SHARED
    program = ctx.program
    n = len(starts)
    people = _People(ctx, cols)
    people.names.sorted()  # once, inherited by the children
    slices = [(i, min(i + SLICE_CASES, n)) for i in range(0, n, SLICE_CASES)]
    per_worker = -(-len(slices) // workers)
    work = [slices[i:i + per_worker] for i in range(0, len(slices), per_worker)]
    _SHARED = (ctx, cols, rows, case_of, starts, identity, native, people)
    try:
        results = [r for part in fork_map(_screen_slices, work) for r in part]
    finally:
        _SHARED = None
    if any(routed is None for routed, _, _, _ in results):  # fall back to one process
        screened = _screen(program, cols, ctx.as_of, rows, case_of, n, native, starts, identity)
        assert screened.screen is not None
        return screened, [_native_table(ctx, screened.screen, g, people)
                          for g in screened.groups], None
    s = _Screen(program, cols, ctx.as_of, rows, n, case_of, starts, identity)
    routed = np.concatenate([r for r, _, _, _ in results])
    counts: dict[tuple[str, str], list[int]] = {}
    groups: list[_Group] = []
    tables: list[OffenceTable] = []
    for (lo, _), (_, part_counts, part_groups, _) in zip(slices, results, strict=True):
        for key, values in part_counts.items():
            row = counts.setdefault(key, [0, 0, 0, 0, 0])
            for i, v in enumerate(values):
                row[i] += v
        shift = int(starts[lo])
        for group, columns in part_groups:
            group = _shifted(group, program.items[group.item], lo, shift)
            groups.append(group)
            tables.append(_table_of(program, _NativeCases(ctx, s, group),
                                    _named(people.names, columns)))
    batch = R.joined(program, [judged for _, _, _, judged in results])
    return _Screened(routed, counts, groups, s), tables, batch


def _shifted(group: _Group, item: ItemIR, lo: int, shift: int) -> _Group:
    """A child's group in the whole caseload's numbering: case numbers from ``lo``, sorted rows
    from ``shift``."""
    def rows(k: np.ndarray | None) -> np.ndarray | None:
        return None if k is None else np.where(k >= 0, k + shift, -1)

    moved = {name: rows(getattr(group, name)) for name in _GROUP_ROWS}
    steps = [dataclasses.replace(st, sk=rows(st.sk), ck=rows(st.ck)) for st in group.steps]
    return dataclasses.replace(group, item=item, cases=group.cases + lo, steps=steps, **moved)


def _case_time_order(cols: EventColumns, wanted: np.ndarray) -> tuple[np.ndarray, bool]:
    """The indices of the ``wanted`` events in (case, instant, input) order, and whether that is
    every event in input order. Input already in that order (events grouped by case in time
    order, as approval systems and the simulator write them) is only checked, not sorted."""
    rows = np.flatnonzero(wanted)
    every = len(rows) == len(wanted)
    case = cols.case if every else cols.case[rows]
    instant = cols.instant if every else cols.instant[rows]
    if len(rows) > 1:
        later_case = case[1:] > case[:-1]
        if (later_case | (case[1:] == case[:-1]) & (instant[1:] >= instant[:-1])).all():
            return rows, every
        return rows[np.lexsort((rows, instant, case))], False
    return rows, every


def choose_evaluator(asked: str, n_cases: int) -> str:
    """``auto`` → ``columnar`` from :data:`AUTO_MIN_CASES` cases on, else ``reference``."""
    if asked != "auto":
        return asked
    return "columnar" if n_cases >= AUTO_MIN_CASES else "reference"
