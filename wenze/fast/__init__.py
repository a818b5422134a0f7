"""The columnar fast path: the reference judge's results, byte for byte,
on numpy columns.

Takes a ``Program`` and :class:`~wenze.events.columns.EventColumns`; gives the same offences and
decisions as :func:`wenze.engine.evaluate.evaluate` (screening, native cases, the ladder on arrays,
forked slices). ``evaluators`` picks reference or columnar.
"""
