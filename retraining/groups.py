"""Quality per group of students (school, sex, address, …) on a version's holdout.

Evidence for the approver, not a gate: a model can have a good MAE overall and still be
much worse for the smaller school. Each group value gets its row count, MAE, RMSE,
interval coverage (when intervals are given) and the precision and recall of the at-risk
flag (predicted G3 < 10 against actual G3 < 10).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings

PASS_MARK = 10


def _group_figures(y: np.ndarray, predicted: np.ndarray, low: np.ndarray | None,
                   high: np.ndarray | None) -> dict[str, Any]:
    error = predicted - y
    flagged, failed = predicted < PASS_MARK, y < PASS_MARK
    hits = int(np.sum(flagged & failed))
    return {
        "rows": len(y),
        "mae": round(float(np.mean(np.abs(error))), 4),
        "rmse": round(float(np.sqrt(np.mean(error**2))), 4),
        "coverage": round(float(np.mean((y >= low) & (y <= high))), 4) if low is not None else None,
        # None, not 0, when nobody was flagged / nobody failed: "no evidence" is not "always wrong".
        "at_risk_precision": round(hits / int(flagged.sum()), 4) if flagged.any() else None,
        "at_risk_recall": round(hits / int(failed.sum()), 4) if failed.any() else None,
    }


def metrics_by_group(holdout: pd.DataFrame, y: np.ndarray, predicted: np.ndarray, *,
                     low: np.ndarray | None = None, high: np.ndarray | None = None) -> dict[str, dict[str, Any]]:
    """{field: {value: figures}} for every field of ``METRICS_GROUP_FIELDS`` present in ``holdout``."""
    out: dict[str, dict[str, Any]] = {}
    for name in settings.METRICS_GROUP_FIELDS:
        if name not in holdout:
            continue
        values = holdout[name].astype(object).to_numpy()
        out[name] = {}
        for value in sorted({v for v in values if v is not None and v == v}, key=str):
            mask = values == value
            out[name][str(value)] = _group_figures(y[mask], predicted[mask], None if low is None else low[mask],
                                                   None if high is None else high[mask])
    return out
