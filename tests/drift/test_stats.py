"""The drift statistics equal scipy's on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.stats import contingency

from drift.stats import codes_counts, compare, counts_by_feature


def counts(x: np.ndarray, low: int, high: int) -> np.ndarray:
    return counts_by_feature(x.astype(float)[:, None], np.array([low]), np.array([high]))[0]


@pytest.mark.parametrize("n1,n2,seed", [(5, 7, 0), (30, 30, 1), (395, 649, 2), (10_000, 10_000, 3),
                                        (10_000, 9_999, 4), (10_001, 500, 5), (60_000, 45_000, 6)])
def test_ks_equals_scipy_on_tied_discrete_data(n1, n2, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.poisson(4, n1), rng.poisson(4.4, n2)

    ours = compare("ks", counts(x, 0, 93), counts(y, 0, 93))
    theirs = stats.ks_2samp(x, y)

    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, abs=1e-12, rel=1e-12)
    assert ours.effect_size == ours.statistic


@pytest.mark.parametrize("seed", range(20))
def test_ks_equals_scipy_on_random_grades(seed):
    rng = np.random.default_rng(100 + seed)
    n1, n2 = rng.integers(3, 400, size=2)
    x = rng.integers(0, 21, n1)
    y = np.clip(rng.integers(0, 21, n2) + rng.integers(-2, 3), 0, 20)

    ours = compare("ks", counts(x, 0, 20), counts(y, 0, 20))
    theirs = stats.ks_2samp(x, y)

    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, abs=1e-12)


def test_nan_is_left_out_like_scipy_on_the_observed_values():
    x = np.array([1, 2, np.nan, 3, 4, 4, np.nan])
    y = np.array([2, 3, 3, 4, 5, np.nan])

    ours = compare("ks", counts(x, 0, 20), counts(y, 0, 20))

    theirs = stats.ks_2samp(x[~np.isnan(x)], y[~np.isnan(y)])
    assert (ours.statistic, ours.p_value) == pytest.approx((theirs.statistic, theirs.pvalue), abs=1e-12)
    assert (ours.n_reference, ours.n_current) == (5, 5)


def test_constant_column_is_no_verdict():
    same = counts(np.full(50, 3), 0, 20)

    result = compare("ks", same, same)

    assert (result.statistic, result.p_value, result.note) == (0.0, 1.0, "constant")


@pytest.mark.parametrize("ref,cur", [
    ([30, 20, 10], [10, 25, 12]),          # three categories
    ([30, 20], [10, 25]),                  # 2 x 2: Yates' correction, as scipy applies by default
    ([40, 0, 5, 0], [0, 30, 5, 0]),        # categories seen on one side only; one empty on both
    ([3, 2, 1, 4, 0], [1, 1, 6, 2, 3]),    # tiny counts
])
def test_chi_square_equals_scipy(ref, cur):
    result = compare("chi2", np.array(ref), np.array(cur))

    table = np.array([ref, cur])
    table = table[:, table.sum(axis=0) > 0]
    expected = stats.chi2_contingency(table)
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-12)
    assert result.effect_size == pytest.approx(contingency.association(table, method="cramer"), abs=1e-12)


def test_one_category_on_both_sides_is_no_verdict():
    result = compare("chi2", np.array([0, 12, 0]), np.array([0, 30, 0]))

    assert (result.p_value, result.effect_size, result.note) == (1.0, 0.0, "constant")


def test_counting_all_features_at_once_equals_counting_each():
    rng = np.random.default_rng(7)
    matrix = np.column_stack([rng.integers(15, 23, 1000), rng.integers(0, 94, 1000), rng.integers(0, 21, 1000)])
    matrix = matrix.astype(float)
    matrix[::7, 2] = np.nan
    low, high = np.array([15, 0, 0]), np.array([22, 93, 20])

    together = counts_by_feature(matrix, low, high)

    for j in range(3):
        column = matrix[:, j][~np.isnan(matrix[:, j])].astype(int)
        assert together[j].tolist() == np.bincount(column - low[j], minlength=high[j] - low[j] + 1).tolist()


def test_category_codes_count_with_missing():
    codes = np.array([[0, 1], [1, -1], [1, 2], [-1, 2]])

    a, b = codes_counts(codes, np.array([2, 3]))

    assert a.tolist() == [1, 2] and b.tolist() == [0, 1, 2]
