"""The parser: both keyword tables, spans, and errors as diagnostics."""

from pathlib import Path

from wenze.dsl import ast as A
from wenze.dsl.parser import parse

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_statutory_base_parses_in_chinese():
    result = parse((RULES / "statutory_base.wz").read_text(encoding="utf-8"), "base.wz")
    assert result.ok, result.diagnostics
    assert result.rulebook.lang == "zh"
    item = result.rulebook.named(A.ItemDecl)["行政许可"]
    assert item.statutory.duration == A.Duration(20, A.DayKind.WORKING)
    assert item.extension.approved_by == A.Name("延期批准权")


def test_chinese_keywords_need_no_spaces():
    text = '规则集 「甲」 {}\n阶梯 「乙」 {等级「告诫」第3次及以上「告诫」}'
    result = parse(text)
    assert result.ok, result.diagnostics
    esc = result.rulebook.decls[0].escalations[0]
    assert (esc.count, esc.or_more, esc.sanction.text) == (3, True, "告诫")


def test_english_and_chinese_trees_are_equal():
    zh = '规则集 「r」 {}\n事项 「x」 { 法定时限 20 工作日 承诺时限 10 自然日 }'
    en = 'rulebook r {}\nitem x { statutory limit 20 workdays promised limit 10 days }'
    a, b = parse(zh).rulebook, parse(en).rulebook
    assert a.decls == b.decls and a.lang == "zh" and b.lang == "en"


def test_spans_are_kept_but_not_compared():
    result = parse('规则集 「r」 {}\n\n单位 「县国土局」 {}')
    unit = result.rulebook.decls[0]
    assert (unit.span.line, unit.span.col) == (3, 1)
    assert unit.name.span.col == 4
    assert unit == A.UnitDecl(A.Name("县国土局"))


def test_every_broken_declaration_is_reported():
    text = '规则集 「r」 {}\n单位 县国土局 {}\n单位 「好」 {}\n岗位 「p」 { 属于 }\n'
    result = parse(text, "bad.wz")
    assert not result.ok
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("WZ001", 2), ("WZ002", 4)]
    assert "「县国土局」" in result.diagnostics[0].help.zh


def test_impossible_date_is_a_diagnostic():
    result = parse('规则集 「r」 { 生效 2024-02-30 }')
    assert [d.code for d in result.diagnostics] == ["WZ004"]


def test_every_broken_statement_inside_one_declaration_is_reported():
    text = (
        '规则集 「r」 {}\n'
        '事项 「x」 {\n'
        '  法定时限 20\n'  # unit missing: reported where the next statement starts
        '  承诺时限 天 10\n'
        '  预警 提前 1 工作日\n'
        '  单位 「局」 「多余」\n'
        '}\n'
        '单位 「局」 { 上级 }\n'
    )
    result = parse(text, "bad.wz")
    assert not result.ok
    assert [(d.code, d.span.line, d.span.col) for d in result.diagnostics] == [
        ("WZ002", 4, 3), ("WZ002", 4, 8), ("WZ002", 6, 10), ("WZ002", 8, 13),
    ]


def test_keyword_cut_short_gets_a_did_you_mean():
    result = parse('规则集 「r」 {}\n事项 「x」 { 法定时限 20 工作 }\n', "bad.wz")
    (d,) = result.diagnostics
    assert d.code == "WZ001" and "`工作日`" in d.help.zh and "`工作日`" in d.help.en


def test_expected_list_is_chinese_in_chinese():
    result = parse('规则集 「r」 {}\n单位 「局」 { 上级 }\n', "bad.wz")
    (d,) = result.diagnostics
    assert "「名称」" in d.message.zh and "a name" not in d.message.zh


# nodes whose own span is the span of their value (a name, a literal)
_VALUE_NODES = (A.Name, A.Duration, A.NumberLit, A.PercentLit, A.BoolLit, A.StringLit,
                A.Comment, A.DurationLit)


def _unspanned(node: A.Node, path: str) -> list[str]:
    """Every written field of ``node`` (recursively) whose value has no span of its own."""
    import dataclasses

    missing = []
    if node.span == A.NO_SPAN:
        missing.append(path)
    for f in dataclasses.fields(node):
        if f.name in ("span", "field_spans"):
            continue
        value = getattr(node, f.name)
        values = value if isinstance(value, tuple) else (value,)
        for i, v in enumerate(values):
            where = f"{path}.{f.name}" + (f"[{i}]" if isinstance(value, tuple) else "")
            if isinstance(v, A.Node):
                missing += _unspanned(v, where)
            elif isinstance(node, _VALUE_NODES) or f.name == "lang":
                continue
            elif v is None or v is False or v == () or v == f.default:
                continue  # not written: the default
            elif f.name not in node.field_spans:
                missing.append(where)
    return missing


def test_every_node_and_every_written_value_carries_its_span():
    from tests.dsl.test_rulebooks import BLOCKS

    sources = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(RULES.glob("*.wz"))]
    sources += [(f"language.md:{line}", text) for line, text in BLOCKS]
    for name, text in sources:
        rulebook = parse(text, name).rulebook
        missing = _unspanned(rulebook, name)
        assert not missing, missing[:20]


def test_header_effective_dates_have_their_own_spans():
    text = '规则集 「r」 {\n  版本 "1"\n  生效 2008-05-06 至 2012-12-31\n  辖区 "梓潼县"\n}\n'
    header = parse(text, "h.wz").rulebook.header
    start, until = header.span_of("effective_from"), header.span_of("effective_until")
    assert (start.line, start.col, start.end_col) == (3, 6, 16)
    assert (until.line, until.col, until.end_col) == (3, 19, 29)
    assert header.span_of("jurisdiction").line == 4
    assert header.span_of("version").col == 6


def test_a_comment_naming_a_keyword_does_not_derail_recovery():
    # The comment before the post holds the English words `items` and `process`; recovery after
    # the broken header must start the next declaration at `岗位`, not inside the comment.
    text = (
        '规则集 「r」 {}\n'
        '岗位 「甲」 依据 {\n'  # a citation without document and clause: the one real error
        '}\n'
        '# ---- items and process limits\n'
        '岗位 「乙」 { }\n'
    )
    result = parse(text, "bad.wz")
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("WZ002", 2)]


def test_a_missing_opening_brace_is_reported_once():
    text = ('规则集 「r」 {}\n事项 「x」\n  法定时限 20 工作日\n  承诺时限 10 工作日\n}\n'
            '单位 「u」 {}\n')
    result = parse(text, "bad.wz")
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("WZ002", 3)]
    assert "`{`" in result.diagnostics[0].message.en
