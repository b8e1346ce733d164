"""``/drift/``: login required, one track per tab, the advice and accuracy shown even before any check."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_page_needs_a_login(client):
    assert client.get("/drift/").status_code == 302


def test_each_track_has_its_tab_and_an_unknown_one_shows_the_first(client, django_user_model, trained):
    client.force_login(django_user_model.objects.create_user("ana"))

    page_b = client.get("/drift/?track=B").content.decode()
    fallback = client.get("/drift/?track=Z").content.decode()

    assert 'aria-current="page">\n      Track B' in page_b
    assert "No drift check yet." in page_b and "Not enough grades yet" in page_b
    assert 'aria-current="page">\n      Track A' in fallback
    assert 'include "drift/_run_now.html"' not in page_b  # the include is rendered, not printed
