"""The citation check (``wenze.dsl.citations``, ``wenze check --sources DIR``): every citation
resolved to its clause's text, every number a declaration states found in the clause it cites —
on a small rulebook and document, and on every shipped rulebook against the shipped texts."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from wenze.dsl.citations import check_citations, check_texts, load_sources
from wenze.dsl.loader import load_rulebook
from wenze.dsl.parser import parse

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "rules" / "sources"
SEEDS = ROOT.parent / "shared" / "seeds"

DOCUMENT = """县人民政府办公室文件
一、总则
（一）首问负责。首问人员须在三个工作日内答复。
（二）限时办结。按时办结率达百分之九十五以上，按季度统计。
二、责任追究
1、一年内两次以上超时的，给予通报批评。
"""

RULEBOOK = """规则集 「测试县规则」 依据 「测试县意见」 "一" {
  生效 2020-01-01
}

文件 「测试县意见」 {
  文号 "测试县发[2020]1号"
}

单位 「县政务中心」 依据 「测试县意见」 "一、（一）" {
}

事项 「咨询答复」 依据 「测试县意见」 "一、（一）" {
  单位 「县政务中心」
  法定时限 3 工作日 依据 「测试县意见」 "一、（一）"
  预警 提前 1 工作日
}

目标 「按时办结率」 依据 「测试县意见」 "一、（二）" {
  指标 「按时办结率」 >= 95%
  周期 季度
}

目标 「现场办结率」 依据 「测试县意见」 "一（二）" {
  指标 「现场办结率」 >= 90%
  周期 年度
}

违规 「咨询超时」 依据 「测试县意见」 "二、1" {
  针对 案件
  当 「超法定天数」 > 0
  责任 直接责任人
  阶梯 「通报」
}

阶梯 「通报」 依据 「测试县意见」 "二、2" {
  计次期间 滚动 12 个月
  等级 「通报批评」
  第 1 次 「通报批评」
}

岗位 「窗口」 依据 「行政许可法」 "第三十二条" {
  属于 「县政务中心」
}

文件 「行政许可法」 {
  标题 "中华人民共和国行政许可法"
}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    src = tmp_path / "sources"
    src.mkdir()
    (src / "测试县意见.txt").write_text(DOCUMENT, encoding="utf-8")
    (tmp_path / "county.wz").write_text(RULEBOOK, encoding="utf-8")
    return tmp_path


def report_of(folder: Path):
    book = parse(RULEBOOK, "county.wz").rulebook
    assert book is not None
    return check_citations([book], load_sources(folder / "sources"))


def found(report) -> list[tuple[str, int, str]]:
    return [(d.code, d.span.line, d.message.en) for d in report.diagnostics]


def test_supported_numbers_pass_and_unsupported_ones_are_warned(folder: Path) -> None:
    report = report_of(folder)
    codes = [(code, line) for code, line, _ in found(report)]
    # 3 working days and 95% and 季度 are in their clauses; the warning's 1 day is not
    assert ("WZ602", 15) in codes  # 预警 提前 1 工作日 covered by the item's 一、（一）
    assert not any(line in (14, 19, 20) for _, line in codes)
    # 90% and 年度 are not in 一、（二）
    assert ("WZ602", 24) in codes and ("WZ602", 25) in codes
    # the ladder cites 二、2, which does not exist (the text has 二、1 only)
    assert ("WZ601", 35) in codes
    # a ladder's numbers are not judged when its clause does not resolve: one warning only
    assert not any(line in (36, 38) for _, line in codes)
    assert len(codes) == 4


def test_the_message_names_the_number_and_the_clause(folder: Path) -> None:
    messages = [m for code, line, m in found(report_of(folder)) if line == 24]
    assert messages == ["`90%` stated by 目标 「现场办结率」 does not occur in the cited clause "
                        "「测试县意见」 \"一（二）\""]


def test_documents_without_text_are_counted_not_judged(folder: Path) -> None:
    report = report_of(folder)
    assert report.unchecked == {"行政许可法": 1}
    assert not any(d.span.line == 41 for d in report.diagnostics)


def test_a_document_is_found_by_its_number_too(folder: Path) -> None:
    (folder / "sources" / "测试县意见.txt").rename(folder / "sources" / "other.txt")
    (folder / "sources" / "sources.toml").write_text(
        '[[document]]\nfile = "other.txt"\nnames = ["测试县发[2020]1号"]\n', encoding="utf-8")
    report = report_of(folder)
    assert "测试县意见" not in report.unchecked
    assert any(d.code == "WZ601" for d in report.diagnostics)


def test_a_clause_that_comes_close_is_suggested(folder: Path) -> None:
    text = RULEBOOK.replace('"二、2"', '"（一）"')
    book = parse(text, "county.wz").rulebook
    report = check_citations([book], load_sources(folder / "sources"))  # type: ignore[list-item]
    missing = [d for d in report.diagnostics if d.code == "WZ601"]
    assert missing and missing[0].suggestions == ("一、（一）",)


def test_a_truncated_text_says_so(folder: Path) -> None:
    (folder / "sources" / "sources.toml").write_text(
        '[[document]]\nfile = "测试县意见.txt"\nend = "二、责任追究"\ntruncated = true\n',
        encoding="utf-8")
    text = RULEBOOK.replace('"二、2"', '"二、1"')
    book = parse(text, "county.wz").rulebook
    report = check_citations([book], load_sources(folder / "sources"))  # type: ignore[list-item]
    assert [d.code for d in report.diagnostics if d.span.line in (28, 35)] == ["WZ603", "WZ603"]


def test_a_clause_not_written_in_headings(folder: Path) -> None:
    text = RULEBOOK.replace('"一、（二）"', '"限时办结"')
    book = parse(text, "county.wz").rulebook
    report = check_citations([book], load_sources(folder / "sources"))  # type: ignore[list-item]
    assert [d.code for d in report.diagnostics if d.span.line == 18] == ["WZ604"]


def test_check_command_with_sources(folder: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "wenze", "check", "--sources", "sources", "county.wz",
         "--lang", "en"],
        cwd=folder, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr  # warnings only
    assert "warning[WZ602]" in run.stdout and "warning[WZ601]" in run.stdout
    assert "county.wz:15:" in run.stdout
    assert "「行政许可法」 (1)" in run.stderr


def test_check_command_without_the_folder(folder: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "wenze", "check", "--sources", "nowhere", "county.wz"],
        cwd=folder, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 2
    assert "nowhere" in run.stderr and "Traceback" not in run.stderr


# --------------------------------------------------------------------------- shipped rulebooks

SEED_RULEBOOKS = ["zitong_2008.wz", "foshan_2005.wz", "fujian_2010.wz", "luzhou_2009.wz",
                  "yingshan_2009.wz"]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "rules").glob("*.wz")))
def test_every_shipped_citation_is_supported(name: str) -> None:
    result = load_rulebook(ROOT / "rules" / name)
    report = check_texts(result.sources, load_sources(SOURCES))
    assert [(d.code, d.span.file, d.span.line, d.message.zh) for d in report.diagnostics] == []


@pytest.mark.parametrize("name", SEED_RULEBOOKS)
def test_seed_rulebooks_cite_their_text(name: str) -> None:
    result = load_rulebook(ROOT / "rules" / name)
    report = check_texts(result.sources, load_sources(SOURCES))
    checked = [r for r in report.results if r.status == "supported"]
    assert len(checked) >= 10, "a seed rulebook rests on its seed's clauses"


def test_sources_are_the_seed_texts() -> None:
    meta = tomllib.loads((SOURCES / "sources.toml").read_text(encoding="utf-8"))
    files = {e["file"] for e in meta["document"]}
    assert files == {p.name for p in SOURCES.glob("*.txt")}
    if not SEEDS.is_dir():
        pytest.skip("the seed folder ../shared/seeds is not here")
    for entry in meta["document"]:
        seed = entry["origin"].split()[1].rstrip(":")
        assert (SOURCES / entry["file"]).read_bytes() == (SEEDS / seed).read_bytes(), seed


# the statutes the shipped rulebooks cite, whose texts are not in rules/sources
STATUTES = {"行政许可法", "投资项目核准办法"}


@pytest.mark.parametrize("name", SEED_RULEBOOKS)
def test_numbers_no_text_states_rest_on_a_named_assumption(name: str) -> None:
    """Every number of a seed rulebook that its document's text does not state rests on a document
    named as an assumption (…（示例，非原文）) or on the statute — never on the seed alone."""
    result = load_rulebook(ROOT / "rules" / name)
    own = {f: t for f, t in result.sources.items() if f.endswith(name)}
    report = check_texts(own, load_sources(SOURCES))
    assert report.relied, "the seeds give no promised limits: some numbers must be assumed"
    for r in report.relied:
        assert any("非原文" in d or d in STATUTES for d in r.documents), r


def test_a_number_resting_on_an_unread_document_is_listed(folder: Path) -> None:
    text = RULEBOOK.replace('''  预警 提前 1 工作日
''', '''  预警 提前 1 工作日 依据 「细则（示例，非原文）」 "预警"
''') + '\n文件 「细则（示例，非原文）」 {\n  标题 "细则"\n}\n'
    book = parse(text, "county.wz").rulebook
    report = check_citations([book], load_sources(folder / "sources"))  # type: ignore[list-item]
    assert not any(d.span.line == 15 for d in report.diagnostics)
    assert [(r.line, r.number, r.documents) for r in report.relied] == [
        (15, "1 工作日", ("细则（示例，非原文）",))]
