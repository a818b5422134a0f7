"""The loader: ``继承`` resolution across files, merging, ``覆盖``, tightening, item flattening."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wenze.dsl import ast as A
from wenze.dsl.loader import check_files, flatten_items, load_rulebook, load_text
from wenze.dsl.parser import parse

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A copy of the statutory base in a temporary folder (so relative paths are ours)."""
    target = tmp_path / "base.wz"
    shutil.copy(RULES / "statutory_base.wz", target)
    return target


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def codes(result) -> list[tuple[str, str, int]]:
    return [(d.code, Path(d.span.file).name, d.span.line) for d in result.diagnostics]


COUNTY = '规则集 「县」 {\n  继承 "base.wz"\n}\n'


def test_a_county_tightens_an_inherited_limit(base: Path) -> None:
    county = write(base.parent / "county.wz", COUNTY + (
        '覆盖 事项 「行政许可」 依据 「行政许可法」 "第四十二条" {\n'
        '  法定时限 15 工作日\n'
        '  延期 5 工作日 批准 「延期批准权」\n'
        '}\n'))
    result = load_rulebook(county)
    assert result.ok, result.diagnostics
    assert result.diagnostics == []
    rulebook = result.rulebook
    assert rulebook is not None
    item = rulebook.named(A.ItemDecl)["行政许可"]
    assert item.statutory.duration == A.Duration(15, A.DayKind.WORKING)
    assert item.span.file == str(county)  # the override replaced the inherited one
    # base declarations first, in the base's order; the override in the inherited one's place
    names = [d.name.text for d in rulebook.decls]
    base_names = [d.name.text for d in parse(base.read_text(encoding="utf-8")).rulebook.decls]
    assert names == base_names
    assert set(result.sources) == {str(county), str(base)}
    assert rulebook.header.name.text == "县"


def test_a_county_may_not_loosen_a_statutory_limit(base: Path) -> None:
    county = write(base.parent / "county.wz", COUNTY + (
        '覆盖 事项 「行政许可」 依据 「行政许可法」 "第四十二条" {\n'
        '  法定时限 25 工作日\n'
        '}\n'))
    result = load_rulebook(county)
    assert not result.ok
    [d] = [d for d in result.diagnostics if d.code == "WZ208"]
    assert (d.span.file, d.span.line) == (str(county), 5)
    assert "25 working days" in d.message.en and "20 working days" in d.message.en
    [lab] = d.labels
    assert lab.span.file == str(base)  # points at the base's limit


def test_a_natural_day_limit_cannot_be_shown_longer_than_working_days(base: Path) -> None:
    county = write(base.parent / "county.wz", COUNTY + (
        '覆盖 事项 「行政许可」 依据 「行政许可法」 "第四十二条" {\n  法定时限 20 自然日\n}\n'))
    assert [c for c in codes(load_rulebook(county)) if c[0] == "WZ208"] == []
    county.write_text(COUNTY + (
        '覆盖 流程 「投资项目核准」 依据 「行政许可法」 "第二十六条" {\n  总时限 61 工作日\n}\n'),
        encoding="utf-8")
    assert ("WZ208", "county.wz", 5) in codes(load_rulebook(county))


def test_redeclaring_without_override_is_an_error(base: Path) -> None:
    county = write(base.parent / "county.wz", COUNTY + '单位 「行政机关」 {}\n')
    result = load_rulebook(county)
    [d] = result.errors
    assert (d.code, d.span.line) == ("WZ106", 4)
    assert "行政机关" in d.message.en
    assert [(lab.span.file, lab.message.en) for lab in d.labels] == [
        (str(base), "first declared here")]


def test_override_of_nothing_is_an_error(base: Path) -> None:
    county = write(base.parent / "county.wz", COUNTY + '覆盖 单位 「县政府」 {}\n')
    result = load_rulebook(county)
    assert codes(result) == [("WZ107", "county.wz", 4)]
    assert "县政府" in result.diagnostics[0].message.zh


def test_a_same_name_of_another_kind_is_not_a_redeclaration(base: Path) -> None:
    county = write(base.parent / "county.wz",
                   COUNTY + '岗位 「行政机关」 { 属于 「行政机关」 分管领导 「机关负责人」 }\n')
    assert load_rulebook(county).diagnostics == []


def test_an_extends_cycle_names_every_file(tmp_path: Path) -> None:
    write(tmp_path / "a.wz", '规则集 a {\n 继承 "b.wz"\n}\n')
    write(tmp_path / "b.wz", '规则集 b {\n 继承 "sub/c.wz"\n}\n')
    write(tmp_path / "sub" / "c.wz", '规则集 c {\n 继承 "../a.wz"\n}\n')
    result = load_rulebook(tmp_path / "a.wz")
    [d] = result.diagnostics
    assert d.code == "WZ105"
    assert (Path(d.span.file).name, d.span.line) == ("c.wz", 2)
    for name in ("a.wz", "b.wz", "c.wz"):
        assert name in d.message.en
    assert [(Path(lab.span.file).name, lab.span.line) for lab in d.labels] == [
        ("a.wz", 2), ("b.wz", 2)]
    assert not result.ok
    assert len(result.sources) == 3


def test_a_file_extending_itself(tmp_path: Path) -> None:
    a = write(tmp_path / "a.wz", '规则集 a { 继承 "a.wz" }\n')
    assert [d.code for d in load_rulebook(a).diagnostics] == ["WZ105"]


def test_a_missing_base_is_reported_at_the_extends_string(tmp_path: Path) -> None:
    county = write(tmp_path / "county.wz", '规则集 「县」 {\n  继承 "nowhere/base.wz"\n}\n'
                                           '单位 「局」 { 上级 「省」 }\n')
    result = load_rulebook(county)
    [d] = result.diagnostics  # no cascade of undefined names from the missing base
    assert d.code == "WZ104"
    assert (d.span.line, d.span.col, d.span.end_col) == (2, 6, 23)  # the quoted string
    assert "nowhere/base.wz" in d.message.en
    assert not result.ok


def test_errors_in_a_base_file_name_that_file(tmp_path: Path) -> None:
    write(tmp_path / "base.wz", '规则集 b {}\n单位 坏 {}\n')
    county = write(tmp_path / "county.wz", '规则集 c { 继承 "base.wz" }\n')
    result = load_rulebook(county)
    assert [(d.code, Path(d.span.file).name) for d in result.diagnostics] == [
        ("WZ001", "base.wz")]
    assert not result.ok


def test_a_diamond_contributes_each_file_once(base: Path) -> None:
    folder = base.parent
    write(folder / "left.wz", '规则集 l { 继承 "base.wz" }\n单位 「左」 {}\n')
    write(folder / "right.wz", '规则集 r { 继承 "base.wz" }\n单位 「右」 {}\n')
    top = write(folder / "top.wz", '规则集 t {\n 继承 "left.wz"\n 继承 "right.wz"\n}\n')
    result = load_rulebook(top)
    assert result.diagnostics == []
    names = [d.name.text for d in result.rulebook.decls]
    assert names.count("行政许可") == 1 and names[-2:] == ["左", "右"]


def test_relative_paths_follow_the_file_that_names_them(tmp_path: Path) -> None:
    write(tmp_path / "rules" / "base.wz", '规则集 b {}\n单位 「局」 {}\n')
    write(tmp_path / "rules" / "city" / "city.wz", '规则集 c { 继承 "../base.wz" }\n')
    county = write(tmp_path / "rules" / "city" / "county" / "county.wz",
                   '规则集 x { 继承 "../city.wz" }\n岗位 「科长」 { 属于 「局」 }\n')
    assert [d.code for d in load_rulebook(county).diagnostics] == ["WZ119"]  # out of its folder
    result = load_rulebook(county, root=tmp_path / "rules")
    assert result.ok and result.diagnostics == []
    # span files are the keys of sources, so every diagnostic can be rendered
    assert {d.span.file for d in result.rulebook.decls} <= set(result.sources)
    assert len(result.sources) == 3


def test_items_are_flattened_recursively_and_keep_their_base(base: Path) -> None:
    county = write(base.parent / "county.wz", COUNTY + (
        '事项 「建设用地」 继承 「行政许可」 依据 「行政许可法」 "第四十二条" {\n'
        '  承诺时限 10 工作日\n}\n'
        '事项 「临时用地」 继承 「建设用地」 依据 「行政许可法」 "第四十二条" {\n'
        '  承诺时限 5 工作日\n}\n'))
    result = load_rulebook(county)
    assert result.ok, result.diagnostics
    items = result.rulebook.named(A.ItemDecl)
    top, mid, leaf = items["行政许可"], items["建设用地"], items["临时用地"]
    assert leaf.base == A.Name("建设用地")
    assert leaf.statutory == top.statutory and leaf.extension == top.extension
    assert leaf.suspension == top.suspension and leaf.warnings == top.warnings
    assert leaf.promised.duration.amount == 5 and mid.promised.duration.amount == 10
    assert leaf.span.file == str(county)


def test_flattening_stops_at_a_cycle() -> None:
    text = ('规则集 r {}\n事项 a 继承 b { 法定时限 5 工作日 }\n事项 b 继承 a { }\n'
            '事项 c 继承 a { }\n')
    rulebook = flatten_items(parse(text).rulebook)
    items = rulebook.named(A.ItemDecl)
    assert items["b"].statutory == items["a"].statutory
    assert items["c"].statutory == items["a"].statutory


def test_check_files_reports_each_diagnostic_once(base: Path) -> None:
    one = write(base.parent / "one.wz", COUNTY + '单位 「局」 { 上级 「省」 }\n')
    two = write(base.parent / "two.wz", COUNTY)
    diagnostics, sources = check_files([one, two, one])
    assert [(d.code, Path(d.span.file).name) for d in diagnostics] == [("WZ101", "one.wz")]
    assert set(sources) == {str(one), str(two), str(base)}


def test_an_unreadable_file_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        load_rulebook(tmp_path / "missing.wz")
    bad = tmp_path / "latin1.wz"
    bad.write_bytes("规则集 r {}".encode("gb18030"))
    with pytest.raises(OSError):
        check_files([bad])


def test_the_statutory_base_loads_clean() -> None:
    result = load_rulebook(RULES / "statutory_base.wz")
    assert result.ok and result.diagnostics == []
    assert result.rulebook.named(A.ItemDecl)["行政许可"].statutory is not None


def test_a_base_item_inherits_the_county_override(tmp_path: Path) -> None:
    write(tmp_path / "base.wz", '规则集 b {}\n文件 「法」 {}\n'
          '事项 「许可」 依据 「法」 "1" { 法定时限 20 工作日 补正告知 5 工作日 }\n'
          '事项 「用地」 继承 「许可」 依据 「法」 "2" {}\n')
    county = write(tmp_path / "county.wz", '规则集 c { 继承 "base.wz" }\n'
                   '覆盖 事项 「许可」 依据 「法」 "1" { 法定时限 15 工作日 }\n')
    result = load_rulebook(county)
    assert result.ok, result.diagnostics
    land = result.rulebook.named(A.ItemDecl)["用地"]
    assert land.statutory.duration.amount == 15  # the county's limit, not the base's 20
    assert land.correction is None  # the override replaced 「许可」 as a whole


def test_text_in_memory_loads_relative_to_its_file_name(base: Path) -> None:
    result = load_text(COUNTY + '单位 「局」 { 上级 「省」 }\n', str(base.parent / "mem.wz"))
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("WZ101", 4)]
    assert str(base) in result.sources


def test_a_file_with_syntax_errors_gets_those_and_the_other_files_everything(tmp_path) -> None:
    """docs/language.md §14, what is reported when: a file that does not parse gets its syntax
    errors only; a file named with it still gets its semantic diagnostics."""
    from wenze.dsl.loader import check_files

    broken = tmp_path / "broken.wz"
    broken.write_text('规则集 「甲」 { 版本 "1" }\n'
                      '事项 「甲」 {\n  单位 「无」\n  法定时限 ：20 工作日\n}\n', encoding="utf-8")
    fine = tmp_path / "fine.wz"
    fine.write_text('规则集 「乙」 { 版本 "1" }\n'
                    '事项 「乙」 {\n  单位 「无」\n  法定时限 20 工作日\n}\n', encoding="utf-8")
    diagnostics, _ = check_files([broken, fine])
    by_file = {(d.span.file.rsplit("/", 1)[-1], d.code) for d in diagnostics}
    assert ("broken.wz", "WZ001") in by_file and ("broken.wz", "WZ101") not in by_file
    assert ("fine.wz", "WZ101") in by_file
