"""Property-based tests of the schema validation: ``validate_record`` and ``validate_table``.

Properties: nothing but a result comes back (no exception) whatever the input; every error
names a field (and, in a table, a row) and a reason, in a body that is valid JSON; a valid
student validates to the same canonical values however it is spelt and ordered; each bound
is accepted and the next value refused, naming the field; and the record and table paths
judge the same rows the same way.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from hypothesis import assume, given
from hypothesis import strategies as st

from predictions import schema
from predictions.schema import Kind
from predictions.validation import FieldError, Target, validate_record, validate_table
from tests.fuzz.examples import EXAMPLES
from tests.fuzz.strategies import FIELDS, JUNK, bound_values, canonical_values, fuzz_settings, spelling

TARGETS = st.sampled_from(list(Target))
KNOWN = set(schema.BY_NAME)
# Keys a record may carry: schema names, near misses, case variants and random text.
KEYS = st.one_of(
    st.sampled_from(list(schema.BY_NAME)),
    st.sampled_from([n.lower() for n in schema.BY_NAME] + [n.upper() for n in schema.BY_NAME]),
    st.sampled_from(["abscences", "Age", "g1", "scool", "name", "", " ", "G3 ", "__proto__"]),
    st.text(max_size=10),
)


def _check_errors(errors: list[FieldError], *, table: bool = False, keys: Any = ()) -> None:
    """Every error names a field and a reason (and a row in a table) and serialises to strict JSON.

    A field name is empty only when the input has a key that is the empty string (``keys``).
    """
    for error in errors:
        assert isinstance(error.field, str) and (error.field or error.field in keys), error
        assert isinstance(error.reason, str) and error.reason.strip(), error
        if table:
            assert isinstance(error.row, int) and error.row >= 2, error
    # The API sends these; strict JSON has no NaN or Infinity.
    json.dumps([e.as_dict() for e in errors], allow_nan=False)


def _student(canonical: dict[str, Any], draw: st.DrawFn, *, as_text: bool) -> dict[str, Any]:
    """``canonical`` spelt in random accepted ways, keys in a random order; absent grades left out or blank."""
    spelt: dict[str, Any] = {}
    for f in FIELDS:
        value = canonical[f.name]
        if value is None and draw(st.booleans()):
            continue
        spelt[f.name] = draw(spelling(f, value, as_text=as_text))
    order = draw(st.permutations(list(spelt)))
    return {name: spelt[name] for name in order}


def _expected(canonical: dict[str, Any]) -> dict[str, Any]:
    return {name: canonical[name] for name in schema.INPUTS}


@fuzz_settings()
@given(data=st.one_of(st.dictionaries(KEYS, st.one_of(JUNK, st.none()), max_size=40),
                      st.dictionaries(st.sampled_from(list(schema.BY_NAME)), JUNK, min_size=25)),
       target=TARGETS)
def test_any_object_validates_without_raising_and_names_each_problem(data: dict[str, Any], target: Target):
    EXAMPLES["validate_record: random objects"] += 1

    result = validate_record(data, target)

    assert result.ok == (not result.errors)
    _check_errors(result.errors, keys=data)
    for error in result.errors:
        assert error.field in KNOWN or error.field in data, error


@fuzz_settings()
@given(data=st.one_of(JUNK, st.lists(JUNK, max_size=3), st.none()))
def test_anything_but_an_object_is_one_whole_record_error(data: Any):
    EXAMPLES["validate_record: non-objects"] += 1
    assume(not isinstance(data, dict))

    result = validate_record(data)

    assert [(e.field, e.reason) for e in result.errors] == [
        (None, "expected an object with one student's fields")]


@fuzz_settings()
@given(canonical=canonical_values(), data=st.data())
def test_a_valid_student_gives_the_same_canonical_values_as_text_or_numbers_in_any_order(
        canonical: dict[str, Any], data: st.DataObject):
    EXAMPLES["validate_record: valid students, any spelling and order"] += 1
    as_text = _student(canonical, data.draw, as_text=True)
    mixed = _student(canonical, data.draw, as_text=False)

    for student in (as_text, mixed):
        result = validate_record(student)
        assert result.errors == [], [str(e) for e in result.errors]
        assert result.values == _expected(canonical)


@fuzz_settings()
@given(canonical=canonical_values(), f=st.sampled_from(FIELDS), data=st.data())
def test_each_bound_is_accepted_and_the_next_value_refused_naming_the_field(
        canonical: dict[str, Any], f: Any, data: st.DataObject):
    EXAMPLES["validate_record: values at and beyond each bound"] += 1
    value, accepted = data.draw(bound_values(f))
    student = {**canonical, "G1": canonical["G1"] or 10, "G2": canonical["G2"] or 11, f.name: value}

    result = validate_record(student)

    if accepted:
        assert result.ok, [str(e) for e in result.errors]
    else:
        assert [e.field for e in result.errors] == [f.name], [str(e) for e in result.errors]
        allowed = ", ".join(f.values) if f.kind is Kind.CATEGORICAL else f"from {f.min_value} to {f.max_value}"
        assert allowed in result.errors[0].reason
        _check_errors(result.errors)


@fuzz_settings()
@given(canonical=canonical_values(), f=st.sampled_from(FIELDS), junk=JUNK)
def test_one_bad_value_is_reported_on_its_field_only(canonical: dict[str, Any], f: Any, junk: Any):
    EXAMPLES["validate_record: one junk value"] += 1
    student = {**canonical, f.name: junk}

    result = validate_record(student)

    _check_errors(result.errors)
    # Blanking G1 while G2 is given also makes G2 an error (G2 needs G1).
    named = {f.name} | ({"G2"} if f.name == "G1" and canonical["G2"] is not None else set())
    assert {e.field for e in result.errors} <= named, [str(e) for e in result.errors]
    if result.ok:
        assert result.values[f.name] is None or result.values[f.name] == validate_record(
            {**canonical, f.name: result.values[f.name]}).values[f.name]


@fuzz_settings()
@given(canonical=canonical_values(),
       dropped=st.sets(st.sampled_from(schema.ATTRIBUTES), max_size=4),
       extra=st.dictionaries(KEYS.filter(lambda k: k not in KNOWN), JUNK, max_size=3))
def test_missing_and_unknown_fields_are_each_named(canonical: dict[str, Any], dropped: set[str],
                                                    extra: dict[str, Any]):
    EXAMPLES["validate_record: missing and unknown fields"] += 1
    student = {k: v for k, v in canonical.items() if k not in dropped} | extra

    result = validate_record(student)

    _check_errors(result.errors, keys=extra)
    assert sorted((e.field, e.reason.split(";")[0]) for e in result.errors) == sorted(
        [(name, "is required") for name in dropped] + [(name, "unknown field") for name in extra])


# --- tables -----------------------------------------------------------------------------------

def _cells(draw: st.DrawFn, canonical: dict[str, Any], columns: list[str], *, text: bool) -> dict[str, Any]:
    """A row for ``columns``: mostly valid spellings, sometimes junk, as a file (text) or JSON gives them."""
    row: dict[str, Any] = {}
    for name in columns:
        f = schema.BY_NAME.get(name)
        if f is None:  # an extra column (a pupil's name, say)
            row[name] = draw(st.text(max_size=8))
            continue
        value = canonical.get(name) if name != schema.TARGET else draw(st.integers(0, 20))
        if draw(st.integers(0, 9)) == 0:
            junk = draw(st.one_of(JUNK, st.none()))
            row[name] = ("" if junk is None else str(junk)) if text else junk
        else:
            good = draw(spelling(f, value, as_text=text))
            row[name] = "" if good is None and text else good
    return row


@st.composite
def tables(draw: st.DrawFn, *, text: bool) -> tuple[pd.DataFrame, Target]:
    target = draw(TARGETS)
    names = list(schema.INPUTS) + ([schema.TARGET] if target is not Target.IGNORED or draw(st.booleans()) else [])
    extras = draw(st.lists(st.sampled_from(["name", "class", "", "notes", "G4"]), max_size=2, unique=True))
    columns = draw(st.permutations(names + extras))
    rows = [_cells(draw, draw(canonical_values()), columns, text=text)
            for _ in range(draw(st.integers(0, 8)))]
    frame = pd.DataFrame(rows, columns=columns) if text else pd.DataFrame.from_records(rows, columns=columns)
    return frame, target


def _agree(frame: pd.DataFrame, target: Target) -> None:
    result = validate_table(frame, target)
    assert result.file_errors == []
    _check_errors(result.errors, table=True)
    assert list(result.frame.index) == list(range(len(frame)))
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for i, raw in enumerate(records):
        student = {k: v for k, v in raw.items() if k in schema.BY_NAME}
        record = validate_record(student, target)
        table_errors = sorted((e.field, e.reason, str(e.value)) for e in result.errors if e.row == i + 2)
        record_errors = sorted((e.field, e.reason, str(e.value)) for e in record.errors)
        assert table_errors == record_errors, (student, table_errors, record_errors)
        assert bool(result.valid[i]) == record.ok
        if record.ok:
            row = {k: (None if pd.isna(v) else v) for k, v in result.frame.iloc[i].items()}
            assert row == record.values


@fuzz_settings(scale=0.5)
@given(case=tables(text=True))
def test_table_and_record_agree_on_every_row_of_a_file(case: tuple[pd.DataFrame, Target]):
    EXAMPLES["validate_table vs validate_record: text tables (files)"] += 1
    _agree(*case)


@fuzz_settings(scale=0.5)
@given(case=tables(text=False))
def test_table_and_record_agree_on_every_row_of_a_json_list(case: tuple[pd.DataFrame, Target]):
    """The batch API validates 64 students or more as a table of JSON values; it must judge as records do."""
    EXAMPLES["validate_table vs validate_record: JSON-typed tables"] += 1
    _agree(*case)


@fuzz_settings()
@given(columns=st.lists(st.one_of(KEYS, st.sampled_from(list(schema.BY_NAME))), max_size=40),
       target=TARGETS, data=st.data())
def test_any_header_gives_file_errors_naming_columns_or_a_usable_table(columns: list[str], target: Target,
                                                                       data: st.DataObject):
    EXAMPLES["validate_table: random headers"] += 1
    cells = data.draw(st.lists(st.lists(st.one_of(st.text(max_size=4), JUNK.map(str)),
                                        min_size=len(columns), max_size=len(columns)), max_size=4))
    frame = pd.DataFrame(cells, columns=columns, dtype=object) if cells else pd.DataFrame(columns=columns)

    result = validate_table(frame, target)

    for error in result.file_errors:
        # A file error names a column of this header (duplicate, unknown) or a schema field (missing).
        assert error.field in set(columns) | KNOWN and error.reason and error.row is None, error
    _check_errors(result.errors, table=True)
    if result.file_errors:
        assert not result.valid.any()
    assert set(result.ignored_columns) <= set(columns) - KNOWN
