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


DOCS = HERE.parent / "docs" / "scenarios.md"


def doc_examples() -> str:
    """The ```gherkin examples of docs/scenarios.md, as one feature file."""
    import re

    return "".join(re.findall(r"```gherkin\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S))


def test_the_documented_example_is_the_one_that_runs() -> None:
    # docs_scenarios.feature runs above with every other feature; it must stay the page's text
    shipped = (HERE / "docs_scenarios.feature").read_text(encoding="utf-8")
    assert shipped == doc_examples(), "copy the ```gherkin block of docs/scenarios.md into " \
        "features/docs_scenarios.feature"
