"""Serve stage — ``wenze serve --workers N``: N HTTP worker processes in front of one judge.

One judge per state: the live state (``LiveEngine``, the output log) is held by one
:class:`wenze.serve.service.Service`, in the supervising process that ``wenze serve`` starts
(uvicorn's supervisor, otherwise idle). The N worker processes serve HTTP:

    POST /v1/events → worker: parse, validate, the token's unit → store (committed) →
    **hand-over** to the judge over a local socket (sent, not waited for: the judge's process
    may be busy judging, or collecting its garbage, and a request does not wait for it) →
    answer. Reads (warnings, decisions, cases, the clock) → forwarded to the judge
    (:class:`WorkerService`); the stream and the decision chains are read from the store's
    output log by the worker itself; tokens are verified by the worker.

So "acknowledged = committed" holds, and a read after an answer (through any worker) sees its
events judged: before it answers a read, the judge counts the store's events and waits until
it has been handed as many (re-reading the store for the missing ones if a hand-over does not
come: a worker killed between its commit and its send), then until every event queued is
judged (:meth:`JudgeServer.caught_up`). With ``--workers 1`` (the default) the layout is the
same: one HTTP worker process, the judge in the supervising process. The
socket is a Unix socket in a private temporary folder, each connection authenticated with a
random key (``multiprocessing.connection``: HMAC challenge, then pickled messages); only the
calls in ``CALLS`` are answered. A worker dies with the supervisor (``PR_SET_PDEATHSIG``); when
a worker dies, the judge re-reads the store's event ids and judges any it has not seen (a
worker killed between its commit and its hand-over).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing import AuthenticationError
from multiprocessing.connection import (
    Client,
    Connection,
    Listener,
    answer_challenge,
    deliver_challenge,
)
from typing import Any

from wenze.events.readers import Event
from wenze.serve.metrics import Metrics
from wenze.serve.problems import Problem
from wenze.serve.service import (
    CONFIG_ENV,
    JUDGE_WAIT_SECONDS,
    EventAnswer,
    ServeConfig,
    Service,
    stored_in_force,
)
from wenze.store import rulebooks as RB

KEY_ENV = "WENZE_SERVE_KEY"
PARENT_ENV = "WENZE_SERVE_PARENT"
LOG = logging.getLogger("uvicorn.error.wenze")
# the judge's answers to its workers: Service methods, plus the calls of JudgeServer.call
CALLS = frozenset({
    "handed_over", "state", "metrics_state", "caught_up", "check_case", "check_unit",
    "warnings", "decisions", "decision", "today", "case_view", "counts", "advance", "activate",
})
REFRESH_SECONDS = 1.0  # how often a worker looks for a rulebook activated through another one
RESCAN_DELAY_SECONDS = 1.0  # after a worker died: let its last commit land first
HANDED_WAIT_SECONDS = 2.0  # a read waits this long for stored events' hand-overs, then re-reads
ONE_WAY = frozenset({"handed_over"})  # calls the judge does not answer (the sender goes on)


class JudgeServer:
    """The judge's side of the socket: one thread per worker connection."""

    def __init__(self, service: Service, path: str, key: bytes) -> None:
        self.service = service
        # the key is checked on each connection's own thread (``_serve``): a handshake on the
        # accepting thread would hold back every other worker thread's connection behind it
        self.listener = Listener(path, family="AF_UNIX")
        self.key = key
        self.closing = False
        self._rescan = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._accept, name="wenze-judge-listener", daemon=True).start()

    def close(self) -> None:
        self.closing = True
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self.closing:
            try:
                conn = self.listener.accept()
            except (OSError, EOFError):
                if self.closing:
                    return
                continue  # a client that failed the handshake
            threading.Thread(target=self._serve, args=(conn,), name="wenze-judge-call",
                             daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        pid = 0
        try:
            deliver_challenge(conn, self.key)
            answer_challenge(conn, self.key)
            pid = int(conn.recv())  # the worker says who it is first
            while True:
                method, args, kwargs = conn.recv()
                answer = self.call(method, args, kwargs)
                if method not in ONE_WAY:
                    conn.send(answer)
        except (EOFError, OSError, AuthenticationError):
            pass  # the worker went away (or the caller had not the key)
        finally:
            conn.close()
        if pid and not self.closing and not _alive(pid):
            threading.Thread(target=self._rescan_after_death, args=(pid,), daemon=True).start()

    def call(self, method: str, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        s = self.service
        try:
            if method not in CALLS:
                raise Problem("internal_error", f"unknown judge call `{method}`")
            if method == "handed_over":
                events, answers, already = args
                queued = s.enqueue(list(events) + list(already))
                s.metrics.events(answers)
                return ("ok", queued)
            if method == "caught_up":
                self.caught_up(*args, **kwargs)
                return ("ok", None)
            if method in ("advance", "activate"):
                self.caught_up()  # a worker's answered events first (they wait for reads)
            if method == "state":
                error = s.judge_error
                return ("ok", {"ready": s.ready, "backlog": s.backlog,
                               "judge_error": None if error is None
                               else f"{type(error).__name__}: {error}"})
            if method == "metrics_state":
                return ("ok", {**s.counts(), "judge_events": s.metrics.event_counts()})
            return ("ok", getattr(s, method)(*args, **kwargs))
        except Problem as p:
            return ("problem", p.code, p.detail, p.status, p.extra)
        except Exception as err:  # the worker answers 500 and logs it
            LOG.exception("wenze serve: judge call %s failed", method)
            return ("error", f"{type(err).__name__}: {err}")

    def caught_up(self, timeout: float = JUDGE_WAIT_SECONDS) -> None:
        """Every event stored before this call judged: the hand-overs are not waited for by
        the workers, so first wait until the judge has been handed as many events as the store
        holds (after ``HANDED_WAIT_SECONDS``: the store re-read for the missing ones), then
        :meth:`Service.caught_up`."""
        s = self.service
        stored = s.stored_count()
        began = time.monotonic()
        if not s.wait_seen(stored, HANDED_WAIT_SECONDS):
            with self._rescan:
                s.rescan()
        s.caught_up(max(timeout - (time.monotonic() - began), 0.0))

    def _rescan_after_death(self, pid: int) -> None:
        with self._rescan:  # several connections of one worker close at once: one re-read
            time.sleep(RESCAN_DELAY_SECONDS)
            try:
                found = self.service.rescan()
            except Exception:
                LOG.exception("wenze serve: re-reading the store after worker %d died failed",
                              pid)
                return
            if found:
                LOG.warning("wenze serve: worker %d died; %d stored event(s) it had not handed "
                            "to the judge are judged now", pid, found)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


class JudgeClient:
    """A worker's side of the socket: a pool of connections, each used by one call at a time
    (calls block). Kept across the request threads that come and go (a thread pool lets idle
    threads end): a new connection costs a handshake with the judge's process, which may be
    busy."""

    def __init__(self, path: str, key: bytes) -> None:
        self.path = path
        self.key = key
        self.idle: list[Connection] = []
        self.taking = threading.Lock()

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._send(method, args, kwargs, True)

    def tell(self, method: str, *args: Any, **kwargs: Any) -> None:
        """A call of ``ONE_WAY``: sent, no answer waited for."""
        self._send(method, args, kwargs, False)

    def _send(self, method: str, args: Sequence[Any], kwargs: dict[str, Any], answered: bool
              ) -> Any:
        with self.taking:
            conn = self.idle.pop() if self.idle else None
        try:
            if conn is None:
                conn = Client(self.path, family="AF_UNIX")
                answer_challenge(conn, self.key)  # the judge's thread for it checks us first
                deliver_challenge(conn, self.key)
                conn.send(os.getpid())
            conn.send((method, args, kwargs))
            answer = conn.recv() if answered else None
        except (OSError, EOFError) as err:
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
            raise Problem("not_ready", "评判进程不可用 the judge process is unavailable "
                                       f"({type(err).__name__})", status=503) from None
        with self.taking:
            self.idle.append(conn)
        if not answered:
            return None
        if answer[0] == "ok":
            return answer[1]
        if answer[0] == "problem":
            _, code, detail, status, extra = answer
            raise Problem(code, detail, status=status, **extra)
        raise RuntimeError(f"the judge process failed: {answer[1]}")


class WorkerMetrics(Metrics):
    """A worker's metrics: its own requests; events and gauges from the judge."""

    def render(self, state: Mapping[str, Any]) -> str:
        self.set_event_counts(state["judge_events"])
        return super().render(state)


class WorkerService(Service):
    """The service as a worker process of ``--workers N`` sees it: events stored here and
    handed to the judge; the live state's reads forwarded to the judge."""

    def __init__(self, config: ServeConfig) -> None:
        _die_with_parent()
        super().__init__(config)
        key = bytes.fromhex(os.environ.get(KEY_ENV, ""))
        if not config.judge or not key:
            raise RuntimeError(f"{KEY_ENV} is not set: start the service with `wenze serve`")
        self.judge = JudgeClient(config.judge, key)
        self.metrics = WorkerMetrics()

    # the live state is the judge's
    @property  # type: ignore[override]
    def ready(self) -> bool:
        if not self._ready:
            try:
                self._ready = bool(self.judge.call("state")["ready"])
            except Problem:
                return False
        return self._ready

    @ready.setter
    def ready(self, value: bool) -> None:
        self._ready = value

    @property  # type: ignore[override]
    def judge_error(self) -> BaseException | None:
        if not hasattr(self, "judge"):
            return None
        error = self.judge.call("state")["judge_error"]
        return None if error is None else RuntimeError(error)

    @judge_error.setter
    def judge_error(self, value: BaseException | None) -> None:
        pass

    @property
    def backlog(self) -> int:
        return int(self.judge.call("state")["backlog"])

    def start(self) -> None:
        pass  # the judge rebuilds the state; this worker only waits for it (``ready``)

    def stop(self) -> None:
        self.engine.dispose()

    def activate(self, stored: Any, author: str | None) -> dict[str, Any]:
        """The judge puts ``stored`` in force (its live state); this worker follows at once,
        the others within ``REFRESH_SECONDS`` (:meth:`accept`)."""
        answer = self.judge.call("activate", stored, author)
        self._refresh(force=True)
        return answer  # type: ignore[no-any-return]

    @property  # type: ignore[override]
    def in_force(self) -> Any:
        """The rulebook in force: the store's last activation (looked for once a second)."""
        self._refresh()
        return self._in_force

    @in_force.setter
    def in_force(self, value: Any) -> None:
        self._in_force = value

    def _refresh(self, force: bool = False) -> None:
        """Judge incoming events by the rulebook in force: the store's last activation."""
        now = time.monotonic()
        if "_in_force" not in self.__dict__ or (
                not force and now - getattr(self, "_refreshed", 0.0) < REFRESH_SECONDS):
            return
        self._refreshed = now
        found = RB.active(self.engine)
        if found is not None and found[0].id != self._in_force.version_id:
            self._judge_by(stored_in_force(self.engine, found[0]))

    def accept(self, grant: Any, lines: Sequence[tuple[int, str]]) -> list[EventAnswer]:
        self._refresh()
        return super().accept(grant, lines)

    def hand_over(self, inserted: Sequence[Event], answers: Sequence[EventAnswer],
                  already: Sequence[Event] = ()) -> None:
        """Send the stored events to the judge without waiting for it (see the module
        docstring: a read waits until the judge has them)."""
        self.judge.tell("handed_over", list(inserted), list(answers), list(already))

    def caught_up(self, timeout: float = JUDGE_WAIT_SECONDS) -> None:
        self.judge.call("caught_up", timeout)

    def check_case(self, grant: Any, case: str) -> None:
        self.judge.call("check_case", grant, case)

    def check_unit(self, grant: Any, unit: str | None) -> str | None:
        return self.judge.call("check_unit", grant, unit)  # type: ignore[no-any-return]

    def warnings(self, unit: str | None, level: str | None) -> list[dict[str, Any]]:
        return self.judge.call("warnings", unit, level)  # type: ignore[no-any-return]

    def decisions(self, unit: str | None, case: str | None, since: dt.date | None
                  ) -> list[Any]:
        return self.judge.call("decisions", unit, case, since)  # type: ignore[no-any-return]

    def decision(self, key: str) -> Any | None:
        return self.judge.call("decision", key)

    def today(self) -> dt.date:
        return self.judge.call("today")  # type: ignore[no-any-return]

    def case_view(self, case: str, unit: str | None, explain: bool) -> dict[str, Any]:
        return self.judge.call("case_view", case, unit, explain)  # type: ignore[no-any-return]

    def counts(self) -> dict[str, Any]:
        return self.judge.call("metrics_state")  # type: ignore[no-any-return]

    def advance(self, day: dt.date | None) -> int:
        return int(self.judge.call("advance", day))


def _die_with_parent() -> None:
    """A worker is killed with its supervisor (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``): a
    ``kill -9`` of ``wenze serve`` leaves no worker holding the port or the store."""
    parent = os.environ.get(PARENT_ENV)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent and os.getppid() != int(parent):  # the supervisor died before that
        os._exit(1)


def serve_workers(config: ServeConfig, host: str, port: int, workers: int,
                  log_level: str) -> int:
    """Run the judge in this process and ``workers`` uvicorn worker processes (see the module
    docstring); returns when the supervisor is told to stop (SIGTERM, SIGINT)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    folder = tempfile.mkdtemp(prefix="wenze-serve-")  # mode 0700
    path = os.path.join(folder, "judge.sock")
    key = secrets.token_bytes(32)
    os.environ[CONFIG_ENV] = dataclasses.replace(config, judge=path).to_env()
    os.environ[KEY_ENV] = key.hex()
    os.environ[PARENT_ENV] = str(os.getpid())
    uv = uvicorn.Config("wenze.serve.app:create_app_from_env", factory=True, host=host,
                        port=port, workers=workers, log_level=log_level, access_log=False,
                        server_header=False)
    service = Service(config)
    server = JudgeServer(service, path, key)
    try:
        server.start()
        service.start_in_background()
        sock = uv.bind_socket()
        Multiprocess(uv, sockets=[sock]).run()
    finally:
        server.close()
        service.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0

