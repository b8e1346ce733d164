"""First-run set-up for `make run`: tables, static files, an admin, real data, models.

Running it again creates nothing twice and changes nothing users made: the admin is only
created when missing (its password is never reset) and data is only imported into an empty
store. Nothing simulated is written here: a simulated school year belongs to `make demo`
and its own store (``retraining.demo``), so made-up grades never train or judge a model
that serves real students. Generated students are only the last resort when no real data
can be had, and are marked as demo data (``studentml_site.demo``) until `purge_demo`.
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
from studentml_site.demo import GENERATED_SOURCE_PREFIX

Say = Callable[[str], None]

ADMIN_USERNAME = "admin"
GENERATED_ROWS = 1000


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
    _import(buffer.getvalue().encode(), f"{GENERATED_SOURCE_PREFIX}{GENERATED_ROWS}")
    return (f"{GENERATED_ROWS} generated students (DEMO DATA: every page says so until "
            "`manage.py purge_demo` removes them)")


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
    return SetupResult(admin_created=created, admin_password=password, data_source=source,
                       pending=pending_versions())
