"""The create endpoints with bodies that mix good and bad items: all or nothing, through HTTP.

schemathesis draws bodies from the schema alone, so its batches and labels are almost all
refused whole; here most items are good and a few are not, which is where an
all-or-nothing rule can break: a batch of students (below and above the size at which it is
validated as a table), a request of labels for logged predictions, and CSV uploads.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from predictions import repository, schema
from predictions.services.predict import TABLE_THRESHOLD
from tests.builders import make_student, store_snapshot
from tests.fuzz.conftest import reseed_ids
from tests.fuzz.examples import EXAMPLES
from tests.fuzz.strategies import ANY_FILE, FIELDS, canonical_values, fuzz_settings, valid_files

pytestmark = pytest.mark.django_db

# Values each field refuses (a required field also refuses None: it is then missing).
BAD = {f.name: ([f.values[0] + "x", 1, True, ["GP"], {"v": 1}] if f.values else
                [(f.max_value or 0) + 1, (f.min_value or 0) - 1, 2.5, True, "x", "1e1", [1]])
       for f in FIELDS}
GRADES = st.sampled_from([(None, None), (12, None), (12, 13)])


@pytest.fixture
def client(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def _errors(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"].strip()
    for item in body["errors"]:
        assert set(item) >= {"field", "reason"} and item["reason"].strip(), item
    return body["errors"]


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[int, set[str]]]:
    """Students (sizes around the table threshold) and the fields spoiled in each: {index: {field}}."""
    base = draw(canonical_values())
    size = draw(st.sampled_from([1, 3, TABLE_THRESHOLD - 1, TABLE_THRESHOLD, TABLE_THRESHOLD + 7]))
    students = []
    for _ in range(size):
        g1, g2 = draw(GRADES)
        students.append({**base, "G1": g1, "G2": g2})
    spoiled: dict[int, set[str]] = {}
    for index, f in draw(st.lists(st.tuples(st.integers(0, size - 1), st.sampled_from(FIELDS)), max_size=3)):
        bad = draw(st.sampled_from(BAD[f.name] + ([None] if f.required else [])))
        students[index][f.name] = bad
        spoiled.setdefault(index, set()).add(f.name)
        if f.name == "G1" and students[index]["G2"] is not None:
            spoiled[index].add("G2")  # G2 may now be without G1
    for student in students:  # absent grades: sometimes null, sometimes left out
        for name in ("G1", "G2"):
            if student[name] is None and draw(st.booleans()):
                del student[name]
    return students, spoiled


@fuzz_settings(scale=0.5)
@given(case=batches())
def test_a_batch_with_any_bad_student_predicts_and_stores_nothing(
        client: APIClient, trained: None, case: tuple[list[dict[str, Any]], dict[int, set[str]]]):
    students, spoiled = case
    EXAMPLES["POST /api/v1/predictions/batch/: students, some spoiled"] += 1
    reseed_ids()
    before = store_snapshot()
    logged = repository.count_predictions()

    response = client.post("/api/v1/predictions/batch/", students, format="json")

    EXAMPLES[f"POST /api/v1/predictions/batch/: ... of which {'refused' if spoiled else 'predicted'}"] += 1
    if spoiled:
        assert response.status_code == 400, response.content
        errors = _errors(response)
        assert {e["index"] for e in errors} == set(spoiled)
        assert all(e["field"] in spoiled[e["index"]] for e in errors), (errors, spoiled)
        assert store_snapshot() == before
    else:
        assert response.status_code == 201, response.content
        body = response.json()
        assert [p["track"] for p in body] == [schema.track_for(s.get("G1"), s.get("G2")).value for s in students]
        assert repository.count_predictions() == logged + len(students)


@st.composite
def label_items(draw: st.DrawFn, ids: list[str]) -> list[Any]:
    """Labels for logged predictions: all good half the time, else with at least one bad item.

    A good item gives its prediction's own grade (``GRADE_OF``), so a repeat is harmless; a
    bad one may give another grade for an already labelled prediction, among other faults.
    """
    good = st.sampled_from(ids).flatmap(lambda pid: st.sampled_from(
        [{"prediction_id": pid, "G3": GRADE_OF(pid)}, {"prediction_id": pid, "G3": str(GRADE_OF(pid))}]))
    bad = st.one_of(
        st.fixed_dictionaries({"prediction_id": st.sampled_from(["nope", "", " ", "0" * 32]), "G3": st.just(10)}),
        st.fixed_dictionaries({"prediction_id": st.sampled_from(ids),
                               "G3": st.sampled_from([-1, 21, 2.5, True, None, "", "x", [1], {"a": 1}, "1e1", 0, 20])}),
        st.fixed_dictionaries({"prediction_id": st.sampled_from(ids)}),
        st.fixed_dictionaries({"G3": st.just(10)}),
        st.fixed_dictionaries({"prediction_id": st.sampled_from(ids), "G3": st.just(10), "g3": st.just(10)}),
        st.sampled_from([None, 1, "x", [1]]),
    )
    items = draw(st.lists(good, min_size=1, max_size=4))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), draw(bad))
    return items


def GRADE_OF(prediction_id: str) -> int:
    return 5 + int(prediction_id, 16) % 11


def _grade(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    number = value if isinstance(value, int) else int(value) if isinstance(value, str) and value.isdigit() else None
    return number if number is not None and 0 <= number <= 20 else None


def _acceptable(items: list[Any], ids: list[str]) -> bool:
    """The documented rules: known prediction, grade 0-20, one grade per prediction, labels never change."""
    given_now: dict[str, int] = {}
    for item in items:
        if not isinstance(item, dict) or set(item) != {"prediction_id", "G3"} or item["prediction_id"] not in ids:
            return False
        grade = _grade(item["G3"])
        if grade is None or given_now.setdefault(item["prediction_id"], grade) != grade:
            return False
        earlier = repository.get_prediction(item["prediction_id"]).actual_g3
        if earlier is not None and earlier != grade:
            return False
    return True


def test_labels_all_or_nothing(client: APIClient, trained: None):
    made = client.post("/api/v1/predictions/batch/", [make_student(G3=None, age=15 + i) for i in range(4)],
                       format="json")
    assert made.status_code == 201, made.content
    ids = [p["id"] for p in made.json()]

    @fuzz_settings()
    @given(items=label_items(ids), wrap=st.sampled_from(["labels", "list", "object"]))
    def run(items: list[Any], wrap: str) -> None:
        EXAMPLES["POST /api/v1/labels/: labels, some bad"] += 1
        reseed_ids()
        body = {"labels": items} if wrap == "labels" else items if wrap == "list" or len(items) > 1 else items[0]
        acceptable = _acceptable(items, ids) and (wrap != "object" or isinstance(items[0], dict))
        before = store_snapshot()

        response = client.post("/api/v1/labels/", json.dumps(body), content_type="application/json")

        EXAMPLES[f"POST /api/v1/labels/: ... of which {'stored' if acceptable else 'refused'}"] += 1
        if not acceptable:
            assert response.status_code == 400, (body, response.content)
            _errors(response)
            assert store_snapshot() == before
        else:
            assert response.status_code in (200, 201), (body, response.content)
            for item in items:
                assert repository.get_prediction(item["prediction_id"]).actual_g3 == _grade(item["G3"])

    run()


@fuzz_settings(scale=0.5)
@given(data=st.one_of(ANY_FILE, valid_files().map(lambda case: case[0])), form=st.booleans(),
       kind=st.sampled_from(["labeled", "unlabeled"]))
def test_an_uploaded_batch_is_imported_whole_or_not_at_all(client: APIClient, trained: None, data: bytes,
                                                           form: bool, kind: str):
    EXAMPLES["POST /api/v1/batches/: CSV uploads"] += 1
    reseed_ids()
    before = store_snapshot()

    if form:
        upload = SimpleUploadedFile("class.csv", data, content_type="text/csv")
        response = client.post("/api/v1/batches/", {"file": upload, "kind": kind}, format="multipart")
    else:
        response = client.post(f"/api/v1/batches/?kind={kind}", data, content_type="text/csv")

    if response.status_code == 201:
        batch = response.json()
        EXAMPLES["POST /api/v1/batches/: ... of which imported"] += 1
        assert batch["rows_imported"] == batch["rows_total"] >= 1
        assert len(repository.find_records_of_batch(batch["id"])) == batch["rows_imported"]
    else:
        assert response.status_code in (400, 409, 413), response.content
        for error in _errors(response):
            assert isinstance(error["field"], str)
        assert store_snapshot() == before
