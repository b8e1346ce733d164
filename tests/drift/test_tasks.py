"""The drift task: one stored report per track, through Celery (in-process without a broker)."""

from __future__ import annotations

import json

import pytest

from drift import repository
from drift.tasks import drift_detect
from studentml_site.celery import STORE_ERRORS, app
from tests.stale_champions import seed_stale_champions

pytestmark = pytest.mark.django_db


def test_drift_detect_stores_a_report_per_track_and_summarizes_them():
    seed_stale_champions(fresh_rows=60)

    summary = drift_detect.delay().get()

    assert json.loads(json.dumps(summary)) == summary
    assert [item["track"] for item in summary["reports"]] == ["A", "B", "C"]
    stored = {r.id: r for r in repository.find_reports()}
    for item in summary["reports"]:
        report = stored[item["id"]]
        assert item["verdict"] == report.verdict.value == "insufficient_data"  # nothing served yet
        assert report.trigger == "schedule"


def test_drift_detect_is_registered_by_name_and_retried_on_store_outages():
    task = app.tasks["drift.drift_detect"]

    assert task.name == drift_detect.name == "drift.drift_detect"
    assert task.acks_late and task.autoretry_for == STORE_ERRORS
