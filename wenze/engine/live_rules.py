"""Live mode, the durable_rules side: a lazily imported, constant-size ruleset per generation.

events (approval system) → **durable_rules ruleset (correlation, firing)** → live engine
(re-evaluation of the affected case, ladder) → warnings and decisions.

durable_rules 2.0.28 has limits this module contains (see ``docs/live.md``):

* it cannot be imported on some interpreters (Python 3.13): :func:`durable_lang` imports it
  lazily and raises :class:`LiveUnavailable` with a message instead of an ImportError trace;
* a ruleset name cannot be registered twice and has no public unload: every :class:`LiveRules`
  gets a fresh, generation-suffixed name;
* rulesets of ~520+ rules hang on creation: the ruleset always has exactly two rules (an event
  arrived, a clock tick for a shard), whatever the size of the rulebook — the rulebook's own
  logic runs in Python in the callbacks;
* at most 1,024 live sessions per ruleset: cases are spread over :data:`SHARDS` session ids
  by a stable hash of the case id;
* the C core has no locks and never releases the GIL: the caller (``LiveEngine``) posts under
  one lock, and the ruleset is taken out of the durable host's background dispatcher threads
  (they poll every registered ruleset for timers and queued actions, which live mode never uses)
  so no other thread ever calls into its handle; ``delete_state`` is never called;
* an exception inside an action is swallowed by durable_rules into the session state (and the
  session then stops firing): the actions catch everything and :class:`LiveRules` raises it
  again in the posting thread once ``post`` returns.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import sys
from collections.abc import Callable
from typing import Any

SHARDS = 256  # session ids per ruleset (durable_rules allows at most 1,024 live sessions)
GLOBAL_SESSION = "global"  # events without a case (an absence of a post)

_names = itertools.count(1)


class LiveUnavailable(RuntimeError):
    """durable_rules cannot run here (not installed, or not importable on this interpreter)."""


def durable_lang() -> Any:
    """``durable.lang``, imported on first use; :class:`LiveUnavailable` when it cannot be."""
    try:
        import durable.lang as lang
    except Exception as err:  # ImportError, or the C extension failing on a newer Python
        version = ".".join(str(v) for v in sys.version_info[:3])
        raise LiveUnavailable(
            "实时模式不可用：无法在 Python " + version + " 上载入 durable_rules "
            f"(live mode unavailable: durable_rules cannot be imported on Python {version}: "
            f"{type(err).__name__}: {err}). "
            "Use Python 3.11 or 3.12 with durable_rules 2.0.28 installed, "
            "or evaluate in batch mode (`wenze evaluate`)."
        ) from None
    return lang


def shard_of(case: str | None) -> str:
    """The durable_rules session id of a case: one of :data:`SHARDS`, by a stable hash."""
    if not case:
        return GLOBAL_SESSION
    digest = hashlib.blake2b(case.encode("utf-8"), digest_size=4).digest()
    return f"s{int.from_bytes(digest, 'big') % SHARDS}"


def _ascii(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "", name)[:24]
    return text or "rulebook"


class _Parked:
    """Stands in the durable host's dispatcher list for a live ruleset: the background threads
    find nothing to do here (the list keeps its length, so their round-robin index stays valid)."""

    def dispatch(self) -> None:
        pass

    def dispatch_timers(self) -> None:
        pass

    def __getattr__(self, name: str) -> Callable[..., None]:  # set_*_callback and the like
        return lambda *args, **kwargs: None


class LiveRules:
    """One registered ruleset: two rules, whose actions call ``on_event(seq)`` and
    ``on_tick(shard, day)`` in the posting thread (durable_rules runs actions synchronously)."""

    def __init__(self, rulebook_name: str, generation: int,
                 on_event: Callable[[int], None], on_tick: Callable[[str, str], None]) -> None:
        lang = durable_lang()
        self.name = f"wenze_{_ascii(rulebook_name)}_g{generation}_{next(_names)}"
        self._post = lang.post
        self._errors: list[BaseException] = []
        m = lang.m
        with lang.ruleset(self.name):

            @lang.when_all(m.t == "event")
            def event(c: Any) -> None:
                try:
                    on_event(int(c.m.n))
                except BaseException as err:
                    self._errors.append(err)

            @lang.when_all(m.t == "tick")
            def tick(c: Any) -> None:
                try:
                    on_tick(str(c.m.sid), str(c.m.day))
                except BaseException as err:
                    self._errors.append(err)

        host = lang.get_host()
        ruleset = host.get_ruleset(self.name)  # register now, so errors surface here
        self.parked = False
        listed = getattr(host, "_ruleset_list", None)
        if isinstance(listed, list):
            for i, r in enumerate(listed):
                if r is ruleset:
                    listed[i] = _Parked()
                    self.parked = True

    RULES = 2  # the number of rules, whatever the rulebook

    def post_event(self, case: str | None, seq: int) -> None:
        self._post(self.name, {"sid": shard_of(case), "t": "event", "n": seq})
        self._raise()

    def post_tick(self, shard: str, day: str) -> None:
        self._post(self.name, {"sid": shard, "t": "tick", "day": day})
        self._raise()

    def _raise(self) -> None:
        if self._errors:
            err = self._errors.pop(0)
            self._errors.clear()
            raise err
