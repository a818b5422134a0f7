"""Store stage — evaluation runs and their decisions, read back for evaluation and ladders.

evaluate (``wenze.engine``) → **record_run**: the rulebook (by content hash), the run (rulebook
hash, as-of, parameters, input fingerprint — unique, so the same evaluation is recorded once), its
decisions and warnings. Decisions are legal acts and are never updated: a decision whose stable
key is already stored with the same content is left alone; with different content (new events, a
corrected rulebook) a new row *supersedes* the stored one, with the reason. ``sanction_history``
gives the ladder the sanctions people received in earlier runs (superseded ones excluded).
``load_events`` / ``load_snapshot`` give the evaluator the stored events.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import aliased

from wenze.dsl.ast import Leader
from wenze.engine.decisions import person_key_of
from wenze.store.chain import Appender
from wenze.store.db import canonical_json, write_transaction
from wenze.store.models import Decision, EvaluationRun, Rulebook, RunWarning, SanctionHistory

# Fields of a decision that describe the run rather than the decision: a decision that differs
# only in these is the same decision (re-evaluating later does not reissue it).
VOLATILE_DECISION_FIELDS = frozenset({"as_of"})
DATE_FIELDS = ("established", "decided_on", "on", "date")
MAX_ATTEMPTS = 5

D = Decision.__table__
SH = SanctionHistory.__table__


@dataclass(frozen=True)
class RunRecord:
    run_id: int
    created: bool  # False: the same run (same inputs) was already recorded; nothing was added
    decisions_added: int  # new rows, including the superseding ones
    superseded: int  # of those, the corrections of a stored decision
    unchanged: int = 0  # decisions already stored with the same content
    warnings_added: int = 0
    withdrawn: int = 0  # decisions of the evaluated cases this run no longer finds (new rows)


@dataclass(frozen=True)
class Snapshot:
    """The stored events and the fingerprint of exactly that set (read in one transaction)."""

    events: list[Any]
    fingerprint: str
    count: int


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decision_hash(decision: Mapping[str, Any]) -> str:
    """The content hash of a decision, ignoring ``VOLATILE_DECISION_FIELDS``."""
    return sha256(
        canonical_json({k: v for k, v in decision.items() if k not in VOLATILE_DECISION_FIELDS})
    )


def rulebook_text(source: str | Mapping[str, str]) -> str:
    """The text stored and hashed for a rulebook: the source itself, or for a rulebook that
    extends others (``LoadResult.sources``, file → text) the canonical JSON of all its files."""
    return source if isinstance(source, str) else canonical_json(dict(source))


def _header(source: str | Mapping[str, str]) -> tuple[str | None, str | None]:
    text = source if isinstance(source, str) else next(iter(source.values()), "")
    try:
        from wenze.dsl.parser import parse

        rulebook = parse(text, "<rulebook>").rulebook
    except Exception:
        return None, None
    if rulebook is None:
        return None, None
    return rulebook.header.name.text, rulebook.header.version


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _sanction_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        for name in ("name", "code", "zh"):
            if value.get(name):
                return str(value[name])
        return canonical_json(value)
    return str(value)


def _decided_on(decision: Mapping[str, Any]) -> date | None:
    for name in DATE_FIELDS:
        found = _as_date(decision.get(name))
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------------------------------------
# Events for the evaluator


def fingerprint_events(events: Iterable[Any]) -> str:
    """The input fingerprint of a set of engine ``Event`` objects: SHA-256 over the ids and the
    hashes of their contents (``Event.content_key``), in id order. The same events give the same
    fingerprint whichever file, format or order they came from."""
    lines = sorted(
        f"{ev.id}\t{hashlib.sha256(ev.content_key().encode('utf-8')).hexdigest()}\n"
        for ev in events
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def events_fingerprint(engine: Engine) -> tuple[str, int]:
    """(the fingerprint of the events stored now, their number)."""
    snapshot = load_snapshot(engine)
    return snapshot.fingerprint, snapshot.count


def load_snapshot(engine: Engine) -> Snapshot:
    """The stored events as engine ``Event`` objects, re-read from their payloads with
    ``wenze.events.readers.read_jsonl`` (so in its order: case, instant, id) and given back their
    original source file and line; and the fingerprint of that set. A stored event that no
    longer reads is an error, never dropped."""
    from wenze.events.readers import read_jsonl
    from wenze.store.models import Event

    query = select(Event.id, Event.payload, Event.source, Event.line).order_by(Event.id)
    with engine.connect() as conn, conn.begin():
        rows = conn.execute(query).all()
    batch = read_jsonl([r.payload for r in rows], "<store>")
    if batch.rejected or len(batch.events) != len(rows):
        detail = (
            f"{batch.rejected[0].event_id or '?'}: {batch.rejected[0].code}: "
            f"{batch.rejected[0].message}" if batch.rejected else "an event read twice"
        )
        raise ValueError(f"a stored event no longer reads / 已存事件无法读取: {detail}")
    origin = {r.id: (r.source, r.line) for r in rows}
    events = [
        dataclasses.replace(ev, source=origin[ev.id][0] or ev.source, line=origin[ev.id][1])
        for ev in batch.events
    ]
    return Snapshot(events, fingerprint_events(events), len(events))


def load_events(engine: Engine) -> list[Any]:
    """The stored events (see ``load_snapshot``)."""
    return load_snapshot(engine).events


# ---------------------------------------------------------------------------------------------
# Recording a run


def _insert(conn: Connection):  # type: ignore[no-untyped-def]
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _current(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, str, dict[str, Any]]]:
    """key → (id, body hash, body) of the decision in force (not superseded) for each key."""
    newer = aliased(Decision)
    query = select(Decision.id, Decision.key, Decision.body_hash, Decision.body).where(
        Decision.key.in_(bindparam("keys", expanding=True)),
        ~exists().where(newer.supersedes == Decision.id),
    )
    found: dict[str, tuple[int, str, dict[str, Any]]] = {}
    for start in range(0, len(keys), 500):
        for r in conn.execute(query, {"keys": list(keys[start : start + 500])}):
            found[r.key] = (r.id, r.body_hash, r.body)
    return found


def _reason(old: Mapping[str, Any], new: Mapping[str, Any], run_id: int, reason: str | None) -> str:
    changed = sorted(
        k for k in set(old) | set(new)
        if k not in VOLATILE_DECISION_FIELDS and old.get(k) != new.get(k)
    )
    fields = "、".join(changed) or "-"
    text = (
        f"重新评估（第 {run_id} 次评估）后决定内容变化，变化字段：{fields} / "
        f"re-evaluation (run {run_id}) changed the decision; fields changed: {', '.join(changed)}"
    )
    return f"{reason} — {text}" if reason else text


def _record(
    conn: Connection,
    source: str | Mapping[str, str],
    name: str | None,
    version: str | None,
    as_of: date,
    params: Mapping[str, Any],
    fingerprint: str,
    event_count: int,
    decisions: Sequence[Mapping[str, Any]],
    warnings: Sequence[Mapping[str, Any]],
    reason: str | None,
    cases: Collection[str] | None = None,
) -> RunRecord:
    now = datetime.now(UTC)
    text = rulebook_text(source)
    rb_hash = sha256(text)
    insert = _insert(conn)
    if conn.execute(select(Rulebook.id).where(Rulebook.content_hash == rb_hash)).first() is None:
        if name is None and version is None:
            name, version = _header(source)
        conn.execute(
            insert(Rulebook.__table__).on_conflict_do_nothing(index_elements=["content_hash"]),
            {"content_hash": rb_hash, "name": name, "version": version, "source": text,
             "created_at": now},
        )
    params_json = dict(params)
    params_hash = sha256(canonical_json(params_json))
    run = conn.execute(
        insert(EvaluationRun.__table__)
        .on_conflict_do_nothing(
            index_elements=["rulebook_hash", "as_of", "parameters_hash", "input_fingerprint"]
        )
        .returning(EvaluationRun.id),
        {"rulebook_hash": rb_hash, "as_of": as_of, "parameters": params_json,
         "parameters_hash": params_hash, "input_fingerprint": fingerprint,
         "event_count": event_count, "created_at": now},
    ).first()
    if run is None:
        existing = conn.execute(
            select(EvaluationRun.id).where(
                EvaluationRun.rulebook_hash == rb_hash,
                EvaluationRun.as_of == as_of,
                EvaluationRun.parameters_hash == params_hash,
                EvaluationRun.input_fingerprint == fingerprint,
            )
        ).scalar_one()
        return RunRecord(existing, False, 0, 0)
    run_id = int(run[0])

    by_key: dict[str, Mapping[str, Any]] = {}
    for decision in decisions:
        key = decision.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError(f"decision without a stable `key`: {canonical_json(decision)[:200]}")
        if key in by_key and decision_hash(by_key[key]) != decision_hash(decision):
            raise ValueError(f"two different decisions with the same key {key!r} in one run")
        by_key[key] = decision
    keys = sorted(by_key)
    chain = Appender(conn)
    current = _current(conn, keys)
    added = superseded = unchanged = 0
    for key in keys:
        decision = by_key[key]
        digest = decision_hash(decision)
        stored = current.get(key)
        if stored is not None and stored[1] == digest:
            unchanged += 1
            continue
        decided_on = _decided_on(decision)
        sanction = _sanction_text(decision.get("sanction"))
        new_id = chain.append(
            {"key": key, "run_id": run_id, "case_id": _text(decision.get("case")),
             "person": _text(decision.get("person")), "unit": _text(decision.get("unit")),
             "party": _party(decision), "degree": _degree(decision),
             "sanction": sanction, "decided_on": decided_on, "body": dict(decision),
             "body_hash": digest, "supersedes": stored[0] if stored else None,
             "reason": _reason(stored[2], decision, run_id, reason) if stored else None,
             "created_at": now},
        )
        added += 1
        superseded += stored is not None
        person = _person_key(decision)
        if sanction and person:
            conn.execute(
                insert(SH),
                {"person": person, "unit": _text(decision.get("unit")),
                 "on": decided_on or as_of, "sanction": sanction, "decision_id": new_id},
            )
    withdrawn = 0
    if cases is not None:
        withdrawn = _withdraw(conn, rb_hash, run_id, as_of, set(cases), set(keys), reason, now,
                              chain)
    chain.record_head(run_id)
    if warnings:
        conn.execute(
            insert(RunWarning.__table__),
            [
                {"run_id": run_id, "case_id": _text(w.get("case")),
                 "level": _text(w.get("level")), "body": dict(w)}
                for w in warnings
            ],
        )
    return RunRecord(run_id, True, added, superseded, unchanged, len(warnings), withdrawn)


def _withdraw(conn: Connection, rb_hash: str, run_id: int, as_of: date, cases: set[str],
              issued: set[str], reason: str | None, now: datetime, chain: Appender) -> int:
    """Withdraw the decisions in force that this run should have issued again and did not: of
    the same rulebook (by name: a corrected rulebook judges the same acts), about a case this run
    evaluated, established on or before its as-of. Each gets a new row superseding it (body
    ``{"withdrawn": true, …}``, no sanction) with the reason; the issued act stays as it was."""
    name = conn.execute(
        select(Rulebook.name).where(Rulebook.content_hash == rb_hash)
    ).scalar_one_or_none()
    newer = aliased(Decision)
    query = (
        select(Decision.id, Decision.key, Decision.case_id, Decision.decided_on)
        .join(EvaluationRun, EvaluationRun.id == Decision.run_id)
        .join(Rulebook, Rulebook.content_hash == EvaluationRun.rulebook_hash)
        .where(
            Decision.case_id.is_not(None),
            Rulebook.name.is_(None) if name is None else Rulebook.name == name,
            ~exists().where(newer.supersedes == Decision.id),
        )
        .order_by(Decision.key)
    )
    candidates = [
        r for r in conn.execute(query).all()
        if r.case_id in cases and r.key not in issued
        # not established yet as of this run's date: nothing to say about it
        and r.decided_on is not None and r.decided_on <= as_of
    ]
    bodies: dict[int, dict[str, Any]] = {}
    by_id = select(Decision.id, Decision.body).where(
        Decision.id.in_(bindparam("ids", expanding=True)))
    for start in range(0, len(candidates), 500):
        ids = [r.id for r in candidates[start : start + 500]]
        bodies.update({b.id: dict(b.body) for b in conn.execute(by_id, {"ids": ids})})
    count = 0
    for r in candidates:
        old = bodies[r.id]
        if old.get("withdrawn"):
            continue
        body = {k: old.get(k) for k in ("key", "case", "item", "violation", "subject", "person",
                                         "post", "unit", "role", "party", "degree")}
        body.update(sanction=None, withdrawn=True, established=old.get("established"),
                    as_of=as_of.isoformat())
        text = (f"第 {run_id} 次评估（截至 {as_of.isoformat()}）不再认定该决定，予以撤销 / "
                f"run {run_id} (as of {as_of.isoformat()}) no longer finds this decision; "
                f"withdrawn")
        chain.append(
            {"key": r.key, "run_id": run_id, "case_id": r.case_id, "person": _text(old.get(
                "person")), "unit": _text(old.get("unit")), "party": _party(old),
             "degree": _degree(old), "sanction": None,
             "decided_on": r.decided_on, "body": body, "body_hash": decision_hash(body),
             "supersedes": r.id, "reason": f"{reason} — {text}" if reason else text,
             "created_at": now},
        )
        count += 1
    return count


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _person_key(decision: Mapping[str, Any]) -> str | None:
    """Whom the ladder counts a decision for (``wenze.engine.decisions.person_key_of``)."""
    if not (decision.get("person") or decision.get("post") or decision.get("unit")):
        return None
    leader = (decision.get("party") or {}).get("leader")
    return person_key_of(decision.get("person"), decision.get("post"), decision.get("unit"),
                         Leader(leader) if leader else None)


def record_run(
    engine: Engine,
    rulebook_source: str | Mapping[str, str],
    as_of: date,
    params: Mapping[str, Any] | None,
    decisions: Sequence[Mapping[str, Any]],
    warnings: Sequence[Mapping[str, Any]] = (),
    *,
    input_fingerprint: str | None = None,
    event_count: int | None = None,
    rulebook_name: str | None = None,
    rulebook_version: str | None = None,
    reason: str | None = None,
    cases: Collection[str] | None = None,
) -> RunRecord:
    """Record one evaluation and its decisions and warnings, in one transaction.

    ``input_fingerprint`` should be ``load_snapshot(engine).fingerprint`` of the events the
    evaluation read; when omitted it is computed from the events stored now. Idempotent: the same
    rulebook, as-of, parameters and events give back the stored run with ``created=False``.
    ``reason`` is prefixed to the reason of every correction this run makes. ``cases``: the
    cases the evaluation judged; when given, a decision in force of the same rulebook about one
    of them, established by ``as_of``, that this run did not issue again is withdrawn (a new row
    supersedes it, with the reason)."""
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if input_fingerprint is None:
        input_fingerprint, event_count = events_fingerprint(engine)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with write_transaction(engine) as conn:
                return _record(
                    conn, rulebook_source, rulebook_name, rulebook_version, as_of,
                    params or {}, input_fingerprint, event_count or 0, decisions, warnings,
                    reason, cases,
                )
        except (IntegrityError, DBAPIError) as err:
            # Another run recorded the same decision key (or run) at the same moment: retry, and
            # this time see its rows.
            if attempt == MAX_ATTEMPTS or not _retryable(err):
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _retryable(err: DBAPIError) -> bool:
    if isinstance(err, IntegrityError):
        return True
    code = getattr(err.orig, "sqlstate", None)
    return code in ("40001", "40P01", "55P03") or "locked" in str(err.orig)


# ---------------------------------------------------------------------------------------------
# Reading back


def sanction_history(
    engine: Engine, before: date, person: str | None = None
) -> list[dict[str, Any]]:
    """The sanctions in force (their decision not superseded) dated before ``before``, in time
    order: dicts with person, unit, on (date), sanction, decision_id, key, case, and from the
    decision: role, ladder (its name) and joint (a 连带 sanction given to a leader)."""
    newer = aliased(Decision)
    query = (
        select(
            SanctionHistory.person, SanctionHistory.unit, SanctionHistory.on,
            SanctionHistory.sanction, SanctionHistory.decision_id, Decision.key, Decision.case_id,
            Decision.body,
        )
        .join(Decision, Decision.id == SanctionHistory.decision_id)
        .where(SanctionHistory.on < before, ~exists().where(newer.supersedes == Decision.id))
        .order_by(SanctionHistory.on, SanctionHistory.person, Decision.key)
    )
    if person is not None:
        query = query.where(SanctionHistory.person == person)
    with engine.connect() as conn:
        return [
            {"person": r.person, "unit": r.unit, "on": r.on, "sanction": r.sanction,
             "decision_id": r.decision_id, "key": r.key, "case": r.case_id,
             "role": (r.body or {}).get("role"),
             "leader": _is_leader(r.body or {}),
             "ladder": ((r.body or {}).get("ladder") or {}).get("name"),
             "joint": bool(((r.body or {}).get("ladder") or {}).get("joint"))}
            for r in conn.execute(query)
        ]


def prior_sanctions(
    engine: Engine, before: date, exclude_cases: Collection[str] = ()
) -> list[Any]:
    """The sanction history as prior sanctions for the ladder (dicts ``{person, unit, on,
    sanction, source, ladder}`` as :func:`wenze.engine.sanction.sanction` takes them; ``source``
    = the decision key, ``ladder`` = the ladder that issued it, so that it counts in that ladder
    only). ``exclude_cases``: the cases being evaluated now — their sanctions are about to be
    computed again and must not count twice.

    The history is counted as the ladder counts sanctions inside one run
    (:mod:`wenze.engine.ladder`), so that splitting a caseload over runs changes nothing: a joint
    (连带) sanction counts neither toward the leader's own ladder nor toward the unit's count, and
    a sanction received in a leadership role (分管领导, 主要领导) counts toward the person but
    not toward the unit's 连带 count."""
    excluded = set(exclude_cases)
    return [
        {"person": h["person"],
         "unit": None if h["leader"] else h["unit"],
         "on": h["on"], "sanction": h["sanction"], "source": h["key"], "ladder": h["ladder"]}
        for h in sanction_history(engine, before)
        if h["case"] not in excluded and not h["joint"]
    ]


_LEADER_ROLES = frozenset({"deputy_leader", "chief_leader"})


def _is_leader(body: dict[str, Any]) -> bool:
    """A decision given to a leader (分管领导 / 主要领导 of a party): schema 2 says so in
    ``party.leader``, schema 1 in its role word."""
    party = body.get("party")
    if isinstance(party, dict):
        return party.get("leader") is not None
    return body.get("role") in _LEADER_ROLES


def _party(decision: dict[str, Any]) -> str | None:
    """The ``party`` column: ``leader:act`` or ``act`` (None for a body without a party)."""
    party = decision.get("party")
    if not isinstance(party, dict) or not party.get("act"):
        return None
    return f"{party['leader']}:{party['act']}" if party.get("leader") else str(party["act"])


def _degree(decision: dict[str, Any]) -> str | None:
    degree = decision.get("degree")
    return str(degree["code"]) if isinstance(degree, dict) and degree.get("code") else None


def decisions_in_force(engine: Engine) -> list[dict[str, Any]]:
    """The bodies of all decisions not superseded (nor withdrawn), ordered by key."""
    newer = aliased(Decision)
    query = (
        select(Decision.body)
        .where(~exists().where(newer.supersedes == Decision.id))
        .order_by(Decision.key)
    )
    with engine.connect() as conn:
        return [dict(r[0]) for r in conn.execute(query) if not r[0].get("withdrawn")]


def decision_chain(engine: Engine, key: str) -> list[dict[str, Any]]:
    """Every row stored for one decision key, oldest first (id, run, supersedes, reason, body)."""
    query = select(Decision).where(Decision.key == key).order_by(Decision.id)
    with engine.connect() as conn:
        return [
            {"id": r.id, "run_id": r.run_id, "supersedes": r.supersedes, "reason": r.reason,
             "body": dict(r.body)}
            for r in conn.execute(query)
        ]
