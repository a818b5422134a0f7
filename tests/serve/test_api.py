"""The HTTP API end to end, with plain HTTP against a real ``wenze serve`` on each backend:
intake (per-event answers, idempotence, malformed input, limits), live warnings and decisions
equal to a batch evaluation as of the same day, cases, decision letters, the stream, check,
evaluate, the clock, metrics."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from tests.serve.conftest import CASELOAD, RULEBOOK, TODAY, Server, batch_json


def all_decisions(server: Server, token: str, query: str = "") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = server.call("GET", f"/v1/decisions?limit=7&offset={offset}{query}", token)
        assert page.status == 200, page.text
        out += page.json["decisions"]
        offset = page.json["next_offset"]
    return out


def stream(server: Server, token: str, last_id: int | None = None) -> list[tuple[int, str, Any]]:
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    answer = server.call("GET", "/v1/stream?follow=false", token, headers=headers)
    assert answer.status == 200, answer.text
    assert answer.content_type.startswith("text/event-stream")
    out = []
    for block in answer.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines()
                      if ": " in line and not line.startswith(":"))
        if "id" in fields:
            out.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return out


def test_posting_again_stores_nothing_and_says_duplicate(served: Server) -> None:
    answer = served.call("POST", "/v1/events", served.tokens["admin"], CASELOAD.read_bytes(),
                         "application/x-ndjson")
    assert answer.status == 200
    body = answer.json
    lines = [line for line in CASELOAD.read_text().splitlines() if line.strip()]
    assert body["stored"] == 0 and body["duplicates"] == len(lines) and body["rejected"] == 0
    assert {r["status"] for r in body["results"]} == {"duplicate"}
    assert [r["id"] for r in body["results"]] == [json.loads(x)["id"] for x in lines]


def test_live_decisions_and_warnings_equal_a_batch_evaluation_as_of_the_same_day(
        served: Server) -> None:
    batch = batch_json(RULEBOOK, CASELOAD, TODAY)
    assert batch["decisions"], "the example caseload has decisions"
    assert all_decisions(served, served.tokens["supervisor"]) == batch["decisions"]
    warnings = served.call("GET", "/v1/warnings", served.tokens["supervisor"]).json
    assert warnings["as_of"] == TODAY
    assert warnings["warnings"] == batch["warnings"]
    red = served.call("GET", "/v1/warnings?level=红牌", served.tokens["supervisor"]).json
    assert red["warnings"] == [w for w in batch["warnings"] if w["level"] == "red"]


def test_one_object_and_a_json_array(served: Server) -> None:
    token = served.tokens["admin"]
    one = {"id": "api-1", "case": "API-C1", "type": "received", "at": "2024-06-03T09:00:00+08:00",
           "item": "企业设立登记", "actor": "杨帆", "post": "综合受理窗口"}
    answer = served.call("POST", "/v1/events", token, one)
    assert answer.status == 200
    assert answer.json["results"] == [{"line": 1, "id": "api-1", "status": "stored"}]
    two = [dict(one, id="api-2", type="accepted", at="2024-06-03T09:05:00+08:00"), one]
    answer = served.call("POST", "/v1/events", token, two)
    assert answer.status == 200
    assert [r["status"] for r in answer.json["results"]] == ["stored", "duplicate"]
    case = served.call("GET", "/v1/cases/API-C1", token).json
    assert [e["id"] for e in case["events"]] == ["api-1", "api-2"]


def test_malformed_lines_get_400_with_per_line_codes_and_the_good_events_are_stored(
        served: Server) -> None:
    token = served.tokens["admin"]
    good = {"id": "bad-batch-1", "case": "API-C2", "type": "received",
            "at": "2024-06-04T09:00:00+08:00", "item": "企业设立登记", "actor": "杨帆",
            "post": "综合受理窗口"}
    body = "\n".join([
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "bad-batch-3", "case": "API-C2", "type": "received"}),
        json.dumps(dict(good, id="bad-batch-4", item="没有这个事项"), ensure_ascii=False),
        json.dumps(dict(good, actor="别人"), ensure_ascii=False),  # same id, other content
        "",
        json.dumps(dict(good, id="bad-batch-7", type="accepted", at="2024-06-04T10:00:00+08:00"),
                   ensure_ascii=False),
    ])
    answer = served.call("POST", "/v1/events", token, body, "application/x-ndjson")
    assert answer.status == 400
    assert answer.content_type.startswith("application/problem+json")
    problem = answer.json
    assert problem["code"] == "rejected_events" and problem["status"] == 400
    by_line = {r["line"]: r for r in problem["results"]}
    assert by_line[1]["status"] == "stored" and by_line[7]["status"] == "stored"
    assert by_line[2]["code"] == "bad_json"
    assert by_line[3]["status"] == "rejected" and by_line[3]["code"]
    assert by_line[4]["code"] == "unknown_item"
    assert by_line[5]["code"] == "conflicting_duplicate"
    assert 6 not in by_line  # a blank line is no event
    assert problem["stored"] == 2 and problem["rejected"] == 4
    case = served.call("GET", "/v1/cases/API-C2", token).json
    assert [e["id"] for e in case["events"]] == ["bad-batch-1", "bad-batch-7"]
    # a conflicting duplicate of a stored event, in a later request
    again = served.call("POST", "/v1/events", token, dict(good, actor="又一个人"))
    assert again.status == 400
    assert again.json["results"][0]["code"] == "conflicting_duplicate"


def test_broken_json_body_unsupported_type_and_limits(served: Server) -> None:
    token = served.tokens["admin"]
    broken = served.call("POST", "/v1/events", token, b'[{"id": 1,', "application/json")
    assert broken.status == 400 and broken.json["code"] == "bad_json"
    assert broken.content_type.startswith("application/problem+json")
    xml = served.call("POST", "/v1/events", token, b"<event/>", "application/xml")
    assert xml.status == 415 and xml.json["code"] == "unsupported_media_type"
    big = served.call("POST", "/v1/events", token, b" " * (1024 * 1024 + 1), "application/json")
    assert big.status == 413 and big.json["code"] == "payload_too_large"
    many = "\n".join(json.dumps({"id": f"many-{i}", "case": "M", "type": "received",
                                 "at": "2024-06-03T09:00:00+08:00"}) for i in range(1001))
    answer = served.call("POST", "/v1/events", token, many, "application/x-ndjson")
    assert answer.status == 413 and "1000" in answer.json["detail"]
    # nothing of the refused batch was stored
    assert served.call("GET", "/v1/cases/M", token).status == 404


def test_case_view_and_explain(served: Server) -> None:
    token = served.tokens["supervisor"]
    batch = batch_json(RULEBOOK, CASELOAD, TODAY)
    case = next(d["case"] for d in batch["decisions"] if d["case"])
    view = served.call("GET", f"/v1/cases/{case}", token)
    assert view.status == 200
    body = view.json
    assert body["judged"] and body["as_of"] == TODAY
    assert body["deadlines"] and all(re.fullmatch(r"\d{4}-\d\d-\d\d", d["deadline"])
                                     for d in body["deadlines"])
    assert body["decisions"] == [d for d in batch["decisions"] if d["case"] == case]
    assert body["warnings"] == [w for w in batch["warnings"] if w["case"] == case]
    assert "explain" not in body
    explained = served.call("GET", f"/v1/cases/{case}?explain=true", token).json
    assert f"案件 case {case}" in explained["explain"]
    assert "期限 deadline" in explained["explain"]
    assert served.call("GET", "/v1/cases/NO-SUCH-CASE", token).status == 404


def test_decision_json_text_and_printable_html(served: Server) -> None:
    token = served.tokens["supervisor"]
    decision = all_decisions(served, token)[0]
    key = decision["key"]
    answer = served.call("GET", f"/v1/decisions/{key}", token)
    assert answer.status == 200
    body = answer.json
    assert body["status"] == "in_force" and body["decision"] == decision
    assert body["chain"] and body["chain"][-1]["record"]["key"] == key
    text = served.call("GET", f"/v1/decisions/{key}?format=text", token)
    assert text.content_type.startswith("text/plain")
    assert f"编号：WZ-{key}" in text.text and "二、依据" in text.text
    page = served.call("GET", f"/v1/decisions/{key}", token, headers={"Accept": "text/html"})
    assert page.content_type.startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>") and "@media print" in page.text
    assert f"WZ-{key}" in page.text
    assert served.call("GET", "/v1/decisions/nope", token).status == 404


def test_decision_filters_and_paging(served: Server) -> None:
    token = served.tokens["supervisor"]
    everything = all_decisions(served, token)
    unit = everything[0]["unit"]
    assert all_decisions(served, token, f"&unit={unit}") == [
        d for d in everything if d["unit"] == unit]
    since = "2024-03-01"
    assert all_decisions(served, token, f"&since={since}") == [
        d for d in everything if d["established"] >= since]
    case = everything[0]["case"]
    assert all_decisions(served, token, f"&case={case}") == [
        d for d in everything if d["case"] == case]
    first = served.call("GET", "/v1/decisions?limit=3", token).json
    assert first["total"] == len(everything) and first["next_offset"] == 3
    bad = served.call("GET", "/v1/decisions?limit=0", token)
    assert bad.status == 400 and bad.json["code"] == "bad_request"
    bad_date = served.call("GET", "/v1/decisions?since=yesterday", token)
    assert bad_date.status == 400


def test_stream_has_stable_ids_and_resumes_after_last_event_id(served: Server) -> None:
    token = served.tokens["supervisor"]
    items = stream(served, token)
    ids = [i for i, _, _ in items]
    assert ids == sorted(set(ids)) and ids
    in_force = {}
    for _, kind, body in items:
        key = body["record"].get("key") or (body["record"]["case"], body["record"]["step"])
        in_force[key] = kind in ("warning", "decision")
    current = {d["key"] for d in all_decisions(served, token)}
    assert {k for k, v in in_force.items() if v and isinstance(k, str)} == current
    middle = ids[len(ids) // 2]
    assert stream(served, token, middle) == [x for x in items if x[0] > middle]
    assert stream(served, token, ids[-1]) == []


def test_the_clock_moves_on_and_the_live_state_follows(tmp_path_factory: Any) -> None:
    from tests.serve.conftest import start_server

    server, db = start_server("sqlite", tmp_path_factory.mktemp("clock"), "--today",
                              "2024-03-01")
    try:
        token = server.tokens["admin"]
        assert server.call("POST", "/v1/events", token, CASELOAD.read_bytes(),
                           "application/x-ndjson").status == 200
        before = stream(server, token)
        moved = server.call("POST", "/v1/clock", token, {"to": TODAY})
        assert moved.status == 200 and moved.json["today"] == TODAY
        assert moved.json["issued"] > 0
        batch = batch_json(RULEBOOK, CASELOAD, TODAY)
        assert all_decisions(server, token) == batch["decisions"]
        assert server.call("GET", "/v1/warnings", token).json["warnings"] == batch["warnings"]
        after = stream(server, token, before[-1][0] if before else 0)
        assert len(after) == moved.json["issued"]
        back = server.call("POST", "/v1/clock", token, {"to": "2024-01-01"})
        assert back.status == 409 and back.json["code"] == "conflict"
        # schemathesis found a far day (8521-11-18) ticked day by day past the calendar for
        # minutes: a day the rulebook's calendars do not know is refused before the clock moves
        import wenze

        last = min(c.calendar.last_date
                   for c in wenze.load(RULEBOOK).program.calendars.values())
        for far in (last + dt.timedelta(days=1), dt.date(8521, 11, 18)):
            answer = server.call("POST", "/v1/clock", token, {"to": far.isoformat()})
            assert answer.status == 400 and answer.json["code"] == "bad_request", answer.text
            assert str(last) in answer.json["detail"]
        assert server.call("GET", "/readyz").json["today"] == TODAY
    finally:
        server.stop()
        db.close()


def test_check_and_stateless_evaluate(served: Server) -> None:
    token = served.tokens["jianshe"]
    text = RULEBOOK.read_text(encoding="utf-8")
    ok = served.call("POST", "/v1/check", token, {"rulebook": text, "file": "zitong_2008.wz"})
    assert ok.status == 200 and ok.json["ok"] is True
    broken = served.call("POST", "/v1/check", token, {"rulebook": "单位 「甲」 {", "file": "x.wz"})
    assert broken.status == 200 and broken.json["ok"] is False
    assert all(re.fullmatch(r"WZ\d{3}", d["code"]) for d in broken.json["diagnostics"])
    escape = '规则集 「甲」 {\n  继承 "/etc/passwd"\n}\n'
    outside = served.call("POST", "/v1/check", token, {"rulebook": escape, "file": "x.wz"})
    assert outside.status == 200 and outside.json["ok"] is False  # refused before it is opened
    assert [d["code"] for d in outside.json["diagnostics"]] == ["WZ119"]
    assert "root:" not in outside.text
    sibling = served.call("POST", "/v1/check", token, {
        "rulebook": '规则集 「乙」 {\n  继承 "statutory_base.wz"\n}\n', "file": "y.wz"})
    assert sibling.status == 200 and "diagnostics" in sibling.json
    events = [json.loads(x) for x in CASELOAD.read_text().splitlines() if x.strip()]
    answer = served.call("POST", "/v1/evaluate", token,
                         {"rulebook": text, "events": events, "as_of": TODAY})
    assert answer.status == 200
    assert answer.json == batch_json(RULEBOOK, CASELOAD, TODAY)
    default = served.call("POST", "/v1/evaluate", token, {"events": events[:5], "as_of": TODAY})
    assert default.status == 200 and default.json["events"] == 5
    bad = served.call("POST", "/v1/evaluate", token, {"rulebook": "单位 {", "events": [],
                                                      "as_of": TODAY})
    assert bad.status == 400 and re.fullmatch(r"WZ\d{3}", bad.json["code"])
    assert bad.json["diagnostics"]


def test_health_readiness_and_metrics(served: Server) -> None:
    assert served.call("GET", "/healthz").json == {"status": "ok"}
    ready = served.call("GET", "/readyz").json
    assert ready["status"] == "ready" and ready["today"] == TODAY
    metrics = served.call("GET", "/metrics", served.tokens["supervisor"])
    assert metrics.status == 200 and metrics.content_type.startswith("text/plain")
    text = metrics.text
    for family in ("wenze_events_received_total", "wenze_events_rejected_total",
                   "wenze_open_cases", "wenze_warnings", "wenze_decisions",
                   "wenze_http_request_duration_seconds"):
        assert f"# TYPE {family} " in text
    stored = re.search(r'wenze_events_received_total\{status="stored"\} (\d+)', text)
    assert stored and int(stored.group(1)) >= len(CASELOAD.read_text().splitlines())
    assert re.search(r'wenze_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",'
                     r'route="/v1/events"\} \d+', text)


def test_the_served_schema_is_the_committed_one(served: Server) -> None:
    from tests.serve.conftest import REPO

    served_schema = served.call("GET", "/v1/openapi.json")
    assert served_schema.status == 200
    committed = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served_schema.json == committed


def test_the_stream_events_are_those_the_served_schema_documents(served: Server) -> None:
    """Each server-sent event fits the event schema of ``/v1/openapi.json`` (schemathesis found
    the schema said ``{"type": "string"}``, which no event fits)."""
    import jsonschema_rs  # (schemathesis's validator)

    schema = served.call("GET", "/v1/openapi.json").json
    event_schema = (schema["paths"]["/v1/stream"]["get"]["responses"]["200"]["content"]
                    ["text/event-stream"]["schema"])
    answer = served.call("GET", "/v1/stream?follow=false", served.tokens["supervisor"])
    events = [dict(line.split(": ", 1) for line in block.splitlines()
                   if ": " in line and not line.startswith(":"))
              for block in answer.text.split("\n\n") if "\ndata: " in f"\n{block}"]
    assert events, "the example caseload has outputs"
    for event in events:
        jsonschema_rs.validate(event_schema, event)
        assert json.loads(event["data"])["kind"] == event["event"]


def test_a_parameter_that_does_not_fit_is_a_documented_400_problem(served: Server) -> None:
    """An invalid query or body answers 400 ``application/problem+json`` — the status the
    served schema documents (schemathesis found it documented FastAPI's 422 instead)."""
    schema = served.call("GET", "/v1/openapi.json").json
    token = served.tokens["admin"]
    for method, path, body in (("GET", "/v1/cases/ZT-2024-L01?explain=444", None),
                               ("GET", "/v1/decisions?limit=0", None),
                               ("GET", "/v1/stream?after=-1&follow=false", None),
                               ("POST", "/v1/check", {"file": "x.wz"}),
                               ("POST", "/v1/clock", {"to": "not a date"})):
        answer = served.call(method, path, token, body)
        assert answer.status == 400, (path, answer.text)
        assert answer.content_type.startswith("application/problem+json")
        assert answer.json["code"] == "bad_request"
        template = path.split("?")[0].replace("ZT-2024-L01", "{case_id}")
        documented = schema["paths"][template][method.lower()]["responses"]
        assert "400" in documented and "422" not in documented
        assert "application/problem+json" in documented["400"]["content"]


def test_a_stream_position_past_the_ids_is_a_400_not_a_cut_stream(served: Server) -> None:
    """schemathesis found ``?after=`` / ``Last-Event-ID`` past the id column's integers answered
    200 and then cut the stream (the store's query failed inside the started answer: an
    OverflowError on SQLite, "integer out of range" on PostgreSQL)."""
    token = served.tokens["jianshe"]
    huge = str(2**63)
    for path, headers in ((f"/v1/stream?follow=false&after={huge}", {}),
                          ("/v1/stream?follow=false", {"Last-Event-ID": huge}),
                          ("/v1/stream?follow=false", {"Last-Event-ID": "-1"}),
                          ("/v1/stream?follow=false", {"Last-Event-ID": "1e3"})):
        answer = served.call("GET", path, token, headers=headers)
        assert answer.status == 400, (path, headers, answer.text)
        assert answer.content_type.startswith("application/problem+json")
    last = str(2**63 - 1)  # the largest id: nothing after it, the stream ends cleanly
    for path, headers in ((f"/v1/stream?follow=false&after={last}", {}),
                          ("/v1/stream?follow=false", {"Last-Event-ID": last})):
        answer = served.call("GET", path, token, headers=headers)
        assert answer.status == 200 and answer.text == "retry: 2000\n\n", answer.text
    assert "Traceback" not in served.log() and "internal error" not in served.log()


def test_check_with_a_nul_in_the_file_name_answers_its_diagnostics(served: Server) -> None:
    """schemathesis found ``POST /v1/check`` with ``"file": "a\\u0000b.wz"`` answered 500
    (ValueError: embedded null byte)."""
    for token in (served.tokens["admin"], served.tokens["jianshe"]):
        answer = served.call("POST", "/v1/check", token,
                             {"rulebook": "规则集 x {\n  版本 \"1\"\n", "file": "a\x00b.wz"})
        assert answer.status == 200, answer.text
        [diagnostic] = answer.json["diagnostics"]
        assert diagnostic["code"] == "WZ003" and answer.json["ok"] is False
    assert "internal error" not in served.log()
