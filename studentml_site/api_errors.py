"""One error shape for the whole API: ``{"detail": "...", "errors": [{"field", "reason", …}]}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def _flatten(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        errors = detail.get("errors")
        if isinstance(errors, list) and all(isinstance(e, dict) for e in errors):
            return [dict(e) for e in detail["errors"]]
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            out.extend(_flatten(value, key if key != "non_field_errors" else prefix))
        return out
    if isinstance(detail, list):
        out = []
        for item in detail:
            out.extend(_flatten(item, prefix))
        return out
    return [{"field": prefix, "reason": str(detail)}]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.data = {"detail": "the request has invalid fields; nothing was stored", "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {"detail": str(detail) if not isinstance(detail, dict | list) else "request refused",
                         "errors": _flatten(detail) if isinstance(detail, dict | list) else []}
    return response


# Pages get this much beyond the limit before the middleware refuses them, so a file a
# little over the limit reaches the upload form, which names its size in a form error.
PAGE_SLACK = 1024 * 1024


class BodySizeLimitMiddleware:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads them.

    Django enforces the limit when ``request.body`` is read, but DRF's parsers stream the
    request instead, so without this a 50 MB JSON body would be parsed in full; and file
    parts of a form are not counted at all (they stream to a temporary file), so a
    multi-gigabyte upload to a page would be written to disk before the form saw its size.
    API paths answer in the API's JSON error shape, pages with a page.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        api = request.path.startswith("/api/")
        if limit and length > limit + (0 if api else PAGE_SLACK):
            message = f"the request body is {length:,} bytes; the limit is {limit:,} bytes"
            if api:
                return JsonResponse({"detail": message, "errors": []}, status=413)
            return render(request, "request_too_large.html", {"size_mb": length / 1e6, "limit_mb": limit / 1e6},
                          status=413)
        return self.get_response(request)


# --- Django's own error answers (unknown routes, crashes, CSRF): JSON under /api/, pages elsewhere ---

_PAGE_TEXT = {
    400: ("Bad request", "The server could not understand this request."),
    403: ("Not allowed", "Your account may not open this page. Ask an administrator if you need it."),
    404: ("Page not found", "There is no page at this address. It may have moved, or the link is mistyped."),
    405: ("Not allowed here", "This address does not accept that kind of request."),
    500: ("Something went wrong", "The server failed to answer. It has been logged; please try again in a minute."),
}


def _api_error(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": []}, status=status_code)


def _error_page(request: HttpRequest, status_code: int, detail: str | None = None) -> HttpResponse:
    title, text = _PAGE_TEXT[status_code]
    if request.path.startswith("/api/"):
        return _api_error(status_code, detail or f"{title.lower()}: {request.path}")
    return render(request, "error.html", {"status": status_code, "title": title, "text": detail or text},
                  status=status_code)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON under /api/, else the site's page."""
    if request.path.startswith("/api/"):
        return _api_error(404, f"no API route {request.path}; the routes are listed at /api/docs/")
    return _error_page(request, 404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    return _error_page(request, 403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400."""
    return _error_page(request, 400)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: no template context beyond the basics, as the failure may be anywhere."""
    if request.path.startswith("/api/"):
        return _api_error(500, "the server failed to answer; it has been logged, please try again")
    title, text = _PAGE_TEXT[500]
    try:
        return render(request, "error.html", {"status": 500, "title": title, "text": text}, status=500)
    except Exception:  # noqa: BLE001 - the page itself failed (a broken template): plain text still answers
        return HttpResponse(f"{title}. {text}", status=500, content_type="text/plain; charset=utf-8")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: an expired or missing form token explained, with a way back."""
    if request.path.startswith("/api/"):
        return _api_error(403, f"CSRF check failed ({reason}); API clients should send a token instead of a session")
    return render(request, "error.html", {
        "status": 403, "title": "This form has expired",
        "text": "The page was open too long, or cookies are blocked. Go back, reload the page and send it again; "
                "what you typed may need to be entered again."}, status=403)
