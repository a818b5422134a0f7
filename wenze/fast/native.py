"""The fast path's native cases: the screened cases' acts and facts as columns, and the offence
table they give (who answers, when)."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from wenze.dsl import ast as A
from wenze.engine import evaluate as R
from wenze.engine.case import CaseContext
from wenze.engine.lower import Program
from wenze.events.columns import T
from wenze.fast.arrays import NotVectorised
from wenze.fast.offence_table import ROLES, OffenceTable, Strings, role_code
from wenze.fast.people import Names, People
from wenze.fast.screening import CaseGroup, Screen

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

day_of = functools.lru_cache(maxsize=1 << 16)(dt.date.fromordinal)  # one date object per day

def _days(ordinals: np.ndarray | None, n: int) -> list[dt.date | None]:
    """The dates of day ordinals (-1, or no array: None)."""
    if ordinals is None:
        return [None] * n
    distinct, where = np.unique(ordinals, return_inverse=True)
    days = [day_of(o) if o >= 0 else None for o in distinct.tolist()]
    return [days[w] for w in where.ravel().tolist()]

class NativeCases:
    """The screened cases of one group with a true condition, as the offences of their rows need
    them: the facts a violation's condition reads (:meth:`facts_read`) and the case's dates
    (:meth:`dates`), from the arrays; and the reference's records of a case
    (:class:`~wenze.engine.case.CaseOutcome`, only the subjects with a true condition: the others
    give no offence) rebuilt from the same arrays (:meth:`case_out`), so that the reference's own
    :func:`wenze.engine.evaluate.offences_for` makes the offences the rows are checked against
    (``tests/fast/test_columnar.py``)."""

    def __init__(self, ctx: CaseContext, s: Screen, group: CaseGroup):
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

@dataclass
class _Attributable:
    """What ``_attributed`` reads of one fact of a subject, per row: whether the subject has an
    attribution and an established date for it, the attributed event (sorted row) and the date."""

    attributed: np.ndarray | None  # bool: key in sub.attribution
    actor_k: np.ndarray | None  # the attributed event's sorted row
    established: np.ndarray | None  # bool: key in sub.established
    day: np.ndarray | None  # the established date (ordinal)

def native_parts(ctx: CaseContext, s: Screen, group: CaseGroup, people: People
                  ) -> dict[str, list[np.ndarray]]:
    """The offences of a group's screened cases with a true condition, as columns: who answers
    (the reference's ``_attributed`` and ``_responsible`` on arrays) and when; the full offence
    of a row (facts, dates) is made on demand from the same arrays (:class:`NativeCases`)."""
    program, cols, rows = ctx.program, s.cols, s.rows
    group_cases = NativeCases(ctx, s, group)

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
    # the case subject's attributions and established dates (see NativeCases.case_out)
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

def native_table(ctx: CaseContext, s: Screen, group: CaseGroup, people: People) -> OffenceTable:
    """The offences of a group's screened cases with a true condition, as an offence table."""
    parts = native_parts(ctx, s, group, people)
    return _table(ctx.program, people.names, NativeCases(ctx, s, group), parts)

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

def _responsible_columns(parts: dict[str, list[np.ndarray]], people: People, v: Any, vi: int,
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
            raise NotVectorised(role.value)
        w_person, w_post, w_unit = who
        nobody = (w_person < 0) & (w_post < 0) & (w_unit < 0)  # never dropped: the case's unit
        w_unit = np.where(nobody, np.where(out_unit >= 0, out_unit, unknown), w_unit)
        valid = np.ones(len(sel), bool)
        # the person key: the person, else 岗位:post, else 单位:unit (decisions.person_key_of)
        key = np.where(w_person >= 0, w_person,
                       np.where(w_post >= 0, n_names + w_post, 2 * n_names + w_unit))
        if party in (_DEPUTY, _CHIEF):  # a leader the post and unit do not name: 单位:unit/…
            key = np.where(leader >= 0, key, _UNNAMED_LEADER[party.leader] * n_names + w_unit)
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

def native_parties(program: Program) -> bool:
    """Whether every party the program's violations name is one :func:`_responsible_columns`
    finds on arrays (the direct party, the reviewer, the decider, the direct party's leaders);
    otherwise every case with a true condition is routed to the reference."""
    return all(r.party in NATIVE_PARTIES for v in program.violations for r in v.responsible)

def _table(program: Program, names: Names, cases: NativeCases,
           parts: Mapping[str, list[np.ndarray]]) -> OffenceTable:
    """The columns gathered by :func:`_responsible_columns` → an offence table whose rows are
    made on demand from the case's records by the reference."""
    return table_of(program, cases, named_columns(names, table_columns(names, cases, parts)))

_CODED = ("subject", "person", "post", "unit")  # string columns coded by _SortedNames.rank

# the person-key block (see _SortedNames) of a unit that names no deputy / chief leader
_UNNAMED_LEADER = {A.Leader.DEPUTY: 3, A.Leader.CHIEF: 4}

def table_columns(names: Names, cases: NativeCases, parts: Mapping[str, list[np.ndarray]]
                   ) -> dict[str, Any] | None:
    """The columns of an offence table (arrays, and the cases' string column: what a child
    process sends back) from the columns gathered by :func:`_responsible_columns`; None: no
    offence. The other string columns are codes into ``names.sorted()`` (see
    :func:`named_columns`)."""
    if not parts:
        return None
    col = {k: np.concatenate(v) for k, v in parts.items()}
    table = names.sorted()
    n_names = table.size + 1
    person, post, unit = col["person"], col["post"], col["unit"]
    # the person key (decisions.person_key_of): a leader nobody names keys by unit and leader
    unnamed = np.asarray([_UNNAMED_LEADER.get(r.party.leader, 2) for r in ROLES])[col["role"]]
    pk = np.where(person >= 0, person,
                  np.where(post >= 0, n_names + post, unnamed * n_names + unit))
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

def named_columns(names: Names, columns: dict[str, Any] | None) -> dict[str, Any] | None:
    """:func:`table_columns`'s columns with their codes made :class:`Strings` of the sorted
    names (the same lists for every table of a run)."""
    if columns is None:
        return None
    table = names.sorted()
    return {**columns, **{k: table.strings(columns[k]) for k in _CODED},
            "person_key": table.keys(columns["person_key"])}

def table_of(program: Program, cases: NativeCases, columns: Mapping[str, Any] | None
              ) -> OffenceTable:
    """An offence table from :func:`table_columns`, the offences of its rows made from the
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
                                  unit_name, ROLES[role], day_of(day), facts, case_dates, (),
                                  None if at == np.inf else at))
        return made

    return OffenceTable(program, violation, columns["established"], columns["case"], item,
                        subject, person, post, unit, columns["person_key"], columns["role"],
                        act_at, {},
                        [(0, make)])
