"""Simulation: a rulebook + a profile + a seed → a synthetic caseload (events).

Gives the events ``wenze simulate`` judges (and compares between two rulebooks); profiles describe
a county's items, staff and behaviour (``profiles/county.json``).
"""
