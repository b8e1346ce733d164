"""Benchmark: drift statistics over all features vs a plain per-column loop of scipy calls."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandParser
from scipy import stats

from drift.detect import Thresholds, detect
from drift.profile import FeatureSpec, feature_specs
from drift.stats import counts_by_feature
from predictions.generator import generate_students


def _matrix(frame: pd.DataFrame, specs: list[FeatureSpec]) -> np.ndarray:
    """Students as one small-integer matrix: whole numbers as they are, categories as codes (-1: missing)."""
    out = np.empty((len(frame), len(specs)), dtype=np.int16)
    for j, spec in enumerate(specs):
        column = frame[spec.name]
        if isinstance(spec.values[0], str):
            out[:, j] = pd.Categorical(column, categories=list(spec.values)).codes
        else:
            out[:, j] = column.to_numpy(dtype=np.int16)
    return out


def ours(ref: np.ndarray, cur: np.ndarray, specs: list[FeatureSpec]) -> dict[str, tuple[float, float]]:
    low = np.array([0 if isinstance(s.values[0], str) else s.values[0] for s in specs], dtype=float)
    high = low + np.array([s.size - 1 for s in specs], dtype=float)
    rc, cc = counts_by_feature(ref, low, high), counts_by_feature(cur, low, high)
    profile_r = {s.name: c for s, c in zip(specs, rc, strict=True)}
    profile_c = {s.name: c for s, c in zip(specs, cc, strict=True)}
    _, features = detect(profile_r, profile_c, specs, Thresholds(correction="none"))
    return {f.name: (f.statistic, f.p_value) for f in features}


def scipy_loop(ref: np.ndarray, cur: np.ndarray, specs: list[FeatureSpec]) -> dict[str, tuple[float, float]]:
    out = {}
    for j, spec in enumerate(specs):
        if spec.test == "ks":
            r = stats.ks_2samp(ref[:, j], cur[:, j])
            out[spec.name] = (float(r.statistic), float(r.pvalue))
        else:
            k = spec.size
            table = np.vstack([np.bincount(ref[:, j].astype(np.int64), minlength=k),
                               np.bincount(cur[:, j].astype(np.int64), minlength=k)])
            table = table[:, table.sum(axis=0) > 0]
            r = stats.chi2_contingency(table)
            out[spec.name] = (float(r.statistic), float(r.pvalue))
    return out


def _timed(fn: Any, runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _peak_mib(fn: Any) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


class Command(BaseCommand):
    help = ("Time the drift statistics for all 32 features at 10k, 100k and 1M rows per side beside a plain "
            "per-column loop of scipy.stats.ks_2samp / chi2_contingency; check both agree; peak extra memory.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="10000,100000,1000000")
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--shift", default="term", help="generator shift preset for the current sample")

    def handle(self, *args: Any, sizes: str, runs: int, shift: str, **options: Any) -> None:
        specs = feature_specs()
        for n in [int(s) for s in sizes.split(",")]:
            ref = _matrix(generate_students(n, seed=1), specs)
            cur = _matrix(generate_students(n, seed=2, shift=shift or None), specs)
            t_ours, ours_result = _timed(partial(ours, ref, cur, specs), runs)
            t_scipy, scipy_result = _timed(partial(scipy_loop, ref, cur, specs), runs)
            worst = max(max(abs(ours_result[k][0] - scipy_result[k][0]), abs(ours_result[k][1] - scipy_result[k][1]))
                        for k in scipy_result)
            mem_ours = _peak_mib(partial(ours, ref, cur, specs))
            mem_scipy = _peak_mib(partial(scipy_loop, ref, cur, specs))
            self.stdout.write(
                f"{n:>9,} rows per side, {len(specs)} features: ours {t_ours * 1e3:8.1f} ms, scipy loop "
                f"{t_scipy * 1e3:8.1f} ms, ratio {t_scipy / t_ours:5.1f}x; peak extra memory ours {mem_ours:6.1f} MiB, "
                f"scipy {mem_scipy:6.1f} MiB; largest difference {worst:.1e} (median of {runs})")
