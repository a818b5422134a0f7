"""Load benchmark of ``wenze serve`` (not a test): a real uvicorn process on 127.0.0.1.

    python benchmarks/bench_serve.py                       # 100k events, SQLite
    python benchmarks/bench_serve.py --events 20000 --db postgresql://postgres@127.0.0.1/test
    python benchmarks/bench_serve.py --workers 2              # 2 HTTP workers, one judge

1. **Batches**: ``--events`` events (synthetic 企业设立登记 cases under rules/zitong_2008.wz,
   received in time order over 80 days; most decided on time, one in 10 late, one in 15 open)
   posted by ``--clients`` concurrent clients (8) in batches of ``--batch`` (100) over kept-alive
   connections: events/s over the whole run, and each request's latency (p50, p99, max).
2. **Judge**: how long after the last answer the live judge had judged every stored event
   (``/readyz`` backlog 0) — the intake answers once an event is committed; judging follows.
3. **Singles**: one event per request at a fixed ``--rate`` (200 requests/s) for ``--seconds``
   (15), open loop: request n is due at start + n/rate, whichever of 16 clients is free sends
   it, and its latency counts from when it was due (a slow answer delays the ones after it
   and is not hidden by a client waiting for it): p50, p99, max; the achieved rate.

Every phase records the machine's 1-minute load average before and after (2 cores shared with
other work make the figures move: read them with it), and the CPU seconds (user + system) the
server's processes spent in it — each process apart (with ``--workers N`` or the default judge
process: the judge and the HTTP workers) — and per event: what a quiet machine's throughput
follows. Each phase ends with a one-line summary on stderr (``PHASE …``); the full figures are
printed as JSON at the end. ``--source DIR``: the wenze sources the server runs (default: this
checkout; e.g. another worktree, to compare before and after).

Bounded: every phase stops after ``--limit`` seconds (300) and says so. The server's database is
a fresh SQLite file in a temporary folder (or a fresh schema of the PostgreSQL URL given). Needs
only the standard library on the client side (``http.client``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RULEBOOK = REPO / "rules" / "zitong_2008.wz"


def synthetic_events(cases: int, prefix: str) -> list[dict[str, Any]]:
    """As ``tests/serve/conftest.synthetic_events``."""
    start = dt.date(2024, 3, 1)
    out: list[dict[str, Any]] = []
    for i in range(cases):
        case = f"{prefix}-{i:07d}"
        day = start + dt.timedelta(days=i * 80 // cases)
        base = {"case": case, "item": "企业设立登记"}
        out.append(dict(base, id=f"{case}-r", type="received", at=f"{day}T09:00:00+08:00",
                        actor=f"窗口{i % 97}", post="综合受理窗口"))
        out.append(dict(base, id=f"{case}-a", type="accepted", at=f"{day}T09:30:00+08:00",
                        actor=f"窗口{i % 97}", post="综合受理窗口"))
        if i % 15:
            done = day + dt.timedelta(days=i % 40 if i % 10 == 1 else i % 3)
            out.append(dict(base, id=f"{case}-d", type="decided", at=f"{done}T16:00:00+08:00",
                            actor=f"首席{i % 89}", post="工商局首席代表",
                            data={"outcome": "准予许可"}))
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, body: bytes) -> tuple[int, float]:
        began = time.perf_counter()
        self.conn.request("POST", "/v1/events", body=body, headers=self.headers)
        res = self.conn.getresponse()
        res.read()
        return res.status, time.perf_counter() - began


def get_json(port: int, path: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        return res.status, json.loads(res.read() or b"null")
    finally:
        conn.close()


def batches_phase(port: int, token: str, events: list[dict[str, Any]], clients: int,
                  batch: int, limit: float) -> dict[str, Any]:
    bodies = [json.dumps(events[i:i + batch], ensure_ascii=False).encode()
              for i in range(0, len(events), batch)]
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + limit
    sent = [0]

    def run(part: list[bytes]) -> None:
        client = Client(port, token)
        for body in part:
            if time.perf_counter() > stop_at:
                return
            status, seconds = client.post(body)
            with lock:
                latencies.append(seconds)
                sent[0] += 1
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=run, args=(bodies[k::clients],)) for k in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    posted = min(sent[0] * batch, len(events))
    return {"requests": sent[0], "events": posted, "seconds": round(elapsed, 2),
            "events_per_s": round(posted / elapsed), "p50_ms": round(pct(latencies, 50) * 1e3, 1),
            "p99_ms": round(pct(latencies, 99) * 1e3, 1),
            "max_ms": round(max(latencies) * 1e3, 1), "non_200": len(errors),
            "stopped_by_limit": sent[0] < len(bodies)}


def judge_phase(port: int, limit: float) -> dict[str, Any]:
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        status, body = get_json(port, "/readyz")
        if status == 200 and body["backlog"] == 0:
            return {"caught_up_after_s": round(time.perf_counter() - began, 2)}
        time.sleep(0.5)
    return {"caught_up_after_s": None, "stopped_by_limit": True}


def singles_phase(port: int, token: str, events: list[dict[str, Any]], rate: float,
                  seconds: float, clients: int = 16) -> dict[str, Any]:
    latencies: list[float] = []  # from when each request was due (open loop)
    service: list[float] = []  # from when it was sent
    errors: list[int] = []
    lock = threading.Lock()
    total = int(rate * seconds)
    bodies = [json.dumps(e, ensure_ascii=False).encode() for e in events[:total]]
    slots = iter(range(len(bodies)))
    start = time.perf_counter() + 0.5

    def run() -> None:
        client = Client(port, token)
        while True:
            with lock:
                n = next(slots, None)
            if n is None:
                return
            due = start + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            status, took = client.post(bodies[n])
            done = time.perf_counter()
            with lock:
                latencies.append(done - due)
                service.append(took)
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"requests": len(latencies), "seconds": round(elapsed, 2),
            "achieved_rate": round(len(latencies) / elapsed, 1),
            "p50_ms": round(pct(latencies, 50) * 1e3, 2),
            "p99_ms": round(pct(latencies, 99) * 1e3, 2),
            "max_ms": round(max(latencies) * 1e3, 2),
            "p99_sent_to_answer_ms": round(pct(service, 99) * 1e3, 2),
            "non_200": len(errors)}


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    found = [pid]
    for p in found:
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    found += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return found


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of ``pid`` and of each of its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def phase(name: str, server: int, events: int, run: Any, *args: Any) -> dict[str, Any]:
    """A phase's figures with the machine's 1-minute load average before and after and the
    CPU seconds the server's processes spent in it (``events``: per event)."""
    before = os.getloadavg()[0]
    cpu_before = cpu_seconds(server)
    out: dict[str, Any] = run(*args)
    cpu_after = cpu_seconds(server)
    out["load_average"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    spent = {p: round(c - cpu_before.get(p, 0.0), 2) for p, c in cpu_after.items()}
    out["server_cpu_s"] = {("server" if p == server else f"child {p}"): c
                           for p, c in spent.items()}
    total = sum(spent.values())
    out["server_cpu_s_total"] = round(total, 2)
    if events:
        out["server_cpu_ms_per_event"] = round(total / events * 1e3, 3)
    print(f"PHASE {name}: " + summary(name, out), file=sys.stderr, flush=True)
    return out


def summary(name: str, out: dict[str, Any]) -> str:
    """One line per phase: what the targets are about, the CPU and the load."""
    if name == "batches":
        head = (f"{out['events']} events in {out['seconds']} s = {out['events_per_s']} events/s, "
                f"request p50 {out['p50_ms']} ms p99 {out['p99_ms']} ms max {out['max_ms']} ms, "
                f"non-200 {out['non_200']}")
    elif name == "judge":
        head = f"judge caught up {out.get('caught_up_after_s')} s after the last answer"
    else:
        head = (f"{out['requests']} requests at {out['achieved_rate']}/s reached, p50 "
                f"{out['p50_ms']} ms p99 {out['p99_ms']} ms max {out['max_ms']} ms (p99 sent→"
                f"answer {out['p99_sent_to_answer_ms']} ms), non-200 {out['non_200']}")
    per = out.get("server_cpu_ms_per_event")
    return (head + f"; server CPU {out['server_cpu_s_total']} s"
            + (f" = {per} ms/event" if per is not None else "")
            + f" {out['server_cpu_s']}; load {out['load_average'][0]} → "
              f"{out['load_average'][1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--db", help="a PostgreSQL URL (a fresh schema is made in it)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1, help="wenze serve --workers N")
    parser.add_argument("--skip-batches", action="store_true", help="singles only")
    parser.add_argument("--source", default=str(REPO),
                        help="the wenze sources the server runs (default: this checkout)")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from wenze.serve.tokens import create_token
    from wenze.store.db import ensure_schema, make_engine

    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    schema = None
    if args.db:
        import psycopg

        schema = f"wz_bench_{secrets.token_hex(4)}"
        base = args.db.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
        db = args.db.replace("postgresql://", "postgresql+psycopg://") + \
            f"?options=-csearch_path%3D{schema}"
    else:
        db = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(db)
    ensure_schema(engine)
    token = create_token(engine, "admin")[0]
    engine.dispose()
    cases = args.events * 100 // 287 + 1  # ~2.87 events per case
    events = synthetic_events(cases, "B")[: args.events]
    singles = synthetic_events(int(args.rate * args.seconds) // 2 + 1, "S")
    try:  # another server on the port would answer in this one's place
        get_json(args.port, "/healthz")
        raise SystemExit(f"port {args.port} is in use: give another with --port")
    except OSError:
        pass
    env = {**os.environ, "PYTHONPATH": args.source}
    log = (folder / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "wenze", "serve", "--rulebook", str(RULEBOOK), "--db", db,
         "--port", str(args.port), "--today", "2024-06-30", "--log-level", "warning",
         "--workers", str(args.workers)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=args.source)  # (-m: cwd first)
    try:
        began = time.perf_counter()
        while True:
            try:
                if get_json(args.port, "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - began > 120 or server.poll() is not None:
                raise SystemExit(f"server did not start: {(folder / 'serve.log').read_text()}")
            time.sleep(0.2)
        report: dict[str, Any] = {
            "database": "postgresql" if args.db else "sqlite", "events": len(events),
            "clients": args.clients, "batch": args.batch, "workers": args.workers,
            "cpus": os.cpu_count(), "source": args.source,
        }
        if not args.skip_batches:
            report["batches"] = phase("batches", server.pid, len(events), batches_phase,
                                      args.port, token, events, args.clients, args.batch,
                                      args.limit)
            report["judge"] = phase("judge", server.pid, 0, judge_phase, args.port, args.limit)
            b, j = report["batches"], report["judge"]
            total = b["server_cpu_s_total"] + j["server_cpu_s_total"]
            report["batches_and_judge_cpu_ms_per_event"] = round(total / len(events) * 1e3, 3)
        report["singles"] = phase("singles", server.pid, int(args.rate * args.seconds),
                                  singles_phase, args.port, token, singles, args.rate,
                                  args.seconds)
        print(json.dumps(report, ensure_ascii=False, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=60)
        if schema is not None:
            import psycopg

            with psycopg.connect(args.db.replace("postgresql+psycopg://", "postgresql://"),
                                 autocommit=True) as admin:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
