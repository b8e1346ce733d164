"""The label-free estimate on generated years: its interval holds the MAE those years realise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from drift import monitoring
from drift.estimate import estimate_mae
from predictions.generator import generate_students
from predictions.schema import track_inputs
from registry import artifacts
from registry import services as registry

SEEDS = range(10)


def test_band_errors_follow_the_recent_predictions_not_the_holdout_mix():
    predicted = np.repeat([5.0, 15.0], 100)
    error = np.where(predicted < 10, 3.0, 1.0)  # low predictions err more

    low_heavy = estimate_mae(predicted, error, np.full(50, 4.0))
    high_heavy = estimate_mae(predicted, error, np.full(50, 16.0))

    assert low_heavy.estimated_mae == pytest.approx(3.0) and high_heavy.estimated_mae == pytest.approx(1.0)
    assert low_heavy.holdout_mae == pytest.approx(2.0)
    assert estimate_mae(predicted, error, np.array([])).estimated_mae is None


@pytest.fixture
def champions(trained):
    return {t: registry.champion_get(t) for t in "AC"}


def test_a_version_from_before_recorded_holdout_errors_is_rebuilt_from_its_window(champions):
    recorded = champions["A"]
    older = replace(recorded, extra={k: v for k, v in recorded.extra.items() if k != "holdout_errors"})

    rebuilt = monitoring.version_holdout(older)

    assert rebuilt is not None
    assert rebuilt.rows == recorded.holdout["rows"] == len(recorded.extra["holdout_errors"]["actual"])


def test_the_interval_holds_the_realised_mae_of_unshifted_and_shifted_years(champions):
    for track in champions:  # one training for both tracks
        _check_track(champions[track], track)


def _check_track(champion, track: str) -> None:
    held = monitoring.version_holdout(champion)
    assert held is not None and np.mean(np.abs(held.error)) == pytest.approx(champion.metrics["mae"])
    pipeline = artifacts.load(champion.artifact)
    inside, widths, realised = 0, [], []
    for shift in (None, "term"):
        for seed in SEEDS:
            year = generate_students(300, seed=100 + seed, shift=shift)
            predicted = pipeline.predict(year[list(track_inputs(track))])
            mae = float(np.mean(np.abs(predicted - year["G3"])))
            estimate = estimate_mae(held.predicted, held.error, predicted, seed=seed)
            inside += estimate.low <= mae <= estimate.high
            widths.append(estimate.high - estimate.low)
            realised.append(mae)
    for seed in SEEDS:  # a year graded harder: the spread an estimate must beat to say anything
        year = generate_students(300, seed=100 + seed, shift="harder-year")
        realised.append(float(np.mean(np.abs(pipeline.predict(year[list(track_inputs(track))]) - year["G3"]))))

    assert inside >= 17, f"track {track}: {inside} of {2 * len(SEEDS)} intervals held the realised MAE"
    assert max(widths) < max(realised) - min(realised), track
