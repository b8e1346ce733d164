"""Prediction intervals and the risk probability (predictions.intervals)."""

from __future__ import annotations

import numpy as np

from predictions import intervals


def _students(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Predicted grades and actual ones, the error wider for weak students (as on real data)."""
    predicted = rng.uniform(3, 18, n)
    spread = np.where(predicted < 8, 3.0, np.where(predicted < 12, 2.0, 1.0))
    return predicted, np.clip(np.round(predicted + rng.normal(0, spread)), 0, 20)


def test_the_interval_covers_about_its_level_of_new_students():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        calibration = intervals.calibration_fit(*_students(rng, 1500))
        predicted, actual = _students(rng, 3000)

        low, high = intervals.intervals(calibration, predicted, 0.8)

        coverage = np.mean((actual >= low) & (actual <= high))
        assert 0.77 <= coverage <= 0.86, (seed, coverage)
        assert (low >= 0).all() and (high <= 20).all() and (low <= predicted + 0.05).all()


def test_the_interval_is_wider_where_the_model_is_less_sure():
    rng = np.random.default_rng(1)
    calibration = intervals.calibration_fit(*_students(rng, 1500))

    low, high = intervals.intervals(calibration, np.array([5.0, 15.0]), 0.8)

    assert high[0] - low[0] > 2 * (high[1] - low[1])


def test_p_at_risk_is_calibrated_and_beats_the_base_rate():
    rng = np.random.default_rng(2)
    calibration = intervals.calibration_fit(*_students(rng, 2000))
    predicted, actual = _students(rng, 4000)
    failed = (actual < 10).astype(float)

    risk = intervals.p_at_risk(calibration, predicted)

    brier = np.mean((risk - failed) ** 2)
    assert brier < np.mean((failed.mean() - failed) ** 2) * 0.7
    for low, high in ((0.0, 0.2), (0.2, 0.8), (0.8, 1.01)):
        mask = (risk >= low) & (risk < high)
        assert abs(failed[mask].mean() - risk[mask].mean()) < 0.06, (low, high)
    assert risk[predicted > 16].max() < 0.05 and risk[predicted < 5].min() > 0.9
