"""Celery tasks for drift: a thin wrapper over ``drift.services``.

A repeat (a retry, a redelivered message) stores one more report computed from the same
data, which changes no decision: the retrain check looks for any drift since the champion.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.utils.log import get_task_logger

from drift import services
from studentml_site.celery import STORE_RETRY

logger = get_task_logger(__name__)


@shared_task(name="drift.drift_detect", **STORE_RETRY)
def drift_detect(window: int | None = None, trigger: str = "schedule") -> dict[str, Any]:
    """One drift report per track; their ids and verdicts."""
    reports = services.drift_reports_create(window=window, trigger=trigger)
    summary = [{"id": r.id, "track": r.track, "verdict": r.verdict.value, "current_rows": r.current_rows,
                "drifted": r.drifted_features} for r in reports]
    for item in summary:
        logger.info("track %s: %s (%s current rows)", item["track"], item["verdict"], item["current_rows"])
    return {"reports": summary}
