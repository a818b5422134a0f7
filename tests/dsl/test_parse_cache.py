"""The loader keeps the last parse results by (name, text): a text parsed again (the base every
edit of a rulebook extends, checked on each keystroke in the workbench) gives the very same
result, and a base changed on disk is parsed again — the diagnostics are those of a fresh parse,
whatever the cache holds."""

from __future__ import annotations

from pathlib import Path

from wenze.dsl import loader as L
from wenze.dsl.parser import parse
from wenze.dsl.render import to_json

ROOT = Path(__file__).resolve().parents[2]
ZITONG = ROOT / "rules" / "zitong_2008.wz"


def checked(text: str, folder: Path) -> list[dict[str, object]]:
    loaded = L.load_text(text, str(folder / "rulebook.wz"), folder)
    return to_json(loaded.diagnostics, loaded.sources)


def test_a_text_parsed_again_is_the_same_result() -> None:
    text = ZITONG.read_text(encoding="utf-8")
    first = L._PARSED.parse(text, "a.wz")
    assert L._PARSED.parse(text, "a.wz") is first
    assert first == parse(text, "a.wz")
    assert L._PARSED.parse(text, "b.wz") is not first  # spans name their file: another key


def test_diagnostics_are_a_fresh_parses_with_the_cache_full_or_empty() -> None:
    folder = ZITONG.parent
    broken = ZITONG.read_text(encoding="utf-8").replace("「县建设局」", "「县建没局」", 1)
    cached = [checked(broken, folder), checked(broken, folder)]
    L._PARSED.kept.clear()
    fresh = checked(broken, folder)
    assert cached[0] == cached[1] == fresh and fresh  # the misspelt unit is reported


def test_a_base_changed_on_disk_is_parsed_again(tmp_path: Path) -> None:
    base = tmp_path / "base.wz"
    base.write_text('规则集 「基」 {\n  版本 "1"\n}\n\n单位 「县建设局」 {}\n', encoding="utf-8")
    county = '规则集 「县」 {\n  继承 "base.wz"\n}\n\n事项 「许可」 {\n  单位 「县建设局」\n}\n'
    before = [d["code"] for d in checked(county, tmp_path)]
    assert "WZ101" not in before
    base.write_text('规则集 「基」 {\n  版本 "1"\n}\n\n单位 「县工商局」 {}\n', encoding="utf-8")
    after = [d["code"] for d in checked(county, tmp_path)]
    assert after.count("WZ101") == 1  # the county's unit is no longer declared
    assert [code for code in after if code != "WZ101"] == before


def test_the_cache_keeps_a_bounded_number_of_results() -> None:
    for n in range(L.PARSED_KEPT + 5):
        L._PARSED.parse(f'规则集 「r{n}」 {{\n}}\n', "r.wz")
    assert len(L._PARSED.kept) == L.PARSED_KEPT
