"""The events stage: the event record and its validation.

approval system → events file → **validated ``Event``s** (this module) → evaluate.

The contract (``docs/events.md``): one object ``{"id", "case", "type", "at", "item", "actor",
"post", "unit", "step", "data"}`` per event; ``type`` in English or Chinese; ``at`` ISO 8601 with
a UTC offset. :func:`build_event` turns one decoded object into a frozen :class:`Event` or raises
:class:`BadEvent` with a reason code; :class:`Collector` keeps the first event of each id, counts
identical duplicates and rejects conflicting ones. The readers are in :mod:`wenze.events.readers`
(JSON Lines, entry points) and :mod:`wenze.events.logs` (CSV and XES through a mapping).

One module on purpose (~670 lines): the event record and both of its validations (the quick one
and the full one) must agree field by field, so they stand side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from operator import attrgetter
from typing import Any


class EventType(StrEnum):
    RECEIVED = "received"  # 收件
    CORRECTIONS_REQUESTED = "corrections_requested"  # 补正告知 (data.materials)
    CORRECTIONS_SUPPLIED = "corrections_supplied"  # 补正提交
    ACCEPTED = "accepted"  # 受理
    SUSPENDED = "suspended"  # 中止计时 (data.reason)
    RESUMED = "resumed"  # 恢复计时
    STEP_STARTED = "step_started"  # 环节开始
    STEP_COMPLETED = "step_completed"  # 环节办结
    COUNTERSIGN_REQUESTED = "countersign_requested"  # 会签发起
    COUNTERSIGN_REPLIED = "countersign_replied"  # 会签回复 (data.opinion, data.reasons)
    EXTENSION_GRANTED = "extension_granted"  # 延期批准 (data.days)
    DECIDED = "decided"  # 决定 (data.outcome, data.reasons)
    DELIVERED = "delivered"  # 送达
    REFERRED = "referred"  # 转办 (data.to_unit)
    ABSENT = "absent"  # 离岗
    RETURNED = "returned"  # 返岗
    COMPLAINT = "complaint"  # 投诉 (data.kind)


ZH_TYPES: dict[str, EventType] = {
    "收件": EventType.RECEIVED,
    "补正告知": EventType.CORRECTIONS_REQUESTED,
    "补正提交": EventType.CORRECTIONS_SUPPLIED,
    "受理": EventType.ACCEPTED,
    "中止计时": EventType.SUSPENDED,
    "恢复计时": EventType.RESUMED,
    "环节开始": EventType.STEP_STARTED,
    "环节办结": EventType.STEP_COMPLETED,
    "会签发起": EventType.COUNTERSIGN_REQUESTED,
    "会签回复": EventType.COUNTERSIGN_REPLIED,
    "延期批准": EventType.EXTENSION_GRANTED,
    "决定": EventType.DECIDED,
    "送达": EventType.DELIVERED,
    "转办": EventType.REFERRED,
    "离岗": EventType.ABSENT,
    "返岗": EventType.RETURNED,
    "投诉": EventType.COMPLAINT,
}
ZH_NAME: dict[EventType, str] = {v: k for k, v in ZH_TYPES.items()}
TYPE_LOOKUP: dict[str, EventType] = {**{t.value: t for t in EventType}, **ZH_TYPES}

# Values of data.opinion (会签回复) and data.outcome (决定) in both languages → English.
OPINIONS = {
    "同意": "agree",
    "不同意": "disagree",
    "同意但需转报": "agree_forward",
    "agree": "agree",
    "disagree": "disagree",
    "agree_forward": "agree_forward",
}
OUTCOMES = {"准予": "approved", "不予": "refused", "approved": "approved", "refused": "refused"}

FIELDS = ("id", "case", "type", "at", "item", "actor", "post", "unit", "step", "data")
FIELD_SET = frozenset(FIELDS)
_TEXT_FIELDS = ("item", "actor", "post", "unit", "step")
STEP_TYPES = frozenset(
    {
        EventType.STEP_STARTED,
        EventType.STEP_COMPLETED,
        EventType.COUNTERSIGN_REQUESTED,
        EventType.COUNTERSIGN_REPLIED,
    }
)
CASELESS = frozenset({EventType.ABSENT, EventType.RETURNED})


def parse_event_type(text: Any) -> EventType | None:
    """``accepted``, ``ACCEPTED`` or ``受理`` → ``EventType.ACCEPTED``; anything else → None."""
    found = TYPE_LOOKUP.get(text) if isinstance(text, str) else None
    if found is not None or not isinstance(text, str):
        return found
    return TYPE_LOOKUP.get(text.strip().lower()) or TYPE_LOOKUP.get(text.strip())


def normalise_opinion(value: Any) -> str | None:
    """A countersign reply's opinion in English (agree/disagree/agree_forward), None otherwise."""
    return OPINIONS.get(str(value).strip()) if value is not None else None


# The outcome vocabulary: the words an event's outcome may use for each kind of answer.
AGREE = frozenset({"同意", "agree", "consent", "approve", "approved"})
DISAGREE = frozenset({"不同意", "disagree", "dissent", "object", "refuse"})
FORWARD = frozenset({"同意但需转报", "agree_forward", "agree and forward", "forward"})
REFUSALS = frozenset({"不予许可", "不予批准", "驳回", "refused", "refuse", "denied", "deny",
                      "rejected"})
SHIRKING = frozenset({"推诿", "shirked", "shirking", "不归我管"})

def normalise_outcome(value: Any) -> str | None:
    """A decision's outcome in English (approved/refused); ``准予许可`` counts as approved."""
    if value is None:
        return None
    v = str(value).strip()
    if v in OUTCOMES:
        return OUTCOMES[v]
    if v.startswith("不予"):
        return "refused"
    if v.startswith("准予"):
        return "approved"
    return None


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Event:
    """One validated event. ``line``/``source`` say where it was read and are left out of
    equality; ``at`` is timezone-aware."""

    id: str
    case: str
    type: EventType
    at: dt.datetime
    item: str | None = None
    actor: str | None = None
    post: str | None = None
    unit: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict, hash=False)
    line: int | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)

    @property
    def local_date(self) -> dt.date:
        """The date of ``at`` in its own offset (the date the office saw)."""
        return self.at.date()

    def to_json(self) -> dict[str, Any]:
        """The event in the contract's shape (keys in contract order; empty fields left out)."""
        out: dict[str, Any] = {
            "id": self.id,
            "case": self.case,
            "type": self.type.value,
            "at": self.at.isoformat(),
        }
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.data:
            out["data"] = self.data
        return out

    def content_key(self) -> str:
        """Canonical text of the content (for duplicate detection): same key ⇔ same event."""
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Rejection:
    """A line or event kept out, and why. ``code`` is one of the codes in docs/events.md."""

    source: str
    line: int | None
    event_id: str | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: event {self.event_id or '?'}: [{self.code}] {self.message}"


class EventError(ValueError):
    """Raised in strict mode at the first bad event."""

    def __init__(self, rejection: Rejection):
        self.rejection = rejection
        super().__init__(str(rejection))

    def __reduce__(self) -> tuple[type, tuple[Rejection]]:
        return (type(self), (self.rejection,))


@dataclass
class EventBatch:
    """Valid events (sorted by case, instant, id), rejections, identical duplicates ignored, and
    per-case attributes read from CSV/XES logs (e.g. ``case:deadline``)."""

    events: list[Event]
    rejected: list[Rejection]
    duplicates: int = 0
    case_attributes: dict[str, dict[str, str]] = field(default_factory=dict)


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Deterministic order: case, instant (UTC), id."""
    return sorted(events, key=_ORDER)


# (case, at, id); aware datetimes compare by instant, whatever their offsets
_ORDER = attrgetter("case", "at", "id")


# --------------------------------------------------------------------------- field checks


class BadEvent(Exception):
    def __init__(self, code: str, zh: str, en: str):
        super().__init__(code)
        self.code = code
        self.message = f"{zh} / {en}"


FIRST_YEAR, LAST_YEAR = 1900, 2200  # times outside these years are refused (time_out_of_range)
MAX_DATA_DEPTH = 32  # objects and lists inside one another in ``data`` (deeper: too_deep)


def out_of_range(at: dt.datetime) -> BadEvent:
    return BadEvent(
        "time_out_of_range",
        f"时间 `{at.isoformat()}` 不在 {FIRST_YEAR}–{LAST_YEAR} 年之内",
        f"time `{at.isoformat()}` is outside the years {FIRST_YEAR}–{LAST_YEAR} the engine "
        "computes with",
    )


def data_depth_ok(data: Any, limit: int = MAX_DATA_DEPTH) -> bool:
    """Whether ``data`` nests objects and lists no deeper than ``limit`` (walked without
    recursion)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if type(value) is dict:
            children: Any = value.values()
        elif type(value) is list:
            children = value
        else:
            continue
        if depth >= limit:
            return False
        stack.extend((child, depth + 1) for child in children
                     if type(child) is dict or type(child) is list)
    return True


def lone_surrogate(value: Any) -> str | None:
    """The first text in ``value`` (a decoded JSON value: keys too) holding a lone UTF-16
    surrogate (``"\\ud800"``, which no UTF-8 text can hold and no store can keep), or None."""
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is str:
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    return v
        elif type(v) is dict:
            stack.extend(v.keys())
            stack.extend(v.values())
        elif type(v) is list:
            stack.extend(v)
    return None


_RAW_SURROGATE = re.compile(r"[\ud800-\udfff]")


def bad_bytes(text: str) -> str | None:
    """The reason a line read with ``errors="surrogateescape"`` is not UTF-8 text (the byte and
    its column), or None."""
    m = _RAW_SURROGATE.search(text)
    if m is None:
        return None
    byte = ord(m.group(0)) - 0xDC00 if 0xDC80 <= ord(m.group(0)) <= 0xDCFF else None
    shown = f"0x{byte:02X}" if byte is not None else f"U+{ord(m.group(0)):04X}"
    return (f"该行不是有效的 UTF-8 文本（第 {m.start() + 1} 列的字节 {shown}）"
            f" / the line is not valid UTF-8 (byte {shown} at column {m.start() + 1})")


def surrogate_problem() -> BadEvent:
    return BadEvent("bad_text", "文本中有孤立的 UTF-16 代理项（如 \\ud800），无法表示为 UTF-8",
                    "a text holds a lone UTF-16 surrogate (such as \\ud800), which UTF-8 "
                    "cannot represent")


def parse_time(value: Any) -> dt.datetime:
    """ISO 8601 with a UTC offset (``2024-03-01T09:00:00+08:00``, ``…Z``, space separator ok),
    in the years :data:`FIRST_YEAR`–:data:`LAST_YEAR`."""
    if not isinstance(value, str) or not value.strip():
        raise BadEvent("bad_time", f"时间 `{value}` 无法解析", f"time `{value}` is not ISO 8601")
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadEvent(
            "bad_time", f"时间 `{value}` 无法解析", f"time `{value}` is not ISO 8601"
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise BadEvent(
            "naive_time",
            f"时间 `{value}` 缺少时区偏移（如 +08:00）",
            f"time `{value}` has no UTC offset (e.g. +08:00); local times are not guessed",
        )
    if not FIRST_YEAR <= at.year <= LAST_YEAR:
        raise out_of_range(at)
    return at


def text_list_ok(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )


def build_event(obj: Any, source: str, line: int | None) -> Event:
    """Validate one decoded JSON object into an :class:`Event` (raises ``BadEvent``)."""
    if not isinstance(obj, dict):
        raise BadEvent("bad_json", "该行不是 JSON 对象", "the line is not a JSON object")
    if not FIELD_SET.issuperset(obj):
        unknown = sorted(set(obj) - FIELD_SET)
        raise BadEvent(
            "unknown_field",
            f"未知字段 `{unknown[0]}`（附加信息请放入 data）",
            f"unknown field `{unknown[0]}` (put extra information under `data`)",
        )
    for name in ("id", "type", "at"):
        if obj.get(name) in (None, ""):
            raise BadEvent("missing_field", f"缺少字段 `{name}`", f"missing field `{name}`")
    eid = obj["id"]
    if not isinstance(eid, str):
        raise BadEvent("bad_field", "字段 `id` 须为字符串", "field `id` must be a string")
    etype = parse_event_type(obj["type"])
    if etype is None:
        raise BadEvent(
            "unknown_type",
            f"未知事件类型 `{obj['type']}`",
            f"unknown event type `{obj['type']}` (see docs/events.md)",
        )
    case = obj.get("case")
    if case is None or case == "":
        if etype not in CASELESS:
            raise BadEvent("missing_field", "缺少字段 `case`", "missing field `case`")
        case = ""
    if not isinstance(case, str):
        raise BadEvent("bad_field", "字段 `case` 须为字符串", "field `case` must be a string")
    at = parse_time(obj["at"])
    texts: dict[str, str | None] = {}
    for name in _TEXT_FIELDS:
        value = obj.get(name)
        if value == "":
            value = None
        if value is not None and not isinstance(value, str):
            raise BadEvent(
                "bad_field", f"字段 `{name}` 须为字符串", f"field `{name}` must be a string"
            )
        texts[name] = value
    data = obj.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadEvent("bad_field", "字段 `data` 须为对象", "field `data` must be an object")
    if not data_depth_ok(data):
        raise BadEvent("too_deep", f"`data` 嵌套超过 {MAX_DATA_DEPTH} 层",
                       f"`data` nests deeper than {MAX_DATA_DEPTH} levels")
    if lone_surrogate(obj) is not None:
        raise surrogate_problem()
    _check_data(etype, texts, data)
    return Event(eid, case, etype, at, data=data, line=line, source=source, **texts)


def _missing(etype: EventType, name: str) -> BadEvent:
    return BadEvent(
        "missing_field",
        f"`{ZH_NAME[etype]}` 事件缺少 `{name}`",
        f"a `{etype.value}` event needs `{name}`",
    )


def _check_data(etype: EventType, texts: dict[str, str | None], data: dict[str, Any]) -> None:
    """Fields a type needs, and the shape of the data fields the evaluator reads."""
    if etype in STEP_TYPES:
        if not texts["step"]:
            raise _missing(etype, "step")
        if etype is EventType.COUNTERSIGN_REPLIED and not texts["unit"]:
            raise _missing(etype, "unit")
    elif etype in CASELESS:
        if not texts["post"]:
            raise _missing(etype, "post")
    elif etype is EventType.EXTENSION_GRANTED:
        days = data.get("days")
        if days is None:
            raise _missing(etype, "data.days")
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise BadEvent(
                "bad_data",
                f"`data.days` 须为正整数：{days!r}",
                f"`data.days` must be a positive integer, not {days!r}",
            )
    elif etype is EventType.REFERRED and not data.get("to_unit"):
        raise _missing(etype, "data.to_unit")
    if data:
        for key in LIST_DATA:
            value = data.get(key)
            if value is not None and not text_list_ok(value):
                raise BadEvent(
                    "bad_data",
                    f"`data.{key}` 须为字符串或字符串列表",
                    f"`data.{key}` must be a string or a list of strings",
                )


LIST_DATA = ("materials", "reasons", "circumstances")


# --------------------------------------------------------------------------- the quick path

NO_STEP_NEEDED = frozenset(
    {
        EventType.RECEIVED,
        EventType.CORRECTIONS_REQUESTED,
        EventType.CORRECTIONS_SUPPLIED,
        EventType.ACCEPTED,
        EventType.SUSPENDED,
        EventType.RESUMED,
        EventType.DECIDED,
        EventType.DELIVERED,
        EventType.COMPLAINT,
    }
)
_TIME_CACHE_LIMIT = 200_000  # parsed timestamps kept by one reader (cleared when full)
_combine = dt.datetime.combine
_fromisoformat = dt.datetime.fromisoformat


class _Texts(dict[str | None, str | None]):
    """One copy of each text read (``texts[t]``, the first ``t`` equal to it); an absent text
    (``None`` or ``""``) is ``None``; any other value raises ``TypeError``, as an unhashable one
    does. A text seen before is a lookup in C."""

    __slots__ = ()

    def __missing__(self, value: Any) -> str:
        if type(value) is not str:
            raise TypeError(f"not a text: {type(value).__name__}")
        self[value] = value
        return value


class QuickBuilder:
    """:func:`build_event` for the common, well-formed event, faster: exact types (``str``,
    ``dict``) and exact spellings only, no error messages. :meth:`build` returns the
    very :class:`Event` that :func:`build_event` would (equal in every field, ``line`` and
    ``source`` too), or ``None`` whenever anything is unusual — a missing, empty or non-text
    field, a type that is not spelt exactly as in the contract (English or Chinese), a time
    that does not parse, a ``data`` the type's checks would refuse — and then the caller runs
    :func:`build_event`, which accepts or rejects with its reason. So the quick path can only
    take events the full validation takes, and builds them the same way.

    Per reader it keeps: one copy of each repeated text (case, item, actor, post, unit, step),
    each timestamp text parsed once, and one ``tzinfo`` object per UTC offset (aware datetimes
    with the same ``tzinfo`` object compare without computing offsets, so sorting and
    evaluating them is faster)."""

    __slots__ = ("texts", "times", "zones")

    def __init__(self) -> None:
        self.texts = _Texts({"": None, None: None})
        self.times: dict[str, dt.datetime] = {}
        self.zones: dict[Any, Any] = {}

    def time(self, value: str) -> dt.datetime | None:
        """``parse_time(value)`` for a text, with one parse per text and one tzinfo per offset;
        None when ``parse_time`` would refuse it."""
        at = self.times.get(value)
        if at is not None:
            return at
        if value.strip() is value:  # nothing to strip: parse_time would parse this very text
            try:
                at = _fromisoformat(value)
            except ValueError:
                return None
            if at.tzinfo is None:  # (an offset read by fromisoformat always has a utcoffset)
                return None
            if not FIRST_YEAR <= at.year <= LAST_YEAR:
                return None
        else:
            try:
                at = parse_time(value)
            except BadEvent:
                return None
        zone = at.tzinfo
        shared = self.zones.get(zone)
        if shared is None:
            self.zones[zone] = zone
        elif shared is not zone:  # the same wall time with the equal, shared tzinfo
            at = _combine(at, at.time(), shared)  # (10 times faster than replace(tzinfo=…))
        if len(self.times) >= _TIME_CACHE_LIMIT:
            self.times.clear()
        self.times[value] = at
        return at

    def build(self, obj: Any, source: str, line: int | None) -> Event | None:
        if type(obj) is not dict or not FIELD_SET.issuperset(obj):
            return None
        get = obj.get
        eid = get("id")
        case = get("case")
        name = get("type")
        at = get("at")
        if (
            type(eid) is not str
            or not eid
            or type(case) is not str
            or not case
            or type(name) is not str
            or type(at) is not str
        ):
            return None
        etype = TYPE_LOOKUP.get(name)
        if etype is None:
            return None
        when = self.time(at)
        if when is None:
            return None
        texts = self.texts
        try:
            item, actor, post, unit, step = (texts[get("item")], texts[get("actor")],
                                             texts[get("post")], texts[get("unit")],
                                             texts[get("step")])
        except TypeError:  # one is neither absent nor a text
            return None
        data = get("data")
        if data is None:
            data = {}
        elif type(data) is not dict:
            return None
        if etype in STEP_TYPES:
            if not step or (etype is EventType.COUNTERSIGN_REPLIED and not unit):
                return None
        elif etype in CASELESS:
            if not post:
                return None
        elif etype not in NO_STEP_NEEDED:  # extension_granted, referred: data is checked
            return None
        if data:
            if not data_depth_ok(data):
                return None
            for key in LIST_DATA:
                value = data.get(key)
                if value is not None and not text_list_ok(value):
                    return None
        return new_event(eid, texts[case], etype, when, item, actor, post, unit, step,
                          data, line, source)


_EVENT_FIELDS = ("id", "case", "type", "at", "item", "actor", "post", "unit", "step", "data",
                 "line", "source")
if tuple(f.name for f in fields(Event)) != _EVENT_FIELDS or hasattr(Event, "__post_init__"):
    raise RuntimeError("wenze.events.model: new_event no longer matches Event's fields")
_SETTERS = tuple(Event.__dict__[name].__set__ for name in _EVENT_FIELDS)


def new_event(
    eid: str, case: str, etype: EventType, at: dt.datetime, item: str | None,
    actor: str | None, post: str | None, unit: str | None, step: str | None,
    data: dict[str, Any], line: int | None, source: str,
    _new: Any = object.__new__, _set: tuple[Any, ...] = _SETTERS,
) -> Event:
    """``Event(eid, case, …, source)`` without the frozen dataclass's ``__init__`` (which sets
    each field through ``object.__setattr__``): the slots are filled directly, the same values
    in the same fields — the import-time check above fails loudly if ``Event``'s fields change."""
    ev = _new(Event)
    _set[0](ev, eid)
    _set[1](ev, case)
    _set[2](ev, etype)
    _set[3](ev, at)
    _set[4](ev, item)
    _set[5](ev, actor)
    _set[6](ev, post)
    _set[7](ev, unit)
    _set[8](ev, step)
    _set[9](ev, data)
    _set[10](ev, line)
    _set[11](ev, source)
    return ev


# --------------------------------------------------------------------------- collecting


def printable(text: str) -> str:
    """``text`` as UTF-8 can carry it: a lone surrogate (from a rejected line) as ``\\udXXX``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class Collector:
    """Keeps the first event of each id, counts identical duplicates, rejects conflicting ones.
    Contents are compared only when an id repeats."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.by_id: dict[str, Event] = {}
        self.rejected: list[Rejection] = []
        self.duplicates = 0
        self.quick = QuickBuilder()

    def reject(self, source: str, line: int | None, eid: Any, code: str, message: str) -> None:
        eid = printable(eid) if isinstance(eid, str) and eid else None
        r = Rejection(source, line, eid, code, printable(message))
        if self.strict:
            raise EventError(r)
        self.rejected.append(r)

    def add(self, ev: Event) -> None:
        first = self.by_id.setdefault(ev.id, ev)
        if first is ev:
            return
        if first.content_key() == ev.content_key():
            self.duplicates += 1
            return
        where = f"{first.source}:{first.line}" if first.line else first.source
        self.reject(
            ev.source,
            ev.line,
            ev.id,
            "conflicting_duplicate",
            f"事件编号 `{ev.id}` 已在 {where} 出现且内容不同 / event id `{ev.id}` already "
            f"read at {where} with different content; the first one is kept",
        )

    def try_add(self, obj: Any, source: str, line: int | None) -> None:
        """Validate ``obj`` (the quick path first, the full validation when it declines) and
        keep it, or reject it with its reason."""
        ev = self.quick.build(obj, source, line)
        if ev is None:
            self.try_build(obj, source, line)
        else:
            self.add(ev)

    def try_build(self, obj: Any, source: str, line: int | None) -> None:
        """The full validation (:func:`build_event`): keep the event, or reject it."""
        try:
            self.add(build_event(obj, source, line))
        except BadEvent as bad:
            eid = obj.get("id") if isinstance(obj, dict) else None
            self.reject(source, line, eid, bad.code, bad.message)

    def batch(self, case_attributes: dict[str, dict[str, str]] | None = None,
              ordered: bool = True) -> EventBatch:
        """The events kept (sorted by case, instant, id; in input order when not ``ordered``)."""
        events = sort_events(self.by_id.values()) if ordered else list(self.by_id.values())
        return EventBatch(events, self.rejected, self.duplicates, case_attributes or {})
