"""Celery beat that leaves a heartbeat in the store, so ``/readyz`` can tell a stopped beat.

The time of beat's last tick goes to the ``heartbeats`` collection (``_id`` "beat"), at
most every ``HEARTBEAT_SECONDS``: one small write, shared by every web process on any
machine (production runs one beat for all of them). Beat wakes at least every
``beat_max_loop_interval`` (set to the same in ``studentml_site.celery``), so a heartbeat
older than ``STALE_SECONDS`` means beat is not running.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from celery.beat import PersistentScheduler

from studentml_site import clock, mongo

HEARTBEATS = "heartbeats"
BEAT = "beat"
HEARTBEAT_SECONDS = 30
STALE_SECONDS = 3 * HEARTBEAT_SECONDS


def beat_tick_record(at: datetime | None = None) -> None:
    mongo.collection(HEARTBEATS).replace_one({"_id": BEAT}, {"_id": BEAT, "at": clock.to_store(at or clock.now())},
                                            upsert=True)


def beat_tick_last() -> datetime | None:
    doc = mongo.collection(HEARTBEATS).find_one({"_id": BEAT})
    return clock.from_store(doc["at"]) if doc else None


class HeartbeatScheduler(PersistentScheduler):
    """beat's default scheduler (a schedule file), plus the heartbeat."""

    _beat_at = -1e9

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.monotonic()
        if now - self._beat_at >= HEARTBEAT_SECONDS:
            try:
                beat_tick_record()
                self._beat_at = now
            except mongo.unavailable_errors():  # the store is away: try again next tick
                pass
        return min(super().tick(*args, **kwargs), HEARTBEAT_SECONDS)
