"""The rulebook store over real HTTP, on SQLite and PostgreSQL: save (admin; 422 with the
diagnostics for a text with errors, nothing stored), read and list (supervisor, admin; units get
403), ``继承`` confined to the stored rulebooks, and activation — every stored event judged again
under the activated version, the live decisions and warnings then equal to a batch evaluation of
that version over the same events, changed decisions superseded in the output log (never edited),
and the activated version kept across a restart (it wins over ``--rulebook``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import (
    CASELOAD,
    RULEBOOK,
    TODAY,
    Server,
    batch_json,
    serving_caseload,
    start_server,
)
from tests.serve.test_api import all_decisions, stream

BASE = RULEBOOK.parent / "statutory_base.wz"


def edited(text: str) -> str:
    """The zitong rulebook made stricter: a first offence gets 通报批评 (not 效能告诫) and two
    promised limits are longer (one warning of the example caseload clears)."""
    out = text.replace("  第 1 次 「效能告诫」", "  第 1 次 「通报批评」")
    out = out.replace("承诺时限 7 工作日", "承诺时限 20 工作日", 1)
    out = out.replace("承诺时限 12 工作日", "承诺时限 20 工作日", 1)
    assert out != text
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"rulebooks-{request.param}")
    with serving_caseload(request.param, folder) as srv:
        yield srv


def put(server: Server, name: str, text: str, token: str = "admin",
        content_type: str | None = None) -> Any:
    if content_type == "text/plain":
        return server.call("PUT", f"/v1/rulebooks/{name}", server.tokens[token], text,
                           "text/plain; charset=utf-8")
    return server.call("PUT", f"/v1/rulebooks/{name}", server.tokens[token], {"rulebook": text})


def test_tokens_without_the_scope_are_refused(server: Server) -> None:
    text = RULEBOOK.read_text(encoding="utf-8")
    for method, path, body in (("GET", "/v1/rulebooks", None),
                               ("GET", "/v1/rulebooks/zitong", None),
                               ("PUT", "/v1/rulebooks/zitong", {"rulebook": text}),
                               ("POST", "/v1/rulebooks/zitong/activate", {"version": 1})):
        answer = server.call(method, path, None, body)
        assert answer.status == 401, (path, answer.text)
        assert answer.content_type == "application/problem+json"
        assert server.call(method, path, "wz_not-a-token", body).status == 401
        for unit in ("jianshe", "guotu"):
            answer = server.call(method, path, server.tokens[unit], body)
            assert answer.status == 403, (path, answer.text)
            assert answer.json["code"] == "forbidden"
    # what each token may do, as the page asks it
    assert server.call("GET", "/v1/me", server.tokens["jianshe"]).json == \
        {"scope": "unit", "unit": "县建设局", "label": None}
    assert server.call("GET", "/v1/me", server.tokens["admin"]).json["scope"] == "admin"
    # a supervisor reads, but neither saves nor activates
    assert server.call("GET", "/v1/rulebooks", server.tokens["supervisor"]).status == 200
    assert put(server, "zitong", text, "supervisor").status == 403
    assert server.call("POST", "/v1/rulebooks/zitong/activate", server.tokens["supervisor"],
                       {"version": 1}).status == 403


def test_a_rulebook_with_errors_gets_422_with_its_diagnostics_and_is_not_stored(
        server: Server) -> None:
    broken = "规则集 「坏」 {\n  版本 \"1\"\n}\n\n事项 「甲」 {\n  单位 「没有的单位」\n}\n"
    answer = put(server, "broken", broken)
    assert answer.status == 422, answer.text
    body = answer.json
    assert answer.content_type == "application/problem+json"
    errors = [d for d in body["diagnostics"] if d["severity"] == "error"]
    assert errors and body["code"] == errors[0]["code"] and body["code"].startswith("WZ")
    assert errors[0]["file"] == "broken.wz" and errors[0]["line"] >= 5
    assert server.call("GET", "/v1/rulebooks/broken", server.tokens["admin"]).status == 404
    names = [r["name"] for r in server.call("GET", "/v1/rulebooks",
                                            server.tokens["admin"]).json["rulebooks"]]
    assert "broken" not in names


def test_extends_reaches_only_stored_rulebooks_never_a_server_file(server: Server) -> None:
    text = RULEBOOK.read_text(encoding="utf-8")
    # statutory_base.wz lies next to the service's --rulebook, but is not in the store: 422
    answer = put(server, "zitong_unbased", text)
    assert answer.status == 422 and answer.json["code"] == "WZ104", answer.text
    assert "wenze-rulebooks-" not in answer.text  # the private folder is never shown
    found = next(d for d in answer.json["diagnostics"] if d["code"] == "WZ104")
    assert found["file"] == "zitong_unbased.wz" and "statutory_base.wz" in found["help"]["en"]
    for path in ("../../../../etc/passwd.wz", "/etc/hosts.wz", "../rules/statutory_base.wz"):
        sneaky = text.replace('继承 "statutory_base.wz"', f'继承 "{path}"')
        answer = put(server, "sneaky", sneaky)
        assert answer.status == 422, answer.text
        assert answer.json["code"] in ("WZ119", "WZ104")
        assert "/etc" not in answer.text.replace(path, "") and "/tmp" not in answer.text
        assert "wenze-rulebooks-" not in answer.text


def test_save_read_list_activate_and_restart(server: Server, tmp_path: Path) -> None:
    admin, supervisor = server.tokens["admin"], server.tokens["supervisor"]
    text = RULEBOOK.read_text(encoding="utf-8")
    base = put(server, "statutory_base", BASE.read_text(encoding="utf-8"),
               content_type="text/plain")
    assert base.status == 201, base.text
    first = put(server, "zitong", text)
    assert first.status == 201, first.text
    assert first.headers["location"] == "/v1/rulebooks/zitong?version=1"
    v1 = first.json
    assert (v1["name"], v1["version"], v1["bases"], v1["unchanged"]) == \
        ("zitong", 1, {"statutory_base": 1}, False)
    assert v1["author"] is None or isinstance(v1["author"], str)
    again = put(server, "zitong", text)  # the same text: nothing stored
    assert again.status == 200 and again.json["unchanged"] and again.json["version"] == 1
    second = put(server, "zitong", edited(text), content_type="text/plain")
    assert second.status == 201 and second.json["version"] == 2, second.text

    latest = server.call("GET", "/v1/rulebooks/zitong", supervisor).json
    assert latest["version"] == 2 and latest["text"] == edited(text) and not latest["active"]
    old = server.call("GET", "/v1/rulebooks/zitong?version=1", supervisor).json
    assert old["text"] == text and old["sha256"] == v1["sha256"]
    assert server.call("GET", "/v1/rulebooks/zitong?version=9", supervisor).status == 404
    listed = server.call("GET", "/v1/rulebooks", supervisor).json
    assert listed["in_force"]["origin"] == "file"
    entry = next(r for r in listed["rulebooks"] if r["name"] == "zitong")
    assert entry["latest"] == 2 and entry["active"] is None
    assert [v["version"] for v in entry["versions"]] == [1, 2]

    # activate v2: the live judgements become those of a batch evaluation of v2
    before = stream(server, supervisor)
    head = before[-1][0]
    folder = tmp_path / "v2"
    folder.mkdir()
    shutil.copy(BASE, folder / BASE.name)
    (folder / "zitong.wz").write_text(edited(text), encoding="utf-8")
    batch = batch_json(folder / "zitong.wz", CASELOAD, TODAY)
    assert batch["decisions"] != batch_json(RULEBOOK, CASELOAD, TODAY)["decisions"]
    answer = server.call("POST", "/v1/rulebooks/zitong/activate", admin, {"version": 2})
    assert answer.status == 200, answer.text
    assert answer.json["changed"] and answer.json["day"] == TODAY and answer.json["issued"] > 0
    assert all_decisions(server, supervisor) == batch["decisions"]
    warnings = server.call("GET", "/v1/warnings", supervisor).json["warnings"]
    assert warnings == batch["warnings"]
    issued = [e for e in stream(server, supervisor, head)]
    assert len(issued) == answer.json["issued"]
    superseding = [body for _, kind, body in issued if kind == "decision"]
    assert superseding and all(b["supersedes"] == b["record"]["key"] and b["revision"] >= 1
                               and "zitong v2" in b["reason"] for b in superseding)
    assert {k for _, k, _ in issued} <= {"decision", "decision_withdrawn", "warning",
                                         "warning_cleared"}
    # an earlier output is never changed: the log before activation reads as it did
    assert stream(server, supervisor)[: len(before)] == before
    shown = server.call("GET", "/v1/rulebooks/zitong", supervisor).json
    assert shown["active"] and [a["version"] for a in shown["activations"]] == [2]
    assert server.call("GET", "/v1/rulebook", supervisor).json["version"] == 2
    same = server.call("POST", "/v1/rulebooks/zitong/activate", admin, {"version": 2})
    assert same.status == 200 and not same.json["changed"] and same.json["issued"] == 0
    assert server.call("POST", "/v1/rulebooks/zitong/activate", admin,
                       {"version": 7}).status == 404
    assert server.call("POST", "/v1/rulebooks/nope/activate", admin,
                       {"version": 1}).status == 404

    # a restart keeps v2 in force (over --rulebook) and issues nothing again
    head = stream(server, supervisor)[-1][0]
    server.stop()
    server.start()
    ready = server.call("GET", "/readyz").json
    assert ready["in_force"] == {"origin": "store", "name": "zitong", "version": 2,
                                 "file": "zitong.wz", "rulebook": batch_rulebook_name(text)}
    assert all_decisions(server, supervisor) == batch["decisions"]
    assert stream(server, supervisor, head) == []

    # back to v1: a batch evaluation of the original again
    back = server.call("POST", "/v1/rulebooks/zitong/activate", admin, {"version": 1})
    assert back.status == 200 and back.json["changed"], back.text
    assert all_decisions(server, supervisor) == batch_json(RULEBOOK, CASELOAD, TODAY)["decisions"]
    history = server.call("GET", "/v1/rulebooks", supervisor).json
    assert next(r for r in history["rulebooks"] if r["name"] == "zitong")["active"] == 1


def batch_rulebook_name(text: str) -> str:
    import re

    found = re.search(r"规则集 「([^」]+)」", text)
    assert found
    return found.group(1)


def test_bad_names_and_bodies(server: Server) -> None:
    admin = server.tokens["admin"]
    assert server.call("GET", "/v1/rulebooks/a.b", admin).status == 400
    answer = server.call("PUT", "/v1/rulebooks/x", admin, b"<xml/>", "application/xml")
    assert answer.status == 415
    answer = server.call("PUT", "/v1/rulebooks/x", admin, {"text": "no"})
    assert answer.status == 400


def test_activation_under_two_workers_is_the_judges_and_every_worker_follows(
        tmp_path: Path) -> None:
    """``--workers 2``: whichever worker takes the activation, the one judge puts the version
    in force (decisions = a batch evaluation of it) and both workers then serve it."""
    import time

    srv, db = start_server("sqlite", tmp_path, "--today", TODAY, "--workers", "2")
    try:
        admin, supervisor = srv.tokens["admin"], srv.tokens["supervisor"]
        posted = srv.call("POST", "/v1/events", admin, CASELOAD.read_bytes(),
                          "application/x-ndjson")
        assert posted.status == 200, posted.text
        text = RULEBOOK.read_text(encoding="utf-8")
        assert put(srv, "statutory_base", BASE.read_text(encoding="utf-8")).status == 201
        assert put(srv, "zitong", edited(text)).status == 201
        folder = tmp_path / "v1"
        folder.mkdir()
        shutil.copy(BASE, folder / BASE.name)
        (folder / "zitong.wz").write_text(edited(text), encoding="utf-8")
        batch = batch_json(folder / "zitong.wz", CASELOAD, TODAY)
        answer = srv.call("POST", "/v1/rulebooks/zitong/activate", admin, {"version": 1})
        assert answer.status == 200 and answer.json["changed"], answer.text
        assert all_decisions(srv, supervisor) == batch["decisions"]
        time.sleep(1.5)  # the other worker looks for a new activation once a second
        seen = {srv.call("GET", "/v1/rulebook", supervisor).json["version"] for _ in range(12)}
        assert seen == {1}
    finally:
        srv.stop()
        db.close()
