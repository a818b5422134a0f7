"""The edge — acceptance scenarios: Gherkin (Chinese or English) run by
pytest-bdd against the engine.

``steps`` is the step library, ``lint`` the feature-file checks, ``coverage`` the rules no scenario
exercises. Scenarios live in ``features/``; ``wenze features`` runs them.
"""
