"""The drift dashboard in a real browser: verdicts shown, charts drawn with data, no console errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from drift import services as drift_services
from predictions.generator import generate_students
from predictions.schema import INPUTS
from predictions.services import prediction_create
from retraining.training import model_versions_train
from tests.builders import import_labelled, labelled_students_csv

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-browser-tests-2026"


@pytest.fixture
def drifted():
    import_labelled(labelled_students_csv(1500, seed=1))
    model_versions_train(by="tests")
    cohort = generate_students(400, seed=9, shift="term")
    prediction_create(cohort[[c for c in INPUTS if c not in ("G1", "G2")]].astype(object).to_dict("records"),
                      source="tests")
    drift_services.drift_reports_create()


def test_the_dashboard_flags_the_shifted_features_with_charts(live_server, page, drifted, screenshot):
    get_user_model().objects.create_user("ms.silva", password=PASSWORD)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server.url + "/drift/")
    page.get_by_label("Username").fill("ms.silva")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/drift/")

    assert page.locator("#track-C [data-verdict]").get_attribute("data-verdict") == "drift"
    assert "absences" in page.locator("#track-C").inner_text() and "studytime" in page.locator("#track-C").inner_text()
    drawn: dict[str, Any] = page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('canvas[data-chart]')].map(c => [c.dataset.chart,
            c.chart ? c.chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0]))""")
    assert drawn["effect-C"] == 30  # one bar per track-C input
    assert drawn["dist-C-absences"] > 0 and drawn["dist-C-studytime"] > 0
    assert drawn["history"] > 0
    assert errors == []
    screenshot(page, "10-drift-dashboard")
