"""Repeated K-fold cross-validation, the protocol of Cortez & Silva (2008), per track.

Each run shuffles the rows into K folds with its own seed; every row is predicted once
per run by a model that never saw it; RMSE and MAE are computed over the run's
out-of-fold predictions, and the table reports their mean and standard deviation over
runs. The paper's naive baselines are scored on the same folds: G3 = G2 (track A),
G3 = G1 (track B), G3 = the training folds' mean (track C).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.model_selection import KFold

from predictions.pipeline import build_pipeline
from predictions.schema import TARGET, Track

EstimatorFactory = Callable[[Track], Any]


@dataclass(frozen=True)
class Score:
    rmse_mean: float
    rmse_std: float
    mae_mean: float
    mae_std: float


@dataclass(frozen=True)
class TrackEvaluation:
    track: Track
    model: Score
    naive: Score
    runs: int
    folds: int
    rows: int


def rows_for_track(frame: pd.DataFrame, track: Track) -> pd.DataFrame:
    """The labelled rows a track can learn from: those with the period grades it uses."""
    from predictions.schema import TRACK_GRADES

    needed = list(TRACK_GRADES[track])
    return frame.dropna(subset=needed) if needed else frame


def _score(per_run: list[tuple[float, float]]) -> Score:
    rmse = np.array([r for r, _ in per_run])
    mae = np.array([m for _, m in per_run])
    return Score(float(rmse.mean()), float(rmse.std(ddof=1)) if len(rmse) > 1 else 0.0,
                 float(mae.mean()), float(mae.std(ddof=1)) if len(mae) > 1 else 0.0)


def naive_prediction(track: Track, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    if track is Track.A:
        return test["G2"].to_numpy(dtype=float)
    if track is Track.B:
        return test["G1"].to_numpy(dtype=float)
    return np.full(len(test), float(train[TARGET].mean()))


def _one_run(frame: pd.DataFrame, track: Track, folds: int, seed: int,
             factory: EstimatorFactory | None) -> tuple[tuple[float, float], tuple[float, float]]:
    y = frame[TARGET].to_numpy(dtype=float)
    model_pred = np.empty(len(frame))
    naive_pred = np.empty(len(frame))
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=seed).split(frame):
        train, test = frame.iloc[train_idx], frame.iloc[test_idx]
        pipeline = build_pipeline(track, factory(track) if factory else None)
        pipeline.fit(train, y[train_idx])
        model_pred[test_idx] = pipeline.predict(test)
        naive_pred[test_idx] = naive_prediction(track, train, test)

    def metrics(pred: np.ndarray) -> tuple[float, float]:
        error = pred - y
        return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))

    return metrics(model_pred), metrics(naive_pred)


def cross_validate(frame: pd.DataFrame, track: Track, *, runs: int = 20, folds: int = 10, seed: int = 0,
                   factory: EstimatorFactory | None = None, jobs: int = 1) -> TrackEvaluation:
    """Score the shipped model (or ``factory``'s) and the naive baseline on ``runs`` x ``folds`` CV."""
    frame = rows_for_track(frame, track)
    if len(frame) < folds:
        raise ValueError(f"{len(frame)} labelled rows are too few for {folds}-fold cross-validation")
    results = Parallel(n_jobs=jobs)(
        delayed(_one_run)(frame, track, folds, seed + run, factory) for run in range(runs)
    )
    return TrackEvaluation(track=track, model=_score([m for m, _ in results]), naive=_score([n for _, n in results]),
                           runs=runs, folds=folds, rows=len(frame))
