"""A rulebook family on the columnar fast path (``wenze.fast.versions``) against the reference
family judge (``wenze.engine.versions``): the same JSON document, byte for byte — on the shipped
example family's caseload, on simulated caseloads straddling the day the 2022 version took
effect, and on hypothesis-chosen ones (start, seed, as-of date; the shipped family, or its 2022
revision also changing a condition, so that the 2019 cases are screened once per version). Each
comparison checks that the caseload did straddle the change (acts judged by both versions) and
that the fast path screened cases itself."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wenze
from wenze.engine.versions import VersionProgram, evaluate_versions, lower_family
from wenze.events.readers import read_jsonl
from wenze.fast.versions import evaluate_versions_columnar
from wenze.simulate.caseload import Profile, generate, load_profile, to_jsonl

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "rules" / "versions" / "family.wz"
EVENTS = ROOT / "examples" / "versions" / "caseload.jsonl"
CHANGE = dt.date(2022, 1, 1)  # the 2022 version's 生效


# the 2022 revision also changing a condition (late by more than 2 days, was by any): the
# cases accepted under 2019 cannot be judged by both versions' rules in one screening
CHANGED_CONDITION = """
覆盖 违规 「超过法定时限」 依据 「示例县效能问责办法（2022修订，示例，非原文）」 "第六条" {
  针对 案件
  当 「超法定天数」 > 2
  责任 直接责任人
  阶梯 「效能问责」
}
"""


@functools.cache
def _versions(changed: bool = False) -> list[VersionProgram]:
    import tempfile

    from wenze.dsl.family import load_family

    if not changed:
        family = load_family(FAMILY)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for name in ("family.wz", "v2019.wz", "v2022.wz"):
                text = (FAMILY.parent / name).read_text(encoding="utf-8")
                (folder / name).write_text(
                    text + CHANGED_CONDITION if name == "v2022.wz" else text, encoding="utf-8")
            family = load_family(folder / "family.wz")
    assert family.ok
    return lower_family(family)


def _both(events: list, as_of: dt.date, rejected: list | None = None, prior: Any = (),
          changed: bool = False) -> tuple[str, str, dict[str, Any]]:
    versions = _versions(changed)
    stats: dict[str, Any] = {}
    ref = wenze.to_json(evaluate_versions(versions, events, as_of, prior,
                                          rejected=rejected or []))
    col = wenze.to_json(evaluate_versions_columnar(versions, events, as_of, prior,
                                                   rejected=rejected or [], stats=stats))
    return ref, col, stats


@functools.cache
def _harsh() -> Profile:
    """The default profile with more of what the two versions judge differently: cases near
    their limits (late under 15 working days, not under 20), decisions without the power,
    suspensions for an unlisted reason (repealed in 2022)."""
    data = copy.deepcopy(load_profile().data)
    data["items"]["default"].update(on_the_spot=0.3, median_fraction=0.9, median_days=15.0)
    data["decision"]["unauthorized"] = 0.05
    data["suspension"].update(rate=0.2, unlisted_reason=0.3)
    return Profile(data, "harsh")


def _caseload(start: dt.date, cases: int, seed: int, version: int = 0) -> list:
    return generate(_versions()[version].program, _harsh(), cases=cases, seed=seed, start=start)


def test_the_shipped_caseload_gives_the_same_document() -> None:
    batch = read_jsonl(EVENTS.read_text(encoding="utf-8").splitlines(), str(EVENTS))
    for as_of in (dt.date(2021, 12, 31), dt.date(2022, 6, 30), dt.date(2023, 12, 31)):
        ref, col, _ = _both(list(batch.events), as_of, list(batch.rejected))
        assert col == ref
    versions = {d["version"] for d in json.loads(ref)["decisions"]}
    assert versions == {"2019", "2022"} or "从旧兼从轻" in ref


@pytest.mark.parametrize("seed", [3, 11])
def test_simulated_caseloads_straddling_the_change(seed: int) -> None:
    # a year of cases from July 2021: accepted under 2019, some late or decided after the change
    events = _caseload(dt.date(2021, 7, 1), 500, seed)
    judged_by: set[str] = set()
    for as_of in (dt.date(2021, 12, 31), dt.date(2022, 3, 15), dt.date(2022, 12, 31)):
        ref, col, stats = _both(events, as_of)
        assert col == ref
        screened = sum(s["screened"] for s in stats.values())
        cases = sum(s["cases"] for s in stats.values())
        assert screened > cases // 2  # the fast path did the bulk itself
        judged_by |= {d["version"] for d in json.loads(ref)["decisions"]}
    assert judged_by == {"2019", "2022"}  # the caseload did straddle the change
    assert {"2019→2019", "2019→2022", "2022→2022"} <= set(stats)


def test_prior_sanctions_and_a_case_accepted_before_any_version() -> None:
    events = _caseload(dt.date(2018, 10, 1), 200, 5)  # some accepted before 2019-01-01
    prior = [{"person": "窗口人员1", "unit": "审批科", "on": "2021-03-01",
              "sanction": "效能告诫", "source": "earlier"}]
    ref, col, _ = _both(events, dt.date(2022, 6, 30), prior=prior)
    assert col == ref
    assert "WZE-VERSION" in ref


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.dates(dt.date(2020, 9, 1), dt.date(2022, 3, 1)), seed=st.integers(0, 10_000),
       after=st.integers(-120, 400), version=st.sampled_from([0, 1]), changed=st.booleans())
def test_random_caseloads_around_the_change_give_the_same_document(
        start: dt.date, seed: int, after: int, version: int, changed: bool) -> None:
    events = _caseload(start, 60, seed, version)
    as_of = CHANGE + dt.timedelta(days=after)
    ref, col, _ = _both(events, as_of, changed=changed)
    assert col == ref


@pytest.mark.parametrize("changed", [False, True])
def test_a_straddling_caseload_judged_in_one_screening_or_one_per_version(changed: bool
                                                                          ) -> None:
    # the shipped family's versions share their conditions: a 2019 case is screened once for
    # both; with a changed condition, once per version — the same document either way
    events = _caseload(dt.date(2021, 7, 1), 400, 3)
    ref, col, stats = _both(events, dt.date(2022, 3, 15), changed=changed)
    assert col == ref
    assert (stats["2019→2019"] is stats["2019→2022"]) is not changed
    in_time = [d for d in json.loads(ref)["decisions"] if d["ladder"] and any(
        r["zh"].startswith("从旧兼从轻") for r in d["ladder"]["reasons"])]
    assert in_time  # acts of 2021 judged as of 2022: the lighter 2022 ladder
    # late by 1 or 2 days in 2021: no longer a violation under the changed condition
    assert any(d["version"] == "2019" and d["sanction"] is None for d in in_time) is changed


def test_wenze_evaluate_a_family_with_either_evaluator(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(to_jsonl(_caseload(dt.date(2021, 7, 1), 300, 7)), encoding="utf-8")
    out = {}
    for evaluator in ("reference", "columnar"):
        done = subprocess.run(
            [sys.executable, "-m", "wenze", "evaluate", str(FAMILY), str(events), "--as-of",
             "2022-06-30", "--format", "json", "--evaluator", evaluator, "--quiet"],
            capture_output=True, text=True, encoding="utf-8", check=False)
        assert done.returncode == 0, done.stderr
        assert "参照评价器" not in done.stderr
        out[evaluator] = done.stdout
    assert out["columnar"] == out["reference"]
    assert json.loads(out["columnar"])["decisions"]


def test_an_event_of_no_case_no_version_can_place_is_reported_once() -> None:
    """An absence naming a post no version knows belongs to no case and to no version's context:
    both family judges report it (the message of the version in force on its day), never drop it
    in silence; an absence a version does know is kept and not reported."""
    batch = read_jsonl(EVENTS.read_text(encoding="utf-8").splitlines(), str(EVENTS))
    lines = [
        '{"id": "AB-1", "case": "", "type": "absent", "at": "2022-03-01T09:00:00+08:00", '
        '"actor": "丙", "post": "不存在的岗位"}',
        '{"id": "AB-2", "case": "", "type": "absent", "at": "2022-03-02T09:00:00+08:00", '
        '"actor": "甲", "post": "首席代表"}',
    ]
    extra = read_jsonl(lines, "absences.jsonl")
    assert not extra.rejected
    events = [*batch.events, *extra.events]
    ref, col, _ = _both(events, dt.date(2022, 6, 30), list(batch.rejected))
    assert col == ref
    rejected = [r for r in json.loads(ref)["rejected"] if r["event_id"].startswith("AB-")]
    assert [(r["event_id"], r["code"]) for r in rejected] == [("AB-1", "unknown_post")]
