"""`make run`'s set-up: creates the admin and data once, keeps what users added."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from predictions import repository
from drift import repository as drift_repository
from registry import services as registry
from registry.entities import Status
from retraining.bootstrap import HISTORY_COHORT
from tests.builders import store_snapshot


@pytest.fixture
def offline(settings, tmp_path, monkeypatch):
    settings.UCI_DOWNLOAD_URL = (tmp_path / "no-such-archive.zip").as_uri()
    settings.VAR_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    monkeypatch.delenv("STUDENTML_UCI_DIR", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)


def bootstrap() -> str:
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_first_run_creates_admin_and_generated_data_when_offline(offline, tmp_path):
    out = bootstrap()

    admin = get_user_model().objects.get(username="admin")
    password = (tmp_path / "admin_password").read_text().strip()
    assert admin.is_superuser and admin.check_password(password)
    assert f"password: {password}" in out
    assert repository.count_records(labeled=True) == 1000 + HISTORY_COHORT  # the imported rows, the year's labels
    assert all(registry.champion_get(track).version == 1 for track in "ABC")
    # A simulated year: drift reports that flag the shifted features, and a challenger per track,
    # waiting where it beat its champion (an honest champion, e.g. the rule, may not be beaten).
    reports = drift_repository.find_reports()
    assert len(reports) == 3 and all({"absences", "studytime"} <= set(r.drifted_features) for r in reports)
    second = {t: registry.model_version_get(t, 2).status for t in "ABC"}
    assert set(second.values()) <= {Status.PENDING_APPROVAL, Status.REJECTED}
    waiting = [f"{t}:2" for t in "ABC" if second[t] is Status.PENDING_APPROVAL]
    if waiting:
        assert f"the model registry: {', '.join(waiting)} waiting for your approval" in out
    else:
        assert "waiting for your approval" not in out
    for path in ("/", "/drift/", "/admin/", "/api/docs/"):
        assert f"http://127.0.0.1:8000{path} " in out


@pytest.mark.django_db
def test_second_run_duplicates_nothing_and_keeps_user_changes(offline):
    bootstrap()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("chosen-by-the-admin-2026")
    admin.save()
    before = store_snapshot()

    out = bootstrap()

    assert "password:" not in out
    assert get_user_model().objects.get(username="admin").check_password("chosen-by-the-admin-2026")
    assert store_snapshot() == before  # no second import, no second training


@pytest.mark.django_db
def test_admin_password_from_the_environment(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("ADMIN_PASSWORD", "from-the-env-2026")

    out = bootstrap()

    assert get_user_model().objects.get(username="admin").check_password("from-the-env-2026")
    assert "from-the-env-2026" not in out
    assert not (tmp_path / "admin_password").exists()


@pytest.mark.django_db
def test_local_uci_copy_is_preferred(offline, uci_dir, monkeypatch):
    monkeypatch.setenv("STUDENTML_UCI_DIR", str(uci_dir))

    bootstrap()

    assert repository.count_records(labeled=True) == 649 + HISTORY_COHORT
