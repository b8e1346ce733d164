"""First-run set-up for `make run`: tables, static files, an admin, data, models, history.

Running it again creates nothing twice and changes nothing users made: the admin is only
created when missing (its password is never reset), data is only imported into an empty
store, and the simulated school year (so a newcomer finds drift reports and a challenger
waiting for approval, not empty pages) is only played on a store with no history.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from predictions import repository, services, uci
from predictions.entities import BatchKind
from predictions.generator import generate_students

Say = Callable[[str], None]

ADMIN_USERNAME = "admin"
GENERATED_ROWS = 1000


HISTORY_COHORT = 400
HISTORY_SEED = 2026
HISTORY_SHIFT = "harder-year"


@dataclass(frozen=True)
class SetupResult:
    admin_created: bool
    admin_password: str | None  # only when generated on this run
    data_source: str | None  # None: data was already there
    pending: dict[str, int]  # track -> version waiting for approval


def ensure_admin(say: Say) -> tuple[bool, str | None]:
    users = get_user_model()
    if users.objects.filter(username=ADMIN_USERNAME).exists():
        say(f"admin user '{ADMIN_USERNAME}' exists (password unchanged)")
        return False, None
    given = os.environ.get("ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(12)
    users.objects.create_superuser(ADMIN_USERNAME, email="", password=password)
    if not given:
        # Kept where only this machine's user can read it, for whoever missed the output.
        # Created 0600 from the start: no moment in which the umask leaves it readable to others.
        path = Path(settings.VAR_DIR) / "admin_password"
        path.unlink(missing_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(password + "\n")
    return True, None if given else password


def _import(data: bytes, source: str) -> None:
    services.batch_import(data, kind=BatchKind.LABELED, source=source, created_by="setup")


def ensure_data(say: Say) -> str | None:
    """Import labelled students once: the local UCI copy, else the download, else generated rows."""
    if repository.count_records(labeled=True) > 0:
        say("student data present: nothing imported")
        return None
    local = os.environ.get("STUDENTML_UCI_DIR")
    if local and Path(local, "student-por.csv").is_file():
        _import(Path(local, "student-por.csv").read_bytes(), "student-por.csv")
        return f"{local}/student-por.csv"
    try:
        data, _ = uci.fetch_subject("por", settings.UCI_DOWNLOAD_URL, timeout=10)
        _import(data, "uci:por")
        return "the UCI download (Portuguese)"
    except uci.UciDownloadError as exc:
        say(f"UCI download unavailable ({exc.__class__.__name__}); using generated students")
    import io

    buffer = io.StringIO()
    generate_students(GENERATED_ROWS, seed=2008).to_csv(buffer, sep=";", index=False)
    _import(buffer.getvalue().encode(), f"generated:{GENERATED_ROWS}")
    return f"{GENERATED_ROWS} generated students"


def ensure_models(say: Say) -> bool:
    """Train once if any track lacks a champion; never replaces an existing champion."""
    from predictions.schema import Track
    from registry import services as registry
    from retraining.training import model_versions_train

    if all(registry.champion_get(t.value) is not None for t in Track):
        say("every track has a champion: nothing trained")
        return False
    model_versions_train(by="setup", progress=say)
    return True


def ensure_history(say: Say) -> None:
    """Play one shifted school year once, on a store that has no drift or retraining history."""
    from drift import repository as drift_repository
    from retraining import repository as runs_repository
    from retraining.simulation import simulate_year

    if runs_repository.find_runs(limit=1) or drift_repository.count_reports() > 0:
        say("history present: no school year simulated")
        return
    say(f"simulating a school year ({HISTORY_COHORT} students, shift '{HISTORY_SHIFT}') so the dashboard "
        "and the registry have something to show")
    simulate_year(cohort=HISTORY_COHORT, shift=HISTORY_SHIFT, seed=HISTORY_SEED, policy="approval", by="setup",
                  progress=say)


def pending_versions() -> dict[str, int]:
    from predictions.schema import Track
    from registry import services as registry
    from registry.entities import Status

    out = {}
    for track in Track:
        waiting = registry.model_versions_list(track.value, Status.PENDING_APPROVAL)
        if waiting:
            out[track.value] = waiting[0].version
    return out


def first_run_setup(say: Say) -> SetupResult:
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    created, password = ensure_admin(say)
    source = ensure_data(say)
    ensure_models(say)
    ensure_history(say)
    return SetupResult(admin_created=created, admin_password=password, data_source=source,
                       pending=pending_versions())
