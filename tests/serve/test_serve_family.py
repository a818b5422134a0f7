"""``wenze serve --rulebook FAMILY``: the service judges with a rulebook family — live decisions
equal the batch family evaluation as of the same day, before and after the clock crosses the
2022 version's 生效 day (docs/semantics.md §10); decision letters and the stateless evaluate use
the family too. Real ``wenze serve`` on SQLite, plain HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.serve.conftest import batch_json, start_server
from tests.serve.test_api import all_decisions

REPO = Path(__file__).resolve().parents[2]
FAMILY = REPO / "rules" / "versions" / "family.wz"
EVENTS = REPO / "examples" / "versions" / "caseload.jsonl"


def test_a_family_served_switches_versions_at_midnight(tmp_path_factory: Any) -> None:
    server, db = start_server("sqlite", tmp_path_factory.mktemp("family"), "--today",
                              "2021-12-31", "--rulebook", str(FAMILY))
    try:
        token = server.tokens["admin"]
        posted = server.call("POST", "/v1/events", token, EVENTS.read_bytes(),
                             "application/x-ndjson")
        assert posted.status == 200, posted.text
        before = all_decisions(server, token)
        assert before == batch_json(FAMILY, EVENTS, "2021-12-31")["decisions"]
        assert before and {d["version"] for d in before} == {"2019"}
        moved = server.call("POST", "/v1/clock", token, {"to": "2022-06-30"})
        assert moved.status == 200, moved.text
        after = all_decisions(server, token)
        batch = batch_json(FAMILY, EVENTS, "2022-06-30")
        assert after == batch["decisions"]
        assert "2022" in {d["version"] for d in after}
        lighter = next(d for d in after if "从旧兼从轻" in str(d["ladder"]))
        letter = server.call("GET", f"/v1/decisions/{lighter['key']}?format=text", token)
        assert letter.status == 200 and "从旧兼从轻" in letter.text
        # the case view: the limits of the version the case was accepted under (2019: 20 days)
        view = server.call("GET", "/v1/cases/STRADDLE?explain=true", token)
        assert view.status == 200, view.text
        assert view.json["judged"]
        assert view.json["decisions"] == [d for d in batch["decisions"]
                                          if d["case"] == "STRADDLE"]
        assert "20 工作日" in view.json["explain"] or "20 working" in view.json["explain"]
        stateless = server.call("POST", "/v1/evaluate", token, {
            "events": [json.loads(line) for line in
                       EVENTS.read_text(encoding="utf-8").splitlines() if line.strip()],
            "as_of": "2022-06-30"})
        assert stateless.status == 200, stateless.text
        assert stateless.json["decisions"] == batch["decisions"]
        early = server.call("POST", "/v1/evaluate", token, {"events": [], "as_of": "2018-06-30"})
        assert early.status == 400 and early.json["code"] == "bad_request"
    finally:
        server.stop()
        db.close()
