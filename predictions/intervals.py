"""A prediction interval and a risk probability for every prediction, from out-of-fold residuals.

Split-conformal in its cross-validated form: while the candidates are compared
(``retraining.candidates``), every training row is predicted once by a model that never
saw it. Its residual ``actual - predicted`` is a fair sample of the error the model makes
on a new student. Under exchangeability, the interval [prediction + q_low, prediction +
q_high], with q the (1 - level)/2 and (1 + level)/2 empirical quantiles (finite-sample
corrected), covers the actual grade with probability about ``level``.

Errors are not the same everywhere on the scale (a student predicted at 17 rarely fails, a
student predicted at 9 can land anywhere from 5 to 12), so residuals are kept per band of
the predicted grade; a band with fewer than ``MIN_BAND_ROWS`` residuals uses them all.
``p_at_risk`` is the share of the band's residuals that would have put the student below
the pass mark: P(G3 < 10) = P(prediction + residual < 10).

The calibration travels inside the artifact (``pipeline.calibration_``), so the champion
that makes a prediction also words its uncertainty, and serving needs no extra read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from predictions.schema import PASS_MARK

BAND_EDGES = (8.0, 12.0)  # predicted G3 below 8, 8-12, 12 and above
MIN_BAND_ROWS = 40
MAX_RESIDUALS = 5000  # per band: enough for the quantiles, small enough for the artifact
DECIMALS = 1


@dataclass(frozen=True)
class Calibration:
    edges: tuple[float, ...]
    residuals: tuple[np.ndarray, ...]  # one sorted array per band

    def band(self, predicted: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.edges), predicted, side="right")


def calibration_fit(predicted: np.ndarray, actual: np.ndarray) -> Calibration:
    """Residuals per band of predicted grade (out-of-fold predictions and their actual grades)."""
    predicted, actual = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    residuals = actual - predicted
    everything = np.sort(residuals)
    bands = np.searchsorted(np.asarray(BAND_EDGES), predicted, side="right")
    rng = np.random.default_rng(0)
    per_band = []
    for band in range(len(BAND_EDGES) + 1):
        own = residuals[bands == band]
        chosen = own if len(own) >= MIN_BAND_ROWS else everything
        if len(chosen) > MAX_RESIDUALS:
            chosen = rng.choice(chosen, MAX_RESIDUALS, replace=False)
        per_band.append(np.sort(chosen))
    return Calibration(edges=BAND_EDGES, residuals=tuple(per_band))


def _quantile_index(n: int, q: float) -> int:
    # Finite-sample conformal rank: ceil((n + 1) q) - 1, kept inside the array.
    return min(n - 1, max(0, math.ceil((n + 1) * q) - 1))


def intervals(calibration: Calibration, predicted: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) per prediction at ``level``, clipped to 0-20 and rounded to one decimal."""
    predicted = np.asarray(predicted, dtype=float)
    bands = calibration.band(predicted)
    low, high = np.empty(len(predicted)), np.empty(len(predicted))
    tail = (1 - level) / 2
    for band in np.unique(bands):
        r = calibration.residuals[band]
        mask = bands == band
        # The low end uses the lower-tail rank from below, the high end the upper-tail rank.
        low[mask] = predicted[mask] + r[len(r) - 1 - _quantile_index(len(r), 1 - tail)]
        high[mask] = predicted[mask] + r[_quantile_index(len(r), 1 - tail)]
    return (np.round(np.clip(low, 0, 20), DECIMALS), np.round(np.clip(high, 0, 20), DECIMALS))


def p_at_risk(calibration: Calibration, predicted: np.ndarray) -> np.ndarray:
    """P(G3 < PASS_MARK) per prediction: the band's share of residuals below ``PASS_MARK - prediction``."""
    predicted = np.asarray(predicted, dtype=float)
    bands = calibration.band(predicted)
    out = np.empty(len(predicted))
    for band in np.unique(bands):
        r = calibration.residuals[band]
        mask = bands == band
        # Grades are whole numbers and prediction + residual stands for one: "below 10" is "below
        # 9.5" on that continuous scale (with 10 the probability ran about 0.07 too high).
        out[mask] = np.searchsorted(r, PASS_MARK - 0.5 - predicted[mask], side="left") / len(r)
    return np.round(out, 2)


def calibration_of(pipeline: Any) -> Calibration | None:
    """The calibration an artifact carries (None for artifacts made before intervals existed)."""
    found = getattr(pipeline, "calibration_", None)
    return found if isinstance(found, Calibration) else None
