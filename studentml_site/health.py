"""Health checks for load balancers and orchestrators.

``/healthz``: the process answers. ``/readyz``: its dependencies answer; 503 names the one
that failed, so an operator knows where to look. A dependency that works only in part
(a promoted champion refused on load while the previous one keeps serving) is reported as
``degraded``: the process still serves, so it stays ready (200). So is a Celery worker
that answers no ping and a beat whose last tick is old (both named): predictions are served,
only the scheduled loop waits. Without a broker both are ``off``.

Which check failed is public (a load balancer needs no more); why it failed (store paths
and hosts, artifact hashes, error text) is shown to signed-in staff, or to everyone with
``READYZ_DETAILS=true`` where the endpoint is reachable from the inside only. It is always
in the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from studentml_site import clock, mongo

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


class Degraded(Exception):
    """The dependency works, but not as configured; reported without failing readiness."""


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_store() -> None:
    mongo.ping()


def _check_models() -> None:
    from predictions.champions import champions
    from predictions.schema import Track

    missing = [t.value for t in Track if champions.get(t.value) is None]
    problems = champions.problems()
    if missing:
        raise RuntimeError("; ".join([f"no champion model loaded for track(s) {', '.join(missing)}", *problems]))
    if problems:
        raise Degraded("; ".join(problems))


def _check_prediction_log() -> None:
    from predictions.logwriter import writer

    status = writer.status()
    if status.last_error:
        raise RuntimeError(f"writing the prediction log fails ({status.last_error}); "
                           f"{status.pending} entries wait in memory and are retried")


class Off(Exception):
    """Not part of this set-up (no broker: tasks run in the web process, nothing is scheduled)."""


PING_TIMEOUT = 1.0
_worker_seen: dict[str, float] = {}


def _check_worker() -> None:
    if not settings.CELERY_BROKER_URL:
        raise Off("no CELERY_BROKER_URL: tasks run in the web process and nothing runs on a schedule")
    # A ping costs up to PING_TIMEOUT: a worker that answered in the last few seconds counts.
    if time.monotonic() - _worker_seen.get(settings.CELERY_BROKER_URL, -1e9) < 5.0:
        return
    from studentml_site.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            # One try: a broker that is away must cost this request a refusal, not kombu's retries.
            connection.ensure_connection(max_retries=1)
            replies = app.control.ping(timeout=PING_TIMEOUT, limit=1, connection=connection)
    except Exception as exc:
        raise Degraded(f"worker: the broker does not answer ({mongo.describe_error(exc)}); "
                       "queued checks and retrains wait") from exc
    if not replies:
        raise Degraded(f"worker: no Celery worker answered a ping within {PING_TIMEOUT:.0f} s; "
                       "queued checks and retrains wait")
    _worker_seen[settings.CELERY_BROKER_URL] = time.monotonic()


def _check_beat() -> None:
    from studentml_site.beat import STALE_SECONDS, beat_tick_last

    if not settings.CELERY_BROKER_URL:
        raise Off("no CELERY_BROKER_URL: no beat")
    last = beat_tick_last()
    if last is None:
        raise Degraded("beat: has never ticked (is `celery -A studentml_site beat` running?); "
                       "the scheduled drift check and retrain do not run")
    age = (clock.now() - last).total_seconds()
    if age > STALE_SECONDS:
        raise Degraded(f"beat: last tick {last.isoformat(timespec='seconds')} ({age:.0f} s ago); "
                       "the scheduled drift check and retrain do not run")


CHECKS = {"database": _check_database, "store": _check_store, "models": _check_models,
          "prediction_log": _check_prediction_log, "worker": _check_worker, "beat": _check_beat}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            check()
            checks[name] = {"status": "ok"}
            if name == "beat":
                from studentml_site.beat import beat_tick_last

                checks[name]["last_tick"] = beat_tick_last().isoformat()  # type: ignore[union-attr]
        except Off as exc:
            checks[name] = {"status": "off", "note": str(exc)}
        except Degraded as exc:
            logger.warning("readiness check %s degraded: %s", name, exc)
            checks[name] = {"status": "degraded", "error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; report it
            logger.warning("readiness check %s failed: %s", name, exc)
            checks[name] = {"status": "error", "error": mongo.describe_error(exc)}
    statuses = {c["status"] for c in checks.values()}
    overall = "unavailable" if "error" in statuses else "degraded" if "degraded" in statuses else "ok"
    body: dict[str, Any] = {"status": overall, "checks": checks}
    if not (settings.READYZ_DETAILS or request.user.is_staff):
        for check in checks.values():
            if check.pop("error", None) is not None:
                body["details"] = "in the server log, or here for a signed-in staff user"
    return JsonResponse(body, status=503 if overall == "unavailable" else 200)
