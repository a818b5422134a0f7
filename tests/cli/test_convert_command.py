"""``wenze convert`` and ``wenze evaluate`` on Parquet and Arrow files: JSON Lines → Parquet →
Arrow → JSON Lines keeps every event; each file evaluates to the JSON document of the original,
byte for byte, with either evaluator; rejected events are reported, ``--strict`` writes nothing;
CSV through its mapping; ``--format jsonl``/``parquet`` from the command line; the progress line
stays off a file or pipe."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from wenze.cli import main
from wenze.cli import progress as P
from wenze.events.arrow import read_arrow
from wenze.events.readers import read_events

ROOT = Path(__file__).resolve().parents[2]
RULEBOOK = ROOT / "rules" / "zitong_2008.wz"
EVENTS = ROOT / "examples" / "caseload.jsonl"


def _evaluate(events: Path, out: Path, *extra: str) -> bytes:
    code = main(["evaluate", str(RULEBOOK), str(events), "--as-of", "2024-06-30",
                 "--format", "json", "-o", str(out), *extra])
    assert code == 0
    return out.read_bytes()


def test_round_trip_and_the_same_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    parquet, arrow, back = tmp_path / "e.parquet", tmp_path / "e.arrow", tmp_path / "back.jsonl"
    assert main(["convert", str(EVENTS), "-o", str(parquet)]) == 0
    assert main(["convert", str(parquet), "-o", str(arrow)]) == 0
    assert main(["convert", str(arrow), "-o", str(back)]) == 0
    err = capsys.readouterr().err
    assert err.count("309 event(s) written") == 3
    assert pq.read_table(parquet).num_rows == 309
    assert read_events(back).events == read_events(EVENTS).events
    want = _evaluate(EVENTS, tmp_path / "want.json", "--evaluator", "reference")
    assert json.loads(want)["decisions"]
    for path in (parquet, arrow, back):
        for evaluator in ("reference", "columnar", "auto"):
            got = _evaluate(path, tmp_path / f"{path.suffix}-{evaluator}.json",
                            "--evaluator", evaluator)
            assert got == want, (path, evaluator)


def test_rejected_events_are_reported_and_strict_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = EVENTS.read_text(encoding="utf-8").splitlines()[:20]
    lines[3] = lines[3].replace('"at": "', '"at": "not a time ')
    lines.insert(5, "{bad json")
    src = tmp_path / "odd.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "odd.parquet"
    assert main(["convert", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{src}:4: rejected event" in err and "[bad_time]" in err
    assert f"{src}:6: rejected event ?: [bad_json]" in err
    assert "19 event(s) written" in err and "2 rejected" in err
    assert len(read_arrow(out).columns) == 19
    strict = tmp_path / "strict.parquet"
    assert main(["convert", str(src), "-o", str(strict), "--strict"]) == 1
    assert not strict.exists()
    assert main(["convert", str(src), "-o", str(tmp_path / "x.txt")]) == 2
    assert main(["convert", str(tmp_path / "missing.jsonl"), "-o", str(out)]) == 2


def test_a_csv_log_through_its_mapping(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "log.csv"
    src.write_text("case,activity,time,who\n"
                   "C1,收件,2024-03-01T09:00:00+08:00,张三\n"
                   "C1,受理,2024-03-01T10:00:00+08:00,张三\n"
                   "C2,受理,2024-03-01 10:00:00,李四\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('case = "case"\nat = "time"\nactivity = "activity"\nactor = "who"\n'
                       'default_type = ""\n[activities]\n"收件" = "收件"\n"受理" = "受理"\n',
                       encoding="utf-8")
    out = tmp_path / "log.parquet"
    assert main(["convert", str(src), "-o", str(out), "--mapping", str(mapping)]) == 0
    assert "[naive_time]" in capsys.readouterr().err
    events = list(read_arrow(out).columns.events)
    assert [(e.id, e.type.value, e.actor) for e in events] == \
        [("C1#1", "received", "张三"), ("C1#2", "accepted", "张三")]


def test_evaluate_writes_jsonl_and_parquet(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_evaluate(EVENTS, tmp_path / "doc.json"))
    base = ["evaluate", str(RULEBOOK), str(EVENTS), "--as-of", "2024-06-30"]
    capsys.readouterr()
    assert main([*base, "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(x) for x in out.splitlines()] == doc["decisions"]
    assert "warning(s)" in err and "\r" not in err  # what was left out; no progress line
    assert main([*base, "--format", "jsonl", "-o", str(tmp_path / "run")]) == 0
    got = (tmp_path / "run" / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in got] == doc["metrics"]
    assert main([*base, "--format", "parquet", "-o", str(tmp_path / "pq")]) == 0
    assert pq.read_table(tmp_path / "pq" / "decisions.parquet").num_rows == \
        len(doc["decisions"])
    assert main([*base, "--format", "parquet"]) == 2
    assert "-o DIR" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(P, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(P, "_EVERY", 0.0)
    term = _Terminal()
    bar = P.Progress(stream=term)
    bar.begin("writing decisions", total=200)
    bar.update(50)
    bar.end()
    text = term.getvalue()
    assert "writing decisions [" in text and " 25% 50/200 " in text and text.endswith(" s\n")
    for quiet in (P.Progress(enabled=False, stream=_Terminal()), P.Progress(stream=io.StringIO())):
        quiet.begin("writing decisions", total=10)
        quiet.update(5)
        quiet.end()
        assert quiet.stream.getvalue() == ""
    monkeypatch.setattr(P, "SHOW_AFTER", 3600.0)  # a short stage shows nothing
    short = P.Progress(stream=_Terminal())
    short.begin("reading events")
    short.update(1)
    short.end()
    assert short.stream.getvalue() == ""
