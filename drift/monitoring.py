"""Monitoring services: live accuracy per version, its alert, and the label-free estimate.

A version records its holdout predictions from the fit that never saw the holdout
(``extra.holdout_errors``). For a version from before that record, the holdout is rebuilt
from its training window (the labelled rows up to the window's end) with
``retraining.training.split_holdout``, the very split it was scored on, and its artifact
(never refitted then) re-scores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings

from drift.estimate import Estimate, estimate_mae
from drift.performance import Alert, PeriodAccuracy, accuracy, accuracy_by_period, alert_state
from predictions import repository as predictions_repository
from predictions import schema
from predictions.schema import TARGET, Track
from registry import artifacts
from registry import services as registry
from registry.entities import ModelVersion


class UnknownVersion(Exception):
    pass


@dataclass(frozen=True)
class HoldoutErrors:
    rows: int
    train_mean: float | None
    predicted: np.ndarray
    error: np.ndarray  # predicted - actual


# A version never changes once registered: its holdout errors are computed once per process.
_CACHE: dict[tuple[str, str, str], HoldoutErrors] = {}
_CACHE_SIZE = 16


def _holdout_recorded(version: ModelVersion) -> HoldoutErrors | None:
    recorded = (version.extra or {}).get("holdout_errors")
    if not recorded or not recorded.get("predicted"):
        return None
    predicted = np.asarray(recorded["predicted"], dtype=float)
    return HoldoutErrors(rows=len(predicted), train_mean=recorded.get("train_mean"), predicted=predicted,
                         error=predicted - np.asarray(recorded["actual"], dtype=float))


def _holdout_compute(version: ModelVersion) -> HoldoutErrors | None:
    # Only versions from before the holdout errors were recorded come here. They were never
    # refitted, so their artifact re-scores its holdout honestly.
    from retraining.evaluation import rows_for_track
    from retraining.training import split_holdout, window_load

    window = version.window or {}
    rows, end = window.get("rows"), window.get("end")
    if not rows or not end:
        return None
    end_at = pd.Timestamp(end)
    # Labels that arrived after the version was trained sit on top of its window: read past them.
    newer = predictions_repository.count_labeled_since(end_at.to_pydatetime())
    frame = window_load(int(rows) + newer).frame
    frame = frame[pd.to_datetime(frame["ingested_at"], utc=True) <= end_at].tail(int(rows))
    usable = rows_for_track(frame, Track(version.track))
    if len(usable) < 2:
        return None
    train, holdout = split_holdout(usable)
    try:
        pipeline = artifacts.load(version.artifact)
    except artifacts.ArtifactError:
        return None
    predicted = np.asarray(pipeline.predict(holdout[list(schema.track_inputs(version.track))]), dtype=float)
    return HoldoutErrors(rows=len(holdout), train_mean=float(train[TARGET].mean()) if len(train) else None,
                         predicted=predicted, error=predicted - holdout[TARGET].to_numpy(dtype=float))


def version_holdout(version: ModelVersion) -> HoldoutErrors | None:
    """The version's holdout predictions and errors (None when its window is gone or unreadable)."""
    recorded = _holdout_recorded(version)
    if recorded is not None:
        return recorded
    key = (version.id, str(version.window.get("data_hash")), version.artifact.sha256)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        computed = _holdout_compute(version)
        if computed is None:
            return None  # not kept: the window may be readable on the next call
        _CACHE[key] = computed
    return _CACHE[key]


def _version(track: Track, version: int | None) -> ModelVersion | None:
    if version is None:
        return registry.champion_get(track.value)
    try:
        return registry.model_version_get(track.value, version)
    except registry.VersionNotFound as exc:
        raise UnknownVersion(f"track {track.value} has no version {version}") from exc


@dataclass(frozen=True)
class Performance:
    track: str
    version: int | None
    period: str
    holdout: dict[str, Any]
    overall: PeriodAccuracy | None
    periods: list[PeriodAccuracy]
    alert: Alert


def performance_get(track: Track | str, version: int | None = None, *, period: str | None = None) -> Performance:
    """Live accuracy of one version (default: the champion) by period, beside its holdout figures."""
    track = Track(track)
    period = period or settings.MONITOR_PERIOD
    v = _version(track, version)
    margin, min_rows = settings.MONITOR_MAE_MARGIN, settings.MONITOR_MIN_ROWS
    if v is None:
        return Performance(track.value, None, period, {}, None, [],
                           alert_state(None, None, margin=margin, min_rows=min_rows))
    labelled = predictions_repository.find_predictions(limit=settings.MONITOR_MAX_ROWS, track=track.value,
                                                       model_version=v.version, labeled=True)
    train_mean = v.holdout.get("train_mean")
    if train_mean is None and track is Track.C and labelled:
        held = version_holdout(v)
        train_mean = held.train_mean if held else None
    periods = accuracy_by_period(labelled, period, train_mean=train_mean)
    overall = accuracy(labelled, train_mean=train_mean) if labelled else None
    holdout = {"rows": v.holdout.get("rows"), "mae": v.metrics.get("mae"), "rmse": v.metrics.get("rmse"),
               "naive_mae": v.holdout.get("naive_mae")}
    return Performance(track.value, v.version, period, holdout, overall, periods,
                       alert_state(overall, v.metrics.get("mae"), margin=margin, min_rows=min_rows))


def estimate_get(track: Track | str) -> Estimate:
    """The champion's expected MAE on its most recent predictions, from their features alone."""
    track = Track(track)
    champion = registry.champion_get(track.value)
    recent = (predictions_repository.find_predictions(limit=settings.MONITOR_ESTIMATE_ROWS, track=track.value,
                                                      model_version=champion.version) if champion else [])
    held = version_holdout(champion) if champion and recent else None
    if held is None:
        return estimate_mae(np.array([]), np.array([]), np.array([p.predicted_g3 for p in recent]))
    return estimate_mae(held.predicted, held.error, np.array([p.predicted_g3 for p in recent]))
