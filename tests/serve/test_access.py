"""Access: every endpoint answers 401 without a valid token and 403 for another unit's data —
directly, through filters, case ids and decision keys; a unit token sees only its unit; tokens
are stored hashed and never written to the log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.serve.conftest import (
    CASELOAD,
    RULEBOOK,
    TODAY,
    Server,
    batch_json,
    make_token,
    serving_caseload,
    wenze,
)

GUARDED = [  # (method, path, body) of every endpoint that needs a token
    ("GET", "/metrics", None),
    ("POST", "/v1/events", {"id": "x", "type": "received", "at": "2024-06-03T09:00:00+08:00"}),
    ("GET", "/v1/cases/ZT-2024-L01", None),
    ("GET", "/v1/warnings", None),
    ("GET", "/v1/decisions", None),
    ("GET", "/v1/decisions/abc", None),
    ("GET", "/v1/stream?follow=false", None),
    ("POST", "/v1/check", {"rulebook": ""}),
    ("POST", "/v1/evaluate", {"events": [], "as_of": TODAY}),
    ("POST", "/v1/clock", {"to": TODAY}),
    ("GET", "/v1/me", None),
    ("GET", "/v1/rulebooks", None),
    ("GET", "/v1/rulebooks/zitong", None),
    ("PUT", "/v1/rulebooks/zitong", {"rulebook": ""}),
    ("POST", "/v1/rulebooks/zitong/activate", {"version": 1}),
]
GUOTU_CASE = "ACC-GT-1"  # a case of 县国土资源局 only


def guotu_events() -> list[dict[str, Any]]:
    base = {"case": GUOTU_CASE, "item": "临时用地审批", "actor": "周涛",
            "post": "国土资源局首席代表"}
    return [dict(base, id="acc-gt-1", type="received", at="2024-06-03T09:00:00+08:00"),
            dict(base, id="acc-gt-2", type="accepted", at="2024-06-03T09:10:00+08:00")]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"access-{request.param}")
    with serving_caseload(request.param, folder) as srv:
        # 县国土资源局 posts its own case with its own token
        answer = srv.call("POST", "/v1/events", srv.tokens["guotu"], guotu_events())
        assert answer.status == 200, answer.text
        yield srv


def assert_problem(answer: Any, status: int, code: str) -> None:
    assert answer.status == status, answer.text
    assert answer.content_type.startswith("application/problem+json")
    assert answer.json["code"] == code and answer.json["status"] == status


@pytest.mark.parametrize(("method", "path", "body"), GUARDED)
def test_every_endpoint_refuses_a_missing_bad_or_revoked_token(
        server: Server, method: str, path: str, body: Any) -> None:
    none = server.call(method, path, None, body)
    assert_problem(none, 401, "unauthorized")
    assert none.headers.get("www-authenticate", "").startswith("Bearer")
    assert_problem(server.call(method, path, "wz_not-a-token", body), 401, "unauthorized")
    assert_problem(server.call(method, path, None, body,
                               headers={"Authorization": "Basic YWRtaW46YWRtaW4="}),
                   401, "unauthorized")


def test_a_revoked_token_is_refused(server: Server) -> None:
    token = make_token(server.db, "supervisor")
    assert server.call("GET", "/v1/warnings", token).status == 200
    listed = [json.loads(x) for x in wenze("token", "list", "--db", server.db).stdout.split("\n")
              if x]
    newest = max(t["id"] for t in listed)
    assert wenze("token", "revoke", str(newest), "--db", server.db).returncode == 0
    server.stop()
    server.start()  # (the service caches a grant for a few seconds)
    assert_problem(server.call("GET", "/v1/warnings", token), 401, "unauthorized")


def test_tokens_are_stored_hashed_only(server: Server) -> None:
    from sqlalchemy import text

    from wenze.store.db import make_engine

    engine = make_engine(server.db)
    try:
        with engine.connect() as conn:
            stored = [tuple(r) for r in conn.execute(text("SELECT * FROM api_tokens"))]
    finally:
        engine.dispose()
    flat = json.dumps(stored, default=str)
    for token in server.tokens.values():
        assert token not in flat
        assert token[3:] not in flat


def test_unit_tokens_read_only_their_unit(server: Server) -> None:
    batch = batch_json(RULEBOOK, CASELOAD, TODAY)
    jianshe = server.tokens["jianshe"]
    warnings = server.call("GET", "/v1/warnings", jianshe).json["warnings"]
    assert warnings == [w for w in batch["warnings"] if w["unit"] == "县建设局"]
    assert warnings
    page = server.call("GET", "/v1/decisions?limit=1000", jianshe).json
    assert page["decisions"] == [d for d in batch["decisions"] if d["unit"] == "县建设局"]
    own = server.call("GET", "/v1/decisions?limit=1000&unit=县建设局", jianshe).json
    assert own["decisions"] == page["decisions"]
    answer = server.call("GET", "/v1/stream?follow=false", jianshe)
    units = {json.loads(line[6:])["record"]["unit"] for line in answer.text.splitlines()
             if line.startswith("data: ")}
    assert units == {"县建设局"}


def test_other_units_data_is_403_through_filters_case_ids_and_decision_keys(
        server: Server) -> None:
    jianshe = server.tokens["jianshe"]
    assert_problem(server.call("GET", "/v1/warnings?unit=县国土资源局", jianshe), 403, "forbidden")
    assert_problem(server.call("GET", "/v1/decisions?unit=县国土资源局", jianshe), 403,
                   "forbidden")
    assert_problem(server.call("GET", f"/v1/decisions?case={GUOTU_CASE}", jianshe), 403,
                   "forbidden")
    assert_problem(server.call("GET", f"/v1/cases/{GUOTU_CASE}", jianshe), 403, "forbidden")
    assert server.call("GET", f"/v1/cases/{GUOTU_CASE}", server.tokens["guotu"]).status == 200
    assert server.call("GET", f"/v1/cases/{GUOTU_CASE}", server.tokens["supervisor"]
                       ).status == 200
    other = next(d for d in server.call("GET", "/v1/decisions?limit=1000",
                                        server.tokens["supervisor"]).json["decisions"]
                 if d["unit"] == "县国土资源局")
    for fmt in ("json", "text", "html"):
        assert_problem(server.call("GET", f"/v1/decisions/{other['key']}?format={fmt}", jianshe),
                       403, "forbidden")
    assert server.call("GET", f"/v1/decisions/{other['key']}", server.tokens["guotu"]
                       ).status == 200


def test_posting_is_limited_to_the_tokens_unit(server: Server) -> None:
    jianshe = server.tokens["jianshe"]
    foreign = [dict(e, id="acc-x-" + e["id"], case="ACC-GT-2") for e in guotu_events()]
    answer = server.call("POST", "/v1/events", jianshe, foreign)
    assert_problem(answer, 403, "forbidden")
    assert [e["line"] for e in answer.json["events"]] == [1, 2]
    assert server.call("GET", "/v1/cases/ACC-GT-2", server.tokens["supervisor"]).status == 404
    assert_problem(server.call("POST", "/v1/events", server.tokens["supervisor"], foreign[0]),
                   403, "forbidden")
    own = {"id": "acc-js-1", "case": "ACC-JS-1", "type": "received",
           "at": "2024-06-03T09:00:00+08:00", "item": "建设工程规划许可", "actor": "徐明",
           "post": "窗口受理员"}
    assert server.call("POST", "/v1/events", jianshe, own).status == 200


def test_admin_only_endpoints_and_metrics(server: Server) -> None:
    for who in ("jianshe", "supervisor"):
        assert_problem(server.call("POST", "/v1/clock", server.tokens[who], {"to": TODAY}), 403,
                       "forbidden")
    assert_problem(server.call("GET", "/metrics", server.tokens["jianshe"]), 403, "forbidden")
    assert server.call("GET", "/metrics", server.tokens["supervisor"]).status == 200
    # check and evaluate are open to every valid token (stateless, no unit's data)
    assert server.call("POST", "/v1/check", server.tokens["jianshe"],
                       {"rulebook": RULEBOOK.read_text(encoding="utf-8")}).status == 200


def test_no_token_in_the_log(server: Server) -> None:
    for token in server.tokens.values():  # every token has been used by now
        server.call("GET", "/v1/warnings?unit=县建设局", token)
    log = server.log()
    assert "/v1/warnings" in log  # the requests are logged …
    for token in server.tokens.values():
        assert token not in log and token[3:] not in log  # … never the tokens
    assert "Authorization" not in log and "Bearer wz_" not in log
