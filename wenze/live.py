"""``wenze.live``: the name approval systems import live mode by (see ``docs/live.md``).

The implementation is the engine stage :mod:`wenze.engine.live`; durable_rules is imported only
when a :class:`LiveEngine` is built, and its absence raises :class:`LiveUnavailable`.
"""

from wenze.engine.live import CHINA, LiveEngine, LiveUnavailable, VirtualClock, WallClock

__all__ = ["CHINA", "LiveEngine", "LiveUnavailable", "VirtualClock", "WallClock"]
