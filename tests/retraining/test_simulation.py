"""`manage.py simulate`: a school year through the real services tells a consistent story."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from drift import repository as drift_repository
from predictions import repository as records_repository
from predictions.generator import SHIFTS
from registry import services as registry
from registry.entities import Status
from retraining import repository as runs_repository
from retraining.entities import Decision
from retraining.simulation import simulate_year
from retraining.training import model_versions_train
from studentml_site import mongo
from tests.builders import import_labelled, labelled_students_csv, store_snapshot


@pytest.fixture
def demo_store(settings):
    settings.DEMO_STORE = True


@pytest.fixture
def trained(demo_store):
    import_labelled(labelled_students_csv(600, seed=3), "history.csv")
    model_versions_train(by="setup")


def test_a_shifted_year_flags_the_shifted_feature_and_retrains_by_the_rule(trained):
    summary = simulate_year(cohort=300, shift="absences", seed=5, policy="approval")

    assert [p.track for p in summary.periods] == ["C", "B", "A"]
    for period in summary.periods:
        assert period.drift.verdict.value == "drift"
        assert set(period.drift.drifted_features) == set(SHIFTS["absences"].features)
    for run in summary.runs:
        wins = run.champion_mae - run.challenger_mae > 0.01
        assert run.decision is (Decision.PENDING_APPROVAL if wins else Decision.REJECTED)
        version = registry.model_version_get(run.track, run.challenger_version)
        assert version.status is (Status.PENDING_APPROVAL if wins else Status.REJECTED)
        # The drift report that flagged this track's year is linked to its retrain.
        assert version.extra["drift_report_id"] == next(p.drift.id for p in summary.periods if p.track == run.track)
    assert summary.champions_after == summary.champions_before  # approval: nothing switched by itself


def test_the_summary_counts_are_what_the_store_holds(trained):
    summary = simulate_year(cohort=200, shift="study", periods=2, seed=8, policy="auto", label_share=0.5)

    logged = records_repository.find_predictions(limit=10_000)
    assert summary.predictions == 400 == sum(1 for p in logged if p.source == "simulation")
    assert summary.labels == 100 == sum(1 for p in logged if p.actual_g3 is not None)
    assert sum(1 for r in records_repository.find_window(10_000) if r.prediction_id) == 100
    assert drift_repository.count_reports() == 2
    runs = runs_repository.find_runs()
    assert sorted(r.id for r in runs) == sorted(r.id for r in summary.runs)
    for run in summary.runs:
        if run.decision is Decision.PROMOTED:
            assert summary.champions_after[run.track] == run.challenger_version
        else:
            assert summary.champions_after[run.track] == summary.champions_before[run.track]


def _story(summary):
    return ([(p.track, p.predictions, p.drift.verdict, tuple(p.drift.drifted_features)) for p in summary.periods],
            summary.labels, [(r.track, r.decision, round(r.champion_mae, 9), round(r.challenger_mae, 9))
                             for r in summary.runs])


def test_the_same_seed_tells_the_same_story(settings, tmp_path):
    stories = []
    for attempt in range(2):
        settings.MONGO_URI = "mongomock://"
        settings.ARTIFACT_DIR = str(tmp_path / f"artifacts{attempt}")
        mongo.reset()
        from predictions.champions import champions

        champions.clear()
        import_labelled(labelled_students_csv(300, seed=3), "history.csv")
        model_versions_train(by="setup")
        stories.append(_story(simulate_year(cohort=120, shift="school-mix", periods=1, seed=4, policy="auto")))
    assert stories[0] == stories[1]


def test_simulate_command_prints_the_summary(trained):
    out = io.StringIO()
    call_command("simulate", "--cohort", "120", "--periods", "1", "--seed", "2", "--policy", "auto",
                 stdout=out, stderr=io.StringIO())

    text = out.getvalue()
    assert "predictions logged: 120; labels recorded: 120" in text
    assert "start of year   track C: 120 predictions" in text
    assert all(f"retrain {t}:" in text and f"champion {t}: 1 ->" in text for t in "ABC")


def test_simulate_refuses_bad_options(trained):
    with pytest.raises(CommandError, match="at least one student"):
        call_command("simulate", "--cohort", "0", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="label_share"):
        call_command("simulate", "--label-share", "1.5", stdout=io.StringIO(), stderr=io.StringIO())


def test_simulate_without_models_says_so(demo_store):
    with pytest.raises(CommandError, match="[Nn]o .*model|champion"):
        call_command("simulate", "--cohort", "10", stdout=io.StringIO(), stderr=io.StringIO())


def test_simulate_refuses_the_store_that_serves_real_students(settings):
    import_labelled(labelled_students_csv(100, seed=3), "history.csv")
    before = store_snapshot()
    settings.DEMO_STORE = False

    with pytest.raises(CommandError, match="never goes into the store that serves real students.*--demo"):
        call_command("simulate", "--cohort", "10", stdout=io.StringIO(), stderr=io.StringIO())
    assert store_snapshot() == before


def _files(root: Path, skip: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and skip not in p.parents}


@pytest.mark.django_db
def test_simulate_demo_plays_the_year_in_its_own_store_and_leaves_the_real_one_byte_for_byte(
        settings, tmp_path, uci_dir, monkeypatch):
    var = tmp_path / "var"
    settings.VAR_DIR = var
    settings.MONGO_URI = f"montydb://{var / 'mongo'}"
    mongo.reset()
    import_labelled(labelled_students_csv(100, seed=3), "real.csv")
    mongo.reset()  # closes the real store's files before they are compared
    before = _files(var, var / "demo")
    monkeypatch.setenv("STUDENTML_UCI_DIR", str(uci_dir))
    monkeypatch.setenv("ADMIN_PASSWORD", "demo-admin-pw-2026")

    out = io.StringIO()
    call_command("simulate", "--demo", "--cohort", "40", "--periods", "1", "--seed", "1", "--policy", "approval",
                 stdout=out, stderr=io.StringIO())

    assert "predictions logged: 40" in out.getvalue()
    assert _files(var, var / "demo") == before
    settings.MONGO_URI = f"montydb://{var / 'demo' / 'mongo'}"
    mongo.reset()
    assert records_repository.count_predictions(source="simulation") == 40
    assert [r.trigger for r in drift_repository.find_reports()] == ["simulation"]
    assert (var / "demo" / "admin_password").exists() is False  # ADMIN_PASSWORD chose it
