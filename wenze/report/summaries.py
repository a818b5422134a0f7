"""Fields of an evaluation's decisions, read the cheap way whichever evaluator made them.

The reference evaluator returns a tuple of :class:`~wenze.engine.decisions.Decision`; the
columnar one a :class:`~wenze.fast.ladder.DecisionTable`, whose decisions are made
when read (about 160 µs each: a minute for the 322k decisions of a million cases) but whose
sanction, violation, unit, case and key of every decision are read from its columns without
making any. A consumer that needs only those fields (counts by sanction, the cases of a
violation, the keys issued) reads them here and never makes a decision it does not show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence

from wenze.engine.decisions import Decision
from wenze.fast.ladder import DecisionTable

# the fields a DecisionTable reads from its columns, and how
_COLUMNS: dict[str, Callable[[DecisionTable], list[str | None]]] = {
    "sanction": DecisionTable.sanctions,
    "violation": DecisionTable.violations,  # type: ignore[dict-item]
    "unit": DecisionTable.units,
    "case": DecisionTable.cases,
    "key": DecisionTable.keys,  # type: ignore[dict-item]
}
FIELDS = tuple(_COLUMNS)


def column(decisions: Sequence[Decision], field: str) -> list[str | None]:
    """``field`` (one of :data:`FIELDS`) of every decision, in order."""
    read = _COLUMNS.get(field)
    if read is None:
        raise ValueError(f"not a field read from the columns: {field!r} (one of {FIELDS})")
    if isinstance(decisions, DecisionTable):
        return read(decisions)
    return [getattr(d, field) for d in decisions]


def count_by(decisions: Sequence[Decision], field: str) -> Counter[str | None]:
    """How many decisions have each value of ``field`` (one of :data:`FIELDS`)."""
    if isinstance(decisions, DecisionTable) and field != "key":
        return decisions.count_by(field)
    return Counter(column(decisions, field))


def of_cases(decisions: Sequence[Decision], cases: Collection[str]) -> list[Decision]:
    """The decisions about one of ``cases``, in order (a DecisionTable makes only those)."""
    wanted = set(cases)
    if isinstance(decisions, DecisionTable):
        return decisions.of_cases(wanted)
    return [d for d in decisions if d.case in wanted]
