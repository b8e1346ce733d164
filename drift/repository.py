"""Mongo access for drift reports. Collection: ``drift_reports``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drift.entities import DriftReport, FeatureDrift, Verdict
from studentml_site import clock, mongo
from studentml_site.mongo import IndexSpec

REPORTS = "drift_reports"
_INDEXES = (IndexSpec("track_created", (("track", 1), ("created_at", -1))),)


def _reports() -> Any:
    return mongo.collection(REPORTS, _INDEXES)


def _to_doc(r: DriftReport) -> dict[str, Any]:
    doc = asdict(r)
    doc["_id"] = doc.pop("id")
    doc["verdict"] = r.verdict.value
    for key in ("created_at", "current_since", "current_until"):
        doc[key] = clock.to_store(doc[key])
    return doc


def _from_doc(doc: dict[str, Any]) -> DriftReport:
    return DriftReport(
        id=doc["_id"], created_at=clock.from_store(doc["created_at"]), track=doc["track"],  # type: ignore[arg-type]
        verdict=Verdict(doc["verdict"]), model_version=doc.get("model_version"),
        reference_rows=doc["reference_rows"], current_rows=doc["current_rows"],
        current_since=clock.from_store(doc.get("current_since")),
        current_until=clock.from_store(doc.get("current_until")),
        features=[FeatureDrift(**f) for f in doc["features"]], settings=dict(doc["settings"]),
        trigger=doc["trigger"], extra=dict(doc.get("extra") or {}),
    )


def insert_report(report: DriftReport) -> None:
    _reports().insert_one(_to_doc(report))


def get_report(report_id: str) -> DriftReport | None:
    doc = _reports().find_one({"_id": report_id})
    return _from_doc(doc) if doc else None


def find_reports(*, track: str | None = None, offset: int = 0, limit: int = 50) -> list[DriftReport]:
    """Newest first."""
    query = {"track": track} if track else {}
    docs = _reports().find(query).sort([("created_at", -1), ("_id", -1)]).skip(offset).limit(limit)
    return [_from_doc(d) for d in docs]


def count_reports(*, track: str | None = None) -> int:
    return _reports().count_documents({"track": track} if track else {})


def latest_report(track: str | None = None) -> DriftReport | None:
    found = find_reports(track=track, limit=1)
    return found[0] if found else None


def find_report_ids(*, trigger: str | None = None, model_versions: dict[str, set[int]] | None = None) -> list[str]:
    """Reports made by ``trigger`` or against one of ``model_versions`` (track -> versions); ``purge_demo``."""
    found = []
    for d in _reports().find({}, {"_id": 1, "trigger": 1, "track": 1, "model_version": 1}):
        if (trigger and d.get("trigger") == trigger) or \
                (model_versions and d.get("model_version") in model_versions.get(d.get("track"), set())):
            found.append(d["_id"])
    return found


def delete_reports(report_ids: list[str]) -> int:
    return sum(_reports().delete_one({"_id": i}).deleted_count for i in report_ids)


# --- notifications -----------------------------------------------------------------------
# One document per event, its ``_id`` the event's key ("drift:C:v1:absences,studytime"): the
# insert is the claim, so two processes noticing the same event send it once (montydb
# enforces uniqueness only on _id).

NOTIFICATIONS = "notifications"


def _notifications() -> Any:
    return mongo.collection(NOTIFICATIONS)


def claim_notification(event_id: str, doc: dict[str, Any]) -> bool:
    """Store the event; False when it was already stored (already sent)."""
    try:
        _notifications().insert_one({**doc, "_id": event_id, "at": clock.to_store(clock.now()), "deliveries": []})
    except mongo.duplicate_key_errors():
        return False
    return True


def get_notification(event_id: str) -> dict[str, Any] | None:
    doc = _notifications().find_one({"_id": event_id})
    return dict(doc) if doc else None


def update_notification(event_id: str, **fields: Any) -> None:
    _notifications().update_one({"_id": event_id}, {"$set": fields})


def add_delivery(event_id: str, delivery: dict[str, Any]) -> None:
    """Record one webhook attempt (its time, status code or error)."""
    _notifications().update_one({"_id": event_id}, {"$push": {"deliveries": delivery}})
