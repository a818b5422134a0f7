"""The workbench in a real browser (Debian's Chromium through Playwright) against a real
``wenze serve``: an events file uploaded with its format and mapping gives the decisions of
``wenze evaluate`` on the same file with the same mapping, its bad rows listed on their line
with their code; the on-time rate per unit and period and the sanctions per level and per
unit before publishing are drawn with the numbers the API gives; the new controls work from
the keyboard. Each screen is saved as a screenshot (tests/web/screenshots/)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.serve.conftest import CASELOAD, RULEBOOK, TODAY, Server, batch_json
from tests.web.conftest import shot
from tests.web.test_workbench import ready_to_compare, type_rulebook
from tests.web.test_workbench_events import AS_OF, RECEIPT_RULES, SAMPLE, cli_evaluate


def chart_bars(page: Any, chart: str) -> dict[tuple[str, str], str]:
    """(group, bar) → the value a chart's bar carries, as its data attribute."""
    bars = page.locator(f"{chart} rect.bar[data-group]").evaluate_all(
        "bars => bars.map(b => ({group: b.dataset.group, bar: b.dataset.bar, "
        "value: b.dataset.value}))")
    return {(b["group"], b["bar"]): b["value"] for b in bars}


def chart_texts(page: Any, chart: str) -> dict[tuple[str, str], str]:
    """(group, bar) → the value a chart shows as text beside the bar."""
    return {(t["group"], t["bar"]): t["text"] for t in page.locator(f"{chart} text.value")
            .evaluate_all("ts => ts.map(t => ({group: t.dataset.group, bar: t.dataset.bar, "
                          "text: t.textContent}))")}


def open_try_with(page: Any, rulebook: str) -> None:
    type_rulebook(page, rulebook)
    page.wait_for_selector("#diag-summary:has-text('没有问题')")
    page.click("#tab-try")


def test_an_uploaded_csv_with_its_mapping_gives_the_decisions_of_wenze_evaluate(
        page_for: Any, tmp_path: Path) -> None:
    cli = cli_evaluate(SAMPLE, "--mapping", "receipt")
    page = page_for("supervisor")
    open_try_with(page, RECEIPT_RULES.read_text(encoding="utf-8"))
    page.set_input_files("#upload-events", str(SAMPLE))
    # the format comes from the file's name once the file is read (asynchronously)
    page.wait_for_function("document.querySelector('#events-format').value === 'csv'")
    assert "receipt_sample.csv" in page.inner_text("#upload-name")
    assert not page.is_disabled("#mapping")
    options = page.locator("#mapping option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["xes", "receipt", ""]  # the ready ones by name, then one's own
    page.select_option("#mapping", "receipt")
    page.fill("#as-of", AS_OF)
    page.click("#evaluate")
    page.wait_for_selector("#results:not([hidden])")
    keys = page.locator("#decisions-table td[data-col=key]").all_inner_texts()
    assert sorted(keys) == sorted(d["key"] for d in cli["decisions"]) and keys
    summary = page.inner_text("#summary")
    assert f"{cli['cases']} 个案件，{cli['events']} 个事件：{len(cli['decisions'])} 项问责决定" \
        in summary
    shot(page, "17-try-csv-upload")

    # bad rows: each on its line with its code, the rest judged (as wenze evaluate says)
    lines = SAMPLE.read_bytes().split(b"\n")
    lines[5] = lines[5].replace(b",complete,", b",suspend,")
    lines[11] = lines[11].replace(b"Resource", b"Resource\xff")
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\r\n".join(lines))  # CRLF: the text area shows \n, the bytes are sent
    expected = cli_evaluate(broken, "--mapping", "receipt")
    assert [(r["line"], r["code"]) for r in expected["rejected"]] == [
        (6, "unknown_type"), (12, "bad_encoding")]
    page.set_input_files("#upload-events", str(broken))
    page.wait_for_function(  # the file is read asynchronously: evaluate once it is in
        "document.getElementById('upload-name').textContent.includes('broken.csv')")
    page.click("#evaluate")
    page.wait_for_function("() => document.getElementById('n-rejected').textContent === '2'")
    assert sorted(page.locator("#decisions-table td[data-col=key]").all_inner_texts()) \
        == sorted(d["key"] for d in expected["decisions"])
    page.click("#rt-rejected")
    rows = page.locator("#rejected-table tbody tr")
    shown = [(rows.nth(i).locator("td").nth(3).inner_text(),
              rows.nth(i).locator("td").nth(0).inner_text()) for i in range(rows.count())]
    assert shown == [(str(r["line"]), r["code"]) for r in expected["rejected"]]
    shot(page, "18-try-csv-rejected")


def test_the_upload_controls_work_from_the_keyboard(page_for: Any) -> None:
    cli = cli_evaluate(SAMPLE, "--mapping", "receipt")
    page = page_for("supervisor")
    open_try_with(page, RECEIPT_RULES.read_text(encoding="utf-8"))
    page.focus("#events")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "upload-events"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")  # the picker opens from the keyboard
    chooser.value.set_files(str(SAMPLE))
    page.wait_for_function("() => document.getElementById('events').value.length > 1000")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "events-format"
    assert page.input_value("#events-format") == "csv"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "mapping"
    page.keyboard.press("End")  # one's own mapping: the ready one written out, to edit
    assert page.input_value("#mapping") == ""
    page.wait_for_selector("#mapping-own:not([hidden])")
    table = json.loads(page.input_value("#mapping-text"))
    assert table["case"] == "case:concept:name"
    # write the receipt mapping by hand, in TOML
    from tests.web.test_workbench_events import RECEIPT_TOML

    page.focus("#mapping-text")
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(RECEIPT_TOML)
    page.fill("#as-of", AS_OF)
    page.focus("#evaluate")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results:not([hidden])")
    keys = page.locator("#decisions-table td[data-col=key]").all_inner_texts()
    assert sorted(keys) == sorted(d["key"] for d in cli["decisions"])
    shot(page, "19-try-own-mapping")
    # a decision's letter opens from the keyboard and reads the same file
    row = page.locator("#decisions-table tbody tr.openable").first
    row.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#letter h1")
    assert f"编号：WZ-{row.locator('td[data-col=key]').inner_text()}" in page.inner_text("#letter")
    page.keyboard.press("Escape")
    # in English: the choices and labels switch, the choice made is kept
    page.click("#lang")
    assert page.locator("#mapping option").all_inner_texts() == [
        "xes: the IEEE XES standard attributes", "receipt: the WABO receipt log",
        "my own (TOML or JSON)"]
    assert page.input_value("#mapping") == ""
    assert page.inner_text("label[for=events]") == "Case events (JSON Lines, CSV or XES)"
    assert page.inner_text("#upload-name") == "uploaded receipt_sample.csv (34 KB)"
    assert page.locator("#f-unit option").first.inner_text() == "All"
    shot(page, "22-try-english")


def test_the_on_time_rate_per_unit_and_period_is_drawn(page_for: Any) -> None:
    batch = batch_json(RULEBOOK, CASELOAD, TODAY)
    page = page_for("supervisor")
    page.click("#tab-try")
    page.click("#use-example")
    page.wait_for_function("() => document.getElementById('events').value.length > 1000")
    page.click("#evaluate")
    page.wait_for_selector("#results:not([hidden])")
    page.click("#rt-metrics")
    chart = "#metrics-chart svg"
    page.wait_for_selector(chart)
    expected = {(m["unit"], m["period"]): m["on_time_rate"] for m in batch["metrics"]}
    assert len(expected) == len(batch["metrics"]) > 3
    bars = chart_bars(page, chart)
    assert set(bars) == set(expected)
    for key, rate in expected.items():
        assert bars[key] == ("" if rate is None else f"{rate:g}"), key
    texts = chart_texts(page, chart)
    assert texts == {k: "—" if r is None else f"{round(r, 1):g}%" for k, r in expected.items()}
    groups = page.locator(f"{chart} g.group").evaluate_all("gs => gs.map(g => g.dataset.group)")
    assert groups == list(dict.fromkeys(m["unit"] for m in batch["metrics"]))
    assert page.get_attribute(chart, "role") == "img"
    shot(page, "20-try-metrics-chart")


def test_compare_draws_sanctions_per_level_and_per_unit(page_for: Any, served: Server) -> None:
    page = page_for("supervisor")
    lenient = ready_to_compare(page)
    page.focus("#compare")
    page.keyboard.press("Enter")
    page.wait_for_selector("#compare-results:not([hidden]) #chart-levels svg")
    answer = served.call("POST", "/v1/compare", served.tokens["supervisor"],
                         {"rulebook": lenient, "cases": 300, "seed": 7})
    assert answer.status == 200, answer.text
    doc = answer.json
    # the sums are the per unit and level counts' (checked against the engine elsewhere)
    for side in ("a", "b"):
        level_sums: Counter[Any] = Counter()
        unit_sums: Counter[Any] = Counter()
        for row in doc["sanctions"]:
            level_sums[row["level"]] += row[side]
            unit_sums[row["unit"]] += row[side]
        assert {r["level"]: r[side] for r in doc["by_level"]} == dict(level_sums)
        assert {r["unit"]: r[side] for r in doc["by_unit"]} == dict(unit_sums)
        assert sum(r[side] for r in doc["by_level"]) == doc["decisions"][side]
    assert [r["level"] for r in doc["by_level"] if r["level"]] \
        == [lv for lv in doc["levels"] if lv in {r["level"] for r in doc["by_level"]}]
    assert any(r["a"] != r["b"] for r in doc["by_unit"])

    def expected(rows: list[dict[str, Any]], name: str) -> dict[tuple[str, str], str]:
        out = {}
        for r in rows:
            label = r[name] if r[name] is not None else "免予问责/无阶梯"
            out[label, "发布版 A"] = str(r["a"])
            out[label, "编辑版 B"] = str(r["b"])
        return out

    levels = expected(doc["by_level"], "level")
    units = expected(doc["by_unit"], "unit")
    assert chart_bars(page, "#chart-levels svg") == levels
    assert chart_texts(page, "#chart-levels svg") == levels
    assert chart_bars(page, "#chart-units svg") == units
    assert chart_texts(page, "#chart-units svg") == units
    assert page.locator("#compare-persons tbody tr").count() == len(doc["persons"]) > 0
    # the two charts side by side at 1366×768, neither wider than its half
    boxes = [page.locator(f"{c} svg").bounding_box() for c in ("#chart-levels", "#chart-units")]
    assert boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 1
    shot(page, "21-compare-charts")
