"""The service's rulebook store on SQLite and PostgreSQL: versions numbered per name, the text
and its SHA-256 kept exactly, activations appended (the last one is in force), and both tables
refusing UPDATE and DELETE — by the ORM and by the database's own triggers."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from wenze.store import rulebooks as RB
from wenze.store.models import ImmutableRowError, RulebookVersion

TEXT = "规则集 「甲」 {\n  版本 \"1\"\n}\n"


def test_versions_are_numbered_per_name_and_kept_exactly(engine: Engine) -> None:
    a1 = RB.save_version(engine, "甲", TEXT, "管理员")
    a2 = RB.save_version(engine, "甲", TEXT + "# 二\n", None, {"base": 3})
    b1 = RB.save_version(engine, "乙", TEXT, "管理员")
    assert (a1.version, a2.version, b1.version) == (1, 2, 1)
    assert a1.sha256 == hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert RB.get_version(engine, "甲") == a2
    assert RB.get_version(engine, "甲", 1) == a1
    assert RB.get_version(engine, "甲", 3) is None and RB.get_version(engine, "丙") is None
    assert a2.bases == {"base": 3} and a1.author == "管理员"
    assert {n: s.version for n, s in RB.latest_versions(engine).items()} == {"甲": 2, "乙": 1}
    listed = RB.list_rulebooks(engine)
    assert [(e["name"], e["latest"], e["active"]) for e in listed] == [("乙", 1, None),
                                                                       ("甲", 2, None)]


def test_the_last_activation_is_in_force_and_every_one_is_kept(engine: Engine) -> None:
    assert RB.active(engine) is None
    a1 = RB.save_version(engine, "甲", TEXT, None)
    a2 = RB.save_version(engine, "甲", TEXT + "\n", None)
    RB.activate(engine, a2, "管理员", dt.date(2024, 6, 30))
    RB.activate(engine, a1, "管理员", dt.date(2024, 7, 1))
    stored, activation = RB.active(engine)  # type: ignore[misc]
    assert stored == a1 and activation.day == dt.date(2024, 7, 1)
    assert [(a.version, a.day) for a in RB.activations(engine, "甲")] == [
        (2, dt.date(2024, 6, 30)), (1, dt.date(2024, 7, 1))]
    assert RB.list_rulebooks(engine)[0]["active"] == 1


@pytest.mark.parametrize("statement", [
    "UPDATE rulebook_versions SET text = 'x'",
    "DELETE FROM rulebook_versions",
    "UPDATE rulebook_activations SET author = 'x'",
    "DELETE FROM rulebook_activations",
])
def test_records_refuse_update_and_delete_in_the_database(engine: Engine, statement: str
                                                          ) -> None:
    stored = RB.save_version(engine, "甲", TEXT, None)
    RB.activate(engine, stored, None, dt.date(2024, 6, 30))
    with pytest.raises(DBAPIError, match="不可修改"), engine.begin() as conn:
        conn.execute(text(statement))
    assert RB.get_version(engine, "甲") == stored
    assert len(RB.activations(engine)) == 1


def test_records_refuse_update_through_the_orm(engine: Engine) -> None:
    RB.save_version(engine, "甲", TEXT, None)
    with Session(engine) as session:
        row = session.scalars(select(RulebookVersion)).one()
        row.text = "x"
        with pytest.raises(ImmutableRowError):
            session.flush()
