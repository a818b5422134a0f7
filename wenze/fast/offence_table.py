"""Offences as columns: the input of the columnar ladder stage (:mod:`wenze.fast.columnar`).

evaluate (offences) → **offence table** → ladders → decisions.

An :class:`OffenceTable` holds what the ladder and the sorting of decisions read — violation,
date established, case, subject, person, post, unit, role, circumstances — as numpy columns, and
makes the full :class:`~wenze.engine.evaluate.Offence` of a row (its facts and dates) only when a
decision is materialised. A table is built from offence objects (:meth:`OffenceTable.
from_offences`: the reference's offences, the routed cases of the fast path, targets) or from
arrays by the fast path, and tables are joined with :meth:`OffenceTable.concat`.

String columns (:class:`Strings`) hold codes into a sorted list of distinct names, so comparing
codes compares the strings exactly as Python does (by code point); ``-1`` is ``None``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from wenze.dsl import ast as A
from wenze.engine.decisions import Offence, stable_key
from wenze.engine.lower import Program

__all__ = ["ROLES", "OffenceTable", "Strings", "role_code"]

# Every responsibility (party + degree) seen in this process, coded by its place: the five role
# words first, then others as rulebooks name them (``role_code``; the columnar stage codes a
# program's before it forks, so children agree with their parent).
ROLES: list[A.Responsibility] = [A.Responsibility.of_role(r) for r in A.Role]
ROLE_CODE: dict[A.Responsibility, int] = {r: i for i, r in enumerate(ROLES)}


def role_code(role: A.Responsibility) -> int:
    """The code of a responsibility in ``ROLES`` (added when new)."""
    code = ROLE_CODE.get(role)
    if code is None:
        code = ROLE_CODE[role] = len(ROLES)
        ROLES.append(role)
    return code


@dataclass(frozen=True)
class Strings:
    """A column of optional strings: ``codes`` (int32) index ``names`` (sorted, distinct); -1 is
    ``None``."""

    codes: np.ndarray
    names: list[str]

    @classmethod
    def of(cls, values: Sequence[str | None]) -> Strings:
        names = sorted({v for v in values if v is not None})
        where = {v: i for i, v in enumerate(names)}
        codes = np.fromiter((-1 if v is None else where[v] for v in values), np.int32,
                            len(values))
        return cls(codes, names)

    @classmethod
    def coded(cls, codes: np.ndarray, names: Sequence[str]) -> Strings:
        """From codes into any list of distinct names (-1: None): re-coded into sorted names."""
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names) + 1, np.int32)
        rank[np.asarray(order, np.int64)] = np.arange(len(order), dtype=np.int32)
        rank[-1] = -1
        return cls(rank[codes], [names[i] for i in order])

    def __len__(self) -> int:
        return len(self.codes)

    def value(self, i: int) -> str | None:
        c = int(self.codes[i])
        return None if c < 0 else self.names[c]

    def values(self, rows: np.ndarray | None = None) -> list[str | None]:
        """The values (of ``rows`` only, in their order, if given)."""
        if rows is not None:  # a few: no copy of the names
            names = self.names
            return [names[c] if c >= 0 else None for c in self.codes[rows].tolist()]
        table = [*self.names, None]  # -1 indexes the last slot
        return [table[c] for c in self.codes.tolist()]

    def sort_codes(self) -> np.ndarray:
        """Codes ordering the rows as ``value or ""`` orders them (``None`` sorts as ``""``)."""
        if self.names and self.names[0] == "":
            return np.where(self.codes < 0, 0, self.codes)
        return self.codes

    @staticmethod
    def concat(parts: Sequence[Strings]) -> Strings:
        if parts and all(p.names is parts[0].names or p.names == parts[0].names
                         for p in parts):  # one table of names (or equal ones)
            return Strings(np.concatenate([p.codes for p in parts]), parts[0].names)
        named = [p for p in parts if p.names]
        if all(a.names[-1] < b.names[0] for a, b in pairwise(named)):
            # names in ascending runs (e.g. the cases of consecutive slices): no sorting
            out, names, offset = [], [], 0
            for p in parts:
                out.append(np.where(p.codes < 0, -1, p.codes + offset).astype(np.int32))
                names += p.names
                offset += len(p.names)
            codes = np.concatenate(out) if out else np.zeros(0, np.int32)
            return Strings(codes, names)
        # (each part's names sorted: a sort of the runs joined merges them)
        names = list(dict.fromkeys(sorted(itertools.chain.from_iterable(
            p.names for p in parts))))
        where = {v: i for i, v in enumerate(names)}
        out = []
        for p in parts:
            remap = np.asarray([where[v] for v in p.names] + [-1], np.int32)
            out.append(remap[p.codes])
        codes = np.concatenate(out) if out else np.zeros(0, np.int32)
        return Strings(codes.astype(np.int32, copy=False), names)


Maker = Callable[[np.ndarray], list[Offence]]  # rows of a part → their offences, in order


@dataclass
class OffenceTable:
    """Offences as columns (one row per offence), with the full offence of a row on demand."""

    program: Program
    violation: np.ndarray  # int32: index into program.violations
    established: np.ndarray  # int64: proleptic ordinal of the date established
    case: Strings
    item: Strings
    subject: Strings
    person: Strings
    post: Strings
    unit: Strings
    person_key: Strings  # Offence.person_key: the person, else 岗位:post, else 单位:unit
    role: np.ndarray  # int8: index into ROLES
    act_at: np.ndarray  # float64: Offence.act_at (inf: no act behind the offence)
    circumstances: dict[int, frozenset[str]]  # the rows that have any
    # (first row, maker) per part, by first row: the offences of rows are made by their part
    parts: list[tuple[int, Maker]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.violation)

    def offence(self, i: int) -> Offence:
        """The full offence of row ``i`` (facts and dates included)."""
        k = bisect_right([start for start, _ in self.parts], i) - 1
        start, make = self.parts[k]
        return make(np.asarray([i - start], np.int64))[0]

    def offences(self, rows: np.ndarray) -> list[Offence]:
        """The full offences of ``rows``, in their order: made together, part by part (a part
        makes many offences for much less than as many calls of :meth:`offence`)."""
        rows = np.asarray(rows, np.int64)
        if len(self.parts) == 1:
            start, make = self.parts[0]
            return make(rows - start)
        part = np.searchsorted(np.asarray([start for start, _ in self.parts], np.int64), rows,
                               "right") - 1
        made: list[Offence] = [None] * len(rows)  # type: ignore[list-item]
        for k in np.unique(part).tolist():
            where = np.flatnonzero(part == k)
            start, make = self.parts[k]
            for w, o in zip(where.tolist(), make(rows[where] - start), strict=True):
                made[w] = o
        return made

    def key(self, i: int) -> str:
        """``Offence.key`` of row ``i``, from the columns."""
        return stable_key(self.case.value(i), self.program.violations[int(self.violation[i])].name,
                          self.subject.value(i), self.person_key.value(i),
                          ROLES[int(self.role[i])].value)

    def keys(self, rows: np.ndarray) -> list[str]:
        """``Offence.key`` of each of ``rows`` (the columnar ladder stage computes keys only
        where they decide an order)."""
        rows = np.asarray(rows, np.int64)
        names = [v.name for v in self.program.violations]
        roles = [r.value for r in ROLES]

        def text(s: Strings) -> list[str]:
            names = s.names  # -1 (None) joins as "", as stable_key does
            return [names[c] if c >= 0 else "" for c in s.codes[rows].tolist()]

        sha = hashlib.sha256
        return [sha(f"{c}|{names[v]}|{s}|{p}|{roles[r]}".encode()).hexdigest()[:16]
                for c, v, s, p, r in zip(text(self.case), self.violation[rows].tolist(),
                                         text(self.subject), text(self.person_key),
                                         self.role[rows].tolist(), strict=True)]

    def circumstances_of(self, i: int) -> frozenset[str]:
        return self.circumstances.get(i, frozenset())

    def mismatches(self) -> list[str]:
        """Rows whose columns disagree with their full offence (empty: none). For tests: a table
        made on arrays must say what its offences say."""
        found = []
        for i in range(len(self)):
            o = self.offence(i)
            columns = (self.program.violations[int(self.violation[i])].name,
                       int(self.established[i]), self.case.value(i), self.item.value(i),
                       self.subject.value(i), self.person.value(i), self.post.value(i),
                       self.unit.value(i), self.person_key.value(i), ROLES[int(self.role[i])],
                       self.circumstances_of(i), self.key(i), float(self.act_at[i]))
            made = (o.violation.name, o.established.toordinal(), o.case, o.item, o.subject,
                    o.person, o.post, o.unit, o.person_key, o.role, frozenset(o.circumstances),
                    o.key, np.inf if o.act_at is None else o.act_at)
            if columns != made:
                found.append(f"row {i}: columns {columns} != offence {made}")
        return found

    # ------------------------------------------------------------------ building

    @classmethod
    def from_offences(cls, program: Program, offences: Sequence[Offence]) -> OffenceTable:
        index = {id(v): i for i, v in enumerate(program.violations)}
        n = len(offences)
        kept = list(offences)
        return cls(
            program,
            np.fromiter((index[id(o.violation)] for o in kept), np.int32, n),
            np.fromiter((o.established.toordinal() for o in kept), np.int64, n),
            Strings.of([o.case for o in kept]),
            Strings.of([o.item for o in kept]),
            Strings.of([o.subject for o in kept]),
            Strings.of([o.person for o in kept]),
            Strings.of([o.post for o in kept]),
            Strings.of([o.unit for o in kept]),
            Strings.of([o.person_key for o in kept]),
            np.fromiter((role_code(o.role) for o in kept), np.int8, n),
            np.fromiter((np.inf if o.act_at is None else o.act_at for o in kept), np.float64,
                        n),
            {i: frozenset(o.circumstances) for i, o in enumerate(kept) if o.circumstances},
            [(0, lambda rows: [kept[i] for i in rows.tolist()])],
        )

    @classmethod
    def concat(cls, program: Program, tables: Sequence[OffenceTable]) -> OffenceTable:
        tables = [t for t in tables if len(t)]
        if not tables:
            return cls.from_offences(program, [])
        if len(tables) == 1:
            return tables[0]
        parts: list[tuple[int, Maker]] = []
        circumstances: dict[int, frozenset[str]] = {}
        offset = 0
        for t in tables:
            parts += [(offset + start, make) for start, make in t.parts]
            circumstances.update({offset + i: c for i, c in t.circumstances.items()})
            offset += len(t)

        def strings(name: str) -> Strings:
            return Strings.concat([getattr(t, name) for t in tables])

        return cls(
            program,
            np.concatenate([t.violation for t in tables]),
            np.concatenate([t.established for t in tables]),
            strings("case"), strings("item"), strings("subject"), strings("person"),
            strings("post"), strings("unit"), strings("person_key"),
            np.concatenate([t.role for t in tables]),
            np.concatenate([t.act_at for t in tables]),
            circumstances, parts,
        )

    def take(self, rows: np.ndarray) -> OffenceTable:
        """The offences of ``rows``, in their order, as a table (the full offences made by this
        table's parts when read)."""
        rows = np.asarray(rows, np.int64)
        circumstances: dict[int, frozenset[str]] = {}
        if self.circumstances:
            known = np.asarray(sorted(self.circumstances), np.int64)
            for j in np.flatnonzero(np.isin(rows, known)).tolist():
                circumstances[j] = self.circumstances[int(rows[j])]

        def strings(s: Strings) -> Strings:
            return Strings(s.codes[rows], s.names)

        return OffenceTable(
            self.program, self.violation[rows], self.established[rows], strings(self.case),
            strings(self.item), strings(self.subject), strings(self.person), strings(self.post),
            strings(self.unit), strings(self.person_key), self.role[rows], self.act_at[rows],
            circumstances, [(0, lambda wanted: self.offences(rows[wanted]))])

    def recoded(self, program: Program, violation: np.ndarray) -> OffenceTable:
        """This table read against ``program``, whose violations hold this table's:
        ``violation[c]`` is the code in ``program.violations`` of this table's code ``c``."""
        return dataclasses.replace(self, program=program,
                                   violation=np.asarray(violation, np.int32)[self.violation])

    # ------------------------------------------------------------------ orders

    def ladder_rank(self, rows: np.ndarray) -> np.ndarray:
        """Each of ``rows``' rank (0 … len-1) in ``Offence.ladder_order``: the time of the act
        behind it (none: last), case or "", violation name, subject or "", person key, role
        value — how the ladder takes the offences of one date (never by a hash)."""
        rows = np.asarray(rows, np.int64)
        v_rank, role_rank = self._name_ranks()
        order = np.lexsort((role_rank[self.role[rows]], self.person_key.codes[rows],
                            self.subject.sort_codes()[rows],
                            v_rank[self.violation[rows]] if len(v_rank) else self.violation[rows],
                            self.case.sort_codes()[rows], self.act_at[rows]))
        rank = np.empty(len(rows), np.int64)
        rank[order] = np.arange(len(rows))
        return rank

    def order(self) -> np.ndarray:
        """Row indices in ``Offence.order``: (established, case or "", violation name,
        subject or "", person_key, role value)."""
        v_rank, role_rank = self._name_ranks()
        return np.lexsort((role_rank[self.role], self.person_key.codes,
                           self.subject.sort_codes(), v_rank[self.violation] if len(v_rank)
                           else self.violation, self.case.sort_codes(), self.established))

    def _name_ranks(self) -> tuple[np.ndarray, np.ndarray]:
        """Each violation code's rank by name, and each role code's by value (sort keys)."""
        names = [v.name for v in self.program.violations]
        v_rank = np.empty(len(names), np.int64)
        v_rank[np.asarray(sorted(range(len(names)), key=names.__getitem__), np.int64)] = \
            np.arange(len(names))
        role_rank = np.empty(len(ROLES), np.int64)
        role_rank[np.asarray(sorted(range(len(ROLES)), key=lambda i: ROLES[i].value),
                             np.int64)] = np.arange(len(ROLES))
        return v_rank, role_rank
