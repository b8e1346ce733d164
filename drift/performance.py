"""Live accuracy: a version's errors on the logged predictions whose actual G3 has arrived.

Pure functions over :class:`PredictionLog` entries (no store access here), so the figures
can be checked against a direct computation. Periods follow the prediction's time (when
the model was used), not the label's arrival: "how good were October's predictions".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from predictions.entities import PredictionLog
from predictions.schema import PASS_MARK, Track


@dataclass(frozen=True)
class PeriodAccuracy:
    period_start: date
    rows: int
    mae: float
    rmse: float
    naive_mae: float | None  # the version's naive rule on the same rows
    coverage: float | None  # share of actual grades inside the prediction interval (when logged)
    at_risk_precision: float | None  # of those flagged at risk, the share who did fail
    at_risk_recall: float | None  # of those who failed, the share flagged

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def period_start(moment: datetime, period: str) -> date:
    day = moment.date()
    if period == "week":
        return date.fromordinal(day.toordinal() - day.weekday())  # the Monday
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}: choose week or month")


def naive_grade(track: Track | str, features: Mapping[str, Any], train_mean: float | None) -> float | None:
    """What the naive rule would have said: G2 on track A, G1 on B, the training mean on C."""
    track = Track(track)
    if track is Track.A:
        value = features.get("G2")
    elif track is Track.B:
        value = features.get("G1")
    else:
        value = train_mean
    return None if value is None else float(value)


def _interval(p: PredictionLog) -> tuple[float, float] | None:
    # Entries logged before predictions carried an interval have none.
    if p.interval_low is None or p.interval_high is None:
        return None
    return float(p.interval_low), float(p.interval_high)


def _share(hits: int, out_of: int) -> float | None:
    return hits / out_of if out_of else None


def accuracy(entries: list[PredictionLog], *, train_mean: float | None = None,
             start: date | None = None) -> PeriodAccuracy:
    """The figures over ``entries`` (all labelled, all of one track)."""
    if not entries:
        raise ValueError("no labelled predictions")
    actual = np.array([p.actual_g3 for p in entries], dtype=float)
    predicted = np.array([p.predicted_g3 for p in entries], dtype=float)
    error = predicted - actual
    naive = [naive_grade(p.track, p.features, train_mean) for p in entries]
    naive_mae = (float(np.mean(np.abs(np.array(naive, dtype=float) - actual)))
                 if all(n is not None for n in naive) else None)
    intervals = [_interval(p) for p in entries]
    covered = [lo <= a <= hi for iv, a in zip(intervals, actual, strict=True) if iv for lo, hi in [iv]]
    flagged = predicted < PASS_MARK
    failed = actual < PASS_MARK
    return PeriodAccuracy(
        period_start=start or min(p.created_at for p in entries).date(), rows=len(entries),
        mae=float(np.mean(np.abs(error))), rmse=float(np.sqrt(np.mean(error**2))), naive_mae=naive_mae,
        coverage=_share(sum(covered), len(covered)),
        at_risk_precision=_share(int(np.sum(flagged & failed)), int(np.sum(flagged))),
        at_risk_recall=_share(int(np.sum(flagged & failed)), int(np.sum(failed))),
    )


def accuracy_by_period(entries: Iterable[PredictionLog], period: str, *,
                       train_mean: float | None = None) -> list[PeriodAccuracy]:
    """One :class:`PeriodAccuracy` per week or month that has labelled predictions, oldest first."""
    groups: dict[date, list[PredictionLog]] = {}
    for p in entries:
        if p.actual_g3 is not None:
            groups.setdefault(period_start(p.created_at, period), []).append(p)
    return [accuracy(groups[start], train_mean=train_mean, start=start) for start in sorted(groups)]


@dataclass(frozen=True)
class Alert:
    state: str  # alert | ok | insufficient_data
    live_mae: float | None
    holdout_mae: float | None
    margin: float
    rows: int
    min_rows: int
    message: str


def alert_state(overall: PeriodAccuracy | None, holdout_mae: float | None, *, margin: float,
                min_rows: int) -> Alert:
    """``alert`` when live MAE exceeds the holdout MAE by more than ``margin`` over ``min_rows`` rows or more."""
    rows = overall.rows if overall else 0
    live = overall.mae if overall else None
    if overall is None or rows < min_rows or holdout_mae is None:
        why = ("no holdout MAE to compare with" if overall and rows >= min_rows
               else f"{rows} labelled predictions, fewer than the {min_rows} needed")
        return Alert("insufficient_data", live, holdout_mae, margin, rows, min_rows, f"No verdict yet: {why}.")
    assert live is not None
    if live - holdout_mae > margin:
        return Alert("alert", live, holdout_mae, margin, rows, min_rows,
                     f"Live MAE {live:.2f} is {live - holdout_mae:.2f} grade points worse than the holdout's "
                     f"{holdout_mae:.2f} (allowed: {margin:.2f}) over {rows} graded predictions. "
                     "Retrain on the newest labels, and check whether grading or the data source changed.")
    return Alert("ok", live, holdout_mae, margin, rows, min_rows,
                 f"Live MAE {live:.2f} against {holdout_mae:.2f} on the holdout, over {rows} graded predictions: "
                 "within the allowed margin.")
