"""The API speaks UTC whatever ``TIME_ZONE`` the pages use.

DRF writes a date-time in the *current* time zone, and ``REST_FRAMEWORK["DATETIME_FORMAT"]``
ends in a literal ``Z``: with pages in Europe/Lisbon, a summer time would be written an hour
off and still claim to be UTC. Activating UTC for every ``/api/`` request keeps each
serializer of every app right without each declaring its own field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class ApiUtcMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)
