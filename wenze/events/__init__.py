"""Events: input files → validated case events (objects or columns).

Takes JSON Lines, CSV and XES (through mappings); gives :class:`wenze.events.readers.Event` lists or
:class:`wenze.events.columns.EventColumns`, and every rejected line with its code and reason.
Depends on ``wenze.dsl`` only.
"""
