"""The events stage: process-mining logs (CSV, IEEE XES) as events.

CSV/XES event log → **mapping (column → field, activity → event type and step)** → ``Event``s.

A :class:`Mapping` says which column holds the case, the time, the activity, the actor…; XES trace
attributes are seen as ``case:``-prefixed columns (as pm4py flattens XES), so one mapping serves
both formats. Every mapped row goes through the same validation as a JSON Lines event
(:func:`wenze.events.model.build_event`). ``RECEIPT_MAPPING`` reads the real WABO receipt
log (``/work/shared/data/receipt.csv``); see ``docs/events.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from wenze.events.model import (
    STEP_TYPES,
    Collector,
    EventBatch,
    EventError,
    EventType,
    Rejection,
    bad_bytes,
    parse_event_type,
)


@dataclass(frozen=True)
class Mapping:
    """How the columns of a CSV log (or the attributes of an XES log, trace attributes prefixed
    ``case:``) become events. Column names are matched exactly.

    - ``case``, ``at``: the case id and timestamp columns (required in the file).
    - ``id``: event id column; when absent or empty the id is ``CASE#n`` (n-th event of the case in
      file order).
    - ``type``: a column holding a contract event type directly; otherwise ``activity``: the
      activity name is looked up in ``activities`` (activity → (type, step); step None → the
      activity name), and an unlisted activity becomes ``default_type`` with step = activity name
      (``lifecycle`` ``start`` → step_started, ``complete`` → step_completed); ``default_type=None``
      rejects unlisted activities (code ``unknown_activity``).
    - ``actor``/``post``/``unit``/``item``/``step``: columns; ``item_value``: a constant item.
    - ``data``: column → ``data`` key, copied when not empty.
    - Columns starting with ``case_prefix`` are case attributes (``EventBatch.case_attributes``).
    - ``start_at``: a case attribute holding the case's start; for every case one event of each
      ``start_types`` is synthesised at that time (id ``CASE:n:type``, n its position in
      ``start_types``; ``data.synthetic = true`` plus ``start_data``: case attribute → data key).
    - ``offset``: an explicit UTC offset (``+01:00``) for offset-less timestamps; without it they
      are rejected (``naive_time``), never guessed.
    """

    case: str = "case:concept:name"
    at: str = "time:timestamp"
    id: str | None = None
    type: str | None = None
    activity: str | None = "concept:name"
    lifecycle: str | None = "lifecycle:transition"
    actor: str | None = "org:resource"
    post: str | None = None
    unit: str | None = "org:group"
    item: str | None = None
    step: str | None = None
    item_value: str | None = None
    activities: dict[str, tuple[EventType, str | None]] = field(default_factory=dict, hash=False)
    default_type: EventType | None = EventType.STEP_COMPLETED
    data: dict[str, str] = field(default_factory=dict, hash=False)
    case_prefix: str = "case:"
    start_at: str | None = None
    start_types: tuple[EventType, ...] = (EventType.RECEIVED, EventType.ACCEPTED)
    start_data: dict[str, str] = field(default_factory=dict, hash=False)
    offset: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        """A mapping from a ``.toml`` or ``.json`` file with the same keys (``activities`` values
        are a type name or ``{type = "…", step = "…"}``; types in English or Chinese)."""
        path = Path(path)
        raw = path.read_bytes()
        table = tomllib.loads(raw.decode("utf-8")) if path.suffix == ".toml" else json.loads(raw)
        return cls.from_dict(table)

    @classmethod
    def from_text(cls, text: str) -> Mapping:
        """A mapping written in TOML, or in JSON when the text starts with ``{`` (the keys of
        :meth:`load`). Raises :class:`ValueError` (``tomllib``'s and ``json``'s errors are
        ValueErrors) for a text that is neither, or for an unknown key or event type."""
        if text.lstrip().startswith("{"):
            table = json.loads(text)
            if not isinstance(table, dict):
                raise ValueError("映射须为 JSON 对象 a mapping must be a JSON object")
            return cls.from_dict(table)
        return cls.from_dict(tomllib.loads(text))

    def to_table(self) -> dict[str, Any]:
        """The mapping as the table :meth:`from_dict` reads (JSON-able, every key)."""
        table: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "activities":
                value = {name: {"type": t.value, "step": step} if step else t.value
                         for name, (t, step) in value.items()}
            elif f.name == "default_type":
                value = value.value if value is not None else None
            elif f.name == "start_types":
                value = [t.value for t in value]
            elif isinstance(value, dict):
                value = dict(value)
            table[f.name] = value
        return table

    @classmethod
    def from_dict(cls, table: dict[str, Any]) -> Mapping:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ValueError(f"映射中未知键 unknown mapping key `{unknown[0]}`")
        kw = dict(table)

        def etype(value: Any) -> EventType:
            t = parse_event_type(value)
            if t is None:
                raise ValueError(f"映射中未知事件类型 unknown event type `{value}` in mapping")
            return t

        acts: dict[str, tuple[EventType, str | None]] = {}
        for name, spec in dict(kw.get("activities") or {}).items():
            if isinstance(spec, dict):
                acts[name] = (etype(spec.get("type")), spec.get("step"))
            else:
                acts[name] = (etype(spec), None)
        kw["activities"] = acts
        if "default_type" in kw:
            kw["default_type"] = etype(kw["default_type"]) if kw["default_type"] else None
        if "start_types" in kw:
            kw["start_types"] = tuple(etype(t) for t in kw["start_types"])
        return cls(**kw)


XES_MAPPING = Mapping()
"""The IEEE XES standard attributes; every activity is a completed (or started) step."""

RECEIPT_MAPPING = Mapping(
    id="concept:instance",
    item_value="receipt",
    start_at="case:startdate",
    start_data={
        "case:deadline": "deadline",
        "case:enddate": "enddate",
        "case:enddate_planned": "enddate_planned",
        "case:channel": "channel",
        "case:department": "department",
        "case:group": "group",
        "case:responsible": "responsible",
    },
)
"""``/work/shared/data/receipt.csv`` (WABO receipt phase): item ``receipt``; each activity is a
``step_completed`` whose step is the activity name, actor ``org:resource``, unit ``org:group``, id
``concept:instance``; a ``received`` and an ``accepted`` event are synthesised at
``case:startdate`` with ``data.deadline`` = ``case:deadline`` (and the other case attributes)."""


MAPPINGS: dict[str, Mapping] = {"xes": XES_MAPPING, "receipt": RECEIPT_MAPPING}
"""Ready mappings by name (``read_events(path, mapping="receipt")``)."""


def _strip(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class _RowReader:
    """Turns mapped rows (column → text) into contract objects and feeds a collector."""

    def __init__(self, mapping: Mapping, source: str, strict: bool):
        self.m = mapping
        self.source = source
        self.col = Collector(strict)
        self.case_attrs: dict[str, dict[str, str]] = {}
        self.first_line: dict[str, int | None] = {}
        self.counts: dict[str, int] = {}

    def row(self, row: dict[str, Any], line: int | None) -> None:
        m = self.m
        case = _strip(row.get(m.case)) or ""
        n = self.counts[case] = self.counts.get(case, 0) + 1
        self.first_line.setdefault(case, line)
        attrs = self.case_attrs.setdefault(case, {})
        for key, value in row.items():
            if key and key.startswith(m.case_prefix) and key != m.case:
                text = _strip(value)
                if text is not None:
                    attrs.setdefault(key, text)
        eid = (_strip(row.get(m.id)) if m.id else None) or f"{case}#{n}"
        obj: dict[str, Any] = {"id": eid, "case": case, "at": self._time(row.get(m.at))}
        step: str | None = None
        if m.type:
            obj["type"] = _strip(row.get(m.type))
        else:
            activity = _strip(row.get(m.activity)) if m.activity else None
            if activity is None:
                self.col.reject(
                    self.source,
                    line,
                    eid,
                    "missing_field",
                    f"缺少活动名称 / missing activity column `{m.activity}`",
                )
                return
            if activity in m.activities:
                etype, step = m.activities[activity]
                obj["type"] = etype.value
                step = step or (activity if etype in STEP_TYPES else None)
            elif m.default_type is None:
                self.col.reject(
                    self.source,
                    line,
                    eid,
                    "unknown_activity",
                    f"映射中没有活动 `{activity}` / activity `{activity}` is not in the mapping",
                )
                return
            else:
                etype = m.default_type
                phase = (_strip(row.get(m.lifecycle)) or "complete") if m.lifecycle else "complete"
                if etype in (EventType.STEP_COMPLETED, EventType.STEP_STARTED):
                    if phase.lower() == "start":
                        etype = EventType.STEP_STARTED
                    elif phase.lower() != "complete":
                        self.col.reject(
                            self.source,
                            line,
                            eid,
                            "unknown_type",
                            f"生命周期 `{phase}` 无对应事件类型 / lifecycle "
                            f"transition `{phase}` maps to no event type",
                        )
                        return
                obj["type"] = etype.value
                step = activity if etype in STEP_TYPES else None
        for name in ("actor", "post", "unit", "item", "step"):
            column = getattr(m, name)
            value = _strip(row.get(column)) if column else None
            if value is not None:
                obj[name] = value
        if step and "step" not in obj:
            obj["step"] = step
        if m.item_value and "item" not in obj:
            obj["item"] = m.item_value
        data = {key: _strip(row.get(col)) for col, key in m.data.items()}
        data = {k: v for k, v in data.items() if v is not None}
        if data:
            obj["data"] = data
        self.col.try_add(obj, self.source, line)

    def _time(self, value: Any) -> Any:
        text = _strip(value)
        if text and self.m.offset:
            try:
                at = dt.datetime.fromisoformat(text)
            except ValueError:
                return text
            if at.tzinfo is None:
                return text + self.m.offset
        return text

    def finish(self) -> EventBatch:
        m = self.m
        if m.start_at:
            for case in sorted(self.case_attrs):
                attrs = self.case_attrs[case]
                line = self.first_line.get(case)
                for position, etype in enumerate(m.start_types, start=1):
                    eid = f"{case}:{position}:{etype.value}"
                    if m.start_at not in attrs:
                        self.col.reject(
                            self.source,
                            line,
                            eid,
                            "missing_field",
                            f"案件 `{case}` 缺少 `{m.start_at}`，无法生成 "
                            f"`{etype.value}` / case `{case}` has no `{m.start_at}`",
                        )
                        continue
                    data: dict[str, Any] = {"synthetic": True}
                    data.update({k: attrs[c] for c, k in m.start_data.items() if c in attrs})
                    obj = {
                        "id": eid,
                        "case": case,
                        "type": etype.value,
                        "at": self._time(attrs[m.start_at]),
                        "data": data,
                    }
                    if m.item_value:
                        obj["item"] = m.item_value
                    self.col.try_add(obj, self.source, line)
        return self.col.batch(self.case_attrs)


def _need_columns(mapping: Mapping, header: Collection[str], source: str) -> None:
    needed = [mapping.case, mapping.at, mapping.type or mapping.activity]
    for column in needed:
        if column and column not in header:
            raise EventError(
                Rejection(
                    source,
                    1,
                    None,
                    "bad_mapping",
                    f"文件缺少映射所需的列 `{column}` / the file has no column "
                    f"`{column}` that the mapping needs",
                )
            )


def read_csv(path: str | Path, mapping: Mapping | None = None, strict: bool = False) -> EventBatch:
    """Read a CSV event log through a mapping (default: the XES-standard columns)."""
    # a byte that is not UTF-8 rejects its own row (bad_encoding), not the whole file
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        return read_csv_stream(fh, str(path), mapping, strict)


def read_csv_stream(fh: IO[str], source: str, mapping: Mapping | None = None,
                    strict: bool = False) -> EventBatch:
    """Read a CSV event log from an open text stream (opened with ``newline=""``, as
    :func:`read_csv` opens its file: undecodable bytes kept as lone surrogates); rejections name
    ``source`` and the line."""
    mapping = mapping or XES_MAPPING
    if csv.field_size_limit() < _CSV_READ_LIMIT:  # longer fields are rejected row by row below
        csv.field_size_limit(_CSV_READ_LIMIT)
    reader = csv.DictReader(fh)
    _need_columns(mapping, reader.fieldnames or [], source)
    rows = _RowReader(mapping, source, strict)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:  # (a field beyond even _CSV_READ_LIMIT)
            rows.col.reject(source, start, None, "bad_csv",
                            f"CSV 无法解析：{err} / malformed CSV: {err}")
            continue
        problem = _row_problem(row)
        if problem is not None:
            rows.col.reject(source, reader.line_num, None, *problem)
            continue
        rows.row(row, reader.line_num)
    return rows.finish()


MAX_CSV_FIELD = 128 * 1024  # characters of one CSV field (csv's own default limit)
_CSV_READ_LIMIT = 16 * 1024 * 1024


def _row_problem(row: dict[Any, Any]) -> tuple[str, str] | None:
    """(code, message) for a row that cannot become an event: a field over
    :data:`MAX_CSV_FIELD` characters, bytes that are not UTF-8."""
    for value in row.values():
        for text in value if isinstance(value, list) else (value,):
            if not isinstance(text, str):
                continue
            if len(text) > MAX_CSV_FIELD:
                return ("field_too_large",
                        f"字段超过 {MAX_CSV_FIELD} 个字符 / a field is longer than "
                        f"{MAX_CSV_FIELD} characters")
            if not text.isascii():
                reason = bad_bytes(text)
                if reason is not None:
                    return "bad_encoding", reason
    return None


_XES_ATTRS = frozenset({"string", "date", "int", "float", "boolean", "id"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xes_traces(path: str | Path | IO[bytes]
                ) -> Iterator[tuple[dict[str, str], list[dict[str, str]]]]:
    """(trace attributes, [event attributes]) per trace; nested and global attributes ignored."""
    stack: list[str] = []
    trace: dict[str, str] = {}
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    source = str(path) if isinstance(path, str | Path) else path
    for kind, elem in ET.iterparse(source, events=("start", "end")):
        tag = _local(elem.tag)
        if kind == "start":
            stack.append(tag)
            if tag == "trace":
                trace, events = {}, []
            elif tag == "event":
                current = {}
            continue
        stack.pop()
        parent = stack[-1] if stack else ""
        if tag in _XES_ATTRS and "key" in elem.attrib:
            key, value = elem.attrib["key"], elem.attrib.get("value", "")
            if parent == "event" and current is not None:
                current[key] = value
            elif parent == "trace":
                trace[key] = value
        elif tag == "event" and current is not None:
            if parent == "trace":
                events.append(current)
            current = None
        elif tag == "trace":
            yield trace, events
            elem.clear()


def read_xes(path: str | Path | IO[bytes], mapping: Mapping | None = None, strict: bool = False,
             source: str | None = None) -> EventBatch:
    """Read an IEEE XES log (a file, or an open binary stream named ``source``). Trace
    attributes become ``case:``-prefixed columns, so the same :class:`Mapping` serves CSV and
    XES. XES has no line numbers here: rejections name the event by its id (``CASE#n`` when the
    log has no id attribute)."""
    mapping = mapping or XES_MAPPING
    source = source or str(path)
    rows = _RowReader(mapping, source, strict)
    try:
        for trace, events in _xes_traces(path):
            case_cols = {f"case:{k}": v for k, v in trace.items()}
            for ev in events:
                rows.row({**case_cols, **ev}, None)
    except ET.ParseError as err:
        rows.col.reject(
            source, err.position[0], None, "bad_xml", f"XES 无法解析 / invalid XML: {err}"
        )
    except (LookupError, ValueError) as err:  # an unknown encoding in the XML declaration
        rows.col.reject(source, 1, None, "bad_xml",
                        f"XES 无法解析 / invalid XML: {type(err).__name__}: {str(err)[:200]}")
    return rows.finish()
