"""Drift checks: each track's champion reference against the predictions it served since.

Reference: the per-feature counts of the champion's training window, stored with the
version. Current: the features of predictions logged for the track since the champion was
promoted, the most recent ``DRIFT_WINDOW`` of them at most.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings

from drift import repository
from drift.detect import Thresholds, detect
from drift.entities import DriftReport, Verdict
from drift.profile import feature_specs, profile_records
from predictions import repository as predictions_repository
from predictions import schema
from predictions.schema import Track
from registry import services as registry
from studentml_site import clock

logger = logging.getLogger(__name__)


def thresholds_from_settings() -> Thresholds:
    return Thresholds(p_value=settings.DRIFT_P_VALUE, min_effect=dict(settings.DRIFT_MIN_EFFECT),
                      correction=settings.DRIFT_CORRECTION, dataset_share=settings.DRIFT_DATASET_SHARE,
                      min_rows=settings.DRIFT_MIN_ROWS)


def drift_report_create(track: Track | str, *, window: int | None = None, trigger: str = "cli") -> DriftReport:
    """Compute, store and return a drift report for one track."""
    track = Track(track)
    thresholds = thresholds_from_settings()
    specs = [s for s in feature_specs(settings.DRIFT_TESTS) if s.name in set(schema.track_inputs(track))]
    now = clock.now()
    champion = registry.champion_get(track.value)
    change = registry.champion_change_latest(track.value)
    reference = (champion.extra.get("profile") if champion else None) or {}
    since = change.at if change else None
    logged = predictions_repository.find_predictions(limit=window or settings.DRIFT_WINDOW, track=track.value,
                                                     since=since, until=now)
    current = profile_records([p.features for p in logged], specs)
    if reference:
        verdict, features = detect(reference, current, specs, thresholds)
    else:
        verdict, features = Verdict.INSUFFICIENT_DATA, []
    if len(logged) < thresholds.min_rows:
        verdict = Verdict.INSUFFICIENT_DATA
    report = DriftReport(
        id=uuid.uuid4().hex, created_at=now, track=track.value, verdict=verdict,
        model_version=champion.version if champion else None,
        reference_rows=max((sum(c) for c in reference.values()), default=0), current_rows=len(logged),
        current_since=min((p.created_at for p in logged), default=None),
        current_until=max((p.created_at for p in logged), default=None), features=features,
        settings={"p_value": thresholds.p_value, "min_effect": dict(thresholds.min_effect),
                  "correction": thresholds.correction, "dataset_share": thresholds.dataset_share,
                  "min_rows": thresholds.min_rows, "window": window or settings.DRIFT_WINDOW},
        trigger=trigger,
    )
    repository.insert_report(report)
    try:
        _notify(report)
    except Exception:  # the report is stored; a failed notification must not fail the check
        logger.exception("notifications for drift report %s failed", report.id)
    return report


def _notify(report: DriftReport) -> None:
    """Tell approvers about drift and about the live-accuracy alert of the track's champion."""
    from drift import monitoring, notify, summary

    if report.verdict == Verdict.DRIFT:
        notify.drift_found(report.track, report.model_version, report.drifted_features,
                           [c.sentence for c in summary.changes(report)], report.id)
    if report.model_version is not None:
        alert = monitoring.performance_get(report.track, report.model_version).alert
        if alert.state == "alert":
            notify.accuracy_alert(report.track, report.model_version, alert.message, alert.live_mae,
                                  alert.holdout_mae)


def drift_reports_create(*, window: int | None = None, trigger: str = "cli") -> list[DriftReport]:
    """One report per track."""
    return [drift_report_create(track, window=window, trigger=trigger) for track in Track]
