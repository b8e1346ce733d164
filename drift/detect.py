"""The drift decision for one reference/current pair of profiles. No Django in here.

A feature drifts when its (corrected) p-value is below ``p_value`` **and** its effect size
reaches the threshold for its test: with thousands of rows a p-value alone flags shifts
too small to matter. The correction across features defaults to Benjamini-Hochberg:
when nothing drifts it keeps the chance of a false alarm for the whole report at
``p_value`` (under the complete null, FDR control is family-wise control), and when
several features do drift it flags more of them than Bonferroni would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from drift.entities import FeatureDrift, Verdict
from drift.profile import FeatureSpec
from drift.stats import compare

CORRECTIONS = ("none", "bonferroni", "benjamini-hochberg")


@dataclass(frozen=True)
class Thresholds:
    p_value: float = 0.05
    min_effect: Mapping[str, float] = None  # type: ignore[assignment]
    correction: str = "benjamini-hochberg"
    dataset_share: float = 0.03  # one feature in 32 is enough
    min_rows: int = 30

    def effect_for(self, test: str) -> float:
        return (self.min_effect or {"ks": 0.1, "chi2": 0.1})[test]


def adjust(p_values: list[float], method: str) -> list[float]:
    if not p_values or method == "none":
        return list(p_values)
    p = np.asarray(p_values, dtype=float)
    if method == "bonferroni":
        return np.minimum(p * len(p), 1.0).tolist()
    if method == "benjamini-hochberg":
        return scipy_stats.false_discovery_control(p, method="bh").tolist()
    raise ValueError(f"unknown correction {method!r}: choose one of {', '.join(CORRECTIONS)}")


def detect(reference: Mapping[str, list[int]], current: Mapping[str, list[int]], specs: list[FeatureSpec],
           thresholds: Thresholds) -> tuple[Verdict, list[FeatureDrift]]:
    """Compare every feature present in both profiles; the report's verdict and per-feature results."""
    tested: list[tuple[FeatureSpec, object]] = []
    skipped: list[FeatureDrift] = []
    for spec in specs:
        if spec.name not in reference or spec.name not in current:
            continue
        ref = np.asarray(reference[spec.name], dtype=np.int64)
        cur = np.asarray(current[spec.name], dtype=np.int64)
        if ref.sum() < thresholds.min_rows or cur.sum() < thresholds.min_rows:
            skipped.append(FeatureDrift(spec.name, spec.test, None, None, None, None, False, "insufficient data",
                                        ref.tolist(), cur.tolist(), list(spec.values)))
            continue
        tested.append((spec, compare(spec.test, ref, cur)))
    adjusted = adjust([r.p_value for _, r in tested], thresholds.correction)  # type: ignore[attr-defined]
    results: list[FeatureDrift] = []
    for (spec, r), p_adj in zip(tested, adjusted, strict=True):
        drifted = (not r.note and p_adj < thresholds.p_value  # type: ignore[attr-defined]
                   and r.effect_size >= thresholds.effect_for(spec.test))  # type: ignore[attr-defined]
        results.append(FeatureDrift(
            name=spec.name, test=spec.test, statistic=r.statistic, p_value=r.p_value,  # type: ignore[attr-defined]
            p_adjusted=float(p_adj), effect_size=r.effect_size, drifted=drifted, note=r.note,  # type: ignore[attr-defined]
            reference_counts=np.asarray(reference[spec.name]).tolist(),
            current_counts=np.asarray(current[spec.name]).tolist(), values=list(spec.values)))
    order = {spec.name: i for i, spec in enumerate(specs)}
    features = sorted(results + skipped, key=lambda f: order[f.name])
    if not tested:
        return Verdict.INSUFFICIENT_DATA, features
    share = sum(f.drifted for f in results) / len(results)
    verdict = Verdict.DRIFT if share > 0 and share >= thresholds.dataset_share else Verdict.NO_DRIFT
    return verdict, features
