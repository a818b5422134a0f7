"""The formatter: idempotent, keeps the tree (both keyword languages), keeps every comment, prints
the fewest parentheses, brackets exactly the names that need it."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.dsl.generate import random_expr, random_rulebook
from wenze.dsl import ast as A
from wenze.dsl.diagnostics import RulebookError
from wenze.dsl.formatter import format_name, format_rulebook, format_text, try_format_text
from wenze.dsl.parser import parse

RULES = sorted((Path(__file__).resolve().parents[2] / "rules").glob("*.wz"))


def _tree(text: str) -> A.Rulebook:
    result = parse(text)
    assert result.ok, result.diagnostics
    assert result.rulebook is not None
    return result.rulebook


@pytest.mark.parametrize("path", RULES, ids=[p.stem for p in RULES])
def test_rulebooks_round_trip_in_both_languages(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    original = _tree(text)
    formatted = format_text(text, path.name)
    assert format_text(formatted, path.name) == formatted
    assert _tree(formatted) == original
    other = "en" if original.lang == "zh" else "zh"
    translated = format_text(text, path.name, other)
    assert _tree(translated) == replace(original, lang=other)
    assert format_text(translated, path.name, other) == translated
    back = format_text(translated, path.name, original.lang)
    assert _tree(back) == original
    assert back == formatted  # comments and layout survive the trip too


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), wild=st.booleans(), lang=st.sampled_from(["zh", "en"]))
def test_generated_rulebooks_round_trip(seed: int, wild: bool, lang: str) -> None:
    rulebook = random_rulebook(random.Random(seed), 4, wild=wild, lang=lang)
    text = format_rulebook(rulebook)
    assert _tree(text) == rulebook
    assert format_text(text) == text


COMMENTED = """# top
规则集 「测」 {  // on the header line
  # about the version
  版本 "1"  # trailing the version
  辖区 "县"
}
# before the document
文件 「法」 {}   # after the document
单位 「局」 {
  主要领导 「局长」 # trailing
  # before the closing brace
}
违规 v 依据 「法」 "1" {
  当 a > 1 且
     (b 或 c)  # on a continuation line
  阶梯 「梯」
  # before the responsibility
  责任 直接责任人  // which role
}
# at the end
"""


def test_comments_are_kept_in_place_and_stable() -> None:
    formatted = format_text(COMMENTED)
    lines = formatted.splitlines()
    assert lines[0] == "# top"
    assert lines[1] == "规则集 「测」 {  // on the header line"
    assert lines[2:4] == ["  # about the version", '  版本 "1"  # trailing the version']
    assert "# before the document" in lines[lines.index("文件 「法」 {}  # after the document") - 1]
    assert "  主要领导 「局长」  # trailing" in lines
    assert lines[lines.index("  # before the closing brace") + 1] == "}"
    assert lines[-1] == "# at the end"
    responsible = lines.index("  # before the responsibility") + 1
    assert lines[responsible] == "  责任 直接责任人  // which role"
    assert format_text(formatted) == formatted
    original = parse(COMMENTED).rulebook
    again = parse(formatted).rulebook
    assert original is not None and again is not None
    # every comment once (properties, and their comments, move into the canonical order)
    assert sorted(c.text for c in again.comments) == sorted(c.text for c in original.comments)


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("a 且 b 或 c", "a 且 b 或 c"),
        ("a 且 (b 或 c)", "a 且 (b 或 c)"),
        ("(a 或 b) 且 c", "(a 或 b) 且 c"),
        ("a 或 (b 或 c)", "a 或 (b 或 c)"),
        ("((a 或 b)) 或 c", "a 或 b 或 c"),
        ("非 (a 且 b)", "非 (a 且 b)"),
        ("非 a > 1", "非 a > 1"),
        ("(a > 1) == 是", "(a > 1) == 是"),
        ("非 非 a", "非 非 a"),
        ("x >= 3 工作日 且 y < 50%", "x >= 3 工作日 且 y < 50%"),
    ],
)
def test_expressions_get_the_fewest_parentheses(source: str, printed: str) -> None:
    text = f'规则集 r {{}}\n违规 v {{\n  当 {source}\n}}\n'
    formatted = format_text(text)
    assert f"  当 {printed}" in formatted.splitlines()
    assert _tree(formatted) == _tree(text)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_any_expression_round_trips(seed: int) -> None:
    expr = random_expr(random.Random(seed), 4)
    decl = A.ViolationDecl(A.Name("v"), condition=expr)
    rulebook = A.Rulebook(A.Header(A.Name("r")), (decl,), lang="en")
    assert _tree(format_rulebook(rulebook)) == rulebook


def test_names_are_bracketed_only_when_needed() -> None:
    assert format_name(A.Name("land_bureau")) == "land_bureau"
    assert format_name(A.Name("case")) == "「case」"  # an English keyword
    assert format_name(A.Name("Step")) == "「Step」"
    assert format_name(A.Name("县国土局")) == "「县国土局」"
    assert format_name(A.Name("2024")) == "「2024」"


def test_values_print_canonically() -> None:
    text = ('rulebook r {}\nitem i { statutory limit 1 day  notice at 99.5%  '
            'suspend on 「a」，b、c }\n'
            'document d { title "say \\"hi\\"\\\\n" }\n'
            'target t { metric on_time_rate ≥ 99％ }\n')
    formatted = format_text(text)
    assert "  statutory limit 1 day" in formatted
    assert "  notice at 99.5%" in formatted
    assert "  suspend on a, b, c" in formatted
    assert '  title "say \\"hi\\"\\\\n"' in formatted
    assert "  metric on_time_rate >= 99%" in formatted
    zh = format_text(text, lang="zh")
    assert "  法定时限 1 自然日" in zh and "  中止计时 a、b、c" in zh
    assert _tree(zh) == replace(_tree(text), lang="zh")


def test_unparseable_text_gives_diagnostics() -> None:
    with pytest.raises(RulebookError) as info:
        format_text("规则集 「测」 {\n  版本 1\n}\n", "x.wz")
    assert info.value.diagnostics[0].code == "WZ002"
    formatted, diagnostics = try_format_text("规则集 「测」 {", "x.wz")
    assert formatted is None and diagnostics[0].code == "WZ003"


def test_decimal_values_keep_their_digits() -> None:
    rulebook = A.Rulebook(A.Header(A.Name("r")), (A.ViolationDecl(
        A.Name("v"), condition=A.Compare(A.CompareOp.GT, A.FactRef(A.Name("x")),
                                         A.NumberLit(Decimal("0.25")))),))
    assert "当 x > 0.25" in format_rulebook(rulebook)


def test_section_comments_keep_one_blank_line_before_the_declaration() -> None:
    text = ("规则集 r {}\n# ---- section\n\n\n# about x\n单位 x {}\n"
            "阶梯 l { 第3次及以上 a }\n")
    formatted = format_text(text)
    assert "\n\n# ---- section\n\n# about x\n单位 x {}\n" in formatted
    assert "  第 3 次及以上 a" in formatted
    assert format_text(formatted) == formatted


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_generated_consistent_rulebook_checks_clean(lang: str) -> None:
    # the benchmark parses and checks such a rulebook: it must measure the clean path
    from tests.dsl.generate import rulebook_text
    from wenze.dsl.loader import load_text

    text = rulebook_text(400, seed=3, lang=lang)
    assert text.count("\n") >= 400
    result = load_text(text, "generated.wz")
    assert result.diagnostics == []
    assert result.rulebook is not None and result.rulebook.lang == lang
