"""Store stage — persistence (SQLAlchemy 2, SQLite by default, PostgreSQL by URL).

parse → check → lower → evaluate → decisions → output / **store**.

- ``wenze.store.db``: ``make_engine(url)`` (``--db``, else ``WENZE_DB``, else
  ``sqlite:///wenze.db``), ``upgrade(engine)`` (Alembic, ``wenze db upgrade``).
- ``wenze.store.models``: the tables; decisions and sanction history are immutable.
- ``wenze.store.ingest``: ``ingest(engine, path_or_events)`` — idempotent, batched
  (``wenze ingest``).
- ``wenze.store.runs``: ``record_run``, ``load_events`` / ``load_snapshot``,
  ``sanction_history`` / ``prior_sanctions``, ``decisions_in_force``, ``decision_chain``.
- ``wenze.store.evaluate``: ``evaluate_stored`` (evaluate what is stored and record the run),
  ``store_evaluation`` (record an evaluation made from a file).
"""
