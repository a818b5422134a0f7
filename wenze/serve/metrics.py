"""Serve stage — Prometheus text exposition (version 0.0.4) of the service's counters.

Counters and a latency histogram kept in memory (per process, reset on restart, as Prometheus
expects); the gauges (open cases, warnings by level, decisions by sanction) are read from the
live state when scraped.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _labels(pairs: Mapping[str, str]) -> str:
    if not pairs:
        return ""
    inner = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(pairs.items())
    )
    return "{" + inner + "}"


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events_in: dict[str, int] = defaultdict(int)  # status → count
        self.rejected: dict[str, int] = defaultdict(int)  # code → count
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[int]] = {}
        self.latency_sum: dict[tuple[str, str], float] = defaultdict(float)
        self.latency_count: dict[tuple[str, str], int] = defaultdict(int)
        self.restored_events = 0
        self.restored_outputs = 0

    def restored(self, events: int, outputs: int) -> None:
        self.restored_events = events
        self.restored_outputs = outputs

    def event_counts(self) -> tuple[dict[str, int], dict[str, int], tuple[int, int]]:
        """(events by outcome, rejections by code, (events restored, outputs restored))."""
        with self._lock:
            return (dict(self.events_in), dict(self.rejected),
                    (self.restored_events, self.restored_outputs))

    def set_event_counts(self, counts: tuple[dict[str, int], dict[str, int], tuple[int, int]]
                         ) -> None:
        """Take the event counters of another process (``--workers N``: the judge's)."""
        events_in, rejected, (restored, outputs) = counts
        with self._lock:
            self.events_in = defaultdict(int, events_in)
            self.rejected = defaultdict(int, rejected)
            self.restored_events, self.restored_outputs = restored, outputs

    def events(self, answers: Iterable[Any]) -> None:
        with self._lock:
            for a in answers:
                self.events_in[a.status] += 1
                if a.status == "rejected":
                    self.rejected[a.code or "unknown"] += 1

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        with self._lock:
            self.requests[(method, route, status)] += 1
            counts = self.latency.setdefault(key, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self.latency_sum[key] += seconds
            self.latency_count[key] += 1

    def render(self, state: Mapping[str, Any]) -> str:
        out: list[str] = []

        def family(name: str, kind: str, help_: str) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")

        with self._lock:
            family("wenze_events_received_total", "counter",
                   "Events received over HTTP, by outcome (stored, duplicate, rejected).")
            for status in ("stored", "duplicate", "rejected"):
                out.append(f"wenze_events_received_total{_labels({'status': status})} "
                           f"{self.events_in.get(status, 0)}")
            family("wenze_events_rejected_total", "counter", "Rejected events, by code.")
            for code in sorted(self.rejected):
                out.append(f"wenze_events_rejected_total{_labels({'code': code})} "
                           f"{self.rejected[code]}")
            family("wenze_events_restored", "gauge",
                   "Stored events judged again when the service started.")
            out.append(f"wenze_events_restored {self.restored_events}")
            family("wenze_http_requests_total", "counter", "HTTP requests, by route and status.")
            for (method, route, status), n in sorted(self.requests.items()):
                out.append("wenze_http_requests_total"
                           f"{_labels({'method': method, 'route': route, 'status': str(status)})}"
                           f" {n}")
            family("wenze_http_request_duration_seconds", "histogram",
                   "HTTP request latency, by route.")
            for (method, route), counts in sorted(self.latency.items()):
                labels = {"method": method, "route": route}
                for bound, n in zip(BUCKETS, counts, strict=True):
                    out.append("wenze_http_request_duration_seconds_bucket"
                               f"{_labels({**labels, 'le': repr(bound)})} {n}")
                total = self.latency_count[(method, route)]
                out.append("wenze_http_request_duration_seconds_bucket"
                           f"{_labels({**labels, 'le': '+Inf'})} {total}")
                out.append(f"wenze_http_request_duration_seconds_sum{_labels(labels)} "
                           f"{self.latency_sum[(method, route)]:.6f}")
                out.append(f"wenze_http_request_duration_seconds_count{_labels(labels)} {total}")
        family("wenze_judge_backlog", "gauge", "Stored events not yet judged live.")
        out.append(f"wenze_judge_backlog {state['backlog']}")
        family("wenze_open_cases", "gauge", "Cases still running (judged again each day).")
        out.append(f"wenze_open_cases {state['open_cases']}")
        family("wenze_cases", "gauge", "Cases with stored events.")
        out.append(f"wenze_cases {state['cases']}")
        family("wenze_warnings", "gauge", "Current warnings, by level (notice, yellow, red).")
        for level in ("notice", "yellow", "red"):
            out.append(f"wenze_warnings{_labels({'level': level})} "
                       f"{state['warnings'].get(level, 0)}")
        family("wenze_decisions", "gauge", "Decisions in force, by sanction.")
        for sanction in sorted(state["decisions"]):
            out.append(f"wenze_decisions{_labels({'sanction': sanction})} "
                       f"{state['decisions'][sanction]}")
        return "\n".join(out) + "\n"
