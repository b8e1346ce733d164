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


class WebhookFailed(Exception):
    pass


@shared_task(name="drift.notification_deliver", autoretry_for=(WebhookFailed,), retry_backoff=2,
             retry_backoff_max=600, retry_jitter=False, max_retries=6)
def notification_deliver(event_id: str) -> dict[str, Any]:
    """POST one event to NOTIFY_WEBHOOK_URL, signed; retried with backoff until the receiver answers 2xx."""
    import urllib.error
    import urllib.request

    from django.conf import settings

    from drift import notify, repository
    from studentml_site import clock

    body = notify.webhook_body(event_id)
    url = settings.NOTIFY_WEBHOOK_URL  # checked at start-up: http(s) only
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "X-Studentml-Event": event_id,
        "X-Studentml-Signature": notify.signature(body, settings.NOTIFY_WEBHOOK_SECRET)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the operator's own URL
            status, error = response.status, ""
    except urllib.error.HTTPError as exc:
        status, error = exc.code, str(exc)
    except (urllib.error.URLError, OSError) as exc:
        status, error = None, str(exc)
    repository.add_delivery(event_id, {"at": clock.to_store(clock.now()), "status": status, "error": error})
    if status is None or not 200 <= status < 300:
        raise WebhookFailed(f"{event_id}: {error or status}")
    repository.update_notification(event_id, delivered=True)
    return {"event": event_id, "status": status}
