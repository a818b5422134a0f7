"""Fixtures for the workbench's browser tests: a real ``wenze serve`` (SQLite, fixed clock,
the example caseload posted) serving the built page, and Debian's Chromium driven by
Playwright (``executable_path=/usr/bin/chromium``: Playwright downloads no browser here).

The page must be built (``bash scripts/setup.sh``, or ``npm ci && npm run build`` in ``web/``)
and Chromium installed (``apt-get install chromium``). Under CI (``CI=true``) a missing one
fails the tests; elsewhere they are skipped with the reason. Screenshots of each screen are
saved in ``tests/web/screenshots/`` (git-ignored) at 1366×768."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import Server, serving_caseload

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "wenze" / "serve" / "static"
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("WENZE_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 768}
WAIT_MS = 30_000  # a bound for the page to show something, not a measurement


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} — the browser tests must run under CI", pytrace=False)
    pytest.skip(f"!!! {reason}: browser tests NOT run")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (STATIC / "index.html").is_file():
        _missing("the web page is not built (bash scripts/setup.sh, or npm ci && npm run build "
                 "in web/)")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``wenze serve`` on SQLite, clock fixed at 2024-06-30, the example caseload posted."""
    folder = tmp_path_factory.mktemp("web")
    with serving_caseload("sqlite", folder) as server:
        yield server


@pytest.fixture
def page_for(browser: Any, served: Server) -> Iterator[Any]:
    """``page_for(token_name)``: a fresh page at 1366×768, signed in with that token through
    the sign-in form. Errors the page throws fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(who: str = "supervisor", lang: str = "zh") -> Any:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN",
                                      accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(f"http://127.0.0.1:{served.port}/")
        if lang == "en":
            page.click("#lang")
        page.fill("#token", served.tokens[who])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#screen-editor:not([hidden])")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"the page threw: {errors}"


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
