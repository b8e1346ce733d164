"""Celery tasks for retraining: thin wrappers over ``retraining.services``.

Each returns a small JSON-safe summary. Safe to run twice: a run holds its track's lease,
so a duplicate (a redelivered message, a retry) either finds the lease held and returns
``busy``, or trains a challenger that the champion of the moment judges again, so a
repeat never promotes twice (at worst it registers one more rejected version); a repeated
check finds the tracks it already retrained up to date. Store outages are retried with
backoff (``studentml_site.celery.STORE_RETRY``); a busy track is not retried, the next
check comes soon enough.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.utils.log import get_task_logger
from pymongo.errors import ConnectionFailure

from retraining import services
from retraining.entities import Decision, RetrainRun
from studentml_site.celery import STORE_RETRY, store_error_names

logger = get_task_logger(__name__)


def _raise_if_the_store_failed(runs: list[RetrainRun]) -> None:
    # The service records a run that failed (and leaves the registry as it was) instead of
    # raising; one that failed because the store went away is worth another try.
    for run in runs:
        if run.decision == Decision.FAILED and (run.error or "").split(":")[0] in store_error_names():
            raise ConnectionFailure(f"retrain run {run.id} of track {run.track} lost the store: {run.error}")


@shared_task(name="retraining.retrain_track", **STORE_RETRY)
def retrain_track(track: str, trigger: str = "schedule", window: int | None = None,
                  policy: str | None = None, by: str = "celery") -> dict[str, Any]:
    """Train a challenger for one track and decide; the run's summary, or ``busy``."""
    try:
        run = services.retrain_run(track, trigger=trigger, window=window, policy=policy, by=by, progress=logger.info)
    except services.RetrainBusy as exc:
        logger.info("%s", exc)
        return {"track": track, "decision": "busy", "reason": str(exc)}
    _raise_if_the_store_failed([run])
    return run.as_dict()


@shared_task(name="retraining.retrain_check", **STORE_RETRY)
def retrain_check(trigger: str = "schedule", by: str = "schedule", policy: str | None = None) -> dict[str, Any]:
    """Retrain each track that drifted or gained enough labels since its champion."""
    runs = services.retrain_check(trigger=trigger, by=by, policy=policy, progress=logger.info)
    _raise_if_the_store_failed(runs)
    return {"runs": [run.as_dict() for run in runs]}
