"""`manage.py create_token`: create, rotate and revoke API tokens; the API follows at once."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def token(*args: str) -> str:
    out = io.StringIO()
    call_command("create_token", *args, stdout=out)
    return out.getvalue().strip()


def status_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/predictions/").status_code


def test_create_show_rotate_and_revoke():
    first = token("gradebook", "--create-user")
    assert token("gradebook") == first and status_with(first) == 200

    second = token("gradebook", "--rotate")
    assert second != first
    assert status_with(first) == 401 and status_with(second) == 200

    assert token("gradebook", "--revoke") == "revoked the token of gradebook"
    assert status_with(second) == 401
    assert token("gradebook", "--revoke") == "gradebook had no token"
    assert get_user_model().objects.filter(username="gradebook").exists()  # the user stays


def test_unknown_user_and_conflicting_options_are_refused():
    with pytest.raises(CommandError, match="no user 'nobody'"):
        token("nobody")
    with pytest.raises(CommandError, match="no user 'nobody'"):
        token("nobody", "--revoke")
    with pytest.raises(CommandError):
        token("x", "--rotate", "--revoke")
