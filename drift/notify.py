"""Notifications: an email to approvers once per event, and an optional signed webhook.

Events: a challenger waits for approval, a drift check finds drift, the live-accuracy alert
fires. Each has a key that names the event, not the check that saw it (the same drift of the
same champion, seen every night, is one event), and is claimed in the store before anything
is sent, so it goes out once however many processes notice it.

The webhook body is JSON; ``X-Studentml-Signature: sha256=<hex>`` is the HMAC-SHA256 of the
body with ``NOTIFY_WEBHOOK_SECRET``, so the receiver can check it came from us. Delivery runs
in a Celery task retried with backoff; every attempt is recorded on the event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q

from drift import repository

logger = logging.getLogger(__name__)

KINDS = {"approval": "NOTIFY_APPROVAL", "drift": "NOTIFY_DRIFT", "accuracy": "NOTIFY_ACCURACY"}


def approvers() -> list[str]:
    """Email addresses of active staff who may approve promotions (superusers included)."""
    User = get_user_model()
    try:
        permission = Permission.objects.get(content_type__app_label="registry", codename="approve_promotion")
    except Permission.DoesNotExist:
        return []
    may_approve = Q(is_superuser=True) | Q(user_permissions=permission) | Q(groups__permissions=permission)
    users = User.objects.filter(may_approve, is_active=True, is_staff=True).exclude(email="").distinct()
    return sorted({u.email for u in users})


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify(kind: str, key: str, *, subject: str, body: str, payload: dict[str, Any]) -> bool:
    """Send the event once (email, then the webhook if configured); False when off or already sent."""
    if not getattr(settings, KINDS[kind]):
        return False
    event_id = f"{kind}:{key}"
    recipients = approvers()
    if not repository.claim_notification(event_id, {"kind": kind, "subject": subject, "payload": payload,
                                                    "recipients": recipients}):
        return False
    if recipients:
        try:
            send_mail(f"[studentml] {subject}", body, settings.DEFAULT_FROM_EMAIL, recipients)
        except Exception as exc:  # a mail server down must not undo the decision that caused the event
            logger.exception("email for %s not sent", event_id)
            repository.update_notification(event_id, email_error=str(exc))
    if settings.NOTIFY_WEBHOOK_URL:
        from drift.tasks import notification_deliver

        notification_deliver.delay(event_id)
    return True


def webhook_body(event_id: str) -> bytes:
    doc = repository.get_notification(event_id) or {}
    return json.dumps({"event": event_id, "kind": doc.get("kind"), "subject": doc.get("subject"),
                       "payload": doc.get("payload")}, sort_keys=True, default=str).encode()


def approval_waiting(track: str, version: int, *, mae: float | None, champion_mae: float | None) -> bool:
    figures = f"MAE {mae:.3f} against the champion's {champion_mae:.3f}" if mae is not None and champion_mae else ""
    return notify("approval", f"{track}:{version}", subject=f"Track {track}: version {version} waits for approval",
                  body=f"Version {version} of track {track} beat its champion on the same holdout {figures}.\n"
                       "Approve or reject it in /admin/ (Model registry).",
                  payload={"track": track, "version": version, "mae": mae, "champion_mae": champion_mae})


def drift_found(track: str, version: int | None, features: list[str], summary: list[str], report_id: str) -> bool:
    lines = "\n".join(f"- {s}" for s in summary)
    return notify("drift", f"{track}:v{version}:{','.join(sorted(features))}",
                  subject=f"Track {track}: the students differ from those the model learnt from",
                  body=f"The drift check found changes for track {track} (model version {version}):\n{lines}\n"
                       "See /drift/?track=" + track + " for what it means and what to do.",
                  payload={"track": track, "version": version, "features": features, "report": report_id})


def accuracy_alert(track: str, version: int, message: str, live_mae: float | None,
                   holdout_mae: float | None) -> bool:
    return notify("accuracy", f"{track}:v{version}", subject=f"Track {track}: the model has become less accurate",
                  body=f"{message}\nSee /drift/?track={track}.",
                  payload={"track": track, "version": version, "live_mae": live_mae, "holdout_mae": holdout_mae})
