"""Loaded with ``-p tests.env`` (pyproject addopts) before pytest-django reads settings.

Tests never touch the developer's var/ stores and need no secrets from the environment.
"""

import os

os.environ.setdefault("DEBUG", "true")
os.environ["MONGO_URI"] = "mongomock://"
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789abcdef")
# Deterministic: each request's log entries are written before it answers.
os.environ.setdefault("PREDICTION_LOG_MODE", "sync")
