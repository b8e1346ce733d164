"""A gunicorn worker loads every champion before it takes a connection (post_worker_init).

Without it, the first request each worker served paid ~1 s of model loading: under a
16-connection load that put a second on the p99 whenever a worker had been idle before.
"""

from __future__ import annotations

import pytest

from predictions.champions import champions, warm_up
from studentml_site import gunicorn_conf, mongo

pytestmark = pytest.mark.django_db


def test_warm_up_loads_every_track_champion_before_any_request(trained_store):
    champions.clear()

    assert warm_up() == ["A", "B", "C"]

    # Loaded and checked just now: a request within the check interval reads nothing.
    assert {track: champions._models[track].version.version for track in "ABC"} == {"A": 1, "B": 1, "C": 1}


def test_the_gunicorn_hook_runs_the_warm_up(trained_store):
    champions.clear()

    gunicorn_conf.post_worker_init(worker=None)

    assert sorted(champions._models) == ["A", "B", "C"]


def test_a_store_outage_at_start_does_not_stop_the_worker(trained_store, settings, caplog):
    settings.MONGO_URI = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200"
    mongo.reset()
    champions.clear()

    assert warm_up() == []  # requests answer 503 until the store returns

    assert "champion not loaded at start" in caplog.text
