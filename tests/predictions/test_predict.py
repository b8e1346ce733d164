"""The predict service: routing by track, parity with the stored pipeline, champion pickup."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from predictions import services
from predictions.champions import champions
from predictions.schema import Track, track_inputs
from registry import artifacts
from registry import services as registry
from retraining.training import model_versions_train
from tests.builders import import_labelled, labelled_students_csv, make_student


@pytest.fixture
def trained(settings):
    import_labelled(labelled_students_csv(400))
    return {v.track: v for v in model_versions_train(by="tests")}


def _uci_students(path: Path) -> list[dict]:
    frame = pd.read_csv(path, sep=";")
    return [{k: v for k, v in row.items() if k != "G3"} for row in frame.to_dict("records")]


def _without(students: list[dict], *names: str) -> list[dict]:
    return [{k: v for k, v in s.items() if k not in names} for s in students]


@pytest.mark.parametrize("subject", ["por", "mat"])
def test_predictions_equal_the_stored_pipeline_on_real_data(uci_dir, subject):
    import_labelled((uci_dir / "student-por.csv").read_bytes(), "student-por.csv")
    versions = {v.track: v for v in model_versions_train(by="tests")}
    students = _uci_students(uci_dir / f"student-{subject}.csv")
    cases = {Track.A: students, Track.B: _without(students, "G2"), Track.C: _without(students, "G1", "G2")}

    for track, rows in cases.items():
        stored = artifacts.load(versions[track.value].artifact)
        expected = stored.predict(pd.DataFrame(rows)[list(track_inputs(track))])
        many = services.predict_students(rows)  # the vectorised path
        few = [p for chunk in range(0, 40, 10) for p in services.predict_students(rows[chunk:chunk + 10])]

        assert [p.track for p in many] == [track] * len(rows)
        assert np.array_equal([p.predicted_g3 for p in many], expected)
        assert np.array_equal([p.predicted_g3 for p in few], expected[:40])
        assert {p.model_version for p in many} == {versions[track.value].version}


def test_students_are_routed_by_the_grades_they_have(trained):
    students = [make_student(G3=None), make_student(G3=None, G2=None), make_student(G3=None, G1=None, G2=None)]

    results = services.predict_students(students)

    assert [r.track for r in results] == [Track.A, Track.B, Track.C]
    assert all(0 <= r.predicted_g3 <= 20 for r in results)
    assert [r.at_risk for r in results] == [r.predicted_g3 < 10 for r in results]


def test_g2_without_g1_is_refused_naming_the_student_and_field(trained):
    with pytest.raises(services.InvalidStudents) as caught:
        services.predict_students([make_student(), make_student(G1=None)])

    assert [(e.row, e.field) for e in caught.value.errors] == [(1, "G2")]


@pytest.mark.parametrize("count", [3, 200])
def test_one_bad_student_stops_the_whole_batch(trained, count):
    students = [make_student(G3=None) for _ in range(count)]
    students[-1] = {**students[-1], "age": 40, "abscences": 3}

    with pytest.raises(services.InvalidStudents) as caught:
        services.predict_students(students)

    assert {(e.row, e.field) for e in caught.value.errors} == {(count - 1, "age"), (count - 1, "abscences")}


def test_no_champion_means_model_unavailable():
    with pytest.raises(services.ModelUnavailable, match="track A"):
        services.predict_students([make_student()])


def _retrain_with(seed: int) -> dict:
    import_labelled(labelled_students_csv(300, seed=seed), f"more-{seed}.csv")
    return {v.track: v for v in model_versions_train(by="tests")}


def test_a_new_champion_is_served_without_restart(trained, monkeypatch):
    monkeypatch.setattr(champions, "check_interval", 0.0)
    before = services.predict_students([make_student()])[0]
    new = _retrain_with(seed=99)["A"]

    registry.model_version_promote("A", new.version, by="admin")
    after = services.predict_students([make_student()])[0]

    assert before.model_version == trained["A"].version
    assert after.model_version == new.version
    stored = artifacts.load(new.artifact)
    assert after.predicted_g3 == stored.predict([make_student()])[0]


def test_the_check_is_cheap_and_rate_limited(trained, monkeypatch):
    services.predict_students([make_student()])
    calls = {"n": 0}
    real = registry.champion_change_latest

    def counting(track):
        calls["n"] += 1
        return real(track)

    monkeypatch.setattr(registry, "champion_change_latest", counting)
    for _ in range(50):
        services.predict_students([make_student()])

    assert calls["n"] <= 1  # at most one look per CHECK_INTERVAL, not one per request


def test_a_corrupted_new_champion_is_refused_and_the_old_keeps_serving(trained, monkeypatch, settings, caplog):
    monkeypatch.setattr(champions, "check_interval", 0.0)
    services.predict_students([make_student()])
    new = _retrain_with(seed=5)["A"]
    path = Path(settings.ARTIFACT_DIR) / f"{new.artifact.sha256}.joblib"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))

    registry.model_version_promote("A", new.version, by="admin")
    result = services.predict_students([make_student()])[0]

    assert result.model_version == trained["A"].version
    assert "not loaded" in caplog.text and "corrupted" in caplog.text


def test_an_explanation_comes_from_the_version_that_made_the_prediction(trained, monkeypatch):
    monkeypatch.setattr(champions, "check_interval", 0.0)
    student = {k: v for k, v in make_student().items() if k != "G3"}
    before = services.prediction_explain(student, Track.A)
    # The new version must be a learned model: two rule champions explain every student alike.
    from retraining import candidates

    estimator_only = candidates.track_candidates
    monkeypatch.setattr(candidates, "track_candidates", lambda track: estimator_only(track)[-1:])
    new = _retrain_with(seed=42)["A"]
    registry.model_version_promote("A", new.version, by="admin")

    old = services.prediction_explain(student, Track.A, version=trained["A"].version)
    current = services.prediction_explain(student, Track.A)

    assert old == before
    assert current != before
    assert all(c.field in track_inputs(Track.A) for c in old)
