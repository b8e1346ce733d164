"""Password guessing on the sign-in pages (teacher login and admin) is stopped (django-axes)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "a-teachers-real-password-2026"


@pytest.fixture
def teacher(django_user_model, settings):
    settings.AXES_FAILURE_LIMIT = 3
    return django_user_model.objects.create_user("ana", password=PASSWORD)


def sign_in(client: Client, password: str, *, url: str = "/accounts/login/", ip: str = "10.0.0.7"):
    return client.post(url, {"username": "ana", "password": password}, REMOTE_ADDR=ip)


def test_after_the_failure_limit_even_the_right_password_is_refused(teacher):
    client = Client()
    assert [sign_in(client, "guess").status_code for _ in range(2)] == [200, 200]  # the form again, with its error

    locked = sign_in(client, "guess")

    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content and b"after 3" in locked.content
    right = sign_in(client, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_the_lock_is_for_that_address_not_for_the_teacher_everywhere(teacher):
    for _ in range(3):
        sign_in(Client(), "guess", ip="203.0.113.9")

    at_school = Client()
    assert sign_in(at_school, PASSWORD, ip="10.0.0.7").status_code == 302
    assert at_school.session["_auth_user_id"] == str(teacher.pk)


def test_the_admin_sign_in_counts_too(teacher, django_user_model):
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    for _ in range(3):
        client.post("/admin/login/", {"username": "root", "password": "guess"}, REMOTE_ADDR="10.0.0.8")

    refused = client.post("/admin/login/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")

    assert refused.status_code == 429 and "_auth_user_id" not in client.session


def test_a_successful_sign_in_clears_the_count(teacher):
    client = Client()
    sign_in(client, "guess")
    sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()

    sign_in(client, "guess")
    sign_in(client, "guess")

    assert sign_in(client, PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_lock_follows_the_client_not_the_proxy(teacher, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(3):
        attacker.post("/accounts/login/", {"username": "ana", "password": "guess"})

    teacher_at_school = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert teacher_at_school.post("/accounts/login/", {"username": "ana", "password": PASSWORD}).status_code == 302
    # A forged header is ignored: the proxy appends the real address on the right.
    forged = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20, 203.0.113.9")
    assert forged.post("/accounts/login/", {"username": "ana", "password": PASSWORD}).status_code == 429


def test_without_trusted_proxies_the_forwarded_header_is_ignored(teacher):
    for n in range(3):
        Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            "/accounts/login/", {"username": "ana", "password": "guess"})

    fresh_header = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert fresh_header.post("/accounts/login/", {"username": "ana", "password": PASSWORD}).status_code == 429
