"""The workbench in a real browser (Debian's Chromium through Playwright) against a real
``wenze serve``: write a rulebook and see its diagnostics where they are, fix it, evaluate the
shipped example (the same decisions as ``wenze evaluate``), read and print a decision letter,
draw a process, watch the board (a unit sees its own unit only, updated as events arrive), by
mouse and by keyboard, in Chinese and in English. Each screen is saved as a screenshot."""

from __future__ import annotations

import json
from typing import Any

from tests.serve.conftest import CASELOAD, RULEBOOK, TODAY, Server, batch_json
from tests.web.conftest import shot
from tests.web.rulebooks import BROKEN, BROKEN_LINE, CLEAN, MISSPELT_UNIT
from wenze.dsl.loader import load_text
from wenze.dsl.render import to_json

EDITOR = ".cm-content"


def type_rulebook(page: Any, text: str) -> None:
    page.click(EDITOR)
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def ready_to_compare(page: Any) -> str:
    """The published rulebook opened and edited into a more lenient one (the on-the-spot rate
    must reach 10%, not 90%), checked clean, the compare tab open with 300 cases, seed 7; the
    edited text (the compare is then started by the caller: a click, or the keyboard)."""
    page.click("#load-published")
    page.wait_for_selector("#outline .kind-process")
    text = RULEBOOK.read_text(encoding="utf-8").replace("「现场办结率」 < 90%",
                                                        "「现场办结率」 < 10%")
    type_rulebook(page, text)
    page.wait_for_selector("#diag-summary:has-text('没有问题')")
    page.click("#tab-compare")
    page.fill("#cmp-cases", "300")
    page.fill("#cmp-seed", "7")
    return text


def expected_diagnostics(text: str) -> list[dict[str, Any]]:
    loaded = load_text(text, str(RULEBOOK.parent / "rulebook.wz"))
    return to_json(loaded.diagnostics, loaded.sources)


def test_sign_in_screen_refuses_a_bad_token(browser: Any, served: Server) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{served.port}/")
        assert page.locator("h1").inner_text() == "问责规则工作台"
        shot(page, "01-login")
        page.fill("#token", "wz_not-a-token")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#login-error:has-text('令牌无效或已吊销')")
        assert page.locator("#screen-editor").is_hidden()
        assert page.locator("#tabs").is_hidden()
    finally:
        context.close()


def test_a_broken_rulebook_shows_its_diagnostic_at_its_line_and_the_fix_clears_it(
        page_for: Any) -> None:
    page = page_for("supervisor")
    expected = [d for d in expected_diagnostics(BROKEN) if d["severity"] == "error"]
    assert [(d["code"], d["line"]) for d in expected] == [("WZ101", BROKEN_LINE)]
    type_rulebook(page, BROKEN)
    item = page.wait_for_selector("#diagnostics li[data-code='WZ101']")
    assert item.get_attribute("data-line") == str(BROKEN_LINE)
    text = item.inner_text()
    assert f"rulebook.wz:{BROKEN_LINE}:" in text and MISSPELT_UNIT in text
    assert "提示" in text and "县建设局" in text  # the hint: did you mean 县建设局
    assert page.locator("#diagnostics li").count() == len(expected_diagnostics(BROKEN))
    # the editor marks the misspelt name on its line (the Nth line of the editor)
    marked = page.locator(f".cm-line >> nth={BROKEN_LINE - 1}").locator(".cm-lintRange-error")
    assert marked.count() == 1 and MISSPELT_UNIT in marked.inner_text()
    assert page.locator(".cm-lintRange-error").count() == 1
    assert "1 个错误" in page.inner_text("#diag-summary")
    shot(page, "02-editor-broken")

    # fix it by keyboard from the diagnostic: it puts the cursor on the name
    item.click()
    page.keyboard.press("End")
    for _ in range(len(MISSPELT_UNIT) + 1):
        page.keyboard.press("Backspace")
    page.keyboard.type("县建设局」")
    page.wait_for_selector("#diag-summary:has-text('没有问题')")
    assert page.locator("#diagnostics li").count() == 0
    assert page.locator(".cm-lintRange-error").count() == 0
    assert page.evaluate("() => localStorage.getItem('wenze.draft')") == CLEAN
    assert expected_diagnostics(CLEAN) == []
    shot(page, "03-editor-clean")


def test_outline_format_completion_and_download(page_for: Any) -> None:
    page = page_for("supervisor")
    type_rulebook(page, CLEAN.replace("  版本 \"1\"", "      版本    \"1\""))
    page.wait_for_selector("#diag-summary:has-text('没有问题')")
    page.wait_for_function("() => document.querySelectorAll('#outline .outline-entry')"
                           ".length === 3")
    entries = page.locator("#outline .outline-entry")
    assert [entries.nth(i).inner_text().split("\n")[-1].strip() for i in range(entries.count())] \
        == ["建设工程规划许可", "超过承诺时限", "效能问责"]
    # the outline jumps to the declaration
    entries.nth(2).click()
    line = page.evaluate("() => { const s = window.getSelection(); return s && s.anchorNode "
                         "&& s.anchorNode.parentElement.closest('.cm-line').textContent }")
    assert line is not None and line.startswith("阶梯 「效能问责」")
    # format: the canonical layout, as wenze fmt writes it
    page.click("#fmt")
    page.wait_for_selector("#editor-status:has-text('已格式化')")
    from wenze.dsl.formatter import format_text

    assert page.evaluate("() => localStorage.getItem('wenze.draft')") == format_text(CLEAN)
    # completion: keywords and declared names
    page.click(EDITOR)
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("违")
    page.keyboard.press("Control+Space")
    options = page.wait_for_selector(".cm-tooltip-autocomplete")
    assert "违规" in options.inner_text()
    page.keyboard.press("Escape")
    page.keyboard.type(" 「超")
    page.keyboard.press("Control+Space")
    options = page.wait_for_selector(".cm-tooltip-autocomplete")
    assert "「超过承诺时限」" in options.inner_text() and "「超承诺天数」" in options.inner_text()
    shot(page, "04-editor-completion")
    page.keyboard.press("Escape")
    # hover on a fact shows its definition
    page.hover(".cm-line:has-text('「超承诺天数」') >> text=超承诺天数")
    tip = page.wait_for_selector(".fact-tip")
    assert "days_over_promised" in tip.inner_text()
    # download the file
    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    assert download.suggested_filename == "rulebook.wz"
    with open(download.path(), encoding="utf-8") as f:
        assert f.read().startswith(format_text(CLEAN))


def test_the_shipped_example_gives_the_decisions_of_wenze_evaluate(page_for: Any) -> None:
    batch = batch_json(RULEBOOK, CASELOAD, TODAY)
    page = page_for("supervisor")
    page.click("#tab-try")
    page.click("#use-example")
    page.wait_for_function("() => document.getElementById('events').value.length > 1000")
    assert page.input_value("#as-of") == TODAY
    page.click("#evaluate")
    page.wait_for_selector("#results:not([hidden])")
    rows = page.locator("#decisions-table tbody tr.openable")
    assert rows.count() == len(batch["decisions"]) > 0
    keys = page.locator("#decisions-table td[data-col=key]").all_inner_texts()
    assert sorted(keys) == sorted(d["key"] for d in batch["decisions"])
    summary = page.inner_text("#summary")
    assert f"{len(batch['decisions'])} 项问责决定" in summary
    assert f"{len(batch['rejected'])} 个事件被拒收" in summary
    assert page.inner_text("#n-warnings") == str(len(batch["warnings"]))
    shot(page, "05-try-decisions")
    # filter by unit
    page.select_option("#f-unit", "县建设局")
    jianshe = [d for d in batch["decisions"] if d["unit"] == "县建设局"]
    assert rows.count() == len(jianshe) > 0
    assert set(page.locator("#decisions-table td[data-col=unit]").all_inner_texts()) \
        == {"县建设局"}
    # filter by person, then clear the filters
    person = jianshe[0]["person"]
    page.fill("#f-person", person)
    assert rows.count() == sum(1 for d in jianshe if person in (d["person"] or ""))
    page.fill("#f-person", "")
    page.select_option("#f-unit", "")
    # sort by person: again reverses
    page.click("#decisions-table th button:has-text('责任人')")
    assert page.get_attribute("#decisions-table th:has-text('责任人')", "aria-sort") \
        == "ascending"
    people = page.locator("#decisions-table td[data-col=person]").all_inner_texts()
    assert len(set(people)) > 1
    page.click("#decisions-table th button:has-text('责任人')")
    assert page.locator("#decisions-table td[data-col=person]").all_inner_texts() \
        == people[::-1]
    assert page.get_attribute("#decisions-table th:has-text('责任人')", "aria-sort") \
        == "descending"
    page.click("#rt-warnings")
    assert page.locator("#warnings-table tbody tr").count() == len(batch["warnings"])
    shot(page, "06-try-warnings")
    page.click("#rt-metrics")
    assert page.locator("#metrics-table tbody tr").count() == len(batch["metrics"])
    rates = page.locator("#metrics-table td[data-col=on_time_rate]").all_inner_texts()
    assert rates == ["—" if m["on_time_rate"] is None else f"{m['on_time_rate']:.1f}%"
                     for m in batch["metrics"]]
    shot(page, "07-try-metrics")


def test_the_as_of_day_is_written_as_the_office_writes_it(page_for: Any) -> None:
    """yyyy-mm-dd whatever the browser's locale (a date picker shows mm/dd/yyyy in en-US); a
    day written otherwise, or one the calendar does not have, is refused before it is sent."""
    page = page_for("supervisor")
    page.click("#tab-try")
    page.click("#use-example")
    page.wait_for_function("() => document.getElementById('events').value.length > 1000")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/evaluate" in r.url else None)
    for written in ("06/30/2024", "2024-6-30", "2024-02-30"):
        page.fill("#as-of", written)
        assert page.input_value("#as-of") == written
        page.click("#evaluate")
        page.wait_for_selector("#try-status:has-text('yyyy-mm-dd')")
        assert sent == []
    page.fill("#as-of", TODAY)
    page.click("#evaluate")
    page.wait_for_selector("#results:not([hidden])")
    assert len(sent) == 1 and page.inner_text("#try-status") == ""


def test_a_decision_opens_its_letter_and_prints_on_a4(page_for: Any, served: Server) -> None:
    page = page_for("supervisor")
    page.click("#tab-try")
    page.click("#use-example")
    page.wait_for_function("() => document.getElementById('events').value.length > 1000")
    page.click("#evaluate")
    row = page.wait_for_selector("#decisions-table tbody tr.openable")
    key = row.query_selector("td[data-col=key]").inner_text()
    case = row.query_selector("td[data-col=case]").inner_text()
    # by keyboard: the row takes the focus, Enter opens it
    row.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#letter h1")
    letter = page.inner_text("#letter")
    assert f"编号：WZ-{key}" in letter
    title = page.inner_text("#letter h1").replace(" ", "")
    assert title in ("效能问责决定书", "效能问责审查意见书")
    # the letter is the engine's own (wenze evaluate --decision KEY)
    answer = served.call("POST", "/v1/explain", served.tokens["supervisor"], {
        "events": [json.loads(line) for line in CASELOAD.read_text().splitlines() if line],
        "as_of": TODAY, "case": case, "key": key})
    assert answer.status == 200, answer.text
    for line in answer.json["letter"].splitlines()[1:]:
        assert line.strip() in letter
    explanation = page.inner_text("#explanation")
    assert f"案件 case {case}" in explanation and "期限 deadline" in explanation
    shot(page, "08-letter")
    # print: the letter alone on A4
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    assert page.locator("#explanation").is_hidden()
    assert page.locator("#letter").is_visible()
    shot(page, "09-letter-print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    page.keyboard.press("Escape")
    assert page.locator("#letter-dialog").is_hidden()
    assert page.evaluate("() => document.activeElement.classList.contains('openable')")


def test_process_graph_is_drawn_and_zooms(page_for: Any) -> None:
    page = page_for("supervisor")
    page.click("#load-published")
    page.wait_for_selector("#outline .kind-process")
    page.click("#tab-graph")
    svg = page.wait_for_selector("#graph-canvas svg")
    assert page.input_value("#process") == "投资项目核准"
    page.select_option("#process", "重大项目并联审批")
    page.wait_for_function("() => document.querySelector('#graph-canvas svg title')"
                           " && document.querySelector('#graph-canvas').textContent"
                           ".includes('重大项目并联审批')")
    svg = page.wait_for_selector("#graph-canvas svg")
    assert svg.get_attribute("role") == "img"
    before = float(page.get_attribute("#graph-canvas", "data-scale"))
    page.click("#zoom-in")
    assert float(page.get_attribute("#graph-canvas", "data-scale")) > before
    page.focus("#graph-view")
    page.keyboard.press("-")
    page.keyboard.press("-")
    assert float(page.get_attribute("#graph-canvas", "data-scale")) < before
    page.keyboard.press("0")
    assert float(page.get_attribute("#graph-canvas", "data-scale")) == before
    shot(page, "10-graph")


def test_a_unit_sees_only_its_unit_on_the_board_updated_live(page_for: Any,
                                                             served: Server) -> None:
    supervisor = page_for("supervisor")
    supervisor.click("#tab-board")
    supervisor.wait_for_selector(".unit-card")
    units = set(supervisor.locator(".unit-card").evaluate_all(
        "cards => cards.map(c => c.dataset.unit)"))
    assert len(units) > 1 and "县建设局" in units
    shot(supervisor, "11-board-supervisor")

    page = page_for("jianshe")
    page.keyboard.press("Tab")
    page.click("#tab-board")
    page.wait_for_selector(".unit-card")
    page.wait_for_selector("#board-live[data-state='live']")
    cards = page.locator(".unit-card").evaluate_all("cards => cards.map(c => c.dataset.unit)")
    assert cards == ["县建设局"]
    decided_units = set(page.locator("#board-decisions td[data-col=unit]").all_inner_texts())
    assert decided_units == {"县建设局"}
    page_text = page.inner_text("main")
    for other in units - {"县建设局"}:
        assert other not in page_text
    shot(page, "12-board-unit")

    # an overdue case of the unit arrives: the board shows its warning without a reload
    def badges() -> int:
        return sum(int(t.split()[-1]) for t in page.locator(
            ".unit-card .badge").all_inner_texts())

    before = badges()
    base = {"case": "WEB-JS-1", "item": "建设工程规划许可", "actor": "徐明",
            "post": "窗口受理员", "unit": "县建设局"}
    events = [dict(base, id="web-js-1", type="received", at="2024-06-03T09:00:00+08:00"),
              dict(base, id="web-js-2", type="accepted", at="2024-06-03T09:10:00+08:00")]
    answer = served.call("POST", "/v1/events", served.tokens["jianshe"], events)
    assert answer.status == 200, answer.text
    page.wait_for_function(
        "(n) => [...document.querySelectorAll('.unit-card .badge')]"
        ".reduce((s, b) => s + Number(b.textContent.split(' ').pop()), 0) > n", arg=before)
    assert "WEB-JS-1" in page.inner_text("#board-units")
    shot(page, "13-board-live")


def test_keyboard_and_english(page_for: Any) -> None:
    page = page_for("supervisor", lang="en")
    assert page.inner_text("#tab-editor") == "Write"
    assert page.inner_text("#diag-title").startswith("Diagnostics")
    page.focus("#tab-editor")
    page.keyboard.press("ArrowRight")
    assert page.locator("#screen-try").is_visible()
    assert page.evaluate("() => document.activeElement.id") == "tab-try"
    for _ in range(3):  # 流程图, 发布前对比, 预警看板
        page.keyboard.press("ArrowRight")
    assert page.locator("#screen-board").is_visible()
    page.keyboard.press("ArrowRight")  # round to the first
    assert page.locator("#screen-editor").is_visible()
    page.keyboard.press("ArrowLeft")
    assert page.locator("#screen-board").is_visible()
    assert page.evaluate("() => document.activeElement.id") == "tab-board"
    page.keyboard.press("ArrowRight")
    assert page.locator("#screen-editor").is_visible()
    type_rulebook(page, BROKEN)
    page.wait_for_selector("#diagnostics li[data-code='WZ101']")
    english = expected_diagnostics(BROKEN)[0]["message"]["en"]
    assert english in page.inner_text("#diagnostics")
    shot(page, "14-editor-english")
    page.click("#lang")
    assert page.inner_text("#tab-editor") == "编写规则"
    assert "未声明的单位" in page.inner_text("#diagnostics")


def test_a_decisions_case_is_drawn_on_its_process(page_for: Any) -> None:
    page = page_for("supervisor")
    page.click("#tab-try")
    page.click("#use-example")
    page.wait_for_function("() => document.getElementById('events').value.length > 1000")
    page.click("#evaluate")
    page.wait_for_selector("#results:not([hidden])")
    page.fill("#f-person", "胡斌")  # the case ZT-2024-201 of the process 重大项目并联审批
    row = page.locator("#decisions-table tbody tr.openable", has_text="ZT-2024-201").first
    row.click()
    page.wait_for_selector("#letter h1")
    page.click("#letter-graph")
    page.wait_for_selector("#screen-graph:not([hidden]) #graph-canvas svg")
    assert page.inner_text("#graph-case-name") == f"案件 ZT-2024-201（截至 {TODAY}）"
    assert page.input_value("#process") == "重大项目并联审批"
    drawn = page.inner_text("#graph-canvas")
    assert "案件 ZT-2024-201" in drawn and "本案问责" in drawn
    shot(page, "15-graph-case")
    page.click("#graph-case-clear")
    page.wait_for_function("() => document.querySelector('#graph-canvas svg')"
                           " && !document.querySelector('#graph-canvas').textContent"
                           ".includes('ZT-2024-201')")
    assert page.locator("#graph-case").is_hidden()


def test_compare_before_publishing(page_for: Any) -> None:
    page = page_for("supervisor")
    ready_to_compare(page)
    page.click("#compare")
    page.wait_for_selector("#compare-results:not([hidden])")
    summary = page.inner_text("#compare-summary")
    assert "300 个模拟案件" in summary and "zitong_2008.wz" in summary
    assert page.locator("#compare-persons tbody tr").count() > 0
    assert page.locator("#compare-sanctions td.down").count() > 0
    shot(page, "16-compare")
