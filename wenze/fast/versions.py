"""A rulebook family on the columnar fast path: the same decisions as
:func:`wenze.engine.versions.evaluate_versions`, byte for byte (docs/semantics.md §10).

The family's rule of time is written once, in :mod:`wenze.engine.versions` (which version
accepts a case and may judge its acts, :func:`~wenze.engine.versions.targets_in_time`, the
从旧兼从轻 choice :func:`~wenze.engine.versions.lighter` and its reasons); this module runs it on
columns:

1. each case's acceptance day (its first 受理, else its first event) on arrays, and from it, once
   per distinct day, the version whose procedure it runs under and the versions whose rules may
   judge its acts (:func:`~wenze.engine.versions.versions_for`);
2. per accepting version, the events it cannot place rejected (for its own cases) and left out
   of its context, as the reference does;
3. per accepting version, its cases screened and judged by
   :func:`wenze.fast.columnar.judge_columns` — **once** for its own rules and those of every
   later version that shares its conditions and powers (:func:`_together`: one program holding
   both versions' violations, each offence's version told by its violation), else once per
   judging version with the program :func:`~wenze.engine.versions.hybrid` makes of the two;
4. the family stage on the offence tables themselves (:func:`_in_time`): one table of every
   offence kept under the version in force when it was established (a version column), sorted
   as the reference sorts them; what the decision date's version makes of each act joined to it
   by :func:`~wenze.engine.versions.offence_key` on arrays; each version's ladder on arrays
   (:func:`wenze.fast.ladder.decide`, decisions not made); per act, 从旧兼从轻 chosen from the
   ladders' sanction columns (:class:`_Choices`);
5. the decisions a lazy :class:`~wenze.fast.ladder.DecisionTable`, as for one version: each
   made once, when read, from the ladder whose sanction applies, with its version and reason.

Cost (docs/scale.md §1 "A rulebook family"): a caseload straddling one revision costs about one
screening more per accepting version than one rulebook, a second ladder over the offence table,
and the join — at 100k cases 1.2× the CPU of one version, decisions' JSON included.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from wenze.dsl import ast as A
from wenze.engine.decisions import Decision, LadderInfo
from wenze.engine.evaluate import EvaluationResult, assemble, periods_of
from wenze.engine.lower import Program
from wenze.engine.versions import (
    VersionProgram,
    decision_key,
    evaluate_versions,
    from_old_or_new,
    hybrid,
    lighter,
    lighter_reason,
    no_version,
    older_reason,
    periods_of_family,
    repealed_reason,
    required_version,
    targets_in_time,
    unplaced_without_case,
    version_on,
    versions_for,
)
from wenze.events.columns import EventColumns, T
from wenze.events.readers import Event, Rejection
from wenze.fast.columnar import (
    JudgedColumns,
    after_as_of,
    context_columns,
    judge_columns,
    rejections,
    unplaced,
)
from wenze.fast.ladder import DecisionTable, decide, decision_order
from wenze.fast.offence_table import OffenceTable, Strings

__all__ = ["evaluate_versions_columnar", "family_evaluator_columnar"]

_NONE = np.iinfo(np.int64).max


def evaluate_versions_columnar(
    versions: Sequence[VersionProgram],
    events: Iterable[Event] | EventColumns,
    as_of: dt.date,
    prior_sanctions: Sequence[Any] = (),
    *,
    rejected: Sequence[Rejection] = (),
    explain: Iterable[str] = (),
    workers: int | None = None,
    stats: dict[str, Any] | None = None,
) -> EvaluationResult:
    """:func:`wenze.engine.versions.evaluate_versions` on columns: the same result, byte for
    byte (see the module). ``--explain`` is the reference's (it needs the day-by-day trace).
    ``stats``, if given, receives per group ``a→r`` (cases accepted under ``a``, judged by the
    rules of ``r``) the screening's figures — one dict for the groups screened together."""
    explain = list(explain)
    cols = events if isinstance(events, EventColumns) else EventColumns.from_events(events)
    if explain:
        return evaluate_versions(versions, cols.events, as_of, prior_sanctions,
                                 rejected=rejected, explain=explain)
    required_version(versions, as_of)  # no version in force on the as-of date: an error
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(versions, cols, as_of, prior_sanctions, rejected, workers,
                         stats if stats is not None else {})
    finally:
        if collecting:
            gc.enable()


def _evaluate(versions: Sequence[VersionProgram], cols: EventColumns, as_of: dt.date,
              prior_sanctions: Sequence[Any], rejected: Sequence[Rejection],
              workers: int | None, stats: dict[str, Any]) -> EvaluationResult:
    after = after_as_of(cols, as_of)
    kept = ~after
    accepted_by, groups, unjudged = _plan(versions, cols, kept, as_of)
    all_rejected = list(rejected)
    placeable: dict[int, np.ndarray] = {}
    for a in sorted(set(a for a, _ in groups)):
        program = versions[a].program
        bad = unplaced(program, cols, after)
        mine = np.r_[accepted_by == a, False][cols.case]
        all_rejected += rejections(program, cols, bad & mine)
        placeable[a] = kept & ~bad
    if len(cols.type) and (cols.case < 0).any():  # no case, no version can place it: reported
        nobody = kept & (cols.case < 0)
        for v in versions:
            nobody &= unplaced(v.program, cols, after)
        all_rejected += unplaced_without_case(versions, cols.events_at(np.flatnonzero(nobody)),
                                              as_of)
    judged: list[_Screened] = []
    for a in sorted(placeable):
        rules = sorted(r for g, r in groups if g == a)
        together = [r for r in rules if r == a or _together(versions[a], versions[r])]
        apart = [r for r in rules if r not in together]
        for judging in [j for j in (together, *([r] for r in apart)) if j]:
            program, owner = _screening_program(versions, a, judging)
            part: dict[str, Any] = {}
            found = judge_columns(program, cols, as_of, placeable[a], accepted_by == a,
                                  workers=workers, stats=part)
            judged.append(_Screened(a, a in judging, found, owner))
            for r in judging:  # (versions judged together share their figures)
                stats[f"{versions[a].label}→{versions[r].label}"] = part
    contexts: dict[int, Any] = {}

    def context(v: VersionProgram) -> Any:
        if id(v) not in contexts:
            contexts[id(v)] = context_columns(v.program, cols, kept, as_of)
        return contexts[id(v)]

    return _in_time(versions, as_of, judged, context, prior_sanctions, unjudged, all_rejected,
                    int(kept.sum()), int(after.sum()))


# the choice each act's decision takes (从旧兼从轻), per row of the family's offence table
_NOW, _OLDER, _REPEALED, _LIGHTER = 0, 1, 2, 3


def _in_time(versions: Sequence[VersionProgram], as_of: dt.date,
             judged: Sequence[_Screened],
             context: Callable[[VersionProgram], Any], prior: Sequence[Any],
             unjudged: list[Any], all_rejected: list[Rejection], n_events: int, after: int
             ) -> EvaluationResult:
    """:func:`~wenze.engine.versions.finish_versions` on the groups' offence tables: the same
    result, its decisions a lazy :class:`~wenze.fast.ladder.DecisionTable` (see the module)."""
    now = required_version(versions, as_of)
    i_now = _index(versions, now)
    family = _Family(versions)
    outs: list[Any] = []
    warnings: list[Any] = []
    traces: dict[str, Any] = {}
    counts: dict[tuple[str, str], list[int]] = {}
    n_cases = 0
    parts: list[OffenceTable] = []  # every group's offences, then the targets'
    kept: list[np.ndarray] = []  # their rows kept, each under the version in force then
    kept_version: list[np.ndarray] = []
    pool: list[np.ndarray] = []  # their rows saying what the decision date's version makes
    offset = 0  # of each act

    def add(table: OffenceTable) -> np.ndarray:
        nonlocal offset
        parts.append(table)
        offset += len(table)
        return np.arange(offset - len(table), offset, dtype=np.int64)

    starts = np.asarray([v.effective_from.toordinal() for v in versions], np.int64)
    ends = np.asarray([_NONE if v.effective_until is None else v.effective_until.toordinal()
                       for v in versions], np.int64)
    for screened in judged:
        group = screened.found
        if screened.own:
            outs += group.outs
            warnings += group.warnings
            unjudged += group.unjudged
            all_rejected += group.rejected
            traces.update(group.traces)
            for key, values in group.counts.items():
                counts[key] = [x + y for x, y in zip(counts.get(key, [0] * 5), values,
                                                     strict=True)]
            n_cases += group.screened
        r = screened.owner[group.table.violation]  # the version judging each offence
        table = family.coded(group.table)
        rows = add(table)
        day = table.established
        in_force = (day >= starts[r]) & (day <= ends[r])
        kept.append(rows[in_force])
        kept_version.append(r[in_force])
        pool.append(rows[r == i_now])
    n_cases += len(outs)
    metrics, targets, now_targets = targets_in_time(versions, now, outs, counts, context)
    kept.append(add(OffenceTable.from_offences(family.program, targets)))
    kept_version.append(np.asarray([_index(versions, version_on(versions, o.established))
                                    for o in targets], np.int64))
    pool.append(add(OffenceTable.from_offences(family.program, now_targets)))
    every = OffenceTable.concat(family.program, parts)
    rows, version = np.concatenate(kept), np.concatenate(kept_version)
    order = every.take(rows).order()  # (offences.sort(key=Offence.order): stable)
    rows, version = rows[order], version[order]
    acts = _Acts(family, every, rows, version, i_now, np.concatenate(pool))
    table, in_time = _person_keys_used([every.take(rows), acts.as_now])
    holder = context(now).holder
    runs: dict[int, tuple[OffenceTable, DecisionTable]] = {}  # each version's ladder
    for r in sorted(set(version.tolist()) - {i_now}):
        program, codes = family.program_for(r)
        mine = table.recoded(program, codes)
        runs[r] = mine, decide(program, mine, prior, as_of, holder)
    program, codes = family.program_for(i_now)
    as_now = in_time.recoded(program, codes)
    runs[i_now] = as_now, decide(program, as_now, prior, as_of, holder)
    decisions = _Choices(versions, now, family, table, version, acts, runs).decisions()
    result = assemble(as_of, [], warnings, metrics, unjudged, all_rejected, traces, n_cases,
                      n_events, after)
    if traces:
        for d in decisions.of_cases(set(traces)):
            traces[d.case].decisions.append(d)  # type: ignore[index]
    return dataclasses.replace(result, decisions=decisions)


def _index(versions: Sequence[VersionProgram], v: VersionProgram | None) -> int:
    return next(i for i, w in enumerate(versions) if w is v)


class _Family:
    """Every version's violations in one list (``program``'s), so that the offence tables of
    all groups join; and each version's program extended by the others' violations, as its
    ladder reads them (each looks its ladder up by name, as ``sanction`` does)."""

    def __init__(self, versions: Sequence[VersionProgram]) -> None:
        self.versions = versions
        seen: dict[int, int] = {}
        violations: list[Any] = []
        for v in versions:
            for x in v.program.violations:
                if id(x) not in seen:
                    seen[id(x)] = len(violations)
                    violations.append(x)
        self.code = seen  # id(violation) → its code in ``violations``
        self.violations = violations
        self.program = dataclasses.replace(versions[0].program, violations=tuple(violations))
        names = [x.name for x in violations]
        distinct = sorted(set(names))
        self.name_rank = np.asarray([distinct.index(n) for n in names] + [-1], np.int64)

    def coded(self, table: OffenceTable) -> OffenceTable:
        """A group's table with the family's violation codes."""
        codes = [self.code[id(x)] for x in table.program.violations]
        return table.recoded(self.program, np.asarray([*codes, -1], np.int32))

    def program_for(self, r: int) -> tuple[Program, np.ndarray]:
        """Version ``r``'s program with the others' violations after its own, and the family's
        violation codes in it."""
        own = self.versions[r].program
        mine = {id(x) for x in own.violations}
        violations = (*own.violations, *(x for x in self.violations if id(x) not in mine))
        program = dataclasses.replace(own, violations=violations) \
            if len(violations) > len(own.violations) else own
        where = {id(x): i for i, x in enumerate(violations)}
        return program, np.asarray([where[id(x)] for x in self.violations] + [-1], np.int32)


class _Acts:
    """What the decision date's version makes of each act of the family's table (joined by
    :func:`~wenze.engine.versions.offence_key` on arrays): ``as_now``, the table its ladder
    runs on (each act of an older version replaced by the decision date's version's offence
    of it, where there is one); ``counted``, whether it still counts the act's (case,
    violation, subject); ``same``, whether the act's decision and its ``as_now`` one have the
    same :func:`~wenze.engine.versions.decision_key`."""

    def __init__(self, family: _Family, every: OffenceTable, rows: np.ndarray,
                 version: np.ndarray, i_now: int, pool: np.ndarray) -> None:
        self.pool = every.take(pool)
        n = len(rows)
        old = version != i_now
        self.counted = np.ones(n, bool)
        self.same = np.ones(n, bool)
        chosen = rows
        if old.any():
            both = np.concatenate([rows, pool])
            name = family.name_rank[every.violation[both]]
            act = _ids([every.case.codes[both], name, every.subject.codes[both]])
            key = _ids([act, every.person_key.codes[both], every.role[both]])
            last = np.full(int(key.max()) + 1, -1, np.int64)
            np.maximum.at(last, key[n:], np.arange(len(pool), dtype=np.int64))
            match = np.where(old, last[key[:n]], -1)
            seen = np.zeros(int(act.max()) + 1, bool)
            seen[act[n:]] = True
            self.counted = seen[act[:n]]
            matched = np.flatnonzero(match >= 0)
            if len(matched):
                mine, other = rows[matched], pool[match[matched]]
                same = every.established[mine] == every.established[other]
                party = [(p or q or u) == (p2 or q2 or u2) for p, q, u, p2, q2, u2 in zip(
                    every.person.values(mine), every.post.values(mine),
                    every.unit.values(mine), every.person.values(other),
                    every.post.values(other), every.unit.values(other), strict=True)]
                self.same[matched] = same & np.asarray(party, bool)
            chosen = rows.copy()
            chosen[matched] = pool[match[matched]]
        self.as_now = every.take(chosen)
        self._counted_names: set[tuple[Any, ...]] | None = None

    def counted_names(self, family: _Family) -> set[tuple[Any, ...]]:
        """The (case, violation, subject) the decision date's version counts, as names."""
        if self._counted_names is None:
            p = self.pool
            names = [family.violations[c].name for c in p.violation.tolist()]
            self._counted_names = set(zip(p.case.values(), names, p.subject.values(),
                                          strict=True))
        return self._counted_names


def _person_keys_used(tables: Sequence[OffenceTable]) -> list[OffenceTable]:
    """Tables sharing one table of person keys (as the takes of one table do), with it cut to
    the keys they use (the ladders look every key up)."""
    names = tables[0].person_key.names
    present = np.zeros(len(names) + 1, bool)
    for t in tables:
        assert t.person_key.names is names
        present[t.person_key.codes] = True
    used = np.flatnonzero(present[:-1])
    if len(used) == len(names):
        return list(tables)
    code = np.full(len(names) + 1, -1, np.int32)
    code[used] = np.arange(len(used), dtype=np.int32)
    kept = [names[i] for i in used.tolist()]
    return [dataclasses.replace(t, person_key=Strings(code[t.person_key.codes], kept))
            for t in tables]


def _ids(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One int64 per row, equal where the rows are equal on every column."""
    ids = np.zeros(len(columns[0]), np.int64)
    for c in columns:
        c = np.asarray(c, np.int64)
        if not len(c):
            return ids
        c = c - c.min()
        _, ids = np.unique(ids * (int(c.max()) + 1) + c, return_inverse=True)
        ids = ids.reshape(-1).astype(np.int64)
    return ids


class _Choices:
    """Each act's decision, chosen by 从旧兼从轻 from the ladders' columns and made once, when
    read: the family's lazy :class:`DecisionTable`."""

    def __init__(self, versions: Sequence[VersionProgram], now: VersionProgram,
                 family: _Family, table: OffenceTable, version: np.ndarray, acts: _Acts,
                 runs: Mapping[int, tuple[OffenceTable, DecisionTable]]) -> None:
        self.versions, self.now, self.family = versions, now, family
        self.table, self.version = table, version
        self.runs = {r: run for r, (_, run) in runs.items()}
        i_now = _index(versions, now)
        self.i_now = i_now
        self.as_now = runs[i_now][0]
        n = len(table)
        self.kind = np.full(n, _NOW, np.int8)
        new_sanction, new_ladder = _rulings(runs[i_now][1], self.as_now)
        self.sanction: list[str | None] = list(new_sanction)
        self.old_sanction: dict[int, str | None] = {}
        memo: dict[tuple[Any, ...], bool] = {}
        for r, (ruled, run) in runs.items():
            if r == i_now:
                continue
            v = versions[r]
            mine = np.flatnonzero(version == r)
            sanction, ladder = _rulings(run, ruled, mine)
            kinds = []
            for i, s, lad, counted, same in zip(mine.tolist(), sanction, ladder,
                                                acts.counted[mine].tolist(),
                                                acts.same[mine].tolist(), strict=True):
                self.old_sanction[i] = s
                if not counted:
                    kinds.append(_REPEALED)
                    self.sanction[i] = None
                    continue
                if same:
                    key = (r, s, lad, new_sanction[i], new_ladder[i])
                    light = memo.get(key)
                    if light is None:
                        light = memo[key] = lighter(v, now, s, lad, new_sanction[i],
                                                    new_ladder[i])
                    if light:
                        kinds.append(_LIGHTER)
                        continue
                kinds.append(_OLDER)
                self.sanction[i] = s
            self.kind[mine] = np.asarray(kinds, np.int8)
        self.joint, self.trigger = self._joint(acts)
        self._reasons: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._both_bases: dict[tuple[int, int], tuple[Any, ...]] = {}

    def _joint(self, acts: _Acts) -> tuple[list[Decision], list[int]]:
        """The joint (连带) decisions kept (each in the run of the version of the act that
        triggered it, chosen as the reference chooses), and a row of that act."""
        versions, now, i_now = self.versions, self.now, self.i_now
        if not any(run.joint_decisions() for run in self.runs.values()):
            return [], []
        t = self.table
        names = [self.family.violations[c].name for c in t.violation.tolist()]
        acts: set[tuple[Any, ...]] = set()  # (case, violation, established, version)
        at: dict[tuple[Any, ...], int] = {}  # the same and the subject → a row
        for i, (case, name, subject, day, r) in enumerate(zip(
                t.case.values(), names, t.subject.values(), t.established.tolist(),
                self.version.tolist(), strict=True)):
            acts.add((case, name, day, r))
            at.setdefault((case, name, day, r, subject), i)
        new = {decision_key(d): d for d in self.runs[i_now].joint_decisions()}
        joint, trigger = [], []
        for r in sorted(self.runs):
            for d in self.runs[r].joint_decisions():
                act = (d.case, d.violation, d.established.toordinal(), r)
                if act not in acts:
                    continue
                row = at.get((*act, d.subject))
                if row is None:  # (the act's row with the decision's subject: always one)
                    row = next(i for k, i in at.items() if k[:4] == act)
                joint.append(from_old_or_new(d, versions[r], now, new.get(decision_key(d)),
                                             acts.counted_names(self.family)))
                trigger.append(row)
        return joint, trigger

    def decisions(self) -> DecisionTable:
        t = self.table
        order = decision_order(self.family.program, t, self.joint, np.asarray(self.trigger,
                                                                             np.int64))
        return DecisionTable(order, self.make, self.joint, self._columns(order), t.keys)

    def _columns(self, order: np.ndarray) -> dict[str, Strings]:
        """The summary columns (sanction, violation, unit, case), in decision order."""
        t, n = self.table, len(self.table)
        rows = np.where(order >= 0, order, 0)
        joint = order < 0
        j = np.where(joint, -1 - order, 0)

        def column(codes: np.ndarray, names: list[str], values: list[str | None]) -> Strings:
            both = Strings.concat([Strings(codes, names), Strings.of(values)])
            out = both.codes[rows]
            if joint.any():
                out = np.where(joint, both.codes[len(codes) + j], out)
            return Strings(out.astype(np.int32), both.names)

        decided = Strings.of(self.sanction)
        violation = Strings.of([x.name for x in self.family.violations] + [None])
        units = Strings.concat([t.unit, self.as_now.unit])
        from_now = (self.kind == _NOW) | (self.kind == _LIGHTER)
        unit = np.where(from_now, units.codes[n:], units.codes[:n])
        js = self.joint
        return {
            "sanction": column(decided.codes, decided.names, [d.sanction for d in js]),
            "violation": column(violation.codes[t.violation], violation.names,
                                [d.violation for d in js]),
            "unit": column(unit, units.names, [d.unit for d in js]),
            "case": column(t.case.codes, t.case.names, [d.case for d in js]),
        }

    def make(self, rows: np.ndarray) -> list[Decision]:
        """The decisions of the family table's ``rows``, in their order."""
        versions, now = self.versions, self.now
        kind = self.kind[rows]
        from_now = (kind == _NOW) | (kind == _LIGHTER)
        made: list[Decision] = [None] * len(rows)  # type: ignore[list-item]
        where = np.flatnonzero(from_now)
        if len(where):
            lighter = kind[where] == _LIGHTER
            picked = rows[where]
            old = {i: (int(r), int(c)) for i, r, c in zip(
                np.flatnonzero(lighter).tolist(), self.version[picked[lighter]],
                self.table.violation[picked[lighter]], strict=True)}
            for k, (w, i, d) in enumerate(zip(where.tolist(), picked.tolist(),
                                              self.runs[self.i_now].made(picked), strict=True)):
                if k not in old:
                    made[w] = _amended(d, version=now.label)
                    continue
                r, c = old[k]
                reason = self._lighter_reason(r, self.old_sanction[i], d.sanction)
                made[w] = _amended(d, ladder=_reasoned(d.ladder, reason),
                                   basis=self._bases(c, d.basis), version=now.label)
        version = self.version[rows]
        for r in np.unique(version[~from_now]).tolist():
            v = versions[r]
            where = np.flatnonzero(~from_now & (version == r))
            older, repealed = older_reason(v, now), repealed_reason(v, now)
            for w, k, d in zip(where.tolist(), kind[where].tolist(),
                               self.runs[r].made(rows[where]), strict=True):
                if k == _REPEALED:
                    made[w] = _amended(d, sanction=None, ladder=_reasoned(d.ladder, repealed),
                                       version=v.label)
                else:
                    made[w] = _amended(d, ladder=_reasoned(d.ladder, older), version=v.label)
        return made


    def _lighter_reason(self, r: int, old: str | None, new: str | None) -> tuple[str, str]:
        key = (r, old, new)
        reason = self._reasons.get(key)
        if reason is None:
            reason = self._reasons[key] = lighter_reason(self.versions[r], self.now, old, new)
        return reason

    def _bases(self, violation: int, new: tuple[Any, ...]) -> tuple[Any, ...]:
        """Both versions' bases: the act's violation's (a family code) and the new one's."""
        key = (violation, id(new))
        both = self._both_bases.get(key)
        if both is None:
            old = self.family.violations[violation].basis
            both = self._both_bases[key] = tuple(dict.fromkeys((*old, *new)))
        return both


def _amended(made: Any, **changes: Any) -> Any:
    """``dataclasses.replace(made, **changes)`` for a record just made here and read by no one
    else (a decision, its ladder's why): the fields copied, not checked again by ``__init__``
    (a fifth of the cost; a family's every decision is amended)."""
    amended = object.__new__(type(made))
    fields = amended.__dict__
    fields.update(made.__dict__)
    fields.update(changes)
    return amended


def _reasoned(ladder: LadderInfo | None, reason: tuple[str, str]) -> LadderInfo | None:
    """:func:`~wenze.engine.versions.with_reason` for a ladder's why just made here."""
    return _amended(ladder, reasons=(*ladder.reasons, reason)) if ladder else None


def _rulings(run: DecisionTable, table: OffenceTable, rows: np.ndarray | None = None
             ) -> tuple[list[str | None], list[str | None]]:
    """Of the offences at ``rows`` of ``table`` (all if None): the sanction ``run`` gives each
    and the ladder that gives it (None: the violation has none), read from the columns."""
    codes = run.codes()
    own = np.flatnonzero(codes >= 0)
    place = np.empty(len(table), np.int64)
    place[codes[own]] = own
    program = table.program
    ladders = [x.ladder if x.ladder and x.ladder in program.ladders else None
               for x in program.violations]
    sanctions = run.sanctions()
    wanted = np.arange(len(table)) if rows is None else rows
    return ([sanctions[p] for p in place[wanted].tolist()],
            [ladders[c] for c in table.violation[wanted].tolist()])


def _plan(versions: Sequence[VersionProgram], cols: EventColumns, kept: np.ndarray,
          as_of: dt.date) -> tuple[np.ndarray, set[tuple[int, int]], list[Any]]:
    """Per case code: the index of the version it was accepted under (-1: none, or no event);
    the (accepting, judging) groups with cases; the cases accepted when no version was in
    force (not judged), in case order."""
    n_cases = len(cols.case_names)
    with_case = kept & (cols.case >= 0)
    first = _least(cols.case[with_case], cols.day[with_case], n_cases)
    accepted = with_case & (cols.type == T["accepted"])
    first_accepted = _least(cols.case[accepted], cols.day[accepted], n_cases)
    day = np.where(first_accepted < _NONE, first_accepted, first)
    groups: set[tuple[int, int]] = set()
    unjudged: list[Any] = []
    days, on_day = np.unique(day, return_inverse=True)
    by_day = np.full(len(days), -1, np.int64)  # the version accepting on each day
    for i, d in enumerate(days.tolist()):
        if d == _NONE:
            continue
        a, rules = versions_for(versions, dt.date.fromordinal(d), as_of)
        if a is None:
            continue
        by_day[i] = a
        groups.update((a, r) for r in rules)
    accepted_by = by_day[on_day.reshape(-1)]
    for c in np.flatnonzero((accepted_by < 0) & (day < _NONE)).tolist():
        unjudged.append(no_version(cols.case_names[c], dt.date.fromordinal(int(day[c]))))
    return accepted_by, groups, unjudged


@dataclasses.dataclass
class _Screened:
    """The cases accepted under version ``accepted`` judged together by the rules of some
    versions (its own among them when ``own``): ``owner[c]``, the version whose violation
    ``c`` of the screening program is."""

    accepted: int
    own: bool
    found: JudgedColumns
    owner: np.ndarray


def _together(procedure: VersionProgram, rules: VersionProgram) -> bool:
    """Whether the cases accepted under ``procedure`` can be judged by its own rules and those
    of ``rules`` in one screening (one program holding both versions' violations): the facts
    a case's acts give are the same under both (the powers each act requires), and a violation
    both name has the same condition (the screening reads each violation's condition by
    name)."""
    a, r = procedure.program, rules.program
    if a.act_powers != r.act_powers or {id(x) for x in a.violations} & {
            id(x) for x in r.violations}:
        return False
    mine, theirs = a.rulebook.named(A.ViolationDecl), r.rulebook.named(A.ViolationDecl)
    return all(isinstance(mine[n], A.ViolationDecl) and isinstance(theirs[n], A.ViolationDecl)
               and mine[n].condition == theirs[n].condition  # type: ignore[attr-defined]
               for n in mine.keys() & theirs.keys())


def _least(case: np.ndarray, value: np.ndarray, n_cases: int) -> np.ndarray:
    """Per case code: the least of its rows' ``value`` (:data:`_NONE` for none)."""
    least = np.full(n_cases, _NONE, np.int64)
    if len(case) and (case[1:] >= case[:-1]).all():  # (events grouped by case: no scatter)
        starts = np.flatnonzero(np.r_[True, case[1:] != case[:-1]])
        least[case[starts]] = np.minimum.reduceat(value, starts)
    elif len(case):
        np.minimum.at(least, case, value)
    return least


def _screening_program(versions: Sequence[VersionProgram], a: int, rules: Sequence[int]
                       ) -> tuple[Program, np.ndarray]:
    """The program judging the cases accepted under version ``a`` by the rules of the versions
    ``rules`` (:func:`_together`, when several: their violations one after the other, each
    version's conditions readable by name), and per violation of it the version whose it is.
    With a case's own version (whose cases are counted in the metrics), its targets list every
    period some version counts by, so the screening counts them all (each version's metrics
    then take their own periods' counts); targets are read by nothing else here."""
    program = hybrid(versions[a].program, versions[rules[0]].program)
    owner = [rules[0]] * len(program.violations)
    if len(rules) > 1:
        violations = list(program.violations)
        decls = list(program.rulebook.decls)
        named = set(program.rulebook.named(A.ViolationDecl))
        for r in rules[1:]:
            theirs = versions[r].program
            violations += theirs.violations
            owner += [r] * len(theirs.violations)
            for decl in theirs.rulebook.decls:
                if isinstance(decl, A.ViolationDecl) and decl.name.text not in named:
                    named.add(decl.name.text)
                    decls.append(decl)
        program = dataclasses.replace(
            program, violations=tuple(violations),
            rulebook=dataclasses.replace(program.rulebook, decls=tuple(decls)))
    periods = periods_of_family(versions)
    if a not in rules or periods == periods_of(program):
        return program, np.asarray(owner, np.int64)
    some = next(t for v in versions for t in v.program.targets.values())
    targets = {f"#{p.value}": dataclasses.replace(some, name=f"#{p.value}", period=p)
               for p in sorted(periods, key=lambda p: p.value)}
    return dataclasses.replace(program, targets=targets), np.asarray(owner, np.int64)


def family_evaluator_columnar(versions: Sequence[VersionProgram]) -> Any:
    """:func:`wenze.engine.versions.family_evaluator` on the columnar fast path."""

    def run(_program: Any, events: Iterable[Event] | EventColumns, as_of: dt.date,
            prior_sanctions: Sequence[Any] = (), **options: Any) -> EvaluationResult:
        return evaluate_versions_columnar(versions, events, as_of, prior_sanctions,
                                          rejected=options.get("rejected", ()),
                                          explain=options.get("explain", ()))

    return run
