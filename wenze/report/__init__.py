"""Reports: results → table, JSON, CSV, 问责决定书 and day-by-day explanations.

Takes what ``engine``/``fast`` give; gives text and stable documents (``output``) and the
per-decision summaries both evaluators share (``summaries``).
"""
