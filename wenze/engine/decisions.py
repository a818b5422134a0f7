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
from wenze.dsl.ast import Degree, Leader, PartyBase, Responsibility, Role
from wenze.engine.lower import Basis, ViolationIR

NO_TIME = float("inf")  # an offence with no act behind it comes after those with one

# 2: decisions carry ``party``, ``degree`` and ``party_missing`` (docs/semantics.md §8)
SCHEMA_VERSION = 2

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.DIRECT: ("直接责任", "direct responsibility"),
    Role.REVIEWER: ("主要领导责任（审核人）", "primary leadership responsibility (reviewer)"),
    Role.APPROVER: ("重要领导责任（批准人）", "important leadership responsibility (approver)"),
    Role.DEPUTY_LEADER: ("主要领导责任（分管领导）",
                         "primary leadership responsibility (deputy leader)"),
    Role.CHIEF_LEADER: ("重要领导责任（主要领导）",
                        "important leadership responsibility (chief leader)"),
}

PARTY_LABELS: dict[PartyBase, tuple[str, str]] = {
    PartyBase.DIRECT: ("直接责任人", "direct"),
    PartyBase.REVIEWER: ("审核人", "reviewer"),
    PartyBase.RECEIVER: ("收件人", "receiver"),
    PartyBase.ACCEPTOR: ("受理人", "acceptor"),
    PartyBase.CORRECTION_NOTIFIER: ("补正告知人", "correction notifier"),
    PartyBase.SUSPENDER: ("中止人", "suspender"),
    PartyBase.EXTENSION_APPROVER: ("延期批准人", "extension approver"),
    PartyBase.DECIDER: ("决定人", "decider"),
    PartyBase.DELIVERER: ("送达人", "deliverer"),
    PartyBase.REFERRER: ("转办人", "referrer"),
    PartyBase.STEP_HANDLER: ("环节承办人", "step handler"),
    PartyBase.COUNTERSIGN_UNIT: ("会签单位", "countersign unit"),
    PartyBase.COUNTERSIGN_REQUESTER: ("会签发起人", "countersign requester"),
    PartyBase.COMPLAINED_OF: ("被投诉人", "complained official"),
}
# the event type whose actor each act party is
PARTY_ACTS: dict[PartyBase, tuple[str, str]] = {
    PartyBase.RECEIVER: ("收件", "received"),
    PartyBase.ACCEPTOR: ("受理", "accepted"),
    PartyBase.CORRECTION_NOTIFIER: ("补正告知", "corrections_requested"),
    PartyBase.SUSPENDER: ("中止计时", "suspended"),
    PartyBase.EXTENSION_APPROVER: ("延期批准", "extension_granted"),
    PartyBase.DECIDER: ("决定", "decided"),
    PartyBase.DELIVERER: ("送达", "delivered"),
    PartyBase.REFERRER: ("转办", "referred"),
    PartyBase.STEP_HANDLER: ("环节办结", "step_completed"),
    PartyBase.COUNTERSIGN_REQUESTER: ("会签发起", "countersign_requested"),
    PartyBase.COMPLAINED_OF: ("投诉", "complaint"),
}
LEADER_LABELS: dict[Leader, tuple[str, str]] = {
    Leader.DEPUTY: ("分管领导", "deputy leader"),
    Leader.CHIEF: ("主要领导", "chief leader"),
    Leader.BODY: ("领导班子", "leadership body"),
}
DEGREE_LABELS: dict[Degree, tuple[str, str]] = {
    Degree.DIRECT: ("直接责任", "direct responsibility"),
    Degree.PRIMARY_LEADERSHIP: ("主要领导责任", "primary leadership responsibility"),
    Degree.IMPORTANT_LEADERSHIP: ("重要领导责任", "important leadership responsibility"),
    Degree.OVERALL_LEADERSHIP: ("全面领导责任", "overall leadership responsibility"),
}


@functools.lru_cache(maxsize=512)  # (a few distinct responsibilities: labels made once)
def party_label(r: Responsibility) -> tuple[str, str]:
    """The party as a rulebook writes it: 决定人的分管领导 / decider's deputy leader."""
    for word in Role:  # a role word's meaning: the word (as the label always said)
        if (r.party, r.degree) == _meaning(word):
            return _WORD_LABELS[word]
    zh, en = PARTY_LABELS[r.party.base]
    if r.party.leader is None:
        return zh, en
    lzh, len_ = LEADER_LABELS[r.party.leader]
    if r.party.base is PartyBase.DIRECT:
        return lzh, len_
    return f"{zh}的{lzh}", f"{en}'s {len_}"


_WORD_LABELS = {Role.DIRECT: ("直接责任人", "direct"), Role.REVIEWER: ("审核人", "reviewer"),
                Role.APPROVER: ("批准人", "approver"),
                Role.DEPUTY_LEADER: ("分管领导", "deputy leader"),
                Role.CHIEF_LEADER: ("主要领导", "chief leader")}


def _meaning(word: Role) -> tuple:
    from wenze.dsl.ast import ROLE_MEANING
    return ROLE_MEANING[word]


@functools.lru_cache(maxsize=512)  # (a few distinct responsibilities: labels made once)
def role_label(r: Responsibility) -> tuple[str, str]:
    """The degree and the party: ``主要领导责任（决定人的分管领导）``; a role word's own label."""
    for word in Role:
        if (r.party, r.degree) == _meaning(word):
            return ROLE_LABELS[word]
    dzh, den = DEGREE_LABELS[r.degree]
    pzh, pen = party_label(r)
    return f"{dzh}（{pzh}）", f"{den} ({pen})"


def person_key_of(person: str | None, post: str | None, unit: str | None,
                  leader: Leader | None) -> str:
    """Whom the ladder counts an offence for: the person; else the post nobody was seen in
    (``岗位:…``); else, for a leader the unit does not name or a unit's leadership body, the unit
    and that party (``单位:…/分管领导``, ``单位:…/领导班子``: never merged with the unit's unknown
    official); else the unit (``单位:…``)."""
    if person:
        return person
    if post:
        return f"岗位:{post}"
    if leader is not None:
        return leader_unit_key(unit, leader)
    return f"单位:{unit}"


def leader_unit_key(unit: str | None, leader: Leader) -> str:
    """The ladder key of a unit's leader nobody names, or of its leadership body."""
    return f"单位:{unit}/{LEADER_LABELS[leader][0]}"


def party_missing(r: Responsibility, scope: str, person: str | None, post: str | None,
                  unit: str | None) -> tuple[str, str] | None:
    """Why the party of a decision was not found (person None), or None when it was (or when the
    party is a unit: a countersigning unit, a unit missing its target)."""
    if person is not None:
        return None
    party = r.party
    pzh, pen = party_label(r)
    if party.leader is Leader.BODY:
        return None  # a unit's leadership body answers as a body
    if party.leader is not None:
        lzh, len_ = LEADER_LABELS[party.leader]
        if post is not None:
            return (f"{pzh}：岗位「{post}」在认定之日前后无人在岗记录",
                    f"{pen}: nobody was seen in post 「{post}」")
        return (f"{pzh}：单位「{unit}」及其岗位未指明{lzh}",
                f"{pen}: unit 「{unit}」 and the post name no {len_}")
    if scope == "countersign" and party.base in (PartyBase.DIRECT, PartyBase.COUNTERSIGN_UNIT):
        return None  # a unit answers
    if scope == "target" and party.base is PartyBase.DIRECT:
        if post is not None:
            return (f"{pzh}：岗位「{post}」无人在岗记录",
                    f"{pen}: nobody was seen in post 「{post}」")
        return (f"{pzh}：单位「{unit}」未指明主要领导",
                f"{pen}: unit 「{unit}」 names no chief leader")
    if post is not None:
        return (f"{pzh}：该行为未记录办理人（岗位「{post}」）",
                f"{pen}: the act names no person (post 「{post}」)")
    act = PARTY_ACTS.get(party.base)
    if act is not None:
        return (f"{pzh}：案件中没有「{act[0]}」行为", f"{pen}: the case has no {act[1]} act")
    if party.base is PartyBase.REVIEWER:
        return (f"{pzh}：案件中没有审核环节或审核人记录",
                f"{pen}: the case has no review step and no event with role reviewer")
    return (f"{pzh}：案件中没有办理人记录", f"{pen}: the case names no handler")

LEVEL_LABELS = {"notice": "预警", "yellow": "黄牌", "red": "红牌"}


def json_value(value: Any) -> Any:
    """A fact value as JSON: dates as ISO text, decimals as numbers rounded to 2 places."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is dt.date:
        return value.isoformat()
    if isinstance(value, bool) or isinstance(value, int | str):  # (a subclass)
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
    role: Responsibility  # the party and its degree
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
        return role_label(self.role)[0]

    @property
    def missing(self) -> tuple[str, str] | None:
        """Why the party was not found (the decision names its post or unit), else None."""
        return party_missing(self.role, self.scope, self.person, self.post, self.unit)

    def to_json(self) -> dict[str, Any]:
        zh, en = role_label(self.role)
        pzh, pen = party_label(self.role)
        dzh, den = DEGREE_LABELS[self.role.degree]
        missing = self.missing
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
            "party": {"act": self.role.party.base.value,
                      "leader": self.role.party.leader.value if self.role.party.leader else None,
                      "zh": pzh, "en": pen},
            "degree": {"code": self.role.degree.value, "zh": dzh, "en": den},
            "party_missing": {"zh": missing[0], "en": missing[1]} if missing else None,
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
    role: A.Responsibility
    established: dt.date
    facts: tuple[tuple[str, Any], ...]
    dates: tuple[tuple[str, dt.date | None], ...]
    circumstances: tuple[str, ...]
    act_at: float | None = None  # the POSIX time of the act behind the offence, if any

    @property
    def person_key(self) -> str:
        return person_key_of(self.person, self.post, self.unit, self.role.party.leader)

    @functools.cached_property
    def key(self) -> str:  # (a SHA-256: computed once, read by the ladder and the decision)
        return stable_key(self.case, self.violation.name, self.subject, self.person_key,
                          self.role.value)

    @property
    def ladder_order(self) -> tuple:
        """How the ladder takes offences of one date (docs/semantics.md §6): the time of the act
        behind them (none: last), the case id, the violation, the subject, then who and in what
        role — never a hash."""
        return (NO_TIME if self.act_at is None else self.act_at, self.case or "",
                self.violation.name, self.subject or "", self.person_key, self.role.value)

    @property
    def order(self) -> tuple:
        return (self.established, self.case or "", self.violation.name, self.subject or "",
                self.person_key, self.role.value)
