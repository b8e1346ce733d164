"""API throttling: a limit per user for the whole server (not per worker), at constant cost."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache

from studentml_site.throttling import UserWindowThrottle

pytestmark = pytest.mark.django_db

URL = "/api/v1/drift/reports/"  # a cheap authenticated GET


@pytest.fixture
def three_per_minute(monkeypatch):
    monkeypatch.setitem(UserWindowThrottle.THROTTLE_RATES, "user", "3/minute")
    now = [6_000_030.0]  # 30 s into a minute window
    monkeypatch.setattr(UserWindowThrottle, "timer", lambda self: now[0])
    return now


def test_requests_over_the_limit_get_429_with_retry_after(api, three_per_minute):
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 200]

    refused = api.get(URL)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert refused.json()["detail"].startswith("Request was throttled")
    assert refused.json()["errors"] == []


def test_the_next_window_serves_again(api, three_per_minute):
    for _ in range(4):
        api.get(URL)

    three_per_minute[0] += 30

    assert api.get(URL).status_code == 200


def test_the_limit_is_per_user(api, three_per_minute, django_user_model):
    for _ in range(4):
        api.get(URL)
    other = django_user_model.objects.create_user("other-teacher")
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other)

    assert client.get(URL).status_code == 200


def test_the_count_lives_in_the_shared_cache_every_worker_reads(api, three_per_minute):
    """Another gunicorn worker is another process with its own cache object on the same files."""
    for _ in range(3):
        api.get(URL)
    location = settings.CACHES["default"]["LOCATION"]
    another_worker = FileBasedCache(location, {})

    assert another_worker.get(f"throttle_user_{api.get(URL).wsgi_request.user.pk}:{6_000_030 // 60}") == 4
