"""The real WABO receipt log (``/work/shared/data/receipt.csv``) evaluated with
``rules/receipt_wabo.wz``: the cases late against their own ``case:deadline``, per responsible
resource, and the steps over their per-activity limits, per resource, equal independent computations
made straight from the CSV with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

import wenze
from wenze.events.readers import RECEIPT_MAPPING, read_events

ROOT = Path(__file__).resolve().parents[2]
LOG = Path("/work/shared/data/receipt.csv")
AS_OF = dt.date(2012, 12, 31)


def _local_date(text: str) -> dt.date:
    return dt.datetime.fromisoformat(text).date()  # the date in the timestamp's own offset


def independent_late_per_resource() -> Counter[str]:
    """A case is late when its end — ``case:enddate`` when recorded, else its latest timestamp
    (the case start included) — falls on a later date than ``case:deadline``."""
    cases: dict[str, dict] = {}
    with LOG.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            c = cases.setdefault(row["case:concept:name"], {
                "deadline": row["case:deadline"], "enddate": row["case:enddate"],
                "responsible": row["case:responsible"],
                "last": dt.datetime.fromisoformat(row["case:startdate"]),
            })
            at = dt.datetime.fromisoformat(row["time:timestamp"])
            if at > c["last"]:
                c["last"] = at
    late: Counter[str] = Counter()
    for c in cases.values():
        if not c["deadline"]:
            continue
        end = _local_date(c["enddate"]) if c["enddate"] else c["last"].date()
        if end > _local_date(c["deadline"]):
            late[c["responsible"]] += 1
    return late


@pytest.mark.skipif(not LOG.is_file(), reason="the shared receipt log is not on this machine")
def test_late_cases_per_resource_match_an_independent_computation() -> None:
    rulebook = wenze.load(ROOT / "rules" / "receipt_wabo.wz")
    batch = read_events(LOG, mapping=RECEIPT_MAPPING)
    assert not batch.rejected
    from wenze.engine.evaluate import evaluate

    result = evaluate(rulebook.program, batch.events, AS_OF)
    assert not result.rejected and not result.unjudged
    engine = Counter(d.person for d in result.decisions if d.violation == "超过案件期限")
    expected = independent_late_per_resource()
    assert sum(expected.values()) > 100  # the log really has late cases
    assert engine == expected


# The main line of rules/receipt_wabo.wz (each step after the previous one, 7 days); every other
# activity has no prerequisite and 14 days. Written out here, not read from the rulebook.
MAIN_LINE = ["Confirmation of receipt", "T02 Check confirmation of receipt",
             "T04 Determine confirmation of receipt", "T05 Print and send confirmation of receipt",
             "T06 Determine necessity of stop advice",
             "T10 Determine necessity to stop indication"]


def independent_steps_over_per_resource() -> Counter[str]:
    """Per-activity limits in natural days. The log records completions only, so a step starts
    when it could: on the date its prerequisite was first completed (the case start when it has
    none, or when the prerequisite never completed), never after its own completion; the first
    completion of an activity counts. Over when completed more than the limit in days after its
    start; the completing resource answers."""
    rows: dict[str, list[dict[str, str]]] = {}
    with LOG.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rows.setdefault(row["case:concept:name"], []).append(row)
    over: Counter[str] = Counter()
    for case_rows in rows.values():
        case_rows.sort(key=lambda r: (dt.datetime.fromisoformat(r["time:timestamp"]),
                                      r["concept:instance"]))
        start = _local_date(case_rows[0]["case:startdate"])
        first: dict[str, dict[str, str]] = {}
        for r in case_rows:
            first.setdefault(r["concept:name"], r)
        for name, r in first.items():
            done = _local_date(r["time:timestamp"])
            limit = 7 if name in MAIN_LINE else 14
            begin = start
            i = MAIN_LINE.index(name) if name in MAIN_LINE else 0
            if i > 0 and MAIN_LINE[i - 1] in first:
                begin = _local_date(first[MAIN_LINE[i - 1]]["time:timestamp"])
            begin = min(begin, done)
            if (done - begin).days > limit:
                over[r["org:resource"]] += 1
    return over


@pytest.mark.skipif(not LOG.is_file(), reason="the shared receipt log is not on this machine")
def test_steps_over_their_limit_per_resource_match_an_independent_computation() -> None:
    rulebook = wenze.load(ROOT / "rules" / "receipt_wabo.wz")
    from wenze.engine.evaluate import evaluate

    result = evaluate(rulebook.program, read_events(LOG, mapping=RECEIPT_MAPPING).events, AS_OF)
    engine = Counter(d.person for d in result.decisions if d.violation == "环节超时")
    expected = independent_steps_over_per_resource()
    assert sum(expected.values()) > 100
    assert engine == expected
