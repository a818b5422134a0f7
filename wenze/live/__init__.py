"""Live mode: events as they arrive → warnings and decisions as they arise.

``wenze.live`` is also the name approval systems import live mode by (see ``docs/live.md``). The
engine is :mod:`wenze.live.engine` (judging as the reference does), the durable_rules rulesets
:mod:`wenze.live.rules`; durable_rules is imported only
when a :class:`LiveEngine` is built, and its absence raises :class:`LiveUnavailable`.
"""

from wenze.live.engine import CHINA, LiveEngine, LiveUnavailable, VirtualClock, WallClock

__all__ = ["CHINA", "LiveEngine", "LiveUnavailable", "VirtualClock", "WallClock"]
