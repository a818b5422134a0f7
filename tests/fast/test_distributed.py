"""``--dask``: the cases judged on a Dask LocalCluster of two workers give the same JSON document
as one process, byte for byte — simulated caseloads of shipped rulebooks (absences, leaders'
posts, warnings, targets), with prior sanctions; and the command on a glob of Parquet files."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wenze
from wenze.cli import main
from wenze.engine.evaluate import evaluate
from wenze.events.arrow import write_events
from wenze.events.readers import read_events
from wenze.fast.distributed import context_events, dask_client, evaluate_dask
from wenze.report.output import to_json
from wenze.simulate.caseload import generate, load_profile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dask_client("local", workers=2) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


@functools.cache
def _book(name: str) -> Any:
    return wenze.load(ROOT / "rules" / name)


@pytest.mark.parametrize("name", ["zitong_2008.wz", "foshan_2005.wz", "county_en.wz"])
def test_same_document_as_one_process(client: Any, name: str) -> None:
    program = _book(name).program
    events = generate(program, load_profile(), cases=400, seed=5)
    for as_of in (dt.date(2024, 12, 31), dt.date(2024, 7, 15)):
        want = to_json(evaluate(program, events, as_of))
        for partitions in (None, 7):
            got = to_json(evaluate_dask(str(ROOT / "rules" / name), program, events, as_of,
                                        client, partitions=partitions))
            assert got == want, (name, as_of, partitions)
    assert json.loads(want)["decisions"]


def test_prior_sanctions_and_the_shared_context(client: Any) -> None:
    program = _book("zitong_2008.wz").program
    events = list(read_events(ROOT / "examples" / "caseload.jsonl").events)
    as_of = dt.date(2024, 6, 30)
    first = evaluate(program, events, as_of)
    prior = [{"person": d.person, "unit": d.unit, "on": dt.date(2024, 1, 2),
              "sanction": d.sanction} for d in list(first.decisions)[:5] if d.sanction]
    assert prior
    want = to_json(evaluate(program, events, as_of, prior))
    got = to_json(evaluate_dask(str(ROOT / "rules" / "zitong_2008.wz"), program, events, as_of,
                                client, prior))
    assert got == want and want != to_json(first)  # (the prior sanctions count)
    shared = context_events(program, events)
    assert all(e.type.value in ("absent", "returned") or e.post for e in shared)


def test_the_command_on_a_glob_of_parquet_files(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rulebook, source = ROOT / "rules" / "zitong_2008.wz", ROOT / "examples" / "caseload.jsonl"
    events = list(read_events(source).events)
    half = len(events) // 2
    (tmp_path / "events").mkdir()
    write_events(events[:half], tmp_path / "events" / "a.parquet")
    write_events(events[half - 3:], tmp_path / "events" / "b.parquet")  # 3 identical twice
    base = ["evaluate", str(rulebook), "--as-of", "2024-06-30", "--format", "json"]
    assert main([*base[:2], str(source), *base[2:], "-o", str(tmp_path / "one.json")]) == 0
    assert main([*base[:2], str(tmp_path / "events" / "*.parquet"), *base[2:],
                 "-o", str(tmp_path / "dask.json"), "--dask", "local", "--quiet"]) == 0
    assert (tmp_path / "dask.json").read_bytes() == (tmp_path / "one.json").read_bytes()
    assert "3 identical duplicate" in capsys.readouterr().err
    assert main([*base[:2], str(tmp_path / "none" / "*.parquet"), *base[2:],
                 "--dask", "local"]) == 2


def test_files_read_and_judged_on_the_workers(client: Any, tmp_path: Path) -> None:
    """Each file read on a worker, the cases (spread over several files, and over partitions
    within one) judged there by the columnar path: the document of one process reading the same
    files, with the rejections of unknown items and posts (with and without a case) in order."""
    import dataclasses

    from wenze.cli.event_files import read_files
    from wenze.fast.distributed import evaluate_dask_files

    rulebook = ROOT / "rules" / "zitong_2008.wz"
    program = _book("zitong_2008.wz").program
    events = list(read_events(ROOT / "examples" / "caseload.jsonl").events)
    events += generate(program, load_profile(), cases=300, seed=11)
    events[3] = dataclasses.replace(events[3], item="不存在的事项")
    events[40] = dataclasses.replace(events[40], post="不存在的岗位")
    events.append(dataclasses.replace(events[7], id="no-case", case="", post="不存在的岗位"))
    paths = []
    for k in range(3):  # every case's events spread over the three files
        paths.append(str(tmp_path / f"events-{k}.parquet"))
        write_events(events[k::3], paths[-1])
    for as_of in (dt.date(2024, 12, 31), dt.date(2024, 6, 30)):
        batch = read_files(paths)
        want = to_json(evaluate(program, list(batch.events), as_of, rejected=batch.rejected))
        for partitions in (None, 5):
            done = evaluate_dask_files(str(rulebook), program, paths, as_of, client,
                                       partitions=partitions)
            assert done is not None
            assert to_json(done[0]) == want, (as_of, partitions)
        assert "不存在的事项" in want and "no-case" in want
    one = str(tmp_path / "all.parquet")  # one file, its cases cut into partitions
    write_events(events, one)
    batch = read_files([one])
    want = to_json(evaluate(program, list(batch.events), dt.date(2024, 12, 31),
                            rejected=batch.rejected))
    done = evaluate_dask_files(str(rulebook), program, [one], dt.date(2024, 12, 31), client,
                               partitions=7)
    assert done is not None and to_json(done[0]) == want
    write_events(events[:5], tmp_path / "again.parquet")  # ids in two files: not judged here
    assert evaluate_dask_files(str(rulebook), program, [one, str(tmp_path / "again.parquet")],
                               dt.date(2024, 12, 31), client) is None


def test_strict_names_the_first_files_first_bad_event(client: Any, tmp_path: Path) -> None:
    """``--strict`` with files read on the workers: the error of one process reading them in
    order (the first file's first bad event), whichever worker failed first."""
    from wenze.events.model import EventError
    from wenze.fast.distributed import evaluate_dask_files

    at = "2024-03-01T09:00:00+08:00"
    for k in range(3):
        lines = [json.dumps({"id": f"e{k}-{i}", "case": f"C{i}", "type": "accepted", "at": at})
                 for i in range(20)]
        lines.insert(5 + k, json.dumps({"id": f"bad-{k}", "case": "C1", "type": "no_such_type",
                                        "at": at}))
        (tmp_path / f"e{k}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = [str(tmp_path / f"e{k}.jsonl") for k in range(3)]
    program = _book("zitong_2008.wz").program
    with pytest.raises(EventError) as err:
        evaluate_dask_files(str(ROOT / "rules" / "zitong_2008.wz"), program, paths,
                            dt.date(2024, 12, 31), client, strict=True)
    assert err.value.rejection.event_id == "bad-0"
