"""Serve stage — API tokens: created by ``wenze token create``, kept hashed, checked per request.

A token is ``wz_`` + 32 random bytes (URL-safe base64), shown once when created; the store keeps
only its SHA-256 (a random 256-bit secret needs no slow hash: there is nothing to guess).

Scopes:

- ``unit``: posts events of its unit and reads only its unit's cases, warnings, decisions and
  stream outputs;
- ``supervisor`` (效能办): reads every unit; posts nothing;
- ``admin``: manages tokens and the live clock, posts events of any unit and reads every unit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from wenze.store.models import ApiToken

SCOPES = ("unit", "supervisor", "admin")
PREFIX = "wz_"


@dataclass(frozen=True)
class Grant:
    """Who a valid token speaks for."""

    token_id: int
    scope: str
    unit: str | None
    label: str | None

    @property
    def reads_all(self) -> bool:
        return self.scope in ("supervisor", "admin")

    def may_read_unit(self, unit: str | None) -> bool:
        return self.reads_all or (unit is not None and unit == self.unit)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, scope: str, unit: str | None = None,
                 label: str | None = None) -> tuple[str, int]:
    """A new token (its text, shown once) and its id. A ``unit`` token needs its unit; the
    other scopes take none."""
    if scope not in SCOPES:
        raise ValueError(f"未知权限范围 unknown scope `{scope}` (one of {', '.join(SCOPES)})")
    if scope == "unit" and not unit:
        raise ValueError("单位令牌须指明单位 a unit token needs --unit")
    if scope != "unit" and unit:
        raise ValueError(f"`{scope}` 令牌不属于某一单位 a {scope} token takes no --unit")
    token = PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = conn.execute(
            insert(ApiToken).values(
                token_hash=token_hash(token), scope=scope, unit=unit, label=label,
                created_at=datetime.now(UTC),
            ).returning(ApiToken.id)
        ).scalar_one()
    return token, int(token_id)


def verify(engine: Engine, token: str) -> Grant | None:
    """The grant of a valid, unrevoked token; ``None`` otherwise."""
    if not token.startswith(PREFIX):
        return None
    query = select(ApiToken.id, ApiToken.scope, ApiToken.unit, ApiToken.label).where(
        ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else Grant(row.id, row.scope, row.unit, row.label)


def revoke(engine: Engine, token_id: int) -> bool:
    with engine.begin() as conn:
        done = conn.execute(
            update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        ).rowcount
    return bool(done)


def list_tokens(engine: Engine) -> list[dict[str, object]]:
    """The tokens (never their hashes): id, scope, unit, label, created, revoked."""
    query = select(ApiToken).order_by(ApiToken.id)
    with engine.connect() as conn:
        return [
            {"id": r.id, "scope": r.scope, "unit": r.unit, "label": r.label,
             "created_at": r.created_at.isoformat() if r.created_at else None,
             "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None}
            for r in conn.execute(query)
        ]
