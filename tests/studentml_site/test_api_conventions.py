"""The API does what its docs say: both token keywords, JSON for every answer, UTC times,
errors naming the student."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.builders import log_prediction, make_student, store_snapshot

pytestmark = pytest.mark.django_db


def client_with(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.fixture
def key() -> str:
    user = get_user_model().objects.create_user("teacher", password="pw-for-tests-2026")
    return Token.objects.create(user=user).key


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_token_and_bearer_both_sign_in(key, keyword):
    assert client_with(f"{keyword} {key}").get("/api/v1/predictions/").status_code == 200


def test_a_bad_bearer_token_is_called_invalid_not_missing():
    response = client_with("Bearer not-a-real-token").get("/api/v1/predictions/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_the_schema_documents_both_keywords_and_how_to_get_a_token(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
    assert "make token USER=name" in schema["info"]["description"]
    assert {"bearerAuth": []} in schema["paths"]["/api/v1/predictions/"]["post"]["security"]


@pytest.mark.parametrize("url", ["/api/v1/nothing-here/", "/api/v1/predictions/42/", "/api/v2/"])
def test_unknown_api_routes_answer_json_404(api, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert url in response.json()["detail"] and response.json()["errors"] == []


def test_a_wrong_method_answers_json_405(api):
    response = api.delete("/api/v1/predictions/")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.', "errors": []}


def test_an_unknown_page_is_the_sites_styled_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'href="/static/studentml/app.css"' in html


def test_a_crash_under_api_answers_json_500(settings):
    from django.test import RequestFactory

    from studentml_site.api_errors import server_error

    response = server_error(RequestFactory().get("/api/v1/models/"))

    assert response.status_code == 500 and json.loads(response.content)["detail"].startswith("the server failed")


def test_one_bad_student_is_named_with_its_field_and_value(api):
    response = api.post("/api/v1/predictions/", data=json.dumps(make_student(G3=None, age=40)),
                        content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == ("the student is invalid; nothing was predicted or stored: "
                              "age must be from 15 to 22 (got 40)")
    assert store_snapshot() == {}


def test_a_batch_names_each_bad_student_by_position(api):
    students = [make_student(G3=None), make_student(G3=None), make_student(G3=None, age=40, sex="X")]

    body = api.post("/api/v1/predictions/batch/", data=json.dumps(students), content_type="application/json").json()

    assert body["detail"].startswith(
        "1 of 3 students are invalid; nothing was predicted or stored: student 3 (index 2): ")
    assert {e["message"].split(":")[0] for e in body["errors"]} == {"student 3 (index 2)"}
    assert {e["field"] for e in body["errors"]} == {"age", "sex"} and {e["index"] for e in body["errors"]} == {2}


def test_api_times_stay_utc_while_pages_use_lisbon(api, settings):
    assert settings.TIME_ZONE == "Europe/Lisbon"
    log_prediction("p-1", "teacher")  # logged 2026-10-01 08:00 UTC, 09:00 in Lisbon (summer time)

    row = api.get("/api/v1/predictions/").json()["results"][0]

    assert row["created_at"] == "2026-10-01T08:00:00.000000Z"
