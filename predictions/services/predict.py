"""The predict service: students in, a predicted G3 per student out, each with its track
and the model version that made it. The API and the teacher form call this.

Each student is routed by the grades it has (G1 and G2: track A; G1: B; neither: C) and
predicted by that track's champion, exactly as its stored pipeline predicts, with the
interval and risk probability its calibration gives (``predictions.intervals``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings

from predictions import intervals, schema
from predictions.champions import champions
from predictions.schema import Track
from predictions.validation import FieldError, Target, validate_record, validate_table

# Below this many students, per-record validation is cheaper than building a DataFrame.
TABLE_THRESHOLD = 64


class InvalidStudents(Exception):
    """Some students are invalid; ``errors`` name the student (``row``: 0-based index) and field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len({e.row for e in errors})} invalid student(s)")
        self.errors = errors


class ModelUnavailable(Exception):
    def __init__(self, track: Track) -> None:
        super().__init__(f"no model is available for track {track.value} yet (run `python manage.py train`)")
        self.track = track


@dataclass(frozen=True)
class PredictionResult:
    predicted_g3: float
    at_risk: bool
    track: Track
    model_version: int
    student: dict[str, Any]  # the validated inputs, canonical values
    # None only for a champion trained before intervals existed (its artifact has no calibration).
    interval_low: float | None = None
    interval_high: float | None = None
    interval_level: float | None = None
    p_at_risk: float | None = None


def _too_many_fields(student: Any) -> FieldError | None:
    """One error for a student with more unknown fields than RECORD_MAX_UNKNOWN_FIELDS (instead of one each)."""
    if not isinstance(student, Mapping) or len(student) <= len(schema.BY_NAME) + settings.RECORD_MAX_UNKNOWN_FIELDS:
        return None
    unknown = sum(1 for name in student if name not in schema.BY_NAME)
    if unknown <= settings.RECORD_MAX_UNKNOWN_FIELDS:
        return None
    return FieldError(None, f"has {unknown:,} unknown fields; at most {settings.RECORD_MAX_UNKNOWN_FIELDS:,} "
                            "are allowed (RECORD_MAX_UNKNOWN_FIELDS)")


def _validate_records(students: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    errors: list[FieldError] = []
    clean: list[dict[str, Any]] = []
    for index, student in enumerate(students):
        crowded = _too_many_fields(student)
        if crowded is not None:
            errors.append(replace(crowded, row=index))
            clean.append({})
            continue
        result = validate_record(student, Target.IGNORED)
        errors.extend(FieldError(e.field, e.reason, e.value, row=index) for e in result.errors)
        clean.append(result.values)
    if errors:
        raise InvalidStudents(errors)
    return clean


def _validate_many(students: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    keys: set[str] = set()
    for student in students:
        if not isinstance(student, Mapping) or _too_many_fields(student) is not None:
            break
        keys.update(student)
    else:
        if keys <= set(schema.BY_NAME):
            result = validate_table(pd.DataFrame.from_records(students, columns=list(schema.INPUTS)),
                                    Target.IGNORED)
            if result.ok:
                return result.frame
    # Unknown keys, non-objects or bad values: the per-record path words every error.
    _validate_records(students)
    raise AssertionError("validate_records accepted what validate_table refused")  # pragma: no cover


def _tracks_of(frame: pd.DataFrame) -> np.ndarray:
    has_g1 = frame["G1"].notna().to_numpy()
    has_g2 = frame["G2"].notna().to_numpy()
    return np.where(has_g1 & has_g2, "A", np.where(has_g1, "B", "C"))


class _Bounds:
    """Interval and risk probability per row, filled track by track (NaN where the artifact has no calibration)."""

    def __init__(self, rows: int) -> None:
        self.level = float(settings.PREDICTION_INTERVAL_LEVEL)
        self.low, self.high, self.risk = np.full(rows, np.nan), np.full(rows, np.nan), np.full(rows, np.nan)

    def fill(self, pipeline: Any, indexes: np.ndarray, predicted: np.ndarray) -> None:
        calibration = intervals.calibration_of(pipeline)
        if calibration is None:
            return
        self.low[indexes], self.high[indexes] = intervals.intervals(calibration, predicted, self.level)
        self.risk[indexes] = intervals.p_at_risk(calibration, predicted)

    def of(self, i: int) -> tuple[float | None, float | None, float | None, float | None]:
        if self.low[i] != self.low[i]:
            return None, None, None, None
        return float(self.low[i]), float(self.high[i]), self.level, float(self.risk[i])


def predict_students(students: Sequence[Mapping[str, Any]]) -> list[PredictionResult]:
    """Validate, route and predict; raise InvalidStudents (nothing predicted) or ModelUnavailable."""
    if len(students) < TABLE_THRESHOLD:
        records = _validate_records(students)
        tracks = [schema.track_for(r.get("G1"), r.get("G2")) for r in records]
        by_track: dict[Track, list[int]] = {}
        for i, track in enumerate(tracks):
            by_track.setdefault(track, []).append(i)
        predicted = np.empty(len(records))
        versions = np.empty(len(records), dtype=np.int64)
        bounds = _Bounds(len(records))
        for track, indexes in by_track.items():
            model = champions.get(track.value)
            if model is None:
                raise ModelUnavailable(track)
            predicted[indexes] = model.pipeline.predict([records[i] for i in indexes])
            versions[indexes] = model.version.version
            bounds.fill(model.pipeline, np.asarray(indexes), predicted[indexes])
        return [PredictionResult(float(p), bool(p < schema.PASS_MARK), t, int(v), r, *bounds.of(i))
                for i, (p, t, v, r) in enumerate(zip(predicted, tracks, versions, records, strict=True))]

    frame = _validate_many(students)
    track_codes = _tracks_of(frame)
    predicted = np.empty(len(frame))
    versions = np.empty(len(frame), dtype=np.int64)
    bounds = _Bounds(len(frame))
    for code in np.unique(track_codes):
        track = Track(str(code))
        model = champions.get(track.value)
        if model is None:
            raise ModelUnavailable(track)
        mask = track_codes == code
        predicted[mask] = model.pipeline.predict(frame.loc[mask, list(schema.track_inputs(track))])
        versions[mask] = model.version.version
        bounds.fill(model.pipeline, np.flatnonzero(mask), predicted[mask])
    # Column lists zipped into dicts: DataFrame.to_dict("records") boxes every cell and
    # took half the time of a 100,000-row batch.
    names = list(frame.columns)
    columns = [[None if value is pd.NA else value for value in frame[name].tolist()] for name in names]
    plain = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    tracks = {code: Track(str(code)) for code in np.unique(track_codes)}
    at_risk = (predicted < schema.PASS_MARK).tolist()
    return [PredictionResult(p, r, tracks[t], v, s, *bounds.of(i))
            for i, (p, r, t, v, s) in enumerate(zip(predicted.tolist(), at_risk, track_codes, versions.tolist(), plain,
                                                    strict=True))]
