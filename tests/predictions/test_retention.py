"""LOG_RETENTION_DAYS: unlabelled log entries older than that go; labelled ones are training data and stay."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from predictions import repository
from retraining.schedule import beat_schedule
from studentml_site import clock
from tests.builders import log_prediction

NOW = clock.now()


def three_entries() -> None:
    log_prediction("old", "ana", created_at=NOW - timedelta(days=40))
    log_prediction("old-graded", "ana", created_at=NOW - timedelta(days=40))
    repository.set_prediction_label("old-graded", 12, at=NOW - timedelta(days=39), by="ana")
    log_prediction("recent", "ana", created_at=NOW - timedelta(days=5))


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_predictions", *args, stdout=out)
    return out.getvalue()


def kept() -> set[str]:
    return {p.id for p in repository.find_predictions(limit=10)}


def test_old_unlabelled_entries_go_and_the_rest_stay(settings):
    settings.LOG_RETENTION_DAYS = 30
    three_entries()

    out = prune()

    assert kept() == {"old-graded", "recent"}
    assert out.strip().endswith("removed 1 unlabelled prediction(s)")


def test_off_by_default_keeps_everything(settings):
    assert settings.LOG_RETENTION_DAYS == 0
    three_entries()

    out = prune()

    assert kept() == {"old", "old-graded", "recent"}
    assert "kept in full" in out and "removed 0" in out


def test_days_on_the_command_line_override_the_setting():
    three_entries()

    prune("--days", "3")

    assert kept() == {"old-graded"}
    with pytest.raises(CommandError, match="--days must be at least 1"):
        prune("--days", "0")


def test_beat_prunes_nightly_only_when_retention_is_on(settings):
    from studentml_site.celery import app

    app.loader.import_default_modules()  # what a worker does at start (and the app reads its schedule)
    tasks = app.tasks
    assert "prune-predictions" not in beat_schedule()
    settings.LOG_RETENTION_DAYS = 30

    entry = beat_schedule()["prune-predictions"]

    assert entry["task"] in tasks
    three_entries()
    assert tasks[entry["task"]].apply().get() == {"removed": 1}
    assert kept() == {"old-graded", "recent"}
