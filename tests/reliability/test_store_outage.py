"""The store unreachable: 503 in the API's error shape (never a 500), /readyz names the store,
and the app recovers by itself when the store returns.

The choice (studentml_site/outages.py): a prediction is only given once it can be logged,
so while the store is down prediction requests are refused with 503 — nothing is served
unlogged. In the buffered log mode the few predictions accepted before the writer noticed
the outage wait in memory and are written when the store returns.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pymongo.errors
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from predictions import repository
from predictions.champions import champions
from predictions.entities import PredictionLog
from predictions.forms import INPUT_FIELDS
from predictions.logwriter import writer
from studentml_site import clock, montydb_compat
from studentml_site.outages import API_DETAIL
from tests.builders import make_student
from tests.reliability.conftest import free_port, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _readyz_details(settings):
    """These tests read why a check failed."""
    settings.READYZ_DETAILS = True


SINGLE = "/api/v1/predictions/"
BATCH = "/api/v1/predictions/batch/"


@pytest.fixture
def trained(trained_store: Path) -> Path:
    return trained_store


def student(**overrides: Any) -> dict[str, Any]:
    return make_student(G3=None, **overrides)


def assert_store_refusal(response: Any) -> None:
    assert response.status_code == 503, response.content[:500]
    assert response.json() == {"detail": API_DETAIL, "errors": []}
    assert response["Retry-After"] == "5"


def logged_ids() -> set[str]:
    return {p.id for p in repository.find_predictions(offset=0, limit=10_000)}


def wait_for(condition: Any, timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# With the champion checked on every request, both log modes meet the outage at that check.
@pytest.mark.parametrize("log_mode,models_in_memory", [("sync", True), ("buffered", False)],
                         ids=["serving-sync", "fresh-process-buffered"])
def test_mongodb_unreachable_gives_503_and_readyz_names_the_store(api, trained, settings, monkeypatch,
                                                                  log_mode, models_in_memory):
    settings.PREDICTION_LOG_MODE = log_mode
    first = post_json(api, SINGLE, student())
    assert first.status_code == 201
    writer.flush()
    before = logged_ids()
    monkeypatch.setattr(champions, "check_interval", 0.0)  # each request asks the store who is champion
    if not models_in_memory:
        champions.clear()

    settings.MONGO_URI = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"
    settings.MONGO_TIMEOUT_MS = 300

    assert_store_refusal(post_json(api, SINGLE, student()))
    assert_store_refusal(post_json(api, BATCH, [student(), student(G1=None, G2=None)]))
    assert_store_refusal(api.get(SINGLE))
    assert_store_refusal(post_json(api, "/api/v1/labels/", {"prediction_id": first.json()["id"], "G3": 12}))
    ready = api.get("/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["store"]["status"] == "error"
    assert checks["store"]["error"].startswith("ServerSelectionTimeoutError: 127.0.0.1:")
    assert "Connection refused" in checks["store"]["error"]
    assert "Topology Description" not in checks["store"]["error"]  # one line an operator can read

    settings.MONGO_URI = f"montydb://{trained}"
    assert logged_ids() == before  # the refused requests left nothing behind
    assert post_json(api, SINGLE, student()).status_code == 201


def test_embedded_store_moved_away_gives_503_and_recovers_when_put_back(api, trained, settings):
    served = [post_json(api, SINGLE, student()).json()["id"]]
    aside = trained.with_name("store-moved-aside")

    trained.rename(aside)
    try:
        assert_store_refusal(post_json(api, SINGLE, student()))
        assert_store_refusal(post_json(api, BATCH, [student(), student()]))
        ready = api.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["store"] == {
            "status": "error",
            "error": f"StoreUnavailable: the embedded store {trained} is gone or was replaced (moved, deleted or "
                     "re-created); put it back, or restart to use the store now in its place"}
        assert not trained.exists()  # not silently re-created as a new, empty store
    finally:
        aside.rename(trained)

    # No restart, no reconnect: the next request simply works again.
    response = post_json(api, SINGLE, student())
    assert response.status_code == 201
    served.append(response.json()["id"])
    assert api.get("/readyz").status_code == 200
    assert logged_ids() == set(served)


def test_the_teacher_form_answers_503_with_a_page_while_the_store_is_away(trained, settings):
    teacher = Client()
    teacher.force_login(get_user_model().objects.create_user("ana", password="pw-for-reliability-2026"))
    data = {f.name: "" if student().get(f.name) is None else str(student()[f.name]) for f in INPUT_FIELDS}
    assert teacher.post("/", data).status_code == 302  # predicted, logged, redirected to the result
    aside = trained.with_name("store-moved-aside")

    trained.rename(aside)
    try:
        response = teacher.post("/", data)
    finally:
        aside.rename(trained)

    assert response.status_code == 503
    assert "The data store cannot be reached right now, so nothing was predicted or saved." in response.content.decode()
    assert response["Retry-After"] == "5"
    assert teacher.post("/", data).status_code == 302  # back to normal


def test_embedded_store_locked_by_another_writer_gives_503_then_recovers(api, trained, monkeypatch):
    monkeypatch.setattr(montydb_compat, "BUSY_TIMEOUT_S", 0.3)  # production waits 30 s for a lock
    served = [post_json(api, SINGLE, student()).json()["id"]]
    locker = sqlite3.connect(trained / "studentml" / "predictions.collection", isolation_level=None)

    locker.execute("BEGIN EXCLUSIVE")  # what a stuck writer in another process holds
    try:
        assert_store_refusal(post_json(api, SINGLE, student()))
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    response = post_json(api, SINGLE, student())
    assert response.status_code == 201
    served.append(response.json()["id"])
    assert logged_ids() == set(served)


def test_a_store_recreated_empty_in_its_place_is_not_used(api, trained, settings):
    import montydb

    served = post_json(api, SINGLE, student()).json()["id"]
    aside = trained.with_name("store-moved-aside")
    trained.rename(aside)
    # Another process (a restarted worker, a command) starts a new, empty store at the same path.
    montydb.set_storage(str(trained), storage="sqlite", use_bson=True)

    refused = post_json(api, SINGLE, student())
    assert_store_refusal(refused)
    assert "was replaced" in api.get("/readyz").json()["checks"]["store"]["error"]

    shutil.rmtree(trained)
    aside.rename(trained)
    assert post_json(api, SINGLE, student()).status_code == 201
    assert served in logged_ids()


def test_buffered_log_refuses_predictions_while_it_cannot_write_and_writes_the_accepted_ones_later(
        api, trained, settings, monkeypatch):
    settings.PREDICTION_LOG_MODE = "buffered"
    monkeypatch.setattr(champions, "check_interval", 3600.0)  # the model in memory; only the log needs the store
    served = [post_json(api, SINGLE, student()).json()["id"]]
    assert writer.flush()
    aside = trained.with_name("store-moved-aside")

    trained.rename(aside)
    try:
        # Accepted before the writer has met the outage: kept in memory, retried.
        accepted = post_json(api, SINGLE, student())
        assert accepted.status_code == 201
        served.append(accepted.json()["id"])
        log_check = wait_for(lambda: api.get("/readyz").json()["checks"]["prediction_log"]["status"] == "error",
                             what="/readyz to report the failing prediction log")
        assert log_check
        checks = api.get("/readyz").json()["checks"]
        assert "StoreUnavailable" in checks["prediction_log"]["error"]
        assert "1 entries wait in memory and are retried" in checks["prediction_log"]["error"]
        refused = post_json(api, SINGLE, student())
        assert refused.status_code == 503 and refused.json()["errors"] == []
        assert "nothing was stored" not in refused.json()["detail"]
    finally:
        aside.rename(trained)

    def a_prediction_is_served() -> str | None:
        response = post_json(api, SINGLE, student())
        return response.json()["id"] if response.status_code == 201 else None

    served.append(wait_for(a_prediction_is_served, what="predictions to be served again"))
    assert writer.flush()
    assert writer.status().last_error is None
    assert logged_ids() == set(served)  # the one accepted during the outage was written, none of the refused


def _entry(prediction_id: str) -> PredictionLog:
    return PredictionLog(id=prediction_id, created_at=clock.now(), source="api", request_id="r1", user="ana",
                         track="C", model_version=1, predicted_g3=11.5, at_risk=False, features={"age": 16})


def test_logging_entries_already_stored_keeps_each_once(store):
    repository.insert_predictions([_entry("a1"), _entry("a2")])

    repository.insert_predictions([_entry("a1"), _entry("a2"), _entry("a3")])  # the retry of a lost reply

    assert sorted(p.id for p in repository.find_predictions(limit=10)) == ["a1", "a2", "a3"]


def test_a_log_write_whose_reply_was_lost_is_retried_without_doubling(api, trained, settings, monkeypatch):
    """The store applied the write, then the connection dropped before the reply."""
    settings.PREDICTION_LOG_MODE = "buffered"
    real = repository._predictions
    lost: list[int] = []

    class LostReply:
        def __init__(self, collection: Any) -> None:
            self.collection = collection

        def __getattr__(self, name: str) -> Any:
            return getattr(self.collection, name)

        def insert_many(self, docs: list[dict[str, Any]], **kwargs: Any) -> Any:
            result = self.collection.insert_many(docs, **kwargs)
            if not lost:
                lost.append(len(docs))
                raise pymongo.errors.AutoReconnect("connection reset after the write was applied")
            return result

    monkeypatch.setattr(repository, "_predictions", lambda: LostReply(real()))

    response = post_json(api, BATCH, [student(), student(), student()])  # one request, one write
    assert response.status_code == 201
    assert writer.flush(timeout=15)

    assert lost == [3]
    assert writer.status().last_error is None
    assert Counter(p.id for p in repository.find_predictions(limit=100)) == {r["id"]: 1 for r in response.json()}
