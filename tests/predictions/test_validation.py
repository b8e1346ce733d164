"""Validation of one student (form, API) and of whole tables (files) against the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictions import schema
from predictions.csvfiles import read_students_csv
from predictions.schema import Kind
from predictions.validation import FieldError, Target, clean_value, validate_record, validate_table
from tests.builders import make_student

NUMERIC_FIELDS = [schema.BY_NAME[name] for name in schema.NUMERIC]
CATEGORICAL_FIELDS = [schema.BY_NAME[name] for name in schema.CATEGORICAL]
CATEGORICAL_VALUES = [(f.name, value) for f in CATEGORICAL_FIELDS for value in f.values]
ALL_COLUMNS = list(schema.BY_NAME)


def _fields(errors: list[FieldError]) -> set[str | None]:
    return {e.field for e in errors}


def _only_error(errors: list[FieldError], name: str) -> FieldError:
    assert [e.field for e in errors] == [name], [str(e) for e in errors]
    return errors[0]


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame of strings, as read from a file (missing = empty string)."""
    columns = columns or ALL_COLUMNS
    return pd.DataFrame([[_as_text(row.get(c)) for c in columns] for row in rows], columns=columns, dtype=object)


# --------------------------------------------------------------------------- one record: numbers


@pytest.mark.parametrize("f", NUMERIC_FIELDS, ids=lambda f: f.name)
@pytest.mark.parametrize("end", ["min", "max"])
def test_numeric_bounds_are_accepted(f: schema.Field, end: str):
    value = f.min_value if end == "min" else f.max_value
    result = validate_record(make_student(**{f.name: value}), Target.REQUIRED)
    assert result.errors == []
    assert result.values[f.name] == value


@pytest.mark.parametrize("f", NUMERIC_FIELDS, ids=lambda f: f.name)
@pytest.mark.parametrize("end", ["below", "above"])
def test_numeric_values_just_outside_the_bounds_fail_naming_the_field(f: schema.Field, end: str):
    value = f.min_value - 1 if end == "below" else f.max_value + 1
    result = validate_record(make_student(**{f.name: value}), Target.REQUIRED)
    error = _only_error(result.errors, f.name)
    assert error.reason == f"must be from {f.min_value} to {f.max_value}"
    assert error.value == value
    assert str(error) == f"{f.name}: must be from {f.min_value} to {f.max_value} (got {value!r})"
    assert result.values[f.name] is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("15", 15), (15.0, 15), (" 15 ", 15), ("15.0", 15), ("+15", 15), (np.int64(15), 15), (np.float64(15.0), 15),
     ("015", 15), ("22", 22)],
)
def test_numeric_strings_and_whole_floats_are_accepted(raw: Any, expected: int):
    result = validate_record(make_student(age=raw), Target.REQUIRED)
    assert result.errors == []
    assert result.values["age"] == expected
    assert type(result.values["age"]) is int


@pytest.mark.parametrize(
    "raw",
    [True, False, [17], {"value": 17}, "abc", 4.5, 17.5, "17.5", "1e1", "", "17 years", float("inf"), "seventeen",
     "1" * 400, "9" * 5000],
)
def test_wrong_types_for_a_number_fail_naming_the_field(raw: Any):
    result = validate_record(make_student(age=raw), Target.REQUIRED)
    error = _only_error(result.errors, "age")
    assert "15" in error.reason and "22" in error.reason or error.reason == "is required"


def test_a_boolean_for_a_number_says_so():
    error = _only_error(validate_record(make_student(failures=True), Target.REQUIRED).errors, "failures")
    assert "true/false" in error.reason


@pytest.mark.parametrize("raw", ["4.5", 4.5, "abc"])
@pytest.mark.parametrize("name", ["absences", "G1", "G3"])
def test_non_whole_numbers_fail_with_the_allowed_range(name: str, raw: Any):
    f = schema.BY_NAME[name]
    error = _only_error(validate_record(make_student(**{name: raw}), Target.REQUIRED).errors, name)
    assert error.reason == f"must be a whole number from {f.min_value} to {f.max_value}"


# --------------------------------------------------------------------------- one record: categories


@pytest.mark.parametrize(("name", "value"), CATEGORICAL_VALUES)
def test_every_allowed_categorical_value_is_accepted(name: str, value: str):
    result = validate_record(make_student(**{name: value}), Target.REQUIRED)
    assert result.errors == []
    assert result.values[name] == value


@pytest.mark.parametrize("f", CATEGORICAL_FIELDS, ids=lambda f: f.name)
@pytest.mark.parametrize("raw", ["maybe", "X", "yes please", "G P"])
def test_an_unknown_categorical_value_fails_naming_the_field(f: schema.Field, raw: str):
    error = _only_error(validate_record(make_student(**{f.name: raw}), Target.REQUIRED).errors, f.name)
    assert error.reason == f"must be one of {', '.join(f.values)}"
    assert error.value == raw


@pytest.mark.parametrize("f", CATEGORICAL_FIELDS, ids=lambda f: f.name)
@pytest.mark.parametrize("raw", [1, 0, True, ["yes"], 3.5])
def test_a_non_text_value_for_a_categorical_fails_naming_the_field(f: schema.Field, raw: Any):
    error = _only_error(validate_record(make_student(**{f.name: raw}), Target.REQUIRED).errors, f.name)
    assert error.reason.startswith("must be one of")


@pytest.mark.parametrize(
    ("name", "raw", "canonical"),
    [("higher", " yes ", "yes"), ("higher", "YES", "yes"), ("romantic", "No", "no"), ("school", "gp", "GP"),
     ("school", " ms\t", "MS"), ("sex", "f", "F"), ("famsize", "le3", "LE3"), ("Pstatus", "a", "A"),
     ("Mjob", "AT_HOME", "at_home"), ("reason", "Reputation ", "reputation"), ("guardian", "FATHER", "father")],
)
def test_categorical_case_and_spaces_are_normalised_to_the_canonical_value(name: str, raw: str, canonical: str):
    result = validate_record(make_student(**{name: raw}), Target.REQUIRED)
    assert result.errors == []
    assert result.values[name] == canonical


@pytest.mark.parametrize(
    ("name", "raw", "canonical"),
    [("school", "gp", "GP"), ("age", " 16 ", 16), ("internet", " NO", "no"), ("absences", "0.0", 0)],
)
def test_clean_value_gives_the_canonical_form(name: str, raw: Any, canonical: Any):
    assert clean_value(schema.BY_NAME[name], raw) == (canonical, None)


# --------------------------------------------------------------------------- one record: presence


@pytest.mark.parametrize("name", schema.ATTRIBUTES)
@pytest.mark.parametrize("missing", ["absent", None, "", "   "])
def test_a_missing_attribute_is_required_naming_it(name: str, missing: Any):
    student = make_student()
    if missing == "absent":
        del student[name]
    else:
        student[name] = missing
    result = validate_record(student, Target.REQUIRED)
    error = _only_error(result.errors, name)
    assert error.reason == "is required"
    assert str(error) == f"{name}: is required"


def test_grades_are_optional_inputs():
    for student in (make_student(G2=None), make_student(G1=None, G2=None)):
        assert validate_record(student, Target.REQUIRED).errors == []


@pytest.mark.parametrize("g1", ["absent", None, ""])
def test_g2_without_g1_is_an_error_on_g2(g1: Any):
    student = make_student(G2=14)
    if g1 == "absent":
        del student["G1"]
    else:
        student["G1"] = g1
    error = _only_error(validate_record(student, Target.REQUIRED).errors, "G2")
    assert "without G1" in error.reason


@pytest.mark.parametrize(
    ("name", "hint"),
    [("abscences", "did you mean 'absences'?"), ("g1", "case-sensitive: did you mean 'G1'?"),
     ("SCHOOL", "case-sensitive: did you mean 'school'?"), ("studytim", "did you mean 'studytime'?"),
     ("colour", "fields are the UCI column names"), ("xyz", "fields are the UCI column names")],
)
def test_an_unknown_field_is_an_error_naming_it(name: str, hint: str):
    result = validate_record({**make_student(), name: 3}, Target.REQUIRED)
    error = _only_error(result.errors, name)
    assert error.reason.startswith("unknown field")
    assert hint in error.reason
    assert name not in result.values


def test_a_misspelt_field_does_not_hide_the_missing_one():
    student = make_student(absences=None)
    student["abscences"] = 4
    result = validate_record(student, Target.REQUIRED)
    assert _fields(result.errors) == {"abscences", "absences"}


def test_not_an_object_is_a_whole_record_error():
    result = validate_record(["GP", "F", 17], Target.IGNORED)  # type: ignore[arg-type]
    assert [e.field for e in result.errors] == [None]
    assert "object" in result.errors[0].reason


# --------------------------------------------------------------------------- one record: the target


@pytest.mark.parametrize("g3", ["absent", None, ""])
def test_required_target_needs_g3(g3: Any):
    student = make_student()
    if g3 == "absent":
        del student["G3"]
    else:
        student["G3"] = g3
    assert _only_error(validate_record(student, Target.REQUIRED).errors, "G3").reason == "is required"


def test_required_target_checks_g3_range():
    assert _only_error(validate_record(make_student(G3=21), Target.REQUIRED).errors, "G3")
    assert validate_record(make_student(G3="20"), Target.REQUIRED).values["G3"] == 20


@pytest.mark.parametrize("g3", [13, "13", 0, 99, "abc"])
def test_forbidden_target_rejects_any_g3(g3: Any):
    error = _only_error(validate_record(make_student(G3=g3), Target.FORBIDDEN).errors, "G3")
    assert "must be empty" in error.reason


@pytest.mark.parametrize("g3", ["absent", None, ""])
def test_forbidden_target_accepts_no_g3(g3: Any):
    student = make_student()
    if g3 == "absent":
        del student["G3"]
    else:
        student["G3"] = g3
    assert validate_record(student, Target.FORBIDDEN).errors == []


@pytest.mark.parametrize("g3", [13, 99, "abc", None])
def test_ignored_target_drops_g3(g3: Any):
    result = validate_record(make_student(G3=g3), Target.IGNORED)
    assert result.errors == []
    assert "G3" not in result.values
    assert set(result.values) == set(schema.INPUTS)


def test_default_target_is_ignored():
    result = validate_record(make_student(G3=99))
    assert result.ok and "G3" not in result.values


def test_valid_record_values_are_typed_and_complete():
    result = validate_record(make_student(age="16", higher=" YES ", G2=None), Target.REQUIRED)
    assert result.ok
    assert result.values["age"] == 16
    assert result.values["higher"] == "yes"
    assert result.values["G2"] is None
    assert set(result.values) == set(schema.BY_NAME)


def test_several_errors_are_all_returned():
    student = make_student(age=30, school="XX", Medu=None, higher=1, G1=None, G3=None)
    student["abscences"] = 2
    result = validate_record(student, Target.REQUIRED)
    assert not result.ok
    assert _fields(result.errors) == {"age", "school", "Medu", "higher", "abscences", "G2", "G3"}
    assert len(result.errors) == 7


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize("f", NUMERIC_FIELDS, ids=lambda f: f.name)
def test_table_checks_numeric_bounds_on_strings(f: schema.Field):
    values = [f.min_value, f.max_value, f.min_value - 1, f.max_value + 1, "x", f"{f.max_value}.5"]
    rows = [make_student(**{f.name: str(v)}) for v in values]
    result = validate_table(_table(rows), Target.REQUIRED)
    assert result.file_errors == []
    assert [(e.row, e.field) for e in result.errors] == [(4, f.name), (5, f.name), (6, f.name), (7, f.name)]
    assert result.errors[0].reason == f"must be from {f.min_value} to {f.max_value}"
    assert result.errors[0].value == str(f.min_value - 1)
    assert result.valid.tolist() == [True, True, False, False, False, False]
    column = result.frame[f.name]
    assert column.iloc[0] == f.min_value and column.iloc[1] == f.max_value
    assert column.iloc[2:].isna().all()


@pytest.mark.parametrize("f", CATEGORICAL_FIELDS, ids=lambda f: f.name)
def test_table_checks_categorical_values_and_normalises_them(f: schema.Field):
    raws = [*f.values, *(f" {v.upper()} " for v in f.values), "nope"]
    result = validate_table(_table([make_student(**{f.name: raw}) for raw in raws]), Target.REQUIRED)
    n = len(f.values)
    assert [(e.row, e.field) for e in result.errors] == [(2 * n + 2, f.name)]
    assert result.errors[0].reason == f"must be one of {', '.join(f.values)}"
    assert result.frame[f.name].iloc[: 2 * n].tolist() == list(f.values) * 2
    assert pd.isna(result.frame[f.name].iloc[-1])


def test_table_errors_carry_spreadsheet_row_numbers_in_row_order():
    rows = [make_student(age="30"), make_student(), make_student(school="XX", absences=""), make_student()]
    result = validate_table(_table(rows), Target.REQUIRED)
    assert [(e.row, e.field) for e in result.errors] == [(2, "age"), (4, "school"), (4, "absences")]
    assert str(result.errors[0]) == "row 2: age: must be from 15 to 22 (got '30')"
    assert result.errors[2].reason == "is required"
    assert result.valid.tolist() == [False, True, False, True]
    assert not result.ok


def test_a_valid_table_gives_a_typed_canonical_frame():
    rows = [make_student(higher="YES", age=" 16"), make_student(G1="", G2="")]
    result = validate_table(_table(rows), Target.REQUIRED)
    assert result.ok and result.valid.all()
    assert list(result.frame.columns) == ALL_COLUMNS
    assert result.frame["higher"].tolist() == ["yes", "yes"]
    assert result.frame["age"].tolist() == [16, 17]
    assert pd.isna(result.frame["G1"].iloc[1])
    assert str(result.frame["age"].dtype) == "Int64"


@pytest.mark.parametrize("missing", ["age", "school", "absences", "romantic"])
def test_table_with_a_missing_column_is_a_file_error(missing: str):
    columns = [c for c in ALL_COLUMNS if c != missing]
    result = validate_table(_table([make_student()] * 3, columns), Target.REQUIRED)
    assert [(e.field, e.reason) for e in result.file_errors] == [(missing, "column is missing")]
    assert not result.valid.any()
    assert not result.ok


def test_labelled_table_without_g3_column_says_it_needs_the_final_grade():
    columns = [c for c in ALL_COLUMNS if c != "G3"]
    result = validate_table(_table([make_student()], columns), Target.REQUIRED)
    error = _only_error(result.file_errors, "G3")
    assert "G3" in error.reason and "missing" in error.reason


@pytest.mark.parametrize("target", [Target.FORBIDDEN, Target.IGNORED])
def test_unlabelled_table_may_lack_g3_and_grades(target: Target):
    columns = list(schema.ATTRIBUTES)
    result = validate_table(_table([make_student()], columns), target)
    assert result.ok and result.valid.all()
    assert "G3" not in result.frame.columns


def test_table_with_a_duplicated_column_is_a_file_error():
    columns = [*ALL_COLUMNS, "age"]
    frame = pd.DataFrame([[_as_text(make_student().get(c)) for c in columns]], columns=columns)
    result = validate_table(frame, Target.REQUIRED)
    error = _only_error(result.file_errors, "age")
    assert "more than once" in error.reason
    assert not result.valid.any()


@pytest.mark.parametrize(("wrong", "right"), [("g1", "G1"), ("AGE", "age"), ("medu", "Medu")])
def test_table_with_a_case_mismatched_column_is_a_file_error(wrong: str, right: str):
    columns = [wrong if c == right else c for c in ALL_COLUMNS]
    result = validate_table(_table([{**make_student(), wrong: make_student()[right]}], columns), Target.REQUIRED)
    assert wrong in _fields(result.file_errors)
    error = next(e for e in result.file_errors if e.field == wrong)
    assert f"did you mean {right!r}" in error.reason
    assert wrong not in result.ignored_columns
    assert not result.valid.any()


def test_table_extra_columns_are_ignored_and_reported():
    columns = ["name", *ALL_COLUMNS, "class"]
    rows = [{**make_student(), "name": "Ana", "class": "12B"}, {**make_student(age="30"), "name": "Rui"}]
    result = validate_table(_table(rows, columns), Target.REQUIRED)
    assert result.file_errors == []
    assert result.ignored_columns == ["name", "class"]
    assert [(e.row, e.field) for e in result.errors] == [(3, "age")]
    assert "name" not in result.frame.columns


def test_table_g2_without_g1_is_an_error_on_g2_row():
    rows = [make_student(), make_student(G1=""), make_student(G1="", G2="")]
    result = validate_table(_table(rows), Target.REQUIRED)
    assert [(e.row, e.field) for e in result.errors] == [(3, "G2")]
    assert "without G1" in result.errors[0].reason


def test_table_with_a_g2_column_but_no_g1_column_flags_g2():
    columns = [c for c in ALL_COLUMNS if c != "G1"]
    rows = [make_student(), make_student(G2="")]
    result = validate_table(_table(rows, columns), Target.REQUIRED)
    assert result.file_errors == []
    assert [(e.row, e.field) for e in result.errors] == [(2, "G2")]
    assert result.valid.tolist() == [False, True]


def test_table_forbidden_target_rejects_filled_g3_cells_only():
    rows = [make_student(G3=""), make_student(G3="12"), make_student(G3="  ")]
    result = validate_table(_table(rows), Target.FORBIDDEN)
    assert [(e.row, e.field) for e in result.errors] == [(3, "G3")]
    assert "must be empty" in result.errors[0].reason
    assert "G3" not in result.frame.columns


def test_table_ignored_target_drops_g3_unchecked():
    result = validate_table(_table([make_student(G3="99")]), Target.IGNORED)
    assert result.ok
    assert "G3" not in result.frame.columns
    assert result.ignored_columns == []


def test_table_required_target_needs_each_g3_cell():
    result = validate_table(_table([make_student(), make_student(G3="")]), Target.REQUIRED)
    assert [(e.row, e.field, e.reason) for e in result.errors] == [(3, "G3", "is required")]


def test_table_accepts_numbers_as_well_as_strings():
    rows = [make_student(), make_student(age=18)]
    frame = pd.DataFrame(rows, columns=ALL_COLUMNS)
    result = validate_table(frame, Target.REQUIRED)
    assert result.ok
    assert result.frame["age"].tolist() == [17, 18]


def test_empty_table_with_all_columns_is_ok():
    result = validate_table(pd.DataFrame(columns=ALL_COLUMNS, dtype=object), Target.REQUIRED)
    assert result.ok
    assert len(result.frame) == 0 and result.valid.shape == (0,)


@pytest.mark.parametrize(("filename", "rows"), [("student-mat.csv", 395), ("student-por.csv", 649)])
def test_real_uci_files_validate_as_labelled_data(uci_dir: Path, filename: str, rows: int):
    table = read_students_csv((uci_dir / filename).read_bytes(), max_rows=10_000)
    result = validate_table(table.frame, Target.REQUIRED)
    assert result.file_errors == []
    assert result.errors == []
    assert result.ignored_columns == []
    assert result.valid.sum() == rows
    assert len(result.frame) == rows
    assert result.frame["G3"].notna().all()
    assert set(result.frame["school"]) == {"GP", "MS"}


def test_real_uci_file_as_unlabelled_data_rejects_every_g3(uci_dir: Path):
    table = read_students_csv((uci_dir / "student-mat.csv").read_bytes(), max_rows=10_000)
    result = validate_table(table.frame, Target.FORBIDDEN)
    assert result.file_errors == []
    assert _fields(result.errors) == {"G3"}
    assert len(result.errors) == 395
    assert [e.row for e in result.errors] == list(range(2, 397))


# --------------------------------------------------------------------------- record and table agree

MUTATIONS: list[dict[str, Any]] = [
    {},
    {"age": "14"},
    {"age": "23"},
    {"age": " 16 "},
    {"age": "16.0"},
    {"age": "16.5"},
    {"age": ""},
    {"absences": "94"},
    {"absences": "-1"},
    {"Medu": "abc"},
    {"school": "gp"},
    {"school": "XX"},
    {"higher": " YES "},
    {"higher": "maybe"},
    {"Mjob": "farmer", "Fjob": "AT_HOME"},
    {"G1": ""},
    {"G1": "", "G2": ""},
    {"G1": "", "G2": "25"},
    {"G1": "21", "G2": "3"},
    {"G3": ""},
    {"G3": "20"},
    {"G3": "-1"},
    {"sex": "", "address": "", "famsize": "x"},
    {"famrel": "0", "freetime": "6", "goout": "3", "Dalc": "1", "Walc": "5", "health": "1.0"},
    {"failures": "1e0", "traveltime": "4", "studytime": "+1"},
]


@pytest.mark.parametrize("target", [Target.REQUIRED, Target.FORBIDDEN, Target.IGNORED])
def test_table_and_record_agree_on_each_row(target: Target):
    rows = [{k: _as_text(v) for k, v in {**make_student(), **m}.items()} for m in MUTATIONS]
    table = validate_table(_table(rows), target)
    assert table.file_errors == []
    for i, row in enumerate(rows):
        record = validate_record(row, target)
        table_fields = {e.field for e in table.errors if e.row == i + 2}
        assert table_fields == _fields(record.errors), MUTATIONS[i]
        assert bool(table.valid[i]) == record.ok, MUTATIONS[i]
        if record.ok:
            typed = {k: (None if pd.isna(v) else v) for k, v in table.frame.iloc[i].to_dict().items()}
            # The table drops the G3 column unless it is the label; the record may keep G3: None.
            values = {k: v for k, v in record.values.items() if k in typed or v is not None}
            assert typed == values


def test_the_mutations_do_exercise_failures():
    """The agreement test is not vacuous: most mutated rows are invalid."""
    failing = [m for m in MUTATIONS if not validate_record({**make_student(), **m}, Target.REQUIRED).ok]
    assert len(failing) >= 15


# --------------------------------------------------------------------------- properties

_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-200, max_value=200),
    st.integers(),
    st.text(max_size=20),
    st.from_regex(r"\s*[+-]?\d{1,12}(\.0*)?\s*", fullmatch=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from([v for f in CATEGORICAL_FIELDS for v in f.values]),
    st.lists(st.integers(), max_size=2),
)
_KEYS = st.one_of(st.sampled_from(ALL_COLUMNS), st.text(min_size=1, max_size=12))
_NO_FIXTURE_CHECK = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_NO_FIXTURE_CHECK
@given(data=st.dictionaries(_KEYS, _VALUES, max_size=40), target=st.sampled_from(list(Target)))
def test_random_records_never_raise_and_every_error_names_a_field(data: dict[str, Any], target: Target):
    result = validate_record(data, target)
    for error in result.errors:
        assert error.field in schema.BY_NAME or error.field in data
        assert error.reason
        str(error)
        error.as_dict()
    if result.ok:
        assert all(result.values[name] is not None for name in schema.ATTRIBUTES)
    for name in schema.ATTRIBUTES:
        if name not in data:
            assert name in _fields(result.errors)


@_NO_FIXTURE_CHECK
@given(
    overrides=st.dictionaries(
        st.sampled_from(ALL_COLUMNS),
        st.one_of(st.text(max_size=8), st.integers(-5, 100).map(str), st.sampled_from(["", " yes", "GP", "m"])),
        max_size=6,
    ),
    target=st.sampled_from(list(Target)),
)
def test_random_rows_fail_the_same_fields_in_table_and_record(overrides: dict[str, str], target: Target):
    row = {k: _as_text(v) for k, v in {**make_student(), **overrides}.items()}
    record = validate_record(row, target)
    table = validate_table(_table([row]), target)
    assert table.file_errors == []
    assert {e.field for e in table.errors} == _fields(record.errors)
    assert all(e.row == 2 for e in table.errors)
    assert bool(table.valid[0]) == record.ok


@_NO_FIXTURE_CHECK
@given(st.integers())
def test_any_integer_is_accepted_exactly_when_in_range(number: int):
    for f in NUMERIC_FIELDS:
        value, reason = clean_value(f, number)
        assert (reason is None) == (f.min_value <= number <= f.max_value)
        value_text, reason_text = clean_value(f, str(number))
        assert (value_text, reason_text is None) == (value, reason is None)


def test_kinds_match_the_clean_values():
    for f in schema.FIELDS:
        good = f.values[0] if f.kind is Kind.CATEGORICAL else f.min_value
        assert clean_value(f, good) == (good, None)
