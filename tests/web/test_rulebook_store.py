"""The rulebook store in the editor, in a real browser against a real ``wenze serve`` (its own:
activating changes what the service judges by): an admin saves the editor's text (a text with
errors is refused, with its diagnostics), opens a stored version again and activates it — the
service then judges as a batch evaluation of that version does; a supervisor may only open; a
unit user sees none of the store's buttons."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import (
    CASELOAD,
    RULEBOOK,
    TODAY,
    Server,
    batch_json,
    serving_caseload,
)
from tests.serve.test_api import all_decisions
from tests.serve.test_rulebooks import BASE, edited
from tests.web.conftest import shot
from tests.web.rulebooks import BROKEN, CLEAN
from tests.web.test_workbench import type_rulebook


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own service (SQLite, clock at 2024-06-30, the example caseload, and the
    statutory base stored: the zitong rulebook extends it)."""
    folder = tmp_path_factory.mktemp("web-store")
    with serving_caseload("sqlite", folder) as server:
        answer = server.call("PUT", "/v1/rulebooks/statutory_base", server.tokens["admin"],
                             {"rulebook": BASE.read_text(encoding="utf-8")})
        assert answer.status == 201, answer.text
        yield server


def editor_text(page: Any) -> str:
    return str(page.evaluate("() => localStorage.getItem('wenze.draft')"))


def test_admin_saves_reopens_and_activates(page_for: Any, served: Server, tmp_path: Path
                                           ) -> None:
    page = page_for("admin")
    page.wait_for_selector("body[data-scope='admin']")
    for button in ("#rb-open", "#rb-save", "#rb-activate", "#rb-name"):
        assert page.locator(button).is_visible(), button
    assert page.locator("#rb-activate").is_disabled()  # nothing saved or opened yet

    # a name first; then a text with errors is refused with its diagnostics, nothing stored
    type_rulebook(page, BROKEN)
    page.click("#rb-save")
    page.wait_for_selector("#rb-status:has-text('请先填写规则集名称')")
    page.fill("#rb-name", "zitong")
    page.click("#rb-save")
    page.wait_for_selector("#rb-status:has-text('个错误，未保存')")
    assert page.locator("#diagnostics li.error").count() >= 1
    assert served.call("GET", "/v1/rulebooks/zitong", served.tokens["admin"]).status == 404

    # the edited zitong rulebook: saved as version 1
    text = edited(RULEBOOK.read_text(encoding="utf-8"))
    type_rulebook(page, text)
    page.wait_for_selector("#diag-summary:has-text('没有问题'), #diag-summary:has-text('警告')")
    page.click("#rb-save")
    page.wait_for_selector("#rb-status:has-text('已保存：zitong 第 1 版')")
    assert page.inner_text("#rb-current") == "zitong · 第 1 版"
    stored = served.call("GET", "/v1/rulebooks/zitong", served.tokens["admin"]).json
    assert stored["version"] == 1 and stored["text"] == text
    page.click("#rb-save")  # the same text again: no new version
    page.wait_for_selector("#rb-status:has-text('与第 1 版相同')")

    # something else in the editor, then open the stored version again
    type_rulebook(page, CLEAN)
    page.click("#rb-open")
    page.wait_for_selector("#rb-dialog:not([hidden])")
    rows = page.locator("#rb-table tbody tr")
    assert [r.get_attribute("data-name") for r in rows.all()] == ["statutory_base", "zitong"]
    assert "服务启动时指定的文件 zitong_2008.wz" in page.inner_text("#rb-in-force")
    shot(page, "20-store-open")
    page.once("dialog", lambda d: d.accept())  # replace the editor's text?
    page.locator("#rb-table tr[data-name='zitong'] button").click()
    page.wait_for_selector("#rb-dialog", state="hidden")
    page.wait_for_selector("#rb-status:has-text('已打开：zitong 第 1 版')")
    assert editor_text(page) == text

    # activate it: the service then judges as a batch evaluation of this version
    folder = tmp_path / "v1"
    folder.mkdir()
    shutil.copy(BASE, folder / BASE.name)
    (folder / "zitong.wz").write_text(text, encoding="utf-8")
    batch = batch_json(folder / "zitong.wz", CASELOAD, TODAY)
    page.once("dialog", lambda d: d.accept())  # 启用 … ？
    page.click("#rb-activate")
    page.wait_for_selector("#rb-status:has-text('已启用 zitong 第 1 版')")
    assert "启用中" in page.inner_text("#rb-current")
    assert page.locator("#rb-activate").is_disabled()
    assert all_decisions(served, served.tokens["supervisor"]) == batch["decisions"]
    ready = served.call("GET", "/readyz").json
    assert (ready["in_force"]["name"], ready["in_force"]["version"]) == ("zitong", 1)
    shot(page, "21-store-activated")

    # English
    page.click("#lang")
    assert page.inner_text("#rb-current") == "zitong · version 1 · in force"
    assert page.inner_text("#rb-save") == "Save"
    page.click("#lang")


def test_a_supervisor_only_opens_and_a_unit_sees_no_store(page_for: Any) -> None:
    page = page_for("supervisor")
    page.wait_for_selector("body[data-scope='supervisor']")
    assert page.locator("#store-bar").is_visible()
    assert page.locator("#rb-open").is_visible()
    for button in ("#rb-save", "#rb-activate", "#rb-name"):
        assert page.locator(button).is_hidden(), button
    unit = page_for("jianshe")
    unit.wait_for_selector("body[data-scope='unit']")
    assert unit.locator("#store-bar").is_hidden()
    for button in ("#rb-open", "#rb-save", "#rb-activate"):
        assert not unit.locator(button).is_visible(), button
    shot(unit, "22-store-unit")
