"""The buffered prediction log: batched writes, nothing lost, failures visible."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from predictions import repository
from predictions.entities import PredictionLog
from predictions.logwriter import PredictionLogWriter
from studentml_site import clock, mongo


@pytest.fixture(autouse=True)
def _readyz_details(settings):
    """These tests read why a check failed."""
    settings.READYZ_DETAILS = True


ROOT = Path(__file__).resolve().parents[2]


def entry(i: int) -> PredictionLog:
    return PredictionLog(id=f"p{i:05d}", created_at=clock.now(), source="test", request_id="r", user="u",
                         track="C", model_version=1, predicted_g3=11.0, at_risk=False, features={"age": 17})


@pytest.fixture
def buffered(settings):
    settings.PREDICTION_LOG_MODE = "buffered"
    writer = PredictionLogWriter()
    yield writer
    writer.close()


def test_buffered_entries_are_all_written_after_flush(buffered):
    for start in range(0, 300, 30):
        buffered.write([entry(i) for i in range(start, start + 30)])

    assert buffered.flush(timeout=10)

    assert repository.count_predictions() == 300
    assert buffered.status().pending == 0 and buffered.status().written == 300


def test_a_failing_store_keeps_entries_reports_and_recovers(buffered, monkeypatch, caplog, settings):
    real = repository.insert_predictions
    failures = {"left": 2}

    def flaky(entries):
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("store unreachable")
        return real(entries)

    monkeypatch.setattr("predictions.logwriter.RETRY_AFTER", 0.05)
    monkeypatch.setattr(repository, "insert_predictions", flaky)
    buffered.write([entry(i) for i in range(10)])
    # Wait until the first failure has been seen and reported.
    for _ in range(200):
        if buffered.status().last_error or repository.count_predictions() == 10:
            break
        import time

        time.sleep(0.01)

    assert "store unreachable" in (buffered.status().last_error or caplog.text)
    assert buffered.flush(timeout=10)
    assert repository.count_predictions() == 10
    assert buffered.status().last_error is None
    assert "writing 10 entries failed" in caplog.text


def test_readyz_names_a_failing_prediction_log(client, monkeypatch, db):
    from predictions.logwriter import WriterStatus, writer

    monkeypatch.setattr(writer, "status", lambda: WriterStatus("buffered", 7, 0, "OSError: disk full", 0.0))

    body = client.get("/readyz").json()

    assert body["checks"]["prediction_log"]["status"] == "error"
    assert "7 entries wait" in body["checks"]["prediction_log"]["error"]


SCRIPT = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "studentml_site.settings"
django.setup()
from predictions.logwriter import writer
from predictions.entities import PredictionLog
from studentml_site import clock
for i in range(500):
    writer.write([PredictionLog(id=f"x{i:05d}", created_at=clock.now(), source="t", request_id="r", user=None,
                                track="C", model_version=1, predicted_g3=1.0, at_risk=True, features={})])
# exit normally without flushing by hand: the atexit hook must write everything
"""


def test_nothing_is_lost_on_a_normal_exit(tmp_path, settings):
    store = f"montydb://{tmp_path / 'store'}"
    env = {**os.environ, "MONGO_URI": store, "VAR_DIR": str(tmp_path / "var"), "DEBUG": "true",
           "PREDICTION_LOG_MODE": "buffered"}

    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)

    assert done.returncode == 0, done.stderr
    settings.MONGO_URI = store
    mongo.reset()
    assert repository.count_predictions() == 500
