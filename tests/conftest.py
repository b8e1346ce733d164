"""Test-wide set-up: an in-memory Mongo per test, the real UCI files when CI provides them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from predictions.champions import champions
from studentml_site import mongo

UCI_DIR = os.environ.get("STUDENTML_UCI_DIR")


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.fuzz.examples import EXAMPLES

    if hasattr(session.config, "workeroutput"):  # a pytest-xdist worker: hand the counts over
        session.config.workeroutput["fuzz_examples"] = dict(EXAMPLES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    from tests.fuzz.examples import EXAMPLES

    EXAMPLES.update(getattr(node, "workeroutput", {}).get("fuzz_examples", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.fuzz.examples import EXAMPLES

    if not EXAMPLES:
        return
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    terminalreporter.write_sep("-", f"fuzz examples per target (profile {profile})")
    for target, count in sorted(EXAMPLES.items()):
        terminalreporter.write_line(f"{count:7,d}  {target}")
    tried = sum(count for target, count in EXAMPLES.items() if "... of which" not in target)
    terminalreporter.write_line(f"{tried:7,d}  examples in all")


@pytest.fixture(autouse=True)
def _fresh_store(settings: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Each test gets an empty in-memory store and its own artifact folder."""
    settings.MONGO_URI = "mongomock://"
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    # A tenth of the trees and 3 CV folds: every training path runs, in a fraction of the time.
    settings.TRAINING_QUICK = True
    settings.TRAINING_CV_FOLDS = 3
    # A cache shared like production's Redis (throttle counters), empty for every test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
    # Notifications look up approvers in Django's database, which most tests do not open:
    # off unless a test turns them on (tests/drift/test_notify.py).
    settings.NOTIFY_APPROVAL = settings.NOTIFY_DRIFT = settings.NOTIFY_ACCURACY = False
    mongo.reset()
    champions.clear()
    yield
    mongo.reset()
    champions.clear()


@pytest.fixture
def uci_dir() -> Path:
    """The folder with the real UCI files (STUDENTML_UCI_DIR); skipped, visibly, without it."""
    if not UCI_DIR or not Path(UCI_DIR, "student-por.csv").is_file():
        pytest.skip("STUDENTML_UCI_DIR is not set to a folder with student-mat.csv and student-por.csv")
    return Path(UCI_DIR)


def _backend_params() -> list:
    real = os.environ.get("TEST_MONGO_URI")
    return [
        pytest.param("mongomock", id="mongomock"),
        pytest.param("montydb", id="montydb"),
        pytest.param(
            real or "mongodb",
            id="mongodb",
            marks=pytest.mark.skipif(not real, reason="TEST_MONGO_URI is not set: no real MongoDB to test against"),
        ),
    ]


@pytest.fixture(params=_backend_params())
def store(request: pytest.FixtureRequest, settings, tmp_path: Path) -> Iterator[str]:
    """Run the test once per available Mongo backend, each starting empty."""
    backend = request.param
    if backend == "mongomock":
        settings.MONGO_URI = "mongomock://"
    elif backend == "montydb":
        settings.MONGO_URI = f"montydb://{tmp_path / 'monty'}"
    else:
        settings.MONGO_URI = backend
        settings.MONGO_DB = f"studentml_test_{os.getpid()}"
    mongo.reset()
    if backend not in ("mongomock", "montydb"):
        mongo.client().drop_database(settings.MONGO_DB)
    yield backend
    if backend not in ("mongomock", "montydb"):
        mongo.client().drop_database(settings.MONGO_DB)
    mongo.reset()


@pytest.fixture
def api(db):
    """An API client authenticated with a teacher's token."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user("teacher", password="pw-for-tests-2026")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def grant(user, *permissions: str) -> None:
    """Give ``user`` permissions by their "app_label.codename" names."""
    from django.contrib.auth.models import Permission

    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def importer(db):
    """An API client whose user may import training data (predictions.import_training_data)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user("data-officer", password="pw-for-tests-2026")
    grant(user, "predictions.import_training_data")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client
