""""Check now" and "Retrain now": staff only, retraining needs the approve permission, every press audited."""

from __future__ import annotations

import re

import pytest

from drift import repository as drift_repository
from registry import repository as registry_repository
from registry.entities import AuditEntry
from retraining import repository as runs_repository
from retraining.training import model_versions_train
from studentml_site import clock
from tests.builders import import_labelled, labelled_students_csv
from tests.conftest import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained():
    import_labelled(labelled_students_csv(200))
    model_versions_train(by="tests")


def _as(client, django_user_model, name, *, staff=False, approver=False):
    user = django_user_model.objects.create_user(name, is_staff=staff)
    if approver:
        grant(user, "registry.approve_promotion")
    client.force_login(user)
    return client


def _presses(action):
    return [e for e in registry_repository.find_audit(limit=50) if e.action == action]


def test_staff_check_now_runs_the_drift_check_and_is_audited(client, django_user_model, trained):
    staff = _as(client, django_user_model, "it-desk", staff=True)
    page = staff.get("/drift/").content.decode()
    assert 'id="check-now"' in page and 'id="retrain-now"' not in page  # no approve permission

    response = staff.post("/run-now/check/", {"next": "/drift/"}, follow=True)

    assert response.redirect_chain == [("/drift/", 302)]
    assert sorted(r.track for r in drift_repository.find_reports() if r.trigger == "manual") == ["A", "B", "C"]
    assert "Drift check done (A: " in response.content.decode()
    assert [(e.actor, e.track) for e in _presses("check_now")] == [("it-desk", "all")]
    # The press stays listed with its outcome, linked to each track's report.
    listed = re.search(r'<ul class="run-presses".*?</ul>', response.content.decode(), re.S).group(0)
    assert "Drift check" in listed and "by it-desk" in listed and 'data-state="done"' in listed
    assert all(f'href="/drift/?track={t}"' in listed for t in "ABC")


def test_a_press_the_worker_has_not_run_yet_shows_as_queued(client, django_user_model, trained):
    staff = _as(client, django_user_model, "it-desk", staff=True)
    registry_repository.insert_audit(AuditEntry(at=clock.now(), actor="head", action="retrain_now", track="B",
                                                version=None, reason="retrain requested by hand", before=None,
                                                after=None))

    page = staff.get("/drift/").content.decode()

    assert re.search(r'<li data-state="waiting">Retrain B, .*? by head:\s*<strong>queued or running</strong>', page)


def test_a_teacher_can_neither_check_nor_retrain(client, django_user_model, trained):
    teacher = _as(client, django_user_model, "ms.silva")
    assert 'id="check-now"' not in teacher.get("/drift/").content.decode()

    assert teacher.post("/run-now/check/").status_code == 403
    assert teacher.post("/run-now/retrain/", {"track": "A"}).status_code == 403
    assert drift_repository.count_reports() == 0 and runs_repository.find_runs() == []
    assert _presses("check_now") == [] and _presses("retrain_now") == []


def test_retrain_now_needs_the_approve_permission(client, django_user_model, trained):
    staff = _as(client, django_user_model, "it-desk", staff=True)

    assert staff.post("/run-now/retrain/", {"track": "A"}).status_code == 403
    assert runs_repository.find_runs() == [] and _presses("retrain_now") == []


def test_an_approver_retrains_one_track_now_and_the_press_is_audited(client, django_user_model, trained):
    head = _as(client, django_user_model, "head", staff=True, approver=True)
    assert 'id="retrain-now"' in head.get("/admin/registry/modelversion/").content.decode()

    response = head.post("/run-now/retrain/", {"track": "A", "next": "/admin/registry/modelversion/"}, follow=True)

    assert response.redirect_chain == [("/admin/registry/modelversion/", 302)]
    runs = runs_repository.find_runs()
    assert [(r.track, r.trigger, r.by) for r in runs] == [("A", "manual", "head")]
    assert f"Retrain A: {runs[0].decision.value}" in response.content.decode()
    assert [(e.actor, e.track) for e in _presses("retrain_now")] == [("head", "A")]
    assert re.search(r'<li data-state="done">Retrain A, .*? by head:\s*<strong>', response.content.decode())


def test_retrain_now_names_a_bad_track_and_queues_nothing(client, django_user_model, trained):
    head = _as(client, django_user_model, "head", staff=True, approver=True)

    response = head.post("/run-now/retrain/", {"track": "D"}, follow=True)

    assert "Track: must be one of A, B, C or all (got &#x27;D&#x27;); nothing queued" in response.content.decode()
    assert runs_repository.find_runs() == []
