"""Store stage — Alembic migrations (run them with ``wenze db upgrade``)."""
