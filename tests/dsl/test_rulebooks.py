"""The shipped rulebooks (``rules/*.wz``) and the language reference (``docs/language.md``).

Every rulebook parses and loads (extends resolved, checks run) with no error and no warning;
every ```wz block of the reference is a complete file that parses and loads without any
diagnostic (one that extends the statutory base, next to a copy of it); the reference's fact and
keyword tables are exactly what ``wenze/dsl/facts.py`` and ``wenze/dsl/keywords.py`` say.

Regenerate the tables after changing facts, keywords or check codes with
``python tests/dsl/test_rulebooks.py``.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from wenze.dsl import ast as A
from wenze.dsl.facts import FACTS
from wenze.dsl.keywords import KEYWORDS
from wenze.dsl.loader import load_rulebook
from wenze.dsl.parser import parse, parse_file

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
DOC = ROOT / "docs" / "language.md"
RULEBOOKS = sorted(RULES.glob("*.wz"))
SEED_RULEBOOKS = ["statutory_base.wz", "zitong_2008.wz", "luzhou_2009.wz", "yingshan_2009.wz",
                  "foshan_2005.wz", "fujian_2010.wz", "county_en.wz"]

_SCOPE_WORDS = {A.Scope.CASE: "case", A.Scope.STEP: "step", A.Scope.COUNTERSIGN: "countersign",
                A.Scope.TARGET: "target"}
_SCOPE_ORDER = list(_SCOPE_WORDS)


# --------------------------------------------------------------------------- generated tables


def fact_table() -> str:
    rows = ["| 中文 | English | scopes | type | meaning |", "|---|---|---|---|---|"]
    for f in FACTS:
        scopes = ", ".join(_SCOPE_WORDS[s] for s in _SCOPE_ORDER if s in f.scopes)
        meaning = f.doc.replace("|", "\\|")
        rows.append(f"| `{f.zh}` | `{f.key}` | {scopes} | {f.type.value} | {meaning} |")
    return "\n".join(rows)


def keyword_table() -> str:
    rows = ["| terminal | 中文 | English |", "|---|---|---|"]
    for terminal, (zh, en) in KEYWORDS.items():
        rows.append(f"| `{terminal}` | {' / '.join(f'`{s}`' for s in zh)} "
                    f"| {' / '.join(f'`{s}`' for s in en)} |")
    return "\n".join(rows)


def code_table() -> str:
    from wenze.dsl.checks import CODES
    from wenze.dsl.parser import PARSE_CODES

    rows = ["| code | 中文 | English |", "|---|---|---|"]
    for code, (zh, en) in sorted({**PARSE_CODES, **CODES}.items()):
        rows.append(f"| `{code}` | {zh} | {en} |")
    return "\n".join(rows)


_SECTIONS = {"FACTS": fact_table, "KEYWORDS": keyword_table, "CODES": code_table}


def _section(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN {name}[^\n]*-->\n)(.*?)(<!-- END {name} -->)", re.S)


def regenerate(text: str) -> str:
    """The reference with its generated sections rewritten from the current tables."""
    for name, make in _SECTIONS.items():
        text, n = _section(name).subn(lambda m, make=make: m[1] + make() + "\n" + m[3], text)
        assert n == 1, f"docs/language.md must hold exactly one {name} section"
    return text


def wz_blocks(text: str) -> list[tuple[int, str]]:
    """(line, source) of every ```wz fenced block."""
    blocks = []
    for m in re.finditer(r"^```wz\n(.*?)^```$", text, re.S | re.M):
        blocks.append((text.count("\n", 0, m.start()) + 2, m[1]))
    return blocks


# --------------------------------------------------------------------------- rulebooks


def test_every_seed_rulebook_is_shipped() -> None:
    assert {p.name for p in RULEBOOKS} >= set(SEED_RULEBOOKS)


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.name for p in RULEBOOKS])
def test_rulebook_parses(path: Path) -> None:
    result = parse_file(path)
    assert result.ok, result.diagnostics
    assert result.rulebook is not None


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.name for p in RULEBOOKS])
def test_rulebook_loads_clean(path: Path) -> None:
    result = load_rulebook(path)
    assert result.ok, [(d.code, d.span.line, d.message.en) for d in result.diagnostics]
    assert result.diagnostics == []  # not even a warning


@pytest.mark.parametrize("name", [n for n in SEED_RULEBOOKS if n != "statutory_base.wz"])
def test_county_rulebooks_extend_the_statutory_base(name: str) -> None:
    result = load_rulebook(RULES / name)
    own = parse_file(RULES / name).rulebook
    assert result.rulebook is not None and own is not None
    assert [s.value for s in own.header.extends] == ["statutory_base.wz"]
    items = result.rulebook.named(A.ItemDecl)
    assert "行政许可" in items  # the base item is merged in
    # every item the county declares has a statutory limit (own or inherited) and any promise
    # is in the same day kind and not above it (the checks would say WZ203/WZ204 otherwise)
    for decl in own.decls:
        if isinstance(decl, A.ItemDecl):
            item = items[decl.name.text]
            assert isinstance(item, A.ItemDecl) and item.statutory is not None, decl.name
            if item.promised is not None:
                assert item.promised.duration.unit == item.statutory.duration.unit
                assert item.promised.duration.amount <= item.statutory.duration.amount


@pytest.mark.parametrize("name", SEED_RULEBOOKS)
def test_every_declaration_cites_a_declared_document(name: str) -> None:
    path = RULES / name
    result = load_rulebook(path)
    assert result.rulebook is not None
    documents = set(result.rulebook.named(A.DocumentDecl))
    for decl in result.rulebook.decls:
        if isinstance(decl, A.DocumentDecl):
            assert decl.number, f"document {decl.name.text} has no 文号"
            continue
        bases = decl.basis
        assert bases, f"{decl.name.text} ({path.name}) cites no clause"
        for b in bases:
            assert b.document.text in documents and b.clause.strip(), (decl.name.text, b)


def test_the_english_rulebook_uses_english_keywords() -> None:
    result = parse_file(RULES / "county_en.wz")
    assert result.rulebook is not None and result.rulebook.lang == "en"


# --------------------------------------------------------------------------- the reference


DOC_TEXT = DOC.read_text(encoding="utf-8")
BLOCKS = wz_blocks(DOC_TEXT)


def test_the_reference_has_examples_in_both_languages() -> None:
    langs = [parse(src, f"language.md:{line}").rulebook.lang for line, src in BLOCKS]  # type: ignore[union-attr]
    assert len(BLOCKS) >= 20
    assert langs.count("zh") >= 10 and langs.count("en") >= 10


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"line{n}" for n, _ in BLOCKS])
def test_reference_example_parses(line: int, source: str) -> None:
    assert re.match(r"\s*(#[^\n]*\n\s*)*(规则集|rulebook)\b", source), "must start with a header"
    result = parse(source, f"docs/language.md:{line}")
    assert result.ok, result.diagnostics


@pytest.mark.parametrize("line,source", BLOCKS, ids=[f"line{n}" for n, _ in BLOCKS])
def test_reference_example_loads(line: int, source: str, tmp_path: Path) -> None:
    rulebook = parse(source, "x.wz").rulebook
    assert rulebook is not None
    if rulebook.header.extends:  # an example extending the base loads next to a copy of it
        shutil.copy(RULES / "statutory_base.wz", tmp_path / "statutory_base.wz")
    path = tmp_path / "example.wz"
    path.write_text(source, encoding="utf-8")
    result = load_rulebook(path)
    assert result.ok and result.diagnostics == [], [
        (d.code, d.span.line, d.message.en) for d in result.diagnostics]


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.name for p in RULEBOOKS])
def test_rulebook_is_in_the_canonical_layout(path: Path) -> None:
    from wenze.dsl.formatter import format_text

    text = path.read_text(encoding="utf-8")
    assert format_text(text, path.name) == text, f"run: wenze fmt {path.relative_to(ROOT)}"


def test_the_generated_tables_are_current() -> None:
    assert regenerate(DOC_TEXT) == DOC_TEXT, "run: python tests/dsl/test_rulebooks.py"


def test_every_keyword_and_fact_is_documented() -> None:
    for terminal, (zh, en) in KEYWORDS.items():
        for spelling in (*zh, *en):
            assert f"`{spelling}`" in DOC_TEXT, (terminal, spelling)
    for fact in FACTS:
        assert f"`{fact.zh}` | `{fact.key}`" in DOC_TEXT, fact.key


if __name__ == "__main__":
    DOC.write_text(regenerate(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"regenerated the fact, keyword and code tables of {DOC}\n")


def test_no_machine_path_in_a_shipped_rulebook() -> None:
    """A shipped rulebook works from any clone: it names no file by a path of one machine."""
    import re

    machine = re.compile(r"(?<![\w.])(/(work|home|root|tmp|Users|mnt)/|[A-Za-z]:\\)")
    for path in sorted((Path(__file__).resolve().parents[2] / "rules").glob("*.wz")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert not machine.search(line), f"{path.name}:{number}: {line}"
