"""The fast path's screening: each item's cases judged on arrays (clock, deadlines, steps,
warnings, violations' conditions); what arrays cannot judge is routed to the reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wenze.dsl import ast as A
from wenze.dsl.facts import POWER_ACTS
from wenze.engine import evaluate as R
from wenze.engine.case import period_key
from wenze.engine.lower import ItemIR, Program, StepIR
from wenze.events.columns import NATIVE, TYPES, EventColumns, T
from wenze.fast.arrays import (
    DayArrays,
    NotVectorised,
    SuspensionArrays,
    dense_codes,
    first_per_case,
    first_per_case_and_key,
    no_suspensions,
    vector_condition,
)

# --------------------------------------------------------------------------- screening


@dataclass
class Screened:
    """The result of screening: cases to route, and the metric counts of the others."""

    routed: np.ndarray  # bool per case
    counts: dict[tuple[str, str], list[int]]
    groups: list[CaseGroup]  # screened cases with a true condition: offences made here
    screen: Screen | None = None

UNKNOWN_UNIT = "（未知单位）"  # the metrics' unit of a case whose unit is not known

def unit_names(program: Program, cols: EventColumns) -> list[str]:
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

class Screen:
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
        self.days: dict[tuple[str, A.DayKind], DayArrays] = {}
        self.unit_names = unit_names(program, cols)
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

    def index(self, item: ItemIR, unit: A.DayKind) -> DayArrays:
        key = (item.calendar, unit)
        if key not in self.days:
            self.days[key] = DayArrays(self.program.calendars[item.calendar].index(unit))
        return self.days[key]

    def first(self, type_name: str) -> np.ndarray:
        return first_per_case(self.case_of, np.flatnonzero(self.type == T[type_name]), self.n)

    def per_case_any(self, flags: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n, bool)
        out[self.case_of[flags]] = True
        return out

    def per_case_count(self, flags: np.ndarray) -> np.ndarray:
        return np.bincount(self.case_of[flags], minlength=self.n)

def screen(program: Program, cols: EventColumns, as_of: dt.date, rows: np.ndarray,
            case_of: np.ndarray, n_cases: int, native_offences: bool = True,
            starts: np.ndarray | None = None, identity: bool = False,
            span: tuple[int, int] | None = None) -> Screened:
    """Decide per case: routed to the reference, or screened here (then its metric counts).
    ``starts``: the first sorted row of each case; ``identity``: ``rows`` is every event in input
    order."""
    if not n_cases:
        return Screened(np.zeros(0, bool), {}, [])
    if starts is None:
        starts = np.flatnonzero(np.r_[True, case_of[1:] != case_of[:-1]])
    s = Screen(program, cols, as_of, rows, n_cases, case_of, starts, identity, span)
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
    f_sus = first_per_case(case_of, sus_rows, n_cases)
    f_res = first_per_case(case_of, res_rows, n_cases)
    routed |= (n_sus > 1) | (n_res > 1) | ((n_res == 1) & ((n_sus == 0) | (f_res < f_sus)))

    counts: dict[tuple[str, str], list[int]] = {}
    groups: list[CaseGroup] = []
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
    return Screened(routed, counts, groups, s)

def _count(counts: dict[tuple[str, str], list[int]], program: Program, as_of: dt.date,
           unit: np.ndarray, unit_names: Sequence[str], received: np.ndarray,
           decided: np.ndarray, on_time: np.ndarray, spot: np.ndarray, overdue_open: np.ndarray
           ) -> None:
    """The metric counts of screened cases, as :func:`wenze.engine.evaluate.metrics_of` counts
    them (``unit``: codes into ``unit_names``; days as ordinals, -1: none)."""
    if not len(unit):
        return
    used, ucode = dense_codes(unit)
    units = [unit_names[c] for c in used.tolist()]
    for period in sorted(R.periods_of(program), key=lambda p: p.value):
        def add(mask: np.ndarray, days: np.ndarray, columns: Sequence[tuple[int, np.ndarray]],
                period: A.Period = period) -> None:
            if not mask.any():
                return
            uniq, inv = dense_codes(days[mask])
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

def _screen_item(s: Screen, item: ItemIR, cases: np.ndarray, f_sus: np.ndarray,
                 f_res: np.ndarray, n_sus: np.ndarray
                 ) -> tuple[np.ndarray, tuple[np.ndarray, ...], CaseGroup] | None:
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
                                                no_suspensions(m))
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
    sus = SuspensionArrays(listed, day_of(sk), np.where(rk >= 0, day_of(rk), as_of))

    end = np.where(has_d, dd, as_of)
    main_limit = item.promised or item.statutory
    main_unit = (item.statutory or item.promised or A.Duration(0, A.DayKind.WORKING)).unit
    main = s.index(item, main_unit)
    lo = np.maximum(sus.a - 1, start)
    hi = np.minimum(sus.b, end)
    suspended_days = np.where(sus.has & (hi > lo), main.between(lo, hi), 0)
    elapsed = main.count(start, end, sus)

    def limit_deadline(d: A.Duration | None) -> tuple[np.ndarray | None, DayArrays | None]:
        nonlocal bad
        if d is None:
            return None, None
        idx = s.index(item, d.unit)
        value, ok = idx.deadline(start, d.amount, sus)
        bad |= ~ok
        return value, idx

    stat, stat_idx = limit_deadline(item.statutory)
    prom, prom_idx = limit_deadline(item.promised)

    def over(deadline: np.ndarray | None, idx: DayArrays | None) -> np.ndarray:
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
    step_facts: list[StepColumns] = []
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
    # reference's own functions, see native_table)
    hit_case = np.zeros(m, bool)
    case_hits: list[tuple[int, np.ndarray]] = []  # (violation index, condition true) per row
    for vi, (v, expr) in enumerate(screened_violations(program)):
        if v.scope is A.Scope.TARGET or not v.applies_to(item.name):
            continue
        try:
            if v.scope is A.Scope.CASE:
                true = vector_condition(expr, facts, m)
                if true.any():
                    hit_case |= true
                    case_hits.append((vi, true))
            elif v.scope is A.Scope.STEP:
                for st in step_facts:
                    env = {**facts, **st.facts} if v.needs_parent else st.facts
                    true = st.present & vector_condition(expr, env, m)
                    if true.any():
                        st.hit |= true
                        st.hits.append((vi, true))
            # countersign subjects exist only for countersign events, which are routed
        except NotVectorised:
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
    group = CaseGroup(item, cases, hit, hit_case, start, rd, ad, dd, rec_k, acc_k, dec_k, handler_k,
                   np.where(unlisted, sk, -1), prom, stat, raw_units, facts, step_facts,
                   case_hits)
    return bad, (units, received, decided, on_time, facts["on_the_spot"] > 0, overdue_open), group

@dataclass
class StepColumns:
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

    def only(self, keep: np.ndarray, cut: Callable[[Any], Any]) -> StepColumns:
        return StepColumns(self.name, {k: cut(v) for k, v in self.facts.items()},
                         cut(self.present), cut(self.hit), cut(self.sk), cut(self.ck),
                         cut(self.b_day), cut(self.deadline),
                         [(vi, cut(t)) for vi, t in self.hits])

@dataclass
class CaseGroup:
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
    steps: list[StepColumns]
    case_hits: list[tuple[int, np.ndarray]]  # (violation index, condition true) per case
    reviewer_k: np.ndarray | None = None  # sorted row of the reviewer's event (NativeCases)

    def only(self, keep: np.ndarray) -> CaseGroup:
        """The rows where ``keep`` holds (arrays shared between facts are cut once)."""
        rows = np.flatnonzero(keep)
        done: dict[int, np.ndarray] = {}

        def cut(x: np.ndarray | None) -> np.ndarray | None:
            if x is None:
                return None
            if id(x) not in done:
                done[id(x)] = x[rows]
            return done[id(x)]

        return CaseGroup(self.item, cut(self.cases), cut(self.hit), cut(self.hit_case),
                      cut(self.start), cut(self.rd), cut(self.ad), cut(self.dd),
                      cut(self.rec_k), cut(self.acc_k), cut(self.dec_k), cut(self.handler_k),
                      cut(self.unlisted_k), cut(self.prom), cut(self.stat), cut(self.unit),
                      {k: cut(v) for k, v in self.facts.items()},
                      [st.only(keep, cut) for st in self.steps],
                      [(vi, cut(t)) for vi, t in self.case_hits])

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

def _screen_steps(s: Screen, item: ItemIR, steps: Mapping[str, StepIR], cases: np.ndarray,
                  clock_start: np.ndarray, sus: SuspensionArrays, bad: np.ndarray
                  ) -> list[StepColumns] | None:
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
        firsts.append(first_per_case_and_key(s.case_of, typed, step_col[typed], s.n,
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
    out: list[StepColumns] = []
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
        out.append(StepColumns(name, facts, present, np.zeros(m, bool), sk, ck, b_day,
                             deadline if limit is not None else None))
    return out

def screened_violations(program: Program) -> list[tuple[Any, A.Expr | None]]:
    """Each violation with its condition's AST (the lowered program keeps only a closure)."""
    decls = program.rulebook.named(A.ViolationDecl)
    out = []
    for v in program.violations:
        decl = decls.get(v.name)
        if not isinstance(decl, A.ViolationDecl):
            raise NotVectorised(v.name)
        out.append((v, decl.condition))
    return out
