"""Reliability tests: faults injected into real stores, files and processes.

Each test that starts processes (gunicorn, manage.py, a killed writer) is marked ``slow``;
they still run in the default ``make test``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from predictions.champions import champions
from retraining.training import model_versions_train
from studentml_site import mongo
from tests.builders import import_labelled, labelled_students_csv

ROOT = Path(__file__).resolve().parents[2]
SECRET = "reliability-tests-only-secret-key-0123456789abcdefghijklmnop"


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject.toml; repeated so this folder runs with any configuration.
    config.addinivalue_line("markers", "slow: long-running tests (still run in CI)")


def wait_ready(port: int, server: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Until ``/readyz`` answers 200 on ``port``; fails with the log's tail if the server exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn not ready after {timeout}s:\n{log.read_text()[-3000:]}")


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def embedded_store(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """An on-disk montydb store in tmp_path that subprocesses can share; its folder."""
    folder = tmp_path / "store"
    settings.MONGO_URI = f"montydb://{folder}"
    mongo.reset()
    champions.clear()
    yield folder
    mongo.reset()
    champions.clear()


@pytest.fixture(scope="session")
def _trained_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trained-template")


@pytest.fixture
def trained_store(embedded_store: Path, settings: Any, tmp_path: Path, _trained_template: Path) -> Path:
    """The embedded store (and artifacts) with 300 labelled rows and a champion per track.

    Trained once per session into a template, then copied: training takes seconds.
    """
    template = _trained_template
    if not (template / "ready").exists():
        settings.MONGO_URI = f"montydb://{template / 'store'}"
        settings.ARTIFACT_DIR = template / "artifacts"
        mongo.reset()
        import_labelled(labelled_students_csv(300))
        model_versions_train(by="tests")
        mongo.reset()
        (template / "ready").touch()
    shutil.copytree(template / "store", embedded_store)
    shutil.copytree(template / "artifacts", tmp_path / "artifacts", dirs_exist_ok=True)
    settings.MONGO_URI = f"montydb://{embedded_store}"
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    mongo.reset()
    champions.clear()
    return embedded_store


def process_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a manage.py / gunicorn process sharing this test's store and artifacts."""
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "MONGO_URI": f"montydb://{tmp_path / 'store'}",
           "ARTIFACT_DIR": str(tmp_path / "artifacts"), "DEBUG": "false", "SECRET_KEY": SECRET,
           "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "HTTPS": "false"}
    env.pop("ACCESS_LOG", None)
    env.update(overrides)
    return env


PRELUDE = ("import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'studentml_site.settings')\n"
           "django.setup()\n")
PAUSE = ("def pause_here(*args, **kwargs):\n"
         "    import signal\n"
         "    print('PAUSED', flush=True)\n"
         "    signal.pause()\n")


def run_python(code: str, env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run ``code`` in a fresh interpreter with Django set up; its stdout (fails the test on error)."""
    done = subprocess.run([sys.executable, "-c", PRELUDE + code, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"subprocess failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def kill_when_paused(code: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run ``code`` (which calls ``pause_here()`` at the moment to die) and SIGKILL it there.

    The process prints PAUSED and waits; the kill lands exactly at that point, so the test
    is deterministic. Returns what the process had written to stderr.
    """
    process = subprocess.Popen([sys.executable, "-c", PRELUDE + PAUSE + code], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    try:
        line = process.stdout.readline() if process.stdout else ""
        process.kill()
        _, err = process.communicate(timeout=60)
    finally:
        watchdog.cancel()
    assert line.strip() == "PAUSED", f"the process ended before its kill point ({process.returncode}):\n{err}"
    assert process.returncode == -signal.SIGKILL
    return err


def post_json(client: APIClient, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")
