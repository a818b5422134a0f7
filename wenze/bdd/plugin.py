"""Acceptance scenarios — a pytest plugin that runs the ``.feature`` files of any folder with the
wenze step library, so that ``wenze features DIR`` (and ``--coverage``) works on a folder outside
the repository, one that has no ``conftest.py`` / ``test_features.py`` of its own.

``wenze features`` loads it with ``-p wenze.bdd.plugin`` and a generated test module naming the
folder's feature files; the repository's own ``features/conftest.py`` does the same wiring for
``features/``.
"""

from __future__ import annotations

from typing import Any

import pytest

from wenze.bdd.coverage import COVERAGE
from wenze.bdd.steps import *  # noqa: F403  (the step definitions and their fixture)
from wenze.bdd.steps import RULES, set_language


def pytest_addoption(parser: pytest.Parser) -> None:
    try:
        parser.addoption("--wenze-coverage", action="store_true",
                         help="fail when a violation or ladder step of rules/*.wz is exercised "
                              "by no scenario")
    except ValueError:  # already known (the repository's conftest.py)
        pass


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if not config.getoption("--wenze-coverage", default=False) or not COVERAGE.exercised:
        return
    uncovered = COVERAGE.uncovered(RULES)
    terminalreporter.section("wenze scenario coverage / 场景覆盖")
    if uncovered:
        terminalreporter.write_line(f"{len(uncovered)} rule(s) exercised by no scenario:")
        for rule in uncovered:
            terminalreporter.write_line(f"  {rule}")
    else:
        terminalreporter.write_line("every violation and ladder step of rules/*.wz is covered")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.getoption("--wenze-coverage", default=False) or not COVERAGE.exercised:
        return
    if COVERAGE.uncovered(RULES) and exitstatus == 0:
        session.exitstatus = 1


def pytest_bdd_before_scenario(request: Any, feature: Any, scenario: Any) -> None:
    set_language(request, feature)
