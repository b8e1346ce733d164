"""Feature profiles: per-feature counts of a sample, the form drift statistics work on.

A profile is small (a few hundred integers for all features together) and exact for the
student schema's whole-number and categorical fields, so a model version can carry the
profile of its training window and drift can still be measured against it after those
rows have aged out of the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift.stats import Test, counts_by_feature
from predictions import schema
from predictions.schema import Kind


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    test: Test
    values: tuple[Any, ...]  # the ordered support: whole numbers low..high, or the categories

    @property
    def size(self) -> int:
        return len(self.values)


def feature_specs(overrides: Mapping[str, str] | None = None) -> list[FeatureSpec]:
    """Every input of the schema with its test (KS for numbers, chi-square for categories),
    unless ``overrides`` names another test for a feature (a numeric field may use chi-square)."""
    overrides = overrides or {}
    specs = []
    for name in schema.INPUTS:
        field = schema.BY_NAME[name]
        test = overrides.get(name, field.drift_test)
        if field.kind is Kind.CATEGORICAL:
            if test != "chi2":
                raise ValueError(f"{name} is categorical: only chi2 applies")
            values: tuple[Any, ...] = field.values
        else:
            assert field.min_value is not None and field.max_value is not None
            values = tuple(range(field.min_value, field.max_value + 1))
        specs.append(FeatureSpec(name=name, test=test, values=values))  # type: ignore[arg-type]
    return specs


def _numeric_matrix(frame: pd.DataFrame, specs: list[FeatureSpec]) -> np.ndarray:
    """Each feature as the position of its value in the spec's support (NaN: missing or unknown)."""
    out = np.full((len(frame), len(specs)), np.nan)
    for j, spec in enumerate(specs):
        if spec.name not in frame:
            continue
        column = frame[spec.name]
        if isinstance(spec.values[0], str):
            codes = pd.Categorical(column.astype(object), categories=list(spec.values)).codes
            out[:, j] = np.where(codes >= 0, codes, np.nan)
        else:
            out[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan) - spec.values[0]
    return out


def profile_frame(frame: pd.DataFrame, specs: list[FeatureSpec]) -> dict[str, list[int]]:
    """Counts per feature over its support, from a DataFrame of students."""
    matrix = _numeric_matrix(frame, specs)
    sizes = np.array([spec.size for spec in specs], dtype=float)
    counts = counts_by_feature(matrix, np.zeros(len(specs)), sizes - 1)
    return {spec.name: c.tolist() for spec, c in zip(specs, counts, strict=True)}


def profile_records(rows: Iterable[Mapping[str, Any]], specs: list[FeatureSpec]) -> dict[str, list[int]]:
    return profile_frame(pd.DataFrame(list(rows), columns=[s.name for s in specs]), specs)
