"""My predictions (/predictions/): a teacher's own log, and the actual grades entered later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from predictions import repository, services
from predictions.entities import PredictionLog
from predictions.grading import NOT_YOURS
from predictions.logwriter import writer
from tests.builders import log_prediction, make_student, store_snapshot
from tests.conftest import grant
from tests.predictions.test_views import PASSWORD, element, parse, text, user_client

pytestmark = pytest.mark.django_db

URL = "/predictions/"
START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def logged(prediction_id: str, user: str, *, minutes: int = 0, **options: Any) -> PredictionLog:
    """A logged prediction as the form makes them; later ``minutes`` are newer."""
    return log_prediction(prediction_id, user, created_at=START + timedelta(minutes=minutes), model_version=3,
                          source="form", **options)


def row_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [a["id"].removeprefix("row-") for t, a in parse(response).tags
            if t == "tr" and (a.get("id") or "").startswith("row-")]


def input_value(response: Any, prediction_id: str) -> str | None:
    return element(parse(response), "input", name=f"g3-{prediction_id}").get("value")


def error_beside(response: Any, prediction_id: str) -> str:
    return text(parse(response), f"g3-{prediction_id}-error")


@pytest.fixture
def ana() -> Client:
    return user_client("ana")


@pytest.fixture
def three(ana):
    """Ana's three predictions (ana2 the newest) and one of Ben's."""
    logged("ana0", "ana", minutes=0)
    logged("ana1", "ana", minutes=1, predicted=8.04, G1=7, G2=None)
    logged("ana2", "ana", minutes=2, G1=None, G2=None, school="MS", sex="M", age=16)
    logged("ben0", "ben", minutes=3)


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["get", "post"])
def test_the_page_needs_a_login(client, method):
    response = getattr(client, method)(URL)

    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={URL}"


def test_the_top_bar_links_the_page_and_marks_it_current(ana, three):
    html = ana.get(URL).content.decode()
    top_bar = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]

    assert '<a href="/predictions/" aria-current="page">My predictions</a>' in top_bar
    assert top_bar.count("aria-current") == 1
    assert '<a href="/predictions/">My predictions</a>' in ana.get("/").content.decode()


def test_a_teacher_sees_only_their_own_predictions_newest_first(ana, three):
    response = ana.get(URL)

    assert row_ids(response) == ["ana2", "ana1", "ana0"]
    assert "ben0" not in response.content.decode()
    assert row_ids(user_client("ben").get(URL)) == ["ben0"]


def test_the_view_all_permission_still_lists_only_the_users_own_rows(three):
    office = get_user_model().objects.create_user("office", password=PASSWORD)
    grant(office, "predictions.view_all_predictions")
    logged("off0", "office")
    client = Client()
    client.force_login(office)

    assert row_ids(client.get(URL)) == ["off0"]


def test_each_row_says_who_when_how_and_what(ana, three):
    html = ana.get(URL).content.decode()
    rows = {i: html.split(f'id="row-{i}"')[1].split("</tr>")[0] for i in ("ana0", "ana1", "ana2")}

    assert "Gabriel Pereira · Female · age 17 · G1 12 · G2 13" in rows["ana0"]
    assert "Mousinho da Silveira · Male · age 16" in rows["ana2"] and "G1" not in rows["ana2"]
    assert "1 Oct 2026, 09:02 WEST" in rows["ana2"]  # Europe/Lisbon, summer time
    assert "using both period grades" in rows["ana0"]
    assert "using the first period grade" in rows["ana1"]
    assert "early-year estimate: no period grades yet" in rows["ana2"]
    assert "11.5" in rows["ana0"] and "8.0" in rows["ana1"]
    assert "On track" in rows["ana0"] and "pill-ok" in rows["ana0"]
    assert "At risk: predicted below the pass mark of 10" in rows["ana1"] and "pill-risk" in rows["ana1"]
    assert '<td data-label="Model version" class="num">3</td>' in rows["ana0"]
    assert 'name="g3-ana0"' in rows["ana0"] and 'type="number"' in rows["ana0"]


def test_a_teacher_without_predictions_is_told_where_they_come_from(ana):
    page = parse(ana.get(URL))

    assert "not made any prediction yet" in text(page, "empty")
    assert not [a for t, a in page.tags if t == "form" and a.get("id") == "grades-form"]


def test_predictions_still_in_the_log_buffer_are_listed(ana, settings):
    settings.PREDICTION_LOG_MODE = "buffered"  # production's default: a background thread writes the log
    features = {k: v for k, v in make_student().items() if k != "G3"}
    writer.write([PredictionLog(id="fresh0", created_at=START, source="form", request_id="r", user="ana", track="A",
                                model_version=1, predicted_g3=12.0, at_risk=False, features=features)])

    assert row_ids(ana.get(URL)) == ["fresh0"]


# --- pages and filter ----------------------------------------------------------------------

def test_fifty_rows_a_page_with_links_to_the_others(ana):
    for n in range(120):
        logged(f"p{n:03d}", "ana", minutes=n)

    first, third = ana.get(URL), ana.get(URL + "?page=3")

    assert row_ids(first) == [f"p{n:03d}" for n in range(119, 69, -1)]
    assert row_ids(third) == [f"p{n:03d}" for n in range(19, -1, -1)]
    links = {a.get("href") for t, a in parse(first).tags if t == "a"}
    assert {"?page=2", "?page=3"} <= links
    assert "120 predictions · showing 1–50" in text(parse(first), "count")
    # A page number past the end, or not a number, gives the nearest real page.
    assert row_ids(ana.get(URL + "?page=99")) == row_ids(third)
    assert row_ids(ana.get(URL + "?page=x")) == row_ids(first)


def test_the_filter_shows_waiting_or_graded_predictions_and_keeps_itself_in_page_links(ana, three):
    services.prediction_label([{"prediction_id": "ana1", "G3": 9}], by="ana", owner="ana")

    assert row_ids(ana.get(URL + "?show=waiting")) == ["ana2", "ana0"]
    assert row_ids(ana.get(URL + "?show=graded")) == ["ana1"]
    assert row_ids(ana.get(URL + "?show=nonsense")) == ["ana2", "ana1", "ana0"]
    page = parse(ana.get(URL + "?show=graded"))
    assert element(page, "a", id="show-graded").get("aria-current") == "page"
    assert text(page, "actual-ana1") == "9"
    for n in range(60):
        logged(f"w{n:02d}", "ana", minutes=10 + n)
    assert "?show=waiting&page=2" in {a.get("href") for t, a in parse(ana.get(URL + "?show=waiting")).tags if t == "a"}


# --- saving grades -------------------------------------------------------------------------

def test_saving_grades_stores_them_and_says_so(ana, three):
    labels_before = repository.count_records(labeled=True)

    response = ana.post(URL + "?show=waiting", {"g3-ana0": "14", "g3-ana1": " 9 ", "g3-ana2": "0"})

    assert response.status_code == 302 and response["Location"] == URL + "?show=waiting"
    assert [repository.get_prediction(i).actual_g3 for i in ("ana0", "ana1", "ana2")] == [14, 9, 0]
    assert repository.get_prediction("ana0").labeled_by == "ana"
    assert repository.count_records(labeled=True) == labels_before + 3
    page = ana.get(response["Location"])
    assert "Saved 3 grades; they become training data for the next retraining." in page.content.decode()
    assert row_ids(page) == []  # nothing is waiting any more
    graded = parse(ana.get(URL))
    assert [text(graded, f"actual-{i}") for i in ("ana2", "ana1", "ana0")] == ["0", "9", "14"]


def test_empty_inputs_are_ignored(ana, three):
    response = ana.post(URL, {"g3-ana0": "", "g3-ana1": "11", "g3-ana2": "  "}, follow=True)

    assert "Saved 1 grade; it becomes training data for the next retraining." in response.content.decode()
    assert [repository.get_prediction(i).actual_g3 for i in ("ana0", "ana1", "ana2")] == [None, 11, None]
    assert repository.count_records(labeled=True) == 1


def test_a_form_with_no_grade_saves_nothing(ana, three):
    before = store_snapshot()

    response = ana.post(URL, {"g3-ana0": "", "g3-ana1": ""}, follow=True)

    assert "No grade was entered, so nothing was saved." in response.content.decode()
    assert store_snapshot() == before


@pytest.mark.parametrize(("typed", "message"), [
    ("abc", "The grade must be a whole number from 0 to 20 (you entered “abc”)."),
    ("12.5", "The grade must be a whole number from 0 to 20 (you entered “12.5”)."),
    ("25", "The grade must be from 0 to 20 (you entered “25”)."),
    ("-1", "The grade must be from 0 to 20 (you entered “-1”)."),
])
def test_a_bad_grade_is_explained_beside_its_field_and_nothing_is_stored(ana, three, typed, message):
    before = store_snapshot()

    response = ana.post(URL, {"g3-ana0": "14", "g3-ana1": typed, "g3-ana2": ""})

    assert response.status_code == 200
    assert error_beside(response, "ana1") == f"Error: {message}"
    assert element(parse(response), "input", name="g3-ana1").get("aria-invalid") == "true"
    assert error_beside(response, "ana0") == "" and error_beside(response, "ana2") == ""
    # What was typed is kept, the good grade too, ready to correct and save again.
    assert input_value(response, "ana1") == typed and input_value(response, "ana0") == "14"
    assert "1 grade needs attention; nothing was saved" in text(parse(response), "error-summary")
    assert store_snapshot() == before


def test_several_bad_grades_are_each_shown_beside_their_own_row(ana, three):
    before = store_snapshot()

    response = ana.post(URL, {"g3-ana0": "21", "g3-ana1": "7", "g3-ana2": "x"})

    assert "must be from 0 to 20" in error_beside(response, "ana0")
    assert error_beside(response, "ana1") == ""
    assert "whole number" in error_beside(response, "ana2")
    assert "2 grades need attention" in text(parse(response), "error-summary")
    assert store_snapshot() == before


@pytest.mark.parametrize("tampered", ["ben0", "nobody0"])
def test_another_teachers_id_is_refused_like_an_unknown_one(ana, three, tampered):
    before = store_snapshot()

    # A hand-edited form: an input renamed to another teacher's (or a made-up) prediction id.
    response = ana.post(URL, {"g3-ana0": "14", f"g3-{tampered}": "12"})

    assert response.status_code == 200
    assert text(parse(response), "error-summary").endswith(f"Prediction {tampered}: {NOT_YOURS}")
    assert input_value(response, "ana0") == "14"
    assert store_snapshot() == before
    assert repository.get_prediction("ben0").actual_g3 is None


def test_a_different_grade_for_an_already_graded_prediction_is_refused(ana, three):
    # Graded meanwhile in another tab (or through the API); this page still had its input.
    services.prediction_label([{"prediction_id": "ana1", "G3": 12}], by="ana", owner="ana")
    before = store_snapshot()

    response = ana.post(URL, {"g3-ana0": "14", "g3-ana1": "15"})

    assert error_beside(response, "ana1") == (
        "Error: Prediction ana1 is already labelled with G3 = 12; a label cannot be changed.")
    assert text(parse(response), "actual-ana1") == "12"
    assert store_snapshot() == before


def test_the_same_grade_again_is_harmless(ana, three):
    ana.post(URL, {"g3-ana1": "12"})
    labels = repository.count_records(labeled=True)

    response = ana.post(URL, {"g3-ana1": "12", "g3-ana0": "10"}, follow=True)

    assert "Saved 1 grade; it becomes training data for the next retraining. 1 was already recorded" in (
        response.content.decode())
    assert repository.count_records(labeled=True) == labels + 1


def test_saving_needs_the_csrf_token():
    user = get_user_model().objects.create_user("ana-csrf", password=PASSWORD)
    logged("csrf0", "ana-csrf")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = store_snapshot()

    response = client.post(URL, {"g3-csrf0": "12"})

    assert response.status_code == 403
    assert store_snapshot() == before
    assert b'name="csrfmiddlewaretoken"' in client.get(URL).content


# --- the home page points here ---------------------------------------------------------------

def test_the_result_on_the_home_page_links_to_my_predictions(ana, three):
    response = ana.get("/?prediction=ana0")

    assert response.status_code == 200
    assert "enter it in My predictions" in text(parse(response), "grade-later")
    later = response.content.decode().split('id="grade-later"')[1].split("</p>")[0]
    assert 'href="/predictions/"' in later


def test_a_list_longer_than_the_count_limit_says_more_than_and_still_pages(ana, three, settings):
    settings.LOG_COUNT_LIMIT = 2
    for n in range(3, 6):
        logged(f"ana{n}", "ana", minutes=10 + n)

    response = ana.get(URL)

    assert "More than 2 predictions" in " ".join(text(parse(response), "count").split())
    assert row_ids(response)[:2] == ["ana5", "ana4"]
