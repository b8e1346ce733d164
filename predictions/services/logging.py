"""Serving with a paper trail: predict, then log every prediction once; labels later.

A rejected request (invalid students, no model) raises before anything is logged.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from predictions import repository, schema
from predictions.entities import LabelClaim, PredictionLog, StudentRecord
from predictions.logwriter import writer
from predictions.services.predict import predict_students
from predictions.validation import FieldError, clean_value
from studentml_site import clock

LABEL_SOURCE = "labels"


def new_id() -> str:
    """A random 128-bit id (uuid4 layout) from this module's own PRNG.

    ``uuid.uuid4`` reads the kernel's random source for every id, which showed up as a
    tenth of an API call's time; these ids need to be unique, not secret. The generator is
    private (code that seeds the global ``random``, as test tools do, cannot make ids
    repeat) and reseeded from the OS in a forked child, so gunicorn workers differ.
    """
    return uuid.UUID(int=_ids.getrandbits(128), version=4).hex


_ids = random.Random()
os.register_at_fork(after_in_child=lambda: _ids.seed())


def prediction_create(students: Sequence[Mapping[str, Any]], *, source: str, user: str | None = None,
                      request_id: str | None = None) -> list[PredictionLog]:
    """Predict ``students`` and log each prediction; the log entries, in order."""
    results = predict_students(students)
    now = clock.now()
    request_id = request_id or new_id()
    entries = [
        PredictionLog(id=new_id(), created_at=now, source=source, request_id=request_id, user=user,
                      track=r.track.value, model_version=r.model_version, predicted_g3=r.predicted_g3,
                      at_risk=r.at_risk, features=r.student)
        for r in results
    ]
    writer.write(entries)
    return entries


def prediction_log_flush(timeout: float = 2.0) -> bool:
    """Wait until this process's buffered log entries are in the store."""
    return writer.flush(timeout=timeout)


class LabelError(Exception):
    """Labels refused; ``errors`` name the item (``row``: 0-based) and why. Nothing was stored."""

    def __init__(self, errors: list[FieldError], status: int = 400) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
        self.status = status


@dataclass(frozen=True)
class LabelOutcome:
    prediction_id: str
    g3: int
    created: bool  # False: the same label was already recorded (idempotent repeat)


def _label_store(prediction: PredictionLog, g3: int, *, now: datetime, row: int, by: str) -> bool:
    """Claim the prediction's label, then write its training row; False if it was already there.

    The claim comes first so two requests racing for one prediction cannot both add a
    row. A process that died between claim and row left a claim without its row: the
    next identical label writes the row under the claim's id.
    """
    record_id = repository.label_record_id(now, row, prediction.id)
    try:
        repository.insert_label_claim(LabelClaim(prediction.id, g3, record_id, now, by))
        created, at = True, now
    except repository.DuplicateLabelError:
        claim = repository.get_label_claim(prediction.id)
        if claim is None:  # pragma: no cover - claims are never deleted
            raise
        if claim.g3 != g3:
            raise LabelError([FieldError("G3", f"prediction {prediction.id} was just labelled with G3 = "
                                               f"{claim.g3}; a label cannot be changed", g3)]) from None
        if repository.get_record(claim.record_id) is not None:
            return False
        created, record_id, at = False, claim.record_id, claim.at
    record = StudentRecord(batch_id=LABEL_SOURCE, row=row, features=dict(prediction.features), g3=g3,
                           ingested_at=at, key=record_id, prediction_id=prediction.id)
    try:
        repository.insert_record(record)
    except repository.DuplicateRecordError:
        pass  # a concurrent repeat repaired the same missing row
    return created


def prediction_get(prediction_id: str) -> PredictionLog | None:
    """A logged prediction by id, waiting for this process's log buffer if needed."""
    return _find_prediction(prediction_id)


def _find_prediction(prediction_id: str) -> PredictionLog | None:
    found = repository.get_prediction(prediction_id)
    if found is None and writer.flush(timeout=2.0):
        # It may still be in this process's log buffer; another worker's flushes within
        # its interval, so look once more after a short wait.
        found = repository.get_prediction(prediction_id)
    return found


def prediction_label(items: Sequence[Mapping[str, Any]], *, by: str,
                     owner: str | None = None) -> list[LabelOutcome]:
    """Record actual G3 values for logged predictions; each becomes one training row, once.

    With ``owner``, only that user's predictions can be labelled; another user's id is
    answered like an unknown one, so ids do not reveal whose students exist.
    """
    errors: list[FieldError] = []
    checked: list[tuple[PredictionLog, int]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            errors.append(FieldError(None, "expected an object with prediction_id and G3", row=index))
            continue
        unknown = sorted(set(item) - {"prediction_id", "G3"})
        for name in unknown:
            errors.append(FieldError(str(name), "unknown field; a label has prediction_id and G3", row=index))
        prediction_id = item.get("prediction_id")
        raw_g3 = item.get("G3")
        if not isinstance(prediction_id, str) or not prediction_id.strip():
            errors.append(FieldError("prediction_id", "is required (the id returned with the prediction)", row=index))
            continue
        if raw_g3 is None or raw_g3 == "":
            errors.append(FieldError("G3", "is required", row=index))
            continue
        g3, reason = clean_value(schema.BY_NAME[schema.TARGET], raw_g3)
        if reason:
            errors.append(FieldError("G3", reason, raw_g3, row=index))
            continue
        if prediction_id in seen and seen[prediction_id] != g3:
            errors.append(FieldError("G3", f"this request gives prediction {prediction_id} two different grades",
                                     raw_g3, row=index))
            continue
        seen[prediction_id] = g3
        prediction = _find_prediction(prediction_id)
        if prediction is not None and owner is not None and prediction.user != owner:
            prediction = None
        if prediction is None:
            errors.append(FieldError("prediction_id", "no logged prediction has this id", prediction_id, row=index))
            continue
        if prediction.actual_g3 is not None and prediction.actual_g3 != g3:
            errors.append(FieldError("G3", f"prediction {prediction_id} is already labelled with G3 = "
                                           f"{prediction.actual_g3}; a label cannot be changed", raw_g3, row=index))
            continue
        checked.append((prediction, g3))
    if errors:
        raise LabelError(errors)

    outcomes: list[LabelOutcome] = []
    now = clock.now()
    done: set[str] = set()
    for prediction, g3 in checked:
        if prediction.id in done:
            continue
        done.add(prediction.id)
        created = _label_store(prediction, g3, now=now, row=len(done), by=by)
        repository.set_prediction_label(prediction.id, g3, at=now, by=by)
        outcomes.append(LabelOutcome(prediction_id=prediction.id, g3=g3, created=created))
    return outcomes
