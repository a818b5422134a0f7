"""Live mode: events in, warnings and decisions out as they happen (durable_rules does the firing).

approval system → **LiveEngine.submit(event)** → durable_rules (``live_rules``) → re-evaluation of
the affected case with the batch evaluator's own functions → ladder over the affected persons →
warnings / decisions (callback and iterator) … and, with no event at all, **advance_to(moment)**
(or ``tick()``, or the thread of ``start_clock()`` just after each midnight) → clock ticks for the
cases due → the same.

Correctness: the live state as of a day equals ``evaluate(program, events, day)`` (the same
functions compute it: ``evaluate_case``, ``offences_for``, ``sanction``), and only the affected
cases are re-evaluated: the case of a new event; cases whose acts depend on an absence of a post
(A/B cover) or on who held a leader post; the cases due on a day (a case whose evaluation still
changes with the date is due every day; a settled case is never due again); the targets when a
period ends. The ladder is re-applied to the smallest closed group of offences (persons and units
linked through their offences) — except when offences changed in their facts alone and no
ladder has joint liability: the ladder reads no facts, so only the decisions' facts are updated.
See ``docs/live.md`` for the output protocol and the limits.

One module on purpose (~770 lines): the live engine's state (open cases, issued outputs, the clock)
and the way it re-judges a case on an event or a tick are one object.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import heapq
import json
import operator
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl import calendar as C
from wenze.engine import evaluate as EV
from wenze.engine.case import event_order  # the evaluator's event order, (at, id)
from wenze.engine.decisions import Decision, Warning
from wenze.engine.lower import Program
from wenze.engine.sanction import sanction
from wenze.engine.versions import (
    VersionError,
    VersionProgram,
    accepted_on,
    family_problem,
    hybrid,
    ladders_in_time,
    no_version,
    offence_key,
    targets_in_time,
    version_on,
    versions_for,
)
from wenze.events.model import printable
from wenze.events.readers import BadEvent, Event, Rejection, build_event
from wenze.live.rules import LiveRules, LiveUnavailable, shard_of

__all__ = ["CHINA", "LiveEngine", "LiveUnavailable", "VirtualClock", "WallClock"]

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
TARGETS = "\x00targets"  # the owner of target offences (they belong to no case)
_FAR = (400, 60, 7)  # days ahead used to tell a settled case from one still running


class VirtualClock:
    """A clock the caller moves (tests, simulations, replaying a log). Never goes back."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs an aware datetime (with a UTC offset)")
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def set(self, moment: dt.datetime) -> None:
        if moment > self._now:
            self._now = moment


class WallClock:
    """The wall clock, in a fixed offset (China Standard Time unless told)."""

    def __init__(self, tz: dt.tzinfo = CHINA) -> None:
        self.tz = tz

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)

    def set(self, moment: dt.datetime) -> None:  # the wall clock moves by itself
        pass


# What metrics and targets need of a judged case: the evaluator's metric row
# ``EV.metric_row(out)`` = (unit, received, decided, on_time, on_the_spot, overdue_open).
# Kept instead of the whole per-case record, and as a plain tuple of strings, dates and bools,
# which the garbage collector stops tracking (a named tuple it tracks for ever): with 100k
# open cases, fewer tracked objects keep its pauses short.
_Row = tuple
_RECEIVED, _DECIDED = 1, 2


class _Case:
    """A case's events (sorted by time, then id) and what its last judgment gave."""

    __slots__ = ("acts", "due", "events", "items", "out", "rejected", "steps", "under",
                 "unjudged", "warnings")

    def __init__(self) -> None:
        self.events: list[Event] = []
        # the item and step names its events give (tuples of strings: the garbage collector
        # stops tracking them, which matters with 100k open cases)
        self.items: tuple[str, ...] = ()
        self.steps: tuple[str, ...] = ()
        self.acts = 0  # events other than an absence or return of a post
        self.out: _Row | None = None
        self.warnings: tuple[Warning, ...] = ()
        self.unjudged: Any = None
        self.rejected: tuple[Rejection, ...] = ()
        self.due: dt.date | None = None
        self.under: tuple[Any, ...] = ()  # of a family: the acts as today's version sees them

    def add(self, ev: Event) -> None:
        evs = self.events
        if not evs or (evs[-1].at, evs[-1].id) <= (ev.at, ev.id):
            evs.append(ev)  # the usual case: events arrive in time order
        else:
            bisect.insort(evs, ev, key=event_order)
        if ev.item and ev.item not in self.items:
            self.items += (ev.item,)
        if ev.step and ev.step not in self.steps:
            self.steps += (ev.step,)
        if ev.type != "absent" and ev.type != "returned":
            self.acts += 1


def _same_but_facts(a: EV.Offence, b: EV.Offence) -> bool:
    """The same offence, except perhaps its facts (e.g. days over the limit, counting on)."""
    return (a.case == b.case and a.violation is b.violation and a.subject == b.subject
            and a.person == b.person and a.post == b.post and a.unit == b.unit
            and a.role == b.role and a.established == b.established and a.item == b.item
            and a.dates == b.dates and a.circumstances == b.circumstances)


def _program(rulebook_or_program: Any) -> Program:
    return getattr(rulebook_or_program, "program", rulebook_or_program)


def _versions(given: Any) -> tuple[VersionProgram, ...] | None:
    """The versions of a rulebook family (a :class:`wenze.RulebookFamily`, or its lowered
    versions); None for a rulebook or a program."""
    versions = getattr(given, "versions", given)
    if isinstance(versions, list | tuple) and versions \
            and all(isinstance(v, VersionProgram) for v in versions):
        return tuple(versions)
    return None


def _program_on(versions: Sequence[VersionProgram], day: dt.date) -> Program:
    """The program of the version in force on ``day`` (before the first: the first's)."""
    found = version_on(versions, day)
    return (found or versions[0]).program


def _warning_ident(w: Warning) -> tuple[str, str]:
    return (w.case, w.step or "")


_DAILY = ("as_of", "days_left", "days_over", "percent_used")  # a warning's growing counters
# what a warning says apart from those counters: every other field (``to_json()`` is a function
# of the fields), as a tuple — cheap to compare, and left alone by the garbage collector
_warning_print = operator.attrgetter(
    *(f.name for f in dataclasses.fields(Warning) if f.name not in _DAILY))


def _decision_print(record: dict[str, Any]) -> str:
    """What a decision (its ``to_json()``) says apart from its daily fields."""
    return json.dumps({k: v for k, v in record.items() if k not in ("as_of", "facts")},
                      sort_keys=True, ensure_ascii=False)


class LiveEngine:
    """Posts events (one at a time, in batches, from any thread) through durable_rules and
    emits warnings and decisions as they arise (``on_output`` callback, :meth:`drain`,
    :meth:`outputs`). Each output is ``{"kind", "at", "record"}``; see ``docs/live.md``."""

    def __init__(self, rulebook_or_program: Any, clock: VirtualClock | WallClock | None = None,
                 on_output: Callable[[dict[str, Any]], None] | None = None,
                 prior_sanctions: Sequence[Any] = (), follow_events: bool = True) -> None:
        self.clock = clock or WallClock()
        # a rulebook family: each case judged in time (wenze.engine.versions), the version in
        # force today read at each midnight (docs/semantics.md §10)
        self.versions = _versions(rulebook_or_program)
        self.program = (_program_on(self.versions, self.clock.now().date()) if self.versions
                        else _program(rulebook_or_program))
        self.on_output = on_output
        self.prior = list(prior_sanctions)
        self.follow_events = follow_events and isinstance(self.clock, VirtualClock)
        self._lock = threading.RLock()
        self._deliver = threading.RLock()  # a callback may submit again
        self._outbox: deque[dict[str, Any]] = deque()
        self._queue: deque[dict[str, Any]] = deque()
        self._delivering = 0  # threads inside _flush
        self._arrived = threading.Condition(self._lock)  # an output queued for outputs()
        self._closed = False
        self._ticker: threading.Thread | None = None  # start_clock's thread
        self._stopping = threading.Event()
        self.clock_error: BaseException | None = None
        self.generation = 1
        self.today = self.clock.now().date()
        self._seq = 0
        self._posted: dict[int, Event] = {}
        self._ids: dict[str, Event] = {}  # event id → the first event with it
        self._pending: list[tuple[dt.date, int, Event]] = []  # future-dated events
        self._cases: dict[str, _Case] = {}
        self._due: list[tuple[dt.date, str]] = []
        self._cover: dict[str, list[Event]] = defaultdict(list)
        self._cases_by_post: dict[str, set[str]] = defaultdict(set)
        self._rejected: list[Rejection] = []
        self._offences: dict[str, EV.Offence] = {}
        self._owned: dict[str, tuple[EV.Offence, ...]] = {}
        self._by_person: dict[str, set[str]] = defaultdict(set)
        self._by_unit: dict[str, set[str]] = defaultdict(set)
        self._leader_cases: dict[str, set[str]] = defaultdict(set)
        self._decisions: dict[str, Decision] = {}
        self._owner: dict[str, tuple[str, str]] = {}  # decision key → ("p", person)/("u", unit)
        self._group: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._printed: dict[str, Any] = {}
        self._revision: dict[str, int] = {}
        self._dirty_people: set[str] = set()
        self._dirty_units: set[str] = set()
        self._targets_dirty = False
        self._due_by_shard: dict[str, set[str]] = {}
        self._deferring = False  # submit_many(settle_each=False): one ladder pass at the end
        self._setup(self.program)
        self._rules = LiveRules(self.program.name, self.generation, self._fire_event,
                                self._fire_tick)

    # ------------------------------------------------------------------ set-up and reload

    def _setup(self, program: Program) -> None:
        self.program = program
        self._ctx = EV.CaseContext(program, [], self.today)
        programs = [v.program for v in self.versions] if self.versions else [program]
        self._leader_posts = {p for pr in programs for u in pr.units.values()
                              for p in (u.chief_leader, u.deputy_leader) if p}
        self._leader_posts |= {p.deputy_leader for pr in programs for p in pr.posts.values()
                               if p.deputy_leader}
        self._covering: dict[str, list[str]] = defaultdict(list)
        for name in sorted({p.name for pr in programs for p in pr.posts.values() if p.covers}):
            covers = {pr.posts[name].covers for pr in programs if name in pr.posts} - {None}
            for c in sorted(covers):  # type: ignore[type-var]
                self._covering[c].append(name)
        self._joint = any(ladder.joint for pr in programs for ladder in pr.ladders.values())
        self._has_targets = any(v.scope is A.Scope.TARGET for pr in programs
                                for v in pr.violations)
        self._periods = set().union(*(EV.periods_of(pr) for pr in programs))
        self._now = version_on(self.versions, self.today) if self.versions else None
        self._in_time: dict[tuple[int, int], tuple[Program, EV.CaseContext]] = {}
        self._under_targets: tuple[EV.Offence, ...] = ()

    def reload(self, rulebook_or_program: Any) -> None:
        """Switch to a changed rulebook in the same process, keeping every event and the
        outputs already issued: a new durable_rules ruleset (a fresh generation-suffixed name;
        names cannot be registered twice), then every case is judged again under the new rules
        and only the differences are emitted."""
        versions = _versions(rulebook_or_program)
        program = (_program_on(versions, self.today) if versions
                   else _program(rulebook_or_program))
        with self._lock:
            self.versions = versions
            rules = LiveRules(program.name, self.generation + 1, self._fire_event,
                              self._fire_tick)
            self._rules.close()  # nothing can be posted to the old ruleset any more
            self._rules = rules
            self.generation += 1
            self._setup(program)
            kept = [e for c in self._cases.values() for e in c.events]
            kept += [e for evs in self._cover.values() for e in evs if not e.case]
            self._cases.clear()
            self._cover.clear()
            self._cases_by_post.clear()
            self._due.clear()
            for ev in sorted(kept, key=lambda e: (e.at, e.id)):
                problem = self._event_problem(ev)
                if problem is not None:
                    self._reject(Rejection(ev.source, ev.line, ev.id, *problem))
                else:
                    self._admit(ev, evaluate=False)
            for case in sorted(self._cases):
                self._judge(case)
            self._targets_dirty = self._has_targets or TARGETS in self._owned
            self._dirty_units |= {u for kind, u in self._group if kind == "u"}
            self._settle()
        self._flush()

    # ------------------------------------------------------------------ input

    def submit(self, event: Event | dict[str, Any], line: int | None = None,
               source: str = "<live>") -> None:
        """One event (an :class:`Event` or a dict in the JSON Lines shape). Safe from any
        thread. A malformed event is emitted as ``{"kind": "rejected"}``, never dropped."""
        if self.clock_error is not None:
            self._check_clock()
        with self._lock:
            self._submit_one(event, source, line)
        if self._outbox or self._delivering:  # (then our outputs are delivered on return)
            self._flush()

    def submit_many(self, events: Iterable[Event | dict[str, Any]], source: str = "<live>",
                    first_line: int | None = None, settle_each: bool = True) -> None:
        """Several events, posted in the order given (under one lock acquisition).
        ``settle_each=False``: the ladder is re-applied once after the last event (and before
        the clock moves to a later day) instead of after each event — the same state at the
        end, without the decisions that held only between two events of the batch, and one
        ladder pass instead of one per event (the HTTP service posts in batches)."""
        self._check_clock()
        with self._lock:
            self._deferring = not settle_each
            try:
                for i, item in enumerate(events):
                    line = None if first_line is None else first_line + i
                    self._submit_one(item, source, line)
            finally:
                self._deferring = False
            if self._dirty_people or self._dirty_units or self._targets_dirty:
                self._settle()
        if self._outbox or self._delivering:  # (then our outputs are delivered on return)
            self._flush()

    def _submit_one(self, item: Event | dict[str, Any], source: str, line: int | None) -> None:
        if self._closed:
            raise RuntimeError("实时引擎已关闭 the live engine is closed (close() was called)")
        if isinstance(item, Event):
            ev = item
        else:
            try:
                ev = build_event(item, source, line)
            except BadEvent as bad:
                eid = item.get("id") if isinstance(item, dict) else None
                eid = printable(eid) if isinstance(eid, str) and eid else None
                self._reject(Rejection(source, line, eid, bad.code, bad.message))
                return
        known = self._ids.get(ev.id)
        if known is not None:  # contents are compared only when an id repeats
            if known.content_key() != ev.content_key():
                self._reject(Rejection(
                    ev.source, ev.line, ev.id, "conflicting_duplicate",
                    f"事件编号 `{ev.id}` 已出现且内容不同 / event id `{ev.id}` already posted "
                    "with different content; the first one is kept"))
            return  # an identical duplicate is ignored, as in batch reading
        self._ids[ev.id] = ev
        day = ev.at.date()
        if day > self.today:
            if self.follow_events:
                if self._deferring and (self._dirty_people or self._dirty_units
                                        or self._targets_dirty):
                    self._settle()  # on the day the earlier events arrived
                self._advance(ev.at)
            if day > self.today:
                heapq.heappush(self._pending, (day, self._next_seq(ev), ev))
                return
        self._rules.post_event(ev.case, self._next_seq(ev))
        if not self._deferring and (self._dirty_people or self._dirty_units
                                    or self._targets_dirty):
            self._settle()

    def _next_seq(self, ev: Event) -> int:
        self._seq += 1
        self._posted[self._seq] = ev
        return self._seq

    def _reject(self, r: Rejection) -> None:
        self._rejected.append(r)
        self._emit("rejected", {"source": r.source, "line": r.line, "event_id": r.event_id,
                                "code": r.code, "message": r.message})

    # ------------------------------------------------------------------ durable_rules actions

    def _fire_event(self, seq: int) -> None:
        ev = self._posted.pop(seq)
        problem = self._event_problem(ev)
        if problem is not None:
            self._reject(Rejection(ev.source, ev.line, ev.id, *problem))
            return
        self._admit(ev, evaluate=True)

    def _event_problem(self, ev: Event) -> tuple[str, str] | None:
        """Why the rules cannot place an event (unknown item or post); of a family, why none of
        its versions can (a case's own version rejects the rest when the case is judged)."""
        if not self.versions:
            return EV.event_problem(self.program, ev)
        return family_problem(self.versions, ev, self.program)

    def _fire_tick(self, shard: str, day: str) -> None:
        for case in sorted(self._due_by_shard.pop(shard, ())):
            self._judge(case, settle_check=False)

    # ------------------------------------------------------------------ state

    def _admit(self, ev: Event, evaluate: bool) -> None:
        t = ev.type
        post = ev.post
        if ev.case and not (post and (t == "absent" or t == "returned"
                                      or post in self._leader_posts)):
            # the usual event: it concerns its own case only
            case = self._cases.get(ev.case)
            if case is None:
                case = self._cases[ev.case] = _Case()
            case.add(ev)
            if post:
                self._cases_by_post[post].add(ev.case)
            if evaluate:
                self._judge(ev.case)
            return
        touched: set[str] = set()
        if t in ("absent", "returned") and ev.post:
            spans_before = self._ctx.absences.get(ev.post)
            bisect.insort(self._cover[ev.post], ev, key=event_order)
            self._rebuild_absences(ev.post)
            if self._ctx.absences.get(ev.post) != spans_before:
                for q in self._covering.get(ev.post, ()):
                    touched |= self._cases_by_post.get(q, set())
        elif ev.post in self._leader_posts and ev.actor and t != "complaint":
            seen = self._ctx.holders.setdefault(ev.post, [])  # type: ignore[arg-type]
            bisect.insort(seen, (ev.at.date(), ev.id, ev.actor))
            for case in self._leader_cases.get(ev.post, ()):  # type: ignore[arg-type]
                holder = self._ctx.holder
                if case != TARGETS and any(o.post == ev.post
                                           and o.person != holder(ev.post, o.established)
                                           for o in self._owned.get(case, ())):
                    touched.add(case)
            for u in self.program.units.values():
                if ev.post in (u.chief_leader, u.deputy_leader):
                    self._dirty_units.add(u.name)
            self._targets_dirty |= self._has_targets
        if ev.case:
            case = self._cases.get(ev.case)
            if case is None:
                case = self._cases[ev.case] = _Case()
            case.add(ev)
            if ev.post:
                self._cases_by_post[ev.post].add(ev.case)
            touched.add(ev.case)
        if evaluate:
            for c in sorted(touched):
                self._judge(c)

    def _rebuild_absences(self, post: str) -> None:
        spans: list[list[dt.datetime | None]] = []
        for ev in self._cover[post]:
            if ev.type == "absent":
                if not spans or spans[-1][1] is not None:
                    spans.append([ev.at, None])
            elif spans and spans[-1][1] is None:
                spans[-1][1] = ev.at
        self._ctx.absences[post] = [(a, b) for a, b in spans]

    def _evaluate(self, case: str, as_of: dt.date
                  ) -> tuple[Any, tuple, tuple, Any, tuple, tuple]:
        """The batch evaluator's per-case step (same code path as ``evaluate``): facts,
        warnings, offences, why unjudged, rejected events, and — of a family — what the
        version in force on ``as_of`` makes of the case's acts (for 从旧兼从轻)."""
        if self.versions:
            return self._evaluate_in_time(case, as_of)
        st = self._cases[case]
        evs = st.events
        self._ctx.as_of = as_of
        if not st.acts:
            return None, (), (), None, (), ()
        out, unjudged, rejected, _ = EV.judge_case(self._ctx, self.program, case, evs)
        if out is None:
            return None, (), (), unjudged, tuple(rejected), ()
        offences = tuple(EV.offences_for(self._ctx, out, None))
        return out, tuple(out.warnings), offences, None, tuple(rejected), ()

    def _evaluate_in_time(self, case: str, as_of: dt.date
                          ) -> tuple[Any, tuple, tuple, Any, tuple, tuple]:
        """:meth:`_evaluate` of a family, as :func:`wenze.engine.versions.evaluate_versions`
        judges a case: its procedure by the version in force when it was accepted (events that
        version cannot place rejected), each act by the version in force when it was
        established."""
        assert self.versions is not None
        st = self._cases[case]
        now = version_on(self.versions, as_of)
        if not st.acts or now is None:
            if now is None and as_of != self.today:  # (a day ahead with no version in force)
                raise VersionError(f"no version of the family is in force on {as_of}")
            return None, (), (), None, (), ()
        day = accepted_on(st.events)
        a, rules = versions_for(self.versions, day, as_of)
        if a is None:
            return None, (), (), no_version(case, day), (), ()
        procedure = self.versions[a].program
        placed: list[Event] = []
        rejected: list[Rejection] = []
        for ev in st.events:
            problem = EV.event_problem(procedure, ev)
            if problem is not None and ((ev.item and ev.item not in procedure.items)
                                        or (ev.post and ev.post not in procedure.posts)):
                rejected.append(Rejection(ev.source, ev.line, ev.id, *problem))
            else:
                placed.append(ev)
        if all(e.type in ("absent", "returned") for e in placed):
            return None, (), (), None, tuple(rejected), ()
        program, ctx = self._judging(a, a, as_of)
        out, unjudged, refused, _ = EV.judge_case(ctx, program, case, placed)
        rejected += refused
        if out is None:
            return None, (), (), unjudged, tuple(rejected), ()
        offences: list[EV.Offence] = []
        under: tuple[EV.Offence, ...] = ()
        for r in rules:
            program, ctx = self._judging(a, r, as_of)
            facts = out if r == a else EV.judge_case(ctx, program, case, placed)[0]
            found = EV.offences_for(ctx, facts, None) if facts is not None else []
            offences += [o for o in found if self.versions[r].in_force(o.established)]
            if self.versions[r] is now:
                under = tuple(found)
        return out, tuple(out.warnings), tuple(offences), None, tuple(rejected), under

    def _judging(self, a: int, r: int, as_of: dt.date) -> tuple[Program, EV.CaseContext]:
        """The program judging cases accepted under version ``a`` by the rules of version
        ``r``, and its context (sharing the engine's absences and holders of posts)."""
        assert self.versions is not None
        found = self._in_time.get((a, r))
        if found is None:
            program = hybrid(self.versions[a].program, self.versions[r].program)
            ctx = EV.CaseContext(program, [], as_of)
            ctx.absences = self._ctx.absences  # (the same objects: kept up to date)
            ctx.holders = self._ctx.holders
            found = self._in_time[a, r] = (program, ctx)
        found[1].as_of = as_of
        return found

    def _judge(self, case: str, settle_check: bool = True) -> None:
        """Judge a case again as of today and emit what changed. ``settle_check``: also find
        out whether the case is settled (no longer changes with the date); a case judged on a
        clock tick, with no new event since it was found running, is still running."""
        st = self._cases[case]
        out, warnings, offences, unjudged, rejected, under = self._evaluate(case, self.today)
        st.under = under
        for r in rejected:
            if r not in st.rejected:
                self._reject(r)
        st.rejected = rejected
        if unjudged is not None and unjudged != st.unjudged:
            self._emit("unjudged", unjudged.to_json())
        st.unjudged = unjudged
        row = None if out is None else EV.metric_row(out)
        if self._has_targets and self._touches_complete_period(st.out, row):
            self._targets_dirty = True
        st.out = row
        self._set_warnings(case, st, warnings)
        self._set_offences(case, offences)
        self._schedule(case, st, warnings, offences, settle_check)

    def _schedule(self, case: str, st: _Case, warnings: tuple, offences: tuple,
                  settle_check: bool) -> None:
        if st.out is None:
            st.due = None
            return
        settled = False
        # an undecided case runs on (its days keep counting): no need to look ahead
        probe = settle_check and st.out[_DECIDED] is not None
        for ahead in _FAR if probe else ():
            try:
                _, w2, o2, u2, _, _ = self._evaluate(case,
                                                     self.today + dt.timedelta(days=ahead))
            except (C.CalendarRangeError, VersionError):
                continue
            finally:
                self._ctx.as_of = self.today
            settled = u2 is None and o2 == offences and not warnings and not w2
            break
        due = None if settled else self.today + dt.timedelta(days=1)
        if due is not None and due != st.due:  # (an entry for st.due is in the heap)
            heapq.heappush(self._due, (due, case))
        st.due = due

    def _touches_complete_period(self, old: Any, new: Any) -> bool:
        for o in (old, new):
            if o is None:
                continue
            for day in (o[_RECEIVED], o[_DECIDED]):
                if day is None:
                    continue
                for p in self._periods:
                    if EV.period_end(EV.period_key(day, p)) <= self.today:
                        return True
        return False

    def _set_warnings(self, case: str, st: _Case, warnings: tuple[Warning, ...]) -> None:
        if not warnings and not st.warnings:
            return
        old = {_warning_ident(w): w for w in st.warnings}
        new = {_warning_ident(w): w for w in warnings}
        st.warnings = warnings
        for ident in sorted(new):
            w = new[ident]
            key = "w|" + "|".join(ident)
            printed = _warning_print(w)
            if self._printed.get(key) != printed:
                self._printed[key] = printed
                self._emit("warning", w.to_json())
        for ident in sorted(set(old) - set(new)):
            key = "w|" + "|".join(ident)
            self._printed.pop(key, None)
            self._emit("warning_cleared", old[ident].to_json())

    def _set_offences(self, owner: str, offences: tuple[EV.Offence, ...]) -> None:
        old = self._owned.get(owner, ())
        if old == offences:
            return
        if len(old) == len(offences) and old and all(
                map(_same_but_facts, old, offences)):
            # the same offences, only their facts changed (an open case's days keep counting)
            if self._joint:  # a joint decision carries its trigger's facts: ladder again
                for o in offences:
                    self._offences[o.key] = o
                    self._dirty_people.add(o.person_key)
            else:
                # the ladder reads no facts (sanction.py: key, person, unit, post, role,
                # violation, case, date, circumstances), so its outcome stands; each decision
                # carries its own offence's facts (its key is the offence's key)
                for o in offences:
                    k = o.key
                    self._offences[k] = o
                    d = self._decisions.get(k)
                    if d is not None and d.facts != o.facts:
                        self._decisions[k] = dataclasses.replace(d, facts=o.facts)
            self._owned[owner] = offences
            return
        for o in old:
            self._offences.pop(o.key, None)
            self._by_person[o.person_key].discard(o.key)
            if o.unit:
                self._by_unit[o.unit].discard(o.key)
                if self._joint:
                    # the unit's joint (连带) decisions counted this offence: once it is gone
                    # no index leads _settle from a dirty person to that unit any more
                    self._dirty_units.add(o.unit)
            if o.post:
                self._leader_cases[o.post].discard(owner)
            self._dirty_people.add(o.person_key)
        for o in offences:
            self._offences[o.key] = o
            self._by_person[o.person_key].add(o.key)
            if o.unit:
                self._by_unit[o.unit].add(o.key)
            if o.post in self._leader_posts:
                self._leader_cases[o.post].add(owner)  # type: ignore[index]
            self._dirty_people.add(o.person_key)
        if offences:
            self._owned[owner] = offences
        else:
            self._owned.pop(owner, None)

    # ------------------------------------------------------------------ ladder and targets

    def _settle(self) -> None:
        """Targets (when a period ended or a late event touched one), then the ladder over the
        closed groups of persons and units whose offences changed."""
        if self._targets_dirty:
            self._targets_dirty = False
            self._ctx.as_of = self.today
            rows: list[Any] = [c.out for _, c in sorted(self._cases.items())
                               if c.out is not None]
            if self.versions:
                if self._now is not None:
                    _, kept, self._under_targets = targets_in_time(
                        self.versions, self._now, rows, None, self._version_context)
                    self._set_offences(TARGETS, tuple(kept))
            else:
                metrics = EV.metrics_of(self._ctx, rows)
                self._set_offences(TARGETS, tuple(EV.target_offences(self._ctx, metrics)))
        if not self._dirty_people and not self._dirty_units:
            return
        people = set(self._dirty_people)
        stale = set(self._dirty_units)  # joint decisions of these units are replaced
        units = set(stale) if self._joint else set()
        self._dirty_people.clear()
        self._dirty_units.clear()
        todo_p, todo_u = list(people), list(units)
        while todo_p or todo_u:
            while todo_p:
                for k in self._by_person.get(todo_p.pop(), ()):
                    u = self._offences[k].unit
                    if self._joint and u and u not in units:
                        units.add(u)
                        todo_u.append(u)
            while todo_u:
                for k in self._by_unit.get(todo_u.pop(), ()):
                    p = self._offences[k].person_key
                    if p not in people:
                        people.add(p)
                        todo_p.append(p)
        offs = sorted((self._offences[k] for p in people for k in self._by_person.get(p, ())),
                      key=lambda o: o.order)
        if self.versions:
            decisions = self._ladders_in_time(offs)
        else:
            decisions = sanction(self.program, offs, self.prior, self.today, self._ctx.holder)
        old_keys: set[str] = set()
        for p in people:
            old_keys |= self._group.pop(("p", p), set())
        for u in units | stale:
            old_keys |= self._group.pop(("u", u), set())
        new: dict[str, Decision] = {}
        for d in decisions:
            if d.ladder is not None and d.ladder.joint:
                owner = ("u", d.unit or "")
            else:
                owner = ("p", self._offences[d.key].person_key)
            self._group[owner].add(d.key)
            self._owner[d.key] = owner
            new[d.key] = d
        for key in sorted(old_keys - set(new)):
            gone = self._decisions.pop(key)
            self._owner.pop(key, None)
            self._printed.pop("d|" + key, None)
            self._emit("decision_withdrawn", gone.to_json())
        for d in sorted(new.values(), key=lambda d: (d.established, d.case or "", d.key)):
            before = self._decisions.get(d.key)
            self._decisions[d.key] = d
            if before is not None and before == d and "d|" + d.key in self._printed:
                continue  # laddered again, the same: it prints the same (most of a group)
            record = d.to_json()  # made once: printed to compare, and issued
            printed = _decision_print(record)
            previous = self._printed.get("d|" + d.key)
            if previous != printed:
                self._printed["d|" + d.key] = printed
                extra = None
                if previous is not None:
                    self._revision[d.key] = self._revision.get(d.key, 0) + 1
                    extra = {"supersedes": d.key, "revision": self._revision[d.key]}
                self._emit("decision", record, extra)

    def _version_context(self, v: VersionProgram) -> EV.CaseContext:
        assert self.versions is not None
        i = next(i for i, w in enumerate(self.versions) if w is v)
        return self._judging(i, i, self.today)[1]

    def _ladders_in_time(self, offs: list[EV.Offence]) -> list[Decision]:
        """The family's ladders over a closed group of offences (each by the version in force
        when it was established, 从旧兼从轻 against today's version)."""
        assert self.versions is not None and self._now is not None
        version_of = {id(o): version_on(self.versions, o.established) for o in offs}
        under: dict[tuple[Any, ...], EV.Offence] = {}
        for case in sorted({o.case for o in offs if o.case}):
            st = self._cases.get(case)
            if st is not None:
                under.update((offence_key(o), o) for o in st.under)
        under.update((offence_key(o), o) for o in self._under_targets)
        return ladders_in_time(self.versions, self._now, offs, version_of,  # type: ignore[arg-type]
                               under, self.prior, self.today, self._ctx.holder)

    def _switch_version(self) -> None:
        """At midnight of a version's 生效 (or after its 失效): every case judged again under
        the versions now in force, the ladders and targets redone; only changes are issued."""
        assert self.versions is not None
        self._now = version_on(self.versions, self.today)
        self.program = self._now.program if self._now else self.versions[0].program
        self._ctx.program = self.program
        for case in sorted(self._cases):
            self._judge(case)
        self._targets_dirty = self._has_targets or TARGETS in self._owned
        if not self._has_targets and self._now is None:
            self._set_offences(TARGETS, ())
        self._dirty_units |= {u for kind, u in self._group if kind == "u"}
        self._dirty_people |= {p for kind, p in self._group if kind == "p"}

    def _next_switch(self) -> dt.date | None:
        """The next day after today on which the version in force changes."""
        if not self.versions:
            return None
        days = [v.effective_from for v in self.versions]
        days += [v.effective_until + dt.timedelta(days=1) for v in self.versions
                 if v.effective_until is not None]
        return min((d for d in days if d > self.today), default=None)

    # ------------------------------------------------------------------ time

    def advance_to(self, moment: dt.datetime | dt.date) -> None:
        """Move the (virtual) clock forward; every case due on the days passed is judged again
        on its day (clock ticks posted to durable_rules), so a deadline that passes with no new
        event still gives its warning or violation. With the wall clock, call :meth:`tick` (or
        :meth:`start_clock`)."""
        self._check_clock()
        if not isinstance(moment, dt.datetime):
            tz = self.clock.now().tzinfo
            moment = dt.datetime.combine(moment, dt.time(0, 0), tz)
        with self._lock:
            self._advance(moment)
        self._flush()

    def tick(self) -> None:
        """Catch up with the clock (the wall clock: call this periodically, e.g. each minute,
        or let :meth:`start_clock` do it)."""
        self.advance_to(self.clock.now())

    def start_clock(self, every: float = 60.0) -> None:
        """Production: a daemon thread that calls :meth:`tick` just after each midnight of the
        clock's time zone (evaluation is by day, so that is when deadlines pass) and at least
        every ``every`` seconds, until :meth:`close`. Its outputs go to the callback (from that
        thread) or the queue like any other. If a tick fails, the thread stops and the error is
        raised by the next ``submit``/``advance_to`` (``clock_error`` holds it)."""
        if self._ticker is not None:
            return

        def run() -> None:
            while not self._stopping.is_set():
                now = self.clock.now()
                midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0),
                                               now.tzinfo)
                wait = min(every, max((midnight - now).total_seconds(), 0.0) + 0.001)
                if self._stopping.wait(wait):
                    return
                try:
                    self.tick()
                except BaseException as err:  # kept for the caller, never dropped
                    self.clock_error = err
                    return

        self._ticker = threading.Thread(target=run, name="wenze-live-clock", daemon=True)
        self._ticker.start()

    def _check_clock(self) -> None:
        if self.clock_error is not None:
            raise RuntimeError("实时时钟线程出错 the live clock thread failed") \
                from self.clock_error

    def _advance(self, moment: dt.datetime) -> None:
        self.clock.set(moment)
        target = moment.date()
        while True:
            nxt = self._next_day(target)
            if nxt is None:
                break
            self._new_day(nxt)
        if target > self.today:
            self._new_day(target)

    def _next_day(self, target: dt.date) -> dt.date | None:
        days = []
        if self._due:
            days.append(self._due[0][0])
        if self._pending:
            days.append(self._pending[0][0])
        if self._has_targets:
            p_end = min(EV.period_end(EV.period_key(self.today, p)) for p in self._periods)
            days.append(p_end + dt.timedelta(days=1))
        switch = self._next_switch()
        if switch is not None:
            days.append(switch)
        days = [max(d, self.today + dt.timedelta(days=1)) for d in days]
        day = min(days, default=None)
        return day if day is not None and day <= target else None

    def _new_day(self, day: dt.date) -> None:
        if self._has_targets:
            for p in self._periods:
                if EV.period_key(day, p) != EV.period_key(self.today, p):
                    self._targets_dirty = True
        self.today = day
        self._ctx.as_of = day
        if self.versions and version_on(self.versions, day) is not self._now:
            self._switch_version()
        while self._pending and self._pending[0][0] <= day:
            _, seq, ev = heapq.heappop(self._pending)
            self._rules.post_event(ev.case, seq)
        due: dict[str, set[str]] = defaultdict(set)
        while self._due and self._due[0][0] <= day:
            when, case = heapq.heappop(self._due)
            st = self._cases.get(case)
            if st is not None and st.due == when:
                due[shard_of(case)].add(case)
        self._due_by_shard = due
        for shard in sorted(due):
            self._rules.post_tick(shard, day.isoformat())
        self._settle()

    # ------------------------------------------------------------------ output

    def _emit(self, kind: str, record: dict[str, Any], extra: dict[str, Any] | None = None
              ) -> None:
        item: dict[str, Any] = {"kind": kind, "at": self.today.isoformat(), "record": record}
        if extra:
            item.update(extra)
        self._outbox.append(item)

    def _flush(self) -> None:
        with self._deliver:
            self._delivering += 1
            try:
                while True:
                    with self._lock:
                        if not self._outbox:
                            return
                        item = self._outbox.popleft()
                        if self.on_output is None:
                            self._queue.append(item)
                            self._arrived.notify_all()
                    if self.on_output is not None:
                        self.on_output(item)
            finally:
                self._delivering -= 1

    def drain(self) -> list[dict[str, Any]]:
        """The outputs issued since the last drain, in order (when there is no ``on_output``
        callback: with one, outputs go to the callback only, so nothing piles up)."""
        with self._lock:
            items = list(self._queue)
            self._queue.clear()
        return items

    def outputs(self, wait: bool = False, timeout: float | None = None
                ) -> Iterator[dict[str, Any]]:
        """Iterate over the outputs not yet drained. ``wait=False``: those issued so far.
        ``wait=True`` (a consumer thread): also those issued later, as they arise, until
        :meth:`close` — or until ``timeout`` seconds pass with no new output."""
        while True:
            with self._lock:
                while not self._queue:
                    if not wait or self._closed:
                        return
                    if not self._arrived.wait(timeout) and not self._queue:
                        return
                item = self._queue.popleft()
            yield item

    # ------------------------------------------------------------------ current state

    def decisions(self) -> list[Decision]:
        """The decisions as of the clock's day, in the batch evaluator's order."""
        with self._lock:
            ds = [dataclasses.replace(d, as_of=self.today) for d in self._decisions.values()]
        ds.sort(key=lambda d: (d.established, d.case or "", d.violation, d.subject or "",
                               d.person or "", d.role.value, d.key))
        return ds

    def warnings(self) -> list[Warning]:
        """The warnings as of the clock's day, in the batch evaluator's order."""
        with self._lock:
            ws = [w for c in self._cases.values() for w in c.warnings]
        ws.sort(key=lambda w: (-{"notice": 1, "yellow": 2, "red": 3}[w.level], w.deadline,
                               w.case, w.step or ""))
        return ws

    @property
    def open_cases(self) -> int:
        return sum(1 for c in self._cases.values() if c.due is not None)

    @property
    def ruleset_name(self) -> str:
        return self._rules.name

    def close(self) -> None:
        """Delete the durable_rules ruleset; the engine takes no more events afterwards (its
        current state can still be read). An ``outputs(wait=True)`` consumer stops once it
        has the outputs issued before."""
        self._stopping.set()
        ticker = self._ticker
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join()
        with self._lock:
            self._rules.close()
            self._closed = True
            self._arrived.notify_all()


def replay(program: Any, events: Iterable[Event], as_of: dt.date) -> LiveEngine:
    """A live engine fed ``events`` in time order (ties by id) up to ``as_of`` on a virtual clock
    that starts at midnight of the first event's day, then advanced to ``as_of``: what live mode
    holds on that day, to set beside a batch evaluation as of it. ``program`` may be a rulebook
    family (or its lowered versions): then beside the family's batch evaluation."""
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    start = (dt.datetime.combine(ordered[0].at.date(), dt.time(), ordered[0].at.tzinfo)
             if ordered else dt.datetime.combine(as_of, dt.time(), CHINA))
    engine = LiveEngine(program, VirtualClock(start))
    for ev in ordered:
        if ev.at.date() <= as_of:
            engine.submit(ev)
    engine.advance_to(as_of)
    return engine
