"""Reading students' CSV files: the formats people send, and clear refusals for the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from predictions import schema
from predictions.csvfiles import CsvError, read_students_csv
from predictions.validation import Target, validate_table
from tests.builders import csv_bytes, make_student

COLUMNS = list(schema.BY_NAME)
ROWS = [make_student(), make_student(age=18, school="MS", higher="no", G1=None, G2=None), make_student(absences=0)]


def _read(data: bytes, max_rows: int = 1000):
    return read_students_csv(data, max_rows=max_rows)


def _error(data: bytes, max_rows: int = 1000) -> str:
    with pytest.raises(CsvError) as info:
        read_students_csv(data, max_rows=max_rows)
    message = str(info.value)
    # A sentence for a person, not a traceback or a parser's internals.
    assert message and "Traceback" not in message and "C error" not in message
    assert "tokenizing" not in message.lower()
    return message


def _expected_cells(row: dict) -> list[str]:
    return ["" if row.get(c) is None else str(row[c]) for c in COLUMNS]


# --------------------------------------------------------------------------- accepted formats


@pytest.mark.parametrize(
    ("options", "delimiter"),
    [
        ({}, ";"),  # UCI: ';' with quoted strings
        ({"delimiter": ",", "quote_strings": False}, ","),
        ({"delimiter": ",", "quote_strings": True}, ","),
        ({"delimiter": ";", "quote_strings": False}, ";"),
        ({"bom": True}, ";"),
        ({"delimiter": ",", "quote_strings": False, "bom": True}, ","),
        ({"line_end": "\r\n"}, ";"),
        ({"delimiter": ",", "quote_strings": False, "line_end": "\r\n", "bom": True}, ","),
    ],
    ids=["uci", "comma", "comma-quoted", "semicolon-unquoted", "bom", "comma-bom", "crlf", "comma-crlf-bom"],
)
def test_accepted_formats_read_to_the_same_table_of_strings(options: dict, delimiter: str):
    table = _read(csv_bytes(ROWS, columns=COLUMNS, **options))
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == COLUMNS  # no BOM glued to "school", no quotes, no "\r" on G3
    assert table.frame.shape == (3, 33)
    assert [list(map(str, r)) for r in table.frame.itertuples(index=False)] == [_expected_cells(r) for r in ROWS]
    assert validate_table(table.frame, Target.REQUIRED).ok


def test_missing_cells_are_empty_strings():
    table = _read(csv_bytes(ROWS, columns=COLUMNS))
    assert table.frame.loc[1, "G1"] == ""
    assert table.frame.loc[1, "G2"] == ""
    assert not table.frame.isna().any().any()


def test_blank_trailing_lines_are_not_rows():
    table = _read(csv_bytes(ROWS, columns=COLUMNS) + b"\n\n\n")
    assert len(table.frame) == 3
    table = _read(csv_bytes(ROWS, columns=COLUMNS, line_end="\r\n") + b"\r\n\r\n")
    assert len(table.frame) == 3
    assert validate_table(table.frame, Target.REQUIRED).ok


def test_blank_lines_before_the_header_are_skipped():
    table = _read(b"\n\r\n" + csv_bytes(ROWS, columns=COLUMNS))
    assert list(table.frame.columns) == COLUMNS
    assert len(table.frame) == 3


def test_extra_columns_are_kept_for_validation_to_report():
    columns = [*COLUMNS, "name"]
    rows = [{**make_student(), "name": "Ana"}]
    table = _read(csv_bytes(rows, columns=columns))
    assert table.frame["name"].tolist() == ["Ana"]
    assert validate_table(table.frame, Target.REQUIRED).ignored_columns == ["name"]


def test_a_repeated_header_name_is_kept_so_validation_can_name_it():
    columns = [*COLUMNS, "age"]
    table = _read(csv_bytes([make_student()], columns=columns))
    assert list(table.frame.columns) == columns
    result = validate_table(table.frame, Target.REQUIRED)
    assert [e.field for e in result.file_errors] == ["age"]


def test_windows_1252_text_is_accepted():
    columns = [*COLUMNS, "name"]
    data = csv_bytes([{**make_student(), "name": "José"}], columns=columns).decode("utf-8").encode("cp1252")
    table = _read(data)
    assert table.frame["name"].tolist() == ["José"]


def test_values_with_the_delimiter_inside_quotes_are_one_cell():
    columns = [*COLUMNS, "note"]
    table = _read(csv_bytes([{**make_student(), "note": "late; often"}], columns=columns))
    assert table.frame["note"].tolist() == ["late; often"]


def test_exactly_max_rows_is_accepted():
    table = _read(csv_bytes(ROWS * 4, columns=COLUMNS), max_rows=12)
    assert len(table.frame) == 12


@pytest.mark.parametrize("filename", ["student-mat.csv", "student-por.csv"])
def test_real_uci_files_are_read(uci_dir: Path, filename: str):
    table = _read((uci_dir / filename).read_bytes())
    assert table.delimiter == ";"
    assert list(table.frame.columns) == COLUMNS
    assert len(table.frame) == {"student-mat.csv": 395, "student-por.csv": 649}[filename]
    assert table.frame.loc[0, "school"] == "GP"  # quotes removed
    assert table.frame.loc[0, "G1"].isdigit()  # G1 is quoted in the UCI files


# --------------------------------------------------------------------------- refused files


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n", b" \r\n\t\r\n ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n \r\n"])
def test_an_empty_or_whitespace_only_file_is_refused(data: bytes):
    assert "empty" in _error(data)


@pytest.mark.parametrize(
    "data",
    [
        ";".join(COLUMNS).encode() + b"\n",
        ";".join(COLUMNS).encode(),
        ",".join(COLUMNS).encode() + b"\r\n\r\n\r\n",
        ";".join(COLUMNS).encode() + b"\n   \n",
        b"\xef\xbb\xbf" + ";".join(COLUMNS).encode() + b"\n",
    ],
    ids=["lf", "no-newline", "crlf-blank-lines", "spaces-line", "bom"],
)
def test_a_header_without_rows_is_refused(data: bytes):
    message = _error(data)
    assert "header" in message and "no rows" in message


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_garbage_is_refused(seed: int):
    data = np.random.default_rng(seed).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    assert b"\x00" in data
    message = _error(data)
    assert "not a text CSV" in message and "binary" in message


def test_a_header_followed_by_binary_data_is_refused():
    data = csv_bytes(ROWS, columns=COLUMNS) + b"\x00\x01\x02PK\x03\x04"
    assert "binary" in _error(data)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_non_utf8_binary_without_nul_bytes_is_refused(seed: int):
    raw = np.random.default_rng(seed).integers(1, 256, 4096, dtype=np.uint8).tobytes()
    message = _error(raw)
    assert "not a text CSV" in message and "UTF-8" in message


def test_a_zip_file_is_refused_as_not_text():
    data = b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4
    assert "not a text CSV" in _error(data)


@pytest.mark.parametrize(("delimiter", "word"), [("\t", "tab"), ("|", "pipe")])
def test_an_unsupported_delimiter_is_named(delimiter: str, word: str):
    message = _error(csv_bytes(ROWS, columns=COLUMNS, delimiter=delimiter, quote_strings=False))
    assert f"{word}-separated" in message
    assert "';'" in message and "','" in message


@pytest.mark.parametrize(
    "header",
    [b"name;height;weight", b"a,b,c,d", b"Student;Class;Grade", b"SCHOOL;SEX;AGE;ADDRESS", b"school sex age"],
)
def test_a_header_with_unknown_column_names_is_refused(header: bytes):
    message = _error(header + b"\n1;2;3\n")
    assert "header" in message and "UCI column names" in message
    assert "school;sex;age" in message


def test_a_file_without_a_header_row_is_refused():
    body = csv_bytes(ROWS, columns=COLUMNS).split(b"\n", 1)[1]
    assert "header" in _error(body)


@pytest.mark.parametrize("bad_row", [0, 1, 2])
def test_a_row_with_too_many_fields_is_refused_with_its_line(bad_row: int):
    lines = csv_bytes(ROWS, columns=COLUMNS).decode().split("\n")
    lines[1 + bad_row] += ';"extra"'
    message = _error("\n".join(lines).encode())
    assert f"line {bad_row + 2}" in message
    assert "34 fields" in message and "header has 33" in message


def test_a_row_with_too_many_fields_in_a_comma_file_is_refused():
    lines = csv_bytes(ROWS, columns=COLUMNS, delimiter=",", quote_strings=False).decode().split("\n")
    lines[1] += ",x,y"
    message = _error("\n".join(lines).encode())
    assert "line 2" in message and "35 fields" in message


@pytest.mark.parametrize(("rows", "limit"), [(4, 3), (13, 12), (2001, 2000)])
def test_more_rows_than_the_limit_is_refused_naming_the_limit(rows: int, limit: int):
    data = csv_bytes([make_student()] * rows, columns=COLUMNS)
    message = _error(data, max_rows=limit)
    assert f"{limit:,}" in message
    assert "more than" in message and "split" in message


def test_the_row_limit_counts_rows_not_blank_lines():
    data = csv_bytes([make_student()] * 3, columns=COLUMNS) + b"\n" * 20
    assert len(_read(data, max_rows=3).frame) == 3
