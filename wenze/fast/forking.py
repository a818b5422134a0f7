"""``fork_map``: a function over a few arguments, each but the last in a forked child process.

The columnar fast path screens slices of a large caseload on every CPU this way
(:func:`wenze.fast.slices.screen_parallel`). A child inherits what the parent holds (the
event columns are shared, never copied or pickled) and sends back its result: the small part
pickled through a pipe, the array buffers (pickle protocol 5, out of band) written to a shared
memory file that the parent maps — so the parent reads a child's arrays without copying or
unpickling them. A child's error is raised in the parent.
"""

from __future__ import annotations

import mmap
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CHILDREN_PEAK_KB", "fork_map"]

# the peak memory each child of the last fork_map added to what it shared with this process
# (VmHWM at its end − VmRSS at its start, in kB; its result's buffers included)
CHILDREN_PEAK_KB: list[int] = []

_ALIGN = 64  # each buffer starts on a cache line (numpy arrays stay aligned)


def fork_map(fn: Callable[[Any], Any], args: Sequence[Any]) -> list[Any]:
    """``[fn(a) for a in args]``, each but the last in a forked child, the last in this process
    meanwhile."""
    children: list[tuple[int, int, int]] = []
    for a in args[:-1]:
        shared = _shared_file()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(fn, a, write, shared)
        os.close(write)
        children.append((pid, read, shared))
    try:
        last = fn(args[-1])
    except BaseException:
        for pid, read, shared in children:
            os.close(read)
            os.close(shared)
            os.waitpid(pid, 0)
        raise
    results = []
    CHILDREN_PEAK_KB.clear()
    failure = None
    for pid, read, shared in children:
        try:
            with os.fdopen(read, "rb") as inp:
                try:
                    status, head, spans, grown = pickle.load(inp)
                except EOFError:
                    status, head, spans, grown = "error", "the child sent nothing", [], 0
            os.waitpid(pid, 0)
            CHILDREN_PEAK_KB.append(grown)
            if status != "ok":
                failure = failure or head
                continue
            results.append(pickle.loads(head, buffers=_mapped(shared, spans)))
        finally:
            os.close(shared)
    if failure is not None:
        raise RuntimeError(f"a forked child process failed: {failure}")
    return [*results, last]


def _shared_file() -> int:
    """A file in memory that a child fills and the parent maps (anonymous on Linux)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("wenze-fork-map", os.MFD_CLOEXEC)
    fh = tempfile.TemporaryFile()
    fd = os.dup(fh.fileno())
    fh.close()
    return fd


def _child(fn: Callable[[Any], Any], a: Any, write: int, shared: int) -> None:
    code = 0
    try:
        try:  # the peak from now on
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")
        except OSError:
            pass
        base = _status_kb("VmRSS")
        try:
            buffers: list[pickle.PickleBuffer] = []
            head = pickle.dumps(fn(a), 5, buffer_callback=buffers.append)
            spans = _write_buffers(shared, buffers)
            message: tuple[Any, ...] = ("ok", head, spans)
        except BaseException as err:  # sent to the parent, raised there
            message = ("error", f"{type(err).__name__}: {err}", [])
            code = 1
        grown = _status_kb("VmHWM") - base
        with os.fdopen(write, "wb") as out:
            pickle.dump((*message, grown), out, pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(code)


def _write_buffers(fd: int, buffers: list[pickle.PickleBuffer]) -> list[tuple[int, int]]:
    """The buffers written to the file ``fd``, each at an aligned offset: their (offset, size).
    (Writing is about twice as fast as filling a fresh mapping, page fault by page fault.)"""
    spans, end = [], 0
    for buffer in buffers:
        raw = buffer.raw()
        spans.append((end, raw.nbytes))
        done = 0
        while done < raw.nbytes:
            done += os.pwrite(fd, raw[done:], end + done)
        end += -(-raw.nbytes // _ALIGN) * _ALIGN
    return spans


def _mapped(fd: int, spans: list[tuple[int, int]]) -> list[memoryview]:
    """The buffers a child wrote to ``fd``, as views of one mapping (kept alive by the arrays
    made on them; the file is gone when the last of them is)."""
    if not spans:
        return []
    view = memoryview(mmap.mmap(fd, os.fstat(fd).st_size))
    return [view[offset:offset + size] for offset, size in spans]


def _status_kb(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
