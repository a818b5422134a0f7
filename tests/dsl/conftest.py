"""Options of the rules-language tests: ``--update-golden`` (or ``WENZE_UPDATE_GOLDEN=1``)
re-records the expected output of ``tests/dsl/golden/`` instead of comparing with it."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    flag = bool(request.config.getoption("--update-golden"))  # registered in the root conftest
    return flag or os.environ.get("WENZE_UPDATE_GOLDEN") == "1"
