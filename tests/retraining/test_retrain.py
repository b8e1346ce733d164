"""The retraining service and `manage.py retrain`: the 0.01 rule on shared rows, windows, leases, failures."""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from predictions import repository as records_repository
from predictions.generator import generate_students
from registry import repository as registry_repository
from registry import services as registry
from registry.entities import Status
from retraining import repository, services
from retraining.comparison import paired_gain
from retraining.entities import Decision, RetrainRun
from retraining.training import MIN_ROWS, model_versions_train
from studentml_site import clock
from tests.builders import import_labelled, labelled_students_csv


def shifted_csv(rows: int, seed: int, drop: int = 3) -> bytes:
    """Generated students graded by a harder final exam: G3 lower by ``drop`` points."""
    frame = generate_students(rows, seed=seed)
    frame["G3"] = (frame["G3"] - drop).clip(lower=0)
    return frame.to_csv(sep=";", index=False).encode()


def champions() -> dict[str, int]:
    return {t: registry.champion_get(t).version for t in "ABC"}


def one_champion_per_track() -> None:
    for track in "ABC":
        assert len(registry.model_versions_list(track, Status.CHAMPION)) == 1


@pytest.fixture
def trained():
    """A champion per track, trained on 400 generated students."""
    import_labelled(labelled_students_csv(400, seed=1), "first.csv")
    model_versions_train(by="setup")


@pytest.fixture
def uci_champion(uci_dir):
    """A champion per track trained on the real Portuguese-course rows."""
    import_labelled((uci_dir / "student-por.csv").read_bytes(), "student-por.csv")
    model_versions_train(by="setup")


@pytest.mark.parametrize("policy, expected", [("auto", Status.CHAMPION), ("approval", Status.PENDING_APPROVAL)])
def test_a_challenger_trained_on_a_shifted_window_wins_on_the_shared_holdout(uci_champion, policy, expected):
    import_labelled(shifted_csv(1200, seed=7), "harder-exam.csv")

    run = services.retrain_run("A", window=1000, policy=policy, by="ops")

    assert run.window["rows"] == 1000
    assert run.champion_version == 1 and run.challenger_version == 2
    # Champion and challenger were scored on the same rows; the challenger learnt the new exam.
    assert run.champion_mae - run.challenger_mae == pytest.approx(run.gain)
    assert run.gain > 0.5 and run.gain_ci[0] > 0
    challenger = registry.model_version_get("A", 2)
    assert challenger.status is expected
    assert challenger.holdout["champion_mae"] == pytest.approx(run.champion_mae)
    assert challenger.holdout["gain_ci_low"] == pytest.approx(run.gain_ci[0])
    assert challenger.extra["retrain_run"] == run.id
    assert run.decision.value == ("promoted" if policy == "auto" else "pending_approval")
    assert registry.champion_get("A").version == (2 if policy == "auto" else 1)
    assert repository.get_run(run.id) == run
    one_champion_per_track()


def test_a_challenger_no_better_than_the_champion_is_rejected_with_the_figures(trained):
    run = services.retrain_run("B", policy="auto")  # same window, same seed: the same model

    assert run.decision is Decision.REJECTED
    assert run.gain == pytest.approx(0.0)
    version = registry.model_version_get("B", 2)
    assert version.status is Status.REJECTED
    assert f"champion MAE {run.champion_mae:.4f}" in version.reason
    assert f"challenger MAE {run.challenger_mae:.4f}" in version.reason and "0.01" in version.reason
    assert registry.champion_get("B").version == 1


def decide(gain: float, *, ci: tuple[float, float] = (0.001, 0.05), policy: str = "auto",
           significance: bool = False) -> Decision:
    champion = registry.champion_get("A")
    run = RetrainRun(id="r", track="A", trigger="test", policy=policy, started_at=clock.now(),
                     decision=Decision.RUNNING, holdout_rows=100, champion_version=1, champion_mae=1.26,
                     challenger_mae=1.26 - gain, naive_mae=1.5, gain=gain, gain_ci=ci, min_gain=0.01,
                     require_significance=significance)
    return services._decide(run, champion, {})[0]


def test_the_rule_is_strictly_more_than_the_minimum_gain(trained):
    assert decide(1.26 - 1.25) is Decision.REJECTED  # 0.010000000000000009 is a gain of 0.01
    assert decide(0.0) is Decision.REJECTED
    assert decide(-0.2) is Decision.REJECTED
    assert decide(0.0101) is Decision.PROMOTED
    assert decide(0.0101, policy="approval") is Decision.PENDING_APPROVAL


def test_requiring_significance_also_needs_the_interval_above_zero(trained):
    assert decide(0.05, ci=(-0.01, 0.11), significance=True) is Decision.REJECTED
    assert decide(0.05, ci=(0.002, 0.09), significance=True) is Decision.PROMOTED
    assert decide(0.05, ci=(-0.01, 0.11), significance=False) is Decision.PROMOTED


@pytest.mark.parametrize("required, expected", [(True, Decision.REJECTED), (False, Decision.PROMOTED)])
def test_significance_setting_is_recorded_and_applied(trained, settings, monkeypatch, required, expected):
    from retraining import training
    from retraining.comparison import Gain

    settings.PROMOTION_REQUIRE_SIGNIFICANCE = required
    # A gain of 0.05 whose interval straddles zero: what small holdouts often give.
    monkeypatch.setattr(training, "paired_gain", lambda *a, **k: Gain(mean=0.05, low=-0.01, high=0.11))

    run = services.retrain_run("C", policy="auto")

    assert run.require_significance is required and run.gain_ci == (-0.01, 0.11)
    assert run.decision is expected
    if required:
        assert "interval includes zero" in run.reason
        assert registry.model_version_get("C", 2).status is Status.REJECTED


def test_the_window_bounds_what_is_read(trained):
    # 400 rows stored plus 4,000 newer ones: ten times the window.
    for part in range(4):
        import_labelled(labelled_students_csv(1000, seed=20 + part), f"part{part}.csv")

    run = services.retrain_run("C", window=440, policy="approval")

    assert run.window["rows"] == 440 and run.window["usable"] == 440
    version = registry.model_version_get("C", 2)
    assert version.window["rows"] == 440
    assert version.holdout["train_rows"] + version.holdout["rows"] == 440
    newest = records_repository.find_window(440)
    assert version.window["start"] == newest[0].ingested_at.isoformat()


def test_too_few_labelled_rows_is_a_recorded_skip(settings):
    import_labelled(labelled_students_csv(MIN_ROWS - 10, seed=3), "few.csv")

    run = services.retrain_run("A")

    assert run.decision is Decision.SKIPPED
    assert run.reason.startswith(f"skipped: {MIN_ROWS - 10} rows < minimum {MIN_ROWS}")
    assert registry.model_versions_list("A") == []
    assert repository.find_runs(track="A")[0].decision is Decision.SKIPPED


def test_a_run_while_the_track_is_leased_is_refused_and_trains_nothing(trained):
    now = clock.now()
    repository.lease_acquire("retrain:A", "other-host:42", now=now, expires_at=now + timedelta(minutes=5))

    with pytest.raises(services.RetrainBusy, match="track A is already being retrained by other-host:42"):
        services.retrain_run("A")

    assert [v.version for v in registry.model_versions_list("A")] == [1]
    assert repository.find_runs(track="A") == []
    services.retrain_run("B")  # other tracks are not blocked


def test_an_expired_lease_does_not_block_and_its_run_is_recorded_as_abandoned(trained):
    long_ago = clock.now() - timedelta(hours=2)
    repository.lease_acquire("retrain:A", "crashed:1", now=long_ago, expires_at=long_ago + timedelta(minutes=30))
    repository.save_run(RetrainRun(id="dead", track="A", trigger="schedule", policy="auto", started_at=long_ago,
                                   decision=Decision.RUNNING))

    run = services.retrain_run("A")

    assert run.decision is Decision.REJECTED
    dead = repository.get_run("dead")
    assert dead.decision is Decision.FAILED and "abandoned" in dead.error
    assert repository.lease_get("retrain:A") is None  # released after the run


def test_two_concurrent_runs_of_one_track_never_both_train(trained, monkeypatch):
    started = threading.Barrier(2)
    fits = []
    real_fit = services.fit_track

    def slow_fit(*args, **kwargs):
        fits.append(threading.get_ident())
        time.sleep(0.3)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(services, "fit_track", slow_fit)
    outcomes: list[object] = []

    def go() -> None:
        started.wait()
        try:
            outcomes.append(services.retrain_run("A", policy="auto"))
        except services.RetrainBusy as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(fits) == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["RetrainBusy", "RetrainRun"]
    assert len(registry.model_versions_list("A")) == 2
    one_champion_per_track()


def test_a_crash_mid_run_leaves_one_champion_and_a_recorded_failure(uci_champion, monkeypatch):
    import_labelled(shifted_csv(800, seed=9), "harder-exam.csv")
    before = champions()

    def switch_dies(*args, **kwargs):
        raise OSError("disk full while switching")

    monkeypatch.setattr(registry_repository, "insert_champion_change", switch_dies)
    run = services.retrain_run("A", window=700, policy="auto")

    assert run.decision is Decision.FAILED and "disk full" in run.error
    assert repository.get_run(run.id).decision is Decision.FAILED
    assert champions() == before
    assert registry.model_version_get("A", 2).status is Status.REJECTED  # never left approvable
    one_champion_per_track()
    assert repository.lease_get("retrain:A") is None


def test_paired_bootstrap_interval():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 20, 400).astype(float)
    same = y + rng.normal(0, 2, 400)

    assert paired_gain(y, same, same) == paired_gain(y, same, same)
    tie = paired_gain(y, same, same)
    assert (tie.mean, tie.low, tie.high) == (0.0, 0.0, 0.0) and not tie.excludes_zero
    better = paired_gain(y, y + 1.0, y + 0.5)  # every row 0.5 closer
    assert better.mean == pytest.approx(0.5) and better.low == pytest.approx(0.5) and better.excludes_zero
    noisy = paired_gain(y, y + rng.normal(0, 2, 400), y + rng.normal(0, 2, 400))
    assert noisy.low < noisy.mean < noisy.high and noisy.low < 0 < noisy.high


def retrain_command(*args: str) -> str:
    out = io.StringIO()
    call_command("retrain", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_retrain_command_prints_a_decision_table(trained):
    out = retrain_command("--track", "C", "--policy", "auto")

    header = next(line for line in out.splitlines() if line.startswith("track  "))
    assert all(col in header for col in ("champion MAE", "challenger MAE", "gain", "decision"))
    row = next(line for line in out.splitlines() if line.startswith("C "))
    run = repository.find_runs(track="C")[0]
    assert f"{run.champion_mae:.4f} (v1)" in row and f"{run.challenger_mae:.4f} (v2)" in row
    assert row.rstrip().endswith("rejected")


def test_retrain_command_fails_only_when_a_run_cannot_proceed(trained):
    now = clock.now()
    repository.lease_acquire("retrain:B", "elsewhere:7", now=now, expires_at=now + timedelta(minutes=5))

    with pytest.raises(CommandError, match="track B is already being retrained"):
        retrain_command("--track", "B")
    with pytest.raises(CommandError, match="at least"):
        retrain_command("--window", "3")


def test_scheduled_check_retrains_on_drift_or_new_labels_only(trained, settings, monkeypatch):
    from drift import repository as drift_repository
    from drift.entities import DriftReport, Verdict

    settings.RETRAIN_MIN_NEW_LABELS = 300
    assert services.retrain_check() == []  # nothing new since the champions

    report = DriftReport(id="rep1", created_at=clock.now() + timedelta(seconds=1), track="B",
                         verdict=Verdict.DRIFT, model_version=1, reference_rows=400, current_rows=100,
                         current_since=None, current_until=None, features=[], settings={}, trigger="test")
    drift_repository.insert_report(report)
    import_labelled(labelled_students_csv(320, seed=4), "new-labels.csv")
    monkeypatch.setattr(clock, "now", lambda: report.created_at + timedelta(seconds=1))

    runs = {r.track: r for r in services.retrain_check(policy="approval")}

    assert set(runs) == {"A", "B", "C"}
    assert runs["B"].trigger == "schedule:drift" and runs["B"].drift_report_id == "rep1"
    assert runs["A"].trigger == "schedule:new-labels"
    # Drift handled and labels used: the next check has nothing to do.
    assert services.retrain_check() == []
