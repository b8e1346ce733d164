"""What one API request may cost is capped, and each refusal names the setting that caps it."""

from __future__ import annotations

import json

import pytest

from predictions import repository
from tests.builders import make_student


def post(api, url, body):
    return api.post(url, data=json.dumps(body) if not isinstance(body, str) else body,
                    content_type="application/json")


def test_errors_returned_are_capped_and_the_total_is_given(api, settings):
    settings.REQUEST_MAX_ERRORS = 3
    bad = [make_student(G3=None, age=99, absences=-1) for _ in range(4)]

    response = post(api, "/api/v1/predictions/batch/", bad)

    body = response.json()
    assert response.status_code == 400
    assert len(body["errors"]) == 3 and body["error_count"] == 8
    assert "REQUEST_MAX_ERRORS" in body["detail"] and "8 errors" in body["detail"]
    assert repository.count_predictions() == 0


def test_a_student_with_too_many_unknown_fields_gets_one_error_naming_the_limit(api, settings):
    settings.RECORD_MAX_UNKNOWN_FIELDS = 5
    crowded = {**make_student(G3=None), **{f"junk{n}": n for n in range(10_000)}}

    response = post(api, "/api/v1/predictions/batch/", [make_student(G3=None), crowded])

    errors = response.json()["errors"]
    assert response.status_code == 400
    reason = "has 10,000 unknown fields; at most 5 are allowed (RECORD_MAX_UNKNOWN_FIELDS)"
    assert errors == [{"field": None, "reason": reason, "message": f"student 2 (index 1): {reason}", "index": 1}]


def test_a_few_unknown_fields_are_still_named_one_by_one(api, settings):
    settings.RECORD_MAX_UNKNOWN_FIELDS = 5
    response = post(api, "/api/v1/predictions/", {**make_student(G3=None), "nickname": "x"})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["nickname"]


@pytest.mark.parametrize("url", ["/api/v1/predictions/", "/api/v1/predictions/batch/", "/api/v1/labels/"])
def test_deep_json_is_a_400_in_the_api_error_shape(api, url):
    response = post(api, url, "[" * 990 + "]" * 990)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "JSON_MAX_DEPTH" in response.json()["detail"]


def test_json_just_within_the_depth_limit_is_read(api, settings):
    settings.JSON_MAX_DEPTH = 3
    body = {"labels": [{"prediction_id": "nope", "G3": 12}]}  # three levels

    response = post(api, "/api/v1/labels/", body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "prediction_id"  # read, then refused for its content


def test_a_label_request_is_bounded_like_a_batch(api, settings):
    settings.BATCH_MAX_ROWS = 2
    items = [{"prediction_id": f"p{n}", "G3": 10} for n in range(3)]

    response = post(api, "/api/v1/labels/", {"labels": items})

    assert response.status_code == 413
    assert "BATCH_MAX_ROWS" in response.json()["detail"]
