"""pytest-bdd wiring for the acceptance scenarios in this folder.

The step library is ``wenze.bdd.steps``; feature files are linted (full-width colons, duplicate
scenario names, unparseable lines) before pytest-bdd reads them, and ``--wenze-coverage`` fails the
run when a rule of a shipped rulebook is exercised by no scenario, or a judged rule of a seed
document (``rules/sources/*.rules.toml``) is quoted by none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wenze.bdd.coverage import COVERAGE, uncovered_clauses
from wenze.bdd.steps import *  # noqa: F403  (the step definitions and their fixture)
from wenze.bdd.steps import set_language

ROOT = Path(__file__).resolve().parents[1]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if not config.getoption("--wenze-coverage", default=False) or not COVERAGE.exercised:
        return
    uncovered = COVERAGE.uncovered(ROOT / "rules")
    terminalreporter.section("wenze scenario coverage / 场景覆盖")
    if uncovered:
        terminalreporter.write_line(f"{len(uncovered)} rule(s) exercised by no scenario:")
        for rule in uncovered:
            terminalreporter.write_line(f"  {rule}")
    else:
        terminalreporter.write_line("every violation and ladder step of rules/*.wz is covered")
    clauses = uncovered_clauses(ROOT)
    if clauses:
        terminalreporter.write_line(f"{len(clauses)} clause rule(s) quoted by no scenario "
                                    "(# 条款 … above a scenario):")
        for clause in clauses:
            terminalreporter.write_line(f"  {clause}")
    else:
        terminalreporter.write_line("every judged rule of the seed documents is quoted by a "
                                    "scenario")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.getoption("--wenze-coverage", default=False) or not COVERAGE.exercised:
        return
    if (COVERAGE.uncovered(ROOT / "rules") or uncovered_clauses(ROOT)) and exitstatus == 0:
        session.exitstatus = 1


def pytest_bdd_before_scenario(request, feature, scenario) -> None:  # type: ignore[no-untyped-def]
    set_language(request, feature)
