"""The real WABO receipt log (``/work/shared/data/receipt.csv``) evaluated with
``rules/receipt_wabo.wz``: the cases late against their own ``case:deadline``, per responsible
resource, equal an independent computation made straight from the CSV with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

import wenze
from wenze.engine.events import RECEIPT_MAPPING, read_events

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
