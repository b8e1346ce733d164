"""Training: the labelled window → one fitted, evaluated, registered version per track.

The window is the most recent ``TRAINING_WINDOW`` labelled rows in arrival order; the most
recent ``HOLDOUT_SHARE`` of it is held out by ``split_holdout`` (see there: time order
between arrivals, a seeded shuffle inside one). Each version records MAE, RMSE and R² on its holdout, the
naive baseline's MAE (G3 = G2, G3 = G1, or the training mean) and the current champion's
MAE on the same rows, so nobody promotes a model that loses to "predict G2".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from drift.profile import feature_specs, profile_frame
from predictions import intervals, schema
from predictions import repository as records_repository
from predictions.entities import StudentRecord
from predictions.schema import TARGET, Track
from registry import artifacts
from registry import services as registry
from registry.entities import ModelVersion
from retraining.candidates import Selection, candidates_select
from retraining.comparison import paired_gain
from retraining.evaluation import naive_prediction, rows_for_track
from retraining.groups import metrics_by_group

HOLDOUT_SHARE = 0.2
MIN_ROWS = 50  # below this a holdout of 10 rows says nothing

Progress = Callable[[str], None]


class TrainingError(Exception):
    pass


@dataclass(frozen=True)
class Window:
    frame: pd.DataFrame  # inputs + G3 + ingested_at, arrival order
    data_hash: str

    @property
    def rows(self) -> int:
        return len(self.frame)

    def describe(self) -> dict[str, Any]:
        times = self.frame["ingested_at"]
        return {"rows": self.rows, "start": times.min().isoformat() if self.rows else None,
                "end": times.max().isoformat() if self.rows else None, "data_hash": self.data_hash}


@dataclass(frozen=True)
class TrainedTrack:
    track: Track
    pipeline: Any
    metrics: dict[str, float]
    holdout: dict[str, Any]
    params: dict[str, Any]
    profile: dict[str, list[int]]  # per-feature counts of the window: the drift reference
    extra: dict[str, Any] = field(default_factory=dict)  # candidates, refit, metrics_by_group


def _row_key(r: StudentRecord) -> str:
    values = "\0".join(str(r.features.get(name)) for name in schema.INPUTS)
    return hashlib.sha256(f"{r.row}\0{values}\0{r.g3}".encode()).hexdigest()


def window_from_records(records: list[StudentRecord]) -> Window:
    # Column by column: a list of row dicts would copy every record once more.
    columns: dict[str, list[Any]] = {name: [r.features.get(name) for r in records] for name in schema.INPUTS}
    columns[TARGET] = [r.g3 for r in records]
    columns["ingested_at"] = [r.ingested_at for r in records]
    # Which arrival each row came with, and its shuffle key (what split_holdout orders by): from
    # the row's place in its file and its values, not the batch's random id, so the same file
    # imported into another store gives the same holdout.
    columns["batch_id"] = [r.batch_id for r in records]
    columns["record_id"] = [r.id for r in records]
    columns["order_key"] = [_row_key(r) for r in records]
    frame = pd.DataFrame(columns, columns=[*schema.INPUTS, TARGET, "ingested_at", "batch_id", "record_id",
                                           "order_key"])
    digest = hashlib.sha256("\n".join(f"{r.batch_id}:{r.row}" for r in records).encode()).hexdigest()
    return Window(frame=frame, data_hash=digest)


def window_load(size: int | None = None) -> Window:
    """The most recent ``size`` (default TRAINING_WINDOW) labelled records."""
    return window_from_records(records_repository.find_window(size or settings.TRAINING_WINDOW))


SPLIT_RULE = "arrival-then-hash"


def split_holdout(frame: pd.DataFrame, share: float = HOLDOUT_SHARE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout): the newest ``share`` of rows by arrival, rows of one arrival in a seeded random order.

    Time order only means something *between* arrivals: every row of one file (or one label
    request) arrives at the same moment, and its row order is the file's own (the UCI
    Portuguese file lists one school after the other). Cutting "the newest 20 %" in file
    order would measure a school shift, not a time shift. So arrivals (``batch_id``, else
    ``ingested_at``) stay in time order, and inside one the rows are ordered by
    their ``order_key`` (sha256 of the row's number in its file and its values):
    pseudo-random, the same on every call, in every store holding the same file, and for
    every track (a track's usable rows keep their relative order). The newest ``share``
    of that sequence is held out; the boundary arrival is split at random, never by its
    file order. Each version records this rule under ``holdout["split"]``.
    Both parts keep the frame's index and its original row order.
    """
    n = len(frame)
    size = max(1, int(round(n * share)))
    batch = frame["batch_id"].astype(str) if "batch_id" in frame else frame["ingested_at"].astype(str)
    if "order_key" in frame:
        shuffle = frame["order_key"].astype(str).tolist()
    else:  # a frame not built by window_from_records: the position stands in for the row's number
        shuffle = [hashlib.sha256(f"{b}\0{i}".encode()).hexdigest() for i, b in enumerate(batch)]
    # The arrival's rank: its first position in the (arrival-ordered) window.
    first_seen = pd.Series(np.arange(n), index=frame.index).groupby(batch.to_numpy()).transform("min")
    order = sorted(range(n), key=lambda i: (int(first_seen.iloc[i]), shuffle[i]))
    held = np.zeros(n, dtype=bool)
    held[order[n - size:]] = True
    return frame.iloc[np.flatnonzero(~held)], frame.iloc[np.flatnonzero(held)]


def split_description(share: float = HOLDOUT_SHARE) -> dict[str, Any]:
    """What a version records about how its holdout was cut."""
    return {"rule": SPLIT_RULE, "share": share,
            "text": f"newest {share:.0%} by arrival; rows of one arrival in a pseudo-random order (sha256 of "
                    "the row's number in its file and its values), so one file's holdout is a random sample of it"}


def _scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {"mae": float(mean_absolute_error(y, predicted)),
            "rmse": float(np.sqrt(mean_squared_error(y, predicted))),
            "r2": float(r2_score(y, predicted)) if len(y) > 1 else float("nan")}


def _params(pipeline: Any, selection: Selection) -> dict[str, Any]:
    model = pipeline.named_steps["model"]
    inner = getattr(model, "estimator", model)
    return {"estimator": type(inner).__name__, "candidate": selection.chosen.name, "label": selection.chosen.label,
            "repr": repr(inner)[:2000]}


def fit_track(frame: pd.DataFrame, track: Track, *, champion: ModelVersion | None = None) -> TrainedTrack:
    """Choose a track's model on the window's training part, score it on the holdout, refit it on the whole window.

    The candidates (``retraining.candidates``) are compared by CV on the training part only;
    the chosen one, fitted on the training part, is scored on the holdout beside the naive
    rule and the champion. ``holdout`` records the comparison the promotion rule reads: both
    MAEs on the same rows, the gain (champion MAE - challenger MAE) and its 95 %
    paired-bootstrap interval. With ``TRAINING_REFIT`` the served pipeline is then fitted
    on every usable row, so no labelled student is left out of the model; the recorded
    figures stay those of the fit that never saw the holdout.
    """
    usable = rows_for_track(frame, track)
    if len(usable) < MIN_ROWS:
        raise TrainingError(f"track {track.value}: {len(usable)} usable labelled rows, fewer than {MIN_ROWS}")
    train, holdout = split_holdout(usable)
    inputs = list(schema.track_inputs(track))
    selection = candidates_select(train, track)
    pipeline = selection.chosen.build()
    pipeline.fit(train[inputs], train[TARGET].to_numpy(dtype=float))
    y = holdout[TARGET].to_numpy(dtype=float)
    predicted = pipeline.predict(holdout[inputs])
    metrics = _scores(y, predicted)
    naive_predicted = naive_prediction(track, train, holdout)
    naive_mae = float(np.mean(np.abs(naive_predicted - y)))
    holdout_info: dict[str, Any] = {
        "rows": len(holdout), "train_rows": len(train), "split": split_description(), "naive_mae": naive_mae,
        "naive_rmse": float(np.sqrt(np.mean((naive_predicted - y) ** 2))), "champion_mae": None,
        "champion_version": champion.version if champion else None, "champion_error": None,
        "gain": None, "gain_ci_low": None, "gain_ci_high": None, "significant": None,
    }
    if champion is not None:
        try:
            champion_predicted = artifacts.load(champion.artifact).predict(holdout[inputs])
        except artifacts.ArtifactError as exc:
            holdout_info["champion_error"] = str(exc)  # an unreadable champion is no yardstick
        else:
            # Seeded by the window, so the same data gives the same interval.
            gain = paired_gain(y, champion_predicted, predicted, seed=int(len(usable)))
            holdout_info.update(champion_mae=float(np.mean(np.abs(champion_predicted - y))), gain=gain.mean,
                                gain_ci_low=gain.low, gain_ci_high=gain.high, significant=gain.excludes_zero)
    calibration = intervals.calibration_fit(selection.oof_predicted, train[TARGET].to_numpy(dtype=float))
    level = settings.PREDICTION_INTERVAL_LEVEL
    low, high = intervals.intervals(calibration, predicted, level)
    risk = intervals.p_at_risk(calibration, predicted)
    refit = bool(settings.TRAINING_REFIT)
    served = pipeline
    if refit:
        served = selection.chosen.build().fit(usable[inputs], usable[TARGET].to_numpy(dtype=float))
    served.calibration_ = calibration  # the artifact words its own uncertainty
    profile = profile_frame(usable, [spec for spec in feature_specs() if spec.name in set(inputs)])
    failed = (y < schema.PASS_MARK).astype(float)
    base_rate = float(np.mean(train[TARGET].to_numpy(dtype=float) < schema.PASS_MARK))
    extra = {"candidates": selection.table, "cv_folds": selection.folds, "refit": refit,
             "intervals": {"method": "split-conformal on out-of-fold residuals, per band of predicted grade",
                           "level": level, "holdout_coverage": float(np.mean((y >= low) & (y <= high))),
                           "mean_width": float(np.mean(high - low)),
                           "brier": float(np.mean((risk - failed) ** 2)),
                           # The yardstick: always answering the training part's failure rate.
                           "brier_base_rate": float(np.mean((base_rate - failed) ** 2))},
             "metrics_by_group": metrics_by_group(holdout, y, predicted, low=low, high=high),
             # The fit that never saw the holdout, row by row: monitoring's yardstick, which a
             # refitted artifact can no longer give (it has learnt these rows).
             "holdout_errors": {"predicted": [round(float(p), 4) for p in predicted],
                                "actual": [int(a) for a in y], "train_mean": float(np.mean(train[TARGET]))}}
    return TrainedTrack(track=track, pipeline=served, metrics=metrics, holdout=holdout_info,
                        params=_params(served, selection), profile=profile, extra=extra)


def model_versions_train(*, window_size: int | None = None, by: str = "cli",
                         progress: Progress | None = None) -> list[ModelVersion]:
    """Train and register one version per track; a track with no champion gets this one as champion."""
    say = progress or (lambda _message: None)
    window = window_load(window_size)
    if window.rows < MIN_ROWS:
        raise TrainingError(f"{window.rows} labelled rows stored, fewer than {MIN_ROWS}: import labelled data first")
    say(f"window: {window.rows} labelled rows")
    versions = []
    for track in Track:
        champion = registry.champion_get(track.value)
        trained = fit_track(window.frame, track, champion=champion)
        version = registry.model_version_register(
            track=track.value, pipeline=trained.pipeline, metrics=trained.metrics, holdout=trained.holdout,
            window=window.describe(), params=trained.params, by=by, extra={"profile": trained.profile, **trained.extra})
        if champion is None:
            version = registry.model_version_promote(track.value, version.version, by=by,
                                                     reason="first version of the track")
        versions.append(version)
        say(f"track {track.value}: version {version.version} ({version.status.value}), {trained.params['label']}, "
            f"MAE {trained.metrics['mae']:.3f}, RMSE {trained.metrics['rmse']:.3f}, "
            f"naive MAE {trained.holdout['naive_mae']:.3f}")
    return versions
