"""How long the prediction log keeps what teachers typed about a student (LOG_RETENTION_DAYS)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings

from predictions import repository
from studentml_site import clock


def prediction_log_prune(*, days: int | None = None, now: datetime | None = None,
                         progress: Callable[[str], None] = lambda _: None) -> int:
    """Delete unlabelled log entries older than ``days`` (default LOG_RETENTION_DAYS; 0 = keep all)."""
    keep_days = settings.LOG_RETENTION_DAYS if days is None else days
    if keep_days <= 0:
        progress("LOG_RETENTION_DAYS is 0: the prediction log is kept in full")
        return 0
    cutoff = (now or clock.now()) - timedelta(days=keep_days)
    progress(f"removing unlabelled predictions logged before {cutoff:%Y-%m-%d %H:%M} UTC")
    return repository.delete_unlabelled_predictions_before(cutoff)
