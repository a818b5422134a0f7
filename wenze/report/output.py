"""Reports: presenting an evaluation — JSON, tables, CSV, decision letters, traces.

parse → check → lower → evaluate → decisions → **output**.

- :func:`to_json`: one JSON document, sorted keys, ``ensure_ascii=False`` (byte-identical for the
  same inputs).
- :func:`table`: aligned plain-text tables (CJK characters count two cells).
- :func:`to_csv`: the decisions, one row each.
- :func:`decision_letter`: one decision as a Chinese 问责决定书-style text.
- :func:`explain`: the full trace of one case — every deadline day by day (from
  :meth:`wenze.dsl.calendar.WorkCalendar.add_days`), every rule checked, every ladder step.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import itertools
import json
import math
import multiprocessing as mp
import os
import pickle
import unicodedata
from collections.abc import Sequence
from typing import Any

from wenze.dsl import ast as A
from wenze.dsl.facts import lookup as lookup_fact
from wenze.engine.decisions import LEADER_LABELS, LEVEL_LABELS, Decision, json_value
from wenze.engine.evaluate import CaseTrace, EvaluationResult
from wenze.engine.lower import Program, bases_of
from wenze.fast.forking import fork_map

_string = json.encoder.encode_basestring  # (json's C function where there is one)

# --------------------------------------------------------------------------- JSON and CSV


def to_json(result: EvaluationResult, workers: int | None = None) -> str:
    """The JSON document of an evaluation: ``json.dumps(result.to_json(), sort_keys=True,
    ensure_ascii=False, indent=2)`` and a newline, byte for byte.

    Written faster than that: by :func:`json_text`, each decision as soon as it is made (read in
    batches from a lazy :class:`~wenze.fast.ladder.DecisionTable`, never all kept as
    dicts), with the cyclic garbage collector paused (nothing here makes reference cycles; it
    would rescan the growing document again and again); from :data:`PARALLEL_MIN_DECISIONS`
    decisions on, consecutive runs of them written in forked processes (``workers``: how many,
    0 one per CPU; default ``WENZE_WORKERS``, else one per CPU)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        head = json_text(dataclasses.replace(result, decisions=()).to_json())
        if not result.decisions:
            return head + "\n"
        # the decisions in their place: a top-level key's line is the only one that starts
        # with a newline and two spaces (a newline inside a string is written as \n)
        empty = '\n  "decisions": []'
        before, after = head.split(empty)
        pieces = [before, '\n  "decisions": [', _BETWEEN[1:]]
        for text in _decision_texts(result.decisions, workers):
            pieces += (text, _BETWEEN)
        pieces[-1] = "\n  ]"
        return "".join([*pieces, after, "\n"])  # (the document copied once)
    finally:
        if collecting:
            gc.enable()


PARALLEL_MIN_DECISIONS = 4000  # below this, forking costs more than it saves
_BETWEEN = ",\n" + "  " * 2  # between two decisions of the document


def _decision_texts(decisions: Sequence[Decision], workers: int | None) -> list[str]:
    """The decisions' JSON texts, in order: one each, or in forked processes (when there are
    enough of them) one per process, each the joined texts of a consecutive run of them (the
    last run written in this process)."""
    n = len(decisions)
    if workers is None:
        workers = int(os.environ.get("WENZE_WORKERS") or 0)
    workers = min(workers or os.cpu_count() or 1, 16, -(-n // PARALLEL_MIN_DECISIONS))
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        return _written(decisions, 0, n)
    bounds = [n * k // workers for k in range(workers + 1)]

    def written(span: tuple[int, int]) -> pickle.PickleBuffer:  # sent back without copying
        return pickle.PickleBuffer(_BETWEEN.join(_written(decisions, *span)).encode())

    return [str(memoryview(part), "utf-8")
            for part in fork_map(written, list(itertools.pairwise(bounds)))]


def _written(decisions: Sequence[Decision], start: int, stop: int) -> list[str]:
    """The JSON texts of ``decisions[start:stop]`` (read a batch at a time)."""
    step = 2048
    return [json_text(d.to_json(), 2) for lo in range(start, stop, step)
            for d in decisions[lo:min(lo + step, stop)]]


_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}
_SHAPES: dict[tuple[tuple[Any, ...], int], tuple[list[tuple[str, str]], str]] = {}


def json_text(value: Any, level: int = 0) -> str:
    """``json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2)``, as if written at
    nesting ``level`` (its lines after the first indented by ``level`` steps): the same text.

    :mod:`json` indents in pure Python, a few generator steps per value; this writes the plain
    types (dict with str keys, list, tuple, str, int, float, bool, None) directly, each dict's
    keys sorted and their prefixes made once per shape (the documents repeat a few shapes),
    strings escaped by :mod:`json`'s own (C) function; anything else is left to :mod:`json`."""
    t = type(value)
    if t is str:
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if t is int:
        return int.__repr__(value)
    if t is dict:
        return _dict_text(value, level)
    if t is list or t is tuple:
        if not value:
            return "[]"
        pad = "\n" + "  " * (level + 1)
        inner = level + 1
        items = [_string(v) if type(v) is str else json_text(v, inner) for v in value]
        return f"[{pad}{(',' + pad).join(items)}\n{'  ' * level}]"
    if t is float:
        return float.__repr__(value) if value == value and value not in _FLOATS else \
            _FLOATS.get(value, "NaN")
    return _json_text(value, level)


def _dict_text(value: dict[Any, Any], level: int) -> str:
    if not value:
        return "{}"
    shape = (tuple(value), level)
    made = _SHAPES.get(shape)
    if made is None:
        if any(type(k) is not str for k in value):  # json turns them into strings
            return _json_text(value, level)
        if len(_SHAPES) >= 4096:
            _SHAPES.clear()
        pad = "\n" + "  " * (level + 1)
        made = _SHAPES[shape] = (
            [(k, ("{" if i == 0 else ",") + pad + _string(k) + ": ")
             for i, k in enumerate(sorted(value))], "\n" + "  " * level + "}")
    keys, close = made
    inner = level + 1
    out = []
    for k, prefix in keys:
        v = value[k]
        t = type(v)
        if t is str:
            out.append(prefix + _string(v))
        elif v is None:
            out.append(prefix + "null")
        else:
            out.append(prefix + json_text(v, inner))
    out.append(close)
    return "".join(out)


def _json_text(value: Any, level: int) -> str:
    """:mod:`json`'s text, indented to ``level`` (a newline in its text is never inside a
    string: strings write it as ``\\n``)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2)
    return text.replace("\n", "\n" + "  " * level) if level else text


CSV_COLUMNS = ("key", "case", "item", "violation", "subject", "person", "post", "unit", "role",
               "sanction", "ladder_step", "count_in_window", "established", "basis", "facts")


def to_csv(result: EvaluationResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in result.decisions:
        j = d.to_json()
        writer.writerow([
            j["key"], j["case"] or "", j["item"] or "", j["violation"], j["subject"] or "",
            j["person"] or "", j["post"] or "", j["unit"] or "", j["role"], j["sanction"] or "",
            (j["ladder"] or {}).get("step") or "", (j["ladder"] or {}).get("count_in_window", ""),
            j["established"], "; ".join(_cite(b) for b in d.basis),
            json.dumps(j["facts"], ensure_ascii=False, sort_keys=True),
        ])
    return buf.getvalue()


def _cite(b: Any) -> str:
    doc = f"《{b.title or b.document}》"
    number = f"（{b.number}）" if b.number else ""
    return f"{doc}{number}{b.clause}"


# --------------------------------------------------------------------------- tables


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cells: int) -> str:
    return text + " " * max(0, cells - width(text))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], width(v))
    lines = ["  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("─" * w for w in widths))
    for row in cells:
        lines.append("  ".join(pad(v, widths[i]) for i, v in enumerate(row)).rstrip())
    return "\n".join(lines)


_LEADER_ZH = {"deputy_leader": "分管领导", "chief_leader": "主要领导"}


def table(result: EvaluationResult) -> str:
    out = [f"问责决定 decisions (as of {result.as_of}): {len(result.decisions)}  "
           f"cases {result.cases}, events {result.events}"]
    rows = []
    missing: list[tuple[str, tuple[str, str]]] = []
    for d in result.decisions:
        step = d.ladder.step if d.ladder and d.ladder.step else ""
        why = ""
        if d.ladder:
            if d.ladder.joint:  # the sanction the 连带 rule names, not the leader's own step
                bits = [f"连带:「{d.unit}」第{d.ladder.count_in_window}次问责→"
                        f"{_LEADER_ZH.get(d.role.value, d.role_zh)}「{d.sanction}」"]
            else:
                bits = [f"第{d.ladder.count_in_window}次"] if d.ladder.count_in_window else []
            bits += list(d.ladder.adjustments)
            if d.ladder.exempt_by:
                bits.append(f"免责:{d.ladder.exempt_by}")
            why = " ".join(bits)
        rows.append([
            d.case or d.subject or "", d.violation, d.person or "—", d.post or "", d.unit or "",
            d.role_zh, d.sanction or ("免予问责" if d.ladder else "—"), step, why,
            d.established.isoformat(), d.key,
        ])
        if d.person is None and d.missing:
            missing.append((d.key, d.missing))
    out.append(render_table(
        ["案件", "违规", "责任人", "岗位", "单位", "责任", "处理", "级", "说明", "认定日", "key"],
        rows))
    if missing:
        out.append("")
        out.append(f"责任人未找到 parties not found: {len(missing)}")
        out += [f"  {key} {zh} / {en}" for key, (zh, en) in missing]
    if result.warnings:
        out.append("")
        out.append(f"预警 warnings: {len(result.warnings)}")
        out.append(render_table(
            ["等级", "案件", "事项", "环节", "期限", "剩余", "逾期", "已用%", "承办人"],
            [[LEVEL_LABELS[w.level], w.case, w.item, w.step or "", w.deadline.isoformat(),
              w.days_left, w.days_over, json_value(w.percent_used), w.person or w.post or ""]
             for w in result.warnings]))
    if result.metrics:
        out.append("")
        out.append("指标 metrics")
        out.append(render_table(
            ["单位", "期间", "完整", "收件", "办结", "按时", "现场", "逾期在办", "按时办结率",
             "现场办结率"],
            [[m.unit, m.period, "是" if m.complete else "否", m.received, m.decided, m.on_time,
              m.on_the_spot, m.overdue_open, _pct(m.on_time_rate), _pct(m.on_the_spot_rate)]
             for m in result.metrics]))
    if result.unjudged:
        out.append("")
        out.append(f"未能评判的案件 unjudged cases: {len(result.unjudged)}")
        for u in result.unjudged:
            out.append(f"  {u.case}: [{u.code}] {u.message}")
    if result.rejected:
        out.append("")
        out.append(f"拒收事件 rejected events: {len(result.rejected)} (details on stderr)")
    return "\n".join(out) + "\n"


def _pct(v: Any) -> str:
    return "" if v is None else f"{json_value(v)}%"


# --------------------------------------------------------------------------- decision letter


def _fact_label(key: str) -> str:
    fact = lookup_fact(key)
    return f"{fact.zh}" if fact else key


def _limit_and_ladder_bases(d: Decision, j: dict[str, Any], program: Program | None
                            ) -> list[str]:
    """The bases of the deadlines the decision's dates name and of its ladder, so the letter shows
    which numbers come from the text and which from a document named as an assumption."""
    if program is None:
        return []
    lines: list[str] = []
    item = program.items.get(d.item) if d.item else None
    if item is not None:
        for key, label, bases in (("deadline_promised", "承诺期限", item.promised_basis),
                                  ("deadline_statutory", "法定期限", item.statutory_basis)):
            if j["dates"].get(key) and bases:
                lines += [f"　　{label}依据：{_cite(b)}" for b in bases]
    ladder = program.ladders.get(d.ladder.name) if d.ladder is not None else None
    if ladder is not None and ladder.basis and not (d.ladder and d.ladder.joint):
        lines += [f"　　处理阶梯依据：{_cite(b)}"
                  for b in bases_of(ladder.name.text, ladder.basis, program.documents)]
    return lines


def addressee(d: Decision) -> str:
    """Whom a letter holds to account: the person; else whoever holds the post; a unit's
    leadership body; a leader the rulebook does not name (a stated gap); else the unit's
    official."""
    if d.person:
        return d.person
    if d.post:
        return f"（{d.post}在岗人员）"
    leader = d.role.party.leader
    if leader is A.Leader.BODY:
        return f"{d.unit or ''}领导班子"
    if leader is not None:
        return f"（{d.unit or ''}{LEADER_LABELS[leader][0]}，规则集未指明）"
    return f"（{d.unit or ''}在岗人员）"


def who_answers(d: Decision) -> str:
    """Who a decision holds to account, in a line: the person, else the post, else a unit's
    leadership body or a leader the rulebook does not name (:func:`addressee`), else the unit."""
    if d.person or d.post:
        return d.person or d.post or ""
    return addressee(d) if d.role.party.leader is not None else (d.unit or "?")


def decision_letter(d: Decision, program: Program | None = None) -> str:
    """A Chinese 问责决定书-style text for one decision."""
    j = d.to_json()
    title = "效能问责决定书" if d.sanction else "效能问责审查意见书"
    lines = [title.center(20, " ").rstrip(), "", f"编号：WZ-{d.key}", ""]
    lines.append(f"被问责人：{addressee(d)}")
    lines.append(f"岗　　位：{d.post or '—'}")
    lines.append(f"单　　位：{d.unit or '—'}")
    lines.append(f"责任类别：{d.role_zh}")
    if d.missing:
        lines.append(f"责任人未找到：{d.missing[0]}")
    lines.append("")
    lines.append("一、事实")
    item_ir = program.items.get(d.item or "") if program is not None else None
    title = f"，全称「{item_ir.title}」" if item_ir is not None and item_ir.title else ""
    what = f"案件 {d.case}（事项「{d.item}」{title}）" if d.case else f"{d.subject}"
    if d.subject and d.case:
        what += f"，{'环节' if d.scope == 'step' else '会签'}「{d.subject}」"
    lines.append(f"　　经查，{what}存在「{d.violation}」情形。")
    date_names = {"received": "收件日", "accepted": "受理日", "clock_start": "计时起点",
                  "deadline_promised": "承诺期限届满日", "deadline_statutory": "法定期限届满日",
                  "extension": "延期批准日", "decided": "办结日", "delivered": "送达日"}
    date_names["deadline_external"] = "案件自身期限"
    for k in sorted(j["dates"], key=lambda k: (list(date_names).index(k)
                                               if k in date_names else 99, k)):
        if j["dates"][k]:
            lines.append(f"　　{date_names.get(k, k)}：{j['dates'][k]}")
    for k, v in j["facts"].items():
        shown = {True: "是", False: "否"}.get(v, v) if isinstance(v, bool) else v
        lines.append(f"　　{_fact_label(k)}：{shown}")
    lines.append(f"　　认定日期：{d.established.isoformat()}")
    lines.append("")
    lines.append("二、依据")
    if d.basis:
        for b in d.basis:
            lines.append(f"　　{_cite(b)}")
    else:
        lines.append("　　（规则未载明依据）")
    lines.append(f"　　认定条件：{d.condition or '未达到目标'}")
    lines += _limit_and_ladder_bases(d, j, program)
    lines.append("")
    lines.append("三、处理决定")
    if d.ladder is None:
        lines.append(f"　　认定{d.role_zh}；规则未规定处理阶梯。")
    elif d.sanction is None and d.ladder.exempt_by:
        lines.append(f"　　因「{d.ladder.exempt_by}」，免予问责。")
    elif d.sanction is None:  # e.g. a later version no longer counts the act (从旧兼从轻)
        lines.append("　　不予处分（理由见下）。")
    else:
        lines.append(f"　　给予{who_answers(d)}「{d.sanction}」处理。")
    if d.ladder is not None:
        lines.append("")
        lines.append("四、理由")
        if d.ladder.exempt_by:
            lines.append(f"　　依「{d.ladder.name}」阶梯，计次期间 {d.ladder.window}；"
                         f"免责情形不计入次数。")
        elif d.ladder.joint:
            lines.append(f"　　依「{d.ladder.name}」阶梯连带责任规定（{d.ladder.window}）。")
        else:
            lines.append(f"　　依「{d.ladder.name}」阶梯，计次期间 {d.ladder.window}，"
                         f"期间内第 {d.ladder.count_in_window} 次。")
        for zh, _en in d.ladder.reasons:
            lines.append(f"　　{zh}")
        for c in d.ladder.consequences:
            lines.append(f"　　后果：{c}")
    lines.append("")
    if d.version is not None:
        lines.append(f"适用规则版本：{d.version}")
    lines.append(f"评价基准日：{d.as_of.isoformat()}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- explain


def explain(result: EvaluationResult, case: str, program: Program) -> str:
    """The full trace of one case (evaluate it with ``explain=[case]``)."""
    trace: CaseTrace | None = result.traces.get(case)
    if trace is None:
        for u in result.unjudged:
            if u.case == case:
                return f"案件 {case}: 未能评判 unjudged [{u.code}] {u.message}\n"
        return f"案件 {case}: 没有该案件的事件 no events for this case\n"
    out = [f"案件 case {case}  事项 item 「{trace.item}」  日历 calendar 「{trace.calendar}」  "
           f"as of {result.as_of}", "", "事件 events:"]
    for ev in trace.events:
        where = f"{ev.source}:{ev.line}" if ev.line else ev.source
        data = json.dumps(ev.data, ensure_ascii=False, sort_keys=True) if ev.data else ""
        out.append(f"  {ev.at.isoformat()}  {_etype(ev):<22} {ev.id}  "
                   f"{ev.actor or ''} {('(' + ev.post + ')') if ev.post else ''} "
                   f"{('@' + ev.unit) if ev.unit else ''} "
                   f"{('step=' + ev.step) if ev.step else ''} {data}  [{where}]".rstrip())
    if trace.notes:
        out.append("")
        out.append("说明 notes:")
        out += [f"  {n}" for n in trace.notes]
    cal = program.calendars[trace.calendar] if trace.calendar else None
    for note in trace.deadlines:
        out.append("")
        unit = "工作日" if note.duration.unit is A.DayKind.WORKING else "自然日"
        out.append(f"期限 deadline {note.name}: 自 {note.start} 起 {note.duration.amount} {unit}"
                   f" → {note.deadline}")
        if cal is None:
            continue
        dtrace = cal.calendar.add_days(note.start, note.duration, note.suspended)
        for entry in dtrace.days:
            out.append(f"    {entry.describe('zh')}")
        if dtrace.deadline != note.deadline:  # the fast index and the calendar must agree
            out.append(f"    !! calendar trace deadline {dtrace.deadline} differs")
    out.append("")
    out.append("事实 facts:")
    for k in sorted(trace.facts):
        out.append(f"  {pad(_fact_label(k), 16)} {k:<28} {json_value(trace.facts[k])}")
    out.append("")
    out.append("规则检查 rules checked:")
    for c in trace.checks:
        facts = ", ".join(f"{_fact_label(k)}={json_value(v)}" for k, v in c.facts)
        subj = f" [{c.subject}]" if c.subject else ""
        out.append(f"  {'✔ 成立' if c.result else '✘ 不成立'}  「{c.violation}」{subj}: "
                   f"{c.condition}  ({facts})")
    out.append("")
    out.append("问责决定 decisions (ladder steps):")
    if not trace.decisions:
        out.append("  （无 none）")
    for d in trace.decisions:
        out.append(f"  {d.key} 「{d.violation}」 {who_answers(d)} ({d.role_zh}) → "
                   f"{d.sanction or '免予问责/无阶梯'}")
        if d.missing:
            out.append(f"    责任人未找到 party missing: {d.missing[0]} / {d.missing[1]}")
        if d.ladder:
            if d.ladder.joint:
                out.append(f"    阶梯「{d.ladder.name}」 连带 joint liability, window "
                           f"{d.ladder.window}, unit count {d.ladder.count_in_window}")
            else:
                out.append(f"    阶梯「{d.ladder.name}」 window {d.ladder.window}, "
                           f"count {d.ladder.count_in_window}, step {d.ladder.step}")
            for zh, en in d.ladder.reasons:
                out.append(f"    - {zh} / {en}")
    return "\n".join(out) + "\n"


def _etype(ev: Any) -> str:
    return ev.type.value if hasattr(ev.type, "value") else str(ev.type)
