"""The registry in a real browser: an admin approves a pending version in Django admin, sees it marked
champion, and the next API prediction (over HTTP, with a token) is made by that version."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from predictions.champions import CHECK_INTERVAL
from tests.builders import make_student
from tests.registry.conftest import add_version
from tests.registry.test_admin_serving import constant_model

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-browser-tests-2026"


@pytest.fixture
def pending():
    add_version("A", status="champion", mae=2.2, pipeline=constant_model(11.0))
    return add_version("A", status="pending_approval", mae=1.9, champion_mae=2.2, champion_version=1,
                       ci=(0.1, 0.5), pipeline=constant_model(15.0))


def predict_over_http(page: Any, base: str, token: str) -> dict:
    response = page.request.post(base + "/api/v1/predictions/", data=make_student(G3=None),
                                 headers={"Authorization": f"Token {token}"})
    assert response.status == 201, response.text()
    return response.json()


def test_an_admin_approves_a_pending_version_and_serving_follows(live_server, page, pending, screenshot):
    get_user_model().objects.create_superuser("admin", password=PASSWORD)
    teacher = get_user_model().objects.create_user("ms.silva", password=PASSWORD)
    token = Token.objects.create(user=teacher).key
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []  # Django's admin pages link no favicon, so the browser's /favicon.ico is a 404
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None)
    assert predict_over_http(page, base, token)["model_version"] == 1

    page.goto(base + "/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")
    assert page.locator("#content-main").get_by_text("Model registry").is_visible()
    page.locator("#content-main").get_by_role("link", name="Model versions").click()

    page.wait_for_url(base + "/admin/registry/modelversion/")
    assert page.locator('tr[data-version="A:2"]').get_attribute("data-status") == "pending_approval"
    assert page.locator("#result_list tbody tr").first.get_attribute("data-version") == "A:2"  # pending first
    screenshot(page, "20-registry-list-pending")
    page.get_by_role("link", name="A:2", exact=True).click()

    page.wait_for_url(base + "/admin/registry/modelversion/A/2/")
    assert "excludes zero" in page.locator("#gain").inner_text()
    page.wait_for_function("() => document.querySelector('canvas[data-chart=mae]').chart !== undefined")
    points = page.evaluate("() => document.querySelector('canvas[data-chart=mae]').chart.data.datasets[0].data")
    assert points == [2.2, 1.9]
    screenshot(page, "21-registry-version-detail")
    page.get_by_role("link", name="Approve…").click()

    page.wait_for_url(base + "/admin/registry/modelversion/A/2/approve/")
    page.get_by_label("Reason:").fill("beats v1 and the interval excludes zero")
    screenshot(page, "22-registry-approve-confirm")
    page.get_by_role("button", name="Yes, approve A:2").click()

    page.wait_for_url(base + "/admin/registry/modelversion/A/2/")
    approved_at = time.monotonic()
    assert "it is now the champion of track A" in page.locator(".messagelist .success").inner_text()
    assert page.locator("h1 .status-badge").get_attribute("data-status") == "champion"
    screenshot(page, "23-registry-approved")
    page.goto(base + "/admin/registry/modelversion/?track=A")
    assert page.locator('tr[data-version="A:2"]').get_attribute("data-status") == "champion"
    assert page.locator('tr[data-version="A:1"]').get_attribute("data-status") == "archived"
    assert page.locator("tr.status-champion").count() == 1
    screenshot(page, "24-registry-list-champion")

    served = predict_over_http(page, base, token)
    while served["model_version"] != 2 and time.monotonic() - approved_at < CHECK_INTERVAL * 3:
        time.sleep(0.05)
        served = predict_over_http(page, base, token)
    assert (served["model_version"], served["predicted_G3"]) == (2, 15.0)

    page.goto(base + "/admin/registry/auditentry/?track=A")
    assert "beats v1 and the interval excludes zero" in page.locator("#result_list").inner_text()
    screenshot(page, "25-registry-audit-log")
    assert failed == []
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
