"""Which model a track serves: the naive rule, a residual model or the full estimator, chosen by evidence.

Each track has a few candidates, from simplest to most complex:

- A: ``rule: G3 = G2``, ``residual: G3 - G2`` (boosting learns the change), the full estimator;
- B: ``rule: G3 = G1``, ``residual: G3 - G1``, the full estimator;
- C: ``rule: training mean``, the full estimator.

They are scored by K-fold cross-validation (``TRAINING_CV_FOLDS``) on the *training part*
of the window only; the holdout stays unseen until the chosen one is scored on it. The
choice is the one-standard-error rule (Hastie, Tibshirani & Friedman, ESL 7.10): the
simplest candidate whose CV MAE is within one standard error (over the folds) of the best
one's. On a few hundred students a complex model's edge over "G3 = G2" is often smaller
than its fold-to-fold noise, and then the rule is the honest champion: it cannot be beaten
by luck on the holdout, and a teacher can check it by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from predictions import schema
from predictions.pipeline import NaiveRule, ResidualRegressor, build_pipeline, default_estimator, encoded_column
from predictions.schema import TARGET, Track

_BASE = {Track.A: "G2", Track.B: "G1"}
_QUICK_SHARE = 10  # TRAINING_QUICK keeps a tenth of the trees: same code path, a fraction of the time


@dataclass(frozen=True)
class Candidate:
    name: str  # stable key, e.g. "rule", "residual", "estimator"
    label: str  # what a page calls it: "rule: G3 = G2"
    complexity: int  # 0 simplest; the one-SE rule prefers lower
    build: Callable[[], Pipeline]


@dataclass(frozen=True)
class Selection:
    chosen: Candidate
    table: list[dict[str, Any]]  # every candidate's CV figures, as stored with the version
    folds: int
    oof_residuals: np.ndarray  # the chosen candidate's out-of-fold y - prediction (for intervals)
    oof_predicted: np.ndarray


def _quick(estimator: Any) -> Any:
    if settings.TRAINING_QUICK and "n_estimators" in estimator.get_params():
        estimator.set_params(n_estimators=max(10, estimator.get_params()["n_estimators"] // _QUICK_SHARE))
    return estimator


def _residual_estimator() -> Any:
    from sklearn.ensemble import GradientBoostingRegressor

    # Shallow and slow: the correction to G2/G1 is small and noisy, so it must not overfit.
    return GradientBoostingRegressor(loss="huber", alpha=0.9, n_estimators=300, learning_rate=0.01, max_depth=2,
                                     min_samples_leaf=10, subsample=0.7, random_state=0)


def rule_label(track: Track) -> str:
    base = _BASE.get(track)
    return f"rule: G3 = {base}" if base else "rule: training mean"


def track_candidates(track: Track | str) -> list[Candidate]:
    """The track's candidates, simplest first."""
    track = Track(track)
    base = _BASE.get(track)
    column = encoded_column(track, base) if base else None
    found = [Candidate("rule", rule_label(track), 0, lambda: build_pipeline(track, NaiveRule(column)))]
    if column is not None:
        found.append(Candidate("residual", f"residual: G3 - {base} (gradient boosting)", 1,
                               lambda: build_pipeline(track, ResidualRegressor(_quick(_residual_estimator()), column))))
    found.append(Candidate("estimator", "gradient boosting", 2,
                           lambda: build_pipeline(track, _quick(default_estimator(track)))))
    return found


def candidates_select(train: pd.DataFrame, track: Track | str, *, folds: int | None = None,
                      seed: int = 0) -> Selection:
    """Score every candidate by K-fold CV on ``train`` and pick one by the one-standard-error rule."""
    track = Track(track)
    folds = min(folds or settings.TRAINING_CV_FOLDS, len(train))
    inputs = list(schema.track_inputs(track))
    X, y = train[inputs], train[TARGET].to_numpy(dtype=float)
    candidates = track_candidates(track)
    predicted = {c.name: np.empty(len(train)) for c in candidates}
    fold_mae: dict[str, list[float]] = {c.name: [] for c in candidates}
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=seed).split(X):
        for c in candidates:
            pipeline = c.build().fit(X.iloc[train_idx], y[train_idx])
            predicted[c.name][test_idx] = pipeline.predict(X.iloc[test_idx])
            fold_mae[c.name].append(float(np.mean(np.abs(predicted[c.name][test_idx] - y[test_idx]))))
    table = []
    for c in candidates:
        maes = np.array(fold_mae[c.name])
        table.append({"name": c.name, "label": c.label, "complexity": c.complexity,
                      "cv_mae": float(np.mean(np.abs(predicted[c.name] - y))),
                      "cv_rmse": float(np.sqrt(np.mean((predicted[c.name] - y) ** 2))),
                      "cv_mae_se": float(maes.std(ddof=1) / np.sqrt(len(maes))) if len(maes) > 1 else 0.0})
    best = min(table, key=lambda row: row["cv_mae"])
    threshold = best["cv_mae"] + best["cv_mae_se"]
    chosen_row = min((row for row in table if row["cv_mae"] <= threshold),
                     key=lambda row: (row["complexity"], row["cv_mae"]))
    for row in table:
        row["chosen"] = row is chosen_row
    chosen = next(c for c in candidates if c.name == chosen_row["name"])
    return Selection(chosen=chosen, table=table, folds=folds, oof_residuals=y - predicted[chosen.name],
                     oof_predicted=predicted[chosen.name])
