"""An approval in the admin reaches serving without a restart: the next API prediction after the
champion cache's check interval is made by the approved version."""

from __future__ import annotations

import json
import time

import pytest
from rest_framework.test import APIClient
from sklearn.dummy import DummyRegressor

from predictions.champions import CHECK_INTERVAL, champions
from predictions.generator import generate_students
from predictions.pipeline import build_pipeline
from predictions.schema import INPUTS, TARGET
from tests.builders import make_student
from tests.registry.conftest import add_version

pytestmark = pytest.mark.django_db


def constant_model(grade: float):
    """A real track-A pipeline that always predicts ``grade`` (so the answer shows which version served)."""
    students = generate_students(60, seed=3)
    pipeline = build_pipeline("A", DummyRegressor(strategy="constant", constant=grade))
    return pipeline.fit(students[list(INPUTS)], students[TARGET].to_numpy(dtype=float))


def predict(api: APIClient) -> dict:
    response = api.post("/api/v1/predictions/", data=json.dumps(make_student(G3=None)),
                        content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def test_serving_switches_to_the_approved_version_without_a_restart(approver_client, api):
    add_version("A", status="champion", pipeline=constant_model(11.0))
    before = predict(api)
    add_version("A", status="pending_approval", champion_mae=2.2, champion_version=1, pipeline=constant_model(15.0))
    assert predict(api)["model_version"] == 1  # a pending version serves nobody

    page = approver_client.get("/admin/registry/modelversion/A/2/approve/")
    assert page.status_code == 200
    approver_client.post("/admin/registry/modelversion/A/2/approve/", {"reason": "", "champion_seq": "1"})
    approved_at = time.monotonic()

    after = predict(api)
    while after["model_version"] != 2 and time.monotonic() - approved_at < CHECK_INTERVAL * 3:
        time.sleep(0.05)
        after = predict(api)

    assert (before["model_version"], before["predicted_G3"]) == (1, 11.0)
    assert (after["model_version"], after["predicted_G3"]) == (2, 15.0)
    assert time.monotonic() - approved_at < CHECK_INTERVAL * 3
    assert champions.get("A").version.version == 2  # the same process, never restarted or cleared
