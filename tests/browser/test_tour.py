"""The newcomer's tour in a real browser, on the state the first run leaves behind.

Offline, `make run` falls back to generated students: every page says "Demo data". A
teacher predicts one student and uploads a class; the drift dashboard has no report yet
(nothing simulated: the first check needs real predictions); the registry holds one
champion per track and nothing waiting; an API client with a token is served by it.
Screenshots of each page go to var/screenshots/tour-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from predictions.forms import INPUT_FIELDS
from retraining import bootstrap
from studentml_site import demo
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
    demo.demo_in_window.clear()
    bootstrap.ensure_data(say)
    bootstrap.ensure_models(say)
    yield bootstrap.pending_versions()
    demo.demo_in_window.clear()


def log_in(tab: Any, base: str, path: str, user: str) -> None:
    tab.goto(base + path)
    tab.get_by_label("Username").fill(user)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(base + path)


def test_the_tour(live_server, browser, first_run, screenshot):
    assert first_run == {}  # nothing waits for approval: no simulated year in the real store
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
    assert teacher.locator("#demo-banner").inner_text().startswith("Demo data: the models were trained on generated")
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
    assert teacher.locator("#demo-banner").is_visible()
    screenshot(teacher, "tour-2-teacher-class-upload")

    teacher.goto(base + "/drift/")
    assert teacher.locator("#demo-banner").is_visible()
    assert teacher.locator("[data-verdict]").count() == 0  # no report that nobody asked for
    screenshot(teacher, "tour-3-drift-dashboard")

    admin = watch(browser.new_context(viewport={"width": 1366, "height": 900}).new_page())
    log_in(admin, base, "/admin/", "head")
    assert admin.locator("#demo-banner").is_visible()
    admin.locator("#content-main").get_by_role("link", name="Model versions").click()
    assert admin.locator('tr[data-version="A:1"]').get_attribute("data-status") == "champion"
    assert admin.locator('tr[data-status="pending_approval"]').count() == 0
    screenshot(admin, "tour-4-registry")

    response = admin.request.post(base + "/api/v1/predictions/", data=make_student(G3=None),
                                  headers={"Authorization": f"Token {client_token}"})
    assert response.status == 201, response.text()
    assert (response.json()["track"], response.json()["model_version"]) == ("A", 1)
    assert problems == []
