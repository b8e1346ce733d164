"""`manage.py train` and `manage.py evaluate`."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from predictions.generator import generate_students
from predictions.schema import Track
from registry import services as registry
from registry.entities import Status
from retraining.evaluation import cross_validate
from retraining.training import HOLDOUT_SHARE, split_holdout, window_load
from tests.builders import import_labelled, labelled_students_csv


def train(*args: str) -> str:
    out = io.StringIO()
    call_command("train", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_first_training_makes_every_track_a_champion():
    import_labelled(labelled_students_csv(300))

    out = train("--by", "ops")

    for track in "ABC":
        champion = registry.champion_get(track)
        assert champion.version == 1 and champion.status is Status.CHAMPION and champion.created_by == "ops"
        assert f"{track}: version 1 champion" in out
        assert set(champion.metrics) == {"mae", "rmse", "r2"}
        assert champion.holdout["rows"] == round(300 * HOLDOUT_SHARE)
        assert champion.holdout["naive_mae"] > 0 and champion.holdout["champion_mae"] is None
        assert champion.window["rows"] == 300


def test_second_training_registers_candidates_scored_against_the_champion(settings):
    # Without refit the champion never saw this holdout either (with refit it has: see the README).
    settings.TRAINING_REFIT = False
    import_labelled(labelled_students_csv(300))
    train()

    train()

    for track in "ABC":
        second = registry.model_version_get(track, 2)
        assert second.status is Status.CANDIDATE
        assert registry.champion_get(track).version == 1
        # Same window, same seed: the champion's MAE on the same holdout equals the challenger's.
        assert second.holdout["champion_mae"] == pytest.approx(second.metrics["mae"])
        assert second.holdout["champion_version"] == 1


def test_the_window_is_the_most_recent_rows_in_arrival_order():
    import_labelled(labelled_students_csv(200, seed=1), "old.csv")
    import_labelled(labelled_students_csv(100, seed=2), "new.csv")

    window = window_load(150)

    assert window.rows == 150
    assert (window.frame["ingested_at"].diff().dropna() >= np.timedelta64(0)).all()
    newest = generate_students(100, seed=2)
    assert window.frame["absences"].tail(100).tolist() == newest["absences"].tolist()


def test_too_few_labelled_rows_is_a_clear_error():
    import_labelled(labelled_students_csv(20))

    with pytest.raises(CommandError, match="20 labelled rows stored, fewer than 50"):
        train()
    assert registry.champion_get("A") is None


def test_evaluate_prints_every_track(tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(labelled_students_csv(150))
    out = io.StringIO()

    call_command("evaluate", "--data", str(path), "--runs", "2", "--folds", "3", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "students.csv: 150 rows, 2 x 3-fold cross-validation"
    assert [line.split()[0] for line in lines[2:]] == ["A", "B", "C"]


def test_evaluate_refuses_a_bad_file(tmp_path):
    path = tmp_path / "bad.csv"
    header, first, rest = labelled_students_csv(50).split(b"\n", 2)
    path.write_bytes(header + b"\n" + b"XX" + first[2:] + b"\n" + rest)

    with pytest.raises(CommandError, match="1 problems, e.g. row 2: school"):
        call_command("evaluate", "--data", str(path), stdout=io.StringIO())


def test_naive_baselines_match_the_paper_on_real_data(uci_dir):
    """The protocol reproduces Cortez & Silva's naive RMSE (Table 5) on both subjects."""
    import pandas as pd

    published = {("mat", Track.A): 2.01, ("mat", Track.B): 2.80, ("mat", Track.C): 4.59,
                 ("por", Track.A): 1.32, ("por", Track.B): 1.89, ("por", Track.C): 3.23}
    for (subject, track), rmse in published.items():
        frame = pd.read_csv(uci_dir / f"student-{subject}.csv", sep=";")
        result = cross_validate(frame, track, runs=2, folds=10, factory=_mean_model)
        assert result.naive.rmse_mean == pytest.approx(rmse, abs=0.01)


def _mean_model(track):
    from sklearn.dummy import DummyRegressor

    return DummyRegressor()


def _school_sorted_csv(rows: int, seed: int) -> bytes:
    """Like the UCI Portuguese file: one school's rows, then the other's."""
    import io as _io

    students = generate_students(rows, seed=seed)
    students["school"] = ["GP"] * (rows - rows // 3) + ["MS"] * (rows // 3)
    buffer = _io.StringIO()
    students.to_csv(buffer, sep=";", index=False)
    return buffer.getvalue().encode()


def test_one_files_holdout_is_a_random_sample_of_it_not_its_last_rows():
    import_labelled(_school_sorted_csv(300, seed=3))
    frame = window_load().frame

    train_part, holdout = split_holdout(frame)

    assert len(holdout) == 60 and len(train_part) == 240
    schools = holdout["school"].value_counts()
    assert 25 <= schools["GP"] <= 55 and 5 <= schools["MS"] <= 35  # file order: all 60 would be MS
    assert holdout.index.min() < 200  # not the file's tail
    again_train, again = split_holdout(window_load().frame)
    assert again["record_id"].tolist() == holdout["record_id"].tolist()
    assert set(again_train["record_id"]).isdisjoint(again["record_id"])


def test_the_newest_arrival_is_held_out_before_any_older_row():
    import_labelled(labelled_students_csv(300, seed=1), "old.csv")
    import_labelled(labelled_students_csv(50, seed=2), "new.csv")
    frame = window_load().frame
    newest_batch = frame["batch_id"].iloc[-1]

    _train, holdout = split_holdout(frame)

    assert len(holdout) == 70
    assert (holdout["batch_id"] == newest_batch).sum() == 50  # all of the new file, and 20 old rows


def test_a_version_records_its_holdout_rule():
    import_labelled(labelled_students_csv(120))
    train()

    split = registry.champion_get("A").holdout["split"]
    assert split["rule"] == "arrival-then-hash" and split["share"] == HOLDOUT_SHARE


def test_every_version_stores_its_candidates_and_the_chosen_one():
    import_labelled(labelled_students_csv(150))
    train()

    for track, names in {"A": ["rule", "residual", "estimator"], "B": ["rule", "residual", "estimator"],
                         "C": ["rule", "estimator"]}.items():
        version = registry.champion_get(track)
        table = version.extra["candidates"]
        assert [row["name"] for row in table] == names
        assert all(row["cv_mae"] > 0 and row["cv_rmse"] >= row["cv_mae"] for row in table)
        chosen = [row for row in table if row["chosen"]]
        assert len(chosen) == 1 and version.params["candidate"] == chosen[0]["name"]
        assert version.params["label"] == chosen[0]["label"]


def test_the_rule_is_the_champion_where_nothing_beats_it(settings):
    """A window where G3 = G2 exactly (nothing else carries signal): the rule must win track A."""
    import io as _io

    students = generate_students(200, seed=5)
    students["G3"] = students["G2"]
    buffer = _io.StringIO()
    students.to_csv(buffer, sep=";", index=False)
    import_labelled(buffer.getvalue().encode())

    train()

    champion = registry.champion_get("A")
    assert champion.params["candidate"] == "rule" and champion.params["label"] == "rule: G3 = G2"
    assert champion.metrics["mae"] == 0.0 and champion.holdout["naive_mae"] == 0.0


def test_the_served_model_is_refitted_on_the_whole_window(settings):
    from registry import artifacts

    import_labelled(labelled_students_csv(150))
    settings.TRAINING_REFIT = False
    train()
    settings.TRAINING_REFIT = True
    train()

    split_fit, refitted = registry.model_version_get("C", 1), registry.model_version_get("C", 2)
    assert split_fit.extra["refit"] is False and refitted.extra["refit"] is True
    # Same holdout figures (scored by the fit without the holdout), a different served model.
    assert refitted.metrics == split_fit.metrics
    frame = window_load().frame
    assert (artifacts.load(refitted.artifact).predict(frame) != artifacts.load(split_fit.artifact).predict(frame)).any()


def test_a_version_stores_quality_per_group_and_its_interval_coverage():
    import_labelled(_school_sorted_csv(200, seed=4))
    train()

    version = registry.champion_get("B")
    groups = version.extra["metrics_by_group"]
    assert set(groups) == {"sex", "school", "address"}
    assert sum(g["rows"] for g in groups["school"].values()) == version.holdout["rows"]
    assert set(groups["school"]) == {"GP", "MS"}
    for figures in groups["sex"].values():
        assert figures["mae"] > 0 and 0 <= figures["coverage"] <= 1
    stored = version.extra["intervals"]
    assert stored["level"] == 0.8 and 0.5 <= stored["holdout_coverage"] <= 1 and stored["mean_width"] > 0
