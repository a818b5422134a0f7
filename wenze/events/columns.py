"""Events as columns (numpy arrays, one row per event): the input of the columnar fast path
(:mod:`wenze.fast.columnar`).

read events → **columns** → columnar evaluation → decisions.

:class:`EventColumns` holds the columns the evaluator reads (case, type, local day, instant,
item, post, actor, unit, step, a suspension's reason, a refusal without reasons, odd data) and
the Event objects themselves, which the evaluator reads only sparsely (rejected events, routed
cases, the shared context, ``--explain``). The Event objects need not exist: columns made
without them (:class:`EventDetails` holds the rest of each event: id, UTC offset, data, source,
line) give a read-only view (:class:`EventView`) that rebuilds Event ``i`` on demand, equal to
the original field for field, UTC offset and ``source``/``line`` included.

One module on purpose (~620 lines): the columns, their building from events and the events'
rebuilding from them are one data structure.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, pairwise
from operator import attrgetter, is_
from typing import Any, overload

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from wenze.events.model import REFUSALS, new_event
from wenze.events.readers import Event, EventType, normalise_outcome

__all__ = ["NATIVE", "TYPES", "TYPE_CODE", "EventColumns", "EventDetails", "EventView", "T",
           "TextColumn", "days_and_micros", "first_seen", "small_codes"]

TYPES: tuple[EventType, ...] = tuple(EventType)
TYPE_CODE: dict[Any, int] = {t: i for i, t in enumerate(TYPES)}
T = {t.value: i for i, t in enumerate(TYPES)}
NATIVE = frozenset(T[t] for t in ("received", "accepted", "step_started", "step_completed",
                                  "suspended", "resumed", "decided"))
_TYPE_OF_ID = {id(t): i for i, t in enumerate(TYPES)}  # the members are singletons
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_US_PER_DAY = 86_400_000_000
_EXACT_INSTANT = 2.0 ** 33  # |POSIX seconds| below this: a float64 keeps every microsecond
_CHUNK = 1 << 16  # rows rebuilt at a time when iterating
_TEXT_FIELDS = ("item", "actor", "post", "unit", "step")
_SCALARS = (str, int, float, bool, type(None))


# --------------------------------------------------------------------------- encoding


def _codes(values: Sequence[Any]) -> tuple[np.ndarray, list[Any], dict[Any, np.ndarray]]:
    """Values → int32 codes in first-seen order; ``None`` and ``""`` → -1. Also returns the rows
    holding ``None`` or ``""`` (by value, only for those present)."""
    n = len(values)
    index: dict[Any, int] = dict.fromkeys(values)  # first-seen order
    empty = [v for v in (None, "") if v in index]
    for v in empty:
        del index[v]
    names = list(index)
    index.update(zip(names, range(len(names)), strict=True))
    index.update(dict.fromkeys(empty, -1))
    codes = np.fromiter(map(index.__getitem__, values), np.int32, n)
    blank_rows: dict[Any, np.ndarray] = {}
    if empty:
        rows = np.flatnonzero(codes < 0)
        if len(empty) == 1:
            blank_rows[empty[0]] = rows
        else:
            is_none = np.fromiter((values[i] is None for i in rows.tolist()), bool, len(rows))
            blank_rows[None], blank_rows[""] = rows[is_none], rows[~is_none]
    return codes, names, blank_rows


def _codes_of_runs(values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """:func:`_codes` (without the blank rows) of values that come in runs of one object (a
    case's events together): one dictionary look-up per run."""
    n = len(values)
    if n < 2:
        return _codes(values)[:2]
    same = np.fromiter(map(is_, values[1:], values[:-1]), bool, n - 1)
    heads = np.flatnonzero(np.concatenate(([True], ~same)))
    codes, names, _ = _codes([values[i] for i in heads.tolist()])
    return np.repeat(codes, np.diff(np.append(heads, n))), names


def _combined(values: Sequence[tuple[Any, ...]], width: int
              ) -> list[tuple[np.ndarray, list[Any]]]:
    """:func:`_codes` of each position of tuples (fields read together: one dictionary pass
    for fields with few distinct combinations)."""
    combo, combos, _ = _codes(values)
    out = []
    for k in range(width):
        codes, names, _ = _codes([c[k] for c in combos])
        out.append((np.append(codes, np.int32(-1))[combo] if len(combos) else combo, names))
    return out


def small_codes(codes: np.ndarray, count: int) -> np.ndarray:
    """Codes in the smallest signed integer type that holds them and -1."""
    for kind in (np.int8, np.int16, np.int32):
        if count < np.iinfo(kind).max:
            return codes.astype(kind, copy=False)
    return codes.astype(np.int64, copy=False)


def first_seen(codes: np.ndarray, names: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes (-1: none) renumbered as :func:`_codes` numbers values, in the order they are first
    seen, and the names of the codes seen in that order (unseen ones dropped): the codes of
    rows reordered or left out, made equal to those of the rows read afresh."""
    k = len(names)
    seen = np.zeros(k + 1, bool)
    seen[-1] = True  # -1 indexes the last slot
    order: list[int] = []
    for lo in range(0, len(codes), _CHUNK):
        block = codes[lo:lo + _CHUNK]
        new = block[~seen[block]]
        if len(new):
            found = list(dict.fromkeys(new.tolist()))
            order += found
            seen[found] = True
            if len(order) == k:
                break
    if len(order) == k and codes.dtype == np.int32 and order == list(range(k)):
        return codes, list(names)  # (already so numbered: no copy)
    renumber = np.full(k + 1, -1, np.int32)
    renumber[order] = np.arange(len(order), dtype=np.int32)
    return renumber[codes], [names[i] for i in order]


def _with_none(names: Sequence[Any], blank: Any = None) -> np.ndarray:
    """An object array of ``names`` plus ``blank`` last (code -1 indexes it)."""
    out = np.empty(len(names) + 1, object)
    out[:-1] = names
    out[-1] = blank
    return out


_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


class TextColumn(Sequence[str]):
    """Strings as one text plus offsets: row ``i`` is ``text[offsets[i]:offsets[i + 1]]``."""

    __slots__ = ("offsets", "text")

    def __init__(self, text: str, offsets: np.ndarray):
        if len(offsets) == 0 or int(offsets[0]) != 0 or int(offsets[-1]) != len(text):
            raise ValueError("offsets must run from 0 to the length of the text")
        self.text = text
        self.offsets = offsets

    @classmethod
    def of(cls, values: Sequence[str]) -> TextColumn:
        text = "".join(values)
        offsets = np.zeros(len(values) + 1, np.int64 if len(text) >= 2**31 else np.int32)
        np.cumsum(np.fromiter(map(len, values), np.int64, len(values)), out=offsets[1:])
        return cls(text, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            lo, hi, step = i.indices(len(self))
            return self.slice(lo, hi) if step == 1 else [self[k] for k in range(lo, hi, step)]
        k = range(len(self))[i]
        return self.text[int(self.offsets[k]):int(self.offsets[k + 1])]

    def slice(self, lo: int, hi: int) -> list[str]:
        """Rows ``lo`` to ``hi`` (excluded) as a list."""
        if hi <= lo:
            return []
        bounds = self.offsets[lo:hi + 1].tolist()
        text = self.text
        return [text[a:b] for a, b in pairwise(bounds)]

    @staticmethod
    def _offsets(lengths: np.ndarray, total: int) -> np.ndarray:
        offsets = np.zeros(len(lengths) + 1, np.int64 if total >= 2**31 else np.int32)
        np.cumsum(lengths, out=offsets[1:])
        return offsets

    def take(self, rows: np.ndarray | Sequence[int]) -> TextColumn:
        """Rows ``rows`` (in that order) as a new column (gathered with numpy when the text is
        ASCII)."""
        rows = np.asarray(rows, np.int64)
        starts = self.offsets[:-1].astype(np.int64)[rows]
        lengths = np.diff(self.offsets).astype(np.int64)[rows]
        total = int(lengths.sum())
        if not self.text.isascii():
            return TextColumn.of([self.text[a:a + k] for a, k in
                                  zip(starts.tolist(), lengths.tolist(), strict=True)])
        offsets = self._offsets(lengths, total)
        at = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets[:-1], lengths)
        raw = np.frombuffer(self.text.encode("ascii"), np.uint8)[at]
        return TextColumn(raw.tobytes().decode("ascii"), offsets)

    @classmethod
    def concat(cls, parts: Sequence[TextColumn]) -> TextColumn:
        """The columns one after the other."""
        text = "".join(p.text for p in parts)
        lengths = np.concatenate([np.diff(p.offsets).astype(np.int64) for p in parts]) \
            if parts else np.zeros(0, np.int64)
        return cls(text, cls._offsets(lengths, len(text)))

    def hashes(self) -> np.ndarray:
        """A 64-bit hash of each row (FNV-1a of its UTF-8 bytes): equal texts, equal hashes;
        the same on every machine."""
        raw = self.text.encode("utf-8")
        n = len(self)
        if len(raw) == len(self.text):
            offsets = self.offsets.astype(np.int64)
        else:  # beyond ASCII: byte offsets differ from character offsets
            values = [v.encode("utf-8") for v in self]
            offsets = np.zeros(n + 1, np.int64)
            np.cumsum([len(v) for v in values], out=offsets[1:])
            raw = b"".join(values)
        data = np.frombuffer(raw, np.uint8)
        starts, lengths = offsets[:-1], np.diff(offsets)
        h = np.full(n, _FNV_OFFSET, np.uint64)
        with np.errstate(over="ignore"):
            for width in np.unique(lengths).tolist():  # rows of one length as a matrix
                if not width:
                    continue  # (an empty text: the offset basis)
                every = np.flatnonzero(lengths == width)
                windows = sliding_window_view(data, width)  # (each row a view: no index matrix)
                for lo in range(0, len(every), 1 << 18):
                    rows = every[lo:lo + (1 << 18)]
                    chars = np.ascontiguousarray(windows[starts[rows]].T)
                    g = h[rows]
                    for k in range(width):
                        g ^= chars[k]
                        g *= _FNV_PRIME
                    h[rows] = g
        return h

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextColumn):
            return NotImplemented
        return self.text == other.text and np.array_equal(self.offsets, other.offsets)

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------- the rest of events


@dataclass
class EventDetails:
    """What each event holds besides the evaluator's columns, to rebuild it exactly: its id, the
    UTC offset of ``at`` (a code into ``tz_table``; the instant and the local day are
    :class:`EventColumns` columns), its data (a code into ``data_table``, -1: none), its source
    and line. ``kept``: rows the columns cannot rebuild exactly (an empty text where the
    contract has None, a line below 0, a time zone whose offset changes, an instant past the
    year 2242…), kept as the Event objects themselves."""

    id: TextColumn
    tz: np.ndarray  # code into tz_table
    tz_table: list[dt.tzinfo]
    data: np.ndarray  # int32 code into data_table, -1: {}
    data_table: list[dict[str, Any]]
    source: np.ndarray | None = None  # code into source_names, -1: ""; None: all ""
    source_names: list[str] = field(default_factory=list)
    line: np.ndarray | None = None  # int64, -1: None; None: all None
    kept: dict[int, Event] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.id)

    @classmethod
    def of(cls, events: Sequence[Event], cols: EventColumns) -> EventDetails:
        """The details of ``events`` (whose evaluator columns are ``cols``)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            return cls._of(events, cols)
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def _of(cls, evs: Sequence[Event], cols: EventColumns) -> EventDetails:
        n = len(evs)
        odd: set[int] = set()
        ids = list(map(attrgetter("id"), evs))
        if not all(map(str.__instancecheck__, ids)):
            odd.update(i for i, v in enumerate(ids) if not isinstance(v, str))
            ids = [v if isinstance(v, str) else "" for v in ids]
        ats = list(map(attrgetter("at"), evs))
        tz, tz_table, _ = _codes(list(map(attrgetter("tzinfo"), ats)))
        varying = [k for k, z in enumerate(tz_table) if not isinstance(z, dt.timezone)]
        if varying:  # an offset that changes with the date: kept unless rebuilt the same
            for i in np.flatnonzero(np.isin(tz, varying)).tolist():
                if not _same_time(instant_time(float(cols.instant[i]), tz_table[tz[i]]), ats[i]):
                    odd.add(i)
        odd.update(np.flatnonzero(np.abs(cols.instant) >= _EXACT_INSTANT).tolist())
        datas = list(map(attrgetter("data"), evs))
        data = np.full(n, -1, np.int32)
        table: dict[str, int] = {}
        data_table: list[dict[str, Any]] = []
        if not dict.fromkeys(map(type, datas)).keys() <= {dict}:  # data other than a dict
            odd.update(i for i, d in enumerate(datas) if type(d) is not dict)
        for i in np.flatnonzero(np.fromiter(map(bool, datas), bool, n)).tolist():
            d = datas[i]
            key = f"{type(d).__name__}:{d!r}"
            code = table.get(key)
            if code is None:
                code = table[key] = len(data_table)
                data_table.append(d)
            data[i] = code
        sources = list(map(attrgetter("source"), evs))
        source, source_names, blank = _codes(sources)
        odd.update(blank.get(None, np.empty(0, np.int64)).tolist())
        lines = list(map(attrgetter("line"), evs))
        seen = dict.fromkeys(map(type, lines))
        if seen.keys() <= {type(None)}:
            line = None
        else:
            if not seen.keys() <= {int, type(None)}:
                odd.update(i for i, v in enumerate(lines) if type(v) not in (int, type(None)))
            line = np.fromiter((v if type(v) is int else -1 for v in lines), np.int64, n)
            odd.update(np.flatnonzero(line < -1).tolist())
            odd.update(i for i in np.flatnonzero(line == -1).tolist() if lines[i] is not None)
        # the evaluator's columns read None and "" alike: the rows where the contract's value
        # differs (case None, a text field "") are kept
        odd.update(i for i in np.flatnonzero(cols.case < 0).tolist() if evs[i].case != "")
        for name in _TEXT_FIELDS:
            col = getattr(cols, name)
            odd.update(i for i in np.flatnonzero(col < 0).tolist()
                       if getattr(evs[i], name) is not None)
        if not dict.fromkeys(map(type, evs)).keys() <= {Event}:  # a subclass: kept as it is
            odd.update(i for i, e in enumerate(evs) if type(e) is not Event)
        has_source = bool(source_names) or None in blank
        return cls(TextColumn.of(ids), small_codes(tz, len(tz_table)), tz_table, data,
                   data_table,
                   small_codes(source, len(source_names)) if has_source else None,
                   source_names, line,
                   {i: evs[i] for i in sorted(odd)})


def instant_time(instant: float, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(instant, tz)


def _same_time(a: dt.datetime, b: dt.datetime) -> bool:
    return (a == b and a.tzinfo == b.tzinfo and a.fold == b.fold
            and a.replace(tzinfo=None) == b.replace(tzinfo=None))


def _fresh(d: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """How to copy a data dict for a new event: shallow if its values are immutable scalars."""
    return dict if all(isinstance(v, _SCALARS) for v in d.values()) else copy.deepcopy


# --------------------------------------------------------------------------- the view


class EventView(Sequence[Event]):
    """The events of columns made without Event objects, rebuilt on demand (read-only): ``len``,
    indexing (an int or a slice: a list) and iteration (rebuilt in chunks)."""

    __slots__ = ("_cols", "_tables")

    def __init__(self, cols: EventColumns):
        self._cols = cols
        self._tables: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self._cols.case)

    def __repr__(self) -> str:
        return f"<EventView of {len(self):,} events>"

    def _lookup(self) -> dict[str, Any]:
        if self._tables is None:
            c, d = self._cols, self._cols.event_details()
            self._tables = {
                "case": _with_none(c.case_names, ""),
                "type": _with_none(TYPES),
                **{name: _with_none(getattr(c, f"{name}_names")) for name in _TEXT_FIELDS},
                "source": _with_none(d.source_names, ""),
                "data": [_fresh(x) for x in d.data_table],
                "kept": np.asarray(sorted(d.kept), np.int64),
            }
            self._tables["lists"] = {name: self._tables[name].tolist()
                                     for name in ("case", *_TEXT_FIELDS, "source")}
        return self._tables

    @overload
    def __getitem__(self, i: int) -> Event: ...

    @overload
    def __getitem__(self, i: slice) -> list[Event]: ...

    def __getitem__(self, i: int | slice) -> Event | list[Event]:
        if isinstance(i, slice):
            lo, hi, step = i.indices(len(self))
            if step == 1:
                return self.rows(lo, hi)
            return [self[k] for k in range(lo, hi, step)]
        k = range(len(self))[i]
        c, d = self._cols, self._cols.event_details()
        kept = d.kept.get(k)
        if kept is not None:
            return kept
        t = self._lookup()
        names = t["lists"]  # (Python values by .item and lists: no numpy scalar per field)
        code = d.data.item(k)
        line = d.line.item(k) if d.line is not None else -1
        offsets = d.id.offsets
        return new_event(
            d.id.text[offsets.item(k):offsets.item(k + 1)], names["case"][c.case.item(k)],
            TYPES[c.type.item(k)], instant_time(c.instant.item(k), d.tz_table[d.tz.item(k)]),
            names["item"][c.item.item(k)], names["actor"][c.actor.item(k)],
            names["post"][c.post.item(k)], names["unit"][c.unit.item(k)],
            names["step"][c.step.item(k)],
            t["data"][code](d.data_table[code]) if code >= 0 else {},
            line if line >= 0 else None,
            names["source"][d.source.item(k)] if d.source is not None else "")

    def __iter__(self) -> Iterator[Event]:
        n = len(self)
        return chain.from_iterable(self.rows(lo, min(lo + _CHUNK, n))
                                   for lo in range(0, n, _CHUNK))

    def rows(self, lo: int, hi: int) -> list[Event]:
        """Events ``lo`` to ``hi`` (excluded), rebuilt column by column."""
        if hi <= lo:
            return []
        return self._rebuilt(slice(lo, hi), hi - lo)

    def take(self, indices: Sequence[int] | np.ndarray) -> list[Event]:
        """The events of rows ``indices``, in that order, rebuilt together (column by column:
        several times faster than one by one)."""
        idx = np.asarray(indices, np.int64).reshape(-1)
        if not len(idx):
            return []
        if idx.min() < 0 or idx.max() >= len(self):
            raise IndexError("event index out of range")
        return self._rebuilt(idx, len(idx))

    def _rebuilt(self, part: slice | np.ndarray, m: int) -> list[Event]:
        collecting = gc.isenabled()
        gc.disable()  # no cycles are made: collections would only walk the events
        try:
            return self._rows(part, m)
        finally:
            if collecting:
                gc.enable()

    def _rows(self, part: slice | np.ndarray, m: int) -> list[Event]:
        """Rows ``part`` (a slice, or row indices) rebuilt."""
        c, d = self._cols, self._cols.event_details()
        t = self._lookup()
        instant = c.instant[part]
        kept_here: list[int] = []  # positions in part
        if d.kept:
            kept = t["kept"]
            if isinstance(part, slice):
                lo = part.start
                kept_here = [k - lo for k in kept[np.searchsorted(kept, lo):
                                                  np.searchsorted(kept, part.stop)].tolist()]
            else:
                kept_here = np.flatnonzero(np.isin(part, kept)).tolist()
            if kept_here:  # (their instants may be past what a datetime holds: not read)
                instant = instant.copy()
                instant[kept_here] = 0.0
        # times: one datetime per distinct (instant, offset) of the chunk, shared
        if len(d.tz_table) == 1:
            uniq, inverse = np.unique(instant, return_inverse=True)
            zone = d.tz_table[0]
            times = [instant_time(x, zone) for x in uniq.tolist()]
        else:
            key = np.column_stack((instant, d.tz[part].astype(np.float64)))
            both, inverse = np.unique(key, axis=0, return_inverse=True)
            times = [instant_time(x, d.tz_table[int(z)]) for x, z in both.tolist()]
        ats = [times[j] for j in inverse.reshape(-1).tolist()]
        copies = t["data"]
        table = d.data_table
        datas = [copies[x](table[x]) if x >= 0 else {} for x in d.data[part].tolist()]
        lines = ([None] * m if d.line is None else
                 [x if x >= 0 else None for x in d.line[part].tolist()])
        sources = [""] * m if d.source is None else t["source"][d.source[part]].tolist()
        if isinstance(part, slice):
            ids = d.id.slice(part.start, part.stop)
        else:
            text, offsets = d.id.text, d.id.offsets
            ids = [text[a:b] for a, b in zip(offsets[part].tolist(), offsets[part + 1].tolist(),
                                             strict=True)]
        out = list(map(
            new_event, ids, t["case"][c.case[part]].tolist(),
            t["type"][c.type[part]].tolist(), ats,
            *(t[name][getattr(c, name)[part]].tolist() for name in _TEXT_FIELDS),
            datas, lines, sources))
        rows = range(part.start, part.stop) if isinstance(part, slice) else part.tolist()
        for j in kept_here:
            out[j] = d.kept[rows[j]]
        return out


# --------------------------------------------------------------------------- columns


@dataclass
class EventColumns:
    """The events as columns (one row per event, in input order) plus the events themselves
    (the routed cases, rejections and the shared context are made from them): ``originals``,
    the Event objects the columns were made from, or — when the columns were made without
    them — rebuilt on demand from ``details`` (:attr:`events` is either)."""

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
    originals: Sequence[Event] | None = field(default=None, repr=False)
    details: EventDetails | None = field(default=None, repr=False)
    _view: EventView | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.originals is None and self.details is None:
            raise ValueError("EventColumns needs the Event objects or their details")
        n = len(self.case)
        if self.originals is not None and len(self.originals) != n:
            raise ValueError(f"{len(self.originals)} events for {n} rows")
        if self.details is not None and len(self.details) != n:
            raise ValueError(f"details of {len(self.details)} events for {n} rows")

    @property
    def events(self) -> Sequence[Event]:
        """The events: the originals, or a read-only view rebuilding them on demand."""
        if self.originals is not None:
            return self.originals
        if self._view is None:
            self._view = EventView(self)
        return self._view

    def event_details(self) -> EventDetails:
        """The details (id, offset, data, source, line), derived from the originals if the
        columns were made from Event objects (once, when first asked)."""
        if self.details is None:
            assert self.originals is not None
            self.details = EventDetails.of(self.originals, self)
        return self.details

    def __len__(self) -> int:
        return len(self.case)

    def events_at(self, rows: Sequence[int] | np.ndarray) -> list[Event]:
        """The events of ``rows``, in that order: the originals, or rebuilt together
        (:meth:`EventView.take`, several times faster than one by one)."""
        if self.originals is not None:
            evs = self.originals
            return [evs[i] for i in np.asarray(rows, np.int64).reshape(-1).tolist()]
        view = self.events
        assert isinstance(view, EventView)
        return view.take(rows)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> EventColumns:
        """Columns of ``events`` (kept as :attr:`originals`; the details are derived only when
        asked)."""
        evs = events if isinstance(events, list) else list(events)
        collecting = gc.isenabled()
        gc.disable()  # no container is freed here: collections would only walk the events
        try:
            return cls._from_list(evs)
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def _from_list(cls, evs: list[Event]) -> EventColumns:
        n = len(evs)
        case_raw, case_names = _codes_of_runs(list(map(attrgetter("case"), evs)))
        order = sorted(range(len(case_names)), key=case_names.__getitem__)
        rank = np.empty(len(case_names) + 1, np.int32)
        rank[np.asarray(order, np.int64)] = np.arange(len(order), dtype=np.int32)
        rank[-1] = -1
        case = rank[case_raw]  # -1 indexes the last slot: -1
        case_names = [case_names[i] for i in order]
        kinds = list(map(attrgetter("type"), evs))
        try:
            types = np.fromiter(map(_TYPE_OF_ID.__getitem__, map(id, kinds)), np.int8, n)
        except KeyError:  # a type given otherwise than as the EventType member
            types = np.fromiter(map(TYPE_CODE.__getitem__, kinds), np.int8, n)
        del kinds
        day, instant = _days_and_instants(list(map(attrgetter("at"), evs)))
        texts = dict(zip(("item", "post", "unit", "step"), _combined(
            list(map(attrgetter("item", "post", "unit", "step"), evs)), 4), strict=True))
        texts["actor"] = _codes(list(map(attrgetter("actor"), evs)))[:2]
        data_cols = data_columns(types, list(map(attrgetter("data"), evs)))
        return cls(case, case_names, types, day, instant, *texts["item"], *texts["post"],
                   *texts["actor"], *texts["unit"], *texts["step"], *data_cols,
                   originals=evs)


def data_columns(types: np.ndarray, datas: Sequence[dict[str, Any] | None],
                 codes: np.ndarray | None = None
                 ) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """The columns read from ``data`` (empty: ``{}`` or ``None``), in row order: a suspension's
    reason (code, names in first-seen order, ``""`` for a suspension without one), a refusal
    without reasons, and data this module does not read (``odd``). ``datas``: each row's data,
    or — with ``codes``, each row's index into it (-1: none) — a table of them (each distinct
    pair of type and object then judged once)."""
    n = len(types)
    reason = np.full(n, -1, np.int32)
    reasons: dict[str, int] = {}
    refused_nr = np.zeros(n, bool)
    odd = np.zeros(n, bool)
    if codes is None:
        with_data = np.flatnonzero(np.fromiter(map(bool, datas), bool, n))
        pairs = zip(with_data.tolist(), types[with_data].tolist(), strict=True)
        rows = with_data
        inverse = None
    else:
        given = np.append(np.fromiter(map(bool, datas), bool, len(datas)), False)
        rows = np.flatnonzero(given[codes])
        key = types[rows].astype(np.int64) * (len(datas) + 1) + codes[rows]
        kinds, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        seen = np.argsort(first, kind="stable")  # (reasons numbered in first-seen order)
        kinds, inverse = kinds[seen], np.argsort(seen)[inverse.reshape(-1)]
        pairs = ((int(k % (len(datas) + 1)), int(k // (len(datas) + 1))) for k in kinds)
    reason_of, refused_of, odd_of = _judged_data(pairs, datas, reasons)
    if inverse is None:
        reason[rows], refused_nr[rows], odd[rows] = reason_of, refused_of, odd_of
    elif len(rows):
        reason[rows] = reason_of[inverse]
        refused_nr[rows], odd[rows] = refused_of[inverse], odd_of[inverse]
    no_reason = (types == TYPE_CODE[EventType.SUSPENDED]) & (reason < 0)
    if no_reason.any():
        reason[no_reason] = reasons.setdefault("", len(reasons))
    return reason, list(reasons), refused_nr, odd


def _judged_data(pairs: Iterable[tuple[int, int]], datas: Sequence[dict[str, Any] | None],
                 reasons: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (index into ``datas``, type code): the reason code (-1: none; new reasons
    added to ``reasons``), a refusal without reasons, odd data."""
    suspended, decided = TYPE_CODE[EventType.SUSPENDED], TYPE_CODE[EventType.DECIDED]
    refusal: dict[str, bool] = {}  # outcome → a refusal
    reason_of: list[int] = []
    refused_of: list[bool] = []
    odd_of: list[bool] = []
    for i, t in pairs:
        data = datas[i]
        assert data is not None
        code, refused_nr, odd = -1, False, False
        if t == suspended and data.keys() <= {"reason"}:
            code = reasons.setdefault(str(data.get("reason") or ""), len(reasons))
        elif t == decided and data.keys() <= {"outcome", "reasons"}:
            outcome = str(data.get("outcome") or "")
            refused = refusal.get(outcome)
            if refused is None:
                refused = refusal[outcome] = (outcome in REFUSALS
                                              or normalise_outcome(outcome) == "refused")
            refused_nr = refused and not data.get("reasons")
        else:
            odd = True
        reason_of.append(code)
        refused_of.append(refused_nr)
        odd_of.append(odd)
    return (np.asarray(reason_of, np.int32), np.asarray(refused_of, bool),
            np.asarray(odd_of, bool))


def _days_and_instants(ats: list[dt.datetime]) -> tuple[np.ndarray, np.ndarray]:
    """The local day (proleptic ordinal) and the POSIX seconds of each time, equal to
    ``at.toordinal()`` and ``at.timestamp()`` (the integer microseconds are exact; their
    division by 10⁶ is rounded once, as ``timestamp`` does), computed from the fields."""
    day, micros = days_and_micros(ats)
    return day, micros / 1e6


def days_and_micros(ats: Sequence[dt.datetime]) -> tuple[np.ndarray, np.ndarray]:
    """The local day (proleptic ordinal) and the POSIX microseconds (int64, exact) of each
    time; the instant column is the microseconds divided by 10⁶."""
    n = len(ats)
    day = np.fromiter(map(dt.datetime.toordinal, ats), np.int64, n)
    local = (day - EPOCH_ORDINAL) * _US_PER_DAY
    clock, clocks, _ = _codes(list(map(dt.datetime.time, ats)))  # times of day: few distinct
    local += np.asarray([((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
                         for t in clocks], np.int64)[clock]
    tz, tz_table, _ = _codes(list(map(attrgetter("tzinfo"), ats)))
    if all(isinstance(z, dt.timezone) for z in tz_table):  # fixed offsets
        offsets = np.asarray([_micros(z.utcoffset(None)) for z in tz_table] + [0], np.int64)
        local -= offsets[tz]
    else:
        local -= np.fromiter((_micros(a.utcoffset()) for a in ats), np.int64, n)
    return day, local


def _micros(delta: dt.timedelta | None) -> int:
    if delta is None:
        raise ValueError("an event time without a UTC offset")
    return delta // dt.timedelta(microseconds=1)
