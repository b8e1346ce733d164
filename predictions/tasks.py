"""Celery tasks of the predictions app: thin wrappers over its services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from predictions.services.retention import prediction_log_prune
from studentml_site.celery import STORE_RETRY

PRUNE_PREDICTIONS = "predictions.prune_predictions"


@shared_task(name=PRUNE_PREDICTIONS, **STORE_RETRY)
def prune_predictions() -> dict[str, Any]:
    """Apply LOG_RETENTION_DAYS to the prediction log; how many entries went."""
    return {"removed": prediction_log_prune()}
