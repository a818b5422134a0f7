"""``wenze rulebook push/list/show/activate`` on SQLite and PostgreSQL: the store's rulebooks for
administrators without HTTP, with the same checks as ``PUT /v1/rulebooks/{name}``; and
``wenze serve`` without ``--rulebook`` on a store where none was activated does not start."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve.conftest import RULEBOOK, Database, make_database, wenze
from tests.serve.test_rulebooks import BASE


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = make_database(request.param, tmp_path)
    try:
        yield database
    finally:
        database.close()


def test_push_list_show_activate(db: Database, tmp_path: Path) -> None:
    done = wenze("rulebook", "push", str(RULEBOOK), "--db", db.url)
    assert done.returncode == 1 and "WZ104" in done.stderr  # its base is not stored yet
    done = wenze("rulebook", "push", str(BASE), "--label", "法制办", "--db", db.url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "statutory_base"
    done = wenze("rulebook", "push", str(RULEBOOK), "--db", db.url)
    assert done.returncode == 0, done.stderr
    saved = json.loads(done.stdout)
    assert (saved["name"], saved["version"], saved["bases"], saved["unchanged"]) == \
        ("zitong_2008", 1, {"statutory_base": 1}, False)
    again = json.loads(wenze("rulebook", "push", str(RULEBOOK), "--db", db.url).stdout)
    assert again["unchanged"] and again["version"] == 1
    broken = tmp_path / "broken.wz"
    broken.write_text("规则集 「坏」 {\n  版本 \"1\"\n}\n事项 「甲」 {\n  单位 「无」\n}\n",
                      encoding="utf-8")
    done = wenze("rulebook", "push", str(broken), "--db", db.url)
    assert done.returncode == 1 and "broken.wz:5:" in done.stderr
    listed = [json.loads(line) for line in
              wenze("rulebook", "list", "--db", db.url).stdout.splitlines()]
    assert [(e["name"], e["latest"], e["active"]) for e in listed] == [
        ("statutory_base", 1, None), ("zitong_2008", 1, None)]
    assert listed[0]["versions"][0]["author"] == "法制办"
    shown = wenze("rulebook", "show", "zitong_2008", "--db", db.url)
    assert shown.returncode == 0 and shown.stdout == RULEBOOK.read_text(encoding="utf-8")
    assert wenze("rulebook", "show", "zitong_2008", "--version", "2", "--db", db.url
                 ).returncode == 2
    done = wenze("rulebook", "activate", "zitong_2008", "1", "--db", db.url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] == 1 and "next start" in done.stderr
    listed = [json.loads(line) for line in
              wenze("rulebook", "list", "--db", db.url).stdout.splitlines()]
    assert listed[1]["active"] == 1


def test_serve_without_a_rulebook_on_a_store_with_none_activated_does_not_start(
        db: Database) -> None:
    done = wenze("serve", "--db", db.url, "--port", "1")
    assert done.returncode == 2
    assert "no rulebook" in done.stderr and "--rulebook" in done.stderr


@pytest.mark.parametrize("command", [["serve", "--rulebook", str(RULEBOOK)], ["rulebook", "list"],
                                     ["token", "list"]])
@pytest.mark.parametrize("url", ["notaurl", "mysql://u@h/d"])
def test_a_store_url_wenze_cannot_open_is_a_usage_error(command: list[str], url: str) -> None:
    """``--db`` naming no store wenze can open: exit 2 with the reason, not an internal error
    (exit 3, ``please report it``) — as ``wenze db`` and ``wenze ingest`` answer it."""
    done = wenze(*command, "--db", url)
    assert done.returncode == 2, done.stderr
    assert f"wenze {command[0]}: --db: " in done.stderr
    assert "please report" not in done.stderr
