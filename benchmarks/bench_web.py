"""The workbench's two promises, measured in Debian's Chromium against a real ``wenze serve``
on 127.0.0.1 (not in tests: timings are for benchmarks):

- the page loads in under 1 s (navigation start → the editor shown with the rulebook);
- diagnostics arrive within 300 ms of the last keystroke for a 1,000-line rulebook (the
  keystroke → the diagnostics list updated, debounce and ``POST /v1/check`` included), edits
  at the end of the text and in its middle (every declaration after the edit moved), each
  making a text not checked before; with the server's CPU a check.

    PYTHONPATH=$PWD python3 benchmarks/bench_web.py [--rounds 10]

Needs the built page (``bash scripts/setup.sh``) and ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RULEBOOK = REPO / "rules" / "zitong_2008.wz"


def thousand_lines() -> str:
    """The 梓潼 rulebook and more items of the same shape, 1,000 lines in all (clean)."""
    text = RULEBOOK.read_text(encoding="utf-8")
    n = 0
    while len(text.splitlines()) < 1000:
        n += 1
        basis = '依据 「梓委办发[2008]16号」'
        text += (f'\n事项 「试写事项{n}」 继承 「行政许可」 {basis} "二（二）" {{\n'
                 '  单位 「县建设局」\n'
                 f'  承诺时限 12 工作日 {basis} "三（二）"\n}}\n')
    return text


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server has used so far: its process and every
    descendant (the HTTP worker that answers ``/v1/check`` is a child of the judging
    supervisor), from Linux ``/proc``."""
    from bench_serve import cpu_seconds

    return sum(cpu_seconds(pid).values())


def edit_rounds(page: Any, rounds: int) -> tuple[list[float], list[tuple[float, ...]], int]:
    """``rounds`` times: break the text where the cursor is, then fix it; the latency of each
    edit (keystroke → the diagnostics list updated), its parts (keystroke → request sent,
    request → answer, answer → list shown) and the checks the page sent."""
    latencies: list[float] = []
    parts: list[tuple[float, ...]] = []
    requests = 0
    for i in range(rounds * 2):
        page.evaluate(
            "() => { const s = document.getElementById('diag-summary');"
            " window.__done = null; new MutationObserver((m, o) => {"
            " if (s.textContent !== '检查中…') { window.__done = performance.now();"
            " o.disconnect(); } }).observe(s, {childList: true, characterData: true,"
            " subtree: true}); }")
        start = page.evaluate("() => performance.now()")
        if i % 2 == 0:
            # a new comment line, then an unknown character (WZ001), in one input: every text
            # checked is new (a text seen before could be answered from the loader's cache of
            # parse results)
            page.keyboard.insert_text(f"# 第 {i} 次编辑\n@")
        else:
            page.keyboard.press("Backspace")
        page.wait_for_function("() => window.__done !== null")
        done = page.evaluate("() => window.__done")
        latencies.append(done - start)
        sent = page.evaluate(
            "() => performance.getEntriesByType('resource')"
            ".filter(e => e.name.endsWith('/v1/check')).map(e => [e.startTime, e.responseEnd])")
        requests += len(sent)
        page.evaluate("() => performance.clearResourceTimings()")
        if sent:
            sent_at, answered = sent[-1]
            parts.append((sent_at - start, answered - sent_at, done - answered))
        state = "errors" if i % 2 == 0 else "clean"
        page.wait_for_selector(f"#diag-summary[data-state='{state}']")
    return latencies, parts, requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory() as folder:
        db = f"sqlite:///{folder}/bench.db"
        token = json.loads(subprocess.run(
            [sys.executable, "-m", "wenze", "token", "create", "--scope", "supervisor", "--db",
             db, "--json"], capture_output=True, text=True, env=env, cwd=REPO,
            check=True).stdout)["token"]
        server = subprocess.Popen(
            [sys.executable, "-m", "wenze", "serve", "--rulebook", str(RULEBOOK), "--db", db,
             "--port", str(args.port), "--today", "2024-06-30", "--log-level", "warning"],
            env=env, cwd=REPO)
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(600):
                try:
                    with urllib.request.urlopen(f"{base}/readyz") as res:
                        if res.status == 200:
                            break
                except OSError:
                    time.sleep(0.1)
            text = thousand_lines()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=["--no-sandbox"])
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                context.add_init_script(
                    f"localStorage.setItem('wenze.token', {json.dumps(token)});"
                    f"localStorage.setItem('wenze.draft', {json.dumps(text)});")
                loads = []
                for _ in range(args.rounds):
                    page = context.new_page()  # a new document each time
                    page.goto(f"{base}/#editor", wait_until="commit")
                    page.wait_for_function(
                        "() => performance.getEntriesByName('wenze-shown').length > 0")
                    loads.append(page.evaluate(
                        "() => [performance.getEntriesByName('wenze-shown')[0].startTime,"
                        " performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,"
                        " performance.getEntriesByName('wenze-start')[0].startTime,"
                        " performance.getEntriesByName('wenze-language')[0].startTime,"
                        " performance.getEntriesByName('wenze-editor')[0].startTime]"))
                    page.close()
                page = context.new_page()
                page.goto(f"{base}/#editor")
                # diagnostics after the last keystroke: break the text, then fix it, in turn
                page.wait_for_selector("#diag-summary[data-state='clean']")
                places = {}  # where the edits are made → (latencies, their parts, checks sent)
                cpu_before = server_cpu(server.pid)
                page.click(".cm-content")
                for place in ("end", "middle"):
                    if place == "end":
                        page.keyboard.press("Control+End")
                    else:  # the middle declaration (the outline jumps to its start): every
                        # declaration after the edit moves
                        entries = page.locator("#outline .outline-entry")
                        entries.nth(entries.count() // 2).click()
                    places[place] = edit_rounds(page, args.rounds)
                cpu = server_cpu(server.pid) - cpu_before
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    shown = [row[0] for row in loads]
    print(f"page load (navigation → the editor painted), {args.rounds} loads: median "
          f"{statistics.median(shown):.0f} ms, max {max(shown):.0f} ms (promise: < 1000 ms)")
    for n, name in enumerate(("DOMContentLoaded", "script started", "language fetched",
                              "editor made"), start=1):
        print(f"  {name}: median {statistics.median(row[n] for row in loads):.0f} ms")
    every = [ms for latencies, _, _ in places.values() for ms in latencies]
    requests = sum(sent for _, _, sent in places.values())
    print(f"diagnostics after the last keystroke, {len(text.splitlines())}-line rulebook, "
          f"{len(every)} edits: median {statistics.median(every):.0f} ms, max "
          f"{max(every):.0f} ms (promise: < 300 ms)")
    for place, (latencies, parts, _) in places.items():
        print(f"  edits at the {place}:")
        for name, part in (("with an error (WZ001)", latencies[0::2]),
                           ("clean", latencies[1::2])):
            print(f"    {name}: median {statistics.median(part):.0f} ms, max {max(part):.0f} ms")
        for n, name in enumerate(("keystroke → request sent (debounce)",
                                  "request → answer (transport, server)", "answer → list shown")):
            column = [row[n] for row in parts]
            print(f"    {name}: median {statistics.median(column):.0f} ms, "
                  f"max {max(column):.0f} ms")
    print(f"  server CPU: {cpu * 1000 / max(requests, 1):.0f} ms a check ({requests} checks "
          f"sent for {len(every)} edits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
