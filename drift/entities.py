"""Drift reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    DRIFT = "drift"
    NO_DRIFT = "no_drift"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True)
class FeatureDrift:
    name: str
    test: str  # ks | chi2
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None  # after the multiple-testing correction
    effect_size: float | None  # KS D or Cramér's V
    drifted: bool
    note: str  # "", "constant", "insufficient data"
    reference_counts: list[int]
    current_counts: list[int]
    values: list[Any]  # the support the counts are over


@dataclass(frozen=True)
class DriftReport:
    id: str
    created_at: datetime
    track: str
    verdict: Verdict
    model_version: int | None
    reference_rows: int
    current_rows: int
    current_since: datetime | None
    current_until: datetime | None
    features: list[FeatureDrift]
    settings: dict[str, Any]
    trigger: str  # schedule | cli | api | simulation
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def drifted_features(self) -> list[str]:
        return [f.name for f in self.features if f.drifted]
