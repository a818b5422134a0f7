"""The events stage, columnar files: events from Parquet and Arrow IPC files into
:class:`~wenze.events.columns.EventColumns`, and events written as Parquet (``wenze convert``).

**Schema** (docs/events.md §5): one row an event, one column a field of the contract —
``id``, ``case``, ``type``, ``at``, ``item``, ``actor``, ``post``, ``unit``, ``step`` as
strings (``string``, ``large_string`` or a dictionary of strings), ``data`` as a JSON text
(``string``) or a ``struct``. A null is a field not given (in a ``struct``, a null field is a key
not given). Nothing else is special: a row is judged exactly as the JSON Lines line
``{"id": …, "case": …, …}`` holding its non-null values would be — same events, same rejections
and messages, same duplicates (the row's number, from 1, stands for the line's). So a column
outside the contract rejects every row that has a value in it (``unknown_field``), a number
where a text belongs is a ``bad_field``, a ``timestamp`` in ``at`` is its ISO text (a time
without a zone: ``naive_time``), and a ``data`` text that is not JSON is a ``data`` that is
not an object (``bad_field``).

How: the rows whose every value is a text (or null) where the contract has a text, with nothing
outside it, are split into the columns straight from Arrow's arrays
(:func:`field_block` → :func:`wenze.events.read_columns.read_field_blocks`, which checks them as
the JSON Lines reader's quick path checks a line); every other row is written as its JSON Lines
line by Arrow's compute kernels (:func:`row_lines`: strings escaped, the columns joined, null ones
left out; a column of another type converted in Python) and judged by the exact path of the JSON
Lines reader: one validator for every format. :func:`read_jsonl_arrow` reads JSON Lines through
Arrow's JSON parser the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.json as pj
import pyarrow.parquet as pq

from wenze.events.columns import TextColumn
from wenze.events.model import Event
from wenze.events.read_columns import (
    ColumnBatch,
    FieldBlock,
    file_blocks,
    read_columns,
    read_field_blocks,
)

__all__ = [
    "ARROW_SUFFIXES",
    "EVENT_FIELDS",
    "EVENT_SCHEMA",
    "PARQUET_SUFFIXES",
    "arrow_format",
    "events_table",
    "field_block",
    "field_blocks",
    "read_any",
    "read_arrow",
    "read_jsonl_arrow",
    "row_lines",
    "write_events",
]

EVENT_FIELDS = ("id", "case", "type", "at", "item", "actor", "post", "unit", "step", "data")
# what `wenze convert` writes: every field a string, data a JSON text (null: not given)
EVENT_SCHEMA = pa.schema([pa.field(name, pa.string()) for name in EVENT_FIELDS])
PARQUET_SUFFIXES = (".parquet", ".pq")
ARROW_SUFFIXES = (".arrow", ".feather", ".ipc", ".arrows")
_BATCH_ROWS = 1 << 16
_CODED = ("type", "item", "post", "unit", "step", "case", "actor")  # read as codes
_CONTROL = "[\\x00-\\x1f]"


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


_EMPTY, _QUOTE = _large(""), _large('"')


def arrow_format(path: str | Path) -> str | None:
    """``parquet`` or ``arrow`` for a columnar events file (by its extension), else None."""
    suffix = Path(path).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in ARROW_SUFFIXES:
        return "arrow"
    return None


def read_arrow(path: str | Path, strict: bool = False, fmt: str | None = None) -> ColumnBatch:
    """A Parquet or Arrow IPC events file (``fmt``: ``parquet``/``arrow``, else by extension)
    read into columns, with the rejections and duplicates of the same rows as JSON Lines."""
    path = Path(path)
    kind = fmt or arrow_format(path)
    if kind not in ("parquet", "arrow"):
        raise ValueError(f"无法识别列式事件文件 `{path.name}`（parquet、arrow） / not a columnar "
                         f"events file `{path.name}` (.parquet, .arrow)")
    try:
        return read_field_blocks(field_blocks(_batches(path, kind)), str(path), strict)
    finally:
        _release_arrow_memory()


def read_jsonl_arrow(path: str | Path, strict: bool = False) -> ColumnBatch:
    """A JSON Lines events file read with Arrow's multi-threaded JSON parser where it can:
    the outcome of :func:`wenze.events.read_columns.read_columns` (and so of ``read_events``).

    The file is read in blocks of whole lines. A block Arrow parses into exactly one row a line
    (no blank line, no line it refuses: a bad line, a duplicate key, a value of another type than
    the column's so far …) is split into fields from the parsed columns; a line with ``data``
    has it decoded from the line itself (orjson, as ``read_columns`` does), a line with a key
    outside the contract or any odd value goes to the exact path. Any other block is read line
    by line as ``read_columns`` reads it. A file that is not UTF-8 is left to ``read_columns``
    (which leaves it to ``read_events``)."""
    path = Path(path)
    try:
        return read_field_blocks(_jsonl_blocks(path), str(path), strict)
    except (UnicodeDecodeError, RecursionError):
        return read_columns(path, strict)
    finally:
        _release_arrow_memory()


def _release_arrow_memory() -> None:
    """Arrow's allocator gives back the memory the read's batches no longer use (mimalloc and
    jemalloc keep freed pages for reuse: they would stay resident through the judging)."""
    pa.default_memory_pool().release_unused()


_JSON_BLOCK = 1 << 24  # bytes of lines parsed at a time
_PARSE = pj.ParseOptions(explicit_schema=pa.schema([(name, pa.string())
                                                    for name in EVENT_FIELDS[:-1]]),
                         unexpected_field_behavior="infer")


def _jsonl_blocks(path: Path) -> Iterator[FieldBlock | tuple[list[bytes], int]]:
    number = 1
    for block, had_cr in file_blocks(path, _JSON_BLOCK):
        if had_cr:  # such a file goes line by line
            lines = block.split(b"\n")
            if lines[-1] == b"":
                lines.pop()
            yield lines, number
            number += len(lines)
            continue
        if not block.endswith(b"\n"):
            block += b"\n"
        count = block.count(b"\n")
        yield _parsed_block(block, count, number)
        number += count


def _parsed_block(block: bytes, count: int, first: int) -> FieldBlock | tuple[list[bytes], int]:
    """A block of lines (each ended by ``\\n``) as fields if Arrow parses it into one row a
    line, else as its lines."""
    split: list[list[bytes]] = []

    def lines() -> list[bytes]:
        if not split:
            split.append(block.split(b"\n")[:-1])
        return split[0]

    # every line opens an object: no blank line, no other value (Arrow would skip a blank line
    # and read two objects on one line as two rows, so that rows == lines proves the rows are
    # the lines); a lone "null" even crashes Arrow 26's reader
    raw = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not (raw[np.concatenate(([0], ends[:-1] + 1))] == 123).all():
        return lines(), first
    try:
        table = pj.read_json(pa.BufferReader(block), parse_options=_PARSE,
                             read_options=pj.ReadOptions(use_threads=True, block_size=1 << 22))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return lines(), first
    if table.num_rows != count:  # a blank line, skipped by Arrow
        return lines(), first
    table = table.combine_chunks()
    data = table.column("data").chunk(0) if "data" in table.column_names and \
        table.column("data").num_chunks else None
    if data is not None:
        table = table.drop_columns(["data"])
    batch = pa.RecordBatch.from_arrays([c.chunk(0) if c.num_chunks else pa.array([], c.type)
                                        for c in table.columns], names=table.column_names)
    fields = field_block(batch, first)
    starts = np.concatenate(([0], ends[:-1] + 1)).tolist()
    stops = ends.tolist()
    if data is not None and data.null_count < len(data):
        quick = fields.quick
        given = np.flatnonzero(_valid(data) & quick)
        code = np.full(len(quick), -1, np.int32)
        objects: list[Any] = []
        for i in given.tolist():  # (each line alone: no copy of the block's lines)
            try:
                value = orjson.loads(block[starts[i]:stops[i]]).get("data")
            except orjson.JSONDecodeError:
                quick[i] = False
                continue
            if value is None:  # (Arrow read an object, a list … as null: not plain)
                quick[i] = False
                continue
            code[i] = len(objects)
            objects.append(value)
        fields.data_codes = (code, objects)

    def exact_lines(rows: list[int]) -> list[bytes]:
        return [block[starts[i]:stops[i]] for i in rows]

    fields.lines = exact_lines
    return fields


def field_blocks(batches: Iterable[pa.RecordBatch]) -> Iterator[FieldBlock]:
    """Record batches as :class:`~wenze.events.read_columns.FieldBlock`s, rows numbered from 1
    across them."""
    first = 1
    tables: dict[str, tuple[pa.Array, list[Any]]] = {}
    for batch in batches:
        if batch.num_rows:
            yield field_block(batch, first, tables)
        first += batch.num_rows


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def field_block(batch: pa.RecordBatch, first: int,
                tables: dict[str, tuple[pa.Array, list[Any]]] | None = None) -> FieldBlock:
    """One batch's rows split into fields: the rows whose every value is a text (or null) where
    the contract has a text, with nothing outside it, vouched for as quick; their ``data`` texts
    decoded (an object orjson reads); every other row left to its JSON Lines line. ``tables``
    (kept across the batches of a file): a coded column's table of values, given again as the
    same list when the next batch's is equal."""
    n = batch.num_rows
    cols = dict(zip(batch.schema.names, batch.columns, strict=True))
    quick = np.ones(n, bool)
    for name, column in cols.items():
        if name not in EVENT_FIELDS or (name != "data" and not _is_text(column.type)):
            quick &= _null(column)
    texts: dict[str, tuple[np.ndarray, list[Any]]] = {}
    for name in _CODED:
        column = cols.get(name)
        if column is None or not _is_text(column.type):
            texts[name] = (np.full(n, -1, np.int64), [])
            continue
        coded = column if pa.types.is_dictionary(column.type) else column.dictionary_encode()
        seen = None if tables is None else tables.get(name)
        if seen is not None and seen[0].equals(coded.dictionary):
            values = seen[1]  # (the batches of a Parquet row group share its dictionary)
        else:
            values = coded.dictionary.to_pylist()
            if tables is not None:
                tables[name] = (coded.dictionary, values)
        texts[name] = (coded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                       .astype(np.int64), values)
    ids: list[Any] | TextColumn = [None] * n
    ats: Sequence[Any] = [None] * n
    at_bytes = None
    for name in ("id", "case", "at"):
        column = cols.get(name)
        if column is None or not _is_text(column.type):
            quick[:] = False
            continue
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        given = pc.is_valid(column)
        if name != "at":
            given = pc.and_(given, pc.greater(pc.binary_length(column), 0))
        quick &= given.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
        if name == "id":
            ids = _text_column(column)
        elif name == "at":
            at_bytes = _fixed_width(column)
            ats = _Texts(column) if at_bytes is not None else column.to_pylist()
    datas: Sequence[Any] = _Nones(n)
    data_rows = data_codes = None
    data = cols.get("data")
    if data is not None and data.null_count < n:
        if pa.types.is_struct(data.type):
            datas = [None if v is None else {k: x for k, x in v.items() if x is not None}
                     for v in data.to_pylist()]
        elif _is_text(data.type):
            # each distinct text decoded once (rows with the same text share its object)
            coded = data if pa.types.is_dictionary(data.type) else data.dictionary_encode()
            objects: list[Any] = []
            decoded = []
            for text in coded.dictionary.to_pylist():
                try:
                    objects.append(orjson.loads(text))
                    decoded.append(True)
                except orjson.JSONDecodeError:
                    objects.append(None)
                    decoded.append(False)
            objects.append(None)
            index = coded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
            index[~quick] = -1
            readable = np.asarray([*decoded, True], bool)[index]
            quick &= readable  # (a text that is not JSON: the row goes to the exact path)
            index[~readable] = -1
            data_codes = (index, objects)  # (a JSON null: None, no data)
        else:
            quick &= _null(data)

    def lines(rows: list[int]) -> list[bytes]:
        return row_lines(batch.take(pa.array(rows, pa.int64()))).split(b"\n")[:-1]

    if data_codes is None and isinstance(datas, _Nones):
        data_codes = (np.full(n, -1, np.int32), [])
    return FieldBlock(first, quick, ids, texts, ats, datas, lines, at_bytes, data_rows,
                      data_codes)


class _Nones(Sequence[Any]):
    """``n`` times None (no row has data)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        range(self.n)[i]  # (an index out of range raises)
        return None


class _Texts(Sequence[Any]):
    """A string array's values, each read when asked."""

    def __init__(self, column: pa.Array):
        self.column = column

    def __len__(self) -> int:
        return len(self.column)

    def __getitem__(self, i: Any) -> Any:
        return self.column[i].as_py()


def _text_column(column: pa.Array) -> list[Any] | TextColumn:
    """A string array as a :class:`TextColumn` straight from its buffers when its text is ASCII
    (a null reads as ""), else its values as a list."""
    n = len(column)
    if not n or not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column.to_pylist()
    _, offsets_buffer, data_buffer = column.buffers()
    kind = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, kind)[column.offset:column.offset + n + 1]
    lo, hi = int(offsets[0]), int(offsets[-1])
    raw = b"" if data_buffer is None else data_buffer.slice(lo, hi - lo).to_pybytes()
    if not raw.isascii():
        return column.to_pylist()
    shifted = offsets.astype(np.int64) - lo
    return TextColumn(raw.decode("ascii"),
                      shifted.astype(np.int64 if hi - lo >= 2**31 else np.int32))


def _fixed_width(column: pa.Array) -> np.ndarray | None:
    """The UTF-8 bytes of a string array without nulls whose every value has the same byte
    length, as rows of that width (no copy); else None."""
    n = len(column)
    if not n or column.null_count or not (pa.types.is_string(column.type)
                                          or pa.types.is_large_string(column.type)):
        return None
    _, offsets_buffer, data_buffer = column.buffers()
    kind = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, kind)[column.offset:column.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if not width or int(offsets[-1] - offsets[0]) != width * n \
            or not (np.diff(offsets) == width).all() or data_buffer is None:
        return None
    raw = np.frombuffer(data_buffer, np.uint8)[int(offsets[0]):int(offsets[-1])]
    return raw.reshape(n, width)


def _null(column: pa.Array) -> np.ndarray:
    return pc.is_null(column).to_numpy(zero_copy_only=False)


def _valid(column: pa.Array) -> np.ndarray:
    return pc.is_valid(column).to_numpy(zero_copy_only=False)


def _batches(path: Path, kind: str) -> Iterator[pa.RecordBatch]:
    if kind == "parquet":
        schema = pq.read_schema(path)
        coded = [f.name for f in schema if f.name in _CODED and _is_text(f.type)]
        file = pq.ParquetFile(path, read_dictionary=coded)  # (few distinct values each)
        pool = pa.default_memory_pool()
        for batch in file.iter_batches(batch_size=_BATCH_ROWS):
            yield batch
            del batch
            pool.release_unused()
        return
    with path.open("rb") as fh:
        try:
            reader: Any = ipc.open_file(fh)
            batches: Iterable[pa.RecordBatch] = (reader.get_batch(i)
                                                 for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:  # the streaming format
            fh.seek(0)
            batches = ipc.open_stream(fh)
        for batch in batches:
            for start in range(0, batch.num_rows, _BATCH_ROWS):
                yield batch.slice(start, _BATCH_ROWS)


def row_lines(batch: pa.RecordBatch | pa.Table) -> bytes:
    """The JSON Lines of the rows (each ended by ``\\n``): per row one object holding its
    non-null columns, in the columns' order. Strings are written by Arrow's kernels; a column
    of another type, or a ``data`` struct, value by value with :func:`json.dumps`."""
    n = batch.num_rows
    if n == 0:
        return b""
    pieces = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        key = "," + json.dumps(name, ensure_ascii=False) + ":"
        pieces.append(pc.fill_null(_fragments(key, column, name == "data"), _EMPTY))
    body = pc.binary_join_element_wise(*pieces, _EMPTY) if pieces else \
        pa.array([""] * n, pa.large_string())
    body = pc.utf8_slice_codeunits(body, 1)  # (the first fragment's comma)
    lines = pc.binary_join_element_wise(_large("{"), body, _large("}\n"), _EMPTY)
    rows = pa.LargeListArray.from_arrays(pa.array([0, n], pa.int64()),
                                         lines.cast(pa.large_binary()))
    return pc.binary_join(rows, pa.scalar(b"", pa.large_binary()))[0].as_buffer().to_pybytes()


def _fragments(key: str, column: pa.Array, is_data: bool) -> pa.Array:
    """``"key":value`` of each row (null where the column is null)."""
    kind = column.type
    if pa.types.is_dictionary(kind) and (pa.types.is_string(kind.value_type)
                                         or pa.types.is_large_string(kind.value_type)):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        if is_data:
            values = pa.array([_data_text(v) for v in column.to_pylist()], pa.large_string())
        else:
            values = _quoted(column)
    elif pa.types.is_null(kind):
        return pa.nulls(len(column), pa.large_string())
    else:
        values = pa.array([None if v is None else _json_value(v, is_data)
                           for v in column.to_pylist()], pa.large_string())
    return pc.binary_join_element_wise(_large(key), values.cast(pa.large_string()), _EMPTY)


def _quoted(column: pa.Array) -> pa.Array:
    """Strings as JSON string literals (``\\``, ``"`` and control characters escaped)."""
    text = pc.replace_substring(column, "\\", "\\\\")
    text = pc.replace_substring(text, '"', '\\"')
    if pc.any(pc.match_substring_regex(column, _CONTROL)).as_py():
        for code in range(32):
            text = pc.replace_substring(text, chr(code), json.dumps(chr(code))[1:-1])
    return pc.binary_join_element_wise(_QUOTE, text.cast(pa.large_string()), _QUOTE, _EMPTY)


def _data_text(text: str | None) -> str | None:
    """A ``data`` column's JSON text as written in the line: the text itself when it is one
    JSON value (its line ends, whitespace outside strings, made spaces), else the text as a
    string (a ``data`` that is not an object, rejected as such)."""
    if text is None:
        return None
    try:
        orjson.loads(text)  # (orjson reads only JSON that json reads too)
    except orjson.JSONDecodeError:
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return json.dumps(text, ensure_ascii=False)
    return text.replace("\r", " ").replace("\n", " ")


def _json_value(value: Any, is_data: bool) -> str:
    """A value of a column that is not text, as JSON (a struct's null fields left out, a time
    as its ISO text, bytes as text)."""
    if is_data and isinstance(value, dict):
        value = {k: v for k, v in value.items() if v is not None}
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):  # a map column's items
        return dict(value)
    return str(value)


# --------------------------------------------------------------------------- writing


def events_table(events: Sequence[Event] | Iterable[Event]) -> pa.Table:
    """Events as a table of :data:`EVENT_SCHEMA` (``data`` as its JSON text, null when empty;
    ``at`` as ``Event.to_json`` writes it)."""
    cols: dict[str, list[Any]] = {name: [] for name in EVENT_FIELDS}
    for ev in events:
        row = ev.to_json()
        for name in EVENT_FIELDS:
            value = row.get(name)
            if name == "data" and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            cols[name].append(value)
    return pa.table({name: pa.array(v, pa.string()) for name, v in cols.items()},
                    schema=EVENT_SCHEMA)


def write_events(events: Sequence[Event], path: str | Path, fmt: str | None = None) -> int:
    """Write events as Parquet (or Arrow IPC, by ``fmt`` or the extension), in batches; the
    number written."""
    path = Path(path)
    kind = fmt or arrow_format(path) or "parquet"
    n = len(events)
    writer: Any = (pq.ParquetWriter(path, EVENT_SCHEMA, compression="zstd")
                   if kind == "parquet" else ipc.new_file(path, EVENT_SCHEMA))
    try:
        for start in range(0, n, 1 << 18):
            table = events_table(events[start:start + (1 << 18)])
            writer.write_table(table) if kind == "parquet" else writer.write(table)
        if not n and kind == "parquet":
            writer.write_table(EVENT_SCHEMA.empty_table())
    finally:
        writer.close()
    return n


def read_any(path: str | Path, mapping: Any = None, strict: bool = False) -> Any:
    """An events file of any format, read as ``wenze evaluate`` reads it: Parquet and Arrow IPC
    (:func:`read_arrow`) and JSON Lines without a mapping (:func:`read_jsonl_arrow`) straight
    into columns (the batch has ``columns``), anything else by ``read_events``."""
    from wenze.events.readers import read_events

    if arrow_format(path):
        return read_arrow(path, strict=strict)
    if mapping is None and Path(path).suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return read_jsonl_arrow(path, strict=strict)
    return read_events(path, mapping=mapping, strict=strict)
