"""Golden files: every ``golden/bad/*.wz`` is checked and its rendered diagnostics compared with
the recorded ``*.zh.txt`` and ``*.en.txt`` (and ``*.json`` where one is recorded); every
``golden/good/*.wz`` must check without errors and be stable under ``fmt``.
Re-record with ``pytest tests/dsl --update-golden`` (or ``WENZE_UPDATE_GOLDEN=1``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wenze.dsl.formatter import format_text
from wenze.dsl.loader import load_text
from wenze.dsl.parser import parse
from wenze.dsl.render import render, to_json

GOLDEN = Path(__file__).with_name("golden")
BAD = sorted((GOLDEN / "bad").glob("*.wz"))
GOOD = sorted((GOLDEN / "good").glob("*.wz"))
# the cases whose editor output is recorded as well
JSON_CASES = {"bad_character", "names_duplicate_undefined", "ladder_and_conditions",
              "inherited_without_override", "period_path_delegation"}


@pytest.fixture(autouse=True)
def _in_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    # spans name files relative to golden/ (继承 paths too), so recordings do not depend on
    # where the checkout is
    monkeypatch.chdir(GOLDEN)


def _load(path: Path):
    # the rulebook root is golden/: a bad case extends `../good/statutory_base.wz`
    return load_text(path.read_text(encoding="utf-8"), f"{path.parent.name}/{path.name}",
                     root=GOLDEN)


def _compare(expected: Path, actual: str, update: bool) -> None:
    if update:
        expected.write_text(actual, encoding="utf-8")
        return
    assert expected.exists(), f"{expected} is not recorded: run pytest tests/dsl --update-golden"
    assert actual == expected.read_text(encoding="utf-8"), f"output differs from {expected}"


def test_golden_cases_exist() -> None:
    assert len(BAD) >= 8 and len(GOOD) >= 2


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_rulebook_renders_as_recorded(path: Path, update_golden: bool) -> None:
    result = _load(path)
    assert result.errors, f"{path.name} is meant to have errors"
    for lang in ("zh", "en"):
        text = render(result.diagnostics, result.sources, lang)
        _compare(path.with_suffix(f".{lang}.txt"), text, update_golden)
    if path.stem in JSON_CASES:
        text = json.dumps(to_json(result.diagnostics, result.sources), ensure_ascii=False,
                          indent=2) + "\n"
        _compare(path.with_suffix(".json"), text, update_golden)


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_rulebook_checks_clean_and_formats_stably(path: Path) -> None:
    result = _load(path)
    assert not result.errors, render(result.diagnostics, result.sources, "en")
    text = path.read_text(encoding="utf-8")
    formatted = format_text(text, path.name)
    assert format_text(formatted, path.name) == formatted
    assert parse(formatted).rulebook == parse(text).rulebook


def test_parse_error_cases_cover_each_parse_code() -> None:
    codes = {d.code for path in BAD for d in _load(path).diagnostics}
    assert {"WZ001", "WZ002", "WZ003", "WZ004"} <= codes
    assert len({c for c in codes if not c.startswith("WZ0")}) >= 8
