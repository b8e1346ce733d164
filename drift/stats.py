"""Two-sample drift statistics over all features at once. No Django in here.

Numeric features get the two-sample Kolmogorov-Smirnov test, categorical ones the
chi-square test of the reference/current count table. Both work from *counts*: every
feature of the student schema takes small whole numbers (grades 0-20, absences 0-93,
coded scales) or a handful of categories, so one ``np.bincount`` over all features at once
summarises a million rows, and a reference stored as counts survives its raw rows
ageing out.

Results equal scipy's to the last bit, because they are scipy's on the same numbers:
the KS statistic is ``max |F_ref - F_cur|`` over the pooled data points, computed from the
same integer counts ``scipy.stats.ks_2samp`` gets from ``searchsorted``, and its p-value
comes from the same routines with the same choice (exact when both samples have at most
10,000 rows, else the asymptotic Kolmogorov distribution); chi-square is
``scipy.stats.chi2_contingency`` on the 2 x k table (Yates' correction when k = 2, as
scipy does by default) and Cramér's V is ``scipy.stats.contingency.association`` without
correction. Missing values (NaN, code -1) are left out, as ``ks_2samp`` on the observed
values would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as scipy_stats
from scipy.stats import contingency

MAX_EXACT_N = 10_000  # scipy.stats._stats_py.MAX_AUTO_N: above it ks_2samp goes asymptotic

Test = Literal["ks", "chi2"]


@dataclass(frozen=True)
class TestResult:
    test: Test
    statistic: float
    p_value: float
    effect_size: float  # KS: D itself; chi-square: Cramér's V
    n_reference: int
    n_current: int
    note: str = ""  # "constant": one value on both sides, nothing to test


def ks_from_counts(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """KS statistic and p-value of two samples given as counts over the same ordered values."""
    n1, n2 = int(ref.sum()), int(cur.sum())
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    present = (ref + cur) > 0  # ks_2samp evaluates the CDFs at the pooled data points only
    diffs = np.cumsum(ref)[present] / n1 - np.cumsum(cur)[present] / n2
    min_s = float(np.clip(-diffs.min(), 0, 1))
    max_s = float(diffs.max())
    d = min_s if min_s > max_s else max_s
    return _ks_p_value(d, n1, n2)


def _ks_p_value(d: float, n1: int, n2: int) -> tuple[float, float]:
    if max(n1, n2) <= MAX_EXACT_N:
        # scipy's own exact routine (private, but the only way to match ks_2samp bit for bit).
        from scipy.stats._stats_py import _attempt_exact_2kssamp

        success, d_exact, prob = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, "two-sided")
        if success:
            return float(d_exact), float(np.clip(prob, 0, 1))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(d), float(np.clip(scipy_stats.kstwo.sf(d, np.round(en)), 0, 1))


def chi2_from_counts(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float, float, str]:
    """Chi-square statistic, p-value and Cramér's V of a 2 x k table; categories empty on both sides drop out."""
    table = np.vstack([ref, cur]).astype(np.int64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0, 0.0, "constant"
    result = scipy_stats.chi2_contingency(table)
    v = float(contingency.association(table, method="cramer", correction=False))
    return float(result.statistic), float(result.pvalue), v, ""


def counts_by_feature(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> list[np.ndarray]:
    """Per-column counts of whole numbers in ``[low_j, high_j]``.

    ``values``: (rows, features), floats (NaN = missing) or integers; values outside the
    range are not counted. One ``bincount`` per column, reading the column in place, keeps
    the extra memory to a few bytes per row, whatever the number of features (a column-major
    copy first was slower and cost the whole matrix again).
    """
    rows, features = values.shape
    out = []
    for j in range(features):
        width = int(high[j] - low[j] + 1)
        column = values[:, j]
        if column.dtype.kind == "f":
            column = column[~np.isnan(column)]
        shifted = column.astype(np.int64) - int(low[j])
        if shifted.size and (shifted.min() < 0 or shifted.max() >= width):
            shifted = shifted[(shifted >= 0) & (shifted < width)]
        out.append(np.bincount(shifted, minlength=width))
    return out


def codes_counts(codes: np.ndarray, categories: np.ndarray) -> list[np.ndarray]:
    """Per-column counts of category codes (``codes[:, j]`` in ``0..categories[j]-1``; -1 = missing)."""
    as_float = np.where(codes < 0, np.nan, codes.astype(np.float64))
    return counts_by_feature(as_float, np.zeros(len(categories)), categories.astype(np.float64) - 1)


def compare(test: Test, ref: np.ndarray, cur: np.ndarray) -> TestResult:
    n1, n2 = int(ref.sum()), int(cur.sum())
    if test == "ks":
        if ((ref + cur) > 0).sum() < 2:
            return TestResult("ks", 0.0, 1.0, 0.0, n1, n2, "constant")
        d, p = ks_from_counts(ref, cur)
        return TestResult("ks", d, p, d, n1, n2)
    statistic, p, v, note = chi2_from_counts(ref, cur)
    return TestResult("chi2", statistic, p, v, n1, n2, note)
