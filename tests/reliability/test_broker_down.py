"""The Celery broker down (CELERY_BROKER_URL pointing at a closed port): retraining by hand
still works, because ``manage.py retrain`` calls the service directly, never a task.

Serving with the broker down is proven under load: test_load.py runs its gunicorn workers
with the same closed-port broker and requires zero 5xx.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from retraining import repository as retraining_repository
from tests.reliability.conftest import ROOT, free_port, process_env

pytestmark = pytest.mark.slow


def test_manage_py_retrain_works_with_the_broker_down(trained_store, tmp_path):
    env = process_env(tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")

    done = subprocess.run([sys.executable, "manage.py", "retrain", "--track", "A", "--by", "ops"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    assert "track  rows  champion MAE" in done.stdout
    runs = retraining_repository.find_runs(track="A")
    assert [(r.track, r.by) for r in runs] == [("A", "ops")]
    assert f"A: {runs[0].reason}" in done.stdout
