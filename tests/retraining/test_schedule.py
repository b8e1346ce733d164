"""The beat schedule: built from DRIFT_SCHEDULE / RETRAIN_SCHEDULE, naming registered tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from celery.schedules import crontab

from retraining.schedule import beat_schedule
from studentml_site.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_each_entry_names_a_task_the_worker_registers():
    app.loader.import_default_modules()  # what a worker does at start: autodiscovers tasks.py

    for name, entry in beat_schedule().items():
        assert entry["task"] in app.tasks, f"{name}: {entry['task']} is not a registered task"


def test_cron_strings_from_settings_become_crontabs(settings):
    settings.DRIFT_SCHEDULE = "15 3 * * 1-5"
    settings.RETRAIN_SCHEDULE = "0 4 1 * *"

    schedule = beat_schedule()

    assert schedule["drift-detect"]["task"] == "drift.drift_detect"
    assert schedule["drift-detect"]["schedule"] == crontab(minute="15", hour="3", day_of_week="1-5")
    assert schedule["retrain-check"]["task"] == "retraining.retrain_check"
    assert schedule["retrain-check"]["schedule"] == crontab(minute="0", hour="4", day_of_month="1")


def test_a_changed_setting_changes_the_schedule(settings):
    before = beat_schedule()

    settings.RETRAIN_SCHEDULE = "45 23 * * 6"
    after = beat_schedule()

    assert after["retrain-check"]["schedule"] != before["retrain-check"]["schedule"]
    assert after["retrain-check"]["schedule"] == crontab(minute="45", hour="23", day_of_week="6")
    assert after["drift-detect"] == before["drift-detect"]


def test_the_defaults_run_drift_nightly_and_the_retrain_check_weekly_after_it():
    schedule = beat_schedule()

    assert schedule["drift-detect"]["schedule"] == crontab(minute="0", hour="2")
    assert schedule["retrain-check"]["schedule"] == crontab(minute="30", hour="2", day_of_week="0")


def test_the_app_carries_the_schedule():
    assert app.conf.beat_schedule == beat_schedule()


def _beat_entries(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess:
    """Load the schedule the way ``celery beat`` does, in a fresh process with this environment."""
    script = (
        "import json, sys\n"
        "from celery.beat import PersistentScheduler\n"
        "from studentml_site.celery import app\n"
        "scheduler = PersistentScheduler(app=app, schedule_filename=sys.argv[1])\n"
        "print(json.dumps({name: {'task': e.task, 'schedule': str(e.schedule), 'options': e.options}\n"
        "                  for name, e in scheduler.schedule.items()}))\n"
        "scheduler.close()\n"
    )
    env = {**os.environ, "DEBUG": "true", "MONGO_URI": "mongomock://", "VAR_DIR": str(tmp_path / "var"), **environ}
    return subprocess.run([sys.executable, "-c", script, str(tmp_path / "beat-schedule")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_beat_loads_the_schedule_from_the_environment(tmp_path):
    done = _beat_entries(tmp_path, DRIFT_SCHEDULE="*/30 * * * *", RETRAIN_SCHEDULE="0 5 * * 1")

    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)
    assert entries["drift-detect"]["task"] == "drift.drift_detect"
    assert entries["drift-detect"]["schedule"].startswith("<crontab: */30 * * * *")
    assert entries["retrain-check"]["task"] == "retraining.retrain_check"
    assert entries["retrain-check"]["schedule"].startswith("<crontab: 0 5 * * 1 ")
    assert entries["retrain-check"]["options"] == {"expires": 3600}


def test_beat_refuses_to_start_with_a_bad_cron_string(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "studentml_site", "beat", "-s", str(tmp_path / "beat-schedule")],
        cwd=ROOT, env={**os.environ, "DEBUG": "true", "MONGO_URI": "mongomock://", "RETRAIN_SCHEDULE": "every sunday"},
        capture_output=True, text=True, timeout=120)

    assert done.returncode != 0
    assert "RETRAIN_SCHEDULE='every sunday' is not valid" in done.stderr
