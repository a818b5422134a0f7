"""``wenze check`` and ``wenze fmt`` through ``wenze.cli.main``: exit codes 0/1/2 and output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from wenze.cli import main
from wenze.dsl.formatter import format_text

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden")
GOOD = GOLDEN / "good" / "english.wz"
BAD = GOLDEN / "bad" / "names_duplicate_undefined.wz"
UNPARSEABLE = GOLDEN / "bad" / "fullwidth_colon.wz"


def test_check_clean_rulebooks_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    rules = sorted(str(p) for p in (ROOT / "rules").glob("*.wz"))
    assert main(["check", *rules, str(GOOD)]) == 0
    assert capsys.readouterr().out.strip() == "未发现问题"


def test_check_errors_exit_1_in_chinese_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BAD)]) == 1
    out = capsys.readouterr().out
    assert f"{BAD}:4:4: 错误[WZ103]: 单位 `局` 重复声明" in out
    assert out.rstrip().endswith("4 个错误，2 个警告")


def test_check_english_and_several_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--lang", "en", str(GOOD), str(UNPARSEABLE)]) == 1
    out = capsys.readouterr().out
    assert f"{UNPARSEABLE}:3:7: error[WZ001]: unexpected character `：`" in out
    assert "help: no colon is needed here" in out
    assert out.rstrip().endswith("1 error")


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", str(BAD)]) == 1
    entries = json.loads(capsys.readouterr().out)
    assert [e["code"] for e in entries] == ["WZ103", "WZ109", "WZ205", "WZ109", "WZ205",
                                            "WZ101"]
    assert entries[-1]["suggestions"] == ["县国土资源局"]
    assert entries[0]["file"] == str(BAD) and entries[0]["line"] == 4


def test_check_unreadable_file_exits_2_naming_it(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.wz"
    assert main(["check", str(GOOD), str(missing)]) == 2
    assert f"`{missing}`" in capsys.readouterr().err
    binary = tmp_path / "binary.wz"
    binary.write_bytes(b"\xff\xfe\x00rulebook")
    assert main(["check", "--lang", "en", str(binary)]) == 2
    err = capsys.readouterr().err
    assert f"cannot read `{binary}`" in err and "not UTF-8" in err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["check", "--format", "xml", str(GOOD)])
    assert info.value.code == 2


def test_fmt_rewrites_in_place_and_check_reports(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    messy = tmp_path / "messy.wz"
    messy.write_text('规则集 「测」 { 版本 "1" }\n文件 「法」 {文号 "x"}  # kept\n',
                     encoding="utf-8")
    tidy = tmp_path / "tidy.wz"
    shutil.copy(ROOT / "rules" / "statutory_base.wz", tidy)
    tidy.write_text(format_text(tidy.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["fmt", "--check", str(messy), str(tidy)]) == 1
    assert capsys.readouterr().out.splitlines() == [str(messy)]
    assert main(["fmt", str(messy), str(tidy)]) == 0
    assert messy.read_text(encoding="utf-8") == (
        '规则集 「测」 {\n  版本 "1"\n}\n\n文件 「法」 {\n  文号 "x"\n}  # kept\n')
    assert main(["fmt", "--check", str(messy), str(tidy)]) == 0


def test_fmt_translates_keywords(tmp_path: Path) -> None:
    path = tmp_path / "a.wz"
    path.write_text("规则集 r {}\n单位 「局」 { 主要领导 boss }\n", encoding="utf-8")
    assert main(["fmt", "--lang", "en", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == (
        "rulebook r {}\n\nunit 「局」 {\n  chief leader boss\n}\n")


def test_fmt_unparseable_file_is_left_alone(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.wz"
    text = UNPARSEABLE.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    assert "错误[WZ001]" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == text
    assert main(["fmt", str(tmp_path / "none.wz")]) == 2
