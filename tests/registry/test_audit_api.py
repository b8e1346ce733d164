"""GET /api/v1/models/audit/ and /api/v1/models/champion-at/: the audit trail for staff and approvers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from registry import services
from registry.api import AuditEntrySerializer

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/models/audit/"
CHAMPION_AT = "/api/v1/models/champion-at/"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def approver_api(django_user_model, approve_permission):
    """Not staff, but allowed to approve promotions."""
    user = django_user_model.objects.create_user("ana.api", password="pw-for-registry-tests-2026")
    user.user_permissions.add(approve_permission)
    return token_client(user)


@pytest.mark.parametrize("url", [AUDIT, CHAMPION_AT + "?track=A&at=2026-01-01T00:00:00Z"])
def test_anonymous_callers_get_401_and_teachers_403(teacher, url):
    assert APIClient().get(url).status_code == 401
    response = token_client(teacher).get(url)
    assert response.status_code == 403
    assert "registry.approve_promotion" in response.json()["detail"]


@pytest.mark.parametrize("who", ["viewer", "approver"])
def test_staff_and_approvers_read_the_audit_log_newest_first(request, viewer, approver_api, versions, who):
    client = token_client(viewer) if who == "viewer" else approver_api

    body = client.get(AUDIT).json()

    assert body["count"] == services.audit_log_count() == 14
    assert len(body["results"]) == 14
    first = body["results"][0]
    assert set(first) == {"at", "actor", "action", "track", "version", "reason", "before", "after"}
    assert [r["at"] for r in body["results"]] == sorted((r["at"] for r in body["results"]), reverse=True)


def test_every_time_has_one_width_so_clients_can_sort_the_text(viewer, versions):
    on_the_second = datetime(2026, 12, 2, 11, 22, 10, tzinfo=UTC)

    text = AuditEntrySerializer().fields["at"].to_representation(on_the_second)

    assert text == "2026-12-02T11:22:10.000000Z"


def test_the_audit_log_filters_by_track_and_pages(viewer, versions):
    client = token_client(viewer)

    b = client.get(AUDIT + "?track=B").json()
    page = client.get(AUDIT + "?limit=5&offset=5").json()
    everything = client.get(AUDIT).json()["results"]

    assert b["count"] == 5 and {r["track"] for r in b["results"]} == {"B"}
    assert {(r["action"], r["version"], r["reason"]) for r in b["results"]} >= {("reject", 2, "worse than G2")}
    assert page["count"] == 14 and page["results"] == everything[5:10]


@pytest.mark.parametrize("query,field", [("?track=Q", "track"), ("?limit=0", "limit"), ("?limit=x", "limit")])
def test_bad_audit_parameters_are_a_400_naming_the_field(viewer, query, field):
    response = token_client(viewer).get(AUDIT + query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_champion_at_answers_which_version_who_and_why(viewer, versions):
    client = token_client(viewer)
    first, second = services.champion_history("A")
    between = (first.at + (second.at - first.at) / 2).isoformat()

    early = client.get(CHAMPION_AT, {"track": "A", "at": between}).json()
    now = client.get(CHAMPION_AT, {"track": "A", "at": (second.at + timedelta(days=1)).isoformat()}).json()
    before = client.get(CHAMPION_AT, {"track": "A", "at": "2000-01-01T00:00:00Z"})

    assert (early["version"], early["by"], early["reason"], early["previous_version"]) == (1, "setup", "first version",
                                                                                            None)
    assert (now["version"], now["previous_version"]) == (2, 1)
    assert now["since"].startswith(second.at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert before.status_code == 404 and "had no champion" in before.json()["detail"]


@pytest.mark.parametrize("query,field", [("?at=2026-01-01T00:00:00Z", "track"), ("?track=A", "at"),
                                         ("?track=A&at=yesterday", "at"), ("?track=Z&at=2026-01-01", "track")])
def test_bad_champion_at_parameters_are_a_400_naming_the_field(viewer, query, field):
    response = token_client(viewer).get(CHAMPION_AT + query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_the_schema_documents_both_routes(viewer):
    schema = token_client(viewer).get("/api/schema/?format=json").json()

    assert "/api/v1/models/audit/" in schema["paths"] and "/api/v1/models/champion-at/" in schema["paths"]
