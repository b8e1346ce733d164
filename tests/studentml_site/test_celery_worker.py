"""A real Celery worker process on a real Redis broker changes the registry; a real beat loads its schedule.

The test process and the worker share one embedded store (``montydb://`` under tmp_path)
and one artifact folder; tasks travel through Redis by name, as any producer would send them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from drift import repository as drift_repository
from drift import services as drift_services
from registry import repository as registry_repository
from registry import services as registry
from registry.entities import Status
from studentml_site import mongo
from tests.redis_server import RedisServer, RedisUnavailable, redis_server
from tests.stale_champions import seed_stale_champions

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90.0

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A real Redis; its absence fails the run in CI (``make test`` provides one) and skips it elsewhere."""
    try:
        with redis_server(tmp_path / "redis") as server:
            yield server
    except RedisUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture
def shared_store(settings, tmp_path: Path) -> str:
    """This process and its subprocesses on one embedded store and one artifact folder."""
    settings.MONGO_URI = f"montydb://{tmp_path / 'store'}"
    mongo.reset()
    drift_repository.count_reports()  # creates the store before the worker opens it
    return settings.MONGO_URI


class Worker:
    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self.proc, self.log = proc, log

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "<no log>"

    def wait_for(self, what: str, ready: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
        """Poll ``ready`` until it returns something truthy; fail with the worker's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = ready()
            if found:
                return found
            if self.proc.poll() is not None:
                pytest.fail(f"the worker exited ({self.proc.returncode}) before {what}; its log:\n{self.log_tail()}")
            time.sleep(0.2)
        pytest.fail(f"no {what} within {timeout:.0f} s; the worker's log:\n{self.log_tail()}")


def _environment(redis: RedisServer, settings, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CELERY_BROKER_URL": redis.db(0), "CELERY_RESULT_BACKEND": redis.db(1),
            "MONGO_URI": settings.MONGO_URI, "ARTIFACT_DIR": str(settings.ARTIFACT_DIR),
            "VAR_DIR": str(tmp_path / "var"), "DEBUG": "true", "OMP_NUM_THREADS": "1", **extra}


@pytest.fixture
def worker(redis: RedisServer, shared_store: str, settings, tmp_path: Path) -> Iterator[Worker]:
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "studentml_site", "worker", "--pool=solo", "--concurrency=1",
             "-Q", "celery", "-n", "studentml-test@%h", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=_environment(redis, settings, tmp_path), stdout=out, stderr=subprocess.STDOUT)
    try:
        yield Worker(proc, log)
    finally:
        proc.terminate()  # warm shutdown: the solo pool finishes its task first
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def client(redis: RedisServer) -> Iterator[Celery]:
    """A producer that knows the broker and the task names, nothing of the project's code."""
    app = Celery("producer", broker=redis.db(0), backend=redis.db(1), set_as_current=False)
    yield app
    app.close()


def test_a_retrain_sent_through_redis_changes_the_registry(worker, client):
    seed_stale_champions(fresh_rows=300)
    before = {v.version for v in registry_repository.find_versions("A")}

    sent = client.send_task("retraining.retrain_track", args=["A"],
                            kwargs={"trigger": "manual", "window": 300, "policy": "auto", "by": "integration-test"})

    champion = worker.wait_for("new champion of track A",
                               lambda: (c := registry.champion_get("A")) and c.version not in before and c)
    assert champion.status is Status.CHAMPION and champion.created_by == "integration-test"
    assert {v.version: v.status for v in registry_repository.find_versions("A")}[1] is Status.ARCHIVED
    summary = sent.get(timeout=TIMEOUT)
    assert summary["decision"] == "promoted", summary
    assert summary["challenger_version"] == champion.version
    assert summary["champion_mae"] - summary["challenger_mae"] > 1.0
    # The other tracks were not touched.
    assert registry.champion_get("B").version == 1 and registry.champion_get("C").version == 1
    assert f"Task retraining.retrain_track[{sent.id}] succeeded" in worker.log_tail(100_000)


def test_drift_detection_sent_through_redis_stores_a_report_per_track(worker, client):
    seed_stale_champions(fresh_rows=60)
    # One round from this process first: the collection exists before the worker writes to
    # it while this process polls it (montydb: a file another process is still creating
    # has no table yet).
    drift_services.drift_reports_create(trigger="cli")

    sent = client.send_task("drift.drift_detect")

    worker.wait_for("drift reports from the worker", lambda: drift_repository.count_reports() >= 6)
    scheduled = [r for r in drift_repository.find_reports() if r.trigger == "schedule"]
    assert sorted(r.track for r in scheduled) == ["A", "B", "C"]
    summary = sent.get(timeout=TIMEOUT)
    assert sorted(item["id"] for item in summary["reports"]) == sorted(r.id for r in scheduled)


def test_beat_starts_with_the_schedule_from_the_environment(redis, settings, tmp_path):
    log = tmp_path / "beat.log"
    env = _environment(redis, settings, tmp_path, MONGO_URI="mongomock://",
                       DRIFT_SCHEDULE="10 1 * * *", RETRAIN_SCHEDULE="40 1 * * 3")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "studentml_site", "beat", "--loglevel=DEBUG",
             "-s", str(tmp_path / "beat-schedule")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        beat = Worker(proc, log)
        text = beat.wait_for("beat's schedule in its log",
                             lambda: "retrain-check" in (t := log.read_text(errors="replace")) and t)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "<ScheduleEntry: drift-detect drift.drift_detect() <crontab: 10 1 * * *" in text
    assert "<ScheduleEntry: retrain-check retraining.retrain_check() <crontab: 40 1 * * 3" in text
