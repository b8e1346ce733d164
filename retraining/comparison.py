"""How sure is a gain? A paired bootstrap over the holdout rows.

Champion and challenger are scored on the same rows, so the question is about the mean of
the per-row differences ``|champion error| - |challenger error|``. Resampling those rows
(2,000 times) gives a 95 % interval for that mean. We bootstrap the holdout rather than
repeat cross-validation on the window because it needs no retraining (milliseconds, not
minutes) and answers exactly the question the promotion rule asks: on these students,
is the challenger's lower MAE more than luck of the draw? It does not capture how much
the challenger itself would vary if retrained on another sample; that variation (about
0.005-0.05 MAE on UCI-sized data) is one reason significance is an option, not the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
CONFIDENCE = 0.95
_CHUNK_CELLS = 2_000_000  # resamples x rows per step: bounded memory for big holdouts


@dataclass(frozen=True)
class Gain:
    mean: float  # champion MAE - challenger MAE on the same rows
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_gain(y: np.ndarray, champion: np.ndarray, challenger: np.ndarray, *, seed: int = 0,
                resamples: int = RESAMPLES) -> Gain:
    y = np.asarray(y, dtype=float)
    diff = np.abs(np.asarray(champion, dtype=float) - y) - np.abs(np.asarray(challenger, dtype=float) - y)
    n = len(diff)
    if n == 0:
        raise ValueError("no holdout rows to compare on")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    step = max(1, _CHUNK_CELLS // n)
    for start in range(0, resamples, step):
        stop = min(resamples, start + step)
        means[start:stop] = diff[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Gain(mean=float(diff.mean()), low=float(low), high=float(high))
