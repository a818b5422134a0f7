"""The events stage: reading case events.

approval system → **events (JSON Lines, CSV or IEEE XES) → validated ``Event``s** → evaluate.

The contract with approval systems is documented in ``docs/events.md``: one JSON object per
line, ``{"id", "case", "type", "at", "item", "actor", "post", "unit", "step", "data"}``, ``type`` in
English or Chinese (``accepted`` / ``受理``), ``at`` in ISO 8601 **with** a UTC offset. CSV and
XES logs are read through a :class:`Mapping` (column or attribute → field, activity → event type
and step).

Nothing is dropped silently: every bad line or event becomes a :class:`Rejection` (source, line,
event id, reason code, bilingual message) and the valid rest is kept; an identical duplicate (same
id, same content) is counted and ignored, a conflicting one (same id, other content) is rejected;
``strict=True`` raises :class:`EventError` at the first problem. Events come back sorted by
(case, instant, id) so that evaluation is deterministic.

This module is the entry point (``read_events``, ``read_jsonl``, ``validate_against``) and
re-exports the record (:mod:`wenze.events.model`) and the CSV/XES mappings
(:mod:`wenze.events.logs`), so callers import everything from here.
"""

from __future__ import annotations

import gc
import io
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from wenze.events.logs import (
    MAPPINGS,
    RECEIPT_MAPPING,
    XES_MAPPING,
    Mapping,
    read_csv,
    read_csv_stream,
    read_xes,
)
from wenze.events.model import (
    FIELDS,
    ZH_NAME,
    ZH_TYPES,
    BadEvent,
    Collector,
    Event,
    EventBatch,
    EventError,
    EventType,
    Rejection,
    bad_bytes,
    build_event,
    lone_surrogate,
    normalise_opinion,
    normalise_outcome,
    parse_event_type,
    parse_time,
    sort_events,
    surrogate_problem,
)

__all__ = [
    "FIELDS",
    "MAPPINGS",
    "RECEIPT_MAPPING",
    "XES_MAPPING",
    "ZH_NAME",
    "ZH_TYPES",
    "BadEvent",
    "Event",
    "EventBatch",
    "EventError",
    "EventType",
    "Mapping",
    "Rejection",
    "build_event",
    "normalise_opinion",
    "normalise_outcome",
    "parse_event_type",
    "parse_time",
    "read_bytes",
    "read_csv",
    "read_events",
    "read_jsonl",
    "read_xes",
    "sort_events",
    "validate_against",
    "with_source",
]


_SCAN = json.JSONDecoder().scan_once  # the scanner behind json.loads (same defaults)


# a line worth a closer look: an undecodable byte (kept as a lone surrogate by the
# "surrogateescape" decoding) or a JSON escape that may stand for a lone surrogate
_SUSPECT = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]")
def _object(line: str) -> Any:
    """The JSON object of a line that is one object, maybe followed by whitespace (a newline),
    decoded by the scanner ``json.loads`` uses (without its wrapper and without stripping the
    line first); ``None`` for any other line — the caller then strips it and gives it to
    ``json.loads``, which decodes it or raises its usual ``JSONDecodeError``."""
    if line[:1] == "{":
        try:
            obj, end = _SCAN(line, 0)
        except (StopIteration, json.JSONDecodeError, RecursionError):
            return None
        if end == len(line) or line[end:].isspace():
            return obj
    return None


def read_jsonl(
    lines: Iterable[str], source: str = "<events>", strict: bool = False, first_line: int = 1,
    ordered: bool = True,
) -> EventBatch:
    """Read JSON Lines (blank lines skipped; line numbers from ``first_line``). The events come
    sorted by (case, instant, id); with ``ordered=False`` in input order (for a caller that
    orders them itself, such as the store's ingestion)."""
    col = Collector(strict)
    quick = col.quick.build
    try_build = col.try_build
    setdefault = col.by_id.setdefault
    collecting = gc.isenabled()
    gc.disable()  # reading makes only acyclic objects; a collection now and then finds nothing
    try:
        for number, text in enumerate(lines, start=first_line):
            suspect = _SUSPECT.search(text) is not None
            if suspect:
                reason = bad_bytes(text)
                if reason is not None:  # one bad byte rejects its line, not the file
                    col.reject(source, number, None, "bad_encoding", reason)
                    continue
            obj = _object(text)
            if obj is None:
                text = text.strip()
                if not text:
                    continue
                try:
                    obj = json.loads(text)
                except RecursionError:
                    col.reject(source, number, None, "too_deep",
                               "JSON 嵌套过深 / JSON nested too deeply")
                    continue
                except json.JSONDecodeError as err:
                    col.reject(
                        source,
                        number,
                        None,
                        "bad_json",
                        f"JSON 无法解析：{err.msg}（第 {err.colno} 列）"
                        f" / invalid JSON: {err.msg} (column {err.colno})",
                    )
                    continue
            if suspect and lone_surrogate(obj) is not None:
                bad = surrogate_problem()
                col.reject(source, number, obj.get("id") if isinstance(obj, dict) else None,
                           bad.code, bad.message)
                continue
            ev = quick(obj, source, number)
            if ev is None:
                try_build(obj, source, number)
            elif setdefault(ev.id, ev) is not ev:  # an id read before: same event or conflict
                col.add(ev)
        return col.batch(ordered=ordered)
    finally:
        if collecting:
            gc.enable()


def _format(path: Path, fmt: str | None) -> str:
    name = (fmt or path.suffix.lstrip(".")).lower()
    if name in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if name in ("csv", "xes"):
        return name
    raise ValueError(
        f"无法识别事件文件格式 `{path.name}`（jsonl、csv、xes） / unknown events format "
        f"`{fmt or path.suffix}` (jsonl, csv, xes)"
    )


def read_events(
    path: str | Path,
    fmt: str | None = None,
    mapping: Mapping | str | Path | None = None,
    strict: bool = False,
) -> EventBatch:
    """Read an events file: JSON Lines (``.jsonl``/``.json``), CSV or XES (``fmt`` overrides the
    extension). ``mapping`` (a :class:`Mapping`, the name of a ready one in :data:`MAPPINGS`, or a
    TOML/JSON mapping file) applies to CSV/XES."""
    path = Path(path)
    kind = _format(path, fmt)
    mapping = _mapping(mapping)
    if kind == "jsonl":
        # a byte that is not UTF-8 rejects its own line (bad_encoding), not the whole file
        with path.open(encoding="utf-8-sig", errors="surrogateescape") as fh:
            return read_jsonl(fh, str(path), strict)
    if kind == "csv":
        return read_csv(path, mapping, strict)
    return read_xes(path, mapping, strict)


def read_bytes(
    data: bytes,
    fmt: str,
    mapping: Mapping | str | None = None,
    source: str = "<events>",
    strict: bool = False,
) -> EventBatch:
    """Events held in memory (an uploaded file) read exactly as :func:`read_events` reads the
    same bytes from a file of format ``fmt`` (``jsonl``, ``csv``, ``xes``): the same decoding
    (a byte that is not UTF-8 rejects its own line), line numbers, mapping and rejections, named
    ``source``. ``mapping`` is a :class:`Mapping` or the name of a ready one in
    :data:`MAPPINGS` (never a file: another name raises :class:`ValueError`)."""
    kind = _format(Path(source), fmt)
    if isinstance(mapping, str):
        if mapping.lower() not in MAPPINGS:
            raise ValueError(f"没有名为 `{mapping}` 的映射 / no ready mapping `{mapping}` "
                             f"({', '.join(sorted(MAPPINGS))})")
        mapping = MAPPINGS[mapping.lower()]
    if kind == "xes":
        return read_xes(io.BytesIO(data), mapping, strict, source=source)
    newline = "" if kind == "csv" else None  # as read_csv and read_events open their files
    with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="surrogateescape",
                          newline=newline) as fh:
        if kind == "csv":
            return read_csv_stream(fh, source, mapping, strict)
        return read_jsonl(fh, source, strict)


def _mapping(mapping: Mapping | str | Path | None) -> Mapping | None:
    """A mapping, from itself, the name of a ready one or a TOML/JSON mapping file."""
    if isinstance(mapping, str | Path):
        named = MAPPINGS.get(str(mapping).lower()) if isinstance(mapping, str) else None
        return named or Mapping.load(mapping)
    return mapping


def validate_against(
    events: Iterable[Event],
    known_items: Collection[str] | None = None,
    known_steps: Collection[str] | None = None,
    known_posts: Collection[str] | None = None,
    strict: bool = False,
) -> tuple[list[Event], list[Rejection]]:
    """Split events into (kept, rejected) by the rulebook's names: an event naming an item, step or
    post the rulebook does not declare is rejected (``unknown_item``/``unknown_step``/
    ``unknown_post``). ``None`` skips a check."""
    kept: list[Event] = []
    rejected: list[Rejection] = []
    checks = (
        ("item", known_items, "事项"),
        ("step", known_steps, "环节"),
        ("post", known_posts, "岗位"),
    )
    for ev in events:
        problem = None
        for name, known, zh in checks:
            value = getattr(ev, name)
            if known is not None and value is not None and value not in known:
                problem = Rejection(
                    ev.source,
                    ev.line,
                    ev.id,
                    f"unknown_{name}",
                    f"规则集未声明{zh} `{value}` / the rulebook declares no {name} `{value}`",
                )
                break
        if problem is None:
            kept.append(ev)
        elif strict:
            raise EventError(problem)
        else:
            rejected.append(problem)
    return kept, rejected


def with_source(ev: Event, source: str, line: int | None) -> Event:
    """The same event said to come from ``source:line``."""
    return replace(ev, source=source, line=line)
