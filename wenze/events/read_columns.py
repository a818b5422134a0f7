"""The events stage, for the columnar fast path: a JSON Lines events file read straight into
:class:`~wenze.events.columns.EventColumns`, without an ``Event`` object per line.

events file → **columns** (this module) → :func:`wenze.fast.columnar.evaluate_columnar`.

:func:`read_columns` gives what :func:`wenze.events.readers.read_events` gives for the same file —
the same events kept (as columns equal to ``EventColumns.from_events(batch.events)``, whose
:attr:`~EventColumns.events` rebuild each Event exactly), the same rejections (reason, line, id,
message, in file order), the same count of identical duplicates, ``strict`` raising the same
first :class:`EventError` — and is several times faster, because the usual line is handled a
chunk of lines at a time:

- each line is decoded by ``orjson`` when it is installed (else the standard ``json``); orjson's
  object is used only when it cannot differ from ``json``'s: no float anywhere (orjson reads
  integers past 64 bits as floats, refuses NaN and Infinity), nested at most
  :data:`_MAX_DEPTH` deep (``json`` raises ``RecursionError`` on very deep lines);
- the checks of the quick path (:class:`wenze.events.model.QuickBuilder`) are made in
  one loop over a chunk's lines (small chunks: their objects stay in the CPU's caches), the
  type, item, post, unit and step once per distinct combination of them (with their codes),
  and a time of the usual shapes (``2024-03-01T09:00:00+08:00``, ``…Z``, a space for ``T``) is
  read for the chunk's rows at once with numpy;
- **any other line** — one orjson refuses or might read differently, a blank one, one the quick
  checks do not take, a time of another shape, a date outside 1698–2241 — goes through
  :func:`wenze.events.readers.read_jsonl` itself, alone, with its line number: the exact path,
  which keeps its Event (an Event kept as it is in the columns' details) or rejects it.

The file is read as bytes; universal newlines (``\\r\\n`` and ``\\r``) and the UTF-8 BOM are
handled as the text reader does. A file that is not valid UTF-8, or a line deep enough to make
``json`` raise ``RecursionError``, is read by ``read_events`` itself (same outcome, error
included). The differential tests (``tests/events/test_read_columns.py``) hold all of this
against ``read_events`` on odd inputs.

One module on purpose (~640 lines): the chunked reader, its quick per-field checks and its fall-back
to the full validator must agree line for line.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np

from wenze.events.columns import (
    EPOCH_ORDINAL,
    TYPE_CODE,
    TYPES,
    EventColumns,
    EventDetails,
    TextColumn,
    data_columns,
    days_and_micros,
    first_seen,
    instant_time,
    small_codes,
)
from wenze.events.model import (
    CASELESS,
    FIELD_SET,
    FIRST_YEAR,
    LAST_YEAR,
    LIST_DATA,
    NO_STEP_NEEDED,
    STEP_TYPES,
    TYPE_LOOKUP,
    Collector,
    Event,
    EventError,
    EventType,
    QuickBuilder,
    Rejection,
    data_depth_ok,
    text_list_ok,
)
from wenze.events.readers import read_events, read_jsonl

try:  # a faster decoder, used where it reads exactly as json does (see the module's docstring)
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
    _DecodeError: type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - orjson is a dependency
    _loads = json.loads
    _DecodeError = ValueError

__all__ = ["ColumnBatch", "FieldBlock", "read_columns", "read_field_blocks"]

_CHUNK_BYTES = 1 << 19  # bytes of lines handled at a time (small: their objects stay in cache)
_MAX_DEPTH = 64  # nesting of data taken from orjson (deeper: the exact path)
_BOM = b"\xef\xbb\xbf"
_TYPE_OF_NAME: dict[str, int] = {name: TYPE_CODE[t] for name, t in TYPE_LOOKUP.items()}
_STEP_CODES = np.asarray(sorted(TYPE_CODE[t] for t in STEP_TYPES), np.int8)
_CASELESS_CODES = np.asarray(sorted(TYPE_CODE[t] for t in CASELESS), np.int8)
_QUICK_TYPES = NO_STEP_NEEDED | STEP_TYPES | CASELESS
_REPLIED = TYPE_CODE[EventType.COUNTERSIGN_REPLIED]
_US = 1_000_000
_US_PER_DAY = 86_400 * _US
# days from 1970-01-01 whose instants a float64 keeps to the microsecond (EventDetails keeps
# the rest as Event objects; such lines take the exact path)
# the years the columns rebuild exactly (1698–2241), within those any reader accepts
_FIRST_YEAR, _LAST_YEAR = max(1698, FIRST_YEAR), min(2241, LAST_YEAR)
_TEXT_FIELDS = ("item", "actor", "post", "unit", "step")
_COMBINED = ("item", "post", "unit", "step")  # read with the type: few combinations


@dataclass
class ColumnBatch:
    """What :func:`read_columns` read: the kept events as columns (sorted by case, instant, id,
    as ``read_events`` sorts them), the rejections in file order, the identical duplicates
    ignored. ``events`` (the columns' rebuilt Event objects) and ``case_attributes`` (none in
    JSON Lines) make it usable where an :class:`~wenze.events.readers.EventBatch` is."""

    columns: EventColumns
    rejected: list[Rejection]
    duplicates: int = 0
    case_attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def events(self) -> Sequence[Event]:
        return self.columns.events


def read_columns(path: str | Path, strict: bool = False) -> ColumnBatch:
    """Read a JSON Lines events file into columns: the same outcome as
    ``read_events(path, strict=strict)`` (see the module's docstring)."""
    path = Path(path)
    collecting = gc.isenabled()
    gc.disable()  # only acyclic objects are made: collections would only walk them
    try:
        try:
            return _Reader(str(path)).read(path, strict)
        except (UnicodeDecodeError, RecursionError):
            pass  # read_events's own outcome (it raises, or rejects earlier in strict mode)
    finally:
        if collecting:
            gc.enable()
    batch = read_events(path, fmt="jsonl", strict=strict)
    return ColumnBatch(EventColumns.from_events(batch.events), batch.rejected, batch.duplicates)


@dataclass
class FieldBlock:
    """A block of rows a columnar reader has already split into the contract's fields
    (:mod:`wenze.events.arrow`), for :func:`read_field_blocks`.

    ``quick`` marks the rows the caller vouches for: ``id`` and ``case`` non-empty texts, ``at``
    a text, no key outside the contract, ``data`` absent or decoded into ``datas`` exactly as
    ``json`` decodes it (the reader still checks it as the quick path does). ``texts`` holds, for
    each of ``type``, ``item``, ``post``, ``unit``, ``step``, ``case`` and ``actor``, the rows'
    indices into a list of values (-1: null; a value may be any JSON value, checked here).
    ``lines(rows)`` gives the JSON Lines line of each of those rows (without its end): every row
    not taken here is judged by the exact path from it, numbered ``first`` + its position.

    Optional shortcuts a reader may give: ``at_bytes``, the ``at`` texts' UTF-8 bytes as rows of
    one width (``ats`` is then read only for the rows numpy does not parse); ``data_rows``, the
    rows whose ``datas`` is not None (identical ``data`` values may share one decoded object:
    each distinct object is checked once); ``data_codes``, ``datas`` as each row's index into a
    table of decoded objects (-1: none; ``datas`` is then not read, each object checked once)."""

    first: int
    quick: np.ndarray
    ids: list[Any] | TextColumn
    texts: dict[str, tuple[np.ndarray, list[Any]]]
    ats: Sequence[Any]
    datas: Sequence[Any]
    lines: Callable[[list[int]], list[bytes]]
    at_bytes: np.ndarray | None = None
    data_rows: np.ndarray | None = None
    data_codes: tuple[np.ndarray, list[Any]] | None = None


def read_field_blocks(blocks: Iterable[FieldBlock | tuple[list[bytes], int]], source: str,
                      strict: bool = False) -> ColumnBatch:
    """Rows already split into fields (:class:`FieldBlock`), or JSON Lines lines (bytes without
    their ends, with the number of the first), numbered as the blocks say: the outcome
    ``read_columns`` gives for a file of their JSON Lines."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        reader = _Reader(source)
        return reader._finish([reader._fields(block) if isinstance(block, FieldBlock)
                               else reader._chunk(*block) for block in blocks], strict)
    finally:
        if collecting:
            gc.enable()


class _Picked(Sequence[Any]):
    """Rows ``rows`` of a sequence, read one by one when asked."""

    def __init__(self, values: Sequence[Any], rows: list[int]):
        self.values, self.rows = values, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        return self.values[self.rows[i]]


class _Codes(dict[Any, int]):
    """Texts → codes in first-seen order; ``None`` and ``""`` → -1."""

    def __init__(self) -> None:
        super().__init__({None: -1, "": -1})
        self.names: list[str] = []

    def __missing__(self, value: str) -> int:
        code = self[value] = len(self.names)
        self.names.append(value)
        return code


_NOTHING = np.zeros(0, np.int8)  # (an array given up)
_ROW_ARRAYS = {"line": np.int64, "case": np.int32, "type": np.int8, "day": np.int64,
               "micros": np.int64, "tz": np.int32}  # the arrays of _Rows, and their types


@dataclass
class _Rows:
    """Valid rows (of a chunk, or of the file), in file order unless taken in another (codes
    into the reader's tables)."""

    line: np.ndarray
    case: np.ndarray
    type: np.ndarray
    day: np.ndarray
    micros: np.ndarray
    tz: np.ndarray
    texts: dict[str, np.ndarray]
    ids: list[str] | TextColumn
    data: np.ndarray  # int32 index into data_table (-1: none)
    data_table: list[dict[str, Any] | None]  # (None or {}: no data)
    kept: dict[int, Event]  # row → the Event the exact path made

    @classmethod
    def concat(cls, parts: list[_Rows]) -> _Rows:
        """The parts one after the other; the parts are emptied as their arrays are joined
        (each array's parts freed before the next is joined: the peak stays near one copy)."""
        kept: dict[int, Event] = {}
        base = 0
        for p in parts:
            kept.update((base + k, ev) for k, ev in p.kept.items())
            base += len(p.line)
        arrays: dict[str, np.ndarray] = {}
        for name, kind in _ROW_ARRAYS.items():
            arrays[name] = np.concatenate([getattr(p, name) for p in parts]) if parts \
                else np.zeros(0, kind)
            for p in parts:
                setattr(p, name, _NOTHING)
            release_free_memory()  # (the parts' arrays lie in the heap: given back at once)
        texts: dict[str, np.ndarray] = {}
        for name in _TEXT_FIELDS:
            texts[name] = np.concatenate([p.texts.pop(name) for p in parts]) if parts \
                else np.zeros(0, np.int32)
            release_free_memory()
        ids = _joined_ids([p.ids for p in parts])
        data_parts = []
        data_table: list[dict[str, Any] | None] = []
        for p in parts:  # (each part's codes moved past the tables before it)
            data_parts.append(np.where(p.data >= 0, p.data + len(data_table), -1)
                              .astype(np.int32) if data_table else p.data)
            data_table += p.data_table
            p.data = _NOTHING
        data = np.concatenate(data_parts) if parts else np.zeros(0, np.int32)
        parts.clear()
        return cls(**arrays, texts=texts, ids=ids, data=data, data_table=data_table, kept=kept)

    def take(self, rows: np.ndarray) -> _Rows:
        """Rows ``rows`` (some left out, or reordered)."""
        position = np.full(len(self.line), -1, np.int64)
        position[rows] = np.arange(len(rows))
        r = rows.tolist()
        return _Rows(**{name: getattr(self, name)[rows] for name in _ROW_ARRAYS},
                     texts={name: a[rows] for name, a in self.texts.items()},
                     ids=self.ids.take(rows) if isinstance(self.ids, TextColumn)
                     else [self.ids[i] for i in r], data=self.data[rows],
                     data_table=self.data_table,
                     kept={int(position[i]): ev for i, ev in self.kept.items()
                           if position[i] >= 0})


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.cases = _Codes()
        self.texts = {name: _Codes() for name in _TEXT_FIELDS}
        self.zones: dict[Any, int] = {}  # tzinfo → code
        self.zone_table: list[dt.tzinfo] = []
        self.minutes: dict[int, int] = {}  # offset in minutes → zone code
        self.quick = QuickBuilder()
        self.rejected: list[Rejection] = []
        self.combos: dict[tuple[Any, ...], int] = {}  # (type, item, post, unit, step)
        self.combos_ok: list[list[int]] = []  # its type and text codes
        self.combo_table = np.zeros((1024, 5), np.int32)
        self.tables: dict[str, tuple[list[Any], np.ndarray]] = {}  # (see _coded)

    # ----------------------------------------------------------------- the file

    def read(self, path: Path, strict: bool) -> ColumnBatch:
        parts = [self._chunk(lines, first) for lines, first in _chunks(path)]
        return self._finish(parts, strict)

    # ----------------------------------------------------------------- one chunk

    def _chunk(self, lines: list[bytes], first: int) -> _Rows:
        """The valid rows of the lines ``first``… : the usual ones read here, the others by
        the exact path (see the module's docstring)."""
        loads, error, keys_ok = _loads, _DecodeError, FIELD_SET.issuperset
        combos, combo = self.combos, self._combo
        rows: list[int] = []
        ids: list[str] = []
        cases: list[str] = []
        ats: list[str] = []
        actors: list[str | None] = []
        kinds: list[int] = []
        datas: list[dict[str, Any] | None] = []
        slow: list[int] = []
        for j, line in enumerate(lines):
            try:
                obj = loads(line)
            except error:
                slow.append(j)
                continue
            if type(obj) is not dict or not keys_ok(obj):
                slow.append(j)
                continue
            get = obj.get
            eid, case, at, data = get("id"), get("case"), get("at"), get("data")
            if (type(eid) is not str or not eid or type(case) is not str or not case
                    or type(at) is not str
                    or (data is not None and (type(data) is not dict
                                             or (data and not _plain_data(data))))):
                slow.append(j)
                continue
            actor = get("actor")
            if actor is not None and type(actor) is not str:
                slow.append(j)
                continue
            kind = (get("type"), get("item"), get("post"), get("unit"), get("step"))
            try:
                code = combos.get(kind)
            except TypeError:  # an unhashable value (a list, an object): not a text
                code = -1
            if code is None:
                code = combo(kind)
            if code < 0:
                slow.append(j)
                continue
            rows.append(j)
            ids.append(eid)
            cases.append(case)
            ats.append(at)
            actors.append(actor)
            kinds.append(code)
            datas.append(data)
        day, micros, tz, timed = self._times(ats)
        table = self.combo_table[np.asarray(kinds, np.int64)]
        row = np.asarray(rows, np.int64)
        if not timed.all():  # a time of another shape that the quick path refuses
            slow += row[~timed].tolist()
            keep = timed.tolist()
            row, table, day, micros, tz = (a[timed] for a in (row, table, day, micros, tz))
            ids, cases, actors, datas = (list(compress(v, keep))
                                         for v in (ids, cases, actors, datas))
        case_code = np.fromiter(map(self.cases.__getitem__, cases), np.int32, len(cases))
        actor_code = np.fromiter(map(self.texts["actor"].__getitem__, actors), np.int32,
                                 len(actors))
        exact = [(j, ev) for j in sorted(slow) if (ev := self._exact(lines[j], first + j))]
        kept: dict[int, Event] = {}
        data_code = np.arange(len(datas), dtype=np.int32)  # (each row its own object)
        if exact:  # the exact path's events among the others, in file order
            (row, table, day, micros, tz, case_code, actor_code, ids, data_code, datas,
             kept) = self._with_exact(exact, row, table, day, micros, tz, case_code, actor_code,
                                      ids, data_code, datas)
        return _Rows(line=row + first, case=case_code.astype(np.int32),
                     type=table[:, 0].astype(np.int8), day=day, micros=micros,
                     tz=tz.astype(np.int32),
                     texts={"actor": actor_code.astype(np.int32),
                            **{name: table[:, k + 1] for k, name in enumerate(_COMBINED)}},
                     ids=ids, data=data_code, data_table=datas, kept=kept)

    def _combo(self, kind: tuple[Any, ...]) -> int:
        """The code of a (type, item, post, unit, step) the quick path takes (-1: one it does
        not), its codes added to :attr:`combo_table`."""
        name, *texts = kind
        etype = TYPE_LOOKUP.get(name) if type(name) is str else None
        ok = (etype is not None and etype in _QUICK_TYPES
              and all(v is None or type(v) is str for v in texts))
        if ok:
            _, post, unit, step = texts
            if etype in STEP_TYPES:
                ok = bool(step) and (etype is not EventType.COUNTERSIGN_REPLIED or bool(unit))
            elif etype in CASELESS:
                ok = bool(post)
        if not ok:
            self.combos[kind] = -1
            return -1
        code = self.combos[kind] = len(self.combos_ok)
        assert etype is not None
        self.combos_ok.append([TYPE_CODE[etype], *(self.texts[field][v] for field, v in
                                                   zip(_COMBINED, texts, strict=True))])
        if code >= len(self.combo_table):
            self.combo_table = np.concatenate((self.combo_table,
                                               np.zeros_like(self.combo_table)))
        self.combo_table[code] = self.combos_ok[-1]
        return code

    def _with_exact(self, exact: list[tuple[int, Event]], row: Any, table: Any, day: Any,
                    micros: Any, tz: Any, case_code: Any, actor_code: Any, ids: list[Any],
                    data_code: np.ndarray, datas: list[Any]) -> tuple[Any, ...]:
        """The rows of a chunk with the events the exact path built (``(row, event)``) put among
        them in row order (``data_code``: the rows' indices into the table ``datas``, the
        events' data added to it); the last value maps a kept row's index to its event."""
        evs = [ev for _, ev in exact]
        d, m = days_and_micros([ev.at for ev in evs])
        extra = np.asarray([[TYPE_CODE[ev.type], *(self.texts[name][getattr(ev, name)]
                                                   for name in _COMBINED)]
                            for ev in evs], np.int32)
        actor_code = np.concatenate((actor_code, [self.texts["actor"][ev.actor] for ev in evs]))
        row = np.concatenate((row, [j for j, _ in exact]))
        table = np.concatenate((table, extra))
        day, micros = np.concatenate((day, d)), np.concatenate((micros, m))
        tz = np.concatenate((tz, [self._zone(ev.at.tzinfo) for ev in evs]))
        case_code = np.concatenate((case_code, [self.cases[ev.case] for ev in evs]))
        ids = _id_list(ids) + [ev.id for ev in evs]
        data_code = np.concatenate((data_code, np.arange(len(datas), len(datas) + len(evs),
                                                         dtype=np.int32)))
        datas = [*datas, *(ev.data for ev in evs)]
        order = np.argsort(row, kind="stable")
        row, table, day, micros, tz, case_code, actor_code, data_code = (
            a[order] for a in (row, table, day, micros, tz, case_code, actor_code, data_code))
        ids = [ids[i] for i in order.tolist()]
        at_row = dict(exact)
        kept = {k: at_row[j] for k, j in enumerate(row.tolist()) if j in at_row}
        return row, table, day, micros, tz, case_code, actor_code, ids, data_code, datas, kept

    def _exact(self, line: bytes, number: int) -> Event | None:
        """The current reader on one line: its Event, or None (rejected, or blank)."""
        text = line.decode("utf-8", "surrogateescape")  # a bad byte: read_jsonl rejects the line
        batch = read_jsonl([text], self.source, False, number, ordered=False)
        self.rejected.extend(batch.rejected)
        return batch.events[0] if batch.events else None

    def _fields(self, block: FieldBlock) -> _Rows:
        """The valid rows of a block split into fields: the quick ones checked on their codes
        (as :meth:`_chunk` checks a line's), the others by the exact path from their lines."""
        n = len(block.quick)
        ok = np.asarray(block.quick, bool).copy()
        # (type, item, post, unit, step): each distinct combination checked once
        parts = [block.texts[name] for name in ("type", *_COMBINED)]
        key = np.zeros(n, np.int64)
        for index, values in parts:
            key = key * (len(values) + 1) + (np.asarray(index, np.int64) + 1)
        span = 1
        for _, values in parts:
            span *= len(values) + 1
        if span <= 1 << 22:  # few combinations (the usual case): a table, not a sort
            seen = np.zeros(span, bool)
            seen[key] = True
            kinds = np.flatnonzero(seen)
            slot = np.zeros(span, np.int64)
            slot[kinds] = np.arange(len(kinds))
            inverse = slot[key]
        else:
            kinds, inverse = np.unique(key, return_inverse=True)
        first_row = np.zeros(len(kinds), np.int64)
        first_row[inverse[::-1]] = np.arange(n)[::-1]
        codes = np.empty(len(kinds), np.int64)
        for k, row in enumerate(first_row.tolist()):
            kind = tuple(None if index[row] < 0 else values[index[row]]
                         for index, values in parts)
            try:
                code = self.combos.get(kind)
            except TypeError:  # an unhashable value: not a text
                code = -1
            codes[k] = self._combo(kind) if code is None else code
        combo = codes[inverse] if n else np.zeros(0, np.int64)
        ok &= combo >= 0
        # the actor: null or a text
        index, values = block.texts["actor"]
        ok &= self._coded("actor", values, self.texts["actor"])[index] >= -1
        # the data: absent, or an object the quick path takes (each distinct object once)
        if block.data_codes is not None:
            data_code, data_table = block.data_codes
            plain = np.asarray([d is None or (type(d) is dict and (not d or _plain_data(d)))
                                for d in data_table] + [True], bool)
            ok &= plain[data_code]
        else:
            datas_of = block.datas
            with_data = (block.data_rows.tolist() if block.data_rows is not None
                         else [i for i, d in enumerate(datas_of) if d is not None])
            taken_of: dict[int, bool] = {}
            odd_data = []
            for i in with_data:
                d = datas_of[i]
                taken = taken_of.get(id(d))
                if taken is None:
                    taken = taken_of[id(d)] = type(d) is dict and (not d or _plain_data(d))
                if not taken:
                    odd_data.append(i)
            ok[odd_data] = False
            data_code = np.full(n, -1, np.int32)
            data_code[with_data] = np.arange(len(with_data), dtype=np.int32)
            data_table = [datas_of[i] for i in with_data]
        rows = np.flatnonzero(ok)
        r = rows.tolist()
        if block.at_bytes is not None:
            ats = block.ats
            day, micros, tz, timed = self._times(
                _Picked(ats, r), block.at_bytes if len(r) == n else block.at_bytes[rows])
        else:
            ats = block.ats if len(r) == n else [block.ats[i] for i in r]
            day, micros, tz, timed = self._times(ats)
        if not timed.all():
            rows, day, micros, tz = rows[timed], day[timed], micros[timed], tz[timed]
            r = rows.tolist()
        taken_rows = np.zeros(n, bool)
        taken_rows[rows] = True
        slow = np.flatnonzero(~taken_rows).tolist()
        table = self.combo_table[combo[rows]]
        case_index, case_values = block.texts["case"]
        case_code = self._coded("case", case_values, self.cases)[case_index[rows]]
        actor_code = self._coded("actor", values, self.texts["actor"])[index[rows]]
        ids = block.ids if len(r) == n else (
            block.ids.take(rows) if isinstance(block.ids, TextColumn) else
            [block.ids[i] for i in r])
        data = np.asarray(data_code[rows], np.int32)
        exact = []
        if slow:
            lines = block.lines(slow)
            exact = [(j, ev) for j, line in zip(slow, lines, strict=True)
                     if (ev := self._exact(line, block.first + j))]
        row = rows
        kept: dict[int, Event] = {}
        if exact:  # the exact path's events among the others, in row order
            (row, table, day, micros, tz, case_code, actor_code, ids, data, data_table,
             kept) = self._with_exact(exact, row, table, day, micros, tz, case_code, actor_code,
                                      ids, data, data_table)
        table = table.reshape(-1, 5)
        return _Rows(line=np.asarray(row, np.int64) + block.first,
                     case=np.asarray(case_code, np.int32),
                     type=table[:, 0].astype(np.int8), day=np.asarray(day, np.int64),
                     micros=np.asarray(micros, np.int64), tz=np.asarray(tz, np.int32),
                     texts={"actor": np.asarray(actor_code, np.int32),
                            **{name: table[:, k + 1] for k, name in enumerate(_COMBINED)}},
                     ids=ids, data=data, data_table=data_table, kept=kept)

    def _coded(self, name: str, values: list[Any], codes: _Codes) -> np.ndarray:
        """The codes of a block's table of values (-1: None or ""; -2: not a text; a last
        -1 for a null), made once for a table the blocks share (the same list)."""
        seen = self.tables.get(name)
        if seen is not None and seen[0] is values:
            return seen[1]
        coded = np.asarray([codes[v] if type(v) is str else (-1 if v is None else -2)
                            for v in values] + [-1], np.int32)
        self.tables[name] = (values, coded)
        return coded

    def _zone(self, zone: Any) -> int:
        code = self.zones.get(zone)
        if code is None:
            code = self.zones[zone] = len(self.zone_table)
            self.zone_table.append(zone)
        return code

    def _times(self, ats: Sequence[Any], matrix: np.ndarray | None = None
               ) -> tuple[np.ndarray, ...]:
        """(day, POSIX microseconds, zone code, parsed) of each time: numpy for the usual
        shapes, the quick path's own parse for the others (``parsed`` False where it refuses
        one, or where the date is outside the years the columns rebuild exactly). ``matrix``:
        the times' UTF-8 bytes already as rows of one width (then ``ats`` is read only where
        numpy does not take a row)."""
        n = len(ats) if matrix is None else len(matrix)
        day = np.zeros(n, np.int64)
        micros = np.zeros(n, np.int64)
        tz = np.zeros(n, np.int32)
        done = np.zeros(n, bool)
        if matrix is not None:
            if matrix.shape[1] in (20, 25):
                self._parsed(np.arange(n), matrix, day, micros, tz, done)
        else:
            lengths = np.fromiter(map(len, ats), np.int64, n)
            for width in (25, 20):
                sel = np.flatnonzero(lengths == width)
                if not len(sel):
                    continue
                text = "".join(ats if len(sel) == n else [ats[i] for i in sel.tolist()]).encode()
                if len(text) != width * len(sel):  # a character beyond ASCII: not this shape
                    continue
                self._parsed(sel, np.frombuffer(text, np.uint8).reshape(len(sel), width), day,
                             micros, tz, done)
        parsed = np.ones(n, bool)
        for i in np.flatnonzero(~done).tolist():
            at = self.quick.time(ats[i])
            if at is None or not _FIRST_YEAR <= at.year <= _LAST_YEAR:
                parsed[i] = False
                continue
            d, m = days_and_micros([at])
            day[i], micros[i], tz[i] = d[0], m[0], self._zone(at.tzinfo)
        return day, micros, tz, parsed

    def _parsed(self, sel: np.ndarray, matrix: np.ndarray, day: np.ndarray, micros: np.ndarray,
                tz: np.ndarray, done: np.ndarray) -> None:
        """Rows ``sel`` of the times, their bytes ``matrix``: those of the usual shapes set."""
        good, d, m, minutes = _parse_times(matrix)
        sel = sel[good]
        day[sel], micros[sel] = d[good], m[good]
        minutes = minutes[good]
        first = minutes[:1]
        if len(first) and (minutes == first[0]).all():
            tz[sel] = self._minutes(int(first[0]))
        else:
            for offset in np.unique(minutes).tolist():
                tz[sel[minutes == offset]] = self._minutes(offset)
        done[sel] = True

    def _minutes(self, offset: int) -> int:
        code = self.minutes.get(offset)
        if code is None:
            # the tzinfo fromisoformat gives for this offset
            stamp = f"2000-01-01T00:00:00{'-' if offset < 0 else '+'}" \
                    f"{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
            code = self.minutes[offset] = self._zone(dt.datetime.fromisoformat(stamp).tzinfo)
        return code
    # ----------------------------------------------------------------- the whole file

    def _finish(self, parts: list[_Rows], strict: bool) -> ColumnBatch:
        every = _Rows.concat(parts)  # (parts emptied: the caller's list too)
        release_free_memory()
        # sorted case names; each row's case as its rank (-1: no case)
        names = self.cases.names
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names) + 1, np.int32)
        rank[np.asarray(order, np.int64)] = np.arange(len(order), dtype=np.int32)
        rank[-1] = -1
        every.case = rank[every.case]
        case_names = [names[i] for i in order]

        def event(i: int) -> Event:  # row i as read_events made it (for duplicates)
            ev = every.kept.get(i)
            if ev is not None:
                return ev
            c = int(every.case[i])
            text = {name: int(every.texts[name][i]) for name in _TEXT_FIELDS}
            return Event(every.ids[i], case_names[c] if c >= 0 else "", TYPES[every.type[i]],
                         instant_time(int(every.micros[i]) / 1e6, self.zone_table[every.tz[i]]),
                         data=(every.data_table[code] if (code := int(every.data[i])) >= 0
                               else None) or {}, line=int(every.line[i]),
                         source=self.source,
                         **{name: self.texts[name].names[k] if k >= 0 else None
                            for name, k in text.items()})

        keep, duplicates = self._duplicates(every.ids, event)
        if not keep.all():
            every = every.take(np.flatnonzero(keep))
        self.rejected.sort(key=lambda r: r.line or 0)
        if strict and self.rejected:
            raise EventError(self.rejected[0])
        ordered = _order(every.case, every.micros, every.ids)
        if ordered is not None:
            every = every.take(ordered)
        columns = self._columns(every, case_names)
        release_free_memory()
        return ColumnBatch(columns, self.rejected, duplicates)

    def _duplicates(self, ids: list[str] | TextColumn, event: Callable[[int], Event]
                    ) -> tuple[np.ndarray, int]:
        """Rows kept (the first of each id) and the count of identical duplicates; conflicting
        ones are rejected (through :class:`Collector`, as the reader does)."""
        n = len(ids)
        keep = np.ones(n, bool)
        hashes = ids.hashes() if isinstance(ids, TextColumn) else \
            np.fromiter(map(hash, ids), np.int64, n)
        ordered = np.sort(hashes)
        twice = ordered[1:][ordered[1:] == ordered[:-1]]
        if not len(twice):
            return keep, 0
        col = Collector(False)
        for i in np.flatnonzero(np.isin(hashes, twice)).tolist():
            first = col.by_id.get(ids[i])
            if first is None:
                col.add(event(i))
            else:
                col.add(event(i))
                keep[i] = False
        self.rejected.extend(col.rejected)
        return keep, col.duplicates

    def _columns(self, rows: _Rows, case_names: list[str]) -> EventColumns:
        """The columns of the rows (in read_events' order), names in first-seen order. The
        rows' arrays are given up as their columns are made (the peak: one array more)."""
        case, types, texts = rows.case, rows.type, rows.texts
        n = len(case)
        if n:  # only the case names of kept rows
            used = np.zeros(len(case_names) + 1, bool)
            used[case] = True
            used[-1] = False
            if not used[:-1].all():
                new = np.cumsum(used) - 1
                new[-1] = -1
                case = new[case].astype(np.int32)
                case_names = list(compress(case_names, used[:-1].tolist()))
        else:
            case_names = []
        named = {name: first_seen(texts.pop(name), self.texts[name].names)
                 for name in _TEXT_FIELDS}
        # the rows' data (None and {} alike: none), each object of the table once
        given = np.append(np.fromiter(map(bool, rows.data_table), bool, len(rows.data_table)),
                          False)
        data_code, data_table = first_seen(np.where(given[rows.data], rows.data, -1)
                                           .astype(np.int32), rows.data_table)
        rows.data = _NOTHING
        zone, zones = first_seen(rows.tz.astype(np.int32), self.zone_table)
        rows.tz = _NOTHING
        instant = rows.micros / 1e6
        rows.micros = _NOTHING
        id_column = rows.ids if isinstance(rows.ids, TextColumn) else TextColumn.of(rows.ids)
        details = EventDetails(id_column, small_codes(zone, len(zones)), zones, data_code,
                               data_table, np.zeros(n, np.int8), [self.source], rows.line,
                               rows.kept)
        return EventColumns(case, case_names, types, rows.day, instant,
                            *named["item"],
                            *named["post"], *named["actor"], *named["unit"], *named["step"],
                            *data_columns(types, data_table, data_code), details=details)


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere
    nothing). A read makes many block-sized arrays and frees them once joined: glibc keeps
    the freed ones resident (they lie between live ones), and the joined arrays would stand
    on them (at a million cases the peak was the rows twice)."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            _TRIM = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM: Any = None


def file_blocks(path: Path, size: int) -> Iterator[tuple[bytes, bool]]:
    """The file's bytes about ``size`` at a time, each block ending at a line end as text mode
    ends lines (``\n``, ``\r\n``, ``\r``; the last block may end without one), a BOM at the
    start dropped; with whether the block held a ``\r`` (its line ends are then ``\n``)."""
    with path.open("rb") as fh:
        if fh.read(3) != _BOM:
            fh.seek(0)
        while True:
            block = fh.read(size)
            if not block:
                return
            if not block.endswith((b"\n", b"\r")):
                block += fh.readline()
            if block.endswith(b"\r"):  # a "\r\n" cut in two, or a line ended by "\r"
                after = fh.read(1)
                if after == b"\n":
                    block += after
                elif after:
                    fh.seek(-1, 1)
            had_cr = b"\r" in block
            if had_cr:
                block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            yield block, had_cr


def _chunks(path: Path) -> Iterator[tuple[list[bytes], int]]:
    """The file's lines (bytes, without their line ends) a chunk at a time, with the number of
    the first (:func:`file_blocks`)."""
    number = 1
    for block, _ in file_blocks(path, _CHUNK_BYTES):
        lines = block.split(b"\n")
        if block.endswith(b"\n"):
            lines.pop()
        yield lines, number
        number += len(lines)


def _given_texts(values: list[Any]) -> np.ndarray:
    """Rows holding a non-empty ``str``."""
    if dict.fromkeys(map(type, values)).keys() <= {str} and all(values):
        return np.ones(len(values), bool)
    return np.fromiter((type(v) is str and v != "" for v in values), bool, len(values))


def _optional_texts(values: list[Any]) -> np.ndarray:
    """Rows holding ``None`` or a ``str``."""
    if dict.fromkeys(map(type, values)).keys() <= {str, type(None)}:
        return np.ones(len(values), bool)
    return np.fromiter((v is None or type(v) is str for v in values), bool, len(values))


def _plain_data(data: Any) -> bool:
    """A ``data`` object the quick path takes whose every value ``json`` reads as orjson does:
    no float (nor a big integer orjson made one), not deeper than :data:`_MAX_DEPTH`."""
    if type(data) is not dict or not _no_float(data, 0) or not data_depth_ok(data):
        return False  # (an empty dict is plain: the event's data is {})
    for key in LIST_DATA:
        value = data.get(key)
        if value is not None and not text_list_ok(value):
            return False
    return True


def _no_float(value: Any, depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return False
    t = type(value)
    if t is dict:
        value = value.values()
    elif t is not list:
        return t is not float
    for v in value:
        t = type(v)
        if t is str or t is int or t is bool or v is None:
            continue
        if t is float or not _no_float(v, depth + 1):
            return False
    return True


_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)  # YYYY-MM-DD?hh:mm:ss
_DIGITS_OFFSET = (*_DIGITS, 20, 21, 23, 24)  # …±hh:mm
_DAYS_IN_MONTH = np.asarray([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)


def _parse_times(b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Times ``YYYY-MM-DDThh:mm:ss±hh:mm`` (25 bytes a row) or ``…Z`` (20), ``T`` or a space
    between date and time: (the rows of exactly that shape with a valid date, time and offset,
    day ordinal, POSIX microseconds, offset in minutes). ``fromisoformat`` reads those texts
    as these values; the other rows are left to it. (The bytes are read column by column: one
    transposed copy, each column then contiguous.)"""
    width = b.shape[1]
    n = len(b)
    cols = np.ascontiguousarray(b.T)
    digit = cols - np.uint8(48)  # (uint8: below "0" wraps past 9)
    good = np.ones(n, bool)
    for k in _DIGITS if width == 20 else _DIGITS_OFFSET:
        good &= digit[k] <= 9
    good &= (cols[4] == 45) & (cols[7] == 45) & ((cols[10] == 84) | (cols[10] == 32))
    good &= (cols[13] == 58) & (cols[16] == 58)

    def number(*at: int) -> np.ndarray:  # the digits at these columns as one integer
        value = digit[at[0]].astype(np.int32)
        for k in at[1:]:
            value *= 10
            value += digit[k]
        return value

    year, month, mday = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    hour, minute, second = number(11, 12), number(14, 15), number(17, 18)
    if width == 25:
        good &= ((cols[19] == 43) | (cols[19] == 45)) & (cols[22] == 58)
        off_h, off_m = number(20, 21), number(23, 24)
        good &= (off_h <= 23) & (off_m <= 59)
        offset = off_h * 60 + off_m
        np.negative(offset, out=offset, where=cols[19] == 45)
    else:
        good &= cols[19] == 90  # "Z"
        offset = np.zeros(n, np.int32)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    good &= (year >= _FIRST_YEAR) & (year <= _LAST_YEAR) & month_ok & (mday >= 1)
    good &= (mday <= last) & (hour <= 23) & (minute <= 59) & (second <= 59)
    days = _days_from_civil(year.astype(np.int64), np.where(good, month, 1),
                            np.where(good, mday, 1))
    seconds = (hour * 60 + minute) * 60 + second - offset * 60  # (int32: below 2**17)
    local = days * _US_PER_DAY
    local += seconds.astype(np.int64) * _US
    days += EPOCH_ORDINAL
    return good, days, local, offset.astype(np.int64)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _id_list(ids: list[str] | TextColumn) -> list[str]:
    return ids.slice(0, len(ids)) if isinstance(ids, TextColumn) else ids


def _joined_ids(parts: list[list[str] | TextColumn]) -> list[str] | TextColumn:
    """The ids of consecutive parts as one: a column if every part is one, else a list."""
    if parts and all(isinstance(p, TextColumn) for p in parts):
        return TextColumn.concat(parts)  # type: ignore[arg-type]
    return [x for p in parts for x in _id_list(p)]


def _order(case: np.ndarray, micros: np.ndarray, ids: Sequence[str]) -> np.ndarray | None:
    """The order of ``read_events`` (case, instant, id) as row indices; None when the rows are
    in it already."""
    n = len(case)
    if n < 2:
        return None
    same_case = case[1:] == case[:-1]
    later = (case[1:] > case[:-1]) | same_case & (micros[1:] > micros[:-1])
    if later.all():
        return None
    order = np.lexsort((micros, case))
    c, m = case[order], micros[order]
    tie = (c[1:] == c[:-1]) & (m[1:] == m[:-1])
    if tie.any():  # the same case and instant: by id
        starts = np.flatnonzero(np.r_[True, ~tie])
        ends = np.append(starts[1:], n)
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            if hi - lo > 1:
                group = order[lo:hi].tolist()
                order[lo:hi] = sorted(group, key=ids.__getitem__)
    return order
