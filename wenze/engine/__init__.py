"""The reference judge: a lowered rulebook + events + as-of → offences and decisions.

``lower`` compiles the AST into a ``Program``; ``case``/``evaluate`` establish each case's facts,
violations and parties; ``ladder``/``sanction`` choose the sanction; ``decisions`` are the records.
Depends on ``wenze.dsl`` and ``wenze.events``.
"""
