"""An estimate of the current MAE before the actual grades arrive.

Method (predicted-grade bands): on the version's holdout, group the rows by predicted
grade into bands of equal size and keep each band's absolute errors; each recent
prediction is then expected to err like the holdout rows of its band. The interval is a
simulation of the MAE the recent rows will realise: each draw resamples each band's
holdout errors (the bands' own uncertainty) and gives every recent row one error drawn from
its band (the luck of which students these are).

What it assumes, in plain words: a student predicted (say) 12 is as hard to predict now
as one predicted 12 was on the holdout. It sees a change in *who* is being predicted
(more absences move students into the bands where the model errs more), but not a change
in *how grades are given* (a harsher final exam): only actual grades show that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

METHOD = "predicted-grade bands"
ASSUMPTION = ("An estimate, not a measurement: it assumes students with the same predicted grade are as hard "
              "to predict as they were on the model's holdout. It notices changes in which students are "
              "predicted, not changes in how final grades are given; only actual grades show those.")
LEVEL = 0.9
MIN_BAND_ROWS = 25
MAX_BANDS = 6


@dataclass(frozen=True)
class Estimate:
    estimated_mae: float | None
    low: float | None
    high: float | None
    rows: int  # recent predictions the estimate is over
    method: str
    level: float
    holdout_rows: int
    holdout_mae: float | None
    assumption: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def band_edges(holdout_predicted: np.ndarray) -> np.ndarray:
    """Inner edges splitting the holdout's predicted grades into bands of about equal size."""
    bands = max(1, min(MAX_BANDS, len(holdout_predicted) // MIN_BAND_ROWS))
    if bands == 1:
        return np.array([])
    return np.unique(np.quantile(holdout_predicted, np.linspace(0, 1, bands + 1)[1:-1]))


def estimate_mae(holdout_predicted: np.ndarray, holdout_error: np.ndarray, recent_predicted: np.ndarray, *,
                 draws: int = 400, seed: int = 0, level: float = LEVEL) -> Estimate:
    """The expected MAE of ``recent_predicted`` and a ``level`` interval for the MAE they will realise."""
    holdout_predicted = np.asarray(holdout_predicted, dtype=float)
    holdout_error = np.abs(np.asarray(holdout_error, dtype=float))
    recent_predicted = np.asarray(recent_predicted, dtype=float)
    holdout_mae = float(holdout_error.mean()) if len(holdout_error) else None
    if len(holdout_error) == 0 or len(recent_predicted) == 0:
        return Estimate(None, None, None, len(recent_predicted), METHOD, level, len(holdout_error), holdout_mae,
                        ASSUMPTION)
    edges = band_edges(holdout_predicted)
    holdout_band = np.searchsorted(edges, holdout_predicted, side="right")
    # Tied predictions can leave a band without holdout rows: its recent rows join the next band up.
    present = np.unique(holdout_band)
    recent_band = np.searchsorted(present, np.searchsorted(edges, recent_predicted, side="right"))
    recent_band = np.minimum(recent_band, len(present) - 1)
    errors = [holdout_error[holdout_band == b] for b in present]
    point = float(np.mean([errors[b].mean() for b in recent_band]))
    rng = np.random.default_rng(seed)
    totals = np.zeros(draws)
    for b, band_errors in enumerate(errors):
        count = int(np.sum(recent_band == b))
        if count == 0:
            continue
        n = len(band_errors)
        resampled = band_errors[rng.integers(n, size=(draws, n))]
        totals += np.take_along_axis(resampled, rng.integers(n, size=(draws, count)), axis=1).sum(axis=1)
    realised = totals / len(recent_predicted)
    tail = (1 - level) / 2
    low, high = np.quantile(realised, [tail, 1 - tail])
    return Estimate(point, float(low), float(high), len(recent_predicted), METHOD, level, len(holdout_error),
                    holdout_mae, ASSUMPTION)
