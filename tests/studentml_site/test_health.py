import pytest

from studentml_site import health


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("it-desk", is_staff=True))
    return client


@pytest.mark.django_db
def test_healthz_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.fixture
def trained():
    from retraining.training import model_versions_train
    from tests.builders import import_labelled, labelled_students_csv

    import_labelled(labelled_students_csv(200))
    model_versions_train(by="tests")


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client, trained):
    response = client.get("/readyz")

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok", "store": "ok", "models": "ok", "prediction_log": "ok", "worker": "off", "beat": "off"}
    assert checks["beat"]["note"] == "no CELERY_BROKER_URL: no beat"  # tasks in process: nothing scheduled


@pytest.mark.django_db
def test_readyz_is_not_ready_without_models(staff_client):
    response = staff_client.get("/readyz")

    assert response.status_code == 503
    assert "no champion model loaded for track(s) A, B, C" in response.json()["checks"]["models"]["error"]


@pytest.mark.django_db
def test_readyz_names_the_failed_dependency(staff_client, settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store's folder should be")
    settings.MONGO_URI = f"montydb://{blocker}/store"

    response = staff_client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["store"]["status"] == "error" and body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["store"]["error"].startswith("StoreUnavailable: the embedded store")
    error = body["checks"]["store"]["error"]
    assert "FileExistsError" in error or "NotADirectoryError" in error


@pytest.mark.django_db
def test_readyz_recovers_when_the_store_returns(client, settings, tmp_path):
    settings.MONGO_URI = f"montydb://{tmp_path}/missing-parent-file/store"
    (tmp_path / "missing-parent-file").write_text("blocks the folder")
    assert client.get("/readyz").json()["checks"]["store"]["status"] == "error"

    (tmp_path / "missing-parent-file").unlink()

    assert client.get("/readyz").json()["checks"]["store"] == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("details", [False, True])
def test_why_a_check_failed_is_shown_to_staff_or_with_readyz_details_only(client, settings, tmp_path, details):
    settings.READYZ_DETAILS = details
    settings.MONGO_URI = f"montydb://{tmp_path}/blocked/store"
    (tmp_path / "blocked").write_text("blocks the folder")

    body = client.get("/readyz").json()

    assert body["checks"]["store"]["status"] == "error"  # which one failed: always public
    if details:
        assert str(tmp_path) in body["checks"]["store"]["error"]
    else:
        assert "error" not in body["checks"]["store"] and str(tmp_path) not in str(body)
        assert body["details"] == "in the server log, or here for a signed-in staff user"


def test_checks_cover_every_dependency():
    assert set(health.CHECKS) == {"database", "store", "models", "prediction_log", "worker", "beat"}
