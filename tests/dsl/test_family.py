"""Rulebook families: versions in force one after another, their checks (WZ7xx), 废止, and the
change log of `wenze diff FAMILY`."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from wenze.dsl import ast as A
from wenze.dsl.family import load_family
from wenze.dsl.formatter import format_text
from wenze.dsl.loader import load_rulebook
from wenze.dsl.parser import parse

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "rules" / "versions"


def _codes(load) -> list[str]:
    return sorted(d.code for d in load.diagnostics)


def test_the_shipped_family_checks_clean_and_knows_which_version_is_in_force():
    fam = load_family(SHIPPED / "family.wz")
    assert fam.ok, [(d.code, d.message.en) for d in fam.diagnostics]
    assert [v.label for v in fam.versions] == ["2019", "2022"]
    first, second = fam.versions
    assert (first.effective_from, first.effective_until) == (dt.date(2019, 1, 1),
                                                             dt.date(2021, 12, 31))
    assert (second.effective_from, second.effective_until) == (dt.date(2022, 1, 1), None)
    assert fam.version_on(dt.date(2021, 12, 31)) is first
    assert fam.version_on(dt.date(2022, 1, 1)) is second
    assert fam.version_on(dt.date(2018, 12, 31)) is None


def test_repeal_removes_the_inherited_declaration():
    merged = load_rulebook(SHIPPED / "v2022.wz").rulebook
    violations = set(merged.named(A.ViolationDecl))
    assert violations == {"超过法定时限", "决定越权"}  # 中止事由不合法 repealed, 决定越权 added
    assert not any(isinstance(d, A.Repeal) for d in merged.decls)


def test_repeal_of_nothing_inherited_is_an_error(tmp_path: Path):
    f = tmp_path / "a.wz"
    f.write_text("规则集 「a」 {\n  生效 2022-01-01\n}\n\n废止 违规 「没有这个」\n",
                 encoding="utf-8")
    loaded = load_rulebook(f)
    assert [d.code for d in loaded.errors] == ["WZ707"]
    assert loaded.errors[0].span.line == 5


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_repeal_round_trips_through_the_formatter(lang: str):
    text = ('规则集 「a」 {\n  生效 2022-01-01\n}\n\n'
            '废止 违规 「推诿」 依据 「办法」 "第五条"\n')
    once = format_text(text, lang=lang)
    a, b = parse(once).rulebook, parse(text).rulebook
    assert (a.header, a.decls) == (b.header, b.decls)
    assert format_text(once, lang=lang) == once
    assert ("repeal violation 「推诿」 basis" in once) == (lang == "en")


def _family(tmp_path: Path, versions: dict[str, str], listed: list[str] | None = None) -> Path:
    for name, header in versions.items():
        (tmp_path / name).write_text(f"规则集 「县规则」 {{\n{header}\n}}\n", encoding="utf-8")
    lines = "".join(f'  版本 "{n}"\n' for n in (listed if listed is not None else versions))
    path = tmp_path / "family.wz"
    path.write_text(f"规则族 「县规则」 {{\n{lines}}}\n", encoding="utf-8")
    return path


def test_periods_that_overlap_or_leave_a_gap(tmp_path: Path):
    overlap = _family(tmp_path, {"a.wz": "  生效 2020-01-01 至 2022-06-30",
                                 "b.wz": "  生效 2022-01-01"})
    assert _codes(load_family(overlap)) == ["WZ703"]
    p = tmp_path / "a.wz"
    p.write_text(p.read_text().replace("至 2022-06-30", "至 2021-06-30"), encoding="utf-8")
    fam = load_family(overlap)
    assert _codes(fam) == ["WZ704"]
    assert "2021-07-01" in fam.diagnostics[0].message.zh
    p.write_text(p.read_text().replace("至 2021-06-30", "至 2021-12-31"), encoding="utf-8")
    assert _codes(load_family(overlap)) == []


def test_a_version_without_a_date_missing_or_broken(tmp_path: Path):
    assert _codes(load_family(_family(tmp_path, {"a.wz": "  版本 \"1\""}))) == ["WZ702"]
    assert "WZ705" in _codes(load_family(_family(tmp_path, {}, ["nowhere.wz"])))
    broken = _family(tmp_path, {"a.wz": "  生效 2020-01-01\n  生效"})
    assert "WZ705" in _codes(load_family(broken))
    outside = _family(tmp_path, {}, ["../elsewhere.wz", "/etc/passwd"])
    fam = load_family(outside)
    assert _codes(fam) == ["WZ705", "WZ705"]
    assert all("不在规则族文件所在的文件夹内" in d.message.zh for d in fam.diagnostics)
    empty = tmp_path / "empty.wz"
    empty.write_text("规则族 「县规则」 {\n}\n", encoding="utf-8")
    assert _codes(load_family(empty)) == ["WZ701"]


def test_a_silent_change_between_standalone_versions(tmp_path: Path):
    v1 = (ROOT / "rules/versions/v2019.wz").read_text(encoding="utf-8")
    (tmp_path / "v2019.wz").write_text(v1, encoding="utf-8")
    restated = (v1.replace("生效 2019-01-01", "生效 2022-01-01")
                .replace("法定时限 20 工作日", "法定时限 15 工作日"))
    (tmp_path / "v2022.wz").write_text(restated, encoding="utf-8")
    (tmp_path / "family.wz").write_text(
        '规则族 「示例」 {\n  版本 "v2019.wz"\n  版本 "v2022.wz"\n}\n', encoding="utf-8")
    fam = load_family(tmp_path / "family.wz")
    silent = [d for d in fam.diagnostics if d.code == "WZ706"]
    assert [d.span.file for d in silent] == [str(tmp_path / "v2022.wz")]
    assert "建设工程规划许可" in silent[0].message.zh and not silent[0].is_error


def _wenze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wenze", *args], capture_output=True, text=True,
                          cwd=ROOT)


def test_the_commands_take_a_family():
    check = _wenze("check", "rules/versions/family.wz")
    assert check.returncode == 0 and "未发现问题" in check.stdout, check.stdout + check.stderr
    log = _wenze("diff", "rules/versions/family.wz")
    assert log.returncode == 0, log.stderr
    for line in ("版本 2019（2019-01-01 起）→ 版本 2022（2022-01-01 起）",
                 "事项 「建设工程规划许可」：法定时限 由 20 工作日 改为 15 工作日",
                 "阶梯 「效能问责」：第 1 次 由 「通报批评」 改为 「效能告诫」",
                 "废止 违规 「中止事由不合法」",
                 "新增 违规 「决定越权」"):
        assert line in log.stdout
    assert _wenze("fmt", "--check", "rules/versions/family.wz").returncode == 0
