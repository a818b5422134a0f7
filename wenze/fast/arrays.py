"""The fast path's arrays: working-day calendars and clock suspensions on numpy arrays, conditions
evaluated over columns, and per-case first-row lookups."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from wenze.dsl import ast as A
from wenze.dsl.facts import lookup as lookup_fact
from wenze.engine.lower import DayIndex

# --------------------------------------------------------------------------- calendars on arrays


class DayArrays:
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

    def count(self, start: np.ndarray, end: np.ndarray, sus: SuspensionArrays) -> np.ndarray:
        n = self.between(start, end)
        h = sus.rows  # the suspension's days in the range are not counted
        if len(h):
            lo = np.maximum(sus.a[h] - 1, start[h])
            hi = np.minimum(sus.b[h], end[h])
            n[h] -= self.between(lo, hi)  # 0 where hi <= lo
        return n

    def deadline(self, start: np.ndarray, amount: int, sus: SuspensionArrays
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
class SuspensionArrays:
    """At most one listed suspension range per case (inclusive days a…b)."""

    has: np.ndarray
    a: np.ndarray
    b: np.ndarray

    def take(self, rows: np.ndarray) -> SuspensionArrays:
        return SuspensionArrays(self.has[rows], self.a[rows], self.b[rows])

    @functools.cached_property
    def rows(self) -> np.ndarray:
        """The rows that have a suspension."""
        return np.flatnonzero(self.has)

# --------------------------------------------------------------------------- conditions on arrays


class NotVectorised(Exception):
    """A condition this module does not evaluate on arrays: its cases go to the reference."""

_NONE = object()

def vector_condition(expr: A.Expr | None, env: Mapping[str, np.ndarray], n: int) -> np.ndarray:
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
            raise NotVectorised(expr.name.text)
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

def first_per_case(case_of: np.ndarray, rows: np.ndarray, n_cases: int) -> np.ndarray:
    """Index (into the sorted event arrays) of the first row of each case among ``rows`` (which
    are in order), -1 where none."""
    out = np.full(n_cases, -1, np.int64)
    if len(rows):
        c = case_of[rows]
        first = np.ones(len(rows), bool)
        first[1:] = c[1:] != c[:-1]
        out[c[first]] = rows[first]
    return out

def first_per_case_and_key(case_of: np.ndarray, rows: np.ndarray, keys: np.ndarray,
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

def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for integers in a small range (unit codes,
    day ordinals), by counting instead of sorting."""
    if not len(values):
        return values[:0], np.zeros(0, np.int64)
    low = int(values.min())
    seen = np.bincount(values - low) > 0
    uniq = np.flatnonzero(seen)
    code = np.cumsum(seen) - 1
    return uniq + low, code[values - low]

def no_suspensions(m: int) -> SuspensionArrays:
    z = np.zeros(m, np.int64)
    return SuspensionArrays(np.zeros(m, bool), z, z)
