"""A teacher enters a student's actual grade later, in My predictions, in a real browser."""

from __future__ import annotations

import pytest

from predictions import repository
from tests.browser.test_teacher_pages import fill_student, log_in
from tests.builders import make_student

pytestmark = pytest.mark.django_db(transaction=True)


def predict(tab, student) -> str:
    """Predict ``student`` on the home form; the new prediction's id."""
    before = {p.id for p in repository.find_predictions()}
    fill_student(tab, student)
    tab.get_by_role("button", name="Predict final grade").click()
    tab.wait_for_selector("#predicted-g3")
    (new,) = {p.id for p in repository.find_predictions()} - before
    return new


def test_a_teacher_enters_the_actual_grade_later(live_server, page, trained, teacher, screenshot):
    base = live_server.url
    log_in(page, base)
    first = predict(page, make_student(G3=None))

    page.locator("#grade-later").get_by_role("link", name="My predictions").click()
    page.wait_for_url(base + "/predictions/")
    assert page.locator(f"#row-{first}").is_visible()
    assert "Waiting for a grade" in page.locator(".filters").inner_text()
    page.locator(f"#g3-{first}").fill("13")
    page.get_by_role("button", name="Save grades").click()
    page.wait_for_selector(".messages")

    assert "Saved 1 grade; it becomes training data" in page.locator(".messages").inner_text()
    assert page.locator(f"#actual-{first}").inner_text() == "13"
    assert "Graded" in page.locator(f"#row-{first}").inner_text()
    assert page.locator(f"#g3-{first}").count() == 0
    assert repository.get_prediction(first).actual_g3 == 13
    screenshot(page, "06-my-predictions-saved")

    page.goto(base + "/")
    second = predict(page, make_student(G3=None, G1=None, G2=None, failures=2))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My predictions").click()
    page.wait_for_url(base + "/predictions/")
    page.locator(f"#g3-{second}").fill("25")
    page.get_by_role("button", name="Save grades").click()
    page.wait_for_selector("#error-summary")

    # The reason sits in the same cell as the input, which keeps what was typed.
    beside = page.locator(f"#row-{second} td.actual .field-error")
    assert beside.is_visible() and "must be from 0 to 20" in beside.inner_text()
    assert page.locator(f"#g3-{second}").input_value() == "25"
    assert page.locator(f"#g3-{second}").get_attribute("aria-invalid") == "true"
    assert repository.get_prediction(second).actual_g3 is None
    assert repository.count_records(labeled=True) == 300 + 1
    screenshot(page, "07-my-predictions-error")

    # On a phone each prediction becomes a card: nothing to scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator(f"#g3-{second}").is_visible()
    screenshot(page, "08-my-predictions-phone")
