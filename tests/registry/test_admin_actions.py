"""Approve, reject and roll back in the admin: exactly their state change, the audit log, and refusals."""

from __future__ import annotations

import html
import re
import threading

import pytest
from django.test import Client

from registry import repository, services
from registry.entities import Status
from tests.builders import store_snapshot
from tests.registry.conftest import add_version

pytestmark = pytest.mark.django_db

BASE = "/admin/registry/modelversion"


def statuses() -> dict[str, Status]:
    return {v.id: v.status for v in services.model_versions_list()}


def champion_seq(form_html: str) -> str:
    return re.search(r'name="champion_seq" value="(\d+)"', form_html).group(1)


def decide(client: Client, version: str, action: str, reason: str = "", follow: bool = True):
    """Open the confirmation page, then confirm it, as a browser does."""
    track, number = version.split(":")
    url = f"{BASE}/{track}/{number}/{action}/"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {"reason": reason, "champion_seq": champion_seq(page.content.decode())}, follow=follow)


def messages_of(response) -> list[tuple[str, str]]:
    """The Django messages the page shows (read from the HTML: the test client's captured context
    mixes up requests made from several threads)."""
    listed = re.search(r'<ul class="messagelist">(.*?)</ul>', response.content.decode(), re.S)
    return [(level, html.unescape(text).strip())
            for level, text in re.findall(r'<li class="(\w+)">(.*?)</li>', listed.group(1) if listed else "", re.S)]


def new_audit(before: int) -> list:
    """Entries written since the log had ``before`` entries, oldest first."""
    return list(reversed(services.audit_log_list(limit=services.audit_log_count() - before)))


def test_the_confirmation_page_explains_the_approval_and_asks_for_csrf(approver_client, versions):
    html = approver_client.get(f"{BASE}/A/3/approve/").content.decode()

    assert "Approve track A · version 3?" in html
    assert "makes A:3 the champion of track A; A:2 will be archived" in html
    assert "csrfmiddlewaretoken" in html and 'name="champion_seq" value="2"' in html
    assert "Yes, approve A:3" in html and "No, take me back" in html


def test_approve_makes_the_pending_version_champion_and_archives_the_old_one(approver_client, versions):
    before, audit_count = statuses(), services.audit_log_count()

    response = decide(approver_client, "A:3", "approve", reason="clearly better")

    assert response.redirect_chain[-1][0] == f"{BASE}/A/3/"
    assert messages_of(response) == [("success", "Version A:3 approved: it is now the champion of track A. "
                                                 "Version A:2 was archived. Serving processes switch to it within "
                                                 "a second.")]
    assert statuses() == {**before, "A:3": Status.CHAMPION, "A:2": Status.ARCHIVED}
    assert services.champion_change_latest("A").version == 3
    assert [(e.actor, e.action, e.version, e.before, e.after, e.reason) for e in new_audit(audit_count)] == [
        ("ana.approver", "archive", 2, "champion", "archived", "replaced by version 3"),
        ("ana.approver", "promote", 3, "pending_approval", "champion", "clearly better"),
    ]
    v = services.model_version_get("A", 3)
    assert (v.decided_by, v.reason) == ("ana.approver", "clearly better")


def test_approve_without_a_reason_records_the_default_one(superuser_client, versions):
    decide(superuser_client, "A:3", "approve")

    assert services.model_version_get("A", 3).reason == "approved in admin"
    assert services.audit_log_list("A", limit=1)[0].actor == "root"


def test_reject_needs_a_reason(approver_client, versions):
    before = store_snapshot()

    response = decide(approver_client, "A:4", "reject", reason="   ", follow=False)

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert store_snapshot() == before


def test_reject_rejects_only_that_version_and_keeps_the_reason(approver_client, versions):
    before, audit_count = statuses(), services.audit_log_count()

    response = decide(approver_client, "A:4", "reject", reason="gain interval includes zero")

    assert messages_of(response) == [("success", "Version A:4 rejected: gain interval includes zero")]
    assert statuses() == {**before, "A:4": Status.REJECTED}
    assert services.champion_change_latest("A").version == 2
    assert [(e.actor, e.action, e.version, e.before, e.after, e.reason) for e in new_audit(audit_count)] == [
        ("ana.approver", "reject", 4, "pending_approval", "rejected", "gain interval includes zero")]


def test_rollback_reinstates_an_archived_version(approver_client, versions):
    before, audit_count = statuses(), services.audit_log_count()

    response = decide(approver_client, "A:1", "rollback", reason="v2 misbehaves in class")

    assert messages_of(response)[0][0] == "success" and "A:1 re-instated" in messages_of(response)[0][1]
    assert statuses() == {**before, "A:1": Status.CHAMPION, "A:2": Status.ARCHIVED}
    assert [(e.action, e.version, e.before, e.after, e.reason) for e in new_audit(audit_count)] == [
        ("archive", 2, "champion", "archived", "replaced by version 1"),
        ("rollback", 1, "archived", "champion", "v2 misbehaves in class"),
    ]


ACTIONS = [("A:3", "approve"), ("A:4", "reject"), ("A:1", "rollback")]


@pytest.mark.parametrize("version,action", ACTIONS)
def test_staff_without_the_permission_are_refused_and_nothing_changes(viewer_client, versions, version, action):
    track, number = version.split(":")
    url = f"{BASE}/{track}/{number}/{action}/"
    before = store_snapshot()

    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, {"reason": "because", "champion_seq": "2"}).status_code == 403

    assert store_snapshot() == before


@pytest.mark.parametrize("version,action", ACTIONS)
def test_teachers_are_sent_to_the_admin_login_and_nothing_changes(teacher_client, versions, version, action):
    track, number = version.split(":")
    url = f"{BASE}/{track}/{number}/{action}/"
    before = store_snapshot()

    for response in (teacher_client.get(url), teacher_client.post(url, {"reason": "x", "champion_seq": "2"})):
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    assert store_snapshot() == before


def test_a_post_without_the_csrf_token_is_refused(approver, versions):
    client = Client(enforce_csrf_checks=True)
    client.force_login(approver)
    before = store_snapshot()

    response = client.post(f"{BASE}/A/3/approve/", {"reason": "x", "champion_seq": "2"})

    assert response.status_code == 403
    assert store_snapshot() == before


def test_a_post_without_the_champion_it_was_decided_against_is_refused(approver_client, versions):
    before = store_snapshot()

    response = approver_client.post(f"{BASE}/A/3/approve/", {"reason": "x"})

    assert response.status_code == 200 and "This page is out of date" in response.content.decode()
    assert store_snapshot() == before


@pytest.mark.parametrize("version,action,message", [
    ("B:2", "approve", "B:2 is rejected: only a version pending approval can be approved"),
    ("B:3", "approve", "B:3 is candidate: only a version pending approval can be approved"),
    ("A:2", "rollback", "version A:2 is champion: only an archived version can be rolled back to"),
    ("A:2", "reject", "version A:2 is champion: it cannot become rejected"),
    ("B:2", "reject", "version B:2 is rejected: it cannot become rejected"),
])
def test_illegal_actions_fail_with_a_clear_message_and_change_nothing(approver_client, versions, version, action,
                                                                      message):
    track, number = version.split(":")
    url = f"{BASE}/{track}/{number}/{action}/"
    before = store_snapshot()

    page = approver_client.get(url).content.decode()
    response = approver_client.post(url, {"reason": "trying anyway", "champion_seq": str(
        services.champion_seq(services.champion_change_latest(track)))}, follow=True)

    assert "Nothing can be done here." in page and 'type="submit"' not in page.split('id="content-main"')[1]
    [(level, text)] = messages_of(response)
    assert level == "error" and text.startswith(f"Version {version} was not ") and message in text
    assert store_snapshot() == before


def test_a_stale_second_approval_is_refused_and_one_champion_remains(approver_client, superuser_client, versions):
    # Both admins open their confirmation page while A:2 is champion.
    first = approver_client.get(f"{BASE}/A/3/approve/").content.decode()
    second = superuser_client.get(f"{BASE}/A/4/approve/").content.decode()
    approver_client.post(f"{BASE}/A/3/approve/", {"reason": "", "champion_seq": champion_seq(first)})
    after_first = store_snapshot()

    response = superuser_client.post(f"{BASE}/A/4/approve/", {"reason": "", "champion_seq": champion_seq(second)},
                                     follow=True)

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert "track A's champion changed since you looked: it is now version 3 (by ana.approver)" in text
    assert "Nothing was changed" in text
    assert store_snapshot() == after_first
    assert [v.id for v in services.model_versions_list("A", Status.CHAMPION)] == ["A:3"]
    assert services.model_version_get("A", 4).status is Status.PENDING_APPROVAL


# mongomock checks and stores an _id in two steps without a lock, so two threads can both
# insert it; the embedded store (SQLite's primary key) and MongoDB refuse the second.
@pytest.mark.parametrize("store", ["montydb"], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_competing_versions_at_once_leave_one_champion(store, approver, django_user_model,
                                                                            monkeypatch):
    add_version("A", status="champion")
    add_version("A", status="champion", champion_mae=2.1, champion_version=1)
    add_version("A", status="pending_approval", mae=1.8, champion_mae=2.0, champion_version=2)
    add_version("A", status="pending_approval", mae=1.9, champion_mae=2.0, champion_version=2)
    other = django_user_model.objects.create_superuser("bea.admin", password="pw-for-registry-tests-2026")
    clients = []
    for user in (approver, other):
        client = Client()
        client.force_login(user)
        clients.append(client)
    # Both requests read the champion before either writes: the race the store must settle.
    both_read = threading.Barrier(2, timeout=10)
    latest = repository.latest_champion_change

    def slow_latest(track):
        found = latest(track)
        if threading.current_thread().name.startswith("approve-"):
            try:
                both_read.wait()
            except threading.BrokenBarrierError:
                pass
        return found

    monkeypatch.setattr(repository, "latest_champion_change", slow_latest)
    results: dict[str, object] = {}

    def approve(client: Client, number: int) -> None:
        results[f"A:{number}"] = client.post(f"{BASE}/A/{number}/approve/", {"reason": "", "champion_seq": "2"},
                                             follow=True)

    threads = [threading.Thread(target=approve, args=(c, n), name=f"approve-{n}")
               for c, n in zip(clients, (3, 4), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    monkeypatch.setattr(repository, "latest_champion_change", latest)

    outcomes = sorted(messages_of(r)[0][0] for r in results.values())
    assert outcomes == ["error", "success"]
    champions = services.model_versions_list("A", Status.CHAMPION)
    assert len(champions) == 1 and champions[0].version in (3, 4)
    loser = 7 - champions[0].version
    assert services.model_version_get("A", loser).status is Status.PENDING_APPROVAL
    error = next(messages_of(r)[0][1] for r in results.values() if messages_of(r)[0][0] == "error")
    assert "nothing was changed" in error.lower()
    assert [c.version for c in services.champion_history("A")] == [1, 2, champions[0].version]
