""""Check now" (drift dashboard) and "Retrain now" (drift dashboard, admin registry) for staff.

Both queue the very tasks beat sends (on the broker, or in this process without one), so a
press and the schedule take one path; each press goes to the registry's audit log. Checking
is for staff; retraining for staff who may also approve promotions.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from drift.tasks import drift_detect
from predictions.schema import Track
from registry.entities import AuditEntry
from registry.models import APPROVE_PERMISSION
from registry.repository import insert_audit
from retraining.tasks import retrain_track
from studentml_site import clock


def can_check(user: object) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False))


def can_retrain(user: object) -> bool:
    return can_check(user) and user.has_perm(APPROVE_PERMISSION)  # type: ignore[attr-defined]


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = default
    return redirect(target)


def _audit(request: HttpRequest, action: str, track: str, reason: str) -> None:
    insert_audit(AuditEntry(at=clock.now(), actor=request.user.get_username(), action=action, track=track,
                            version=None, reason=reason, before=None, after=None))


@login_required
@require_POST
def check_now(request: HttpRequest) -> HttpResponse:
    if not can_check(request.user):
        raise PermissionDenied("checking for drift now is for staff")
    _audit(request, "check_now", "all", "drift check requested from the dashboard")
    result = drift_detect.delay(trigger="manual")
    if result.ready():  # no broker: it ran in this request
        verdicts = ", ".join(f"{r['track']}: {r['verdict']}" for r in result.get()["reports"])
        messages.success(request, f"Drift check done ({verdicts}); the new reports are below.")
    else:
        messages.info(request, f"Drift check queued (task {result.id}): the worker runs it now; "
                               "reload this page in a minute for the new reports.")
    return _back(request, "/drift/")


@login_required
@require_POST
def retrain_now(request: HttpRequest) -> HttpResponse:
    if not can_retrain(request.user):
        raise PermissionDenied(f"retraining now is for staff with the {APPROVE_PERMISSION} permission")
    chosen = request.POST.get("track") or ""
    valid = [t.value for t in Track]
    if chosen not in [*valid, "all"]:
        messages.error(request, f"track: must be one of {', '.join(valid)} or all (got {chosen!r}); nothing queued")
        return _back(request, "/admin/registry/modelversion/")
    for track in valid if chosen == "all" else [chosen]:
        _audit(request, "retrain_now", track, "retrain requested by hand")
        result = retrain_track.delay(track, trigger="manual", by=request.user.get_username())
        if result.ready():
            run = result.get()
            messages.success(request, f"Retrain {track}: {run['decision']}"
                             + (f" (version {run['challenger_version']})" if run.get("challenger_version") else ""))
        else:
            messages.info(request, f"Retrain {track} queued (task {result.id}): its run and decision appear in "
                                   "the registry when the worker is done.")
    return _back(request, "/admin/registry/modelversion/")
