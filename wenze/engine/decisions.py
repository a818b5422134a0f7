"""The reference judge: the records the evaluator issues — decisions, warnings, metrics.

parse → check → lower → evaluate → **decisions** → output / store.

Every record is frozen and has ``to_json()`` returning a plain dict with a stable, documented
schema (``docs/semantics.md`` §8): keys are fixed, values are str / int / float / bool / None /
lists / dicts only, so ``json.dumps(…, sort_keys=True)`` of the same inputs is byte-identical.
The store (``wenze.store``) keeps exactly that dict.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl.ast import Role
from wenze.engine.lower import Basis, ViolationIR

SCHEMA_VERSION = 1

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.DIRECT: ("直接责任", "direct responsibility"),
    Role.REVIEWER: ("主要领导责任（审核人）", "primary leadership responsibility (reviewer)"),
    Role.APPROVER: ("重要领导责任（批准人）", "important leadership responsibility (approver)"),
    Role.DEPUTY_LEADER: ("领导责任（分管领导）", "leadership responsibility (deputy leader)"),
    Role.CHIEF_LEADER: ("领导责任（主要领导）", "leadership responsibility (chief leader)"),
}

LEVEL_LABELS = {"notice": "预警", "yellow": "黄牌", "red": "红牌"}


def json_value(value: Any) -> Any:
    """A fact value as JSON: dates as ISO text, decimals as numbers rounded to 2 places."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        q = value.quantize(Decimal("0.01"))
        return int(q) if q == q.to_integral_value() else float(q)
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


def stable_key(*parts: str | None) -> str:
    """A stable id: the first 16 hex digits of the SHA-256 of the parts joined by ``|``."""
    text = "|".join("" if p is None else p for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class LadderInfo:
    """Why the ladder chose the sanction (from :mod:`wenze.engine.ladder`)."""

    name: str
    step: int | None  # the escalation row used (its 第 N 次), None when exempt or joint
    # count_in_window: the person's ordinal in the window; for a joint decision the unit's count
    count_in_window: int
    window: str
    reasons: tuple[tuple[str, str], ...]  # (zh, en) sentences
    adjustments: tuple[str, ...]  # circumstances that moved the sanction
    exempt_by: str | None
    consequences: tuple[str, ...]
    joint: bool = False  # a sanction given to a leader by joint liability (连带)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "step": self.step,
            "count_in_window": self.count_in_window,
            "window": self.window,
            "reasons": [{"zh": zh, "en": en} for zh, en in self.reasons],
            "adjustments": list(self.adjustments),
            "exempt_by": self.exempt_by,
            "consequences": list(self.consequences),
            "joint": self.joint,
        }


@dataclass(frozen=True)
class Decision:
    """One accountability decision: one responsible person, one violation, one case (or one unit
    and period for a target)."""

    key: str
    case: str | None
    item: str | None
    violation: str
    scope: str  # case / step / countersign / target
    subject: str | None  # the step, countersigning unit, or unit/period the violation is about
    person: str | None  # None when only the post or unit is known
    post: str | None
    unit: str | None
    role: Role
    sanction: str | None  # None: exempt, or the violation has no ladder
    ladder: LadderInfo | None
    basis: tuple[Basis, ...]
    condition: str
    facts: tuple[tuple[str, Any], ...]  # the facts the condition read, with their values
    dates: tuple[tuple[str, dt.date | None], ...]
    established: dt.date
    as_of: dt.date
    # the version of a rulebook family whose rule judged the act (None: a single rulebook)
    version: str | None = None

    @property
    def role_zh(self) -> str:
        return ROLE_LABELS[self.role][0]

    def to_json(self) -> dict[str, Any]:
        zh, en = ROLE_LABELS[self.role]
        return {
            "key": self.key,
            "case": self.case,
            "item": self.item,
            "violation": self.violation,
            "scope": self.scope,
            "subject": self.subject,
            "person": self.person,
            "post": self.post,
            "unit": self.unit,
            "role": self.role.value,
            "role_label": {"zh": zh, "en": en},
            "sanction": self.sanction,
            "ladder": self.ladder.to_json() if self.ladder else None,
            "basis": [b.to_json() for b in self.basis],
            "condition": self.condition,
            "facts": {k: json_value(v) for k, v in self.facts},
            "dates": {k: json_value(v) for k, v in self.dates},
            "established": self.established.isoformat(),
            "as_of": self.as_of.isoformat(),
        } | ({"version": self.version} if self.version is not None else {})


@dataclass(frozen=True)
class Warning:
    """An open case or running step that has reached one of the item's warning levels."""

    case: str
    item: str
    step: str | None
    level: str  # notice / yellow / red
    deadline: dt.date
    days_left: int
    days_over: int
    percent_used: Decimal | None
    person: str | None
    post: str | None
    unit: str | None
    rule: str  # the warning rule as written
    as_of: dt.date

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "item": self.item,
            "step": self.step,
            "level": self.level,
            "level_zh": LEVEL_LABELS[self.level],
            "deadline": self.deadline.isoformat(),
            "days_left": self.days_left,
            "days_over": self.days_over,
            "percent_used": json_value(self.percent_used),
            "person": self.person,
            "post": self.post,
            "unit": self.unit,
            "rule": self.rule,
            "as_of": self.as_of.isoformat(),
        }


@dataclass(frozen=True)
class Metric:
    """Counts and rates of one unit in one period (by decision date; ``received`` by receipt)."""

    unit: str
    period: str  # 2024-03, 2024-Q1, 2024-H1, 2024
    complete: bool  # the period ended on or before the as-of date
    received: int
    decided: int
    on_time: int
    on_the_spot: int
    overdue_open: int
    on_time_rate: Decimal | None
    on_the_spot_rate: Decimal | None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "period": self.period,
            "complete": self.complete,
            "received": self.received,
            "case_count": self.decided,
            "on_time": self.on_time,
            "on_the_spot": self.on_the_spot,
            "overdue_open": self.overdue_open,
            "on_time_rate": json_value(self.on_time_rate),
            "on_the_spot_rate": json_value(self.on_the_spot_rate),
        }


@dataclass(frozen=True)
class Offence:
    """A true violation check for one responsible person, before the ladder."""

    case: str | None
    item: str | None
    violation: ViolationIR
    subject: str | None
    person: str | None
    post: str | None
    unit: str | None
    role: A.Role
    established: dt.date
    facts: tuple[tuple[str, Any], ...]
    dates: tuple[tuple[str, dt.date | None], ...]
    circumstances: tuple[str, ...]

    @property
    def person_key(self) -> str:
        if self.person:
            return self.person
        if self.post:
            return f"岗位:{self.post}"
        return f"单位:{self.unit}"

    @functools.cached_property
    def key(self) -> str:  # (a SHA-256: computed once, read by the ladder and the decision)
        return stable_key(self.case, self.violation.name, self.subject, self.person_key,
                          self.role.value)

    @property
    def order(self) -> tuple:
        return (self.established, self.case or "", self.violation.name, self.subject or "",
                self.person_key, self.role.value)
