"""The benchmark caseload generated directly as columns (numpy, seeded, vectorised: no Python
object per event), for :mod:`bench_columnar`.

The same shape as :func:`bench_evaluate.caseload` (not its exact events): one item (建设许可),
the 6-step process of :data:`bench_evaluate.RULEBOOK` (收件审查 → 现场勘查 ∥ 技术审查 → 审核 →
审批 → 制证), 20k officials, 15% of the cases suspended for expert review during 技术审查, 2% of
the decisions by 窗口 (a post without the deciding power), 4% of the steps over their limit, 3%
of 审核 started before its prerequisites, 3% of the cases left lying 12 more working days in
审批. Acceptances fall on working days from 2023-01-03 to 2024-10-30; every date is a working
day of the statutory calendar and the last possible one is 2024-12-26 (inside 2024, before the
as-of date 2024-12-31).

Each case ``B0000000``… has 15 events (17 when suspended): received, accepted, each step's
start and completion (and the suspension and resumption), the decision. As in ``caseload``,
event ``k`` of a case (in the order generated) is at 08:k (+08:00) of its day and has the id
``<case>-<k>``; the rows are in (case, time) order, the cases in id order. The same seed gives
the same columns; the tables of names are in first-seen order, as
:meth:`EventColumns.from_events` makes them, so that reading the rebuilt events back gives the
very same columns.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wenze.dsl import ast as A
from wenze.dsl.calendar import WorkCalendar
from wenze.events.columns import (
    EPOCH_ORDINAL,
    EventColumns,
    EventDetails,
    T,
    TextColumn,
)

STEPS = ("收件审查", "现场勘查", "技术审查", "审核", "审批", "制证")
LIMITS = (2, 5, 5, 3, 2, 2)
TZ = dt.timezone(dt.timedelta(hours=8))
FIRST = dt.date(2023, 1, 3).toordinal()
SPAN = dt.date(2024, 10, 31).toordinal() - FIRST  # acceptances drawn in [FIRST, FIRST + SPAN)
MOST = 24  # working days in the table of deadlines (the longest period drawn is 17)
MAX_CASES = 10_000_000  # ids have 7 digits
SUSPENSION = {"reason": "专家评审"}
DECISION = {"outcome": "准予许可"}

# the slots of a case's events, in the order generated: (type, step index or -1)
SLOTS: tuple[tuple[str, int], ...] = (
    ("received", -1), ("accepted", -1),
    ("step_started", 0), ("step_completed", 0),
    ("step_started", 1), ("step_completed", 1),
    ("step_started", 2), ("suspended", -1), ("resumed", -1), ("step_completed", 2),
    ("step_started", 3), ("step_completed", 3),
    ("step_started", 4), ("step_completed", 4),
    ("step_started", 5), ("step_completed", 5),
    ("decided", -1),
)
SUSPENDED_SLOTS = (7, 8)


def _calendar_tables() -> tuple[np.ndarray, np.ndarray, int]:
    """The first working day on or after each day, and the deadline of ``k`` working days after
    each day (the calendar's own :meth:`WorkCalendar.deadline`), indexed from ``base``."""
    cal = WorkCalendar.statutory()
    base = FIRST - 10
    days = [dt.date.fromordinal(o) for o in range(base, dt.date(2025, 12, 31).toordinal())]
    workday = np.asarray([cal.is_workday(d) for d in days], bool)
    nxt = _next_index(workday) + base
    last = dt.date(2024, 12, 31).toordinal() - base
    deadline = np.asarray(
        [[cal.deadline(days[i], k, A.DayKind.WORKING).toordinal() for k in range(MOST)]
         for i in range(last)], np.int64)
    return nxt, deadline, base


def _next_index(workday: np.ndarray) -> np.ndarray:
    """For each index, the index of the first working day at or after it."""
    n = len(workday)
    idx = np.where(workday, np.arange(n), n)
    return np.minimum.accumulate(idx[::-1])[::-1]


def _first_seen(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..size-1 (-1: none) renumbered in order of first appearance: the new codes
    (int32) and, for each new code, the old one."""
    n = len(codes)
    if size <= 16:  # a few codes: one comparison each
        first = np.asarray([np.argmax(codes == c) if (codes == c).any() else n
                            for c in range(size)], np.int64)
    else:
        first = np.full(size, n, np.int64)
        present = codes >= 0
        np.minimum.at(first, codes[present], np.flatnonzero(present))
    used = np.flatnonzero(first < n)
    old = used[np.argsort(first[used], kind="stable")]
    new = np.full(size + 1, -1, np.int32)
    new[old] = np.arange(len(old), dtype=np.int32)
    return new[codes], old  # code -1 indexes the last slot: -1


CHUNK = 100_000  # cases generated at a time (bounds the temporary arrays)
_SLOT_TYPE = np.asarray([T[t] for t, _ in SLOTS], np.int8)
_SLOT_STEP = np.asarray([s for _, s in SLOTS], np.int8)


def caseload_columns(n_cases: int, n_officials: int = 20_000, seed: int = 7) -> EventColumns:
    """The caseload of ``n_cases`` cases as :class:`EventColumns` (without Event objects: its
    ``events`` rebuild them on demand). Generated ``CHUNK`` cases at a time, each chunk from
    its own stream of the seed."""
    if not 0 < n_cases <= MAX_CASES:
        raise ValueError(f"between 1 and {MAX_CASES:,} cases")
    tables = _calendar_tables()
    parts: dict[str, list[np.ndarray]] = {}
    for j, lo in enumerate(range(0, n_cases, CHUNK)):
        rng = np.random.default_rng([seed, j])
        for name, part in _chunk(rng, lo, min(CHUNK, n_cases - lo), n_officials,
                                 *tables).items():
            parts.setdefault(name, []).append(part)

    def column(name: str) -> np.ndarray:
        out = np.concatenate(parts.pop(name))
        return out

    case, slot, day, k = column("case"), column("slot"), column("day"), column("k")
    rows = len(case)
    types = _SLOT_TYPE[slot]
    step, step_old = _first_seen(_SLOT_STEP[slot], len(STEPS))
    del slot
    post, post_old = _first_seen(column("post"), 2)
    actor, actor_old = _first_seen(column("actor"), n_officials)
    suspended, decided = types == T["suspended"], types == T["decided"]
    data_raw = np.full(rows, -1, np.int8)
    data_raw[suspended], data_raw[decided] = 0, 1
    data, data_old = _first_seen(data_raw, 2)
    del data_raw, decided
    instant = (day - EPOCH_ORDINAL) * 86_400  # 08:k at +08:00 = 00:k UTC
    instant += k.astype(np.int64) * 60
    instant = instant.astype(np.float64)
    del k
    lengths = column("id_length")
    offsets = np.zeros(rows + 1, np.int64 if int(lengths.sum()) >= 2**31 else np.int32)
    np.cumsum(lengths, out=offsets[1:])
    del lengths
    text = b"".join(part.tobytes() for part in parts.pop("id_text")).decode("ascii")
    details = EventDetails(
        id=TextColumn(text, offsets), tz=np.zeros(rows, np.int8), tz_table=[TZ], data=data,
        data_table=[(SUSPENSION, DECISION)[int(i)] for i in data_old])
    return EventColumns(
        case=case, case_names=list(map("B{:07d}".format, range(n_cases))), type=types, day=day,
        instant=instant,
        item=np.zeros(rows, np.int32), item_names=["建设许可"],
        post=post, post_names=[("窗口", "首席代表")[int(i)] for i in post_old],
        actor=actor, actor_names=[f"官员{int(i):05d}" for i in actor_old],
        unit=np.zeros(rows, np.int32), unit_names=["审批局"],
        step=step, step_names=[STEPS[int(i)] for i in step_old],
        reason=np.where(suspended, 0, -1).astype(np.int32), reason_names=["专家评审"],
        refused_nr=np.zeros(rows, bool), odd=np.zeros(rows, bool), details=details)


def _chunk(rng: np.random.Generator, lo: int, n: int, n_officials: int, nxt: np.ndarray,
           deadline_of: np.ndarray, base: int) -> dict[str, np.ndarray]:
    """Cases ``lo`` to ``lo + n``: per row (in (case, time) order) the case, the slot (see
    :data:`SLOTS`), the day, the official, ``k``, the post (0: 窗口, 1: 首席代表) and the id
    (as ASCII bytes and lengths)."""

    def deadline(start: np.ndarray, k: np.ndarray) -> np.ndarray:
        return deadline_of[start - base, k]

    day0 = nxt[FIRST - base + rng.integers(0, SPAN, n)]
    who = rng.integers(0, n_officials, n)
    suspend = rng.random(n) < 0.15
    width = len(SLOTS)
    day = np.empty((n, width), np.int64)
    actor = np.empty((n, width), np.int32)
    day[:, 0] = day[:, 1] = day0
    actor[:, 0] = actor[:, 1] = who
    done: list[np.ndarray] = []
    for i, limit in enumerate(LIMITS):
        who_step = rng.integers(0, n_officials, n)
        if i == 0:
            start = day0
        elif i in (1, 2):
            start = done[0]
        elif i == 3:
            start = np.maximum(done[1], done[2])
            start = np.where(rng.random(n) < 0.03, done[0], start)  # before its prerequisites
        else:
            start = done[i - 1]
        length = rng.integers(0, limit + 1, n)
        over = rng.random(n) < 0.04  # a step over its own limit
        length = np.where(over, limit + rng.integers(1, 4, n), length)
        if i == 4:
            length = length + np.where(rng.random(n) < 0.03, 12, 0)  # a case left lying
        end = deadline(start, length)
        s_slot = 2 * i + 2 + (2 if i > 2 else 0)
        if i == 2:  # the suspension for expert review, from the start to a later resumption
            back = deadline(start, rng.integers(2, 8, n))
            day[:, 7], day[:, 8] = start, back
            actor[:, 7] = actor[:, 8] = who_step
            end = np.where(suspend, np.maximum(end, back), end)
            c_slot = 9
        else:
            c_slot = s_slot + 1
        day[:, s_slot], day[:, c_slot] = start, end
        actor[:, s_slot] = actor[:, c_slot] = who_step
        done.append(end)
    window = rng.random(n) < 0.02  # decided by a post without the deciding power
    day[:, 16] = done[4]
    actor[:, 16] = rng.integers(0, n_officials, n)
    post = np.zeros((n, width), np.int8)  # 窗口
    post[:, 16] = np.where(window, 0, 1)

    # the events present and their order in time: (day, order generated) within each case
    present = np.ones((n, width), bool)
    present[:, SUSPENDED_SLOTS] = suspend[:, None]
    k = np.cumsum(present, axis=1, dtype=np.int64)  # event k of the case (1-based)
    order = np.argsort(np.where(present, day * 32 + k, np.iinfo(np.int64).max), axis=1,
                       kind="stable")
    counts = 15 + 2 * suspend.astype(np.int64)
    keep = np.arange(width) < counts[:, None]  # the sorted present slots come first
    slots = np.broadcast_to(np.arange(width, dtype=np.int8), (n, width))
    out = {name: np.take_along_axis(a, order, axis=1)[keep]
           for name, a in (("slot", slots), ("day", day), ("actor", actor), ("post", post),
                           ("k", k.astype(np.int8)))}
    case = np.repeat(np.arange(n, dtype=np.int32), counts)
    out["case"] = case + lo
    out["id_text"], out["id_length"] = _ids(lo, n, case, out["k"])
    return out


def _ids(lo: int, n: int, case: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``B<case, 7 digits>-<k>`` for each row (``case`` counted from ``lo``): the ASCII bytes
    one after another, and each one's length."""
    number = np.arange(lo, lo + n, dtype=np.int64)
    prefix = np.empty((n, 9), np.uint8)
    prefix[:, 0] = ord("B")
    for j in range(7):
        prefix[:, 7 - j] = ord("0") + number // 10**j % 10
    prefix[:, 8] = ord("-")
    chars = np.empty((len(case), 11), np.uint8)
    chars[:, :9] = prefix[case]
    two = k >= 10
    chars[:, 9] = ord("0") + np.where(two, k // 10, k)
    chars[:, 10] = ord("0") + k % 10
    length = np.where(two, 11, 10).astype(np.int8)
    return chars[np.arange(11) < length[:, None]], length
