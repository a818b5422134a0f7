"""The workbench's incremental parse (:class:`~wenze.dsl.parser.DeclarationCache`: each top-level
declaration parsed alone and kept, moved when an edit before it moves it) gives what a fresh
:func:`~wenze.dsl.parser.parse` of the whole text gives — the same AST, every span of it, the
same diagnostics — and a check through the loader (which parses through it) the same diagnostics
as a check with the cache bypassed: shipped rulebooks edited at random, edit after edit, against
one cache that has seen the texts before."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenze.dsl import ast as A
from wenze.dsl import loader as L
from wenze.dsl.parser import DeclarationCache, ParseResult, parse
from wenze.dsl.render import to_json

RULES = Path(__file__).resolve().parents[2] / "rules"
SHIPPED = sorted(p for p in RULES.glob("*.wz"))
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SHIPPED}

CACHE = DeclarationCache(size=512)  # shared by every example: pieces kept, moved, evicted


def spans(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every span of an AST (spans are left out of its equality), with where it stands."""
    if isinstance(value, A.Span):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from spans(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from spans(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from spans(value[key], f"{path}{{{key}}}")


def assert_same(got: ParseResult, fresh: ParseResult) -> None:
    assert got.diagnostics == fresh.diagnostics
    assert [d.span for d in got.diagnostics] == [d.span for d in fresh.diagnostics]
    assert got.rulebook == fresh.rulebook
    if fresh.rulebook is not None:
        assert got.rulebook is not None
        assert got.rulebook.lang == fresh.rulebook.lang
        assert got.rulebook.comments == fresh.rulebook.comments
        assert list(spans(got.rulebook)) == list(spans(fresh.rulebook))


def checked(text: str) -> list[dict[str, object]]:
    loaded = L.load_text(text, str(RULES / "edited.wz"), RULES)
    return to_json(loaded.diagnostics, loaded.sources)


class WholeParse:
    """The loader's parser swapped for a fresh parse of the whole text."""

    def parse(self, text: str, file: str = "<string>") -> ParseResult:
        return parse(text, file)


def fresh_check(text: str) -> list[dict[str, object]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(L._PARSED, "declarations", WholeParse())
        patch.setattr(L._PARSED, "kept", type(L._PARSED.kept)())
        return checked(text)


SNIPPETS = ["@", "{", "}", "「", "」", '"', "\n", "#", " ", "x", "\n\n", "单位 ", "覆盖 ",
            "2024-02-30", "//", "“", '\\"', "事项 「新事项」 {\n  单位 「县建设局」\n}\n",
            "\n废止 违规 「推诿」\n", "单位 「新单位」 { 上级 「县政府」 }\n",
            "承诺时限 5 工作日\n"]


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, list[tuple[str, float, float, str]]]:
    name = draw(st.sampled_from(sorted(TEXTS)))
    steps = draw(st.lists(st.tuples(
        st.sampled_from(["insert", "delete", "copy line", "delete line"]),
        st.floats(0, 1), st.floats(0, 1), st.sampled_from(SNIPPETS)), min_size=1, max_size=4))
    return name, steps


def edited(text: str, step: tuple[str, float, float, str]) -> str:
    kind, where, other, snippet = step
    at = int(where * len(text))
    if kind == "insert":
        return text[:at] + snippet + text[at:]
    if kind == "delete":
        return text[:at] + text[at + 1 + int(other * 12):]
    lines = text.split("\n")
    line = min(int(where * len(lines)), len(lines) - 1)
    if kind == "copy line":
        lines.insert(line, lines[min(int(other * len(lines)), len(lines) - 1)])
    else:
        del lines[line]
    return "\n".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_random_edits_parse_as_a_fresh_parse_does(case: tuple[str, list[Any]]) -> None:
    name, steps = case
    text = TEXTS[name]
    assert_same(CACHE.parse(text, name), parse(text, name))
    for step in steps:
        text = edited(text, step)
        assert_same(CACHE.parse(text, name), parse(text, name))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_random_edits_check_as_a_fresh_check_does(case: tuple[str, list[Any]]) -> None:
    name, steps = case
    text = TEXTS[name]
    checked(text)
    for step in steps:
        text = edited(text, step)
        assert checked(text) == fresh_check(text)


def long_rulebook() -> str:
    text = TEXTS["zitong_2008.wz"]
    for n in range(40):
        text += (f'\n事项 「试写事项{n}」 继承 「行政许可」 {{\n  单位 「县建设局」\n'
                 '  承诺时限 12 工作日\n}\n')
    return text


@pytest.mark.parametrize("edit", [
    pytest.param(lambda t: t + "\n# 注\n", id="a comment at the end"),
    pytest.param(lambda t: t + "\n@", id="a bad character at the end"),
    pytest.param(lambda t: t + "\n事项 「缺花括号」 {\n  单位 「县建设局」\n",
                 id="a brace missing"),
    pytest.param(lambda t: t.replace("试写事项30」 继承", "试写事项30」 @ 继承"),
                 id="a bad character late on"),
    pytest.param(lambda t: t.replace("试写事项3」 继承", "试写事项3」 @ 继承"), id="one early on"),
    pytest.param(lambda t: t.replace("试写事项20」", "试写事项20」 {"), id="a brace too many"),
    pytest.param(lambda t: t.replace("试写事项5」", "试写事项5」\n\n\n"), id="lines added"),
    pytest.param(lambda t: t.replace("}\n\n事项 「试写事项7」",
                                     "}\n\n废止 事项 「x」\n事项 「试写事项7」"),
                 id="a repeal between declarations"),
    pytest.param(lambda t: t.replace("试写事项9」 继承 「行政许可」 {",
                                     "试写事项9」 继承 「行政许可」 {\n  生效 2024-02-30"),
                 id="an impossible date"),
    pytest.param(lambda t: t.replace("试写事项1」", "试写事项1」 @", 1).replace(
        "试写事项33」", "试写事项33」 @"), id="two declarations broken"),
])
def test_edits_of_a_long_rulebook_parse_as_a_fresh_parse_does(edit: Any) -> None:
    cache = DeclarationCache()
    text = long_rulebook()
    assert_same(cache.parse(text, "long.wz"), parse(text, "long.wz"))
    for _ in range(2):  # the pieces found kept the second time
        changed = edit(text)
        assert changed != text
        assert_same(cache.parse(changed, "long.wz"), parse(changed, "long.wz"))
        assert_same(cache.parse(text, "long.wz"), parse(text, "long.wz"))


def test_a_declaration_moved_by_an_edit_before_it_is_not_parsed_again() -> None:
    cache = DeclarationCache()
    text = long_rulebook()
    cache.parse(text, "long.wz")
    parsed = cache.parsed
    assert parsed > 40
    moved = text.replace("试写事项2」", "试写事项2」\n\n", 1)
    assert_same(cache.parse(moved, "long.wz"), parse(moved, "long.wz"))
    assert cache.parsed == parsed + 1  # the one edited; every one after it only moved
    broken = moved + "\n@"
    assert_same(cache.parse(broken, "long.wz"), parse(broken, "long.wz"))
    assert cache.parsed == parsed + 1
