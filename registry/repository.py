"""Mongo access for the registry. Collections: ``model_versions``, ``champions``, ``audit_log``.

Uniqueness lives in ``_id`` because the embedded store enforces nothing else:
``"A:7"`` is version 7 of track A, and ``"A:000012"`` is the twelfth champion change of
track A. A champion switch is one insert into ``champions``: two processes switching at
once race for the same ``_id`` and exactly one wins, so readers (who take the latest
entry) never see zero or two champions.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from registry.entities import ArtifactRef, AuditEntry, ChampionChange, ModelVersion, Status
from studentml_site import clock, mongo
from studentml_site.mongo import IndexSpec

VERSIONS = "model_versions"
CHAMPIONS = "champions"
AUDIT = "audit_log"

_VERSION_INDEXES = (IndexSpec("track_version", (("track", 1), ("version", -1))),)
_CHAMPION_INDEXES = (IndexSpec("track_seq", (("track", 1), ("seq", -1))),)
_AUDIT_INDEXES = (IndexSpec("track_at", (("track", 1), ("at", -1))),)


class DuplicateError(Exception):
    """The ``_id`` is taken: another process got there first."""


def _insert(collection: Any, doc: dict[str, Any]) -> None:
    try:
        collection.insert_one(doc)
    except mongo.duplicate_key_errors() as exc:
        raise DuplicateError(doc["_id"]) from exc


# --- model versions ----------------------------------------------------------------------

def _versions() -> Any:
    return mongo.collection(VERSIONS, _VERSION_INDEXES)


def _version_to_doc(v: ModelVersion) -> dict[str, Any]:
    return {
        "_id": v.id, "track": v.track, "version": v.version, "status": v.status.value,
        "metrics": dict(v.metrics), "holdout": dict(v.holdout), "window": dict(v.window),
        "params": dict(v.params), "artifact": asdict(v.artifact),
        "created_at": clock.to_store(v.created_at), "created_by": v.created_by,
        "decided_by": v.decided_by, "decided_at": clock.to_store(v.decided_at), "reason": v.reason,
        "extra": dict(v.extra),
    }


def _version_from_doc(doc: dict[str, Any]) -> ModelVersion:
    created_at = clock.from_store(doc["created_at"])
    assert created_at is not None
    return ModelVersion(
        track=doc["track"], version=doc["version"], status=Status(doc["status"]),
        metrics=dict(doc["metrics"]), holdout=dict(doc["holdout"]), window=dict(doc["window"]),
        params=dict(doc["params"]), artifact=ArtifactRef(**doc["artifact"]),
        created_at=created_at, created_by=doc["created_by"], decided_by=doc.get("decided_by"),
        decided_at=clock.from_store(doc.get("decided_at")), reason=doc.get("reason"),
        extra=dict(doc.get("extra") or {}),
    )


def insert_version(v: ModelVersion) -> None:
    """Store a new version; DuplicateError if its number is taken."""
    _insert(_versions(), _version_to_doc(v))


def get_version(track: str, version: int) -> ModelVersion | None:
    doc = _versions().find_one({"_id": f"{track}:{version}"})
    return _version_from_doc(doc) if doc else None


def find_versions(track: str | None = None, status: Status | None = None) -> list[ModelVersion]:
    """Newest first."""
    query: dict[str, Any] = {}
    if track:
        query["track"] = track
    if status:
        query["status"] = status.value
    docs = _versions().find(query).sort([("track", 1), ("version", -1)])
    return [_version_from_doc(d) for d in docs]


def latest_version_number(track: str) -> int:
    docs = list(_versions().find({"track": track}, {"version": 1}).sort([("version", -1)]).limit(1))
    return docs[0]["version"] if docs else 0


def update_version_status(track: str, version: int, status: Status, *, by: str, at: datetime,
                          reason: str | None) -> None:
    _versions().update_one(
        {"_id": f"{track}:{version}"},
        {"$set": {"status": status.value, "decided_by": by, "decided_at": clock.to_store(at), "reason": reason}},
    )


def delete_version(track: str, version: int) -> int:
    """Remove a version (``purge_demo`` only: the registry otherwise never forgets one)."""
    return _versions().delete_one({"_id": f"{track}:{version}"}).deleted_count


# --- champion history --------------------------------------------------------------------

def _champions() -> Any:
    return mongo.collection(CHAMPIONS, _CHAMPION_INDEXES)


def _change_from_doc(doc: dict[str, Any]) -> ChampionChange:
    at = clock.from_store(doc["at"])
    assert at is not None
    return ChampionChange(track=doc["track"], seq=doc["seq"], version=doc["version"],
                          previous_version=doc.get("previous_version"), at=at, by=doc["by"], reason=doc["reason"])


def latest_champion_change(track: str) -> ChampionChange | None:
    docs = list(_champions().find({"track": track}).sort([("seq", -1)]).limit(1))
    return _change_from_doc(docs[0]) if docs else None


def insert_champion_change(change: ChampionChange) -> None:
    """Append to the history; DuplicateError if another switch took this ``seq``."""
    _insert(_champions(), {
        "_id": f"{change.track}:{change.seq:09d}", "track": change.track, "seq": change.seq,
        "version": change.version, "previous_version": change.previous_version,
        "at": clock.to_store(change.at), "by": change.by, "reason": change.reason,
    })


def find_champion_changes(track: str) -> list[ChampionChange]:
    """Oldest first."""
    return [_change_from_doc(d) for d in _champions().find({"track": track}).sort([("seq", 1)])]


def delete_champion_changes(track: str, versions: set[int]) -> int:
    ids = [d["_id"] for d in _champions().find({"track": track}, {"_id": 1, "version": 1}) if d["version"] in versions]
    return sum(_champions().delete_one({"_id": i}).deleted_count for i in ids)


# --- audit log ---------------------------------------------------------------------------

def _audit() -> Any:
    return mongo.collection(AUDIT, _AUDIT_INDEXES)


def insert_audit(entry: AuditEntry) -> None:
    _audit().insert_one({**asdict(entry), "at": clock.to_store(entry.at)})


def find_audit(track: str | None = None, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    """Newest first."""
    query = {"track": track} if track else {}
    docs = _audit().find(query).sort([("at", -1), ("_id", -1)]).skip(offset).limit(limit)
    out = []
    for d in docs:
        d.pop("_id", None)
        d["at"] = clock.from_store(d["at"])
        out.append(AuditEntry(**d))
    return out


def count_audit(track: str | None = None) -> int:
    return _audit().count_documents({"track": track} if track else {})


def delete_audit_of_versions(track: str, versions: set[int]) -> int:
    ids = [d["_id"] for d in _audit().find({"track": track}, {"_id": 1, "version": 1}) if d.get("version") in versions]
    return sum(_audit().delete_one({"_id": i}).deleted_count for i in ids)
