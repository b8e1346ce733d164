"""A promoted champion whose artifact was corrupted on disk: refused on load (sha256), the
previous champion keeps serving — in a process that had it in memory and in one that
starts afterwards — and /readyz reports the problem without taking the process out."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictions.champions import champions
from registry import artifacts
from registry import services as registry
from tests.builders import make_student
from tests.reliability.conftest import post_json

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _readyz_details(settings):
    """These tests read why a check failed."""
    settings.READYZ_DETAILS = True


SINGLE = "/api/v1/predictions/"


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def corrupted_champion(trained_store, settings, monkeypatch):
    """Track A: version 1 served, then version 2 promoted with its file damaged on disk."""
    monkeypatch.setattr(champions, "check_interval", 0.0)  # notice the promotion at once
    champion = registry.champion_get("A")
    pipeline = artifacts.load(champion.artifact)
    pipeline.studentml_note = "version 2"
    v2 = registry.model_version_register(track="A", pipeline=pipeline, metrics=dict(champion.metrics),
                                         holdout=dict(champion.holdout), window=dict(champion.window),
                                         params=dict(champion.params), by="tests")
    corrupt(Path(settings.ARTIFACT_DIR) / f"{v2.artifact.sha256}.joblib")
    return v2


def test_a_corrupted_champion_is_refused_and_the_previous_one_keeps_serving(api, corrupted_champion):
    assert post_json(api, SINGLE, make_student(G3=None)).json()["model_version"] == 1  # v1 in memory

    registry.model_version_promote("A", corrupted_champion.version, by="admin")
    response = post_json(api, SINGLE, make_student(G3=None))

    assert response.status_code == 201 and response.json()["model_version"] == 1
    ready = api.get("/readyz")
    assert ready.status_code == 200  # it serves, so it stays in the load balancer
    assert ready.json()["status"] == "degraded"
    models = ready.json()["checks"]["models"]
    assert models["status"] == "degraded"
    assert models["error"].startswith(f"track A: champion version 2 not loaded (artifact "
                                      f"{corrupted_champion.artifact.sha256[:12]} is corrupted")
    assert models["error"].endswith("refusing to load it); version 1 keeps serving")


def test_a_process_started_after_the_promotion_serves_the_previous_champion(api, corrupted_champion):
    registry.model_version_promote("A", corrupted_champion.version, by="admin")
    champions.clear()  # a worker that starts now has no model in memory

    response = post_json(api, SINGLE, make_student(G3=None))

    assert response.status_code == 201 and response.json()["model_version"] == 1
    assert api.get("/readyz").json()["checks"]["models"]["error"].endswith("version 1 keeps serving")


def test_rolling_back_clears_the_report(api, corrupted_champion):
    registry.model_version_promote("A", corrupted_champion.version, by="admin")
    post_json(api, SINGLE, make_student(G3=None))
    assert api.get("/readyz").json()["status"] == "degraded"

    registry.model_version_rollback("A", by="admin", reason="version 2's file is damaged")

    assert post_json(api, SINGLE, make_student(G3=None)).json()["model_version"] == 1
    ready = api.get("/readyz").json()
    assert ready["status"] == "ok"
    assert {name: check["status"] for name, check in ready["checks"].items()} == {
        "database": "ok", "store": "ok", "models": "ok", "prediction_log": "ok", "worker": "off", "beat": "off"}
