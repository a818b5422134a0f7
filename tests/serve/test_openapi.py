"""The committed OpenAPI document (docs/openapi.json) is the one the code serves, and docs/api.md
documents every path of it."""

from __future__ import annotations

import json
import re

from tests.serve.conftest import REPO
from wenze.serve.app import openapi_text

COMMITTED = REPO / "docs" / "openapi.json"
API_DOC = REPO / "docs" / "api.md"


def test_the_committed_schema_is_the_codes_schema() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "docs/openapi.json drifted from the code: if the change is intended, run "
        "`PYTHONPATH=. python3 -m wenze serve --openapi > docs/openapi.json` and commit it")


def test_every_path_and_problem_is_documented() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    doc = API_DOC.read_text(encoding="utf-8")
    for path in schema["paths"]:
        assert re.search(re.escape(path.split("{")[0]), doc), f"{path} not in docs/api.md"
    assert "Problem" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            if path in ("/healthz",):
                continue
            problems = [s for s, r in op["responses"].items()
                        if "application/problem+json" in r.get("content", {})]
            assert problems, f"{method.upper()} {path} documents no problem answer"
            if path not in ("/readyz",):
                assert "401" in problems, f"{method.upper()} {path} documents no 401"


def test_no_operation_documents_the_422_the_service_never_answers() -> None:
    """Invalid parameters and bodies are answered 400 problem+json (``on_invalid``): every
    operation that takes any documents that 400, none FastAPI's default 422 (the one 422 the
    service does answer — a rulebook saved with errors — is a problem with its diagnostics)."""
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            if (method, path) == ("put", "/v1/rulebooks/{name}"):
                assert "application/problem+json" in op["responses"]["422"]["content"]
            else:
                assert "422" not in op["responses"], f"{method.upper()} {path} documents 422"
            if op.get("parameters") or op.get("requestBody"):
                content = op["responses"].get("400", {}).get("content", {})
                assert "application/problem+json" in content, f"{method.upper()} {path}: 400"
