"""The newcomer's tour in a real browser, on the state the first run leaves behind.

A teacher predicts one student and uploads a class; the drift dashboard shows this year's
shifted features, charted; the admin approves the challenger the simulated year left
waiting; an API client with a token is then served by that version. Screenshots of each
page go to var/screenshots/tour-*.png.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from predictions.champions import CHECK_INTERVAL
from predictions.forms import INPUT_FIELDS
from predictions.generator import SHIFTS
from registry import services as registry
from retraining import bootstrap
from tests.browser.test_teacher_pages import fill_student
from tests.builders import csv_bytes, make_student

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-the-tour-2026"


@pytest.fixture
def first_run(settings, tmp_path, monkeypatch):
    """What `make run` sets up on a machine without the UCI files or a network."""
    settings.UCI_DOWNLOAD_URL = (tmp_path / "offline.zip").as_uri()
    monkeypatch.delenv("STUDENTML_UCI_DIR", raising=False)
    say = lambda _message: None  # noqa: E731
    bootstrap.ensure_data(say)
    bootstrap.ensure_models(say)
    bootstrap.ensure_history(say)
    return bootstrap.pending_versions()


def log_in(tab: Any, base: str, path: str, user: str) -> None:
    tab.goto(base + path)
    tab.get_by_label("Username").fill(user)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(base + path)


def test_the_tour(live_server, browser, first_run, screenshot):
    assert first_run == {"A": 2, "B": 2, "C": 2}
    users = get_user_model()
    users.objects.create_user("ms.silva", password=PASSWORD)
    users.objects.create_superuser("head", password=PASSWORD)
    client_token = Token.objects.create(user=users.objects.create_user("gradebook", password=PASSWORD)).key
    base = live_server.url
    problems: list[str] = []

    def watch(tab: Any) -> Any:
        tab.on("pageerror", lambda exc: problems.append(str(exc)))
        tab.on("response", lambda r: problems.append(f"{r.status} {r.url}")
               if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        return tab

    teacher = watch(browser.new_context(viewport={"width": 1366, "height": 900}).new_page())
    log_in(teacher, base, "/", "ms.silva")
    fill_student(teacher, make_student(G3=None, G1=None, G2=None, absences=14))
    teacher.get_by_role("button", name="Predict final grade").click()
    teacher.wait_for_selector("#predicted-g3")
    assert teacher.locator("#track-words").inner_text().startswith("Track C")
    screenshot(teacher, "tour-1-teacher-prediction")

    students = [make_student(G3=None, absences=a) for a in (0, 4, 9)]
    teacher.goto(base + "/upload/")
    teacher.locator("#id_file").set_input_files({
        "name": "class-11a.csv", "mimeType": "text/csv",
        "buffer": csv_bytes(students, columns=[f.name for f in INPUT_FIELDS])})
    teacher.get_by_role("button", name="Predict the class").click()
    teacher.wait_for_selector("#results-table")
    assert teacher.locator("#results-table tbody tr").count() == 3
    screenshot(teacher, "tour-2-teacher-class-upload")

    teacher.goto(base + "/drift/")
    shifted = SHIFTS[bootstrap.HISTORY_SHIFT].features
    for track in "ABC":
        section = teacher.locator(f"#track-{track}")
        assert section.locator("[data-verdict]").get_attribute("data-verdict") == "drift"
        assert all(feature in section.inner_text() for feature in shifted)
    teacher.wait_for_function("() => [...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart)")
    assert teacher.evaluate("() => document.querySelector('canvas[data-chart=\"dist-C-absences\"]')"
                            ".chart.data.datasets.length") >= 2
    screenshot(teacher, "tour-3-drift-dashboard")

    admin = watch(browser.new_context(viewport={"width": 1366, "height": 900}).new_page())
    log_in(admin, base, "/admin/", "head")
    admin.locator("#content-main").get_by_role("link", name="Model versions").click()
    assert admin.locator('tr[data-version="A:2"]').get_attribute("data-status") == "pending_approval"
    screenshot(admin, "tour-4-registry")
    admin.get_by_role("link", name="A:2", exact=True).click()
    admin.wait_for_url(base + "/admin/registry/modelversion/A/2/")
    screenshot(admin, "tour-5-challenger")
    admin.get_by_role("link", name="Approve…").click()
    admin.get_by_label("Reason:").fill("the harder year: the new model follows it")
    admin.get_by_role("button", name="Yes, approve A:2").click()
    admin.wait_for_url(base + "/admin/registry/modelversion/A/2/")
    approved_at = time.monotonic()
    assert admin.locator("h1 .status-badge").get_attribute("data-status") == "champion"
    screenshot(admin, "tour-6-approved")
    assert registry.champion_get("A").version == 2

    def api_prediction() -> dict:
        response = admin.request.post(base + "/api/v1/predictions/", data=make_student(G3=None),
                                      headers={"Authorization": f"Token {client_token}"})
        assert response.status == 201, response.text()
        return response.json()

    served = api_prediction()
    while served["model_version"] != 2 and time.monotonic() - approved_at < CHECK_INTERVAL * 3:
        time.sleep(0.05)
        served = api_prediction()
    assert (served["track"], served["model_version"]) == ("A", 2)
    assert problems == []
