"""Synthetic students: schema-valid, reproducible, realistic in structure, shiftable on purpose."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from predictions import schema
from predictions.csvfiles import read_students_csv
from predictions.generator import SHIFTS, generate_students, write_students_csv
from predictions.validation import Target, validate_table

N = 20_000
UNRELATED = ("age", "sex", "Medu", "reason", "famrel", "goout", "health")


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return generate_students(N, seed=1)


@pytest.fixture(scope="module")
def shifted() -> dict[str, pd.DataFrame]:
    # A different seed from ``base``: compare distributions, not the same random draws.
    return {name: generate_students(N, seed=2, shift=name) for name in SHIFTS}


def _tv(a: pd.Series, b: pd.Series) -> float:
    """Total variation distance between two empirical distributions (0 same … 1 disjoint)."""
    p, q = a.value_counts(normalize=True), b.value_counts(normalize=True)
    return float(p.subtract(q, fill_value=0).abs().sum() / 2)


# --------------------------------------------------------------------------- validity, reproducibility


@pytest.mark.parametrize("shift", [None, *SHIFTS])
def test_generated_rows_all_pass_validation_as_labelled_data(shift: str | None):
    frame = generate_students(N, seed=7, shift=shift)
    assert list(frame.columns) == list(schema.BY_NAME)
    assert len(frame) == N
    result = validate_table(frame, Target.REQUIRED)
    assert result.file_errors == []
    assert result.errors == []
    assert result.valid.all()
    assert result.ignored_columns == []


def test_generated_rows_pass_validation_as_strings(base: pd.DataFrame):
    """As a file would deliver them: every cell text."""
    result = validate_table(base.head(2_000).astype(str), Target.REQUIRED)
    assert result.ok


def test_generated_values_use_every_category_and_stay_in_range(base: pd.DataFrame):
    for name in schema.CATEGORICAL:
        assert set(base[name]) == set(schema.BY_NAME[name].values), name
    for name in schema.NUMERIC:
        f = schema.BY_NAME[name]
        assert base[name].min() >= f.min_value and base[name].max() <= f.max_value, name
        assert base[name].nunique() > 1, name
    assert not base.isna().any().any()


@pytest.mark.parametrize("shift", [None, *SHIFTS])
def test_same_seed_gives_an_identical_frame(shift: str | None):
    pd.testing.assert_frame_equal(generate_students(2_000, 5, shift), generate_students(2_000, 5, shift))


@pytest.mark.parametrize("shift", [None, "absences"])
def test_different_seeds_give_different_frames(shift: str | None):
    a, b = generate_students(2_000, 5, shift), generate_students(2_000, 6, shift)
    assert not a.equals(b)
    # Not a relabelling of the same rows: most rows differ somewhere.
    assert (a != b).any(axis=1).mean() > 0.9


def test_a_prefix_is_not_repeated_data():
    frame = generate_students(5_000, 3)
    assert frame.duplicated().mean() < 0.01


def test_zero_rows_gives_an_empty_frame_with_every_column():
    frame = generate_students(0, 1)
    assert frame.shape == (0, 33)
    assert list(frame.columns) == list(schema.BY_NAME)


def test_negative_rows_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        generate_students(-1, 1)


def test_an_unknown_shift_is_refused_naming_the_choices():
    with pytest.raises(ValueError) as info:
        generate_students(10, 1, shift="weather")
    assert "weather" in str(info.value)
    for name in SHIFTS:
        assert name in str(info.value)


# --------------------------------------------------------------------------- shifts


def test_the_documented_shift_presets_exist():
    assert set(SHIFTS) == {"absences", "study", "school-mix", "term", "harder-year"}
    for shift in SHIFTS.values():
        assert shift.description
        assert set(shift.features) <= set(schema.ATTRIBUTES)


@pytest.mark.parametrize("name", ["absences", "term"])
def test_absence_shifts_raise_mean_absences(base: pd.DataFrame, shifted: dict[str, pd.DataFrame], name: str):
    increase = shifted[name]["absences"].mean() - base["absences"].mean()
    assert 6 < increase < 10  # "about 8 more per student"
    assert shifted[name]["absences"].max() <= 93


@pytest.mark.parametrize("name", ["study", "term"])
def test_study_shifts_lower_mean_studytime(base: pd.DataFrame, shifted: dict[str, pd.DataFrame], name: str):
    frame = shifted[name]
    assert frame["studytime"].mean() < base["studytime"].mean() - 0.3
    assert (frame["studytime"] == 1).mean() > (base["studytime"] == 1).mean() + 0.15
    assert frame["studytime"].min() >= 1


def test_school_mix_shift_raises_the_ms_share(base: pd.DataFrame, shifted: dict[str, pd.DataFrame]):
    before = (base["school"] == "MS").mean()
    after = (shifted["school-mix"]["school"] == "MS").mean()
    assert 0.30 < before < 0.40  # about 35%
    assert 0.67 < after < 0.73  # 70%


@pytest.mark.parametrize("name", list(SHIFTS))
def test_each_shift_changes_its_features_and_leaves_the_others(
    base: pd.DataFrame, shifted: dict[str, pd.DataFrame], name: str
):
    frame = shifted[name]
    for feature in SHIFTS[name].features:
        assert _tv(base[feature], frame[feature]) > 0.2, feature
    for feature in schema.ATTRIBUTES:
        if feature not in SHIFTS[name].features:
            assert _tv(base[feature], frame[feature]) < 0.03, feature


@pytest.mark.parametrize("name", list(SHIFTS))
@pytest.mark.parametrize("feature", UNRELATED)
def test_shifts_leave_an_unrelated_distribution_alone(
    base: pd.DataFrame, shifted: dict[str, pd.DataFrame], name: str, feature: str
):
    assert _tv(base[feature], shifted[name][feature]) < 0.02
    if feature in schema.NUMERIC:
        assert abs(base[feature].mean() - shifted[name][feature].mean()) < 0.05


@pytest.mark.parametrize("name", ["absences", "study", "term"])
def test_harder_shifts_lower_the_grades(base: pd.DataFrame, shifted: dict[str, pd.DataFrame], name: str):
    assert shifted[name]["G3"].mean() < base["G3"].mean() - 0.1


# --------------------------------------------------------------------------- grades


def test_period_grades_follow_each_other(base: pd.DataFrame):
    assert base["G2"].corr(base["G3"]) > 0.8
    assert base["G1"].corr(base["G2"]) > 0.8
    assert base["G1"].corr(base["G3"]) > 0.7


def test_a_share_of_students_drop_out_with_g3_zero(base: pd.DataFrame):
    share = (base["G3"] == 0).mean()
    assert 0.01 < share < 0.15
    # Drop-outs show in G3, not as students who never got a first-period grade.
    assert (base["G1"] == 0).mean() < share


def test_past_failures_lower_the_final_grade(base: pd.DataFrame):
    failed = base.loc[base["failures"] > 0, "G3"].mean()
    never = base.loc[base["failures"] == 0, "G3"].mean()
    assert failed < never - 1
    assert (base["failures"] > 0).mean() > 0.05  # the comparison is between real groups


def test_wanting_higher_education_goes_with_better_grades(base: pd.DataFrame):
    means = base.groupby("higher")["G3"].mean()
    assert means["yes"] > means["no"] + 1


def test_more_study_time_goes_with_better_grades(base: pd.DataFrame):
    means = base.groupby("studytime")["G3"].mean()
    assert means[4] > means[1]


def test_pass_rate_is_plausible(base: pd.DataFrame):
    passed = (base["G3"] >= schema.PASS_MARK).mean()
    assert 0.5 < passed < 0.9


def test_generated_students_resemble_the_real_portuguese_class(uci_dir: Path, base: pd.DataFrame):
    """Built from published facts only, yet close to the real data in its marginals."""
    real = validate_table(read_students_csv((uci_dir / "student-por.csv").read_bytes(), max_rows=10_000).frame,
                          Target.REQUIRED).frame
    for name in schema.CATEGORICAL:
        assert _tv(base[name], real[name].astype(object)) < 0.1, name
    for name in schema.ATTRIBUTES:
        if name in schema.NUMERIC:
            assert abs(base[name].mean() - real[name].astype(float).mean()) < 0.5, name
    assert abs(base["G3"].mean() - real["G3"].astype(float).mean()) < 1.5


# --------------------------------------------------------------------------- files


def test_uci_format_file_round_trips(tmp_path: Path, base: pd.DataFrame):
    frame = base.head(500)
    path = tmp_path / "students.csv"
    write_students_csv(frame, str(path))
    data = path.read_bytes()
    header, first = data.decode("utf-8").splitlines()[:2]
    assert ";" in header and "," not in header
    assert first.startswith(f'"{frame.loc[0, "school"]}";"{frame.loc[0, "sex"]}";{frame.loc[0, "age"]};')
    table = read_students_csv(data, max_rows=1_000)
    assert table.delimiter == ";"
    result = validate_table(table.frame, Target.REQUIRED)
    assert result.ok
    back = result.frame.astype(object)
    pd.testing.assert_frame_equal(back, frame.astype(object), check_dtype=False)


def test_comma_format_file_round_trips(tmp_path: Path, base: pd.DataFrame):
    frame = base.head(500)
    path = tmp_path / "students.csv"
    write_students_csv(frame, str(path), uci_format=False)
    data = path.read_bytes()
    assert b'"' not in data
    table = read_students_csv(data, max_rows=1_000)
    assert table.delimiter == ","
    result = validate_table(table.frame, Target.REQUIRED)
    assert result.ok
    pd.testing.assert_frame_equal(result.frame.astype(object), frame.astype(object), check_dtype=False)


def test_the_harder_year_grades_the_final_exam_lower_and_nothing_else():
    plain, harder = generate_students(3000, seed=4), generate_students(3000, seed=4, shift="harder-year")
    term = generate_students(3000, seed=4, shift="term")

    # The same students as the "term" shift up to G2; only G3 is regraded, 1-3 points lower.
    assert harder.drop(columns="G3").equals(term.drop(columns="G3"))
    drop = term["G3"] - harder["G3"]
    assert set(drop[term["G3"] >= 3].unique()) == {1, 2, 3}
    assert (harder.loc[term["G3"] == 0, "G3"] == 0).all()  # drop-outs stay at 0
    assert plain["G3"].mean() - harder["G3"].mean() > 2
