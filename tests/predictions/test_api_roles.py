"""Who may see and change what through the API.

A teacher reads and labels their own predictions only (as on the teacher pages); reading
and labelling everyone's takes ``predictions.view_all_predictions``; importing training
data takes ``predictions.import_training_data``. Another user's prediction id is answered
like an unknown one, so ids reveal nothing.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from predictions import repository
from tests.builders import labelled_students_csv, log_prediction, store_snapshot
from tests.conftest import grant

pytestmark = pytest.mark.django_db


def client_for(username: str, *permissions: str, **flags: bool) -> APIClient:
    user = get_user_model().objects.create_user(username, **flags)
    grant(user, *permissions)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def two_teachers_logs():
    log_prediction("p-ana-1", "ana")
    log_prediction("p-ana-2", "ana")
    log_prediction("p-ben-1", "ben")


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def test_a_teacher_reads_only_their_own_predictions(two_teachers_logs):
    ana, ben = client_for("ana"), client_for("ben")

    assert ids(ana.get("/api/v1/predictions/")) == ["p-ana-1", "p-ana-2"]
    assert ids(ben.get("/api/v1/predictions/")) == ["p-ben-1"]
    assert ben.get("/api/v1/predictions/").json()["count"] == 1
    # Filters narrow within the user's own predictions; they never widen them.
    assert ids(ben.get("/api/v1/predictions/?track=A&model_version=1")) == ["p-ben-1"]


def test_staff_status_alone_does_not_open_the_whole_log(two_teachers_logs):
    assert ids(client_for("it-desk", is_staff=True).get("/api/v1/predictions/")) == []


@pytest.mark.parametrize("who", ["permission", "superuser"])
def test_the_view_all_permission_reads_every_users_predictions(two_teachers_logs, who):
    client = (client_for("analyst", "predictions.view_all_predictions") if who == "permission"
              else client_for("root", is_superuser=True))

    assert ids(client.get("/api/v1/predictions/")) == ["p-ana-1", "p-ana-2", "p-ben-1"]


def label(client: APIClient, prediction_id: str, g3: int):
    return client.post("/api/v1/labels/", data=json.dumps({"labels": [{"prediction_id": prediction_id, "G3": g3}]}),
                       content_type="application/json")


def test_a_teacher_cannot_label_another_teachers_prediction(two_teachers_logs):
    before = store_snapshot()

    response = label(client_for("ben"), "p-ana-1", 12)

    assert response.status_code == 400
    # The same answer as for an id nobody logged: nothing says the prediction exists.
    assert response.json()["errors"] == [{"field": "prediction_id", "reason": "no logged prediction has this id",
                                          "value": "p-ana-1", "index": 0}]
    assert response.json()["errors"][0]["reason"] == label(client_for("cat"), "p-nobody", 12).json()["errors"][0][
        "reason"]
    assert store_snapshot() == before


def test_a_teacher_labels_their_own_and_the_permission_labels_anyones(two_teachers_logs):
    assert label(client_for("ana"), "p-ana-1", 12).status_code == 201
    assert label(client_for("office", "predictions.view_all_predictions"), "p-ben-1", 9).status_code == 201

    assert repository.get_prediction("p-ana-1").actual_g3 == 12
    assert repository.get_prediction("p-ben-1").actual_g3 == 9
    assert repository.count_records(labeled=True) == 2


def test_importing_training_data_needs_its_permission():
    upload = {"file": SimpleUploadedFile("term1.csv", labelled_students_csv(20)), "kind": "labeled"}

    refused = client_for("ana").post("/api/v1/batches/", data=upload, format="multipart")

    assert refused.status_code == 403
    assert "predictions.import_training_data" in refused.json()["detail"]
    assert store_snapshot() == {}
    upload["file"].seek(0)
    allowed = client_for("office", "predictions.import_training_data").post("/api/v1/batches/", data=upload,
                                                                             format="multipart")
    assert allowed.status_code == 201 and repository.count_records(labeled=True) == 20
