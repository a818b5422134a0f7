"""Comparing evaluations: one evaluation's totals as plain data (:func:`summarize`), and what
differs between two evaluations of the same caseload (:func:`compare_results`, case by case and
in totals; :func:`differing_persons`, person by person). ``wenze simulate --compare`` and
``wenze diff --events`` read them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from wenze.engine.decisions import person_key_of
from wenze.report.output import who_answers

SHOWN_DIFFERENCES = 20
NO_SANCTION = "（无处分）"
UNKNOWN_UNIT = "（未知单位）"
PERIOD_PREFERENCE = ("year", "half_year", "quarter", "month")


def period_kind(key: str) -> str:
    if "-Q" in key:
        return "quarter"
    if "-H" in key:
        return "half_year"
    return "month" if "-" in key else "year"


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def violations_by_unit(decisions: Sequence[Any]) -> Counter[tuple[str, str]]:
    """(violation, unit) → count: one violation per (kind, case, subject), counted in the unit
    of its direct responsible (else of its first decision).

    Read from the decisions' columns where they suffice: a kind and case with one decision is
    one violation, in that decision's unit. Only the decisions sharing their kind and case with
    another are made, to tell their subjects and roles apart (no column holds those)."""
    from wenze.report.summaries import column

    kinds = column(decisions, "violation")
    cases = [c or "" for c in column(decisions, "case")]
    units = [u or UNKNOWN_UNIT for u in column(decisions, "unit")]
    shared = Counter(zip(kinds, cases, strict=True))
    seen: dict[tuple[Any, str, str | None], tuple[bool, str]] = {}
    for i, (kind, case, unit) in enumerate(zip(kinds, cases, units, strict=True)):
        if shared[kind, case] == 1:
            seen[kind, case, None] = (True, unit)
            continue
        d = decisions[i]
        key = (kind, case, d.subject or "")
        direct = d.role.value == "direct"
        if key not in seen or (direct and not seen[key][0]):
            seen[key] = (direct, unit)
    return Counter((v, unit) for (v, _c, _s), (_d, unit) in seen.items())


def summarize(result: Any) -> dict[str, Any]:
    """The metrics of one evaluation, as plain JSON-able data (stable order)."""
    from wenze.report.summaries import count_by

    kinds = {period_kind(m.period) for m in result.metrics}
    kind = next((k for k in PERIOD_PREFERENCE if k in kinds), None)
    units: dict[str, list[int]] = {}
    for m in result.metrics:
        if period_kind(m.period) != kind:
            continue
        row = units.setdefault(m.unit, [0, 0, 0, 0, 0])
        for i, v in enumerate((m.received, m.decided, m.on_time, m.on_the_spot, m.overdue_open)):
            row[i] += v
    unit_rows = [
        {"unit": u, "received": r, "decided": d, "on_time": ot, "on_the_spot": sp,
         "overdue_open": op, "on_time_rate": rate(ot, d), "on_the_spot_rate": rate(sp, d)}
        for u, (r, d, ot, sp, op) in sorted(units.items())
    ]
    violations = violations_by_unit(result.decisions)
    sanctions: Counter[str] = Counter()
    for level, n in count_by(result.decisions, "sanction").items():
        sanctions[level or NO_SANCTION] += n
    warnings = Counter(w.level for w in result.warnings)
    return {
        "cases": result.cases,
        "events": result.events,
        "events_after_as_of": result.events_after_as_of,
        "rejected": len(result.rejected),
        "unjudged": len(result.unjudged),
        "decisions": len(result.decisions),
        "units": unit_rows,
        "violations": [{"violation": v, "unit": u, "count": n}
                       for (v, u), n in sorted(violations.items())],
        "violations_total": dict(sorted(Counter(v for (v, _u) in violations.elements()).items())),
        "sanctions": dict(sorted(sanctions.items())),
        "warnings": {level: warnings.get(level, 0) for level in ("notice", "yellow", "red")},
    }


def level_order(*programs: Any) -> list[str]:
    """Sanction levels in ladder order (each ladder's 等级 list, ladders by name)."""
    order: list[str] = []
    for program in programs:
        for name in sorted(program.ladders):
            for level in program.ladders[name].levels:
                if level.text not in order:
                    order.append(level.text)
    return order


def ordered(names: Any, order: Sequence[str]) -> list[str]:
    rank = {n: i for i, n in enumerate(order)}
    return sorted(names, key=lambda n: (n == NO_SANCTION, rank.get(n, len(rank)), n))


def case_lines(decisions: Iterable[Any]) -> dict[str, list[str]]:
    """Each case's decisions as sorted lines `violation[subject] person(role) → sanction`."""
    out: dict[str, list[str]] = {}
    for d in decisions:
        if d.case is None:
            continue
        subject = f"[{d.subject}]" if d.subject else ""
        out.setdefault(d.case, []).append(
            f"{d.violation}{subject} {who_answers(d)}({d.role.value})"
            f" → {d.sanction or NO_SANCTION}")
    return {k: sorted(v) for k, v in out.items()}


def differing_cases(a: Sequence[Any], b: Sequence[Any], shown: int = SHOWN_DIFFERENCES
                    ) -> tuple[int, list[dict[str, Any]]]:
    """The cases whose decisions (as :func:`case_lines`) differ between ``a`` and ``b``: how
    many, and the first ``shown`` of them (by case) with their lines on each side.

    A case with another number of decisions on each side differs: counted from the columns.
    Only the decisions of the cases with as many on both sides are made and compared line by
    line, and those of the cases shown."""
    from wenze.report.summaries import column, of_cases

    count_a = Counter(c for c in column(a, "case") if c is not None)
    count_b = Counter(c for c in column(b, "case") if c is not None)
    alike = {c for c, n in count_a.items() if count_b.get(c) == n}
    lines_a, lines_b = case_lines(of_cases(a, alike)), case_lines(of_cases(b, alike))
    differing = sorted({c for c in count_a.keys() | count_b.keys()
                        if count_a.get(c) != count_b.get(c)}
                       | {c for c in alike if lines_a[c] != lines_b[c]})
    first = differing[:shown]
    rest = set(first) - alike
    lines_a.update(case_lines(of_cases(a, rest)))
    lines_b.update(case_lines(of_cases(b, rest)))
    return len(differing), [{"case": c, "a": lines_a.get(c, []), "b": lines_b.get(c, [])}
                            for c in first]


def _delta(a: dict[str, int], b: dict[str, int]) -> list[dict[str, Any]]:
    return [{"name": k, "a": a.get(k, 0), "b": b.get(k, 0), "b_minus_a": b.get(k, 0) - a.get(k, 0)}
            for k in sorted(set(a) | set(b))]


def compare_results(a: Any, b: Any, summary_a: dict[str, Any], summary_b: dict[str, Any],
                    shown: int = SHOWN_DIFFERENCES) -> dict[str, Any]:
    """The difference of two evaluations of the same caseload, case by case and in totals
    (``summary_a``, ``summary_b``: their :func:`summarize`)."""
    count, first = differing_cases(a.decisions, b.decisions, shown)
    sa, sb = summary_a, summary_b
    return {
        "differing_cases": count,
        "shown": first,
        "violations": _delta(sa["violations_total"], sb["violations_total"]),
        "sanctions": _delta(sa["sanctions"], sb["sanctions"]),
        "warnings": _delta(sa["warnings"], sb["warnings"]),
        "decisions": {"a": sa["decisions"], "b": sb["decisions"],
                      "b_minus_a": sb["decisions"] - sa["decisions"]},
    }


def person_lines(decisions: Iterable[Any]) -> dict[str, list[str]]:
    """Each person's decisions (else the post's or unit's, when nobody is named) as sorted lines
    `case violation[subject] (role) → sanction`."""
    out: dict[str, list[str]] = {}
    for d in decisions:
        who = person_key_of(d.person, d.post, d.unit or "?", d.role.party.leader)
        subject = f"[{d.subject}]" if d.subject else ""
        sanction = d.sanction or NO_SANCTION
        out.setdefault(who, []).append(
            f"{d.case or '—'} {d.violation}{subject} ({d.role.value}) → {sanction}")
    return {k: sorted(v) for k, v in out.items()}


def differing_persons(a: Sequence[Any], b: Sequence[Any], shown: int = SHOWN_DIFFERENCES
                      ) -> tuple[int, list[dict[str, Any]]]:
    """The persons whose decisions differ between ``a`` and ``b``: how many, and the first
    ``shown`` of them (by name) with their decisions on each side."""
    lines_a, lines_b = person_lines(a), person_lines(b)
    differing = sorted(p for p in lines_a.keys() | lines_b.keys()
                       if lines_a.get(p) != lines_b.get(p))
    return len(differing), [{"person": p, "a": lines_a.get(p, []), "b": lines_b.get(p, [])}
                            for p in differing[:shown]]
