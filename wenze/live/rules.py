"""Live mode, the durable_rules side: a lazily imported, constant-size ruleset per generation.

events (approval system) → **durable_rules ruleset (correlation, firing)** → live engine
(re-evaluation of the affected case, ladder) → warnings and decisions.

The ruleset is a durable_rules ruleset (its JSON definition, the format ``durable.lang``
produces) created in durable_rules' rule engine core, ``durable_rules_engine`` — the C extension
that ``durable.engine.Ruleset`` itself drives — and fired with the same calls the package's
``Host.post`` makes (``assert_event``, ``start_action_for_state``, ``complete_and_start_action``,
``abandon_action``). It is *not* registered in durable's Python ``Host``: that host starts
background dispatcher threads that call into every registered ruleset every 0.2 s, and its
Python action machinery (a ``Closure``, a ``Content``, a state round trip and ~24 cyclic
objects per post) costs ≈ 2.7× the core's own work (benchmark, CPU time: ≈ 19 µs per ``post``
against ≈ 7 µs for the core's assert/start/complete cycle).

durable_rules 2.0.28 has limits this module contains (see ``docs/live.md``):

* it cannot be imported on some interpreters (Python 3.13): :func:`durable_core` imports it
  lazily and raises :class:`LiveUnavailable` with a message instead of an ImportError trace;
* a ruleset name cannot be registered twice in a host and the host has no public unload: the
  ruleset is never registered in a host; every :class:`LiveRules` gets a fresh,
  generation-suffixed name anyway, and :meth:`LiveRules.close` deletes it from the core;
* rulesets of ~520+ rules hang on creation: the ruleset always has exactly two rules (an event
  arrived, a clock tick for a shard), whatever the size of the rulebook — the rulebook's own
  logic runs in Python in the actions;
* at most 1,024 live sessions per ruleset: cases are spread over :data:`SHARDS` session ids
  by a stable hash of the case id;
* the C core has no locks and never releases the GIL: the caller (``LiveEngine``) posts under
  one lock, and since the ruleset is in no host, no background thread ever calls into it;
  ``delete_state`` is never called;
* an exception inside an action is swallowed by durable's Python host into the session state
  (and the session then stops firing), and an action abandoned in the core is handed out again
  on the next post: here the action runs in the posting thread between
  ``start_action_for_state`` and ``complete_and_start_action``; when it raises, the action is
  still completed (the message consumed, the session keeps firing) and the error is raised in
  the posting thread.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import zlib
from collections.abc import Callable
from typing import Any

SHARDS = 64  # session ids per ruleset (durable_rules allows at most 1,024 live sessions)
GLOBAL_SESSION = "global"  # events without a case (an absence of a post)
DEFINITION = {  # the ruleset, in durable_rules' JSON form: two rules, whatever the rulebook
    "event": {"all": [{"m": {"t": "event"}}]},
    "tick": {"all": [{"m": {"t": "tick"}}]},
}
_SHARD_NAMES = tuple(f"s{i}" for i in range(SHARDS))
_decode = json.JSONDecoder().scan_once  # the C scanner: a whole JSON text at offset 0
_CORE_CALLS = ("create_ruleset", "delete_ruleset", "assert_event", "start_action_for_state",
               "complete_and_start_action")

_names = itertools.count(1)


class LiveUnavailable(RuntimeError):
    """durable_rules cannot run here (not installed, or not importable on this interpreter)."""


def _unavailable(reason: str) -> LiveUnavailable:
    version = ".".join(str(v) for v in sys.version_info[:3])
    return LiveUnavailable(
        "实时模式不可用：无法在 Python " + version + " 上载入 durable_rules "
        f"(live mode unavailable: durable_rules cannot be loaded on Python {version}: "
        f"{reason}). "
        "Use Python 3.11 or 3.12 with durable_rules 2.0.28 installed, "
        "or evaluate in batch mode (`wenze evaluate`)."
    )


def durable_core() -> Any:
    """durable_rules' rule engine core (``durable_rules_engine``), imported on first use;
    :class:`LiveUnavailable` when it cannot be."""
    try:
        import durable.engine  # noqa: F401  (the package, and the core it loads)
        import durable_rules_engine as core
    except Exception as err:  # ImportError, or the C extension failing on a newer Python
        raise _unavailable(f"{type(err).__name__}: {err}") from None
    missing = [name for name in _CORE_CALLS if not hasattr(core, name)]
    if missing:
        raise _unavailable("its core lacks " + ", ".join(missing)) from None
    return core


def durable_lang() -> Any:
    """``durable.lang`` (the package's public API; the benchmark's raw baseline), imported on
    first use; :class:`LiveUnavailable` when it cannot be."""
    try:
        import durable.lang as lang
    except Exception as err:
        raise _unavailable(f"{type(err).__name__}: {err}") from None
    return lang


def shard_of(case: str | None) -> str:
    """The durable_rules session id of a case: one of :data:`SHARDS`, by a stable hash."""
    if not case:
        return GLOBAL_SESSION
    return _SHARD_NAMES[zlib.crc32(case.encode("utf-8")) % SHARDS]


def _ascii(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "", name)[:24]
    return text or "rulebook"


class LiveRules:
    """One ruleset in the durable_rules core: two rules, whose actions call ``on_event(seq)``
    and ``on_tick(shard, day)`` in the posting thread. Not thread-safe by design (neither is
    the core): the caller serialises every call."""

    RULES = len(DEFINITION)  # the number of rules, whatever the rulebook

    def __init__(self, rulebook_name: str, generation: int,
                 on_event: Callable[[int], None], on_tick: Callable[[str, str], None]) -> None:
        core = durable_core()
        self.name = f"wenze_{_ascii(rulebook_name)}_g{generation}_{next(_names)}"
        self._core = core
        self._assert = core.assert_event
        self._start = core.start_action_for_state
        self._complete = core.complete_and_start_action
        self._on_event = on_event
        self._on_tick = on_tick
        self._handle: int | None = core.create_ruleset(
            self.name, json.dumps(DEFINITION, ensure_ascii=False))
        self.posted = 0  # messages posted (for tests and diagnostics)
        self.fired = 0  # actions run

    def post_event(self, case: str | None, seq: int) -> None:
        self._post(f'{{"sid":"{shard_of(case)}","t":"event","n":{seq:d}}}')

    def post_tick(self, shard: str, day: str) -> None:
        self._post(json.dumps({"sid": shard, "t": "tick", "day": day}))

    def _post(self, message: str) -> None:
        handle = self._handle
        if handle is None:
            raise RuntimeError(f"ruleset {self.name} is closed")
        code, state = self._assert(handle, message)
        self.posted += 1
        if code != 0:  # 1: no rule matched, 2: already observed — never for these messages
            raise RuntimeError(f"durable_rules did not take {message} (code {code})")
        result = self._start(handle, state)
        error: BaseException | None = None
        while result:
            fired = _decode(result[1] if isinstance(result, tuple) else result, 0)[0]
            for action, matched in fired.items():
                m = matched["m"]
                self.fired += 1
                try:
                    if action == "event":
                        self._on_event(int(m["n"]))
                    else:
                        self._on_tick(str(m["sid"]), str(m["day"]))
                except BaseException as err:  # reported once the core is consistent again
                    error = error or err
            # the message is consumed even when the action failed: live state is in Python,
            # and a message handed back to the core would fire again on the next post
            result = self._complete(handle, state)
        if error is not None:
            raise error

    def close(self) -> None:
        """Delete the ruleset from the core (durable_rules keeps the memory of the sessions it
        used, ≈ 100 KB each: measured, 2.0.28). Posting afterwards is an error."""
        if self._handle is not None:
            self._core.delete_ruleset(self._handle)
            self._handle = None
