"""Health checks for load balancers and orchestrators.

``/healthz``: the process answers. ``/readyz``: its dependencies answer; 503 names the one
that failed, so an operator knows where to look. A dependency that works only in part
(a promoted champion refused on load while the previous one keeps serving) is reported as
``degraded``: the process still serves, so it stays ready (200).

Which check failed is public (a load balancer needs no more); why it failed (store paths
and hosts, artifact hashes, error text) is shown to signed-in staff, or to everyone with
``READYZ_DETAILS=true`` where the endpoint is reachable from the inside only. It is always
in the log.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from studentml_site import mongo

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


CHECKS = {"database": _check_database, "store": _check_store, "models": _check_models,
          "prediction_log": _check_prediction_log}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            check()
            checks[name] = {"status": "ok"}
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
