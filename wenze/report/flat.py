"""Decisions written from a :class:`~wenze.fast.ladder.DecisionTable`'s columns, no
:class:`~wenze.engine.decisions.Decision` made: the flat Parquet row
(:func:`wenze.report.parquet.decision_row`) and the JSON Lines line
(:func:`wenze.report.stream.decision_line`) of each decision, the same values and texts.

A decision's fields come from its offence's columns, read by code: each distinct violation's
name, scope, condition and basis text, each role's labels and each date's ISO text written once;
the party missing once per (role, scope, post, unit); the facts', dates' and ladder's JSON
texts per decision (by orjson where it writes ``json``'s very text, as the per-decision writer
does). A line is the compact JSON of the ``to_json()`` dict, keys sorted: the ``"key":value``
pieces written in that order — the texts of the flat row, the scalars written as JSON. The joint
decisions of a ladder (few) are made and written through ``to_json()``.
``tests/report/test_flat.py`` holds both to the per-decision writer, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from wenze.engine.decisions import (
    DEGREE_LABELS,
    json_value,
    party_label,
    party_missing,
    role_label,
)
from wenze.fast.ladder import DecisionColumns

__all__ = ["FLAT_FIELDS", "Coded", "acyclic", "arrow_table", "compact", "flat_columns", "joined",
           "json_lines", "plain_floats"]

_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_SORTED = orjson.OPT_SORT_KEYS


def compact(value: Any, exact: bool = True) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``, the
    same text, by orjson (several times faster) when ``exact`` — the caller's word that no float
    in ``value`` is written otherwise by orjson (see :func:`plain_floats`) — and orjson can
    write it (else by ``json``)."""
    if exact:
        try:
            return orjson.dumps(value, option=_SORTED).decode()
        except TypeError:  # a key that is not a text, an integer past 64 bits …
            pass
    return _dumps(value)


def plain_floats(values: Any) -> bool:
    """Whether every float among ``values`` (a JSON object's values, lists within) is written
    alike by ``json`` and orjson: finite, and 0 or at least 10⁻⁴ in size (``json`` writes
    smaller ones as ``1e-05``, orjson as ``0.00001``)."""
    for v in values:
        t = type(v)
        if t is float:
            if not (v == 0 or 1e-4 <= abs(v) < math.inf):
                return False
        elif (t is list and not plain_floats(v)) or (t is dict and not plain_floats(v.values())):
            return False
    return True

# the columns of the flat schema (DECISION_SCHEMA's order)
FLAT_FIELDS = (
    "key", "case", "item", "violation", "scope", "subject", "person", "post", "unit", "role",
    "role_label", "party", "degree", "party_missing", "sanction", "ladder_name", "ladder_step",
    "ladder_count_in_window", "ladder_window", "ladder_exempt_by", "ladder_joint",
    "ladder_reasons", "ladder_adjustments", "ladder_consequences", "basis", "condition",
    "facts", "dates", "established", "as_of", "version")


@dataclass(frozen=True)
class Coded:
    """A column by code: row *i* is ``texts[codes[i]]``, ``None`` where the code is -1 (a few
    distinct texts: each written once, as Arrow's and as JSON)."""

    codes: np.ndarray
    texts: list[str]

    def values(self) -> list[str | None]:
        table = [*self.texts, None]
        return [table[c] for c in self.codes.tolist()]

    def arrow(self) -> pa.Array:
        return pa.array(self.texts, pa.string()).take(
            pa.array(self.codes, pa.int32(), mask=self.codes < 0))

    def json_texts(self) -> list[str]:
        """Per row the JSON of its value (``null`` for None)."""
        table = [*map(compact, self.texts), "null"]
        return [table[c] for c in self.codes.tolist()]

    @classmethod
    def of(cls, codes: np.ndarray, texts: Sequence[str]) -> Coded:
        """From codes into ``texts`` (-1: None): only the texts used kept."""
        used, local = np.unique(codes, return_inverse=True)
        local = local.reshape(-1).astype(np.int32)
        if len(used) and used[0] < 0:
            local -= 1  # (-1 sorts first)
            used = used[1:]
        return cls(local, [texts[c] for c in used.tolist()])


Column = list[Any] | Coded


def joined(parts: Sequence[dict[str, Column]]) -> dict[str, Column]:
    """Flat columns of consecutive batches as the columns of all their rows."""
    if len(parts) == 1:
        return parts[0]
    out: dict[str, Column] = {}
    for name in FLAT_FIELDS:
        columns = [p[name] for p in parts]
        if all(isinstance(c, Coded) for c in columns):
            codes, texts = [], []
            for c in columns:  # type: Coded
                codes.append(np.where(c.codes < 0, -1, c.codes + len(texts)).astype(np.int32))
                texts += c.texts
            out[name] = Coded(np.concatenate(codes), texts)
        else:
            out[name] = [v for c in columns for v in _listed(c)]
    return out


def acyclic(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run with the cyclic garbage collector paused: writing makes many objects and no
    cycle (a collection would walk them, and the whole heap, for nothing)."""
    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return fn(*args)
        finally:
            if collecting:
                gc.enable()
    return run


@acyclic
def flat_columns(cols: DecisionColumns,
                 joint_row: Callable[[Any], dict[str, Any]]) -> dict[str, Column]:
    """The decisions of ``cols`` as the flat schema's columns (:data:`FLAT_FIELDS`), each a list
    of its values in order or :class:`Coded`; ``joint_row(decision)``: the flat row of a (joint)
    decision made."""
    out = _own_columns(cols)
    if not cols.joint:
        return out
    rows = [(p, joint_row(d)) for p, d in cols.joint]
    return {name: _placed(cols, _listed(out[name]), [(p, row.get(name)) for p, row in rows])
            for name in FLAT_FIELDS}


def arrow_table(columns: dict[str, Column], schema: pa.Schema) -> pa.Table:
    """The flat columns as an Arrow table of ``schema``."""
    return pa.Table.from_arrays(
        [c.arrow() if isinstance(c, Coded) else pa.array(c, f.type)
         for f, c in zip(schema, (columns[f.name] for f in schema), strict=True)],
        schema=schema)


def _listed(column: Column) -> list[Any]:
    return column.values() if isinstance(column, Coded) else column


def _placed(cols: DecisionColumns, own: list[Any], joint: list[tuple[int, Any]]) -> list[Any]:
    """The values of the rows (``own``) and of the joint decisions, each in its place."""
    if cols.places is None:
        return own
    column: list[Any] = [None] * len(cols)
    for p, v in zip(cols.places.tolist(), own, strict=True):
        column[p] = v
    for p, v in joint:
        column[p] = v
    return column


def _own_columns(cols: DecisionColumns) -> dict[str, Column]:
    """The flat columns of the rows of ``cols`` (not its joint decisions)."""
    n = len(cols.keys)
    out: dict[str, Column] = {"key": cols.keys}
    for name in ("case", "item", "subject", "person", "post", "unit"):
        s = getattr(cols, name)
        out[name] = Coded.of(s.codes, s.names)
    facts = [{k: json_value(v) for k, v in fs} for fs in cols.facts]
    exact = [plain_floats(f.values()) for f in facts]  # (the only floats a decision holds)
    out["facts"] = [compact(f, ok) for f, ok in zip(facts, exact, strict=True)]
    out["dates"] = _dates(cols.dates, exact)

    violations = cols.violations
    vcodes = cols.violation.astype(np.int64)
    out["violation"] = Coded.of(vcodes, [v.name for v in violations])
    out["scope"] = scope = Coded.of(vcodes, [v.scope.value for v in violations])
    out["condition"] = Coded.of(vcodes, [v.source for v in violations])
    inexact = np.fromiter((not ok for ok in exact), bool, n)
    out["basis"] = Coded.of(vcodes * 2 + inexact, [
        compact([b.to_json() for b in v.basis], ok) for v in violations for ok in (True, False)])

    rcodes = cols.role.astype(np.int64)
    labels = [_role_texts(r) for r in cols.roles]
    for i, name in enumerate(("role", "role_label", "party", "degree")):
        out[name] = Coded.of(rcodes, [t[i] for t in labels])
    out["party_missing"] = _missing(cols, rcodes.tolist(), scope.values(), out["person"])

    out["sanction"] = cols.sanctions
    _ladder(cols, out)
    days, at = np.unique(cols.established, return_inverse=True)
    out["established"] = Coded(at.reshape(-1).astype(np.int32),
                               [dt.date.fromordinal(d).isoformat() for d in days.tolist()])
    out["as_of"] = Coded(np.zeros(n, np.int32), [cols.as_of.isoformat()])
    out["version"] = Coded(np.full(n, -1, np.int32), [])
    return out
def _dates(dates: list[tuple[tuple[str, dt.date | None], ...]], exact: list[bool]) -> list[str]:
    """Each decision's dates as JSON text (the decisions of one case share their dates' tuple:
    written once for them)."""
    texts: dict[tuple[int, bool], str] = {}
    out = []
    date = dt.date
    for ds, ok in zip(dates, exact, strict=True):
        text = texts.get((id(ds), ok))
        if text is None:
            text = None
            if ok and all(v is None or type(v) is date for _, v in ds):
                try:  # orjson writes a date as its ISO text
                    text = orjson.dumps(dict(ds), option=_SORTED).decode()
                except TypeError:
                    pass
            if text is None:
                text = compact({k: json_value(v) for k, v in ds}, ok)
            texts[(id(ds), ok)] = text
        out.append(text)
    return out


def _role_texts(role: Any) -> tuple[str, str, str, str]:
    """(the role's value, its label's, party's and degree's JSON texts)."""
    zh, en = role_label(role)
    pzh, pen = party_label(role)
    dzh, den = DEGREE_LABELS[role.degree]
    leader = role.party.leader.value if role.party.leader else None
    return (role.value, compact({"zh": zh, "en": en}),
            compact({"act": role.party.base.value, "leader": leader, "zh": pzh, "en": pen}),
            compact({"code": role.degree.value, "zh": dzh, "en": den}))


def _missing(cols: DecisionColumns, rcodes: list[int], scope: list[Any],
             person: Column) -> list[str | None]:
    """Each decision's ``party_missing`` JSON text (None when its person is known), once per
    (role, scope, post, unit)."""
    post_codes, unit_codes = cols.post.codes.tolist(), cols.unit.codes.tolist()
    posts, units = cols.post.names, cols.unit.names
    known: dict[tuple[int, str, int, int], str | None] = {}
    out: list[str | None] = []
    for i, who in enumerate(person.codes.tolist() if isinstance(person, Coded) else
                            [0 if p is not None else -1 for p in person]):
        if who >= 0:
            out.append(None)
            continue
        at = (rcodes[i], scope[i], post_codes[i], unit_codes[i])
        if at not in known:
            p, u = post_codes[i], unit_codes[i]
            why = party_missing(cols.roles[rcodes[i]], scope[i], None,
                                posts[p] if p >= 0 else None, units[u] if u >= 0 else None)
            known[at] = None if why is None else compact({"zh": why[0], "en": why[1]})
        out.append(known[at])
    return out


def _ladder(cols: DecisionColumns, out: dict[str, Column]) -> None:
    """The ``ladder_*`` columns from each decision's ladder info (None: no ladder)."""
    fields = ("name", "step", "count_in_window", "window", "exempt_by", "joint", "reasons",
              "adjustments", "consequences")
    made: list[list[Any]] = [[] for _ in fields]
    name, step, count, window, exempt, joint, reasons, adjust, conseq = made
    lists: dict[tuple[str, ...], str] = {}  # adjustments, consequences: a few distinct

    def listed(values: tuple[str, ...]) -> str:
        text = lists.get(values)
        if text is None:
            text = lists[values] = compact(list(values))
        return text

    for info in cols.ladders:
        if info is None:
            for column in made:
                column.append(None)
            continue
        name.append(info.name)
        step.append(info.step)
        count.append(info.count_in_window)
        window.append(info.window)
        exempt.append(info.exempt_by)
        joint.append(info.joint)
        reasons.append(compact([{"zh": zh, "en": en} for zh, en in info.reasons]))
        adjust.append(listed(info.adjustments))
        conseq.append(listed(info.consequences))
    for f, column in zip(fields, made, strict=True):
        out[f"ladder_{f}"] = column


# --------------------------------------------------------------------------- JSON Lines


@acyclic
def json_lines(cols: DecisionColumns, joint_line: Callable[[Any], str]) -> str:
    """The decisions of ``cols`` as JSON Lines: each line the compact JSON of the decision's
    ``to_json()``, keys sorted, and a newline; ``joint_line(decision)``: the line of a (joint)
    decision made."""
    lines = _lines(_own_columns(cols))
    if cols.joint:
        lines = _placed(cols, lines, [(p, joint_line(d)) for p, d in cols.joint])
    return "".join(lines)


def _lines(flat: dict[str, Column]) -> list[str]:
    """Each row's line: the ``"key":value`` pieces of the ``to_json()`` dict in key order."""
    memo: dict[Any, str] = {None: "null"}

    def j(value: Any) -> str:  # a scalar's JSON (the few distinct ones written once)
        text = memo.get(value)
        if text is None:
            text = memo[value] = compact(value)
        return text

    def scalars(name: str) -> list[str]:
        c = flat[name]
        return c.json_texts() if isinstance(c, Coded) else [j(v) for v in c]

    def texts(name: str) -> list[str]:  # a column of JSON texts (or None)
        return [("null" if v is None else v) for v in _listed(flat[name])]

    ladders = []
    for name, step, count, window, exempt, joint, reasons, adjust, conseq in zip(
            *(flat[f"ladder_{f}"] for f in ("name", "step", "count_in_window", "window",
                                             "exempt_by", "joint", "reasons", "adjustments",
                                             "consequences")), strict=True):
        ladders.append("null" if name is None else "".join((
            '{"adjustments":', adjust, ',"consequences":', conseq,
            ',"count_in_window":', str(count), ',"exempt_by":', j(exempt),
            ',"joint":', "true" if joint else "false", ',"name":', j(name),
            ',"reasons":', reasons, ',"step":', "null" if step is None else str(step),
            ',"window":', j(window), "}")))
    versions = ["" if v == "null" else ',"version":' + v for v in scalars("version")]
    keys = [f'"{k}"' for k in flat["key"]]  # (hexadecimal: nothing to escape)
    return ["".join(parts) for parts in zip(
        itertools.repeat('{"as_of":'), scalars("as_of"),
        itertools.repeat(',"basis":'), texts("basis"),
        itertools.repeat(',"case":'), scalars("case"),
        itertools.repeat(',"condition":'), scalars("condition"),
        itertools.repeat(',"dates":'), texts("dates"),
        itertools.repeat(',"degree":'), texts("degree"),
        itertools.repeat(',"established":'), scalars("established"),
        itertools.repeat(',"facts":'), texts("facts"),
        itertools.repeat(',"item":'), scalars("item"),
        itertools.repeat(',"key":'), keys,
        itertools.repeat(',"ladder":'), ladders,
        itertools.repeat(',"party":'), texts("party"),
        itertools.repeat(',"party_missing":'), texts("party_missing"),
        itertools.repeat(',"person":'), scalars("person"),
        itertools.repeat(',"post":'), scalars("post"),
        itertools.repeat(',"role":'), scalars("role"),
        itertools.repeat(',"role_label":'), texts("role_label"),
        itertools.repeat(',"sanction":'), scalars("sanction"),
        itertools.repeat(',"scope":'), scalars("scope"),
        itertools.repeat(',"subject":'), scalars("subject"),
        itertools.repeat(',"unit":'), scalars("unit"),
        versions,
        itertools.repeat(',"violation":'), scalars("violation"),
        itertools.repeat("}\n"))]
