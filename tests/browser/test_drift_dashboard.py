"""The monitoring dashboard in a real browser, laptop and phone: summary in the schema's words,
live accuracy on top, every chart labelled and drawn, no horizontal scroll, no console errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from drift import services as drift_services
from predictions import repository
from predictions.generator import generate_students
from predictions.schema import INPUTS
from predictions.services import prediction_create
from retraining.training import model_versions_train
from tests.browser.conftest import PASSWORD
from tests.builders import import_labelled, labelled_students_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def drifted():
    import_labelled(labelled_students_csv(600, seed=1))
    model_versions_train(by="tests")
    cohort = generate_students(400, seed=9, shift="harder-year")
    logged = prediction_create(cohort[[c for c in INPUTS if c not in ("G1", "G2")]].astype(object).to_dict("records"),
                               source="tests")
    for p, g3 in list(zip(logged, cohort["G3"], strict=True))[:150]:  # some final grades are in
        repository.set_prediction_label(p.id, int(g3), at=datetime.now(UTC), by="tests")
    drift_services.drift_reports_create()
    drift_services.drift_reports_create()  # a second check: the history chart has two points


def _log_in(tab: Any, url: str) -> list[str]:
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(url)
    tab.get_by_label("Username").fill("ms.silva")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(url)
    return errors


CHARTS = """() => Object.fromEntries([...document.querySelectorAll('canvas[data-chart]')].map(c => [c.dataset.chart, {
    points: c.chart ? c.chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0,
    title: c.chart ? c.chart.options.plugins.title.text : '', label: c.getAttribute('aria-label') || ''}]))"""


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_dashboard_reads_for_people(live_server, page, phone, drifted, screenshot, size):
    get_user_model().objects.create_user("ms.silva", password=PASSWORD)
    tab = page if size == "laptop" else phone
    errors = _log_in(tab, live_server.url + "/drift/?track=C")

    assert tab.locator("[data-verdict]").get_attribute("data-verdict") == "drift"
    named = tab.locator("[data-summary]").inner_text()
    assert "School absences" in named and "Weekly study time" in named  # the schema's labels, not column names
    assert "absences" not in named.replace("School absences", "")
    assert tab.locator("#accuracy [data-alert]").get_attribute("data-alert") in {"ok", "alert"}
    assert "150 graded predictions" in tab.locator("#accuracy").inner_text()
    assert tab.locator("#accuracy").bounding_box()["y"] < tab.locator("#distributions").bounding_box()["y"]
    tab.locator("#statistics summary").click()
    drawn: dict[str, Any] = tab.evaluate(CHARTS)
    assert {"accuracy", "dist-absences", "dist-studytime", "effect", "history"} <= set(drawn)
    for name, chart in drawn.items():
        assert chart["points"] > 0 and chart["title"] and chart["label"], name
    assert len(tab.evaluate("() => document.querySelector('canvas[data-chart=\"dist-absences\"]').chart"
                            ".data.labels")) <= 13  # 94 absence values drawn as a dozen bins
    assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert errors == []
    screenshot(tab, f"10-drift-dashboard-{size}")
