"""Every page a teacher or admin opens fits a 390 px phone: no sideways scroll, all the nav, key values in view."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.browser.conftest import PASSWORD
from tests.builders import csv_bytes, make_student

pytestmark = pytest.mark.django_db(transaction=True)

NAV = ["Predict", "Upload class", "My predictions", "Drift", "Admin", "API docs"]


def fits(tab: Any) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390, tab.url


def in_view(tab: Any, locator: Any) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (tab.url, box)


def test_the_pages_fit_a_phone_and_clear_asks_first(live_server, phone, trained, tmp_path, screenshot):
    get_user_model().objects.create_superuser("head", password=PASSWORD)
    base = live_server.url
    phone.goto(base + "/accounts/login/")
    phone.get_by_label("Username").fill("head")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_url(base + "/")

    fits(phone)
    for name in NAV:  # wrapped onto a second line, none hidden off-screen
        in_view(phone, phone.locator("nav[aria-label=Main]").get_by_role("link", name=name, exact=True))
    bar = phone.locator(".sticky-actions").bounding_box()
    assert bar["height"] <= 0.08 * 844  # the sticky Predict bar stays slim
    assert "Privacy:" in phone.locator("#privacy-note").inner_text()

    phone.locator("#id_age").fill("17")
    phone.once("dialog", lambda dialog: dialog.dismiss())
    phone.get_by_role("link", name="Clear the form").click()
    assert phone.locator("#id_age").input_value() == "17"  # dismissed: nothing wiped
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("link", name="Clear the form").click()
    phone.wait_for_function("document.querySelector('#id_age').value === ''")

    names = ["Ana Sousa", "Bruno Costa", "Carla Dias"]
    students = [{"name": n, **make_student(G3=None, absences=3 * i)} for i, n in enumerate(names)]
    path = tmp_path / "class.csv"
    path.write_bytes(csv_bytes(students, columns=["name", *make_student(G3=None)]))
    phone.goto(base + "/upload/")
    phone.set_input_files("#id_file", str(path))
    phone.get_by_role("button", name="Predict the class").click()
    phone.wait_for_selector("#results-table")
    fits(phone)
    first = phone.locator("#results-table tbody tr").first
    in_view(phone, first.locator(".grade-cell"))
    in_view(phone, first.locator(".pill"))
    assert first.bounding_box()["height"] < 60  # compact rows
    screenshot(phone, "h20-phone-upload-result")

    phone.goto(base + "/predictions/")
    fits(phone)
    pill = phone.locator(".grades-table .pill").first
    assert pill.bounding_box()["height"] < 30  # one line, not five
    phone.goto(base + f"/admin/registry/modelversion/A/{trained['A'].version}/")
    fits(phone)
    assert phone.locator("#site-name").inner_text() == "studentml administration"
    screenshot(phone, "h20-phone-admin-version")
    phone.goto(base + "/admin/registry/auditentry/champion-at/?track=A&at=2026-03-01T14:30")
    fits(phone)
    assert phone.locator("#id_at").get_attribute("type") == "text"
    phone.goto(base + "/no-such-page/")
    fits(phone)
    assert phone.get_by_role("heading", name="Page not found").is_visible()
