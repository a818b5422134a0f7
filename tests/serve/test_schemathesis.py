"""The HTTP API fuzzed with schemathesis against the OpenAPI schema the service itself serves
(issue 15, issue 16 point 5): a real ``wenze serve`` (uvicorn) on 127.0.0.1 on a SQLite file with
the example caseload posted, every operation of ``/v1/openapi.json`` called with generated
paths, queries, headers and bodies, once with the admin token and once with a unit's token.

Checks on every answer: no 5xx; the status code, the content type and the body are those the
schema documents for the operation; and, in the long run, no hang: an answer slower than
``HANG_SECONDS`` (``WENZE_FUZZ_DEADLINE_MS``, 1 s) asked again and slower again.

The normal test run does a bounded, derandomised pass (``WENZE_FUZZ_API_EXAMPLES``, default 6
cases an operation and token); the long run raises it (``docs/reliability.md``) and, with
``WENZE_FUZZ_REPORT=FILE``, appends the number of requests sent to FILE.

``GET /v1/stream`` is asked with ``follow=false`` (the backlog, then the end): a following
stream never ends by design, which no per-request check can wait for.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.serve.conftest import REPO, Server, serving_caseload

EXAMPLES = int(os.environ.get("WENZE_FUZZ_API_EXAMPLES", "6"))
LONG = "WENZE_FUZZ_API_EXAMPLES" in os.environ
HANG_SECONDS = int(os.environ.get("WENZE_FUZZ_DEADLINE_MS", "1000")) / 1000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SENT = {"requests": 0, "slow_once": 0}


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve-fuzz")
    try:
        with serving_caseload("sqlite", folder, "--max-batch", "400",
                              "--max-body", str(256 * 1024)) as server:
            yield server
    finally:
        report = os.environ.get("WENZE_FUZZ_REPORT")
        if report:
            with Path(report).open("a", encoding="utf-8") as fh:
                fh.write(f"api requests {SENT['requests']} slow_once {SENT['slow_once']}\n")
        failures = [line for line in server.log().splitlines()
                    if "Traceback" in line or "internal error" in line]
        assert not failures, "\n".join(failures)


FUZZ_API = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
                    suppress_health_check=list(HealthCheck), database=None)


def call_and_check(case: schemathesis.Case, server: Server, token: str) -> None:
    if case.path == "/v1/stream":
        case.query = {**(case.query or {}), "follow": "false"}
    headers = {"Authorization": f"Bearer {token}"}
    began = time.perf_counter()
    response = case.call(headers=headers, timeout=30)
    took = time.perf_counter() - began
    SENT["requests"] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)
    if LONG and took > HANG_SECONDS:
        # on a shared machine one answer can wait for a core: a hang is slow twice in a row
        began = time.perf_counter()
        case.call(headers=headers, timeout=30)
        again = time.perf_counter() - began
        SENT["requests"] += 1
        SENT["slow_once"] += 1
        assert again <= HANG_SECONDS, (
            f"{case.method} {case.formatted_path} took {took:.2f} s, then {again:.2f} s (a hang)")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("who", ["admin", "jianshe"])  # 县建设局's unit token
def test_every_operation(api_server: Server, who: str, mode: GenerationMode) -> None:
    """Every operation of the served schema, with data that fits it (positive) and data that
    does not (negative: a 4xx answer, documented, never a 5xx)."""
    # (schemathesis's own pytest plug-in, ``from_fixture``, does not run under pytest 9.2:
    # it reads ``Function._nodeid``; the operations are driven through hypothesis here)
    schema = schemathesis.openapi.from_url(
        f"http://127.0.0.1:{api_server.port}/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    committed = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert len(operations) == sum(len(ops) for ops in committed["paths"].values())
    token = api_server.tokens[who]
    failures = []
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not has_input(operation):
            continue  # nothing in it can be made to not fit the schema

        @FUZZ_API
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            call_and_check(case, api_server, token)

        try:
            run()
        except Exception as err:  # every operation is tried; all failures are reported
            failures.append(f"--- {operation.label}, token {who}, {mode.value} data:\n"
                            + "".join(traceback.format_exception(err))[-4000:])
    assert not failures, "\n".join(failures)


def has_input(operation: Any) -> bool:
    return bool(len(operation.path_parameters) or len(operation.query) or len(operation.headers)
                or len(operation.body))
