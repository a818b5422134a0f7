"""Repository-wide pytest options (so they are known however pytest is started)."""

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--wenze-coverage",
        action="store_true",
        help="fail when a violation or ladder step of rules/*.wz is exercised by no scenario",
    )
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="re-record golden files (diagnostics, DOT graphs) instead of comparing with them",
    )
