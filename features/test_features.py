"""Runs every ``.feature`` file in this folder as pytest tests (after linting them)."""

from pathlib import Path

import pytest
from pytest_bdd import scenarios

from wenze.bdd.lint import lint_features

HERE = Path(__file__).parent
FEATURES = sorted(HERE.glob("*.feature"))

_problems = lint_features(FEATURES)
if _problems:
    raise pytest.UsageError(
        "feature files have problems / 场景文件有问题:\n" + "\n".join(p.render() for p in _problems)
    )

for _feature in FEATURES:
    scenarios(str(_feature))

