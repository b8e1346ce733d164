"""Retraining tasks: thin, JSON-safe, retried on store outages only; in-process without a broker."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from celery.result import EagerResult
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from registry import repository as registry_repository
from registry import services as registry
from registry.entities import Status
from retraining import services, tasks
from studentml_site.celery import app
from tests.stale_champions import seed_stale_champions

pytestmark = pytest.mark.django_db


def _run(**fields):
    summary = {"id": "r1", "track": "A", "decision": "rejected", **fields}
    return SimpleNamespace(**summary, as_dict=lambda: dict(summary))


@pytest.fixture
def calls(monkeypatch):
    """Replace the service with a script of outcomes (exceptions raise, anything else returns)."""
    made: list[dict] = []

    def script(*outcomes):
        remaining = list(outcomes)

        def fake(track, **kwargs):
            made.append({"track": track, **kwargs})
            outcome = remaining.pop(0) if len(remaining) > 1 else remaining[0]
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        monkeypatch.setattr(services, "retrain_run", fake)
        return made

    return script


def test_without_a_broker_delay_runs_the_real_service_in_process():
    seed_stale_champions(fresh_rows=300)
    assert app.conf.task_always_eager  # CELERY_BROKER_URL is unset in tests

    result = tasks.retrain_track.delay("A", trigger="manual", window=300, policy="auto", by="ops")

    assert isinstance(result, EagerResult) and result.successful(), result.traceback
    summary = result.get()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["track"] == "A" and summary["decision"] == "promoted"
    champion = registry.champion_get("A")
    assert champion.version == summary["challenger_version"] == 2 and champion.created_by == "ops"
    assert {v.version: v.status for v in registry_repository.find_versions("A")} == {
        1: Status.ARCHIVED, 2: Status.CHAMPION}


def test_the_arguments_reach_the_service(calls):
    made = calls(_run())

    tasks.retrain_track.delay("B", trigger="admin", window=500, policy="approval", by="ana")

    assert made == [{"track": "B", "trigger": "admin", "window": 500, "policy": "approval", "by": "ana",
                     "progress": made[0]["progress"]}]
    assert callable(made[0]["progress"])


def test_a_busy_track_answers_busy_and_is_not_retried(calls):
    made = calls(services.RetrainBusy("track A is being retrained by worker-2 until 03:10"))

    summary = tasks.retrain_track.delay("A").get()

    assert summary == {"track": "A", "decision": "busy",
                       "reason": "track A is being retrained by worker-2 until 03:10"}
    assert len(made) == 1


def test_a_store_outage_is_retried_until_the_store_answers(calls):
    made = calls(ServerSelectionTimeoutError("no primary"), AutoReconnect("connection reset"),
                 _run(decision="promoted"))

    result = tasks.retrain_track.delay("A")

    assert result.get()["decision"] == "promoted"
    assert len(made) == 3


def test_an_embedded_store_outage_is_retried_too(calls):
    """The embedded store fails with SQLite's errors or StoreUnavailable, not pymongo's."""
    import sqlite3

    from studentml_site.mongo import StoreUnavailable

    made = calls(sqlite3.OperationalError("database is locked"), StoreUnavailable("the embedded store was moved"),
                 _run(decision="promoted"))

    assert tasks.retrain_track.delay("A").get()["decision"] == "promoted"
    assert len(made) == 3


def test_a_store_that_stays_down_fails_the_task_after_the_last_retry(calls):
    made = calls(ServerSelectionTimeoutError("no primary"))

    result = tasks.retrain_track.delay("A")

    assert result.failed() and isinstance(result.result, ServerSelectionTimeoutError)
    assert len(made) == 1 + tasks.retrain_track.max_retries


def test_a_run_recorded_as_failed_because_the_store_went_away_is_retried(calls):
    made = calls(_run(decision="failed", error="AutoReconnect: connection closed"), _run(decision="rejected"))

    result = tasks.retrain_track.delay("A")

    assert result.get()["decision"] == "rejected"
    assert len(made) == 2


def test_a_run_recorded_as_failed_for_another_reason_is_returned_not_retried(calls):
    made = calls(_run(decision="failed", error="TrainingError: track A: 12 usable labelled rows"))

    summary = tasks.retrain_track.delay("A").get()

    assert summary["decision"] == "failed" and summary["error"].startswith("TrainingError")
    assert len(made) == 1


def test_other_errors_are_not_retried(calls):
    made = calls(ValueError("unknown track 'D'"))

    result = tasks.retrain_track.delay("D")

    assert result.failed() and len(made) == 1


def test_the_check_retrains_tracks_with_enough_new_labels_once(settings):
    seed_stale_champions(fresh_rows=300)
    settings.RETRAIN_MIN_NEW_LABELS = 200
    settings.PROMOTION_POLICY = "approval"

    first = tasks.retrain_check.delay().get()
    again = tasks.retrain_check.delay().get()

    assert [(r["track"], r["trigger"], r["decision"]) for r in first["runs"]] == [
        (t, "schedule:new-labels", "pending_approval") for t in "ABC"]
    assert json.loads(json.dumps(first)) == first
    assert again == {"runs": []}  # a repeated check finds the work done (winners wait for approval)
    assert {t: registry.champion_get(t).version for t in "ABC"} == {"A": 1, "B": 1, "C": 1}


def test_the_check_returns_each_runs_summary(monkeypatch):
    monkeypatch.setattr(services, "retrain_check",
                        lambda **kwargs: [_run(track="A", decision="skipped"), _run(track="C", decision="promoted")])

    summary = tasks.retrain_check.delay().get()

    assert [(r["track"], r["decision"]) for r in summary["runs"]] == [("A", "skipped"), ("C", "promoted")]


@pytest.mark.parametrize("name", ["retraining.retrain_track", "retraining.retrain_check"])
def test_tasks_are_registered_by_name_acknowledged_late_and_retried_with_backoff(name):
    task = app.tasks[name]

    assert task.acks_late
    assert task.autoretry_for == (tasks.STORE_RETRY["autoretry_for"])
    assert task.retry_backoff and task.retry_jitter and task.max_retries == 5
