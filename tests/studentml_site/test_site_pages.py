"""Site-wide pages: styled errors, the expired-form page, no password reset without mail, admin branding, privacy."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from studentml_site.env import time_zone

pytestmark = pytest.mark.django_db


def test_an_expired_form_token_gets_a_page_that_says_what_to_do():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html and "reload the page" in html and "app.css" in html


@pytest.mark.parametrize("url", ["/accounts/password_reset/", "/accounts/reset/MQ/set-password/"])
def test_no_password_reset_page_promises_a_mail_that_never_comes(client, url):
    assert client.get(url).status_code == 404


def test_the_login_page_says_who_resets_a_password(client):
    assert "Ask your administrator to set a new one." in client.get("/accounts/login/").content.decode()


def test_the_admin_is_branded_and_has_the_favicon(client):
    client.force_login(get_user_model().objects.create_superuser("head", password="pw-for-tests-2026"))

    html = client.get("/admin/").content.decode()

    assert "studentml administration" in html and "Django administration" not in html
    assert 'rel="icon" href="/static/studentml/favicon.svg"' in html


def test_the_privacy_page_is_open_and_follows_the_retention_setting(client, settings):
    assert "no retention period is set" in client.get("/privacy/").content.decode()
    settings.LOG_RETENTION_DAYS = 90

    html = client.get("/privacy/").content.decode()

    assert "deleted <strong>90 days</strong> after they" in html


def test_a_bad_time_zone_stops_start_up_naming_it(monkeypatch):
    monkeypatch.setenv("TIME_ZONE", "Europe/Lisbonn")
    with pytest.raises(ImproperlyConfigured, match="TIME_ZONE: 'Europe/Lisbonn' is not a time zone name"):
        time_zone("TIME_ZONE", "UTC")
    monkeypatch.setenv("TIME_ZONE", "UTC")
    assert time_zone("TIME_ZONE", "Europe/Lisbon") == "UTC"
