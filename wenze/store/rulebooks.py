"""Store stage — the rulebooks the HTTP service keeps: versions per name, activations in order.

``PUT /v1/rulebooks/{name}`` → :func:`save_version` (a new row, version = the name's last + 1,
the text exactly as uploaded with its SHA-256, the stored rulebooks its ``继承`` reached pinned
by version, the uploading token's label) and ``POST /v1/rulebooks/{name}/activate`` →
:func:`activate` (a new row in ``rulebook_activations``). Nothing is ever updated or deleted:
the rulebook in force is the one of the last activation (:func:`active`), and the activations
are the history of what was in force from which day. Whether a text may be stored at all (it
checks clean) is the service's to judge (:mod:`wenze.serve.rulebooks`); this module only keeps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from wenze.store.db import write_transaction
from wenze.store.models import RulebookActivation, RulebookVersion

VERSIONS = RulebookVersion.__table__
ACTIVATIONS = RulebookActivation.__table__


@dataclass(frozen=True)
class StoredRulebook:
    """One stored version of a rulebook."""

    id: int
    name: str
    version: int
    text: str
    sha256: str
    bases: dict[str, int]
    author: str | None
    created_at: datetime

    def to_json(self, with_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "version": self.version, "sha256": self.sha256,
            "bases": dict(sorted(self.bases.items())), "author": self.author,
            "created_at": _iso(self.created_at),
        }
        if with_text:
            out["text"] = self.text
        return out


@dataclass(frozen=True)
class Activation:
    """One activation: which version was put in force, by whom, on which day."""

    id: int
    name: str
    version: int
    author: str | None
    day: date
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version,
                "author": self.author, "day": self.day.isoformat(),
                "created_at": _iso(self.created_at)}


def _iso(when: datetime) -> str:
    if when.tzinfo is None:  # SQLite gives naive datetimes back; they were written in UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored(row: Any) -> StoredRulebook:
    return StoredRulebook(row.id, row.name, row.version, row.text, row.sha256,
                          {str(k): int(v) for k, v in (row.bases or {}).items()}, row.author,
                          row.created_at)


def save_version(engine: Engine, name: str, text: str, author: str | None,
                 bases: dict[str, int] | None = None) -> StoredRulebook:
    """Store ``text`` as the next version of ``name`` (1 for a new name). Two uploads at the
    same moment get consecutive versions (the unique (name, version) pair makes the loser try
    again)."""
    digest = text_sha256(text)
    for _attempt in range(5):
        try:
            with write_transaction(engine) as conn:
                last = conn.execute(select(func.max(VERSIONS.c.version))
                                    .where(VERSIONS.c.name == name)).scalar_one()
                version = int(last or 0) + 1
                row_id = conn.execute(insert(VERSIONS).values(
                    name=name, version=version, text=text, sha256=digest,
                    bases=dict(sorted((bases or {}).items())), author=author,
                    created_at=datetime.now(UTC),
                ).returning(VERSIONS.c.id)).scalar_one()
        except IntegrityError:
            continue
        found = get_version(engine, name, version)
        assert found is not None and found.id == row_id
        return found
    raise RuntimeError(f"could not number a new version of `{name}`: too many concurrent saves")


def get_version(engine: Engine, name: str, version: int | None = None
                ) -> StoredRulebook | None:
    """A stored version of ``name`` (the latest when ``version`` is None), or None."""
    query = select(VERSIONS).where(VERSIONS.c.name == name)
    if version is None:
        query = query.order_by(VERSIONS.c.version.desc()).limit(1)
    else:
        query = query.where(VERSIONS.c.version == version)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _stored(row)


def latest_versions(engine: Engine) -> dict[str, StoredRulebook]:
    """The latest version of every stored name."""
    newest = select(VERSIONS.c.name, func.max(VERSIONS.c.version).label("v")) \
        .group_by(VERSIONS.c.name).subquery()
    query = select(VERSIONS).join(newest, (VERSIONS.c.name == newest.c.name)
                                  & (VERSIONS.c.version == newest.c.v))
    with engine.connect() as conn:
        return {r.name: _stored(r) for r in conn.execute(query)}


def list_rulebooks(engine: Engine) -> list[dict[str, Any]]:
    """Every stored name (sorted): its versions (number, SHA-256, author, time; no text) and
    which of them is in force, if one is."""
    in_force = active(engine)
    query = select(VERSIONS.c.name, VERSIONS.c.version, VERSIONS.c.sha256, VERSIONS.c.author,
                   VERSIONS.c.created_at).order_by(VERSIONS.c.name, VERSIONS.c.version)
    out: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for r in conn.execute(query):
            entry = out.setdefault(r.name, {"name": r.name, "latest": 0, "active": None,
                                            "versions": []})
            entry["latest"] = r.version
            entry["versions"].append({"version": r.version, "sha256": r.sha256,
                                      "author": r.author, "created_at": _iso(r.created_at)})
    if in_force is not None and in_force[0].name in out:
        out[in_force[0].name]["active"] = in_force[0].version
    return [out[name] for name in sorted(out)]


def activate(engine: Engine, stored: StoredRulebook, author: str | None, day: date
             ) -> Activation:
    """Record that ``stored`` is in force from ``day`` (a new row; earlier ones are kept)."""
    now = datetime.now(UTC)
    with write_transaction(engine) as conn:
        row_id = conn.execute(insert(ACTIVATIONS).values(
            version_id=stored.id, author=author, day=day, created_at=now,
        ).returning(ACTIVATIONS.c.id)).scalar_one()
    return Activation(int(row_id), stored.name, stored.version, author, day, now)


def active(engine: Engine) -> tuple[StoredRulebook, Activation] | None:
    """The rulebook in force (the last activated) and its activation, or None."""
    query = select(ACTIVATIONS.c.id.label("aid"), ACTIVATIONS.c.author.label("by"),
                   ACTIVATIONS.c.day, ACTIVATIONS.c.created_at.label("at"), VERSIONS) \
        .join(VERSIONS, VERSIONS.c.id == ACTIVATIONS.c.version_id) \
        .order_by(ACTIVATIONS.c.id.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    stored = _stored(row)
    return stored, Activation(row.aid, stored.name, stored.version, row.by, row.day, row.at)


def activations(engine: Engine, name: str | None = None) -> list[Activation]:
    """Every activation, oldest first (only ``name``'s when given)."""
    query = select(ACTIVATIONS.c.id, ACTIVATIONS.c.author, ACTIVATIONS.c.day,
                   ACTIVATIONS.c.created_at, VERSIONS.c.name, VERSIONS.c.version) \
        .join(VERSIONS, VERSIONS.c.id == ACTIVATIONS.c.version_id).order_by(ACTIVATIONS.c.id)
    if name is not None:
        query = query.where(VERSIONS.c.name == name)
    with engine.connect() as conn:
        return [Activation(r.id, r.name, r.version, r.author, r.day, r.created_at)
                for r in conn.execute(query)]
