"""Live accuracy: figures per period equal a direct computation; the alert fires on a harder year only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from drift import monitoring
from drift.performance import accuracy_by_period, alert_state, period_start
from predictions import repository
from predictions.entities import PredictionLog
from predictions.generator import generate_students
from predictions.schema import INPUTS, PASS_MARK, track_inputs
from registry import artifacts
from registry import services as registry
from tests.builders import make_student


def _entry(i: int, *, at: datetime, predicted: float, actual: int | None, g2: int = 12,
           version: int = 1) -> PredictionLog:
    features = {k: v for k, v in make_student(G2=g2).items() if k != "G3"}
    return PredictionLog(id=f"p{i:05d}", created_at=at, source="tests", request_id=f"r{i}", user="ana", track="A",
                         model_version=version, predicted_g3=predicted, at_risk=predicted < PASS_MARK,
                         features=features, actual_g3=actual)


def _year(rng: np.random.Generator, rows: int = 90) -> list[PredictionLog]:
    months = [datetime(2026, m, 3 + d % 20, 9, tzinfo=UTC) for m, d in zip(rng.integers(9, 12, rows),
                                                                           rng.integers(0, 20, rows), strict=True)]
    return [_entry(i, at=at, predicted=float(rng.uniform(4, 18)), actual=int(rng.integers(0, 21)),
                   g2=int(rng.integers(0, 21))) for i, at in enumerate(months)]


def test_each_month_equals_a_direct_computation_on_its_labelled_rows():
    entries = _year(np.random.default_rng(3))
    periods = accuracy_by_period(entries, "month")

    assert [p.period_start.month for p in periods] == [9, 10, 11]
    for p in periods:
        rows = [e for e in entries if e.created_at.month == p.period_start.month]
        y = np.array([e.actual_g3 for e in rows], dtype=float)
        pred = np.array([e.predicted_g3 for e in rows])
        flagged, failed = pred < 10, y < 10
        assert p.rows == len(rows)
        assert p.mae == pytest.approx(np.mean(np.abs(pred - y)))
        assert p.rmse == pytest.approx(np.sqrt(np.mean((pred - y) ** 2)))
        assert p.naive_mae == pytest.approx(np.mean(np.abs(np.array([e.features["G2"] for e in rows]) - y)))
        assert p.at_risk_precision == pytest.approx((flagged & failed).sum() / flagged.sum())
        assert p.at_risk_recall == pytest.approx((flagged & failed).sum() / failed.sum())
        assert p.coverage is None  # these entries were logged without an interval


def test_coverage_is_the_share_of_actual_grades_inside_the_logged_interval():
    at = datetime(2026, 10, 8, 9, tzinfo=UTC)
    entries = [replace(_entry(i, at=at, predicted=12.0, actual=actual), interval_low=10.5, interval_high=13.5,
                       interval_level=0.8) for i, actual in enumerate([11, 12, 13, 16])]
    entries.append(_entry(9, at=at, predicted=12.0, actual=20))  # an older entry without one: not counted

    [month] = accuracy_by_period(entries, "month")

    assert month.rows == 5 and month.coverage == pytest.approx(3 / 4)


def test_unlabelled_predictions_count_nowhere_and_weeks_start_on_monday():
    at = datetime(2026, 10, 8, 9, tzinfo=UTC)  # a Thursday
    entries = [_entry(1, at=at, predicted=12.0, actual=14), _entry(2, at=at, predicted=8.0, actual=None)]

    [week] = accuracy_by_period(entries, "week")

    assert (week.period_start.isoformat(), week.rows, week.mae) == ("2026-10-05", 1, 2.0)
    assert week.at_risk_precision is None and week.at_risk_recall is None  # nobody flagged, nobody failed
    assert period_start(at, "month").isoformat() == "2026-10-01"


def test_the_alert_needs_enough_rows_and_a_gap_beyond_the_margin():
    [overall] = accuracy_by_period([_entry(i, at=datetime(2026, 10, 1, tzinfo=UTC), predicted=10.0, actual=12)
                                    for i in range(40)], "month")  # MAE 2.0
    assert alert_state(overall, 1.0, margin=0.5, min_rows=30).state == "alert"
    assert alert_state(overall, 1.6, margin=0.5, min_rows=30).state == "ok"
    refused = alert_state(overall, 1.0, margin=0.5, min_rows=41)
    assert refused.state == "insufficient_data" and "40 labelled predictions, fewer than the 41" in refused.message


@pytest.fixture
def champion_a(trained):
    return registry.champion_get("A")


def _log_year(version, *, shift: str | None, seed: int) -> None:
    cohort = generate_students(240, seed=seed, shift=shift)
    predicted = artifacts.load(version.artifact).predict(cohort[list(track_inputs("A"))])
    features = cohort[list(INPUTS)].astype(object).to_dict("records")
    repository.insert_predictions([
        PredictionLog(id=f"{seed}-{i:05d}", created_at=datetime(2026, 9 + i % 3, 10, tzinfo=UTC), source="tests",
                      request_id=f"r{i}", user="ana", track="A", model_version=version.version,
                      predicted_g3=float(p), at_risk=bool(p < PASS_MARK), features=f, actual_g3=int(g3))
        for i, (p, f, g3) in enumerate(zip(predicted, features, cohort["G3"], strict=True))])


def test_the_alert_fires_on_a_harder_year_and_not_on_an_unshifted_one(champion_a, settings):
    settings.MONITOR_MAE_MARGIN, settings.MONITOR_MIN_ROWS = 0.5, 30

    _log_year(champion_a, shift=None, seed=21)
    calm = monitoring.performance_get("A")
    from studentml_site import mongo
    mongo.database()["predictions"].delete_many({})
    _log_year(champion_a, shift="harder-year", seed=22)
    hard = monitoring.performance_get("A")

    assert calm.alert.state == "ok" and len(calm.periods) == 3 and calm.overall.rows == 240
    assert hard.alert.state == "alert", hard.alert.message
    assert hard.overall.mae > champion_a.metrics["mae"] + 0.5
    # The naive rule (G3 = G2) on the same rows suffers from the harsher exam too.
    assert hard.overall.naive_mae > calm.overall.naive_mae


@pytest.mark.django_db
def test_the_nightly_check_emails_the_alert_once(champion_a, settings, django_user_model):
    from django.contrib.auth.models import Permission
    from django.core import mail

    from drift import services as drift_services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_ACCURACY = True
    user = django_user_model.objects.create_user("ana", email="ana@school.example", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="approve_promotion"))
    _log_year(champion_a, shift="harder-year", seed=22)

    drift_services.drift_report_create("A")
    drift_services.drift_report_create("A")

    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("[studentml] Track A: the model has become less accurate") == 1
