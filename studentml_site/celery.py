"""The Celery app. Without ``CELERY_BROKER_URL`` tasks run eagerly in the caller's process.

Worker: ``celery -A studentml_site worker``; beat: ``celery -A studentml_site beat``. The
beat schedule comes from ``DRIFT_SCHEDULE`` / ``RETRAIN_SCHEDULE`` (``retraining.schedule``).
"""

import os
from typing import Any

from celery import Celery

from studentml_site.mongo import unavailable_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studentml_site.settings")

app = Celery("studentml")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # Retrains run for minutes: a worker busy with one must not hold the next message
    # hostage (with acks_late a prefetched message waits for the busy worker).
    worker_prefetch_multiplier=1,
    # A worker started before Redis keeps trying instead of exiting.
    broker_connection_retry_on_startup=True,
    # Beat records each tick in the store, for /readyz (studentml_site/beat.py).
    beat_scheduler="studentml_site.beat:HeartbeatScheduler",
)


def _schedule_defaults() -> dict:
    # Built when the app is configured (Django settings are loaded by then, never at import,
    # which runs while settings.py itself is being imported); a CELERY_BEAT_SCHEDULE
    # setting, if one is ever added, still wins.
    from retraining.schedule import beat_schedule

    return {"beat_schedule": beat_schedule()}


app.add_defaults(_schedule_defaults)

# Every task that reads or writes the store retries these with exponential backoff (up to
# 5 s, 10 s, 20 s ... 5 minutes, jittered; 6 tries in all): a MongoDB failover or a
# network blip passes, a rule the service refuses does not. The same errors the web app
# answers with 503: pymongo's ConnectionFailures (ServerSelectionTimeoutError, AutoReconnect,
# NetworkTimeout), a locked or unopenable embedded store, StoreUnavailable.
STORE_ERRORS: tuple[type[Exception], ...] = unavailable_errors()
STORE_RETRY: dict[str, Any] = {
    "autoretry_for": STORE_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    # Acknowledged when done, not when received: a worker that dies mid-task leaves the
    # message to another worker (every task here is safe to run twice).
    "acks_late": True,
}


def store_error_names() -> frozenset[str]:
    """Class names of the retried store errors, to recognise them in a recorded run's error."""
    names: set[str] = set()
    pending = list(STORE_ERRORS)
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(names)


app.autodiscover_tasks()
