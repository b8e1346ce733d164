"""API throttling: a limit per user, at constant cost; with Redis, one count for every worker.

The suite's cache is a file cache per test (tests/conftest.py): shared like Redis, no server.
"""

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


def test_with_a_shared_cache_every_worker_reads_the_same_count(api, three_per_minute):
    """Another gunicorn worker is another process with its own cache object on the same files."""
    for _ in range(3):
        api.get(URL)
    location = settings.CACHES["default"]["LOCATION"]
    another_worker = FileBasedCache(location, {})

    assert another_worker.get(f"throttle_user_{api.get(URL).wsgi_request.user.pk}:{6_000_030 // 60}") == 4


def test_with_redis_as_in_production_two_workers_share_one_limit(api, three_per_minute, settings, tmp_path):
    import os

    from django.core.cache.backends.redis import RedisCache

    from tests.redis_server import RedisUnavailable, redis_server

    try:
        server_context = redis_server(tmp_path / "redis")
        server = server_context.__enter__()
    except RedisUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": server.db(1)}}
        assert [api.get(URL).status_code for _ in range(2)] == [200, 200]
        # A second worker's request, counted through its own connection:
        other_worker = RedisCache(server.db(1), {})
        user_pk = api.get(URL).wsgi_request.user.pk  # the third request
        assert other_worker.incr(f"throttle_user_{user_pk}:{6_000_030 // 60}") == 4

        assert api.get(URL).status_code == 429
    finally:
        server_context.__exit__(None, None, None)
