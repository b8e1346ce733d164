"""Answering while the store is down: 503 with a clear message, never a 500 with a traceback.

Every prediction is logged, and a prediction is only given once it can be: while the store
cannot be reached, prediction requests (and every other request that needs the store) are
refused with 503 and ``Retry-After``, in the API's error shape under ``/api/``. Nothing is
served unlogged, so there is no gap in the log to account for. The process keeps no
outage state: the next request tries the store again, so the app recovers by itself when
the store returns. ``/readyz`` names the dependency that failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from studentml_site import mongo

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 5
API_DETAIL = ("the data store cannot be reached right now, so the request was not completed (a prediction is "
              "only given once it can be logged); try again in a few seconds")


class StoreOutageMiddleware:
    """Turn "the store is unavailable" (mongo.unavailable_errors) into a 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, mongo.unavailable_errors()):
            return None
        logger.error("%s %s refused: the store is unavailable (%s)", request.method, request.path,
                     mongo.describe_error(exception))
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": API_DETAIL, "errors": []}, status=503)
        else:
            try:
                response = render(request, "store_unavailable.html", {"retry_after": RETRY_AFTER_S}, status=503)
            except Exception:  # noqa: BLE001 - the page itself must not turn the outage into a 500
                response = HttpResponse("The data store cannot be reached right now. Nothing was predicted or "
                                        "saved. Try again in a few seconds.", status=503, content_type="text/plain")
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
