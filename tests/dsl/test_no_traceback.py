"""No input text ever produces a Python traceback from parse, load + check, render or fmt: only
diagnostics. Inputs: arbitrary text, and real rulebooks with tokens deleted, duplicated, swapped."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wenze.dsl.formatter import try_format_text
from wenze.dsl.loader import load_text
from wenze.dsl.parser import parse
from wenze.dsl.render import render, to_json

RULES = Path(__file__).resolve().parents[2] / "rules"
GOLDEN_GOOD = Path(__file__).with_name("golden") / "good"
SOURCES = [p.read_text(encoding="utf-8") for p in [*sorted(RULES.glob("*.wz")),
                                                   *sorted(GOLDEN_GOOD.glob("*.wz"))]]
# words, 「names」, "strings", numbers and single punctuation marks, with the space around them
_TOKEN = re.compile(r'\s+|「[^」\n]*」|"(?:[^"\\\n]|\\.)*"|[A-Za-z_0-9.%-]+|.', re.S)
ALPHABET = st.sampled_from(
    list("规则集事项单位岗位「」{}｛｝()（）\"“”,，、#/\n \t0123456789-%：:.ab@")
)


def _exercise(text: str) -> None:
    result = load_text(text, "fuzz.wz")
    for d in result.diagnostics:
        assert d.span.file == "fuzz.wz"
        assert d.message.zh and d.message.en
    for lang in ("zh", "en"):
        rendered = render(result.diagnostics, result.sources, lang)
        assert rendered.endswith("\n")
    json.dumps(to_json(result.diagnostics, result.sources), ensure_ascii=False)
    formatted, diagnostics = try_format_text(text, "fuzz.wz")
    if formatted is None:
        assert any(d.is_error for d in diagnostics)
    else:  # whatever parses, however odd, formats to the same tree and stays put
        assert parse(formatted).rulebook == parse(text).rulebook
        assert try_format_text(formatted, "fuzz.wz")[0] == formatted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | st.text(alphabet=ALPHABET, max_size=200))
def test_random_text_gives_diagnostics_not_tracebacks(text: str) -> None:
    _exercise(text)


@st.composite
def mutated_rulebook(draw: st.DrawFn) -> str:
    tokens = _TOKEN.findall(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 4))):
        if len(tokens) < 3:
            break
        i = draw(st.integers(0, len(tokens) - 2))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "replace"]))
        if action == "delete":
            del tokens[i]
        elif action == "duplicate":
            tokens.insert(i, tokens[i])
        elif action == "swap":
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        else:
            tokens[i] = draw(st.sampled_from(["}", "{", "「x」", "0", "99%", "2024-02-30", "：",
                                              "覆盖", "第", "且", "(", '"', "override", ""]))
    return "".join(tokens)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_rulebook())
def test_mutated_rulebooks_give_diagnostics_not_tracebacks(text: str) -> None:
    _exercise(text)
