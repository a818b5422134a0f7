"""Acceptance scenarios: checks on Gherkin files before pytest-bdd reads them.

pytest-bdd (through the official Gherkin parser) has pitfalls a legal-affairs author meets at once:
a full-width colon after a keyword (``场景：``) is not a keyword at all and the file fails with a
parser message about the wrong line; two scenarios with the same name silently collapse into one
test. :func:`lint_features` finds these and says where, in Chinese and English, so that a
non-programmer can fix the file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from gherkin.dialect import Dialect
from gherkin.errors import CompositeParserException, ParserError
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

_LANGUAGE = re.compile(r"^\s*#\s*language\s*:\s*([\w-]+)\s*$")


@dataclass(frozen=True)
class FeatureProblem:
    file: str
    line: int
    col: int
    code: str
    zh: str
    en: str
    source_line: str

    def render(self, lang: str = "zh") -> str:
        width = sum(
            2 if unicodedata.east_asian_width(ch) in "WF" else 1
            for ch in self.source_line[: self.col - 1]
        )
        message = self.zh if lang == "zh" else self.en
        return (
            f"{self.file}:{self.line}:{self.col}: {self.code} {message}\n"
            f"  {self.line:>4} | {self.source_line}\n"
            f"       | {' ' * width}^"
        )


def _dialect(text: str) -> Dialect:
    for line in text.splitlines()[:5]:
        m = _LANGUAGE.match(line)
        if m:
            return Dialect.for_name(m.group(1)) or Dialect.for_name("en")
    return Dialect.for_name("en")


def _block_keywords(dialect: Dialect) -> list[str]:
    words = (
        dialect.feature_keywords
        + dialect.scenario_keywords
        + dialect.scenario_outline_keywords
        + dialect.examples_keywords
        + dialect.background_keywords
        + dialect.rule_keywords
    )
    return sorted({w.strip() for w in words if w.strip() and w.strip() != "*"}, key=len,
                  reverse=True)


def _test_name(name: str) -> str:
    """The name pytest-bdd gives the scenario's test (spaces and punctuation dropped)."""
    from pytest_bdd.scenario import make_python_name

    return make_python_name(name)


def lint_text(
    text: str, file: str, seen: dict[str, tuple[str, int, str]] | None = None
) -> list[FeatureProblem]:
    """Every problem of one feature file, in line order. ``seen`` carries scenario names across
    the files that one test module collects (their tests share one namespace)."""
    problems: list[FeatureProblem] = []
    lines = text.splitlines()
    dialect = _dialect(text)
    keywords = _block_keywords(dialect)
    scenario_words = {
        w.strip() for w in dialect.scenario_keywords + dialect.scenario_outline_keywords
    }
    seen = {} if seen is None else seen
    in_docstring = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith(('"""', "```")):
            in_docstring = not in_docstring
            continue
        if in_docstring or stripped.startswith("#"):
            continue
        for word in keywords:
            if stripped.startswith(word):
                rest = stripped[len(word):]
                col = line.index(word) + len(word) + 1
                if rest.lstrip(" ").startswith("："):
                    col += len(rest) - len(rest.lstrip(" "))
                    problems.append(FeatureProblem(
                        file, number, col, "BDD001",
                        f"关键字 `{word}` 后面是全角冒号 `：`，Gherkin 只认半角冒号 `:`",
                        f"keyword `{word}` is followed by a full-width colon `：`; "
                        "Gherkin needs an ASCII colon `:`",
                        line,
                    ))
                elif rest.startswith(":") and word in scenario_words:
                    name = rest[1:].strip()
                    key = _test_name(name)  # what the test is called: punctuation dropped
                    if key in seen:
                        where = f"{seen[key][0]}:{seen[key][1]}"
                        other = seen[key][2]
                        same_zh = "重复" if other == name else f"（`{other}`）去掉标点后相同"
                        same_en = "repeats" if other == name else \
                            f"is, without its punctuation, the same as `{other}` at"
                        problems.append(FeatureProblem(
                            file, number, line.index(word) + 1, "BDD002",
                            f"场景名称 `{name}` 与 {where} {same_zh}：同名场景会被合并成一个测试",
                            f"scenario name `{name}` {same_en} {where}: scenarios with the "
                            "same name collapse into one test",
                            line,
                        ))
                    else:
                        seen[key] = (file, number, name)
                break
    if not problems:
        problems += _parser_problems(text, file, lines)
    return problems


def _parser_problems(text: str, file: str, lines: list[str]) -> list[FeatureProblem]:
    try:
        Parser().parse(TokenScanner(text))
    except CompositeParserException as err:
        return [_from_parser_error(e, file, lines) for e in err.errors]
    except ParserError as err:
        return [_from_parser_error(err, file, lines)]
    return []


def _from_parser_error(err: Exception, file: str, lines: list[str]) -> FeatureProblem:
    location = getattr(err, "location", None) or {}
    line = int(location.get("line") or 1)
    col = int(location.get("column") or 1)
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    message = str(err).split(": ", 1)[-1]
    return FeatureProblem(
        file, line, col, "BDD003",
        f"Gherkin 无法解析这一行：{message}（检查关键字拼写和 `# language: zh-CN` 声明）",
        f"Gherkin cannot parse this line: {message} (check the keyword spelling and the "
        "`# language:` header)",
        source,
    )


def lint_features(paths: list[Path]) -> list[FeatureProblem]:
    problems: list[FeatureProblem] = []
    seen: dict[str, tuple[str, int, str]] = {}
    for path in sorted(paths):
        problems += lint_text(path.read_text(encoding="utf-8"), str(path), seen)
    return problems
