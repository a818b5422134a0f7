"""A progress line on stderr for long ``wenze evaluate`` runs: reading, judging, writing.

Shown only on a terminal and without ``--quiet``, and only once a stage has run for
:data:`SHOW_AFTER` seconds (a short run prints nothing). One line, rewritten in place
(``\\r``): the stage, a bar when the total is known (the decisions written), the count and the
seconds; a stage without a count (reading, judging) is redrawn by a timer thread. Nothing of it
reaches a file or a pipe.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

SHOW_AFTER = 2.0  # seconds of a stage before the line appears
_EVERY = 0.2  # seconds between redraws
_WIDTH = 30


class Progress:
    """Stages of a run on one line of ``stream`` (default stderr)."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.stage = ""
        self.total: int | None = None
        self.started = self.drawn_at = time.monotonic()
        self.shown = False
        self.lock = threading.Lock()

    def begin(self, stage: str, total: int | None = None) -> None:
        """A new stage (``reading events`` …), with the count it will reach if known."""
        self.end()
        with self.lock:
            self.stage, self.total = stage, total
            self.started = time.monotonic()
            self.drawn_at = 0.0
        if self.enabled and total is None:
            threading.Thread(target=self._timer, args=(stage, self.started), daemon=True).start()

    def _timer(self, stage: str, started: float) -> None:
        while True:
            time.sleep(_EVERY)
            with self.lock:
                if (self.stage, self.started) != (stage, started):
                    return
            self.update(0)

    def update(self, done: int) -> None:
        """``done`` of the stage's total so far."""
        if not self.enabled:
            return
        with self.lock:
            now = time.monotonic()
            if not self.stage or now - self.started < SHOW_AFTER or \
                    now - self.drawn_at < _EVERY:
                return
            self.drawn_at = now
            self._draw(done, now)

    def end(self) -> None:
        """The stage is over: its line finished with its time, if it was shown."""
        with self.lock:
            if self.enabled and self.shown:
                self.stream.write(f"\r\x1b[2K{self.stage}: "
                                  f"{time.monotonic() - self.started:.1f} s\n")
                self.stream.flush()
            self.shown = False
            self.stage = ""

    def _draw(self, done: int, now: float) -> None:
        seconds = f"{now - self.started:.1f} s"
        if self.total:
            part = min(done / self.total, 1.0)
            filled = int(part * _WIDTH)
            bar = "█" * filled + "·" * (_WIDTH - filled)
            text = f"{self.stage} [{bar}] {part:4.0%} {done:,}/{self.total:,} {seconds}"
        else:
            text = f"{self.stage} … {seconds}"
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self.shown = True
