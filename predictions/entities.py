"""The data the predictions app stores: ingested student rows and the batches they came in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class BatchKind(StrEnum):
    LABELED = "labeled"  # rows with G3: training data
    UNLABELED = "unlabeled"  # rows without G3: features only (e.g. a new cohort)
    LABELS = "labels"  # actual grades for logged predictions


class BatchStatus(StrEnum):
    # Records of a pending batch are invisible to readers: the batch document flips to
    # complete only after every row is written, so a crash never exposes half a file.
    PENDING = "pending"
    COMPLETE = "complete"


@dataclass(frozen=True)
class StudentRecord:
    """One ingested student row. ``features`` holds the 30 attributes plus G1 and G2."""

    batch_id: str
    row: int  # the row in its file (spreadsheet numbering: header = row 1)
    features: dict[str, Any]
    g3: int | None
    ingested_at: datetime
    # A label's row is keyed by arrival time and prediction ("labels:<ms>:<id>"), so the
    # newest labels can be read as one range; once-only is the label claim's job.
    key: str | None = None
    prediction_id: str | None = None

    @property
    def id(self) -> str:
        return self.key or f"{self.batch_id}:{self.row:09d}"

    @property
    def labeled(self) -> bool:
        return self.g3 is not None


@dataclass(frozen=True)
class RejectedRow:
    row: int
    errors: tuple[dict[str, Any], ...]  # {"field", "reason", "value"}


@dataclass(frozen=True)
class Batch:
    id: str
    kind: BatchKind
    status: BatchStatus
    source: str  # file name, "uci:por", "api", …
    sha256: str
    rows_total: int
    rows_imported: int
    created_by: str
    created_at: datetime
    rejected: tuple[RejectedRow, ...] = ()
    rows_rejected: int = 0  # may exceed len(rejected): only the first rejects are kept in full
    ignored_columns: tuple[str, ...] = ()
    duplicate_rows: int = 0
    delimiter: str = ";"
    completed_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PredictionLog:
    """One served prediction, as logged (and, once the grade is known, labelled)."""

    id: str
    created_at: datetime
    source: str  # api, api-batch, form, csv-page, simulation…
    request_id: str
    user: str | None
    track: str
    model_version: int
    predicted_g3: float
    at_risk: bool
    features: dict[str, Any]
    actual_g3: int | None = None
    labeled_at: datetime | None = None
    labeled_by: str | None = None
    # The interval [low, high] at ``interval_level`` and P(G3 < 10); None before intervals existed.
    interval_low: float | None = None
    interval_high: float | None = None
    interval_level: float | None = None
    p_at_risk: float | None = None


@dataclass(frozen=True)
class LabelClaim:
    """The one label a logged prediction can have, and the training row it became."""

    prediction_id: str
    g3: int
    record_id: str
    at: datetime
    by: str
