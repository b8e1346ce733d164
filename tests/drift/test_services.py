"""Drift reports from logged predictions: stored, printed, served by the API and the dashboard."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from drift import repository, services
from drift.entities import Verdict
from predictions.generator import generate_students
from predictions.schema import INPUTS
from predictions.services import prediction_create
from retraining.training import model_versions_train
from tests.builders import import_labelled, labelled_students_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def served_shifted():
    """A champion trained on normal students, then 400 early-year predictions for a cohort with more absences."""
    import_labelled(labelled_students_csv(1500, seed=1))
    model_versions_train(by="tests")
    cohort = generate_students(400, seed=9, shift="absences")
    students = cohort[[c for c in INPUTS if c not in ("G1", "G2")]].astype(object).to_dict("records")
    prediction_create(students, source="tests")


def test_a_shifted_cohort_drifts_on_its_shifted_feature_only(served_shifted):
    report = services.drift_report_create("C")

    assert report.verdict is Verdict.DRIFT
    assert report.drifted_features == ["absences"]
    assert report.current_rows == 400 and report.reference_rows == 1500
    assert repository.get_report(report.id) == report


def test_tracks_without_predictions_have_insufficient_data(served_shifted):
    report = services.drift_report_create("A")

    assert report.verdict is Verdict.INSUFFICIENT_DATA and report.current_rows == 0


def test_command_prints_a_line_per_track(served_shifted):
    out = io.StringIO()

    call_command("detect_drift", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("track A: insufficient_data")
    assert lines[2].startswith("track C: drift") and "drifted: absences" in lines[2]
    assert repository.count_reports() == 3


def test_api_serves_reports_in_the_documented_shape(served_shifted):
    services.drift_reports_create()
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("ana"))

    latest = client.get("/api/v1/drift/reports/latest/?track=C").json()
    listing = client.get("/api/v1/drift/reports/").json()

    assert {"id", "created_at", "track", "verdict", "reference", "current", "features"} <= set(latest)
    assert latest["verdict"] == "drift" and latest["reference"]["rows"] == 1500 and latest["current"]["rows"] == 400
    feature = next(f for f in latest["features"] if f["name"] == "absences")
    assert {"name", "test", "statistic", "p_value", "effect_size", "drifted"} <= set(feature)
    assert feature["test"] == "ks" and feature["drifted"] is True
    assert listing["count"] == 3 and len(listing["results"]) == 3
    assert client.get("/api/v1/drift/reports/?track=Q").status_code == 400
    assert APIClient().get("/api/v1/drift/reports/").status_code in (401, 403)


def test_latest_without_reports_is_404():
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("ana"))

    assert client.get("/api/v1/drift/reports/latest/").status_code == 404


def test_dashboard_shows_verdicts_and_chart_data(client, served_shifted):
    services.drift_reports_create()
    client.force_login(get_user_model().objects.create_user("ana"))

    page = client.get("/drift/?track=C")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-verdict="drift"' in html and 'data-chart="effect"' in html
    assert 'data-chart="dist-absences"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "cdn" not in html.lower()


def test_dashboard_needs_login(client):
    assert client.get("/drift/").status_code == 302
