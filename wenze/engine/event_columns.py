"""Events as columns (numpy arrays, one row per event): the input of the columnar fast path
(:mod:`wenze.engine.columnar`).

read events → **columns** → columnar evaluation → decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wenze.engine.case import REFUSALS
from wenze.engine.events import Event, EventType, normalise_outcome

__all__ = ["NATIVE", "TYPES", "TYPE_CODE", "EventColumns", "T"]

TYPES: tuple[EventType, ...] = tuple(EventType)
TYPE_CODE: dict[Any, int] = {t: i for i, t in enumerate(TYPES)}
T = {t.value: i for i, t in enumerate(TYPES)}
NATIVE = frozenset(T[t] for t in ("received", "accepted", "step_started", "step_completed",
                                  "suspended", "resumed", "decided"))
_ODD = 1  # an event with data this module does not read


# --------------------------------------------------------------------------- columns


def _encode(values: Iterable[Any], n: int) -> tuple[np.ndarray, list[str]]:
    """Strings → int32 codes in first-seen order; empty or None → -1."""
    table: dict[str, int] = {}
    get = table.setdefault
    codes = np.fromiter((get(v, len(table)) if v else -1 for v in values), np.int32, n)
    return codes, list(table)


@dataclass
class EventColumns:
    """The events as columns (one row per event, in input order) plus the events themselves (the
    routed cases, rejections and the shared context are made from them)."""

    events: Sequence[Event]
    case: np.ndarray  # int32, index into case_names (sorted), -1: no case
    case_names: list[str]
    type: np.ndarray  # int8, index into TYPES
    day: np.ndarray  # int64, proleptic ordinal of the local date
    instant: np.ndarray  # float64, POSIX seconds (distinct microseconds stay distinct)
    item: np.ndarray
    item_names: list[str]
    post: np.ndarray
    post_names: list[str]
    actor: np.ndarray
    actor_names: list[str]
    unit: np.ndarray
    unit_names: list[str]
    step: np.ndarray
    step_names: list[str]
    reason: np.ndarray  # int32 code of a suspension's data.reason ("" included), -1 none
    reason_names: list[str]
    refused_nr: np.ndarray  # bool: a decision refusing without reasons
    odd: np.ndarray  # bool: data this module does not read (the case is routed)

    def __len__(self) -> int:
        return len(self.events)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> EventColumns:
        evs = events if isinstance(events, list) else list(events)
        n = len(evs)
        case_raw, case_names = _encode((e.case for e in evs), n)
        order = sorted(range(len(case_names)), key=case_names.__getitem__)
        rank = np.empty(len(case_names) + 1, np.int32)
        rank[np.asarray(order, np.int64)] = np.arange(len(order), dtype=np.int32)
        rank[-1] = -1
        case = rank[case_raw]  # -1 indexes the last slot: -1
        types = np.fromiter((TYPE_CODE[e.type] for e in evs), np.int8, n)
        day = np.fromiter((e.at.toordinal() for e in evs), np.int64, n)
        instant = np.fromiter((e.at.timestamp() for e in evs), np.float64, n)
        item, item_names = _encode((e.item for e in evs), n)
        post, post_names = _encode((e.post for e in evs), n)
        actor, actor_names = _encode((e.actor for e in evs), n)
        unit, unit_names = _encode((e.unit for e in evs), n)
        step, step_names = _encode((e.step for e in evs), n)
        reason = np.full(n, -1, np.int32)
        reasons: dict[str, int] = {}
        refused_nr = np.zeros(n, bool)
        odd = np.zeros(n, bool)
        suspended, decided = TYPE_CODE[EventType.SUSPENDED], TYPE_CODE[EventType.DECIDED]
        for i in np.flatnonzero(np.fromiter((bool(e.data) for e in evs), bool, n)).tolist():
            e = evs[i]
            data, t = e.data, types[i]
            if t == suspended and data.keys() <= {"reason"}:
                reason[i] = reasons.setdefault(str(data.get("reason") or ""), len(reasons))
            elif t == decided and data.keys() <= {"outcome", "reasons"}:
                outcome = str(data.get("outcome") or "")
                refused_nr[i] = (outcome in REFUSALS or normalise_outcome(outcome) == "refused"
                                 ) and not data.get("reasons")
            else:
                odd[i] = True
        sus = types == suspended
        reason[sus & (reason < 0)] = reasons.setdefault("", len(reasons))
        return cls(evs, case, case_names, types, day, instant, item, item_names, post, post_names,
                   actor, actor_names, unit, unit_names, step, step_names, reason, list(reasons),
                   refused_nr, odd)
