"""The ladder stage on columns: an :class:`~wenze.fast.offence_table.OffenceTable` in, a lazy
sequence of decisions out — the same decisions as :func:`wenze.engine.evaluate.finish`.

evaluate (offence table) → **ladders on arrays** → decisions (made one by one when read).

:func:`finish_columnar` is :func:`~wenze.engine.evaluate.finish` for a table of offences: metrics
and target offences by the reference's own code (they are few), then per ladder (in name order,
as :func:`wenze.engine.sanction.sanction` goes) the semantics of :mod:`wenze.engine.ladder`
computed on numpy arrays:

- processing order (date established, then ``Offence.ladder_order``: the time of the act behind
  the offence, case, violation, subject, person, role — one rank per row, by one lexsort,
  :meth:`~wenze.fast.offence_table.OffenceTable.ladder_rank`): one person's offences on one
  date are put in that order where it changes a level (an exemption, a circumstance, two
  escalation rows among them; otherwise the group is put in order only when one of its
  decisions is read), so are the offences of a unit on the date its joint-liability count is
  reached and the few with circumstances; keys (SHA-256) are computed for the decisions that
  tie on every other sorting field;
- the count in the window (rolling N months, calendar year or none) of the person's earlier
  sanctions — this run's non-exempt ones and the prior sanctions — by sorting, cumulative sums and
  binary search; the escalation row from the ordinal; exemptions and 从重/从轻 (rows with
  circumstances only, one by one with the ladder module's own ``_adjust``); the same-level count
  of ``累计 N 次`` consequences likewise;
- joint liability (连带): the unit's count in the window on arrays, the one offence per unit and
  date where it reaches N found by key order, then the "fires once per window" rule sequentially
  over those candidates only;
- a ladder the reference would refuse (duplicate offence keys, no levels, a rolling window
  without months) is handed to the reference, which raises its own :class:`~wenze.engine.ladder.
  LadderError`.

The decisions come back as a :class:`DecisionTable`: a read-only sequence (like a tuple) that
keeps the arrays and makes :class:`~wenze.engine.decisions.Decision` *i* — its facts, its
:class:`~wenze.engine.decisions.LadderInfo` and reasons — only when it is read, with the
reference's own text; decisions read together (iteration, slices) are made in batches, each
array read once per batch. Summaries (decisions per sanction, violation, unit or case; the keys)
are read from the columns without making the decisions.

``tests/fast/test_ladder_columnar.py`` proves the JSON document the same as ``finish``'s, byte
for byte.

One module on purpose (~980 lines): the ladder on arrays is one algorithm, the reference's ladder in
the same order, with its lazily made decisions; its parts share the per-ladder arrays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np

from wenze.dsl import ast as A
from wenze.engine import evaluate as R
from wenze.engine import ladder as L
from wenze.engine import sanction as S
from wenze.engine.case import CaseContext, CaseTrace
from wenze.engine.decisions import Decision, LadderInfo, Warning
from wenze.engine.lower import Program, ViolationIR, bases_of
from wenze.events.readers import Rejection
from wenze.fast.offence_table import ROLES, OffenceTable, Strings

__all__ = ["DecisionColumns", "DecisionTable", "decide", "decision_order", "finish_columnar"]

_SHIFT = 32  # group << 32 | date ordinal: one sortable int64 per (group, date)
BATCH = 512  # decisions made together when many are read (iteration, slices)
DESCRIBED = 1 << 17  # descriptions of earlier sanctions kept per ladder (~0.5 kB each)


def _leader_codes() -> np.ndarray:
    """Per role code: whether it is a leader's responsibility."""
    return np.asarray([L.is_leader(r) for r in ROLES], bool)


def finish_columnar(ctx: CaseContext, outs: Sequence[R.MetricRow], table: OffenceTable,
                    warnings: list[Warning], unjudged: Sequence[R.Unjudged],
                    all_rejected: list[Rejection], traces: dict[str, CaseTrace], n_cases: int,
                    n_events: int, after: int, prior_sanctions: Sequence[Any] = (),
                    counts: Mapping[tuple[str, str], Sequence[int]] | None = None
                    ) -> R.EvaluationResult:
    """:func:`wenze.engine.evaluate.finish` with the offences as a table: the same result (its
    ``decisions`` a lazy :class:`DecisionTable`). The rows of ``table`` stand for the offences
    ``finish`` is given, in the same order."""
    program, as_of = ctx.program, ctx.as_of
    metrics = R.metrics_of(ctx, outs, counts)
    targets = R.target_offences(ctx, metrics)
    if targets:
        table = OffenceTable.concat(program, [table, OffenceTable.from_offences(program, targets)])
    decisions = decide(program, table, prior_sanctions, as_of, ctx.holder)
    if traces:
        for d in decisions.of_cases(set(traces)):
            traces[d.case].decisions.append(d)  # type: ignore[index]
    warnings.sort(key=lambda w: (-{"notice": 1, "yellow": 2, "red": 3}[w.level], w.deadline,
                                 w.case, w.step or ""))
    all_rejected.sort(key=lambda r: (r.source or "", r.line or 0, r.event_id or "", r.code))
    return R.EvaluationResult(
        as_of, decisions, tuple(warnings), tuple(metrics), tuple(all_rejected),
        tuple(unjudged), traces, n_cases, n_events, after,
    )


# --------------------------------------------------------------------------- the decisions


@dataclasses.dataclass(frozen=True)
class DecisionColumns:
    """Some decisions of a :class:`DecisionTable` as columns, one row each, without making them:
    what each one's :meth:`~wenze.engine.decisions.Decision.to_json` would hold.

    ``joint`` holds the joint decisions among them, made, with their places; the other rows are
    ``places`` and the columns (all of their length) hold their values: codes into the
    violations, the roles (``roles``, :data:`~wenze.fast.offence_table.ROLES`) and the strings'
    names (-1: ``None``), dates established as proleptic ordinals."""

    as_of: dt.date
    violations: Sequence[ViolationIR]
    roles: Sequence[A.Responsibility]
    keys: list[str]
    case: Strings
    item: Strings
    subject: Strings
    person: Strings
    post: Strings
    unit: Strings
    violation: np.ndarray
    role: np.ndarray
    established: np.ndarray
    sanctions: list[str | None]
    ladders: list[LadderInfo | None]
    facts: list[tuple[tuple[str, Any], ...]]
    dates: list[tuple[tuple[str, dt.date | None], ...]]
    places: np.ndarray | None = None  # of the rows above among all (None: every one)
    joint: tuple[tuple[int, Decision], ...] = ()  # (place, decision)
    count: int = -1  # how many decisions in all (-1: as many as rows)

    def __len__(self) -> int:
        return len(self.keys) if self.count < 0 else self.count


class DecisionTable(Sequence[Decision]):
    """The decisions of a run, sorted as the reference sorts them, made when read.

    A read-only sequence that behaves like a tuple of :class:`Decision`: ``len``, indexing
    (negative too), slicing (a tuple), iteration, ``in``, ``index``, ``count``, ``==`` (equal to
    a tuple or another ``DecisionTable`` with equal decisions in the same order; like a tuple, never
    equal to a list) and ``hash``. Each access makes the decision anew (nothing is kept: the
    table stays the size of its arrays); iteration and slices make them in batches of up to
    :data:`BATCH`, which costs a fraction of making them one by one.

    Cheap summaries, read from the columns without making any decision:

    - :meth:`sanctions`, :meth:`violations`, :meth:`units`, :meth:`cases`: that field of every
      decision, in order (``None`` where the decision has none);
    - :meth:`count_by` (``"sanction"``, ``"violation"``, ``"unit"``, ``"case"``): a
      :class:`~collections.Counter` of that field;
    - :meth:`keys`: every decision's key, in order (this computes a SHA-256 per decision);
    - :meth:`of_cases`: the decisions about some cases, made.
    """

    __slots__ = ("_columns", "_columns_of", "_joint", "_make", "_order")

    def __init__(self, order: np.ndarray, make: Callable[[np.ndarray], list[Decision]],
                 joint: Sequence[Decision], columns: Mapping[str, Strings],
                 keys: Callable[[np.ndarray], list[str]],
                 columns_of: Callable[[np.ndarray], DecisionColumns] | None = None) -> None:
        self._order = order  # int64: ≥ 0 a row of the offence table, < 0 joint decision -1-j
        self._make = make
        self._joint = tuple(joint)
        self._columns = (columns, keys)
        self._columns_of = columns_of

    # -- the sequence

    def __len__(self) -> int:
        return len(self._order)

    def _at(self, code: int) -> Decision:
        return self._make(np.asarray([code], np.int64))[0] if code >= 0 else \
            self._joint[-1 - code]

    def _made(self, codes: np.ndarray) -> list[Decision]:
        """The decisions of ``codes`` (a run of ``_order``), made together, the cyclic garbage
        collector paused meanwhile (making a batch makes no reference cycles; the collector
        would scan its new objects again and again, and every object of the program too)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            made = iter(self._make(codes[codes >= 0]))
            joint = self._joint
            return [next(made) if c >= 0 else joint[-1 - c] for c in codes.tolist()]
        finally:
            if collecting:
                gc.enable()

    @overload
    def __getitem__(self, i: int) -> Decision: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Decision, ...]: ...

    def __getitem__(self, i: int | slice) -> Decision | tuple[Decision, ...]:
        if isinstance(i, slice):
            codes = self._order[i]
            return tuple(d for lo in range(0, len(codes), BATCH)
                         for d in self._made(codes[lo:lo + BATCH]))
        n = len(self._order)
        j = i.__index__()
        if j < 0:
            j += n
        if not 0 <= j < n:
            raise IndexError("decision index out of range")
        return self._at(int(self._order[j]))

    def __iter__(self) -> Iterator[Decision]:
        order, lo, size = self._order, 0, 32  # the first few soon, then full batches
        while lo < len(order):
            yield from self._made(order[lo:lo + size])
            lo += size
            size = min(2 * size, BATCH)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DecisionTable | tuple):
            return len(self) == len(other) and all(
                a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<DecisionTable of {len(self)} decisions>"

    # -- the decisions as columns

    def has_columns(self) -> bool:
        """Whether :meth:`decision_columns` can give this table's decisions as columns."""
        return self._columns_of is not None

    def decision_columns(self, start: int, stop: int) -> DecisionColumns:
        """Decisions ``start:stop`` as :class:`DecisionColumns`: their values read from the
        arrays, no :class:`Decision` made but the joint ones (see :meth:`has_columns`)."""
        if self._columns_of is None:
            raise TypeError("this table has no columns of its decisions")
        codes = self._order[start:stop]
        own = codes >= 0
        collecting = gc.isenabled()
        gc.disable()  # (as in _made: many new objects, no cycles)
        try:
            made = self._columns_of(codes[own])
        finally:
            if collecting:
                gc.enable()
        if own.all():
            return made
        joint = self._joint
        places = np.flatnonzero(~own)
        return dataclasses.replace(
            made, places=np.flatnonzero(own), count=len(codes),
            joint=tuple((p, joint[-1 - c]) for p, c in zip(places.tolist(),
                                                           codes[places].tolist(),
                                                           strict=True)))

    # -- summaries from the columns

    def _column(self, name: str) -> list[str | None]:
        columns, _ = self._columns
        return columns[name].values()

    def sanctions(self) -> list[str | None]:
        """Each decision's sanction (``None``: exempt, or no ladder), in order."""
        return self._column("sanction")

    def violations(self) -> list[str]:
        """Each decision's violation, in order."""
        return self._column("violation")  # type: ignore[return-value]

    def units(self) -> list[str | None]:
        """Each decision's unit, in order."""
        return self._column("unit")

    def cases(self) -> list[str | None]:
        """Each decision's case (``None`` for a target's), in order."""
        return self._column("case")

    def count_by(self, field: str) -> Counter[str | None]:
        """How many decisions have each value of ``field`` (sanction, violation, unit or case)."""
        columns, _ = self._columns
        s = columns[field]
        codes, n = np.unique(s.codes, return_counts=True)
        return Counter({(None if c < 0 else s.names[c]): int(k)
                        for c, k in zip(codes.tolist(), n.tolist(), strict=True)})

    def keys(self) -> list[str]:
        """Each decision's key, in order (a SHA-256 each: not free, but no decision is made)."""
        _, keys = self._columns
        rows = self._order[self._order >= 0]
        made = iter(keys(rows))
        return [next(made) if c >= 0 else self._joint[-1 - c].key
                for c in self._order.tolist()]

    def of_rows(self, rows: np.ndarray) -> list[Decision]:
        """The decisions of the offences at ``rows`` of the offence table, and every joint
        decision, made, in order."""
        codes = self._order[np.isin(self._order, rows) | (self._order < 0)]
        return [d for lo in range(0, len(codes), BATCH) for d in self._made(codes[lo:lo + BATCH])]

    def of_cases(self, cases: set[str]) -> list[Decision]:
        """The decisions whose case is one of ``cases``, made, in order."""
        columns, _ = self._columns
        s = columns["case"]
        wanted = np.asarray([i for i, name in enumerate(s.names) if name in cases], np.int32)
        codes = self._order[np.flatnonzero(np.isin(s.codes, wanted))]
        return [d for lo in range(0, len(codes), BATCH) for d in self._made(codes[lo:lo + BATCH])]

    # -- for a table built on this one's (a rulebook family's, :mod:`wenze.fast.versions`)

    def codes(self) -> np.ndarray:
        """Each decision's code, in order: ≥ 0 the row of the offence table it decides, < 0 the
        joint decision ``-1 - code`` of :meth:`joint_decisions` (read-only)."""
        codes = self._order.view()
        codes.flags.writeable = False
        return codes

    def joint_decisions(self) -> tuple[Decision, ...]:
        """The joint (连带) decisions, made (they are few), in the order they were made."""
        return self._joint

    def made(self, codes: np.ndarray) -> list[Decision]:
        """The decisions of ``codes`` (as :meth:`codes` gives them, in any order), made
        together."""
        codes = np.asarray(codes, np.int64)
        return [d for lo in range(0, len(codes), BATCH) for d in self._made(codes[lo:lo + BATCH])]


# --------------------------------------------------------------------------- the ladder stage


def decide(program: Program, table: OffenceTable, prior: Sequence[Any], as_of: dt.date,
           holder: Callable[[str, dt.date], str | None] | None = None) -> DecisionTable:
    """:func:`wenze.engine.sanction.sanction` followed by ``finish``'s sort, on a table: the
    decisions of its offences (and of joint liability), sorted, as a :class:`DecisionTable`."""
    priors = [S.prior_of(L, p) for p in prior]
    n = len(table)
    names = sorted({v.ladder for v in program.violations
                    if v.ladder and v.ladder in program.ladders})
    ladder_of_violation = np.asarray(
        [names.index(v.ladder) if v.ladder and v.ladder in program.ladders else -1
         for v in program.violations] + [-1], np.int32)
    row_ladder = ladder_of_violation[table.violation] if n else np.zeros(0, np.int32)
    runs: list[_LadderRun | None] = []
    joint: list[Decision] = []
    joint_rows: list[int] = []  # the offence row that triggered each joint decision
    for li, name in enumerate(names):
        rows = np.flatnonzero(row_ladder == li)
        if not len(rows):
            runs.append(None)
            continue
        mine = [p for ladder, p in priors if ladder in (None, name)]
        run = _LadderRun(program, table, name, rows, mine, as_of)
        runs.append(run)
        for trigger, decision in run.joint_decisions(holder):
            joint.append(decision)
            joint_rows.append(trigger)

    def make(rows: np.ndarray) -> list[Decision]:
        """The decisions of offence rows ``rows``, in their order."""
        offences = table.offences(rows)
        keys = table.keys(rows)
        ladder = row_ladder[rows]
        ladders = np.unique(ladder).tolist()
        if len(ladders) == 1 and ladders[0] >= 0:  # (mostly: one ladder)
            return runs[ladders[0]].decisions(rows, offences, keys)  # type: ignore[union-attr]
        made: list[Decision] = [None] * len(rows)  # type: ignore[list-item]
        for li in ladders:
            where = np.flatnonzero(ladder == li).tolist()
            run = runs[li] if li >= 0 else None
            if run is None:
                decisions = [S.make_decision(offences[w], as_of, None, None, key=keys[w])
                             for w in where]
            else:
                decisions = run.decisions(rows[where], [offences[w] for w in where],
                                          [keys[w] for w in where])
            for w, d in zip(where, decisions, strict=True):
                made[w] = d
        return made

    def rulings(rows: np.ndarray) -> list[tuple[str | None, LadderInfo | None]]:
        """(the sanction, the ladder's why) of offence rows ``rows``, in their order."""
        ladder = row_ladder[rows]
        ladders = np.unique(ladder).tolist()
        if len(ladders) == 1 and ladders[0] >= 0:  # (mostly: one ladder)
            return runs[ladders[0]].rulings(rows)  # type: ignore[union-attr,return-value]
        made: list[tuple[str | None, LadderInfo | None]] = [(None, None)] * len(rows)
        for li in ladders:
            run = runs[li] if li >= 0 else None
            if run is None:
                continue  # no ladder: no sanction, no why
            where = np.flatnonzero(ladder == li)
            for w, ruling in zip(where.tolist(), run.rulings(rows[where]), strict=True):
                made[w] = ruling
        return made

    def columns_of(rows: np.ndarray) -> DecisionColumns:
        """The decisions of offence rows ``rows`` as columns (no decision made)."""
        offences = table.offences(rows)
        ruled = rulings(rows)
        return DecisionColumns(
            as_of=as_of, violations=program.violations, roles=ROLES, keys=table.keys(rows),
            case=Strings(table.case.codes[rows], table.case.names),
            item=Strings(table.item.codes[rows], table.item.names),
            subject=Strings(table.subject.codes[rows], table.subject.names),
            person=Strings(table.person.codes[rows], table.person.names),
            post=Strings(table.post.codes[rows], table.post.names),
            unit=Strings(table.unit.codes[rows], table.unit.names),
            violation=table.violation[rows], role=table.role[rows],
            established=table.established[rows], sanctions=[s for s, _ in ruled],
            ladders=[why for _, why in ruled], facts=[o.facts for o in offences],
            dates=[o.dates for o in offences])

    order = _sorted(program, table, joint, np.asarray(joint_rows, np.int64))
    columns = _columns(table, runs, row_ladder, joint, order)
    return DecisionTable(order, make, joint, columns, table.keys, columns_of)


def _sorted(program: Program, table: OffenceTable, joint: Sequence[Decision],
            trigger: np.ndarray) -> np.ndarray:
    """The decisions in ``finish``'s order: (established, case or "", violation, subject or "",
    person or "", role value, key), ties kept in the order ``sanction`` made them. Codes ≥ 0 are
    offence rows, < 0 joint decisions (-1-j)."""
    n, m = len(table), len(joint)
    v_names = [v.name for v in program.violations]
    v_rank = _rank(v_names)
    role_rank = _rank([r.value for r in ROLES])
    person = Strings.concat([table.person, Strings.of([d.person for d in joint])])
    established = np.concatenate([table.established, table.established[trigger]])
    case = table.case.sort_codes()
    subject = table.subject.sort_codes()
    violation = v_rank[table.violation] if len(v_names) else table.violation
    role_codes = np.asarray([ROLES.index(d.role) for d in joint], np.int64)
    columns = (
        np.concatenate([role_rank[table.role], role_rank[role_codes]]),
        person.sort_codes(),
        np.concatenate([subject, subject[trigger]]),
        np.concatenate([violation, violation[trigger]]),
        np.concatenate([case, case[trigger]]),
        established,
    )
    # ties on every field but the key: only equal keys (which a ladder refuses) or two joint
    # decisions keep their order of making; rows before joint decisions, as a stable sort would
    # not need to decide (the key differs)
    packed = _pack(columns)
    order = _sort_packed(packed)
    codes = np.concatenate([np.arange(n, dtype=np.int64), -1 - np.arange(m, dtype=np.int64)])
    if n + m > 1:
        same = _tied(packed, order)
        if same.any():
            order = _by_key_in_ties(table, joint, order, same)
    return codes[order]


def _by_key_in_ties(table: OffenceTable, joint: Sequence[Decision], order: np.ndarray,
                    same: np.ndarray) -> np.ndarray:
    n = len(table)
    order = order.copy()
    starts = np.flatnonzero(same & ~np.concatenate([[False], same[:-1]]))
    for s in starts.tolist():
        e = s + 1
        while e < len(same) and same[e]:
            e += 1
        run = order[s:e + 1].tolist()  # (lexsort is stable: in order of making within)
        rows = np.asarray([i for i in run if i < n], np.int64)
        keys = dict(zip(rows.tolist(), table.keys(rows), strict=True))
        run.sort(key=lambda i: keys[i] if i < n else joint[i - n].key)
        order[s:e + 1] = run
    return order


def _columns(table: OffenceTable, runs: Sequence[_LadderRun | None], row_ladder: np.ndarray,
             joint: Sequence[Decision], order: np.ndarray) -> dict[str, Strings]:
    """The summary columns of the decisions, in decision order."""
    n = len(table)
    sanction_names = sorted({s for run in runs if run is not None for s in run.names}
                            | {d.sanction for d in joint if d.sanction is not None})
    where = {s: i for i, s in enumerate(sanction_names)}
    level = np.full(n, -1, np.int32)
    for run in runs:
        if run is None:
            continue
        remap = np.asarray([where[s] for s in run.names] + [-1], np.int32)
        level[run.rows] = remap[np.where(run.exempt, -1, run.level)]
    rows = np.where(order >= 0, order, 0)
    is_joint = order < 0
    j = np.where(is_joint, -1 - order, 0)

    def column(s: Strings, joint_values: list[str | None]) -> Strings:
        if not joint_values:
            return Strings(s.codes[rows], s.names)
        extra = Strings.of(joint_values)
        both = Strings.concat([s, extra])
        codes = both.codes[rows]
        if is_joint.any():
            codes = np.where(is_joint, both.codes[n + j], codes)
        return Strings(codes, both.names)

    v_names = [v.name for v in table.program.violations]
    named = Strings.of(v_names)  # (two violations may share a name)
    violation = Strings(named.codes[table.violation], named.names)
    sanction_codes = np.where(is_joint, np.asarray(
        [where[d.sanction] if d.sanction is not None else -1 for d in joint] or [-1],
        np.int32)[j], level[rows]) if len(order) else np.zeros(0, np.int32)
    return {
        "sanction": Strings(sanction_codes.astype(np.int32), sanction_names),
        "violation": column(violation, [d.violation for d in joint]),
        "unit": column(table.unit, [d.unit for d in joint]),
        "case": column(table.case, [d.case for d in joint]),
    }


def decision_order(program: Program, table: OffenceTable, joint: Sequence[Decision],
                   trigger: np.ndarray) -> np.ndarray:
    """The codes (≥ 0 rows of ``table``, < 0 joint decisions ``-1 - j``) of the decisions of
    ``table``'s offences and of ``joint`` (each triggered by the row ``trigger[j]``) in
    ``finish``'s order, as :func:`decide` sorts its own."""
    return _sorted(program, table, joint, np.asarray(trigger, np.int64))


def _lexsort(keys: Sequence[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys)`` (the last key most significant, stable), with neighbouring keys
    packed into one int64 while their value ranges fit in 63 bits (fewer passes)."""
    return _sort_packed(_pack(keys))


def _sort_packed(packed: list[np.ndarray]) -> np.ndarray:
    if len(packed) == 1:
        return np.argsort(packed[0], kind="stable")
    return np.lexsort(packed[::-1])


def _tied(packed: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """same[i]: rows order[i] and order[i + 1] are equal on every key."""
    same = np.ones(max(len(order) - 1, 0), bool)
    for k in packed:
        s = k[order]
        same &= s[1:] == s[:-1]
    return same


def _pack(keys: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The keys (last most significant) packed, most significant first."""
    packed: list[np.ndarray] = []
    current: np.ndarray | None = None
    bits = 0
    for k in reversed(keys):  # most significant first
        k = np.asarray(k, np.int64)
        if len(k):
            k = k - k.min()
        width = int(k.max()).bit_length() if len(k) else 0
        if current is not None and bits + width <= 63:
            current = current << width | k
            bits += width
        else:
            if current is not None:
                packed.append(current)
            current, bits = k, width
    if current is not None:
        packed.append(current)
    return packed


def _rank(values: Sequence[str]) -> np.ndarray:
    """rank[i]: the place of values[i] among the values sorted (equal values, equal rank)."""
    distinct = sorted(set(values))
    where = {v: i for i, v in enumerate(distinct)}
    return np.asarray([where[v] for v in values], np.int64)


def _in_windows(group: np.ndarray, day: np.ndarray, first: np.ndarray,
                counted: np.ndarray) -> np.ndarray:
    """For rows sorted by (group, day, processing order): how many earlier rows of the same group
    that are ``counted`` lie in the window [first, day] (first ≤ day, 0 for no first day)."""
    comp = group.astype(np.int64) << _SHIFT | day
    lo = np.searchsorted(comp, group.astype(np.int64) << _SHIFT | first, "left")
    cum = np.zeros(len(comp) + 1, np.int64)
    np.cumsum(counted, out=cum[1:])
    return cum[:-1] - cum[lo]


class _Priors:
    """Prior sanctions of one ladder by person (or unit) code, sorted by (code, date), the ties
    in ``ladder.prior_order``."""

    def __init__(self, records: list[L.PriorSanction], code: np.ndarray) -> None:
        keep = np.flatnonzero(code >= 0)
        by = keep[np.argsort(code[keep], kind="stable")]
        self.records = [records[i] for i in by.tolist()]
        self.day = np.asarray([p.on.toordinal() for p in self.records], np.int64)
        self.code = code[by].astype(np.int64)
        self.comp = self.code << _SHIFT | self.day

    def bounds(self, code: np.ndarray, first: np.ndarray, day: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        c = code.astype(np.int64) << _SHIFT
        return (np.searchsorted(self.comp, c | first, "left"),
                np.searchsorted(self.comp, c | day, "right"))


class _LadderRun:
    """One ladder applied to its rows of the table (``ladder.apply_ladder`` on arrays)."""

    def __init__(self, program: Program, table: OffenceTable, name: str, rows: np.ndarray,
                 prior: list[L.PriorSanction], as_of: dt.date) -> None:
        self.program, self.table, self.name, self.as_of = program, table, name, as_of
        self.ladder = ladder = program.ladders[name]
        self.rows = rows
        self.prior = sorted(prior, key=L.prior_order)
        levels = L.levels_of(ladder)
        if not levels or self._duplicates() or (
                ladder.window is not None and ladder.window.kind is A.WindowKind.ROLLING_MONTHS
                and (ladder.window.months is None or ladder.window.months < 1)):
            self._refused()  # the reference raises its own LadderError
        self.levels = levels
        esc = sorted(ladder.escalations, key=lambda e: (e.count, e.or_more))
        extra = [e.sanction.text for e in esc if e.sanction.text not in levels]
        self.names = levels + sorted(set(extra), key=extra.index)  # level codes index these
        m = len(rows)
        self.pos = np.full(len(table), -1, np.int64)  # table row → position in rows
        self.pos[rows] = np.arange(m)
        self.day = table.established[rows]
        days, inverse = np.unique(self.day, return_inverse=True)
        self.spans = {int(d): L.window_of(ladder.window, dt.date.fromordinal(int(d)))
                      for d in days.tolist()}
        firsts = np.asarray([0 if self.spans[d][0] is None else self.spans[d][0].toordinal()
                             for d in days.tolist()], np.int64)
        self.first = firsts[inverse.reshape(-1)]
        self.texts: dict[int, L.Reason] = {}
        self.escalation: dict[int, tuple[A.Escalation | None, L.Reason | None]] = {}
        self._described: dict[int, L.Reason] = {}
        self._lazy_made: dict[int, list[int]] = {}
        self.person = table.person_key.codes[rows]
        self._keys: dict[int, str] = {}  # position → offence key, where computed
        # position → rank in Offence.ladder_order: how offences of one date are taken
        self.rank = table.ladder_rank(rows)

        # exemptions and the rows a circumstance may adjust
        known_adjust = {c.name.text for c in (*ladder.aggravating, *ladder.mitigating)}
        exemptions = {n.text for n in ladder.exemptions}
        self.known = exemptions | known_adjust
        self.exempt = np.zeros(m, bool)
        adjusting = []
        for r, circs in table.circumstances.items():
            p = int(self.pos[r])
            if p < 0:
                continue
            if circs & exemptions:
                self.exempt[p] = True
            elif circs & known_adjust:
                adjusting.append(p)

        # the person's earlier sanctions in the window: prior ones and this run's
        where = {v: i for i, v in enumerate(table.person_key.names)}
        self.person_prior = _Priors(self.prior, np.asarray(
            [where.get(p.person, -1) for p in self.prior], np.int64))
        lo, hi = self.person_prior.bounds(self.person, self.first, self.day)
        self.prior_bounds = (lo, hi)  # of the person's prior sanctions in the window
        self.esc_counts = np.asarray(sorted({e.count for e in esc}), np.int64)
        adjusts = np.zeros(m, bool)
        adjusts[np.asarray(adjusting, np.int64)] = True
        self.by_person = self._person_order(adjusts, hi - lo)
        issued = _in_windows(self.person[self.by_person], self.day[self.by_person],
                             self.first[self.by_person], ~self.exempt[self.by_person])
        self.place = np.empty(m, np.int64)  # position → place in by_person
        self.place[self.by_person] = np.arange(m)
        self.person_comp = (self.person[self.by_person].astype(np.int64) << _SHIFT
                            | self.day[self.by_person])
        self.issued_cum = np.zeros(m + 1, np.int64)
        np.cumsum(~self.exempt[self.by_person], out=self.issued_cum[1:])
        self.issued_places = np.flatnonzero(~self.exempt[self.by_person])
        self.earlier = issued[self.place] + (hi - lo)

        # the escalation row and the level
        self.level = self._base_levels(esc)
        self.adjusted: dict[int, tuple[list[L.Adjustment], list[L.Reason]]] = {}
        for p in sorted(adjusting, key=lambda p: (int(self.day[p]), int(self.rank[p]))):
            self._adjust(p)

        self.same_level = self._same_levels() if any(
            c.cumulative > 1 for c in ladder.consequences) else None

    # -- refusals and keys

    def _duplicates(self) -> bool:
        """Whether two rows have the same offence key (computed from codes: ``None`` and ``""``
        join alike; a name with ``|`` makes every key be computed)."""
        t, rows = self.table, self.rows
        if len(rows) < 2:
            return False
        if any("|" in "\n".join(col.names) for col in (t.case, t.subject, t.person_key)) or any(
                "|" in v.name for v in self.program.violations):
            keys = t.keys(rows)
            return len(set(keys)) < len(keys)
        v_rank = _rank([v.name for v in self.program.violations])
        cols = (t.role[rows].astype(np.int64), t.person_key.sort_codes()[rows],
                t.subject.sort_codes()[rows], v_rank[t.violation[rows]],
                t.case.sort_codes()[rows])
        packed = _pack(cols)
        return bool(_tied(packed, _sort_packed(packed)).any())

    def _refused(self) -> None:
        offences = [self.table.offence(int(r)) for r in self.rows]
        offences.sort(key=lambda o: o.order)
        S.apply_ladder(L, self.program, self.name, offences, self.prior, self.as_of, None)
        raise AssertionError(f"ladder {self.name!r}: the reference accepted what the columnar "
                             f"stage refused")

    def key(self, p: int) -> str:
        k = self._keys.get(p)
        if k is None:
            k = self._keys[p] = self.table.keys(self.rows[p:p + 1])[0]
        return k

    def keys(self, positions: np.ndarray) -> list[str]:
        missing = [p for p in positions.tolist() if p not in self._keys]
        if missing:
            made = self.table.keys(self.rows[np.asarray(missing, np.int64)])
            self._keys.update(zip(missing, made, strict=True))
        return [self._keys[p] for p in positions.tolist()]

    def _key_rank(self, positions: np.ndarray) -> np.ndarray:
        """The ladder order among ``positions`` (rank 0 … len-1)."""
        rank = np.empty(len(positions), np.int64)
        rank[np.argsort(self.rank[positions], kind="stable")] = np.arange(len(positions))
        return rank

    def _person_order(self, adjusts: np.ndarray, prior: np.ndarray) -> np.ndarray:
        """Positions sorted by (person, date, key) — except inside a *lazy* group.

        A person's offences on one date are ordered by their keys. A group of them that has no
        exemption and no adjusting circumstance, and whose ordinals all fall on the same
        escalation row, gets one level whatever their order: its only order-dependent values are
        each row's ordinal (and same-level count), consecutive inside the group, and the order of
        the earlier sanctions listed in reasons. Such a group is left in row order here
        (``self.lazy``) and put in key order only when one of its decisions is made
        (:meth:`_true_order`); every other group of several offences is ordered by key now."""
        m = len(self.rows)
        comp = self.person.astype(np.int64) << _SHIFT | self.day
        order = np.argsort(comp, kind="stable")  # ties in row order
        comp = comp[order]
        heads = np.flatnonzero(np.concatenate([[True], comp[1:] != comp[:-1]])) if m else \
            np.zeros(0, np.int64)
        sizes = np.diff(np.append(heads, m))
        start = np.repeat(heads, sizes)
        end = start + np.repeat(sizes, sizes)
        self.group_start, self.group_end = start, end
        self.lazy = np.zeros(m, bool)  # per place
        if m < 2 or not (sizes > 1).any():
            return order
        special = (self.exempt | adjusts)[order]
        special_group = np.maximum.reduceat(special, heads)
        issued = _in_windows(self.person[order], self.day[order], self.first[order],
                             ~self.exempt[order])
        ordinal = issued + prior[order] + 1  # exact where the group has nothing special
        step = np.searchsorted(self.esc_counts, ordinal, "right")
        same_row = step[heads] == step[end[heads] - 1]
        lazy_group = (end[heads] - start[heads] > 1) & ~special_group & same_row
        self.lazy = np.repeat(lazy_group, end[heads] - start[heads])
        eager = (end - start > 1) & ~self.lazy
        if not eager.any():
            return order
        places = np.flatnonzero(eager)  # whole groups, in place order
        rank = self._key_rank(order[places])
        order = order.copy()
        order[places] = order[places][_lexsort((rank, comp[places]))]
        return order  # lazy groups and lone offences keep row order

    def _true_order(self, start: int) -> list[int]:
        """The positions of the lazy group at place ``start``, in key order."""
        made = self._lazy_made.get(start)
        if made is None:
            members = self.by_person[start:int(self.group_end[start])].tolist()
            made = self._lazy_made[start] = sorted(members, key=lambda p: int(self.rank[p]))
        return made

    def _at_place(self, q: int) -> int:
        """The position at place ``q`` of the person order, lazy groups in key order."""
        if self.lazy[q]:
            g = int(self.group_start[q])
            return self._true_order(g)[q - g]
        return int(self.by_person[q])

    def _lazy_shift(self, p: int) -> int:
        """True place − place of position ``p`` (0 outside lazy groups)."""
        q = int(self.place[p])
        if not self.lazy[q]:
            return 0
        g = int(self.group_start[q])
        return g + self._true_order(g).index(p) - q

    # -- levels

    def _base_levels(self, esc: list[A.Escalation]) -> np.ndarray:
        codes = {s: i for i, s in enumerate(self.names)}
        m = len(self.rows)
        if not esc:
            return np.zeros(m, np.int32)
        counts = self.esc_counts
        chosen_at = [next(e for e in esc if e.count == c) for c in counts.tolist()]
        by_count = np.asarray([codes[e.sanction.text] for e in chosen_at], np.int32)
        idx = np.searchsorted(counts, self.earlier + 1, "right") - 1
        below = codes[esc[0].sanction.text]
        return np.where(idx >= 0, by_count[np.maximum(idx, 0)], below).astype(np.int32)

    def _adjust(self, p: int) -> None:
        ladder, circs = self.ladder, self.table.circumstances[int(self.rows[p])]
        level = self.names[int(self.level[p])]
        adjustments: list[L.Adjustment] = []
        reasons: list[L.Reason] = []
        for group, aggravating in ((ladder.aggravating, True), (ladder.mitigating, False)):
            for circ in group:
                if circ.name.text in circs:
                    level, adj, why = L.adjust_level(ladder, self.levels, level, circ, aggravating)
                    adjustments.append(adj)
                    reasons.append(why)
        self.level[p] = self.names.index(level)
        self.adjusted[p] = (adjustments, reasons)

    def _same_levels(self) -> np.ndarray:
        """1 + the person's earlier sanctions of the same level in the window (non-exempt rows;
        prior sanctions by their sanction name)."""
        k = len(self.names)
        group = self.person.astype(np.int64) * (k + 1) + self.level
        order = self.by_person[np.lexsort((np.arange(len(self.rows)),
                                           group[self.by_person]))]
        issued = _in_windows(group[order], self.day[order], self.first[order],
                             ~self.exempt[order])
        same = np.empty(len(self.rows), np.int64)
        same[order] = issued
        where = {v: i for i, v in enumerate(self.table.person_key.names)}
        level_of = {s: i for i, s in enumerate(self.names)}
        prior_group = np.asarray(
            [where[p.person] * (k + 1) + level_of[p.sanction]
             if p.person in where and p.sanction in level_of else -1 for p in self.prior],
            np.int64)
        priors = _Priors(self.prior, prior_group)
        lo, hi = priors.bounds(group, self.first, self.day)
        return 1 + same + (hi - lo)

    # -- joint liability

    def joint_decisions(self, holder: Callable[[str, dt.date], str | None] | None
                        ) -> list[tuple[int, Decision]]:
        """(the triggering offence's table row, the decision) of each joint sanction, in the
        order ``sanction.apply_ladder`` makes them."""
        ladder, table = self.ladder, self.table
        if not ladder.joint:
            return []
        unit = table.unit.codes[self.rows]
        counted = np.flatnonzero(~self.exempt & (unit >= 0)
                                 & ~_leader_codes()[table.role[self.rows]])
        if not len(counted):
            return []
        by_unit = counted[_lexsort((self.day[counted], unit[counted]))]
        u, d, first = unit[by_unit].astype(np.int64), self.day[by_unit], self.first[by_unit]
        comp = u << _SHIFT | d
        lo = np.searchsorted(comp, u << _SHIFT | first, "left")
        start = np.searchsorted(comp, comp, "left")
        end = np.searchsorted(comp, comp, "right")
        where = {v: i for i, v in enumerate(table.unit.names)}
        unit_prior = _Priors(self.prior, np.asarray(
            [where.get(p.unit, -1) if p.unit is not None else -1 for p in self.prior], np.int64))
        plo, phi = unit_prior.bounds(u, first, d)
        base = (phi - plo) + (start - lo)  # counted before the date's first offence
        heads = np.flatnonzero(start == np.arange(len(by_unit)))
        candidates = []  # (date, unit, rule, head)
        for i, rule in enumerate(ladder.joint):
            hit = heads[(base[heads] < rule.count) & (rule.count <= base[heads] + end[heads]
                                                       - start[heads])]
            candidates += [(int(d[h]), int(u[h]), i, int(h)) for h in hit.tolist()]
        candidates.sort()
        fired: dict[tuple[int, int], int] = {}
        found: list[tuple[int, int, int, list[Any], list[int]]] = []
        for day, code, i, h in candidates:
            last = fired.get((i, code))
            if last is not None and last >= int(first[h]):
                continue  # already fired for this unit inside the window
            fired[(i, code)] = day
            rule = ladder.joint[i]
            same_day = by_unit[start[h]:end[h]]
            same_day = same_day[np.argsort(self.rank[same_day], kind="stable")]
            rank = rule.count - int(base[h]) - 1
            before = by_unit[lo[h]:start[h]]
            before = sorted(before.tolist(), key=lambda p: (int(self.day[p]), int(self.rank[p])))
            issued = before + same_day[:rank + 1].tolist()
            prior = unit_prior.records[int(plo[h]):int(phi[h])]
            found.append((day, code, i, prior, issued))
        return self._joint_made(found, holder)

    def _joint_made(self, found: list[tuple[int, int, int, list[Any], list[int]]],
                    holder: Callable[[str, dt.date], str | None] | None
                    ) -> list[tuple[int, Decision]]:
        ladder, table, name = self.ladder, self.table, self.name
        program = self.program
        leaders = {u.name: {r: p for r, p in ((A.Role.CHIEF_LEADER, u.chief_leader),
                                              (A.Role.DEPUTY_LEADER, u.deputy_leader)) if p}
                   for u in program.units.values()}
        sanctions: list[tuple[tuple, int, L.JointSanction]] = []
        for day, code, i, prior, issued in found:
            rule = ladder.joint[i]
            unit = table.unit.names[code]
            on = dt.date.fromordinal(day)
            span = self.spans[day]
            wtext = self.window_text(day)
            items = sorted([(p.on.toordinal(), L.describe_prior(p)) for p in prior]
                           + [(int(self.day[p]), self._describe(p)) for p in issued],
                           key=lambda x: x[0])
            assert len(items) == rule.count
            for role in rule.roles:
                person = leaders.get(unit, {}).get(role)
                reasons = L.joint_reasons(rule, role, unit, wtext, [r for _, r in items], person)
                j = L.JointSanction(unit, role, person, rule.sanction.text, on, rule.count, span,
                                    tuple(self.key(p) for p in issued), tuple(prior),
                                    tuple(reasons))
                sort = (j.on, j.unit, j.count, L.ROLE_ORDER[j.role], j.sanction)
                sanctions.append((sort, issued[-1], j))
        sanctions.sort(key=lambda x: x[0])
        if not sanctions:
            return []
        joint_basis = bases_of(name, ladder.basis, program.documents)
        out = []
        seen = self._seen()
        for _, trigger_p, j in sanctions:
            post = j.person
            if post is None:
                continue
            r = int(self.rows[trigger_p])
            trigger = table.offence(r)
            if seen(r, post):
                continue  # the leader already answers for this very offence
            out.append((r, S.joint_decision(trigger, j, name, ladder.window, post, self.as_of,
                                            holder, joint_basis)))
        return out

    def _seen(self) -> Callable[[int, str], bool]:
        """Whether one of this ladder's decisions has the (case, subject, violation) of a row and
        ``post or person`` equal to a post (``sanction.apply_ladder``'s ``seen``)."""
        t, rows = self.table, self.rows
        v_rank = _rank([v.name for v in self.program.violations])
        comp = np.stack([t.case.codes[rows].astype(np.int64), t.subject.codes[rows],
                         v_rank[t.violation[rows]]])
        order = np.lexsort(comp[::-1])
        keyed = comp[:, order]

        def seen(r: int, post: str) -> bool:
            want = (int(t.case.codes[r]), int(t.subject.codes[r]), int(v_rank[t.violation[r]]))
            lo, hi = 0, keyed.shape[1]
            for level in range(3):  # narrow the range field by field
                row = keyed[level, lo:hi]
                lo, hi = (lo + int(np.searchsorted(row, want[level], "left")),
                          lo + int(np.searchsorted(row, want[level], "right")))
            for p in order[lo:hi].tolist():
                q = int(rows[p])
                if (t.post.value(q) or t.person.value(q)) == post:
                    return True
            return False

        return seen

    # -- making a decision

    def window_text(self, day: int) -> L.Reason:
        text = self.texts.get(day)
        if text is None:
            text = self.texts[day] = L.window_text(self.ladder.window, self.spans[day])
        return text

    def _describe(self, p: int) -> L.Reason:
        """``ladder._describe_offence`` of position ``p`` (the latest :data:`DESCRIBED` kept: a
        person's decisions list the same earlier sanctions of the window — at 1M cases about as
        many as a year's decisions — and decisions are mostly read in date order, so the oldest
        are dropped)."""
        made = self._described.get(p)
        if made is not None:
            return made
        t = self.table
        r = int(self.rows[p])
        on = dt.date.fromordinal(int(self.day[p]))
        case = t.case.value(r)
        violation = self.program.violations[int(t.violation[r])].name
        level = self.names[int(self.level[p])]
        case_zh = f" 案件 {case}" if case else ""
        case_en = f" case {case}" if case else ""
        made = L.Reason(f"{on} 「{violation}」{case_zh} 「{level}」",
                        f"{on} 「{violation}」{case_en} 「{level}」")
        if len(self._described) >= DESCRIBED:
            for oldest in list(itertools.islice(self._described, DESCRIBED // 4)):
                del self._described[oldest]
        self._described[p] = made
        return made

    def _counted(self, p: int, q: int, a: int, b: int, lo_p: int, hi_p: int
                 ) -> tuple[list[L.Reason], int]:
        """The latest LISTED_EARLIER earlier sanctions of the person at place ``q`` (position
        ``p``) in the window, and how many there are in all: this run's between the cumulative
        counts ``a`` and ``b`` (the window's start, the place), prior ones between ``lo_p`` and
        ``hi_p``."""
        at = self._at_place
        earlier = [at(x) for x in self.issued_places[max(a, b - L.LISTED_EARLIER):b].tolist()]
        describe = self._describe
        issued = [describe(x) for x in earlier]
        if hi_p <= lo_p:
            return issued, b - a
        day = self.day
        records = self.person_prior.records[max(lo_p, hi_p - L.LISTED_EARLIER):hi_p]
        merged = sorted([(r.on.toordinal(), L.describe_prior(r)) for r in records]
                        + [(int(day[x]), d) for x, d in zip(earlier, issued, strict=True)],
                        key=lambda x: x[0])[-L.LISTED_EARLIER:]
        return [d for _, d in merged], (b - a) + (hi_p - lo_p)

    def decisions(self, rows: np.ndarray, offences: Sequence[R.Offence], keys: Sequence[str]
                  ) -> list[Decision]:
        """The decisions of table rows ``rows`` (of this ladder; their offences and keys), in
        their order: the arrays read once for all of them."""
        as_of = self.as_of
        return [S.make_decision(off, as_of, level, info, key=key)
                for off, key, (level, info) in zip(offences, keys, self.rulings(rows),
                                                   strict=True)]

    def rulings(self, rows: np.ndarray) -> list[tuple[str | None, LadderInfo]]:
        """(the sanction, why) of table rows ``rows`` (of this ladder), in their order: what
        their decisions hold from the ladder, the arrays read once for all of them."""
        p = self.pos[rows]
        q = self.place[p]
        # the start of each one's window in the person order: this run's sanctions counted
        window_start = self.person_comp.searchsorted(
            self.person[p].astype(np.int64) << _SHIFT | self.first[p])
        same_level = self.same_level[p].tolist() if self.same_level is not None else None
        columns = zip(p.tolist(), rows.tolist(), self.day[p].tolist(),
                      self.earlier[p].tolist(), self.exempt[p].tolist(),
                      self.level[p].tolist(), q.tolist(), self.lazy[q].tolist(),
                      self.issued_cum[window_start].tolist(), self.issued_cum[q].tolist(),
                      self.prior_bounds[0][p].tolist(), self.prior_bounds[1][p].tolist(),
                      strict=True)
        made = []
        for k, (p_, r, day, earlier, exempt, level, q_, lazy, a, b, lo_p,
                hi_p) in enumerate(columns):
            shift = self._lazy_shift(p_) if lazy else 0
            if shift:
                b = int(self.issued_cum[q_ + shift])
            made.append(self._ruling(
                p_, r, day, earlier, exempt, level,
                same_level[k] if same_level is not None else None, shift,
                self._counted(p_, q_ + shift, a, b, lo_p, hi_p) if not exempt else ([], 0)))
        return made

    def _ruling(self, p: int, r: int, day: int, earlier: int, exempt: bool, level_code: int,
                same_level: int | None, shift: int, counted: tuple[list[L.Reason], int]
                ) -> tuple[str | None, LadderInfo]:
        """The sanction and the ladder's reasons of position ``p`` (table row ``r``) from its
        values in the arrays."""
        ladder = self.ladder
        wtext = self.window_text(day)
        circs = self.table.circumstances_of(r)
        notes = [L.Reason(f"情节 {L.quoted(c)} 不在本阶梯的从重、从轻、免责之列，未予考虑",
                          f"circumstance {L.quoted(c)} is not one this ladder names; "
                          "not considered")
                 for c in sorted(circs - self.known)] if circs else []
        if exempt:
            exempt_by = [e.text for e in ladder.exemptions if e.text in circs]
            also = "、".join(L.quoted(e) for e in exempt_by[1:])
            reasons = [L.Reason(
                f"免责：{L.quoted(exempt_by[0])}" + (f"（另有 {also}）" if also else "")
                + "，不予问责，不计入次数",
                f"exempt: {L.quoted(exempt_by[0])}"
                + (f" (also {', '.join(L.quoted(e) for e in exempt_by[1:])})" if also else "")
                + "; no sanction, not counted"), *notes]
            info = LadderInfo(name=self.name, step=None, count_in_window=earlier,
                              window=wtext.zh, reasons=tuple((x.zh, x.en) for x in reasons),
                              adjustments=(), exempt_by=exempt_by[0], consequences=())
            return None, info

        earlier += shift
        ordinal = earlier + 1
        found = self.escalation.get(ordinal)
        if found is None:
            if len(self.escalation) > 4096:
                self.escalation.clear()
            found = self.escalation[ordinal] = L.escalation_row(ladder, ordinal)
        row, note = found
        base = row.sanction.text if row is not None else self.levels[0]
        listed, total = counted
        reasons = [L.count_reason(ordinal, wtext, listed, total - len(listed), base)]
        if row is None:
            reasons.append(L.Reason("阶梯未规定次数，取最低等级",
                                    "the ladder has no escalation rows; its lowest level applies"))
        elif note is not None:
            reasons.append(note)
        adjustments, why = self.adjusted.get(p, ([], []))
        reasons += why
        reasons += notes
        level = self.names[level_code]
        same_level = same_level + shift if same_level is not None else 1
        consequences: list[str] = []
        for c in ladder.consequences:
            if c.sanction.text == level and same_level >= c.cumulative:
                consequences.append(c.text)
                if c.cumulative > 1:
                    reasons.append(L.Reason(
                        f"后果：{wtext.zh} 内第 {same_level} 次 {L.quoted(level)}"
                        f"（累计 {c.cumulative} 次）→ {c.text}",
                        f"consequence: {L.ordinal_en(same_level)} {L.quoted(level)} in {wtext.en} "
                        f"(cumulative {c.cumulative}) → {c.text}"))
                else:
                    reasons.append(L.Reason(f"后果：{L.quoted(level)} → {c.text}",
                                            f"consequence: {L.quoted(level)} → {c.text}"))
        info = LadderInfo(
            name=self.name, step=row.count if row else None, count_in_window=ordinal,
            window=wtext.zh, reasons=tuple([(x.zh, x.en) for x in reasons]),
            adjustments=tuple([S.adjustment_text(a) for a in adjustments]),
            exempt_by=None, consequences=tuple(consequences))
        return level, info
