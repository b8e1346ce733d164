"""Generated fallback data is demo data: every page and the models list say so, and purge_demo removes all of it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from drift import repository as drift_repository
from predictions import repository
from registry import repository as registry_repository
from registry import services as registry
from retraining import bootstrap
from retraining.simulation import simulate_year
from studentml_site import demo
from tests.builders import store_snapshot

pytestmark = pytest.mark.django_db

BANNER = "Demo data: the models were trained on generated students"


@pytest.fixture
def offline(settings, tmp_path, monkeypatch):
    settings.UCI_DOWNLOAD_URL = (tmp_path / "no-such-archive.zip").as_uri()
    monkeypatch.delenv("STUDENTML_UCI_DIR", raising=False)
    monkeypatch.setattr(bootstrap, "GENERATED_ROWS", 200)
    demo.demo_in_window.clear()
    yield
    demo.demo_in_window.clear()


def purge(*flags: str) -> str:
    out = io.StringIO()
    call_command("purge_demo", *flags, stdout=out)
    demo.demo_in_window.clear()
    return out.getvalue()


def test_generated_fallback_is_marked_everywhere_and_purge_leaves_no_trace(offline, client, api):
    say = lambda _message: None  # noqa: E731
    bootstrap.ensure_data(say)
    bootstrap.ensure_models(say)
    get_user_model().objects.create_superuser("head", password="pw-for-tests-2026")
    client.force_login(get_user_model().objects.get(username="head"))

    for path in ("/", "/drift/", "/admin/", "/admin/registry/modelversion/"):
        assert BANNER in client.get(path).content.decode(), path
    listed = api.get("/api/v1/models/").json()
    assert listed["demo_data"].startswith("Demo data")
    assert {(r["track"], r["version"], r["demo_data"]) for r in listed["results"]} == {
        ("A", 1, True), ("B", 1, True), ("C", 1, True)}

    before = store_snapshot()
    out = purge("--dry-run")
    assert "generated batches: 1 (200 rows)" in out and "A:1, B:1, C:1" in out and "dry run: nothing removed" in out
    assert store_snapshot() == before

    out = purge()

    assert "demo data removed" in out and "A, B, C are left without a champion" in out
    # No batch, row, version, champion, audit entry, report or run; the log's layout marker stays.
    left = store_snapshot()
    assert [d["_id"] for d in left.pop("prediction_keys", [])] in ([], ["layout"])
    assert left == {}
    assert BANNER not in client.get("/").content.decode()
    assert api.get("/api/v1/models/").json()["demo_data"] is None
    assert "nothing to remove" in purge()


def test_a_simulated_year_left_by_an_earlier_release_is_purged_and_the_real_champions_return(settings, uci_dir,
                                                                                             monkeypatch):
    monkeypatch.setenv("STUDENTML_UCI_DIR", str(uci_dir))
    say = lambda _message: None  # noqa: E731
    bootstrap.ensure_data(say)
    bootstrap.ensure_models(say)
    real = store_snapshot()["batches"]
    # What the previous `make run` did to the real store; auto, so a challenger may displace a champion.
    simulate_year(cohort=60, shift="harder-year", seed=3, policy="auto", by="setup")
    demo.demo_in_window.clear()
    assert demo.banner() is not None

    purge()

    assert {t: registry.champion_get(t).version for t in "ABC"} == {"A": 1, "B": 1, "C": 1}
    assert [(v.track, v.version) for v in registry_repository.find_versions()] == [("A", 1), ("B", 1), ("C", 1)]
    assert repository.find_prediction_ids_by_source("simulation") == []
    assert repository.count_records(labeled=True) == 649
    assert drift_repository.count_reports() == 0
    assert store_snapshot()["batches"] == real
    assert demo.banner() is None
