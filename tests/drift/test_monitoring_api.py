"""``/api/v1/monitoring/performance/`` and ``/api/v1/monitoring/estimate/``: auth, refusals, shapes, schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from predictions import repository
from predictions.generator import generate_students
from predictions.schema import INPUTS
from predictions.services import prediction_create

pytestmark = pytest.mark.django_db

PERIOD_KEYS = {"period_start", "rows", "mae", "rmse", "naive_mae", "coverage", "at_risk_precision", "at_risk_recall"}


@pytest.fixture
def client(django_user_model) -> APIClient:
    token = Token.objects.create(user=django_user_model.objects.create_user("ana", password="pw-2026-monitor"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_anonymous_callers_are_refused():
    for path in ("/api/v1/monitoring/performance/?track=A", "/api/v1/monitoring/estimate/?track=A"):
        response = APIClient().get(path)
        assert response.status_code == 401 and "detail" in response.json()


@pytest.mark.parametrize("query, field", [("track=D", "track"), ("", "track"), ("track=A&version=x", "version"),
                                          ("track=A&version=0", "version"), ("track=A&period=day", "period")])
def test_bad_parameters_are_400_naming_the_field(client, query, field):
    response = client.get(f"/api/v1/monitoring/performance/?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_unknown_version_is_400(client, trained):
    response = client.get("/api/v1/monitoring/performance/?track=A&version=9")
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"] == "track A has no version 9"


def test_performance_per_month_beside_the_holdout(client, trained):
    year = generate_students(40, seed=5)
    logged = prediction_create(year[list(INPUTS)].astype(object).to_dict("records"), source="tests")
    for p, g3 in zip(logged, year["G3"], strict=True):
        repository.set_prediction_label(p.id, int(g3), at=datetime(2027, 6, 30, tzinfo=UTC), by="ana")

    body = client.get("/api/v1/monitoring/performance/?track=A").json()

    assert (body["track"], body["version"], body["period"]) == ("A", 1, "month")
    [period] = body["periods"]
    assert set(period) >= PERIOD_KEYS and period["rows"] == 40
    assert body["holdout"]["rows"] == 120 and body["holdout"]["mae"] > 0
    assert body["alert"]["state"] in {"ok", "alert"} and body["alert"]["rows"] == 40


def test_the_estimate_covers_the_champions_recent_predictions(client, trained):
    year = generate_students(60, seed=6)
    prediction_create(year[[c for c in INPUTS if c not in ("G1", "G2")]].astype(object).to_dict("records"),
                      source="tests")

    body = client.get("/api/v1/monitoring/estimate/?track=C").json()

    assert body["rows"] == 60 and body["method"] == "predicted-grade bands"
    assert body["low"] < body["estimated_mae"] < body["high"]
    assert "estimate" in body["assumption"]
    empty = client.get("/api/v1/monitoring/estimate/?track=B").json()
    assert (empty["rows"], empty["estimated_mae"]) == (0, None)


def test_both_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {"/api/v1/monitoring/performance/", "/api/v1/monitoring/estimate/"} <= set(paths)
