"""Serve stage — the service behind the HTTP endpoints: store, live judge, output log.

POST events → parse (the engine's JSON Lines reader, line by line: per-line rejections) →
the rulebook's names (``validate_against``) → the token's unit → **store** (``store_rows``:
committed before any answer) → queue → judge thread: **LiveEngine** (``wenze.live``: the batch
evaluator's own code, only the affected cases judged again; everything queued is judged as one
batch, one ladder pass per batch) → **OutputLog** (warnings and decisions issued once, the
stream's ids). Reads wait until every event stored before them is judged (``caught_up``).
On start the stored events are judged again and the log reconciled
(:mod:`wenze.serve.outputs`), so a killed service loses no acknowledged event, counts none
twice and issues no output twice. A clock thread ticks just after each midnight in China
Standard Time (Asia/Shanghai, UTC+8) and at least every ``tick_seconds``.

The rulebook it judges by: the stored rulebook last activated (``POST /v1/rulebooks/{name}/
activate``, :mod:`wenze.serve.rulebooks`) when there is one, else ``--rulebook FILE``. Activating
another version judges every stored event again under it (:meth:`Service.activate`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wenze.engine import evaluate as EV
from wenze.events.readers import Event, read_jsonl, validate_against
from wenze.live import CHINA, LiveEngine, VirtualClock, WallClock
from wenze.serve.metrics import Metrics
from wenze.serve.outputs import OutputLog
from wenze.serve.problems import Problem
from wenze.serve.tokens import Grant, verify
from wenze.store import rulebooks as RB
from wenze.store.db import checkpoint, ensure_schema, is_sqlite, make_engine
from wenze.store.ingest import StoredRows, row_from_event, store_rows
from wenze.store.runs import load_snapshot

SOURCE = "<http>"
CONFIG_ENV = "WENZE_SERVE_CONFIG"
GRANT_CACHE_SECONDS = 5.0
JUDGE_WAIT_SECONDS = 60.0  # a read waits at most this long for the judge to catch up
SWITCH_SECONDS = 0.0005  # sys.setswitchinterval while the service runs (see Service.start)
CHECKPOINT_SECONDS = 1.0  # how often the judging process checkpoints an SQLite store's WAL


@dataclass(frozen=True)
class ServeConfig:
    """How the service runs (``wenze serve`` options)."""

    rulebook: str | None = None  # --rulebook; an activated stored rulebook wins over it
    db: str | None = None
    today: str | None = None  # a fixed (virtual) clock day: replays and tests; None = wall clock
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch: int = 10_000
    tick_seconds: float = 60.0
    judge: str | None = None  # --workers N: the judge process's socket (wenze.serve.judge)

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> ServeConfig:
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            raise RuntimeError(f"{CONFIG_ENV} is not set: start the service with `wenze serve`")
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class RulebookInForce:
    """The rulebook the service judges by: an activated stored version (``origin`` store) or
    the ``--rulebook`` file (``origin`` file)."""

    origin: str
    file: str  # the file name it goes by (a stored one: NAME.wz)
    text: str
    program: Any
    ast: Any | None = None  # the merged AST (stored ones; a file's is loaded when asked for)
    name: str | None = None  # stored: its name, version and row id
    version: int | None = None
    version_id: int | None = None
    judge: Any | None = None  # what judges: the loaded rulebook or family (a file's)

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "name": self.name, "version": self.version,
                "file": self.file, "rulebook": self.program.name}


@dataclass(frozen=True)
class EventAnswer:
    """What became of one event of a POST: stored, duplicate or rejected (code, reason)."""

    line: int
    id: str | None
    status: str
    code: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "id": self.id, "status": self.status}
        if self.status == "rejected":
            out["code"] = self.code
            out["reason"] = self.reason
        return out


class _Ticket:
    """One request's rows waiting for a group commit, and what became of them."""

    __slots__ = ("done", "error", "ids", "outcome", "rows")

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:
        self.rows = rows
        self.ids = {r["id"] for r in rows}
        self.done = False
        self.outcome: StoredRows | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Group commit: the rows of requests that arrive while a transaction is being written
    are stored together in the next one (``store_rows``: one transaction), and each request
    is answered when that transaction has committed — acknowledged = committed still holds,
    with one commit for many requests under load. The first waiting request writes for
    all (leader/followers; no extra thread). A request whose event ids are in an earlier
    request of the round waits for the next round (the rows of one round have unique ids)."""

    MAX_ROWS = 20_000  # rows per transaction, unless one request alone has more

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.changed = threading.Condition()
        self.pending: list[_Ticket] = []
        self.writing = False

    def store(self, rows: Sequence[dict[str, Any]]) -> StoredRows:
        ticket = _Ticket(rows)
        with self.changed:
            self.pending.append(ticket)
        while True:
            with self.changed:
                while not ticket.done and self.writing:
                    self.changed.wait()
                if ticket.done:
                    if ticket.error is not None:
                        raise ticket.error
                    assert ticket.outcome is not None
                    return ticket.outcome
                self.writing = True
                round_ = self._take()
            outcome: StoredRows | None = None
            error: BaseException | None = None
            try:
                outcome = store_rows(self.engine, [r for t in round_ for r in t.rows])
            except BaseException as err:
                error = err
            with self.changed:
                for t in round_:  # each request told of its own events
                    t.outcome = None if outcome is None else StoredRows(
                        outcome.inserted & t.ids, outcome.duplicates & t.ids,
                        {i: c for i, c in outcome.conflicts.items() if i in t.ids})
                    t.error, t.done = error, True
                self.writing = False
                self.changed.notify_all()

    def _take(self) -> list[_Ticket]:
        taken: list[_Ticket] = []
        kept: list[_Ticket] = []
        ids: set[str] = set()
        size = 0
        for t in self.pending:
            if taken and (size + len(t.rows) > self.MAX_ROWS or not ids.isdisjoint(t.ids)):
                kept.append(t)
                continue
            taken.append(t)
            ids |= t.ids
            size += len(t.rows)
        self.pending = kept
        return taken


class Service:
    """One per process: the store engine, the loaded rulebook, the live engine, the log."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        # the WAL is checkpointed by the judging process's own thread, never by a commit
        self.engine = make_engine(config.db, checkpoint_apart=True)
        ensure_schema(self.engine)
        # the activated stored rulebook, else --rulebook (RulebookError: refuse to start)
        self.in_force = starting_rulebook(self.engine, config.rulebook)
        self._judge_by(self.in_force)
        self.generation = 0  # counts activations: a batch the judge took before one is skipped
        self._activating = threading.Lock()
        self.log = OutputLog(self.engine)
        self.metrics = Metrics()
        self.lock = threading.RLock()
        self.ready = False
        self.live: LiveEngine | None = None
        self.case_events: dict[str, list[Event]] = defaultdict(list)
        self.caseless: list[Event] = []
        self.case_units: dict[str, set[str]] = defaultdict(set)
        self._grants: dict[str, tuple[float, Grant | None]] = {}
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._judge: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        # stored events waiting for the judge thread, and how many were queued and judged
        self._queue: list[Event] = []
        self._moved = threading.Condition()
        self._queued = 0
        self._judged = 0
        self._seen: set[str] = set()  # ids of every event judged or queued
        self.commits = GroupCommit(self.engine)
        self.judge_error: BaseException | None = None

    def _judge_by(self, force: RulebookInForce) -> None:
        """Put ``force`` in force: its program (of a rulebook family: its latest version's),
        its versions (a family's: each act judged by the version in force when it happened) and
        the items and posts incoming events are checked against (every version's; latest wins)."""
        self.in_force = force
        self.rulebook = force.judge if force.judge is not None else force.program
        self.program = force.program
        self.versions = getattr(force.judge, "versions", None)
        programs = [v.program for v in self.versions] if self.versions else [self.program]
        self.items = {k: v for p in programs for k, v in p.items.items()}
        self.posts = {k: v for p in programs for k, v in p.posts.items()}

    # ------------------------------------------------------------------ start and stop

    def start_in_background(self) -> None:
        """:meth:`start` on a thread of its own (``/healthz`` answers meanwhile, ``/readyz``
        says 503); a failure is logged before the thread ends."""
        def run() -> None:
            try:
                self.start()
            except BaseException:
                logging.getLogger("uvicorn.error.wenze").exception(
                    "wenze serve: rebuilding the live state failed")
                raise

        threading.Thread(target=run, name="wenze-serve-start", daemon=True).start()

    def start(self) -> None:
        """Judge the stored events again, reconcile the log, start the clock thread."""
        # The judge thread computes in Python for long stretches; a request thread waiting for
        # the interpreter lock gets it within this interval (default 5 ms, several times per
        # request: tens of ms added to each answer while the judge is busy)
        sys.setswitchinterval(SWITCH_SECONDS)
        with self.lock:
            self.log.load()
            snapshot = load_snapshot(self.engine)
            if self.config.today:
                start = dt.datetime.combine(dt.date.fromisoformat(self.config.today),
                                            dt.time(0), CHINA)
                clock: Any = VirtualClock(start)
            else:
                clock = WallClock(CHINA)
            live = LiveEngine(self.rulebook, clock, follow_events=False)
            live.submit_many(snapshot.events, settle_each=False)
            live.drain()  # replayed: what is new is found by reconcile below
            for ev in snapshot.events:
                self._index(ev)
            with self._moved:
                self._seen.update(ev.id for ev in snapshot.events)
            self.live = live
            issued = self.log.reconcile(live.today, live.warnings(), live.decisions())
            self.metrics.restored(snapshot.count, issued)
            self.ready = True
        self._judge = threading.Thread(target=self._judge_loop, name="wenze-serve-judge",
                                       daemon=True)
        self._judge.start()
        if not self.config.today:
            self._ticker = threading.Thread(target=self._tick_loop, name="wenze-serve-clock",
                                            daemon=True)
            self._ticker.start()
        if is_sqlite(self.engine):  # (PostgreSQL checkpoints by itself)
            self._checkpointer = threading.Thread(target=self._checkpoint_loop,
                                                  name="wenze-serve-checkpoint", daemon=True)
            self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        """Every second, the WAL's committed pages copied into the store's file (SQLite), apart
        from every commit: no request waits for a checkpoint."""
        while not self._stop.wait(CHECKPOINT_SECONDS):
            try:
                checkpoint(self.engine)
            except Exception:  # a busy or closing store: the next round tries again
                logging.getLogger("uvicorn.error.wenze").debug("checkpoint skipped",
                                                               exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        with self._moved:
            self._moved.notify_all()
        for thread in (self._ticker, self._judge, self._checkpointer):
            if thread is not None:
                thread.join(timeout=30)
        with self.lock:
            if self.live is not None:
                self.live.close()
        self.engine.dispose()

    def _tick_loop(self) -> None:
        while not self._stop.is_set():
            now = dt.datetime.now(CHINA)
            midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0),
                                           CHINA)
            wait = min(self.config.tick_seconds, (midnight - now).total_seconds() + 0.001)
            if self._stop.wait(max(wait, 0.0)):
                return
            if self.judge_error is None:
                self.advance(None)

    def _judge_loop(self) -> None:
        """The judge: takes every stored event queued since its last pass and judges them in
        one batch (one ladder pass per batch: under load the batches grow, so the judge keeps
        up), then issues the outputs."""
        while True:
            with self._moved:
                while not self._queue and not self._stop.is_set():
                    self._moved.wait()
                if self._stop.is_set():
                    return
                batch, self._queue = self._queue, []
                generation = self.generation
            try:
                with self.lock:
                    # (after an activation these events were judged again from the store)
                    if generation == self.generation:
                        live = self._live()
                        live.submit_many(batch, source=SOURCE, settle_each=False)
                        for ev in batch:
                            self._index(ev)
                        self.log.issue(live.drain())
            except BaseException as err:  # kept: /readyz and every read report it
                self.judge_error = err
                with self._moved:
                    self._moved.notify_all()
                raise
            with self._moved:
                self._judged += len(batch)
                self._moved.notify_all()

    def caught_up(self, timeout: float = JUDGE_WAIT_SECONDS) -> None:
        """Wait until every event stored before this call is judged (reads are as of now)."""
        self._check_judge()
        with self._moved:
            target = self._queued
            done = self._moved.wait_for(
                lambda: self._judged >= target or self.judge_error is not None, timeout)
        self._check_judge()
        if not done:
            raise Problem("not_ready", f"评判积压，{timeout:.0f} 秒内未能赶上 the judge is more "
                                       f"than {timeout:.0f} s behind; try again", status=503)

    def _check_judge(self) -> None:
        if self.judge_error is not None:
            raise Problem("internal_error", "实时评判出错 the live judge failed: "
                                            f"{type(self.judge_error).__name__}")

    @property
    def backlog(self) -> int:
        with self._moved:
            return self._queued - self._judged

    def advance(self, day: dt.date | None) -> int:
        """Move the live clock to ``day`` (a virtual clock) or catch up with the wall clock;
        returns how many outputs were issued."""
        if day is not None:
            self.caught_up()
        with self.lock:
            live = self._live()
            if day is None:
                live.tick()
            else:
                live.advance_to(day)
            return self.log.issue(live.drain())

    # ------------------------------------------------------------------ rulebooks

    def save_rulebook(self, name: str, text: str, author: str | None
                      ) -> tuple[RB.StoredRulebook, bool, list[dict[str, Any]]]:
        """Store ``text`` as the next version of ``name`` when it checks clean (else a 422
        problem with its diagnostics, nothing stored): (the stored version, whether the text
        was the latest version's already so nothing was stored, its warnings)."""
        from wenze.serve.rulebooks import save_checked

        return save_checked(self.engine, name, text, author)

    def activate(self, stored: RB.StoredRulebook, author: str | None) -> dict[str, Any]:
        """Put ``stored`` in force: every stored event judged again under it as of the live
        clock's day (a new live engine: its judgements equal a batch evaluation of the stored
        events), the output log reconciled with what it says (a decision whose content changed
        gets a superseding output, one no longer made is withdrawn, never edited in place),
        and the activation recorded. Events posted meanwhile wait and are judged after."""
        with self._activating:
            force = self.in_force
            if force.version_id == stored.id:
                live = self._live()
                return {"name": stored.name, "version": stored.version,
                        "day": live.today.isoformat(), "changed": False, "issued": 0,
                        "warnings": len(live.warnings()), "decisions": len(live.decisions())}
            new = stored_in_force(self.engine, stored)  # 409 when it no longer checks clean
            self.caught_up()
            with self.lock:
                old = self._live()
                try:
                    with self._moved:  # what is queued is stored: the snapshot below holds it
                        taken, self._queue = self._queue, []
                        self.generation += 1
                    snapshot = load_snapshot(self.engine)
                    start = dt.datetime.combine(old.today, dt.time(0), CHINA)
                    clock: Any = VirtualClock(start) if self.config.today else WallClock(CHINA)
                    live = LiveEngine(new.program if new.judge is None else new.judge, clock,
                                      follow_events=False)
                    live.submit_many(snapshot.events, settle_each=False)
                    live.drain()
                    record = RB.activate(self.engine, stored, author, live.today)
                    self._judge_by(new)
                    self.live = live
                    self.case_events = defaultdict(list)
                    self.caseless = []
                    self.case_units = defaultdict(set)
                    for ev in snapshot.events:
                        self._index(ev)
                    with self._moved:  # judged now: a late hand-over of one is skipped
                        self._seen.update(ev.id for ev in snapshot.events)
                    reason = (f"启用规则集「{stored.name}」第 {stored.version} 版 rulebook "
                              f"{stored.name} v{stored.version} activated")
                    issued = self.log.reconcile(live.today, live.warnings(), live.decisions(),
                                                reason=reason)
                    old.close()
                    answer = {"name": stored.name, "version": stored.version,
                              "day": record.day.isoformat(), "changed": True,
                              "issued": issued, "warnings": len(live.warnings()),
                              "decisions": len(live.decisions())}
                except BaseException as err:
                    # the live state is half switched: reads fail (503 /readyz) until a
                    # restart rebuilds it from the store, under the last recorded activation
                    self.judge_error = err
                    with self._moved:
                        self._moved.notify_all()
                    raise
            with self._moved:
                self._judged += len(taken)
                self._moved.notify_all()
            return answer

    def _live(self) -> LiveEngine:
        if self.live is None:
            raise Problem("not_ready", "服务正在重建状态 the service is rebuilding its state")
        return self.live

    # ------------------------------------------------------------------ tokens

    def grant(self, token: str) -> Grant | None:
        now = time.monotonic()
        cached = self._grants.get(token)
        if cached is not None and now - cached[0] < GRANT_CACHE_SECONDS:
            return cached[1]
        found = verify(self.engine, token)
        if len(self._grants) > 10_000:
            self._grants.clear()
        self._grants[token] = (now, found)
        return found

    # ------------------------------------------------------------------ units

    def unit_of(self, ev: Event) -> str | None:
        """The unit an event belongs to (who may post it): its own ``unit``, else its post's
        unit, else its item's unit."""
        if ev.unit:
            return ev.unit
        post = self.posts.get(ev.post) if ev.post else None
        if post is not None and post.unit:
            return post.unit
        return self._item_unit(ev)

    def _item_unit(self, ev: Event) -> str | None:
        item = self.items.get(ev.item) if ev.item else None
        return item.unit if item is not None else None

    def _index(self, ev: Event) -> None:
        """A case belongs to the units of its events and the unit of its item."""
        if ev.case:
            self.case_events[ev.case].append(ev)
            units = self.case_units[ev.case]
            for unit in (self.unit_of(ev), self._item_unit(ev)):
                if unit:
                    units.add(unit)
        else:
            self.caseless.append(ev)

    def check_case(self, grant: Grant, case: str) -> None:
        """404 for a case with no events, 403 for another unit's case."""
        if case not in self.case_events:
            raise Problem("not_found", f"没有案件 no case `{case}`")
        if not grant.reads_all and grant.unit not in self.case_units.get(case, ()):
            raise Problem("forbidden", f"案件 `{case}` 不属于本单位 case `{case}` is not of "
                                       f"unit `{grant.unit}`")

    def check_unit(self, grant: Grant, unit: str | None) -> str | None:
        """The unit to filter by: a unit token reads its own unit only (403 for another)."""
        if grant.reads_all:
            return unit
        if unit is not None and unit != grant.unit:
            raise Problem("forbidden", f"令牌只能读取本单位 `{grant.unit}` the token reads "
                                       f"unit `{grant.unit}` only, not `{unit}`")
        return grant.unit

    # ------------------------------------------------------------------ events in

    def accept(self, grant: Grant, lines: Sequence[tuple[int, str]]) -> list[EventAnswer]:
        """Store and judge the events of one POST (``lines``: (line number, JSON text)).
        Everything stored is committed before this returns. A unit token may post only its
        own unit's events: else 403 and nothing is stored."""
        if grant.scope == "supervisor":
            raise Problem("forbidden", "督查令牌只读 a supervisor token cannot post events")
        answers: dict[int, EventAnswer] = {}
        events: list[tuple[int, str, Event]] = []
        first: dict[str, Event] = {}
        for index, (line, text) in enumerate(lines):
            batch = read_jsonl([text], SOURCE, first_line=line)
            if batch.rejected:
                r = batch.rejected[0]
                answers[index] = EventAnswer(line, r.event_id, "rejected", r.code, r.message)
                continue
            if not batch.events:
                answers[index] = EventAnswer(line, None, "rejected", "bad_json",
                                             "空事件 / empty event")
                continue
            ev = batch.events[0]
            seen = first.get(ev.id)
            if seen is not None:
                if seen.content_key() == ev.content_key():
                    answers[index] = EventAnswer(line, ev.id, "duplicate")
                else:
                    answers[index] = EventAnswer(
                        line, ev.id, "rejected", "conflicting_duplicate",
                        f"事件编号 `{ev.id}` 在本批中已出现且内容不同 / event id `{ev.id}` "
                        "appears earlier in this request with different content")
                continue
            first[ev.id] = ev
            events.append((index, text, ev))
        _kept, rejected = validate_against(
            [ev for _, _, ev in events], known_items=self.items, known_posts=self.posts)
        bad = {r.event_id: r for r in rejected}
        if grant.scope == "unit":
            foreign = [(lines[i][0], ev.id, self.unit_of(ev)) for i, _, ev in events
                       if ev.id not in bad and self.unit_of(ev) != grant.unit]
            if foreign:
                raise Problem(
                    "forbidden",
                    f"令牌只能提交本单位 `{grant.unit}` 的事件 the token posts events of unit "
                    f"`{grant.unit}` only; nothing was stored",
                    events=[{"line": n, "id": i, "unit": u} for n, i, u in foreign])
        rows = []
        for index, text, ev in events:
            r = bad.get(ev.id)
            if r is not None:
                answers[index] = EventAnswer(lines[index][0], ev.id, "rejected", r.code,
                                             r.message)
            else:
                rows.append(row_from_event(ev, text))
        outcome = self.commits.store(rows)  # committed here (with other requests' rows)
        inserted: list[Event] = []
        already: list[Event] = []  # identical duplicates of stored events
        for index, _text, ev in events:
            if index in answers:
                continue
            line = lines[index][0]
            if ev.id in outcome.inserted:
                answers[index] = EventAnswer(line, ev.id, "stored")
                inserted.append(ev)
            elif ev.id in outcome.duplicates:
                answers[index] = EventAnswer(line, ev.id, "duplicate")
                already.append(ev)
            else:
                c = outcome.conflicts[ev.id]
                answers[index] = EventAnswer(line, ev.id, "rejected", "conflicting_duplicate",
                                             c.message)
        result = [answers[i] for i in range(len(lines))]
        self.hand_over(inserted, result, already)
        return result

    def hand_over(self, inserted: Sequence[Event], answers: Sequence[EventAnswer],
                  already: Sequence[Event] = ()) -> None:
        """The stored events of one POST to the judge (here: its queue, in this process; a
        worker of ``--workers N`` sends them to the judge process before it answers, with
        the ``already`` stored ones: a worker may have died between its commit and its
        hand-over, and the client's retry then finds them stored)."""
        self.enqueue(inserted)
        self.metrics.events(answers)

    def enqueue(self, events: Sequence[Event]) -> int:
        """Queue stored events for the judge thread; an event already judged or queued is
        skipped (a worker's hand-over and :meth:`rescan` may both bring one). Returns how
        many were queued."""
        with self._moved:
            fresh = [ev for ev in events if ev.id not in self._seen]
            if fresh:
                self._seen.update(ev.id for ev in fresh)
                self._queue.extend(fresh)
                self._queued += len(fresh)
                self._moved.notify_all()
        return len(fresh)

    def stored_count(self) -> int:
        """How many events the store holds."""
        from sqlalchemy import func, select

        from wenze.store.models import Event as StoredEvent

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(StoredEvent)).scalar_one())

    def wait_seen(self, count: int, timeout: float) -> bool:
        """Wait until at least ``count`` distinct stored events were queued or judged (those
        the workers handed over); False after ``timeout`` seconds."""
        with self._moved:
            return self._moved.wait_for(
                lambda: len(self._seen) >= count or self._stop.is_set(), timeout)

    def rescan(self) -> int:
        """Queue every stored event the judge has not seen (``--workers N``: a worker that
        died between its commit and its hand-over); returns how many."""
        from sqlalchemy import select

        from wenze.store.models import Event as StoredEvent

        if not self.ready:
            return 0  # start() judges every stored event anyway
        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(select(StoredEvent.id))]
        with self._moved:
            missing = sorted(set(ids) - self._seen)
        if not missing:
            return 0
        payloads: list[str] = []
        with self.engine.connect() as conn:
            for start in range(0, len(missing), 500):
                query = select(StoredEvent.payload).where(
                    StoredEvent.id.in_(missing[start:start + 500]))
                payloads += [r[0] for r in conn.execute(query)]
        batch = read_jsonl(payloads, "<store>")
        queued = self.enqueue(batch.events)
        with self._moved:  # one that no longer reads as an event is not waited for again
            self._seen.update(missing)
        return queued

    # ------------------------------------------------------------------ reading

    def warnings(self, unit: str | None, level: str | None) -> list[dict[str, Any]]:
        with self.lock:
            ws = self._live().warnings()
        return [w.to_json() for w in ws
                if (unit is None or w.unit == unit) and (level is None or w.level == level)]

    def decisions(self, unit: str | None, case: str | None, since: dt.date | None
                  ) -> list[Any]:
        with self.lock:
            ds = self._live().decisions()
        return [d for d in ds
                if (unit is None or d.unit == unit) and (case is None or d.case == case)
                and (since is None or d.established >= since)]

    def decision(self, key: str) -> Any | None:
        with self.lock:
            for d in self._live().decisions():
                if d.key == key:
                    return d
        return None

    def today(self) -> dt.date:
        return self._live().today

    def case_view(self, case: str, unit: str | None, explain: bool) -> dict[str, Any]:
        """A case's clock, deadlines, steps, rule checks, warnings and decisions as of today
        (``unit``: only that unit's warnings and decisions); ``explain``: the day-by-day trace
        of ``wenze evaluate --explain``, from an evaluation of every stored event."""
        from wenze.report.output import explain as explain_text

        with self.lock:
            live = self._live()
            today = live.today
            own = list(self.case_events[case])
            context = list(self.caseless)
            everything = [e for evs in self.case_events.values() for e in evs] + context \
                if explain else None
            ws = [w for w in live.warnings() if w.case == case]
            ds = [d for d in live.decisions() if d.case == case]
        result = self.evaluate(own + context, today, explain=[case])
        trace = result.traces.get(case)
        view: dict[str, Any] = {"case": case, "as_of": today.isoformat()}
        if trace is None:
            view["judged"] = False
            view["unjudged"] = [u.to_json() for u in result.unjudged if u.case == case]
        else:
            view.update({
                "judged": True,
                "item": trace.item,
                "calendar": trace.calendar,
                "dates": {k: v.isoformat() if v else None for k, v in trace.dates.items()},
                "deadlines": [
                    {"name": n.name, "calendar": n.calendar, "start": n.start.isoformat(),
                     "days": n.duration.amount, "day_kind": n.duration.unit.value,
                     "deadline": n.deadline.isoformat(),
                     "suspended": [[a.isoformat(), b.isoformat()] for a, b in n.suspended]}
                    for n in trace.deadlines],
                "facts": {k: _plain(v) for k, v in sorted(trace.facts.items())},
                "steps": [{"kind": kind, "name": name,
                           "facts": {k: _plain(v) for k, v in sorted(facts.items())}}
                          for kind, name, facts in trace.subjects],
                "checks": [{"violation": c.violation, "subject": c.subject,
                            "condition": c.condition, "result": c.result,
                            "facts": {k: _plain(v) for k, v in c.facts}}
                           for c in trace.checks],
                "notes": list(trace.notes),
            })
        view["events"] = [_event_json(e) for e in sorted(own, key=lambda e: (e.at, e.id))]
        view["warnings"] = [w.to_json() for w in ws if unit is None or w.unit == unit]
        view["decisions"] = [d.to_json() for d in ds if unit is None or d.unit == unit]
        if explain and everything is not None:
            full = self.evaluate(everything, today, explain=[case])
            view["explain"] = explain_text(full, case, self.program_of(case, None, own))
        return view

    def evaluate(self, events: list[Event], as_of: dt.date, rejected: Any = (),
                 explain: Any = ()) -> Any:
        """A batch evaluation by the served rulebook (of a family: each act in time)."""
        if self.versions:
            from wenze.engine.versions import evaluate_versions

            return evaluate_versions(self.versions, events, as_of, rejected=rejected,
                                     explain=explain)
        return EV.evaluate(self.program, events, as_of, rejected=rejected, explain=explain)

    def program_of(self, case: str | None, version: str | None,
                   events: list[Event] | None = None) -> Any:
        """The program a case's explanation or 决定书 cites: of a family, the limits of the
        version the case was accepted under and the rules of the version that judged it."""
        if not self.versions:
            return self.program
        from wenze.engine.versions import hybrid, procedure_version

        evs = events if events is not None else list(self.case_events.get(case or "", ()))
        rules = next((v.program for v in self.versions if v.label == version), self.program)
        found = procedure_version(self.versions, evs, case)
        return hybrid(found.program, rules) if found is not None else rules

    def counts(self) -> dict[str, Any]:
        with self.lock:
            live = self._live()
            ws = live.warnings()
            ds = live.decisions()
            open_cases = live.open_cases
        levels: dict[str, int] = defaultdict(int)
        for w in ws:
            levels[w.level] += 1
        sanctions: dict[str, int] = defaultdict(int)
        for d in ds:
            sanctions[d.sanction or "none"] += 1
        return {"open_cases": open_cases, "warnings": dict(levels),
                "decisions": dict(sanctions), "cases": len(self.case_events),
                "backlog": self.backlog}


def stored_in_force(engine: Any, stored: RB.StoredRulebook) -> RulebookInForce:
    """A stored version as the rulebook to judge by (its ``继承`` bases as pinned); a 409
    problem with the diagnostics when it no longer checks clean (a newer wenze's checks)."""
    from wenze.engine.lower import lower
    from wenze.serve.rulebooks import load_stored_text

    loaded = load_stored_text(engine, stored.name, stored.text, stored.bases)
    if not loaded.ok or loaded.result.rulebook is None:
        raise Problem("conflict", f"规则集「{stored.name}」第 {stored.version} 版有错误，不能启用 "
                                  f"rulebook {stored.name} v{stored.version} has errors; it "
                                  "cannot be put in force", diagnostics=loaded.diagnostics)
    ast = loaded.result.rulebook
    return RulebookInForce("store", f"{stored.name}.wz", stored.text, lower(ast), ast,
                           stored.name, stored.version, stored.id)


def starting_rulebook(engine: Any, path: str | None) -> RulebookInForce:
    """What the service judges by when it starts: the stored rulebook last activated, if any
    (it wins over ``--rulebook``: activation is an act recorded in the store, the option only
    the default of a fresh store), else the ``--rulebook`` file. Raises ``RulebookError``
    (the file has errors), ``OSError``, or ``RuntimeError`` (neither, or the activated version
    no longer checks clean)."""
    import wenze

    found = RB.active(engine)
    if found is not None:
        try:
            return stored_in_force(engine, found[0])
        except Problem as err:
            lines = [f"{d['file']}:{d['line']}:{d['col']}: {d['code']} {d['message']['zh']} "
                     f"{d['message']['en']}" for d in err.extra.get("diagnostics", ())]
            raise RuntimeError("\n".join([err.detail, *lines])) from None
    if not path:
        raise RuntimeError("没有启用的规则集 no rulebook: the store has no activated rulebook; "
                           "give --rulebook FILE (or WENZE_RULEBOOK)")
    from pathlib import Path

    loaded = wenze.load(path)
    return RulebookInForce("file", Path(path).name, Path(path).read_text(encoding="utf-8"),
                           loaded.program, judge=loaded)


def _plain(value: Any) -> Any:
    from wenze.engine.decisions import json_value

    return json_value(value)


def _event_json(ev: Event) -> dict[str, Any]:
    return ev.to_json()
