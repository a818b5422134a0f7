"""The diagnostics renderer: carets under the right display columns, labels, languages, JSON."""

from __future__ import annotations

from wenze.dsl.ast import Span
from wenze.dsl.diagnostics import Diagnostic, Label, Message, Severity
from wenze.dsl.render import display_width, expand, render, render_one, summary, to_json


def _diag(line: int, col: int, end_col: int, **kw) -> Diagnostic:
    return Diagnostic(kw.pop("code", "WZ101"), kw.pop("severity", Severity.ERROR),
                      Message("未声明的单位 `x`", "undefined unit `x`"),
                      Span("a.wz", line, col, line, end_col), **kw)


def _caret_line(text: str) -> str:
    return next(line for line in text.splitlines() if "^" in line)


def test_display_width_counts_wide_characters_twice_and_expands_tabs() -> None:
    assert display_width("ab") == 2
    assert display_width("「局」") == 6  # the brackets are full-width too
    assert display_width("ｘ") == 2  # full-width Latin
    assert expand("\tx") == "    x" and expand("ab\tx") == "ab  x"


def test_caret_sits_under_the_span_after_chinese_text() -> None:
    source = "单位 「局」 { 主要领导 @ }\n"
    # `@` is character 15; before it: 单位␣「局」␣{␣主要领导␣ = 2*2+1+3*2+1+1+1+4*2+1 = 23 cells
    d = _diag(1, 15, 16)
    caret = _caret_line(render_one(d, {"a.wz": source}, "en"))
    gutter = "  | "
    assert caret == gutter + " " * 23 + "^"
    shown = render_one(d, {"a.wz": source}, "en").splitlines()[2]
    assert display_width(shown[: shown.index("@")]) == len(gutter) + 23


def test_caret_spans_every_cell_of_a_chinese_name_and_tabs() -> None:
    source = "\t属于 「县国土局」\n"
    d = _diag(1, 5, 11)  # 「县国土局」: 6 characters, 12 cells; the tab is 4 cells
    caret = _caret_line(render_one(d, {"a.wz": source}, "zh"))
    assert caret == "  | " + " " * (4 + 4 + 1) + "^" * 12


def test_labels_suggestions_help_and_headings_in_both_languages() -> None:
    source = "单位 「局」 {}\n单位 「局」 {}\n"
    d = Diagnostic(
        "WZ103", Severity.ERROR, Message("单位 `局` 重复声明", "duplicate unit `局`"),
        Span("a.wz", 2, 4, 2, 7),
        labels=(Label(Span("a.wz", 1, 4, 1, 7), Message("首次声明于此", "first declared here")),),
        help=Message("删除其中一个", "remove one of them"), suggestions=("科",),
    )
    zh = render_one(d, {"a.wz": source}, "zh").splitlines()
    en = render_one(d, {"a.wz": source}, "en").splitlines()
    assert zh[0] == "a.wz:2:4: 错误[WZ103]: 单位 `局` 重复声明"
    assert en[0] == "a.wz:2:4: error[WZ103]: duplicate unit `局`"
    assert "  |      ------ 首次声明于此" in zh and "  |      ------ first declared here" in en
    assert zh.index("1 | 单位 「局」 {}") < zh.index("2 | 单位 「局」 {}")
    assert zh[-2:] == ["  = 提示：删除其中一个", "  = 是否想写 `科`？"]
    assert en[-2:] == ["  = help: remove one of them", "  = did you mean `科`?"]


def test_render_sorts_counts_and_summarises() -> None:
    late = _diag(3, 1, 2)
    early = _diag(1, 1, 2, severity=Severity.WARNING, code="WZ109")
    text = render([late, early], {"a.wz": "a\nb\nc\n"}, "en")
    assert text.index("a.wz:1:1") < text.index("a.wz:3:1")
    assert text.rstrip().endswith("1 error, 1 warning")
    assert summary([late, late, early], "zh") == "2 个错误，1 个警告"
    assert summary([], "zh") == "未发现问题" and summary([], "en") == "no problems found"


def test_missing_source_still_names_the_position() -> None:
    text = render_one(_diag(7, 2, 3), {}, "en")
    assert text == "a.wz:7:2: error[WZ101]: undefined unit `x`"


def test_span_past_the_end_of_its_line_gets_one_caret() -> None:
    d = _diag(1, 4, 5)  # end of file after "abc"
    caret = _caret_line(render_one(d, {"a.wz": "abc"}, "en"))
    assert caret == "  |    ^"


def test_json_has_stable_keys_and_both_languages() -> None:
    d = _diag(1, 4, 7, help=Message("帮助", "help"), suggestions=("y",))
    [entry] = to_json([d], {"a.wz": "单位 「局」 {}\n"})
    assert list(entry) == ["code", "severity", "message", "file", "line", "col", "end_line",
                           "end_col", "display_col", "labels", "help", "suggestions"]
    assert entry["message"] == {"zh": "未声明的单位 `x`", "en": "undefined unit `x`"}
    assert entry["display_col"] == 6 and entry["help"] == {"zh": "帮助", "en": "help"}
    assert entry["suggestions"] == ["y"]
