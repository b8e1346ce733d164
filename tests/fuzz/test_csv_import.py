"""Property-based tests of the CSV reader and the batch import service.

Inputs: random bytes, random unicode text, CSV-shaped text (any header order, any of four
delimiters, quotes, blank lines, ragged rows, awkward cells), valid files mutated byte by
byte, and valid files in every accepted format. Properties: the reader either gives a
table of strings or raises ``CsvError``; the import either stores one complete batch or
raises ``ImportRejected`` and leaves the store exactly as it was; every rejected row's
error names its row, field and reason; a valid file imports the canonical values of every
row, whatever its column order and format.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictions import repository, schema
from predictions.csvfiles import CsvError, CsvTable, read_students_csv
from predictions.entities import BatchKind, BatchStatus
from predictions.services import ImportRejected, batch_import
from predictions.validation import Target, validate_table
from studentml_site import mongo
from tests.builders import store_snapshot
from tests.fuzz.examples import EXAMPLES
from tests.fuzz.strategies import ANY_FILE, fuzz_settings, valid_files

MAX_ROWS = 25
NAMES = list(schema.BY_NAME)


def _check_table(table: CsvTable) -> None:
    assert table.delimiter in (";", ",")
    assert 1 <= len(table.frame) <= MAX_ROWS
    assert all(isinstance(c, str) for c in table.frame.columns)
    assert table.frame.map(lambda v: isinstance(v, str)).all().all()


def _check_row_errors(errors: list[Any], *, rows: int) -> None:
    for error in errors:
        assert isinstance(error.field, str) and error.reason.strip(), error
        assert error.row is None or 2 <= error.row <= rows + 1, error
    json.dumps([e.as_dict() for e in errors], allow_nan=False)


@fuzz_settings()
@given(data=ANY_FILE, target=st.sampled_from(list(Target)))
def test_any_bytes_read_to_a_table_of_strings_or_a_csv_error(data: bytes, target: Target):
    EXAMPLES["read_students_csv: random bytes, text, CSV-shaped, mutated"] += 1
    try:
        table = read_students_csv(data, max_rows=MAX_ROWS)
    except CsvError as exc:
        assert str(exc).strip()
        return
    _check_table(table)
    EXAMPLES["read_students_csv: ... of which read to a table"] += 1

    result = validate_table(table.frame, target)

    for error in result.file_errors:
        assert isinstance(error.field, str) and error.reason and error.row is None
    _check_row_errors(result.errors, rows=len(table.frame))
    assert all(e.row is not None for e in result.errors)


@fuzz_settings(scale=0.5)
@given(case=valid_files())
def test_a_valid_file_reads_to_its_canonical_values_in_any_format_and_column_order(
        case: tuple[bytes, list[dict[str, Any]]]):
    EXAMPLES["read_students_csv + validate_table: valid files, any format"] += 1
    data, canonical = case

    table = read_students_csv(data, max_rows=MAX_ROWS)
    result = validate_table(table.frame, Target.REQUIRED)

    assert result.ok, [str(e) for e in result.errors + result.file_errors]
    frame = result.frame[NAMES].astype(object).where(result.frame[NAMES].notna(), None)
    assert frame.to_dict("records") == [{name: row[name] for name in NAMES} for row in canonical]


@pytest.fixture
def small_imports(settings: Any) -> None:
    settings.IMPORT_MAX_ROWS = MAX_ROWS


@fuzz_settings()
@given(data=st.one_of(ANY_FILE, valid_files().map(lambda case: case[0])), kind=st.sampled_from(list(BatchKind)),
       skip_invalid=st.booleans())
def test_an_import_stores_one_complete_batch_or_nothing(small_imports: None, data: bytes, kind: BatchKind,
                                                        skip_invalid: bool):
    EXAMPLES["batch_import: random bytes, text, CSV-shaped, mutated"] += 1
    mongo.reset()  # each example starts from an empty store
    before = store_snapshot()

    try:
        report = batch_import(data, kind=kind, source="fuzz.csv", created_by="fuzz", skip_invalid=skip_invalid)
    except ImportRejected as exc:
        assert store_snapshot() == before
        assert exc.message.strip() and exc.code in ("invalid", "duplicate", "too_large")
        _check_row_errors(exc.errors, rows=MAX_ROWS)
        return
    batch = report.batch
    assert batch.status is BatchStatus.COMPLETE and batch.kind is kind
    assert batch.rows_imported >= 1 and batch.rows_imported + batch.rows_rejected == batch.rows_total
    assert len(repository.find_records_of_batch(batch.id)) == batch.rows_imported
    assert skip_invalid or batch.rows_rejected == 0
    EXAMPLES["batch_import: ... of which imported"] += 1


@fuzz_settings(scale=0.5)
@given(case=valid_files())
def test_a_valid_file_imports_every_row_once_and_a_second_time_is_refused(
        small_imports: None, case: tuple[bytes, list[dict[str, Any]]]):
    EXAMPLES["batch_import: valid files, then the same file again"] += 1
    mongo.reset()
    data, canonical = case

    report = batch_import(data, kind=BatchKind.LABELED, source="fuzz.csv", created_by="fuzz")

    assert report.batch.rows_imported == len(canonical) and report.errors == []
    stored = repository.find_records_of_batch(report.batch.id)  # in row order
    assert [(r.row, r.g3, r.features) for r in stored] == [
        (i + 2, row["G3"], {name: row[name] for name in schema.INPUTS}) for i, row in enumerate(canonical)]
    after = store_snapshot()
    with pytest.raises(ImportRejected) as refused:
        batch_import(data, kind=BatchKind.LABELED, source="again.csv", created_by="fuzz")
    assert refused.value.code == "duplicate"
    assert store_snapshot() == after
