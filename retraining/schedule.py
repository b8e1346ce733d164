"""The Celery beat schedule, built from ``DRIFT_SCHEDULE`` and ``RETRAIN_SCHEDULE``.

Both are five-field cron strings validated at start-up (``studentml_site.env.cron``), read
in the beat process's time zone (``CELERY_TIMEZONE`` = ``TIME_ZONE``). Beat reads the
schedule once when it starts: restart beat after changing either variable.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from studentml_site.env import crontab_from

DRIFT_DETECT = "drift.drift_detect"
RETRAIN_CHECK = "retraining.retrain_check"
PRUNE_PREDICTIONS = "predictions.prune_predictions"

# Both tasks compute "the state now": a run that no worker picked up within the hour (the
# workers were down) is dropped rather than replayed in a pile when they come back.
EXPIRES_SECONDS = 3600


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Beat entries (name → task, crontab) from the current settings."""
    schedule: dict[str, dict[str, Any]] = {
        # Nightly by default (02:00): one report per track, comparing what the champions
        # served since their promotion with their training windows.
        "drift-detect": {
            "task": DRIFT_DETECT,
            "schedule": crontab_from(settings.DRIFT_SCHEDULE),
            "options": {"expires": EXPIRES_SECONDS},
        },
        # Weekly by default (Sunday 02:30), after that night's drift run so the check can
        # read its reports: trains a track that drifted or gained RETRAIN_MIN_NEW_LABELS
        # labels since its champion, and leaves the others alone.
        "retrain-check": {
            "task": RETRAIN_CHECK,
            "schedule": crontab_from(settings.RETRAIN_SCHEDULE),
            "options": {"expires": EXPIRES_SECONDS},
        },
    }
    if settings.LOG_RETENTION_DAYS > 0:
        # Nightly (03:00 by default), after the drift run, which reads the recent log.
        schedule["prune-predictions"] = {
            "task": PRUNE_PREDICTIONS,
            "schedule": crontab_from(settings.PRUNE_SCHEDULE),
            "options": {"expires": EXPIRES_SECONDS},
        }
    return schedule
