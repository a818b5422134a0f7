"""``wenze evaluate``: formats, explain, decision letters, rejected events on stderr, exit codes."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from wenze.cli import evaluate as commands

CASES = Path(__file__).resolve().parents[1] / "cases"
SF = CASES / "spring_festival_deadline"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    commands.add_arguments(parser)
    code = commands.run(parser.parse_args([str(a) for a in argv]))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_the_decision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "2024-06-30")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("SF-LATE"))
    assert "王芳" in row and "效能告诫" in row and "2024-03-07" in row
    header, rule = out.splitlines()[1:3]
    from wenze.report.output import width

    assert width(header.split("key")[0]) == width(rule.rsplit("  ", 1)[0]) + 2  # CJK-aligned


def test_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "2024-06-30",
                       "--format", "json")
    doc = json.loads(out)
    assert code == 0 and [d["case"] for d in doc["decisions"]] == ["SF-LATE"]
    d = doc["decisions"][0]
    assert d["dates"]["deadline_statutory"] == "2024-03-06"
    assert d["basis"][0]["number"] == "中华人民共和国主席令第29号"
    assert d["ladder"]["count_in_window"] == 1
    code, out, _ = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "2024-06-30",
                       "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["person"] == "王芳" and rows[0]["sanction"] == "效能告诫"


def test_explain_shows_every_day_and_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "2024-06-30",
                       "--explain", "SF-LATE")
    assert code == 0
    assert "2024-02-04 周日 调休上班" in out  # the make-up Sunday counts
    assert "2024-02-12 周一 法定节假日（春节） 不计" in out
    assert "→ 2024-03-06" in out
    assert "✔ 成立" in out and "超法定天数=1" in out
    assert "效能告诫" in out


def test_decision_letter(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "2024-06-30",
                    "--format", "json")
    key = json.loads(out)["decisions"][0]["key"]
    code, out, _ = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "2024-06-30",
                       "--decision", key)
    assert code == 0
    for text in ("效能问责决定书", "被问责人：王芳", "中华人民共和国主席令第29号", "第四十二条",
                 "法定期限届满日：2024-03-06", "给予王芳「效能告诫」处理"):
        assert text in out


def test_rejected_events_are_reported_and_the_rest_evaluated(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    lines = (SF / "events.jsonl").read_text(encoding="utf-8").splitlines()
    at = "2024-03-01T09:00+08:00"
    lines.insert(2, json.dumps({"id": "bad-1", "case": "X", "type": "teleported", "at": at}))
    lines.insert(3, json.dumps({"id": "bad-2", "case": "X", "type": "received", "at": at,
                                "item": "没有的事项"}, ensure_ascii=False))
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, SF / "rulebook.wz", events, "--as-of", "2024-06-30")
    assert code == 0 and "SF-LATE" in out
    assert f"{events}:3: rejected event bad-1" in err
    assert f"{events}:4: rejected event bad-2: [unknown_item]" in err
    code, _, _ = run(capsys, SF / "rulebook.wz", events, "--as-of", "2024-06-30", "--strict")
    assert code == 1


def test_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = CASES / "rulebook_error"
    code, _, err = run(capsys, bad / "rulebook.wz", bad / "events.jsonl", "--as-of", "2024-06-30")
    assert code == 1 and "不存在的阶梯" in err
    code, _, _ = run(capsys, SF / "rulebook.wz", tmp_path / "missing.jsonl", "--as-of",
                     "2024-06-30")
    assert code == 2
    code, _, _ = run(capsys, tmp_path / "missing.wz", SF / "events.jsonl", "--as-of", "2024-06-30")
    assert code == 2
    code, _, _ = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "30/06/2024")
    assert code == 2


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    shutil.copy(SF / "events.jsonl", tmp_path / "e.jsonl")
    code, out, _ = run(capsys, SF / "rulebook.wz", tmp_path / "e.jsonl", "--as-of", "2024-06-30",
                       "--format", "json", "-o", target)
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["decisions"]


def test_strict_stops_at_the_first_rulebook_name_error(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Events the reader accepts but the rulebook cannot place (unknown item, then unknown post):
    # --strict reports the first one only, as an error, and prints no decisions.
    events = tmp_path / "events.jsonl"
    lines = (SF / "events.jsonl").read_text(encoding="utf-8").splitlines()
    at = "2024-03-01T09:00+08:00"
    lines.insert(1, json.dumps({"id": "bad-1", "case": "X", "type": "received", "at": at,
                                "item": "没有的事项"}, ensure_ascii=False))
    lines.insert(3, json.dumps({"id": "bad-2", "case": "Y", "type": "received", "at": at,
                                "post": "没有的岗位"}, ensure_ascii=False))
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, SF / "rulebook.wz", events, "--as-of", "2024-06-30", "--strict")
    assert code == 1 and out == ""
    assert err.startswith(f"error: {events}:2: event bad-1: [unknown_item]")
    assert "bad-2" not in err


def test_a_2027_date_is_an_error_naming_case_and_event(capsys: pytest.CaptureFixture[str]) -> None:
    # chinesecalendar knows the holidays up to 2026: a decision dated 2027 is not guessed
    case = CASES / "calendar_2027"
    code, out, err = run(capsys, case / "rulebook.wz", case / "events.jsonl", "--as-of",
                         "2027-01-31")
    assert code == 0 and "IN-2026" in out and "INTO-2027" not in out.split("未能评判")[0]
    assert (f"case INTO-2027: not judged [calendar_range] (event X27-9, "
            f"{case / 'events.jsonl'}:6) 日期 2027-01-20 超出日历已知范围") in err
    code, out, err = run(capsys, case / "rulebook.wz", case / "events.jsonl", "--as-of",
                         "2027-01-31", "--strict")
    assert code == 1 and out == "" and err.startswith("error: case INTO-2027: not judged")


def test_explain_of_an_unknown_case_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, SF / "rulebook.wz", SF / "events.jsonl", "--as-of", "2024-06-30",
                         "--explain", "NO-SUCH-CASE")
    assert code == 2 and out == "" and "no events for case `NO-SUCH-CASE`" in err


def test_explain_takes_a_case_with_or_without_brackets(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """`--explain 「F」` as a rulebook writes names, or `--explain F`: the same explanation, which
    says which party was not found and why."""
    from wenze.cli import main

    case = Path(__file__).resolve().parents[1] / "cases" / "parties_missing"
    texts = []
    for wanted in ("F", "「F」"):
        assert main(["evaluate", str(case / "rulebook.wz"), str(case / "events.jsonl"),
                     "--as-of", "2024-06-30", "--explain", wanted]) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1]
    assert "party missing: 决定人：案件中没有「决定」行为" in texts[0]
