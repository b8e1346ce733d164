"""The JSON API under /api/v1/, through DRF's test client."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from rest_framework.test import APIClient

from predictions import repository, services
from retraining.training import model_versions_train
from tests.builders import (
    csv_bytes,
    import_labelled,
    labelled_students_csv,
    log_prediction,
    make_student,
    store_snapshot,
)

pytestmark = pytest.mark.django_db

ROUTES = [
    ("post", "/api/v1/predictions/"),
    ("get", "/api/v1/predictions/"),
    ("post", "/api/v1/predictions/batch/"),
    ("post", "/api/v1/labels/"),
    ("post", "/api/v1/batches/"),
    ("get", "/api/v1/models/"),
]


@pytest.fixture
def trained():
    import_labelled(labelled_students_csv(300))
    return {v.track: v for v in model_versions_train(by="tests")}


def student(**overrides):
    return make_student(G3=None, **overrides)


def post_json(api, url, body):
    return api.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("method,url", ROUTES)
def test_every_route_needs_authentication(method, url):
    response = getattr(APIClient(), method)(url, data={}, format="json")

    assert response.status_code in (401, 403)
    assert response.json()["detail"]
    assert store_snapshot() == {}


def test_a_bad_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/api/v1/models/").status_code == 401


def test_single_prediction_returns_the_documented_keys(api, trained):
    response = post_json(api, "/api/v1/predictions/", student())

    assert response.status_code == 201
    body = response.json()
    assert {"id", "predicted_G3", "at_risk", "track", "model_version"} <= set(body)
    expected = services.predict_students([student()])[0]
    # JSON rounds to 2 decimals; the log keeps what the model said.
    assert body["predicted_G3"] == round(expected.predicted_g3, 2)
    assert body["at_risk"] == (expected.predicted_g3 < 10)
    assert (body["track"], body["model_version"]) == ("A", trained["A"].version)
    logged = repository.get_prediction(body["id"])
    assert logged.source == "api" and logged.user == "teacher" and logged.predicted_g3 == expected.predicted_g3


def test_the_request_id_is_kept_in_the_log(api, trained):
    response = api.post("/api/v1/predictions/", data=json.dumps(student()), content_type="application/json",
                        HTTP_X_REQUEST_ID="class-7b:42")

    assert repository.get_prediction(response.json()["id"]).request_id == "class-7b:42"


BAD_STUDENTS = {
    "word for a number": ({"age": "seventeen"}, "age"),
    "true for a number": ({"absences": True}, "absences"),
    "float for an integer": ({"Medu": 2.5}, "Medu"),
    "out of range": ({"age": 23}, "age"),
    "below range": ({"failures": -1}, "failures"),
    "unknown category": ({"Mjob": "pilot"}, "Mjob"),
    "number for a category": ({"sex": 1}, "sex"),
    "G2 without G1": ({"G1": None}, "G2"),
    "missing field": ({"school": None}, "school"),
    "extra field": ({"abscences": 3}, "abscences"),
}


@pytest.mark.parametrize("case", BAD_STUDENTS)
def test_bad_student_is_a_400_naming_the_field_and_nothing_is_logged(api, trained, case):
    overrides, field = BAD_STUDENTS[case]
    body = {k: v for k, v in {**student(), **overrides}.items() if v is not None or k not in overrides}
    body = {k: v for k, v in body.items() if not (k in overrides and overrides[k] is None)}
    before = store_snapshot()

    response = post_json(api, "/api/v1/predictions/", body)

    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    assert all(e["reason"] for e in response.json()["errors"])
    assert store_snapshot() == before


@pytest.mark.parametrize("raw,content_type", [
    ("", "application/json"),
    ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
    ("\"a string\"", "application/json"),
])
def test_unusable_bodies_are_400_with_a_detail(api, trained, raw, content_type):
    before = store_snapshot()

    response = api.post("/api/v1/predictions/", data=raw, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["detail"]
    assert store_snapshot() == before


def test_a_huge_body_is_413(api, trained, settings):
    body = json.dumps({**student(), "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})

    response = api.post("/api/v1/predictions/batch/", data=body, content_type="application/json")

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_no_model_is_503(api):
    response = post_json(api, "/api/v1/predictions/", student())

    assert response.status_code == 503
    assert "no model is available for track A" in response.json()["detail"]


def test_batch_json_keeps_order_and_routes_each_student(api, trained):
    students = [student(), student(G2=None), student(G1=None, G2=None)]

    response = post_json(api, "/api/v1/predictions/batch/", students)

    assert response.status_code == 201
    body = response.json()
    expected = services.predict_students(students)
    assert [b["track"] for b in body] == ["A", "B", "C"]
    assert [b["predicted_G3"] for b in body] == [round(e.predicted_g3, 2) for e in expected]
    assert repository.count_predictions(source="api-batch") == 3


def test_batch_csv_upload_in_uci_and_comma_format(api, trained):
    rows = [student(absences=i) for i in range(5)]
    for data in (csv_bytes(rows), csv_bytes(rows, delimiter=",", quote_strings=False)):
        response = api.post("/api/v1/predictions/batch/", data=data, content_type="text/csv")
        assert response.status_code == 201
        assert len(response.json()) == 5

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("class.csv", csv_bytes(rows), content_type="text/csv")
    response = api.post("/api/v1/predictions/batch/", data={"file": upload}, format="multipart")
    assert response.status_code == 201 and len(response.json()) == 5


def test_batch_errors_name_index_or_row(api, trained):
    students = [student(), student(age=40), student(Mjob="x")]
    before = store_snapshot()

    listed = post_json(api, "/api/v1/predictions/batch/", students)
    csv = api.post("/api/v1/predictions/batch/", data=csv_bytes(students), content_type="text/csv")

    assert listed.status_code == 400
    assert [(e["index"], e["field"]) for e in listed.json()["errors"]] == [(1, "age"), (2, "Mjob")]
    assert csv.status_code == 400
    assert [(e["row"], e["field"]) for e in csv.json()["errors"]] == [(3, "age"), (4, "Mjob")]
    assert store_snapshot() == before


def test_batch_limits(api, trained, settings):
    settings.BATCH_MAX_ROWS = 3
    too_many = [student()] * 4

    assert post_json(api, "/api/v1/predictions/batch/", too_many).status_code == 413
    assert "at most 3 students" in post_json(api, "/api/v1/predictions/batch/", too_many).json()["detail"]
    assert api.post("/api/v1/predictions/batch/", data=csv_bytes(too_many),
                    content_type="text/csv").status_code == 413
    assert post_json(api, "/api/v1/predictions/batch/", []).status_code == 400
    assert post_json(api, "/api/v1/predictions/batch/", student()).status_code == 400
    assert repository.count_predictions() == 0


def test_batch_csv_with_the_wrong_delimiter(api, trained):
    data = csv_bytes([student()], delimiter="\t", quote_strings=False)

    response = api.post("/api/v1/predictions/batch/", data=data, content_type="text/csv")

    assert response.status_code == 400
    assert "tab-separated" in response.json()["detail"]


def test_log_is_paginated_and_filterable(api, trained):
    post_json(api, "/api/v1/predictions/batch/", [student(), student(), student(G2=None)])
    first = post_json(api, "/api/v1/predictions/", student(G1=None, G2=None)).json()
    services.prediction_label([{"prediction_id": first["id"], "G3": 9}], by="t")

    page = api.get("/api/v1/predictions/?limit=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"] and page["previous"] is None
    second = api.get(page["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert {r["id"] for r in page["results"]}.isdisjoint({r["id"] for r in second["results"]})
    assert api.get("/api/v1/predictions/?track=A").json()["count"] == 2
    assert api.get("/api/v1/predictions/?labeled=true").json()["results"][0]["actual_G3"] == 9
    assert api.get("/api/v1/predictions/?labeled=false").json()["count"] == 3
    version = trained["C"].version
    assert api.get(f"/api/v1/predictions/?model_version={version}&track=C").json()["count"] == 1
    assert api.get("/api/v1/predictions/?since=2000-01-01T00:00:00Z").json()["count"] == 4
    assert api.get("/api/v1/predictions/?until=2000-01-01T00:00:00Z").json()["count"] == 0


@pytest.mark.parametrize("query,field", [("track=D", "track"), ("labeled=maybe", "labeled"),
                                         ("since=yesterday", "since"), ("model_version=x", "model_version"),
                                         ("limit=0", "limit")])
def test_bad_log_filters_are_400(api, query, field):
    response = api.get(f"/api/v1/predictions/?{query}")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_a_label_becomes_one_training_row(api, trained):
    prediction = post_json(api, "/api/v1/predictions/", student()).json()
    before = repository.count_records(labeled=True)

    first = post_json(api, "/api/v1/labels/", {"labels": [{"prediction_id": prediction["id"], "G3": 14}]})
    again = post_json(api, "/api/v1/labels/", {"prediction_id": prediction["id"], "G3": 14})

    assert first.status_code == 201 and first.json() == [{"prediction_id": prediction["id"], "G3": 14,
                                                          "created": True}]
    assert again.status_code == 200 and again.json()[0]["created"] is False
    assert repository.count_records(labeled=True) == before + 1
    rows = [r for r in repository.find_recent_records(10_000) if r.prediction_id == prediction["id"]]
    assert len(rows) == 1 and rows[0].g3 == 14 and rows[0].features["absences"] == student()["absences"]
    assert repository.get_prediction(prediction["id"]).actual_g3 == 14


@pytest.mark.parametrize("label,field,reason", [
    ({"prediction_id": "no-such-id", "G3": 12}, "prediction_id", "no logged prediction"),
    ({"G3": 12}, "prediction_id", "is required"),
    ({"prediction_id": "ID", "G3": 21}, "G3", "from 0 to 20"),
    ({"prediction_id": "ID", "G3": "twelve"}, "G3", "whole number"),
    ({"prediction_id": "ID"}, "G3", "is required"),
    ({"prediction_id": "ID", "G3": 12, "note": "x"}, "note", "unknown field"),
])
def test_bad_labels_are_refused_and_nothing_is_stored(api, trained, label, field, reason):
    prediction = post_json(api, "/api/v1/predictions/", student()).json()
    label = {k: (prediction["id"] if v == "ID" else v) for k, v in label.items()}
    before = store_snapshot()

    response = post_json(api, "/api/v1/labels/", {"labels": [label]})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == field and reason in error["reason"] and error["index"] == 0
    assert store_snapshot() == before


def test_a_conflicting_label_is_refused(api, trained):
    prediction = post_json(api, "/api/v1/predictions/", student()).json()
    post_json(api, "/api/v1/labels/", {"prediction_id": prediction["id"], "G3": 14})
    before = store_snapshot()

    response = post_json(api, "/api/v1/labels/", {"prediction_id": prediction["id"], "G3": 8})

    assert response.status_code == 400
    assert "already labelled with G3 = 14" in response.json()["errors"][0]["reason"]
    assert store_snapshot() == before


def test_batches_endpoint_imports_with_the_import_rules(importer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = labelled_students_csv(30)

    def upload(**extra):
        return importer.post("/api/v1/batches/", data={"file": SimpleUploadedFile("term1.csv", data), **extra},
                        format="multipart")

    created = upload(kind="labeled")
    assert created.status_code == 201
    assert created.json()["rows_imported"] == 30 and created.json()["created_by"] == "data-officer"
    assert repository.count_records(labeled=True) == 30
    before = store_snapshot()
    duplicate = upload(kind="labeled")
    assert duplicate.status_code == 409 and "already imported" in duplicate.json()["detail"]
    assert upload(kind="unlabeled").status_code == 400  # G3 present: not unlabelled data
    assert upload(kind="maybe").json()["errors"][0]["field"] == "kind"
    assert store_snapshot() == before


def test_batches_endpoint_reports_bad_rows(importer):
    rows = [make_student(), make_student(age=99)]

    response = importer.post("/api/v1/batches/?kind=labeled", data=csv_bytes(rows), content_type="text/csv")

    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(3, "age")]
    assert store_snapshot() == {}


def test_models_endpoint_marks_champions(api, trained):
    response = api.get("/api/v1/models/")

    assert response.status_code == 200
    body = response.json()
    assert body["champions"] == {"A": 1, "B": 1, "C": 1}
    first = body["results"][0]
    assert {"track", "version", "status", "metrics", "holdout", "window", "created_at"} <= set(first)
    assert set(first["metrics"]) == {"mae", "rmse", "r2"}
    assert {"rows", "champion_mae"} <= set(first["holdout"]) and "rows" in first["window"]
    assert api.get("/api/v1/models/?track=Z").status_code == 400


def test_session_auth_works_for_the_browser(trained):
    get_user_model().objects.create_user("ana", password="pw-for-tests-2026")
    client = APIClient(enforce_csrf_checks=True)
    client.login(request=HttpRequest(), username="ana", password="pw-for-tests-2026")  # django-axes needs a request

    assert client.get("/api/v1/models/").status_code == 200
    # A session-authenticated POST without the CSRF token is refused.
    assert client.post("/api/v1/predictions/", data=student(), format="json").status_code == 403


def test_openapi_schema_documents_every_field(api):
    response = api.get("/api/schema/?format=json")

    assert response.status_code == 200
    student_schema = response.json()["components"]["schemas"]["Student"]["properties"]
    assert student_schema["age"]["minimum"] == 15 and student_schema["age"]["maximum"] == 22
    assert len(student_schema) == 32
    enums = response.json()["components"]["schemas"]
    assert enums["MjobEnum" if "MjobEnum" in enums else "JobEnum"]["enum"] == [
        "teacher", "health", "services", "at_home", "other"]


def test_api_docs_page_is_served_from_our_static_files(api):
    client = APIClient()
    get_user_model().objects.create_user("ana", password="pw-for-tests-2026")
    client.login(request=HttpRequest(), username="ana", password="pw-for-tests-2026")  # django-axes needs a request

    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content and b"cdn." not in response.content



def test_bad_paging_names_each_bad_parameter(api):
    body = api.get("/api/v1/predictions/?limit=0&offset=x").json()
    assert {(e["field"], e["reason"]) for e in body["errors"]} == {
        ("limit", "must be from 1 to 500"), ("offset", "must be a whole number")}
    only_offset = api.get("/api/v1/predictions/?offset=-1").json()["errors"]
    assert [e["field"] for e in only_offset] == ["offset"]


def test_the_logs_count_stops_at_the_count_limit_and_says_so(api, settings):
    settings.LOG_COUNT_LIMIT = 2
    for n in range(4):
        log_prediction(f"p{n}", "teacher", created_at=datetime(2026, 10, 1, 8, n, tzinfo=UTC))

    page = api.get("/api/v1/predictions/?limit=3").json()

    assert (page["count"], page["count_capped"], len(page["results"])) == (2, True, 3)
    assert page["next"] is not None
    assert api.get("/api/v1/predictions/?limit=3&offset=3").json()["results"][0]["id"] == "p0"


def test_a_prediction_carries_its_interval_and_risk_probability(api, trained, settings):
    settings.PREDICTION_INTERVAL_LEVEL = 0.8
    body = post_json(api, "/api/v1/predictions/", student()).json()

    interval = body["interval"]
    assert interval["level"] == 0.8
    assert 0 <= interval["low"] <= body["predicted_G3"] + 0.05 and body["predicted_G3"] - 0.05 <= interval["high"] <= 20
    assert interval["high"] - interval["low"] > 0.5
    assert 0.0 <= body["p_at_risk"] <= 1.0
    logged = repository.get_prediction(body["id"])
    assert (logged.interval_low, logged.interval_high, logged.p_at_risk) == (
        interval["low"], interval["high"], body["p_at_risk"])
    batch = post_json(api, "/api/v1/predictions/batch/", [student(), student(G2=None), student(G1=None, G2=None)])
    assert all(row["interval"]["low"] <= row["interval"]["high"] and row["p_at_risk"] is not None
               for row in batch.json())


def test_the_models_list_names_the_model_and_its_evidence(api, trained):
    results = api.get("/api/v1/models/").json()["results"]

    for row in results:
        assert row["model"] in {c["label"] for c in row["candidates"]}
        assert row["refit"] is True
        assert set(row["metrics_by_group"]) == {"sex", "school", "address"}
