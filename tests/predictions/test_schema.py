"""The student schema: the 33 UCI columns, their documented values, ranges and the model tracks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from predictions import schema
from predictions.schema import FIELDS, Kind, Role, Track, track_for, track_inputs

UCI_HEADER = (
    "school;sex;age;address;famsize;Pstatus;Medu;Fedu;Mjob;Fjob;reason;guardian;traveltime;studytime;"
    "failures;schoolsup;famsup;paid;activities;nursery;higher;internet;romantic;famrel;freetime;goout;"
    "Dalc;Walc;health;absences;G1;G2;G3"
).split(";")

YES_NO = ("schoolsup", "famsup", "paid", "activities", "nursery", "higher", "internet", "romantic")

DOCUMENTED_VALUES = {
    "school": {"GP", "MS"},
    "sex": {"F", "M"},
    "address": {"U", "R"},
    "famsize": {"LE3", "GT3"},
    "Pstatus": {"T", "A"},
    "Mjob": {"teacher", "health", "services", "at_home", "other"},
    "Fjob": {"teacher", "health", "services", "at_home", "other"},
    "reason": {"home", "reputation", "course", "other"},
    "guardian": {"mother", "father", "other"},
    **{name: {"yes", "no"} for name in YES_NO},
}

DOCUMENTED_BOUNDS = {
    "age": (15, 22),
    "Medu": (0, 4),
    "Fedu": (0, 4),
    "traveltime": (1, 4),
    "studytime": (1, 4),
    "failures": (0, 4),
    "famrel": (1, 5),
    "freetime": (1, 5),
    "goout": (1, 5),
    "Dalc": (1, 5),
    "Walc": (1, 5),
    "health": (1, 5),
    "absences": (0, 93),
    "G1": (0, 20),
    "G2": (0, 20),
    "G3": (0, 20),
}


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle, delimiter=";"))


def test_there_are_33_fields_30_attributes_two_grades_and_the_target():
    assert len(FIELDS) == 33
    assert len(schema.ATTRIBUTES) == 30
    assert schema.GRADES == ("G1", "G2")
    assert schema.TARGET == "G3"
    assert [f.name for f in FIELDS if f.role is Role.TARGET] == ["G3"]
    assert [f.name for f in FIELDS if f.role is Role.GRADE] == ["G1", "G2"]
    assert schema.INPUTS == schema.ATTRIBUTES + ("G1", "G2")


def test_field_names_are_unique_and_in_uci_order():
    names = [f.name for f in FIELDS]
    assert len(set(names)) == len(names)
    assert names == UCI_HEADER
    assert list(schema.BY_NAME) == names


@pytest.mark.parametrize("filename", ["student-mat.csv", "student-por.csv"])
def test_field_names_equal_the_header_of_the_real_uci_files(uci_dir: Path, filename: str):
    assert _header(uci_dir / filename) == [f.name for f in FIELDS]


@pytest.mark.parametrize("filename", ["student-mat.csv", "student-por.csv"])
def test_real_uci_values_lie_within_the_schema(uci_dir: Path, filename: str):
    """Every value seen in the real files is allowed by the schema (and the kinds match)."""
    with (uci_dir / filename).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert rows
    for f in FIELDS:
        seen = {row[f.name] for row in rows}
        if f.kind is Kind.CATEGORICAL:
            assert seen <= set(f.values), f.name
        else:
            numbers = {int(v) for v in seen}
            assert min(numbers) >= f.min_value and max(numbers) <= f.max_value, f.name


@pytest.mark.parametrize("f", FIELDS, ids=lambda f: f.name)
def test_every_field_has_a_label_and_help_text(f: schema.Field):
    assert f.label.strip()
    assert f.help_text.strip()
    assert f.label != f.name or f.name in {"G1", "G2", "G3"}  # a human label, not the column code
    assert isinstance(f.group, schema.Group)


@pytest.mark.parametrize("name", sorted(DOCUMENTED_VALUES))
def test_categorical_fields_have_the_documented_uci_values(name: str):
    f = schema.BY_NAME[name]
    assert f.kind is Kind.CATEGORICAL
    assert set(f.values) == DOCUMENTED_VALUES[name]
    assert len(f.values) == len(DOCUMENTED_VALUES[name])  # no duplicates
    assert all(meaning.strip() for _, meaning in f.choices)
    assert f.min_value is None and f.max_value is None


def test_categorical_and_numeric_fields_partition_the_schema():
    assert set(schema.CATEGORICAL) == set(DOCUMENTED_VALUES)
    assert set(schema.NUMERIC) == set(DOCUMENTED_BOUNDS)
    assert len(schema.CATEGORICAL) + len(schema.NUMERIC) == 33


@pytest.mark.parametrize(("name", "bounds"), sorted(DOCUMENTED_BOUNDS.items()))
def test_numeric_fields_have_the_documented_bounds(name: str, bounds: tuple[int, int]):
    f = schema.BY_NAME[name]
    assert f.kind is Kind.NUMERIC
    assert (f.min_value, f.max_value) == bounds
    assert f.choices == ()
    assert f.describe_allowed() == f"a whole number from {bounds[0]} to {bounds[1]}"


@pytest.mark.parametrize("f", [f for f in FIELDS if f.scale], ids=lambda f: f.name)
def test_coded_scales_describe_every_code_in_range(f: schema.Field):
    codes = [code for code, _ in f.scale]
    assert codes == list(range(f.min_value, f.max_value + 1))
    assert all(text.strip() for _, text in f.scale)


def test_categorical_describe_allowed_lists_the_values():
    assert schema.BY_NAME["school"].describe_allowed() == "one of GP, MS"
    assert schema.BY_NAME["higher"].describe_allowed() == "one of yes, no"


def test_only_attributes_are_required():
    required = {f.name for f in FIELDS if f.required}
    assert required == set(schema.ATTRIBUTES)
    assert not schema.BY_NAME["G1"].required
    assert not schema.BY_NAME["G2"].required
    assert not schema.BY_NAME["G3"].required


@pytest.mark.parametrize(
    ("track", "grades"),
    [(Track.A, ("G1", "G2")), (Track.B, ("G1",)), (Track.C, ()), ("A", ("G1", "G2")), ("C", ())],
)
def test_track_inputs_are_the_attributes_plus_the_tracks_grades(track, grades):
    inputs = track_inputs(track)
    assert inputs == schema.ATTRIBUTES + grades
    assert "G3" not in inputs
    assert len(inputs) == 30 + len(grades)
    # In schema order.
    order = [f.name for f in FIELDS]
    assert list(inputs) == sorted(inputs, key=order.index)


def test_track_inputs_rejects_an_unknown_track():
    with pytest.raises(ValueError):
        track_inputs("D")


@pytest.mark.parametrize(
    ("g1", "g2", "track"),
    [(12, 13, Track.A), (0, 0, Track.A), (12, None, Track.B), (0, None, Track.B), (None, None, Track.C)],
)
def test_track_for_picks_the_track_by_the_grades_given(g1, g2, track):
    assert track_for(g1, g2) is track
