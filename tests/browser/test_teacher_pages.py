"""A teacher's path through the pages in a real browser: log in, predict, fix a mistake, upload a class."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from predictions import repository, services
from predictions.forms import INPUT_FIELDS
from predictions.schema import Kind
from tests.browser.conftest import PASSWORD
from tests.builders import csv_bytes, make_student

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(tab: Any, base: str, path: str = "/", shot: Any = None) -> None:
    tab.goto(base + path)
    assert "/accounts/login/" in tab.url
    if shot:
        shot(tab, "00-login", full_page=False)
    tab.get_by_label("Username").fill("ms.silva")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(base + path)


def fill_student(tab: Any, student: dict[str, Any]) -> None:
    """Answer every question the way a teacher does: pick from lists, type numbers."""
    for f in INPUT_FIELDS:
        value = student.get(f.name)
        control = tab.locator(f"#id_{f.name}")
        if f.kind is Kind.CATEGORICAL or f.scale:
            control.select_option("" if value is None else str(value))
        else:
            control.fill("" if value is None else str(value))


def test_a_teacher_predicts_a_student_and_corrects_a_mistake(live_server, page, trained, teacher, screenshot):
    base = live_server.url
    log_in(page, base, shot=screenshot)
    assert page.get_by_role("heading", name="Predict a student's final grade").is_visible()
    screenshot(page, "01-form-empty")

    student = make_student(G3=None, G1=9, G2=8, failures=1, absences=12)
    fill_student(page, student)
    page.get_by_role("button", name="Predict final grade").click()
    page.wait_for_selector("#predicted-g3")

    expected = services.predict_students([student])[0]
    assert page.locator("#predicted-g3").inner_text() == f"{expected.predicted_g3:.1f}"
    assert page.locator("#risk-flag").inner_text() == (
        "At risk: predicted below the pass mark of 10" if expected.at_risk else "On track")
    assert page.locator("#track-words").inner_text() == "Track A: using both period grades"
    assert page.locator("#model-version").inner_text() == str(trained["A"].version)
    assert page.locator("#contributions li").count() >= 1
    logged = repository.find_predictions()
    assert [(p.source, p.user) for p in logged] == [("form", "ms.silva")]
    assert page.locator("#prediction-id").inner_text() == logged[0].id
    screenshot(page, "02-prediction")

    page.reload()  # POST-redirect-GET: a reload shows the same result and logs nothing more
    assert page.locator("#predicted-g3").inner_text() == f"{expected.predicted_g3:.1f}"
    assert repository.count_predictions() == 1

    page.locator("#id_age").fill("30")
    page.locator("#id_G1").fill("")
    page.get_by_role("button", name="Predict final grade").click()
    page.wait_for_selector("#error-summary")
    assert page.locator("#id_age_error").inner_text().endswith("Age must be from 15 to 22")
    assert "Second period grade was given without G1" in page.locator("#id_G2_error").inner_text()
    assert page.locator("#id_age").input_value() == "30"
    assert page.locator("#id_Mjob").input_value() == "services"
    assert page.locator("#id_age").get_attribute("aria-invalid") == "true"
    # The message sits right beside its field: inside the same field box, just above the input.
    box = page.locator(".field.has-error", has=page.locator("#id_age"))
    assert box.locator(".field-error").is_visible()
    screenshot(page, "03-form-errors")
    page.locator("#error-summary a", has_text="Age").click()  # the summary links to the field
    assert page.url.endswith("#id_age") and page.locator("#id_age").is_visible()
    screenshot(page, "03b-form-error-link", full_page=False)
    assert repository.count_predictions() == 1


def test_a_teacher_uploads_a_class_and_downloads_the_results(live_server, page, trained, teacher, screenshot):
    names = ["Ana Costa", "Bruno Reis", "=cmd|' /C calc'!A0", "Dinis Lopes", "Eva Matos", "Filipa Sá"]
    students = [make_student(G3=None), make_student(G3=None, G2=None, G1=8, failures=2),
                make_student(G3=None, G1=None, G2=None), make_student(G3=None, age=31),
                make_student(G3=None, G1=5, G2=4, absences=30, higher="no"),
                make_student(G3=None, Mjob="astronaut")]
    rows = [{"name": n, **s} for n, s in zip(names, students, strict=True)]
    data = csv_bytes(rows, columns=["name", *(f.name for f in INPUT_FIELDS)])

    log_in(page, live_server.url, "/upload/")
    screenshot(page, "04-upload-empty")
    page.locator("#id_file").set_input_files({"name": "class-10b.csv", "mimeType": "text/csv", "buffer": data})
    page.get_by_role("button", name="Predict the class").click()
    page.wait_for_selector("#results-table")

    assert page.locator("#results-table tbody tr").count() == 4
    assert page.locator("#predicted-count").inner_text() == "4"
    assert page.locator("#rejected-count").inner_text() == "2"
    assert "2 of 6 rows could not be predicted" in page.locator("#rejected-summary").inner_text()
    assert page.locator("#results-table").get_by_text("Ana Costa").is_visible()
    rejected = page.locator("#rejected-table").inner_text()
    assert "Dinis Lopes" in rejected and "must be from 15 to 22" in rejected
    assert "Filipa Sá" in rejected and "must be one of teacher" in rejected
    assert {p.source for p in repository.find_predictions()} == {"csv-page"}
    assert repository.count_predictions() == 4
    screenshot(page, "05-upload-results")

    with page.expect_download() as download:
        page.locator("#download").click()
    body = open(download.value.path(), encoding="utf-8-sig").read()
    table = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert [r[1] for r in table[1:]] == ["Ana Costa", "Bruno Reis", "'=cmd|' /C calc'!A0", "Dinis Lopes",
                                         "Eva Matos", "Filipa Sá"]

    page.locator("#id_file").set_input_files({"name": "photo.csv", "mimeType": "text/csv",
                                              "buffer": bytes(range(256)) * 4})
    page.get_by_role("button", name="Predict the class").click()
    page.wait_for_selector("#id_file_error")
    assert "not a text CSV" in page.locator("#id_file_error").inner_text()
    assert repository.count_predictions() == 4
    screenshot(page, "06-upload-bad-file")


def test_the_pages_fit_a_phone(live_server, phone, trained, teacher, screenshot):
    log_in(phone, live_server.url)
    fill_student(phone, make_student(G3=None, G1=None, G2=None))
    phone.get_by_role("button", name="Predict final grade").click()
    phone.wait_for_selector("#predicted-g3")

    # No sideways scrolling, and the result comes before the form on a narrow screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    result_top = phone.locator("#result").bounding_box()["y"]
    form_top = phone.locator("form.student-form").bounding_box()["y"]
    assert result_top < form_top
    assert phone.locator("#track-words").inner_text() == "Track C: early-year estimate: no period grades yet"
    screenshot(phone, "07-phone-prediction", full_page=False)
    phone.locator("#id_school").scroll_into_view_if_needed()
    screenshot(phone, "08-phone-form", full_page=False)

    phone.get_by_role("link", name="Upload class").click()
    phone.wait_for_selector("#id_file")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "09-phone-upload", full_page=False)
