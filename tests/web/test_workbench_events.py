"""Try it with an events file over plain HTTP against a real ``wenze serve``: JSON Lines, CSV
or XES (CSV and XES through a ready mapping or one written in TOML/JSON) posted to
``/v1/evaluate`` give what ``wenze evaluate`` gives on the same file with the same mapping —
the same decisions, metrics and rejections (each with its line and code; the good events
kept); the letter and the case graph read the same events."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest

from tests.serve.conftest import REPO, Server, wenze

SAMPLE = Path(__file__).resolve().parent / "data" / "receipt_sample.csv"
RECEIPT_RULES = REPO / "rules" / "receipt_wabo.wz"
AS_OF = "2012-12-31"
RECEIPT_TOML = '''
case = "case:concept:name"
at = "time:timestamp"
id = "concept:instance"
activity = "concept:name"
lifecycle = "lifecycle:transition"
actor = "org:resource"
unit = "org:group"
item_value = "receipt"
default_type = "环节办结"
start_at = "case:startdate"
start_types = ["收件", "受理"]

[start_data]
"case:deadline" = "deadline"
"case:enddate" = "enddate"
"case:enddate_planned" = "enddate_planned"
"case:channel" = "channel"
"case:department" = "department"
"case:group" = "group"
"case:responsible" = "responsible"
'''


def cli_evaluate(events: Path, *mapping: str) -> dict[str, Any]:
    """``wenze evaluate rules/receipt_wabo.wz EVENTS --mapping … --format json``."""
    done = wenze("evaluate", str(RECEIPT_RULES), str(events), *mapping, "--as-of", AS_OF,
                 "--format", "json", "--quiet")
    assert done.returncode in (0, 1), done.stderr  # 1: rejected events
    return dict(json.loads(done.stdout))


def api_evaluate(served: Server, **body: Any) -> Any:
    return served.call("POST", "/v1/evaluate", served.tokens["supervisor"], {
        "rulebook": RECEIPT_RULES.read_text(encoding="utf-8"), "as_of": AS_OF, **body})


def rejections(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each rejection without its source (the file's path for the CLI, ``<request>`` here)."""
    return [(r["line"], r["event_id"], r["code"], r["message"]) for r in doc["rejected"]]


def same_evaluation(api: dict[str, Any], cli: dict[str, Any]) -> None:
    for part in ("cases", "events", "decisions", "warnings", "metrics", "unjudged"):
        assert api[part] == cli[part], part
    assert rejections(api) == rejections(cli)


def test_a_csv_file_with_a_ready_mapping_is_evaluated_as_wenze_evaluate_does(
        served: Server) -> None:
    cli = cli_evaluate(SAMPLE, "--mapping", "receipt")
    assert len(cli["decisions"]) > 10 and cli["rejected"] == []
    answer = api_evaluate(served, events_text=SAMPLE.read_text(encoding="utf-8"),
                          format="csv", mapping="receipt")
    assert answer.status == 200, answer.text
    same_evaluation(answer.json, cli)
    # the same bytes, sent as they are
    raw = api_evaluate(served, events_base64=base64.b64encode(SAMPLE.read_bytes()).decode(),
                       format="csv", mapping="receipt")
    assert raw.status == 200, raw.text
    assert raw.json == answer.json


def test_a_mapping_written_in_toml_or_json_reads_as_the_ready_one(served: Server,
                                                                  tmp_path: Path) -> None:
    from wenze.events.readers import RECEIPT_MAPPING, Mapping

    assert Mapping.from_text(RECEIPT_TOML) == RECEIPT_MAPPING
    text = SAMPLE.read_text(encoding="utf-8")
    by_name = api_evaluate(served, events_text=text, format="csv", mapping="receipt")
    as_toml = api_evaluate(served, events_text=text, format="csv", mapping_text=RECEIPT_TOML)
    as_json = api_evaluate(served, events_text=text, format="csv",
                           mapping_text=json.dumps(RECEIPT_MAPPING.to_table()))
    assert by_name.status == as_toml.status == as_json.status == 200, as_toml.text
    assert by_name.json == as_toml.json == as_json.json
    # the CLI reads the same mapping from a file
    mapping = tmp_path / "receipt.toml"
    mapping.write_text(RECEIPT_TOML, encoding="utf-8")
    same_evaluation(as_toml.json, cli_evaluate(SAMPLE, "--mapping", str(mapping)))


def test_bad_rows_are_rejected_on_their_line_with_their_code_and_the_rest_kept(
        served: Server, tmp_path: Path) -> None:
    lines = SAMPLE.read_bytes().split(b"\n")
    assert lines[3][-6:] in (b"+01:00", b"+02:00")
    lines[3] = lines[3][:-6]  # the row's timestamp (its last column) without its offset
    lines[7] = lines[7].replace(b",complete,", b",suspend,")  # a lifecycle with no event type
    lines[9] = lines[9].replace(b"Resource", b"Resource\xff")  # a byte that is not UTF-8
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\n".join(lines))
    cli = cli_evaluate(broken, "--mapping", "receipt")
    assert [(r["line"], r["code"]) for r in cli["rejected"]] == [
        (4, "naive_time"), (8, "unknown_type"), (10, "bad_encoding")]
    answer = api_evaluate(served, events_base64=base64.b64encode(broken.read_bytes()).decode(),
                          format="csv", mapping="receipt")
    assert answer.status == 200, answer.text
    same_evaluation(answer.json, cli)
    assert len(answer.json["decisions"]) > 10  # the good events were kept and judged
    assert all(r["source"] == "<request>" for r in answer.json["rejected"])


def xes_of(sample: Path, cases: int) -> str:
    """The first ``cases`` cases of the CSV sample written as an IEEE XES log (trace
    attributes from the ``case:`` columns, event attributes from the others)."""
    rows = list(csv.DictReader(io.StringIO(sample.read_text(encoding="utf-8"))))
    traces: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row["case:concept:name"] in traces or len(traces) < cases:
            traces.setdefault(row["case:concept:name"], []).append(row)

    def attr(key: str, value: str) -> str:
        kind = "date" if key.endswith(("timestamp", "date", "deadline", "planned")) else "string"
        return f"<{kind} key={quoteattr(key)} value={quoteattr(value)}/>"

    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<log xes.version="1.0">']
    for events in traces.values():
        out.append("<trace>")
        out += [attr(k[5:], v) for k, v in events[0].items() if k.startswith("case:") and v]
        for ev in events:
            out.append("<event>" + "".join(attr(k, v) for k, v in ev.items()
                                           if not k.startswith("case:") and v) + "</event>")
        out.append("</trace>")
    out.append("</log>")
    return "\n".join(out) + "\n"


def test_an_xes_log_is_read_through_its_mapping_as_the_command_reads_it(
        served: Server, tmp_path: Path) -> None:
    log = tmp_path / "receipt.xes"
    log.write_text(xes_of(SAMPLE, 6), encoding="utf-8")
    cli = cli_evaluate(log, "--mapping", "receipt")
    assert cli["cases"] == 6 and cli["decisions"]
    answer = api_evaluate(served, events_text=log.read_text(encoding="utf-8"), format="xes",
                          mapping="receipt")
    assert answer.status == 200, answer.text
    same_evaluation(answer.json, cli)


def test_json_lines_text_is_the_events_array(served: Server) -> None:
    from tests.serve.conftest import CASELOAD, RULEBOOK, TODAY

    text = CASELOAD.read_text(encoding="utf-8")
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    body = {"rulebook": RULEBOOK.read_text(encoding="utf-8"), "as_of": TODAY}
    token = served.tokens["supervisor"]
    as_list = served.call("POST", "/v1/evaluate", token, {**body, "events": events})
    as_text = served.call("POST", "/v1/evaluate", token, {**body, "events_text": text})
    assert as_list.status == as_text.status == 200, as_text.text
    assert as_text.json["decisions"] == as_list.json["decisions"]
    assert as_text.json["metrics"] == as_list.json["metrics"]


@pytest.mark.parametrize(("body", "code"), [
    ({"format": "csv", "mapping": "no-such-mapping"}, "bad_mapping"),
    ({"format": "csv", "mapping": "../../pyproject.toml"}, "bad_mapping"),  # names only
    ({"format": "csv", "mapping_text": "case = \"nope\""}, "bad_mapping"),  # no such column
    ({"format": "csv", "mapping_text": "caes = \"x\""}, "bad_mapping"),  # unknown key
    ({"format": "csv", "mapping_text": "[not toml"}, "bad_mapping"),
    ({"format": "csv", "mapping": "receipt", "mapping_text": RECEIPT_TOML}, "bad_request"),
    ({"format": "jsonl", "mapping": "receipt"}, "bad_request"),
    ({"format": "csv", "mapping": "receipt", "events": [{"id": "x"}]}, "bad_request"),
])
def test_a_mapping_that_cannot_serve_is_refused_with_its_code(served: Server,
                                                              body: dict[str, Any],
                                                              code: str) -> None:
    answer = api_evaluate(served, events_text=SAMPLE.read_text(encoding="utf-8"), **body)
    assert answer.status == 400, answer.text
    assert answer.json["code"] == code
    if "nope" in json.dumps(body):
        assert answer.json["line"] == 1 and "nope" in answer.json["detail"]


def test_the_ready_mappings_are_listed_with_their_tables(served: Server) -> None:
    from wenze.events.readers import MAPPINGS, Mapping

    answer = served.call("GET", "/v1/mappings", served.tokens["jianshe"])
    assert answer.status == 200, answer.text
    listed = {m["name"]: Mapping.from_dict(m["table"]) for m in answer.json["mappings"]}
    assert listed == MAPPINGS
    assert served.call("GET", "/v1/mappings").status == 401


def test_the_letter_and_the_case_graph_read_the_same_file(served: Server) -> None:
    cli = cli_evaluate(SAMPLE, "--mapping", "receipt")
    decision = cli["decisions"][0]
    events = {"events_text": SAMPLE.read_text(encoding="utf-8"), "format": "csv",
              "mapping": "receipt"}
    rules = RECEIPT_RULES.read_text(encoding="utf-8")
    token = served.tokens["supervisor"]
    letter = served.call("POST", "/v1/explain", token, {
        "rulebook": rules, "as_of": AS_OF, "case": decision["case"], "key": decision["key"],
        **events})
    assert letter.status == 200, letter.text
    assert f"WZ-{decision['key']}" in letter.json["letter"]
    assert decision["case"] in letter.json["explanation"]
    graph = served.call("POST", "/v1/graph", token, {
        "rulebook": rules, "as_of": AS_OF, "case": decision["case"], **events})
    assert graph.status == 200, graph.text
    assert graph.content_type.startswith("image/svg+xml")
    drawn = graph.text.replace("&#45;", "-")  # graphviz escapes the hyphen
    assert f"案件 {decision['case']}（截至 {AS_OF}）" in drawn
    assert f"问责 {decision['person']}（{decision['violation']}）" in drawn


def test_more_events_than_the_batch_limit_are_refused(served: Server) -> None:
    from wenze.serve.service import ServeConfig

    limit = ServeConfig.__dataclass_fields__["max_batch"].default  # the fixture's service
    lines = [json.dumps({"id": f"e{n}", "case": f"C{n}", "type": "received",
                         "at": "2024-06-03T09:00:00+08:00"}) for n in range(limit + 1)]
    answer = served.call("POST", "/v1/evaluate", served.tokens["supervisor"], {
        "events_text": "\n".join(lines), "as_of": "2024-06-30"})
    assert answer.status == 413, answer.text
    assert answer.json["code"] == "payload_too_large"
    fits = served.call("POST", "/v1/evaluate", served.tokens["supervisor"], {
        "events_text": "\n".join(lines[:limit]), "as_of": "2024-06-30"})
    assert fits.status == 200, fits.text
