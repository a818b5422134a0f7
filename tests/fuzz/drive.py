"""The long fuzz run's plain-loop driver (issue 15): a seeded mutation engine, one input at a time,
for the cheap targets whose inputs hypothesis's per-example overhead would dominate.

    nice -n 10 python -m tests.fuzz.drive --seconds 3600 --log /tmp/wenze-fuzz.log \\
        --crashes /tmp/wenze-fuzz-crashes [--target line --target event_line …] [--seed 1]

Each target has a generator (``random.Random`` → one input) and a check; the driver runs them in
turn (round-robin weighted by ``WEIGHTS``) until the time or ``--max-inputs`` is up and prints
one JSON line of figures per target: inputs tried, checks run, tracebacks, hangs (a check over
``--hang`` seconds, 1 s by default, and over it again when run a second time — a check slow only
once waited for a core of the shared machine and is counted as ``slow_once``; one still running
after ``--abort`` seconds is stopped by an alarm and counted as a hang too), disagreements (a
failed assertion of the check). Every failing input is written to ``--crashes`` with its
traceback, to become a regression case.

The event-line and CSV-row targets check 20 generated lines (rows) per file: each is an input
(the readers judge line by line; both readers must agree on every line), and a file over the
hang bound counts as a hang, so the bound per line is stricter than 1 s.

The same generators and checks run a few hundred derandomised inputs in the normal test run
(``tests/fuzz/test_drive.py``).

Targets:

- ``line``: one line of a shipped rulebook, mutated, parsed alone as a whole rulebook (the lexer,
  the parser's error path and recovery, the diagnostics rendered in zh and en, as JSON).
- ``fragment``: a shipped rulebook's header (without ``继承``) and ONE of its declarations, with
  1–3 token mutations, through load/check/render and — when it parses — the formatter's round
  trip (``parse(fmt(x)) == parse(x)``, ``fmt`` stable).
- ``event_line``: real event lines with bytes or fields mutated, read by ``read_events`` and by
  the fast ``read_columns``: the two must agree on every rejection (line, code, id), every event
  read (all its fields) and the duplicates.
- ``csv_row``: CSV rows under the XES-standard header, mutated, read by ``read_events``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((ROOT / "rules").glob("*.wz"))
SOURCES = [p.read_text(encoding="utf-8") for p in RULE_FILES]
GOOD_EVENTS = (ROOT / "examples" / "caseload.jsonl").read_bytes().splitlines()

_TOKEN = re.compile(r'\s+|「[^」\n]*」|"(?:[^"\\\n]|\\.)*"|[A-Za-z_0-9.%-]+|.', re.S)
# pieces a hostile or careless author types: brackets, quotes of three kinds, the condition
# words, control characters, huge numbers, impossible dates, surrogate neighbours, full-width
# braces, a BOM, a confined-include escape
PIECES = ["(", ")", "（", "）", "非 ", " 且 ", " 或 ", "「", "」", '"', "“", "”", "\\", "\x00",
          "\n", "\r", "\t", "{", "}", "｛", "｝", "覆盖", "继承 \"../x.wz\"",
          "继承 \"/etc/passwd\"", "9" * 30, "-1", "0", "2024-02-30", "0001-01-01", "\ud7ff",
          "\ufeff", "「a」", "# c\n", "// c\n", "天", "工作日", "%", "100%", "1.5", "条件", "则",
          "否则", "\u202e", "𠀀", "事项", "环节", "岗位", "时限", "违规", "处理"]
# bytes of hostile event lines
HOSTILE = [b"\xff", b"\xed\xa0\x80", b"\xc3", b"\\ud800", b"\\udc00", b"\\u0000", b"0001-01-01",
           b"9999-12-31", b"1899-12-31", b"2200-12-31", b"2201-01-01", b"[" * 40, b"{\"a\":" * 40,
           b"\x00", b"\r", b"\"", b",", b"}", b"{", b"]", b"NaN", b"Infinity", b"1e999", b"-0",
           b"2024-02-30", b"24:00:00", b"T", b"Z", b"+14:00", b"-12:00", b"+08:60", b".123456789",
           b"null", b"true", b"[]", b"{}", b"\\\"", b"\xef\xbb\xbf", b" ", b"\t", b"\xe2\x80\xa8"]
FIELDS = ["id", "case", "type", "at", "item", "actor", "post", "step", "data", "unit"]


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, 2**63, 10**30, -(10**30)])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, 1e-308, float("inf"), float("nan")])
    if kind in (4, 5):
        return rng.choice(["", "a", "收件", "2024-03-01T10:00:00+08:00", "2024-03-01",
                           "0001-01-01T00:00:00Z", "\ud800", "\x00", "x" * rng.choice([1, 300]),
                           "2024-03-01T10:00:00", "received", "decided", "综合受理窗口"])
    if kind == 6:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["outcome", "to_unit", "note", "a", "", "days"]): _json_value(rng, depth + 1)
            for _ in range(rng.randrange(4))}


def mutate_tokens(rng: random.Random, text: str, times: int) -> str:
    tokens = _TOKEN.findall(text)
    for _ in range(times):
        if not tokens:
            break
        i = rng.randrange(len(tokens))
        action = rng.randrange(6)
        if action == 0:
            del tokens[i]
        elif action == 1:
            tokens[i] = tokens[i] * rng.choice([2, 3, 60])
        elif action == 2:
            tokens[i] = rng.choice(PIECES)
        elif action == 3:
            tokens.insert(i, rng.choice(PIECES) * rng.choice([1, 1, 2, 50]))
        elif action == 4:  # a token moved elsewhere
            tokens.insert(rng.randrange(len(tokens)), tokens.pop(i))
        else:  # one character of a token changed
            t = tokens[i]
            j = rng.randrange(len(t)) if t else 0
            tokens[i] = t[:j] + chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x4e00,
                                                                                     0x9fff),
                                                rng.randrange(0, 32)])) + t[j + 1:]
    return "".join(tokens)


def mutate_bytes(rng: random.Random, line: bytes, times: int) -> bytes:
    for _ in range(times):
        j = rng.randrange(len(line) + 1)
        kind = rng.randrange(5)
        if kind == 0:
            line = line[:j] + rng.choice(HOSTILE) + line[j + 1:]
        elif kind == 1:
            line = line[:j] + rng.choice(HOSTILE) + line[j:]
        elif kind == 2:
            line = line[:j] + line[j + rng.randrange(1, 12):]
        elif kind == 3:
            line = line[:j] + bytes([rng.randrange(256)]) + line[j + 1:]
        else:
            line = line.replace(b"2024", rng.choice([b"0001", b"1899", b"1900", b"2200", b"2201",
                                                     b"9999", b"2024"]), 1)
    return line


# --------------------------------------------------------------------------- rulebook targets

_LINES = [line for src in SOURCES for line in src.splitlines()
          if line.strip() and not line.lstrip().startswith("#")]


def _chunks(text: str) -> list[str]:
    """The top-level ``{ … }`` declarations of a rulebook, found by brace depth (strings and
    comments skipped), each with the comment lines before it."""
    out, depth, start, i, n = [], 0, 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch in "\"「":
            close = "\"" if ch == "\"" else "」"
            j = i + 1
            while j < n and text[j] not in (close, "\n"):
                j += 2 if ch == "\"" and text[j] == "\\" else 1
            i = j + 1
            continue
        if ch == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                out.append(text[start:i + 1])
                start = i + 1
        i += 1
    return out


_HEADERS: list[str] = []
_DECLS: list[str] = []
for _src in SOURCES:
    _parts = _chunks(_src)
    if len(_parts) > 1:
        _HEADERS.append("\n".join(line for line in _parts[0].splitlines()
                                  if not line.strip().startswith(("继承", "extends"))))
        _DECLS.extend(_parts[1:])


def gen_line(rng: random.Random) -> str:
    return mutate_tokens(rng, rng.choice(_LINES), rng.randrange(0, 4))


def check_line(text: str) -> None:
    from wenze.dsl.parser import parse
    from wenze.dsl.render import render, to_json

    result = parse(text, "fuzz.wz")
    sources = {"fuzz.wz": text}
    render(list(result.diagnostics), sources, "zh")
    render(list(result.diagnostics), sources, "en")
    json.dumps(to_json(list(result.diagnostics), sources), ensure_ascii=False)


def gen_fragment(rng: random.Random) -> str:
    header = rng.choice(_HEADERS)
    decl = rng.choice(_DECLS)
    return mutate_tokens(rng, header + "\n" + decl + "\n", rng.randrange(0, 4))


def check_fragment(text: str) -> None:
    from tests.fuzz.harness import check_rulebook

    check_rulebook(text)


# --------------------------------------------------------------------------- event targets


def gen_event_line(rng: random.Random) -> bytes:
    line = rng.choice(GOOD_EVENTS)
    if rng.randrange(3) == 0:
        obj = json.loads(line)
        for _ in range(rng.randrange(1, 3)):
            key = rng.choice(FIELDS)
            if rng.randrange(4) == 0:
                obj.pop(key, None)
            else:
                obj[key] = _json_value(rng)
        try:
            line = json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode("utf-8",
                                                                          "surrogatepass")
        except ValueError:  # nan/inf with allow_nan … always allowed; kept for safety
            pass
    if rng.randrange(3):
        line = mutate_bytes(rng, line, rng.randrange(1, 4))
    return line


def _event_fields(ev: Any) -> tuple[Any, ...]:
    return (ev.id, ev.case, ev.type, ev.at, ev.item, ev.actor, ev.post, ev.step,
            json.dumps(ev.data, sort_keys=True, ensure_ascii=False, default=str), ev.line)


def check_event_line(lines: bytes | list[bytes], folder: Path) -> None:
    """One event line — or several, one file — read by both readers: the same rejections (line,
    code, id) and the same events, field by field."""
    from wenze.events.read_columns import read_columns
    from wenze.events.readers import read_events

    if isinstance(lines, bytes):
        lines = [lines]
    path = folder / "fuzz.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    exact = read_events(path)
    fast = read_columns(path)
    assert [(r.line, r.code, r.event_id) for r in fast.rejected] == [
        (r.line, r.code, r.event_id) for r in exact.rejected], "the readers disagree on rejections"
    assert [_event_fields(e) for e in fast.events] == [_event_fields(e) for e in exact.events], \
        "the readers disagree on the events"
    assert fast.duplicates == exact.duplicates, "the readers disagree on duplicates"
    for r in exact.rejected:
        (r.message + (r.event_id or "")).encode("utf-8")  # printable


_CSV_HEAD = b"case:concept:name,time:timestamp,concept:name,org:resource\n"
_CSV_ROW = ["K1", "2024-03-01 10:00:00+08:00", "收件", "王芳"]


def gen_csv_row(rng: random.Random) -> bytes:
    cells = [c.encode() for c in _CSV_ROW]
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(cells))
        cells[i] = mutate_bytes(rng, cells[i], 1) if rng.randrange(2) else rng.choice(
            [*HOSTILE, b'"', b'""', b'"a""b"', b"\n", b"\r\n", b"", b"x" * 1000])
    if rng.randrange(4) == 0:
        cells = cells[:rng.randrange(len(cells))] if rng.randrange(2) else [*cells, b"extra"]
    return b",".join(cells) + b"\n"


def check_csv_row(rows: bytes | list[bytes], folder: Path) -> None:
    """One CSV row — or several, one file — under the XES-standard header: read, every
    rejection printable."""
    from wenze.events.readers import read_events

    if isinstance(rows, bytes):
        rows = [rows]
    path = folder / "fuzz.csv"
    path.write_bytes(_CSV_HEAD + b"".join(rows))
    batch = read_events(path)
    for r in batch.rejected:
        (r.message + (r.event_id or "")).encode("utf-8")


# --------------------------------------------------------------------------- the driver


@dataclass
class Target:
    name: str
    generate: Callable[[random.Random], Any]
    check: Callable[..., None]
    needs_folder: bool = False
    per_check: int = 1  # inputs given to one check (lines of one file): a file costs the same
    #                     set-up (open, the columnar reader's arrays) for one line or twenty


TARGETS = {t.name: t for t in (
    Target("line", gen_line, check_line),
    Target("fragment", gen_fragment, check_fragment),
    Target("event_line", gen_event_line, check_event_line, needs_folder=True, per_check=20),
    Target("csv_row", gen_csv_row, check_csv_row, needs_folder=True, per_check=20),
)}
# inputs of each target per round: the cheap ones more often
WEIGHTS = {"line": 6, "fragment": 3, "event_line": 1, "csv_row": 1}


@dataclass
class Figures:
    inputs: int = 0
    checks: int = 0  # calls of the check (files, for the targets reading several lines)
    slow_once: int = 0  # checks over the hang bound once, and not when run again
    tracebacks: int = 0
    hangs: int = 0
    disagreements: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)


class Hang(Exception):
    """An input still running after the abort bound (raised by the alarm)."""


def run_one(target: Target, value: Any, folder: Path) -> tuple[str | None, str]:
    """Check one input: ``(None, "")`` or ``(kind, traceback)`` with kind ``traceback``,
    ``disagreement`` or ``hang``."""
    try:
        if target.needs_folder:
            target.check(value, folder)
        else:
            target.check(value)
    except Hang:
        return "hang", traceback.format_exc()
    except AssertionError:
        return "disagreement", traceback.format_exc()
    except Exception:
        return "traceback", traceback.format_exc()
    return None, ""


def _save(crashes: Path, target: str, index: int, kind: str, value: Any, tb: str) -> str:
    crashes.mkdir(parents=True, exist_ok=True)
    stem = crashes / f"{target}-{index}-{kind}"
    if isinstance(value, list):  # lines of one file
        value = b"".join(v + (b"" if v.endswith(b"\n") else b"\n") for v in value)
    data = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    stem.with_suffix(".input").write_bytes(data)
    stem.with_suffix(".txt").write_text(tb, encoding="utf-8")
    return str(stem)


def drive(targets: list[str], seconds: float, seed: int, hang: float, abort: float,
          crashes: Path | None, log: Any = None, max_inputs: int | None = None
          ) -> dict[str, Figures]:
    rng = random.Random(seed)
    figures = {name: Figures() for name in targets}
    order = [name for name in targets for _ in range(WEIGHTS.get(name, 1))]

    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {abort} s")

    can_alarm = hasattr(signal, "SIGALRM")
    if can_alarm:
        signal.signal(signal.SIGALRM, alarm)
    total = 0
    with tempfile.TemporaryDirectory(prefix="wenze-fuzz-") as tmp:
        folder = Path(tmp)
        # warm-up, not counted: the first check of a target imports its modules and builds the
        # grammar's parser (seconds), which would count as a hang
        warm = random.Random(0)
        for name in targets:
            target = TARGETS[name]
            value = target.generate(warm)
            run_one(target, value if target.per_check == 1 else [value], folder)
        start = time.monotonic()
        last_report = start
        while time.monotonic() - start < seconds and (max_inputs is None or total < max_inputs):
            for name in order:
                target = TARGETS[name]
                if target.per_check == 1:
                    value = target.generate(rng)
                else:
                    value = [target.generate(rng) for _ in range(target.per_check)]
                fig = figures[name]
                t0 = time.perf_counter()
                if can_alarm:
                    signal.setitimer(signal.ITIMER_REAL, abort)
                try:
                    kind, tb = run_one(target, value, folder)
                finally:
                    if can_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                took = time.perf_counter() - t0
                fig.inputs += target.per_check
                fig.checks += 1
                total += target.per_check
                fig.seconds += took
                fig.slowest = max(fig.slowest, took)
                if kind is None and took > hang:
                    # on a shared machine a check can wait for a core: a hang is slow twice
                    fig.slow_once += 1
                    t0 = time.perf_counter()
                    run_one(target, value, folder)
                    again = time.perf_counter() - t0
                    if again > hang:
                        kind, tb = "hang", f"took {took:.2f} s, then {again:.2f} s (> {hang} s)"
                if kind is not None:
                    setattr(fig, kind + "s", getattr(fig, kind + "s") + 1)
                    where = (_save(crashes, name, fig.checks, kind, value, tb)
                             if crashes else tb)
                    fig.failures.append(where)
                    if log:
                        print(json.dumps({"failure": name, "kind": kind, "at": where}),
                              file=log, flush=True)
            if log and time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                print(json.dumps({"elapsed": round(last_report - start),
                                  **{n: f.inputs for n, f in figures.items()}}),
                      file=log, flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-inputs", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hang", type=float, default=1.0)
    parser.add_argument("--abort", type=float, default=30.0)
    parser.add_argument("--crashes", type=Path)
    parser.add_argument("--log", type=Path)
    args = parser.parse_args(argv)
    targets = args.target or list(TARGETS)
    log = args.log.open("a", encoding="utf-8") if args.log else sys.stderr
    started = time.time()
    print(json.dumps({"start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                      "seed": args.seed, "targets": targets, "seconds": args.seconds,
                      "load": os.getloadavg()}), file=log, flush=True)
    figures = drive(targets, args.seconds, args.seed, args.hang, args.abort, args.crashes, log,
                    args.max_inputs)
    wall = time.time() - started
    for name, f in figures.items():
        print(json.dumps({"target": name, "inputs": f.inputs, "checks": f.checks,
                          "tracebacks": f.tracebacks,
                          "hangs": f.hangs, "slow_once": f.slow_once,
                          "disagreements": f.disagreements,
                          "cpu_seconds_in_checks": round(f.seconds, 1),
                          "slowest_s": round(f.slowest, 3)}), file=log, flush=True)
    print(json.dumps({"wall_s": round(wall), "cpu_s": round(time.process_time()),
                      "inputs": sum(f.inputs for f in figures.values()),
                      "load_at_end": os.getloadavg()}), file=log, flush=True)
    failed = sum(f.tracebacks + f.hangs + f.disagreements for f in figures.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
