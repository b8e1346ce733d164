"""Mongo access for retraining. Collections: ``retrain_runs`` and ``leases``.

A lease is one document per track whose ``_id`` is the lock (``retrain:A``): inserting it
is the acquisition, and the store's unique ``_id`` makes exactly one of two racing
processes, on any machine, win. It expires, so a run that died holding it blocks the
track for at most ``RETRAIN_LEASE_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from retraining.entities import Decision, RetrainRun
from studentml_site import clock, mongo
from studentml_site.mongo import IndexSpec

RUNS = "retrain_runs"
LEASES = "leases"

_RUN_INDEXES = (IndexSpec("track_started", (("track", 1), ("started_at", -1))),
                IndexSpec("decision", (("decision", 1), ("started_at", -1))))


class LeaseTaken(Exception):
    pass


@dataclass(frozen=True)
class Lease:
    name: str
    owner: str
    acquired_at: datetime
    expires_at: datetime


def _runs() -> Any:
    return mongo.collection(RUNS, _RUN_INDEXES)


def _leases() -> Any:
    return mongo.collection(LEASES)


def _run_to_doc(run: RetrainRun) -> dict[str, Any]:
    doc = run.as_dict()
    doc["_id"] = doc.pop("id")
    doc["started_at"] = clock.to_store(run.started_at)
    doc["finished_at"] = clock.to_store(run.finished_at)
    return doc


def _run_from_doc(doc: dict[str, Any]) -> RetrainRun:
    data = dict(doc)
    data["id"] = data.pop("_id")
    data["decision"] = Decision(data["decision"])
    data["started_at"] = clock.from_store(data["started_at"])
    data["finished_at"] = clock.from_store(data.get("finished_at"))
    data["gain_ci"] = tuple(data["gain_ci"]) if data.get("gain_ci") else None
    known = set(RetrainRun.__dataclass_fields__)
    return RetrainRun(**{k: v for k, v in data.items() if k in known})


def save_run(run: RetrainRun) -> None:
    """Insert or replace the run's document (a run is saved when it starts and when it ends)."""
    _runs().replace_one({"_id": run.id}, _run_to_doc(run), upsert=True)


def get_run(run_id: str) -> RetrainRun | None:
    doc = _runs().find_one({"_id": run_id})
    return _run_from_doc(doc) if doc else None


def find_runs(*, track: str | None = None, decision: Decision | None = None, limit: int = 100) -> list[RetrainRun]:
    """Newest first."""
    query: dict[str, Any] = {}
    if track:
        query["track"] = track
    if decision:
        query["decision"] = decision.value
    return [_run_from_doc(d) for d in _runs().find(query).sort([("started_at", -1)]).limit(limit)]


def has_runs_triggered_by(trigger: str) -> bool:
    return _runs().find_one({"trigger": trigger}, {"_id": 1}) is not None


def find_run_ids_triggered_by(trigger: str) -> list[str]:
    return [d["_id"] for d in _runs().find({"trigger": trigger}, {"_id": 1})]


def delete_runs(run_ids: list[str]) -> int:
    return sum(_runs().delete_one({"_id": i}).deleted_count for i in run_ids)


def mark_abandoned(track: str, before: datetime, *, at: datetime) -> int:
    """Runs of ``track`` still "running" that started before ``before``: their process died."""
    abandoned = find_runs(track=track, decision=Decision.RUNNING, limit=1000)
    count = 0
    for run in abandoned:
        if run.started_at < before:
            save_run(replace(run, decision=Decision.FAILED, finished_at=at,
                             error="abandoned: the process running it stopped before it finished",
                             reason="failed: the run was interrupted; the registry was not changed by it"))
            count += 1
    return count


def lease_acquire(name: str, owner: str, *, now: datetime, expires_at: datetime) -> Lease:
    """Take the lease or raise LeaseTaken naming its holder; an expired lease is taken over."""
    doc = {"_id": name, "owner": owner, "acquired_at": clock.to_store(now), "expires_at": clock.to_store(expires_at)}
    for _ in range(2):
        try:
            _leases().insert_one(doc)
            return Lease(name, owner, now, expires_at)
        except mongo.duplicate_key_errors():
            held = _leases().find_one({"_id": name})
            if held is None:
                continue  # released meanwhile
            held_until = clock.from_store(held["expires_at"])
            assert held_until is not None
            if held_until > now:
                raise LeaseTaken(f"{held['owner']} since {clock.from_store(held['acquired_at']):%Y-%m-%d %H:%M:%S} "
                                 f"UTC (lease until {held_until:%H:%M:%S})") from None
            # Expired: remove exactly that lease (same owner and expiry), then race to insert.
            _leases().delete_one({"_id": name, "owner": held["owner"], "expires_at": held["expires_at"]})
    raise LeaseTaken("another process took it over just now")


def lease_release(name: str, owner: str) -> None:
    _leases().delete_one({"_id": name, "owner": owner})


def lease_get(name: str) -> Lease | None:
    doc = _leases().find_one({"_id": name})
    if doc is None:
        return None
    return Lease(doc["_id"], doc["owner"], clock.from_store(doc["acquired_at"]), clock.from_store(doc["expires_at"]))
