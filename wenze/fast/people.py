"""The fast path's people and names: one sorted table of names coding every offence table of a run,
and who held each post when (leaders, A/B cover)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from wenze.dsl import ast as A
from wenze.engine import evaluate as R
from wenze.engine.case import CaseContext
from wenze.engine.decisions import leader_unit_key
from wenze.events.columns import EventColumns
from wenze.fast.offence_table import Strings
from wenze.fast.screening import unit_names


class Names:
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
    concatenating codes. ``rank``: a :class:`Names` code (−1 last) → its code in ``names``;
    ``key_rank``: a person key code (a name's code, else ``size + 1`` + a post's code, else
    ``2 (size + 1)`` + a unit's code, else ``3 (size + 1)`` / ``4 (size + 1)`` + the code of a unit
    that names no deputy / chief leader) → its code in ``key_names`` (person, 岗位:post,
    单位:unit, 单位:unit/分管领导, 单位:unit/主要领导)."""

    def __init__(self, names: Sequence[str]):
        self.size = len(names)
        self.names = sorted(names)
        self.rank = np.full(self.size + 1, -1, np.int32)
        order = np.argsort(np.asarray(names, dtype=object), kind="stable")
        self.rank[order] = np.arange(self.size, dtype=np.int32)
        slot = [*names, ""]  # a key with no post or unit (never made: masked by the caller)
        keys = [*slot, *("岗位:" + n for n in slot), *("单位:" + n for n in slot),
                *(leader_unit_key(n, A.Leader.DEPUTY) for n in slot),
                *(leader_unit_key(n, A.Leader.CHIEF) for n in slot)]
        self.key_names = sorted(set(keys))
        where = {k: i for i, k in enumerate(self.key_names)}
        self.key_rank = np.asarray([where[k] for k in keys], np.int32)

    def strings(self, codes: np.ndarray) -> Strings:
        return Strings(codes, self.names)

    def keys(self, codes: np.ndarray) -> Strings:
        return Strings(codes, self.key_names)

class People:
    """What :func:`wenze.engine.evaluate._responsible` looks up, as arrays over :class:`Names`
    codes: the posts' units and deputy leaders, the units' leaders, the leaders' holders."""

    def __init__(self, ctx: CaseContext, cols: EventColumns):
        program = ctx.program
        names = self.names = Names()
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
        self.screen_unit = names.many(unit_names(program, cols))  # Screen.unit_names
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
