"""Builders for test data: one valid student, CSV text from rows."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.test import override_settings

from predictions import repository, schema
from predictions.champions import champions
from predictions.entities import PredictionLog
from studentml_site import mongo

VALID_STUDENT: dict[str, Any] = {
    "school": "GP", "sex": "F", "age": 17, "address": "U", "famsize": "GT3", "Pstatus": "T",
    "Medu": 3, "Fedu": 2, "Mjob": "services", "Fjob": "other", "reason": "course", "guardian": "mother",
    "traveltime": 1, "studytime": 2, "failures": 0, "schoolsup": "no", "famsup": "yes", "paid": "no",
    "activities": "yes", "nursery": "yes", "higher": "yes", "internet": "yes", "romantic": "no",
    "famrel": 4, "freetime": 3, "goout": 3, "Dalc": 1, "Walc": 2, "health": 4, "absences": 4,
    "G1": 12, "G2": 13,
}


def make_student(**overrides: Any) -> dict[str, Any]:
    """A valid student (track A); ``None`` removes a field."""
    student = {**VALID_STUDENT, "G3": 13, **overrides}
    return {k: v for k, v in student.items() if v is not None}


def log_prediction(prediction_id: str, user: str, *, created_at: datetime = datetime(2026, 10, 1, 8, 0, tzinfo=UTC),
                   predicted: float = 11.46, model_version: int = 1, source: str = "api",
                   **student: Any) -> PredictionLog:
    """A prediction stored directly in the log (no model needed); its track follows the grades given."""
    features = {k: v for k, v in make_student(**student).items() if k != "G3"}
    features.setdefault("G1", None)
    features.setdefault("G2", None)
    entry = PredictionLog(id=prediction_id, created_at=created_at, source=source, request_id=f"r{prediction_id}",
                          user=user, track=schema.track_for(features["G1"], features["G2"]).value,
                          model_version=model_version, predicted_g3=predicted,
                          at_risk=predicted < schema.PASS_MARK, features=features)
    repository.insert_predictions([entry])
    return entry


def csv_bytes(rows: Iterable[Mapping[str, Any]], *, delimiter: str = ";", columns: list[str] | None = None,
              quote_strings: bool = True, line_end: str = "\n", bom: bool = False) -> bytes:
    """CSV bytes in the UCI style (``;``, quoted strings) or plain commas."""
    rows = list(rows)
    columns = columns or [name for name in schema.BY_NAME if any(name in r for r in rows)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end,
                        quoting=csv.QUOTE_NONNUMERIC if quote_strings else csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    text = buffer.getvalue()
    # QUOTE_NONNUMERIC quotes the header too, as the UCI files do not; unquote it.
    if quote_strings:
        header, _, body = text.partition(line_end)
        text = header.replace('"', "") + line_end + body
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def store_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every document of every ML collection, to prove an operation changed nothing."""
    db = mongo.database()
    snapshot = {name: sorted(db[name].find({}), key=lambda d: str(d["_id"]))
                for name in sorted(db.list_collection_names()) if not name.startswith("system.")}
    # An empty collection (created by an index) holds nothing a user could lose.
    return {name: docs for name, docs in snapshot.items() if docs}


def labelled_students_csv(rows: int = 400, seed: int = 11) -> bytes:
    """Generated labelled students in the UCI format."""
    import io as _io

    from predictions.generator import generate_students

    buffer = _io.StringIO()
    generate_students(rows, seed=seed).to_csv(buffer, sep=";", index=False)
    return buffer.getvalue().encode()


def import_labelled(data: bytes, source: str = "students.csv") -> None:
    from predictions.entities import BatchKind
    from predictions.services import batch_import

    batch_import(data, kind=BatchKind.LABELED, source=source, created_by="tests")


def store_template(artifacts: Path, build: Callable[[], None]) -> dict[str, Any]:
    """Run ``build`` once on an empty in-memory store; its documents and artifact folder, to copy from."""
    with override_settings(MONGO_URI="mongomock://", ARTIFACT_DIR=artifacts):
        mongo.reset()
        champions.clear()
        try:
            build()
            db = mongo.database()
            documents = {name: list(db[name].find({})) for name in db.list_collection_names()}
        finally:
            mongo.reset()
            champions.clear()
    return {"artifacts": artifacts, "documents": documents}


def store_restore(template: dict[str, Any], settings: Any) -> None:
    """Copy ``template`` into this test's fresh store (its artifacts are read in place)."""
    settings.ARTIFACT_DIR = Path(template["artifacts"])
    db = mongo.database()
    for name, docs in template["documents"].items():
        if docs:
            db[name].insert_many(copy.deepcopy(docs))
