"""Events files for the commands that read them (``evaluate``, ``convert``): the ``--mapping``
option, a file of any format read as ``wenze evaluate`` reads it, several files read as one."""

from __future__ import annotations

from typing import Any


def mapping_named(name: str | None) -> Any:
    """The ``--mapping`` option's mapping: a built-in one by name, else the name (a TOML/JSON
    mapping file), None without one."""
    if not name:
        return None
    from wenze.events import readers as E

    table = {k.lower(): v for k, v in vars(E).items() if k.endswith("_MAPPING")}
    found = table.get(f"{name.lower()}_mapping")
    return found if found is not None else name  # else a TOML/JSON mapping file


def read_any(path: str, mapping: Any = None, strict: bool = False) -> Any:
    """An events file of any format read as ``wenze evaluate`` reads it: a batch with
    ``events``, ``rejected`` and ``duplicates`` (and ``columns`` for the columnar readers)."""
    from wenze.events.arrow import read_any as read

    return read(path, mapping, strict)


def read_files(paths: list[str], mapping: Any = None, strict: bool = False) -> Any:
    """Several events files read as one input (``wenze evaluate … 'events/*.parquet'``): their
    events, rejections and duplicates — an id read in an earlier file kept, as within a file
    (the same content: an identical duplicate; other content: ``conflicting_duplicate``)."""
    from types import SimpleNamespace

    from wenze.events.model import Collector

    events: list[Any] = []
    rejected: list[Any] = []
    duplicates = 0
    for path in paths:
        batch = read_any(path, mapping, strict)
        events += batch.events
        rejected += batch.rejected
        duplicates += batch.duplicates
    if len(paths) > 1 and len({ev.id for ev in events}) < len(events):
        collector = Collector(strict)
        for ev in events:
            collector.add(ev)
        kept = {id(ev) for ev in collector.by_id.values()}
        events = [ev for ev in events if id(ev) in kept]
        rejected += collector.rejected
        duplicates += collector.duplicates
    return SimpleNamespace(events=events, rejected=rejected, duplicates=duplicates)
