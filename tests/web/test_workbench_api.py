"""The workbench's endpoints over plain HTTP against a real ``wenze serve``: the language
table is the DSL's own, fmt is ``wenze fmt``, the graph is graphviz's SVG of the process, the
letter and the explanation are the engine's; every one needs a token; nothing outside the
service's rulebook folder is read."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest

from tests.serve.conftest import CASELOAD, RULEBOOK, TODAY, Server
from tests.web.rulebooks import BROKEN, CLEAN

EV_DATE = dt.date.fromisoformat(TODAY)

ENDPOINTS = [
    ("GET", "/v1/language", None),
    ("POST", "/v1/fmt", {"rulebook": CLEAN}),
    ("GET", "/v1/rulebook", None),
    ("POST", "/v1/processes", {}),
    ("POST", "/v1/graph", {}),
    ("POST", "/v1/explain", {"events": [], "as_of": TODAY, "case": "x"}),
]


def caseload() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASELOAD.read_text(encoding="utf-8").splitlines()
            if line.strip()]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_every_workbench_endpoint_needs_a_token(served: Server, method: str, path: str,
                                                body: Any) -> None:
    for token in (None, "wz_not-a-token"):
        answer = served.call(method, path, token, body)
        assert answer.status == 401, answer.text
        assert answer.json["code"] == "unauthorized"


def test_the_page_or_how_to_build_it_is_served_at_the_root(served: Server) -> None:
    answer = served.call("GET", "/")
    assert answer.status == 200 and answer.content_type.startswith("text/html")
    assert "问责规则工作台" in answer.text or "网页尚未构建" in answer.text
    # the API keeps its own answers under the page
    assert served.call("GET", "/v1/warnings").status == 401


def test_language_is_the_dsl_keyword_table_and_fact_table(served: Server) -> None:
    from wenze.dsl.facts import FACTS
    from wenze.dsl.keywords import KEYWORDS

    answer = served.call("GET", "/v1/language", served.tokens["jianshe"])
    assert answer.status == 200, answer.text
    table = {k["terminal"]: (tuple(k["zh"]), tuple(k["en"])) for k in answer.json["keywords"]}
    assert table == KEYWORDS
    assert [(f["key"], f["zh"], f["type"]) for f in answer.json["facts"]] \
        == [(f.key, f.zh, f.type.value) for f in FACTS]


def test_fmt_is_wenze_fmt_and_refuses_a_broken_text_with_its_diagnostics(served: Server
                                                                          ) -> None:
    from wenze.dsl.formatter import format_text

    messy = CLEAN.replace('  版本 "1"', '        版本     "1"')
    answer = served.call("POST", "/v1/fmt", served.tokens["supervisor"], {"rulebook": messy})
    assert answer.status == 200, answer.text
    assert answer.json["ok"] and answer.json["text"] == format_text(CLEAN)
    english = served.call("POST", "/v1/fmt", served.tokens["supervisor"],
                          {"rulebook": messy, "lang": "en"}).json["text"]
    assert english == format_text(CLEAN, lang="en") and english.startswith("rulebook ")
    broken = served.call("POST", "/v1/fmt", served.tokens["supervisor"],
                         {"rulebook": "规则集 「x」 {\n  版本 @\n}\n"})
    assert broken.status == 200
    assert broken.json["ok"] is False and broken.json["text"] is None
    assert broken.json["diagnostics"][0]["code"].startswith("WZ")
    assert broken.json["diagnostics"][0]["line"] == 2


def test_the_services_rulebook_and_its_processes(served: Server) -> None:
    from wenze.dsl import ast as A
    from wenze.dsl.loader import load_rulebook

    answer = served.call("GET", "/v1/rulebook", served.tokens["jianshe"])
    assert answer.json == {"file": RULEBOOK.name, "text": RULEBOOK.read_text(encoding="utf-8"),
                           "name": None, "version": None}  # (no stored rulebook activated)
    expected = sorted(load_rulebook(RULEBOOK).rulebook.named(A.ProcessDecl))
    assert len(expected) >= 2
    own = served.call("POST", "/v1/processes", served.tokens["jianshe"], {})
    assert own.json == {"processes": expected}
    posted = served.call("POST", "/v1/processes", served.tokens["jianshe"],
                         {"rulebook": RULEBOOK.read_text(encoding="utf-8")})
    assert posted.json == {"processes": expected}
    assert served.call("POST", "/v1/processes", served.tokens["jianshe"],
                       {"rulebook": CLEAN}).json == {"processes": []}


def test_graph_is_the_process_svg_with_its_critical_path(served: Server) -> None:
    from wenze.dsl import ast as A
    from wenze.dsl.loader import load_rulebook
    from wenze.graphs import render as R

    rulebook = load_rulebook(RULEBOOK).rulebook
    name = "重大项目并联审批"
    answer = served.call("POST", "/v1/graph", served.tokens["supervisor"], {"process": name})
    assert answer.status == 200, answer.text
    assert answer.content_type.startswith("image/svg+xml")
    process = rulebook.named(A.ProcessDecl)[name]
    assert answer.body == R.render_bytes(R.render_process(process, rulebook), "svg")
    assert name in answer.text
    overview = served.call("POST", "/v1/graph", served.tokens["supervisor"], {})
    assert overview.status == 200 and overview.body.lstrip().startswith((b"<?xml", b"<svg"))
    missing = served.call("POST", "/v1/graph", served.tokens["supervisor"], {"process": "无此流程"})
    assert missing.status == 404 and "无此流程" in missing.json["detail"]
    broken = served.call("POST", "/v1/graph", served.tokens["supervisor"], {"rulebook": BROKEN})
    assert broken.status == 400 and broken.json["code"] == "WZ101"
    assert broken.json["diagnostics"][0]["line"] == 14


def test_explain_gives_the_engines_letter_and_trace(served: Server) -> None:
    import wenze
    from wenze.engine import evaluate as EV
    from wenze.events.readers import read_jsonl
    from wenze.report.output import decision_letter, explain

    program = wenze.load(str(RULEBOOK)).program
    events = read_jsonl(CASELOAD.read_text(encoding="utf-8").splitlines(), "<request>")
    decision = next(d for d in EV.evaluate(program, events.events, EV_DATE).decisions if d.case)
    result = EV.evaluate(program, events.events, EV_DATE, explain=[decision.case])
    answer = served.call("POST", "/v1/explain", served.tokens["supervisor"], {
        "rulebook": RULEBOOK.read_text(encoding="utf-8"), "events": caseload(), "as_of": TODAY,
        "case": decision.case, "key": decision.key})
    assert answer.status == 200, answer.text
    assert answer.json["letter"] == decision_letter(decision, program)
    assert answer.json["explanation"] == explain(result, decision.case, program)
    wrong = served.call("POST", "/v1/explain", served.tokens["supervisor"], {
        "events": caseload(), "as_of": TODAY, "case": decision.case, "key": "0000000000000000"})
    assert wrong.status == 404


def test_bases_outside_the_services_rulebook_folder_are_refused(served: Server) -> None:
    text = '规则集 「x」 {\n  继承 "../examples/README.md"\n}\n'
    for path, body in (("/v1/processes", {"rulebook": text}),
                       ("/v1/graph", {"rulebook": text})):
        answer = served.call("POST", path, served.tokens["supervisor"], body)
        assert answer.status == 400, answer.text  # refused by the loader before it is opened
        assert [d["code"] for d in answer.json["diagnostics"]] == ["WZ119"], answer.text



def test_compare_runs_both_rulebooks_on_one_synthetic_caseload(served: Server) -> None:
    import wenze
    from wenze.engine import evaluate as EV
    from wenze.engine.lower import lower
    from wenze.report.output import who_answers
    from wenze.serve.workbench import load_posted
    from wenze.simulate.caseload import generate, load_profile

    published = RULEBOOK.read_text(encoding="utf-8")
    same = served.call("POST", "/v1/compare", served.tokens["supervisor"],
                       {"rulebook": published, "cases": 300, "seed": 7})
    assert same.status == 200, same.text
    assert same.json["decisions"]["a"] == same.json["decisions"]["b"] > 0
    assert same.json["persons"] == []
    assert all(row["a"] == row["b"] for row in same.json["sanctions"])

    lenient = published.replace("「现场办结率」 < 90%", "「现场办结率」 < 10%")
    answer = served.call("POST", "/v1/compare", served.tokens["supervisor"],
                         {"rulebook": lenient, "cases": 300, "seed": 7})
    assert answer.status == 200, answer.text
    doc = answer.json
    program = wenze.load(str(RULEBOOK)).program
    profile = load_profile()
    events = generate(program, profile, 300, 7)
    a = EV.evaluate(program, events, profile.as_of).decisions

    # load_posted reads bases from the service's rulebook folder
    folder = SimpleNamespace(config=SimpleNamespace(rulebook=str(RULEBOOK)))
    b = EV.evaluate(lower(load_posted(folder, lenient).rulebook), events, profile.as_of).decisions
    assert doc["decisions"] == {"a": len(a), "b": len(b)} and len(b) < len(a)
    assert sum(row["a"] for row in doc["sanctions"]) == len(a)
    assert sum(row["b"] for row in doc["sanctions"]) == len(b)
    def who(d: Any) -> tuple:  # named as the report names them (wenze evaluate's table)
        return (who_answers(d), d.unit or "")

    changed = {who(d) for d in a} ^ {who(d) for d in b}
    named = {(p["person"], p["unit"]) for p in doc["persons"]}
    assert changed <= named <= {who(d) for d in a} | {who(d) for d in b}
    assert doc["persons"] and all(p["a"] != p["b"] for p in doc["persons"])
    assert doc["levels"][:2] == ["效能告诫", "通报批评"]
