"""The bugs the fuzzers found, each pinned by the smallest input that showed it."""

from __future__ import annotations

import csv
import json
import math

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from predictions.csvfiles import CsvError, read_students_csv
from predictions.services.predict import TABLE_THRESHOLD
from predictions.validation import Target, validate_record, validate_table
from tests.builders import csv_bytes, make_student, store_snapshot


def student(**overrides):
    return make_student(G3=None, **overrides)


# --- validation ---------------------------------------------------------------------------------

def test_an_infinite_or_nan_value_gives_an_error_that_is_strict_json():
    """A JSON number such as 1e400 parses to infinity; the error echoed it, which strict JSON cannot hold."""
    result = validate_record(student(age=math.inf, absences=-math.inf))

    assert [e.field for e in result.errors] == ["age", "absences"]
    body = json.dumps([e.as_dict() for e in result.errors], allow_nan=False)
    assert '"value": "inf"' in body and '"value": "-inf"' in body


def test_true_and_1_in_one_column_are_judged_as_records_judge_them():
    """True == 1 in Python: a table took the first of them for both (accepting True as 1, or refusing 1)."""
    for column in ([1, True], [True, 1]):
        rows = [student(famrel=value) for value in column]
        table = validate_table(pd.DataFrame.from_records(rows), Target.IGNORED)

        assert table.valid.tolist() == [validate_record(row).ok for row in rows] == [v is not True for v in column]
        assert [(e.row, e.field) for e in table.errors] == [(2 + [v is True for v in column].index(True), "famrel")]


def test_a_list_or_object_in_a_table_cell_is_an_error_not_a_crash():
    rows = [student(), student(school=["GP"]), student(age={"years": 17})]

    table = validate_table(pd.DataFrame.from_records(rows), Target.IGNORED)

    assert [(e.row, e.field) for e in table.errors] == [(3, "school"), (4, "age")]
    assert table.valid.tolist() == [True, False, False]


def test_an_invalid_g2_without_g1_gets_both_errors_in_a_record_as_in_a_table():
    row = student(G1="", G2="x")

    record = validate_record(row)
    table = validate_table(pd.DataFrame([{k: str(v) for k, v in row.items()}]), Target.IGNORED)

    assert [e.reason[:20] for e in record.errors] == [e.reason[:20] for e in table.errors] == [
        "must be a whole numb", "was given without G1"]


# --- CSV files ----------------------------------------------------------------------------------

def test_a_file_with_old_mac_line_ends_is_read():
    """Lines ended by a lone CR made the header one long line, and the csv module raised."""
    data = csv_bytes([make_student(), make_student(age=18)], line_end="\r")

    table = read_students_csv(data, max_rows=10)

    assert table.frame["age"].tolist() == ["17", "18"]
    assert validate_table(table.frame, Target.REQUIRED).ok


def test_a_header_name_over_the_csv_field_limit_is_a_csv_error():
    data = b"school;sex;age;" + b"x" * (csv.field_size_limit() + 1) + b"\n1;2;3;4\n"

    with pytest.raises(CsvError, match="cannot be read as a header"):
        read_students_csv(data, max_rows=10)


def test_a_quoted_header_name_that_runs_past_the_line_is_a_csv_error():
    """pandas reads the quoted name across lines; the header's own names were fewer than its columns."""
    data = b'school;sex;"age\n";address\nGP;F;17;U\n'

    with pytest.raises(CsvError, match="quoted column name"):
        read_students_csv(data, max_rows=10)


# --- API ----------------------------------------------------------------------------------------

def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and isinstance(body["errors"], list)
    assert store_snapshot() == {}
    return body


@pytest.mark.parametrize("url", ["/api/v1/batches/", "/api/v1/predictions/batch/"])
def test_a_form_field_file_sent_as_text_is_a_400(importer, url):
    """``file`` as a plain form field (not an upload) was read as a file: 500."""
    body = _error(importer.post(url, {"file": "school;sex\nGP;F\n", "kind": "labeled"}, format="multipart"), 400)

    assert "must be a file upload" in body["detail"]


def test_a_json_object_with_a_file_key_is_not_taken_for_an_upload(api):
    body = _error(api.post("/api/v1/predictions/batch/", {"file": "x"}, format="json"), 400)

    assert "JSON list of students" in body["detail"]


def test_an_uploaded_file_still_works_as_a_form_field(importer):
    upload = SimpleUploadedFile("class.csv", b"school;sex;age\nGP;F;17\n", content_type="text/csv")

    body = _error(importer.post("/api/v1/batches/", {"file": upload, "kind": "labeled"}, format="multipart"), 400)

    assert body["errors"] and all(e["field"] for e in body["errors"])  # the header's missing columns


def test_a_number_too_large_for_a_float_is_a_400_naming_the_field(api):
    raw = json.dumps(student()).replace('"age": 17', '"age": 1e400')

    body = _error(api.post("/api/v1/predictions/", raw, content_type="application/json"), 400)

    assert body["errors"] == [{"field": "age", "reason": "must be a whole number from 15 to 22", "value": "inf",
                               "message": "age must be a whole number from 15 to 22 (got inf)"}]


def test_a_large_json_batch_with_a_list_value_is_a_400_naming_the_student(api):
    """64 students or more are validated as a table; a list in a cell made pandas raise: 500."""
    students = [student() for _ in range(TABLE_THRESHOLD)]
    students[5]["Mjob"] = ["teacher"]

    body = _error(api.post("/api/v1/predictions/batch/", students, format="json"), 400)

    assert [(e["index"], e["field"]) for e in body["errors"]] == [(5, "Mjob")]


def test_a_large_json_batch_with_true_for_a_number_is_a_400_even_after_a_1(api):
    """With a 1 earlier in the column, True passed as 1 in the table path."""
    students = [student(famrel=1) for _ in range(TABLE_THRESHOLD)]
    students[7]["famrel"] = True

    body = _error(api.post("/api/v1/predictions/batch/", students, format="json"), 400)

    assert [(e["index"], e["field"]) for e in body["errors"]] == [(7, "famrel")]


@pytest.mark.parametrize("query", [
    "/api/v1/predictions/?model_version=%C2%B2",  # "²".isdigit() is true; int("²") raises
    "/api/v1/predictions/?model_version=" + "9" * 30,  # past 64 bits: MongoDB refuses it
    "/api/v1/predictions/?offset=" + "9" * 25,
    "/api/v1/models/audit/?offset=" + "9" * 25,
    "/api/v1/drift/reports/?offset=" + "9" * 25,
    "/api/v1/predictions/?since=2026-13-45T00:00:00",  # well-formed, impossible: parse_datetime raises
    "/api/v1/predictions/?until=9999-12-31T23:59:59-05:00",  # overflows when moved to UTC
    "/api/v1/models/champion-at/?track=A&at=2026-13-45T00:00:00",
    "/api/v1/models/champion-at/?track=A&at=0001-01-01T00:00:00%2B05:00",
])
def test_awkward_query_values_are_a_400_naming_the_parameter(db, query):
    user = get_user_model().objects.create_user("staff", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    name = query.rsplit("?", 1)[1].rsplit("&", 1)[-1].split("=")[0]

    body = _error(client.get(query), 400)

    assert [e["field"] for e in body["errors"]] == [name]


def test_empty_optional_query_values_mean_not_given(api):
    """The schema says so (allowEmptyValue); limit and offset refused an empty value before."""
    assert api.get("/api/v1/predictions/?limit=&offset=&track=&since=&labeled=").status_code == 200

