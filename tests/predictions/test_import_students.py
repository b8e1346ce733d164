"""`manage.py import_students`: all-or-nothing imports with clear errors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from predictions import repository
from predictions.entities import BatchKind, BatchStatus
from predictions.services import ImportRejected, batch_import
from tests.builders import csv_bytes, make_student, store_snapshot


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_students", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, data: bytes, name: str = "class.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def students(n: int, **overrides) -> list[dict]:
    return [make_student(**{"absences": i % 20, **overrides}) for i in range(n)]


@pytest.mark.parametrize("delimiter,quote", [(";", True), (",", False)])
def test_labelled_file_imports_every_row(tmp_path, delimiter, quote):
    path = write(tmp_path, csv_bytes(students(5), delimiter=delimiter, quote_strings=quote))

    out, _ = run(path, "--labeled", "--by", "ana")

    assert "imported 5 labeled rows of 5" in out
    assert repository.count_records(labeled=True) == 5
    batch = repository.find_batches()[0]
    assert (batch.kind, batch.status, batch.created_by, batch.rows_imported) == (
        BatchKind.LABELED, BatchStatus.COMPLETE, "ana", 5)
    assert batch.delimiter == delimiter
    assert [r.features["absences"] for r in repository.find_recent_records(10)] == [0, 1, 2, 3, 4]


def test_bom_and_crlf_are_accepted(tmp_path):
    path = write(tmp_path, csv_bytes(students(3), bom=True, line_end="\r\n"))

    run(path, "--labeled")

    records = repository.find_recent_records(10)
    assert len(records) == 3 and records[0].features["school"] == "GP"


def test_unlabelled_rows_are_stored_without_a_label(tmp_path):
    rows = [{k: v for k, v in make_student().items() if k != "G3"} for _ in range(4)]
    path = write(tmp_path, csv_bytes(rows))

    out, _ = run(path, "--unlabeled")

    assert "imported 4 unlabeled rows" in out
    assert repository.count_records(labeled=False) == 4
    assert repository.count_records(labeled=True) == 0


def test_unlabelled_import_refuses_rows_with_a_final_grade(tmp_path):
    path = write(tmp_path, csv_bytes(students(2)))
    before = store_snapshot()

    with pytest.raises(CommandError, match="import it as labelled data"):
        run(path, "--unlabeled")
    assert store_snapshot() == before


def test_labelled_import_needs_the_final_grade(tmp_path):
    rows = [{k: v for k, v in make_student().items() if k != "G3"}]
    path = write(tmp_path, csv_bytes(rows))

    with pytest.raises(CommandError, match="header is not usable"):
        run(path, "--labeled")
    assert repository.count_records() == 0


def test_labelled_rows_with_an_empty_grade_are_rejected_by_row(tmp_path):
    rows = students(3)
    rows[1]["G3"] = None
    path = write(tmp_path, csv_bytes(rows))
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 3 rows are invalid"):
        call_command("import_students", path, "--labeled", stdout=io.StringIO(), stderr=err)
    assert "row 3: G3: is required" in err.getvalue()
    assert repository.count_records() == 0


BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "header only": (csv_bytes([make_student()]).split(b"\n")[0] + b"\n", "header but no rows"),
    "binary garbage": (bytes(range(256)) * 8, "not a text CSV"),
    "tab separated": (csv_bytes(students(2), delimiter="\t", quote_strings=False), "tab-separated"),
    "pipe separated": (csv_bytes(students(2), delimiter="|", quote_strings=False), "pipe-separated"),
    "not a header": (b"1;2;3\n4;5;6\n", "not a header of UCI column names"),
    "missing column": (csv_bytes(students(2), columns=[c for c in make_student() if c != "age"]),
                       "header is not usable"),
    "out of range row": (csv_bytes(students(2) + [make_student(age=23)]), "1 of 3 rows are invalid"),
    "unknown category": (csv_bytes([make_student(Mjob="pilot")]), "1 of 1 rows are invalid"),
    "too many fields": (csv_bytes(students(2))
                        + b'"GP";"F";17;1;2;3;4;5;6;7;8;9;0;1;2;3;4;5;6;7;8;9;0;1;2;3;4;5;6;7;8;9;0;1;2\n',
                        "not a well-formed CSV"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_is_refused_and_changes_nothing(tmp_path, name):
    data, message = BAD_FILES[name]
    run(write(tmp_path, csv_bytes(students(2, G1=5)), "earlier.csv"), "--labeled")
    before = store_snapshot()

    with pytest.raises(CommandError, match=message):
        run(write(tmp_path, data), "--labeled")
    assert store_snapshot() == before


def test_each_bad_row_is_printed_with_row_field_value_and_reason(tmp_path):
    rows = students(4)
    rows[0]["age"] = 23
    rows[2]["Mjob"] = "pilot"
    rows[2]["failures"] = -1
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_students", write(tmp_path, csv_bytes(rows)), "--labeled",
                     stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert "  row 2: age: must be from 15 to 22 (got '23')" in lines
    assert any(line.startswith("  row 4: Mjob: must be one of teacher") and "'pilot'" in line for line in lines)
    assert "  row 4: failures: must be from 0 to 4 (got '-1')" in lines


def test_skip_invalid_imports_the_rest_and_records_the_rejects(tmp_path):
    rows = students(5)
    rows[1]["age"] = 40
    rows[3]["sex"] = "X"

    out, _ = run(write(tmp_path, csv_bytes(rows)), "--labeled", "--skip-invalid")

    assert "imported 3 labeled rows of 5" in out
    batch = repository.find_batches()[0]
    assert batch.rows_rejected == 2
    assert [(r.row, [e["field"] for e in r.errors]) for r in batch.rejected] == [(3, ["age"]), (5, ["sex"])]
    assert sorted(r.row for r in repository.find_records_of_batch(batch.id)) == [2, 4, 6]


def test_skip_invalid_with_no_valid_row_imports_nothing(tmp_path):
    path = write(tmp_path, csv_bytes([make_student(age=99), make_student(age=10)]))

    with pytest.raises(CommandError, match="none of the 2 rows is valid"):
        run(path, "--labeled", "--skip-invalid")
    assert store_snapshot() == {}


def test_the_same_file_twice_is_refused_unless_allowed(tmp_path):
    path = write(tmp_path, csv_bytes(students(3)))
    run(path, "--labeled", "--by", "ana")
    before = store_snapshot()

    with pytest.raises(CommandError, match="already imported .* by ana"):
        run(path, "--labeled")
    assert store_snapshot() == before

    out, _ = run(path, "--labeled", "--allow-duplicate")
    assert "imported 3" in out
    assert repository.count_records() == 6
    assert len(repository.find_batches()) == 2


def test_extra_columns_are_ignored_and_reported(tmp_path):
    rows = [{**make_student(), "name": "Ana"}]
    columns = ["name", *make_student()]

    out, _ = run(write(tmp_path, csv_bytes(rows, columns=columns)), "--labeled")

    assert "ignored columns not in the schema: name" in out
    assert repository.find_batches()[0].ignored_columns == ("name",)
    assert "name" not in repository.find_recent_records(1)[0].features


def test_duplicate_rows_in_a_file_are_imported_and_counted(tmp_path):
    out, _ = run(write(tmp_path, csv_bytes([make_student()] * 3)), "--labeled")

    assert "2 rows repeat an earlier row" in out
    assert repository.find_batches()[0].duplicate_rows == 2


def test_a_failure_while_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    calls = {"n": 0}
    real_insert = repository.insert_records

    def failing_insert(records):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_insert(records)

    monkeypatch.setattr("predictions.services.ingest.CHUNK_ROWS", 10)
    monkeypatch.setattr(repository, "insert_records", failing_insert)
    before = store_snapshot()

    with pytest.raises(OSError, match="disk full"):
        batch_import(csv_bytes(students(25)), kind=BatchKind.LABELED, source="t", created_by="t")
    assert store_snapshot() == before


def test_a_crashed_import_is_cleaned_up_by_the_next_one(tmp_path):
    from datetime import UTC, datetime, timedelta

    from predictions.entities import Batch

    data = csv_bytes(students(2))
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    repository.insert_batch(Batch(id=sha, kind=BatchKind.LABELED, status=BatchStatus.PENDING, source="x",
                                  sha256=sha, rows_total=2, rows_imported=2, created_by="crashed",
                                  created_at=datetime.now(UTC) - timedelta(hours=2)))

    report = batch_import(data, kind=BatchKind.LABELED, source="x", created_by="ana")

    assert report.batch.status is BatchStatus.COMPLETE and report.batch.created_by == "ana"
    assert repository.count_records() == 2


def test_command_requires_a_kind_and_an_existing_file(tmp_path):
    with pytest.raises(CommandError, match="--labeled"):
        run(write(tmp_path, csv_bytes(students(1))))
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "missing.csv"), "--labeled")
    with pytest.raises(CommandError, match="either a PATH or --uci"):
        run()


@pytest.mark.parametrize("subject,rows", [("mat", 395), ("por", 649)])
def test_real_uci_files_import_completely(uci_dir, subject, rows):
    out, _ = run(str(uci_dir / f"student-{subject}.csv"), "--labeled")

    assert f"imported {rows} labeled rows of {rows}" in out
    assert repository.count_records(labeled=True) == rows


def _uci_archive(tmp_path: Path, inner: dict[str, bytes]) -> str:
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as z:
        for name, data in inner.items():
            z.writestr(name, data)
    outer = tmp_path / "student+performance.zip"
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr("student.zip", nested.getvalue())
        z.writestr(".gitattributes", b"")
    return outer.as_uri()


def test_uci_download_finds_the_csv_in_a_nested_zip(tmp_path, settings):
    por = csv_bytes(students(7))
    settings.UCI_DOWNLOAD_URL = _uci_archive(tmp_path, {"student-por.csv": por,
                                                        "student-mat.csv": csv_bytes(students(2))})

    out, _ = run("--uci", "por")

    assert "imported 7 labeled rows of 7" in out
    assert "differs from the published file" in out  # our test file is not the real one
    assert repository.find_batches()[0].source == "uci:por"


def test_uci_download_offline_suggests_a_path(settings):
    settings.UCI_DOWNLOAD_URL = "http://127.0.0.1:9/student.zip"  # discard port: nothing listens
    settings.UCI_DOWNLOAD_TIMEOUT = 2

    with pytest.raises(CommandError, match="could not download .* import_students path/to/student-por.csv"):
        run("--uci", "por")
    assert repository.count_records() == 0


def test_uci_download_that_is_not_a_zip_is_refused(tmp_path, settings):
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"<html>maintenance</html>")
    settings.UCI_DOWNLOAD_URL = bogus.as_uri()

    with pytest.raises(CommandError, match="not a zip archive"):
        run("--uci", "mat")


def test_uci_archive_without_the_subject_is_refused(tmp_path, settings):
    settings.UCI_DOWNLOAD_URL = _uci_archive(tmp_path, {"student-mat.csv": csv_bytes(students(2))})

    with pytest.raises(CommandError, match="student-por.csv was not found"):
        run("--uci", "por")


def test_service_rejection_lists_errors_with_rows():
    with pytest.raises(ImportRejected) as caught:
        batch_import(csv_bytes([make_student(), make_student(G2=9, G1=None)]), kind=BatchKind.LABELED,
                     source="t", created_by="t")
    assert [(e.row, e.field) for e in caught.value.errors] == [(3, "G2")]
