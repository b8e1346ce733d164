"""Serving with a paper trail: predict, then log every prediction once; labels later.

A rejected request (invalid students, no model) raises before anything is logged.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
                      at_risk=r.at_risk, features=r.student, interval_low=r.interval_low,
                      interval_high=r.interval_high, interval_level=r.interval_level, p_at_risk=r.p_at_risk)
        for r in results
    ]
    # A batch is stored before it is answered; one prediction may wait in the buffer (see logwriter).
    writer.write(entries, durable=len(entries) > 1)
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


@dataclass(frozen=True)
class _Claimed:
    prediction: PredictionLog
    claim: LabelClaim
    created: bool  # False: an identical label was claimed before (a repeat)


def _claim(prediction: PredictionLog, g3: int, *, now: datetime, row: int, by: str) -> _Claimed:
    """Claim the prediction's one label; LabelError if it was just claimed with another grade.

    Claims come before training rows so two requests racing for one prediction cannot
    both add a row.
    """
    claim = LabelClaim(prediction.id, g3, repository.label_record_id(now, row, prediction.id), now, by)
    while True:
        try:
            repository.insert_label_claim(claim)
            return _Claimed(prediction, claim, created=True)
        except repository.DuplicateLabelError:
            existing = repository.get_label_claim(prediction.id)
        if existing is None:
            continue  # the other request withdrew its claim in between: try ours again
        if existing.g3 != g3:
            raise LabelError([FieldError("G3", f"prediction {prediction.id} was just labelled with G3 = "
                                               f"{existing.g3}; a label cannot be changed", g3)])
        return _Claimed(prediction, existing, created=False)


def _write_row(claimed: _Claimed, *, row: int) -> bool:
    """The claim's training row (once); False if it was already there.

    A process that died between claim and row left a claim without its row: the next
    identical label writes the row under the claim's id.
    """
    if not claimed.created and repository.get_record(claimed.claim.record_id) is not None:
        return False
    record = StudentRecord(batch_id=LABEL_SOURCE, row=row, features=dict(claimed.prediction.features),
                           g3=claimed.claim.g3, ingested_at=claimed.claim.at, key=claimed.claim.record_id,
                           prediction_id=claimed.prediction.id)
    try:
        repository.insert_record(record)
    except repository.DuplicateRecordError:
        pass  # a concurrent repeat repaired the same missing row
    return claimed.created


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
    checked: list[tuple[int, PredictionLog, int]] = []
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
        checked.append((index, prediction, g3))
    if errors:
        raise LabelError(errors)

    # All or nothing, even against a concurrent request: claim every label first; if one was
    # just taken with another grade, withdraw this request's claims and refuse the lot.
    # Only then write training rows and mark the log.
    now = clock.now()
    claimed: list[_Claimed] = []
    done: set[str] = set()
    try:
        for index, prediction, g3 in checked:
            if prediction.id in done:
                continue
            done.add(prediction.id)
            try:
                claimed.append(_claim(prediction, g3, now=now, row=len(done), by=by))
            except LabelError as exc:
                raise LabelError([replace(e, row=index) for e in exc.errors]) from None
    except LabelError:
        for item in claimed:
            if item.created:
                repository.delete_label_claim(item.claim)
        raise
    outcomes: list[LabelOutcome] = []
    for row, item in enumerate(claimed, 1):
        created = _write_row(item, row=row)
        repository.set_prediction_label(item.prediction.id, item.claim.g3, at=now, by=by)
        outcomes.append(LabelOutcome(prediction_id=item.prediction.id, g3=item.claim.g3, created=created))
    return outcomes
