"""Set up a fresh machine for `make run` (idempotent)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from retraining.bootstrap import ADMIN_USERNAME, first_run_setup, pending_versions
from retraining.simulation import NotADemoStore, demo_year_ensure, require_demo_store
from studentml_site.demo import banner


class Command(BaseCommand):
    help = "Migrate, collect static files, create the admin user and import data once. Safe to repeat."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", default="8000", help="the port the app will be served on (for the links)")
        parser.add_argument("--demo", action="store_true",
                            help="set up the demo store (DEMO_STORE=true, `make demo`): also play a simulated year")

    def handle(self, *args: Any, port: str, demo: bool, **options: Any) -> None:
        if demo:
            try:
                require_demo_store()
            except NotADemoStore as exc:
                raise CommandError(str(exc)) from exc
        result = first_run_setup(self.stdout.write)
        if demo:
            demo_year_ensure(self.stdout.write)
            result = replace(result, pending=pending_versions())
        if result.data_source:
            self.stdout.write(f"imported students from {result.data_source}")
        if result.admin_password:
            where = Path(settings.VAR_DIR) / "admin_password"
            # A terminal shows it once; output that goes to a file (a server log) never holds it.
            shown = f" with password: {result.admin_password}" if self.stdout.isatty() else ""
            self.stdout.write(self.style.WARNING(
                f"admin user '{ADMIN_USERNAME}' created{shown}\n"
                f"  the password is in {where} (readable only by you): cat {where}"))
        elif result.admin_created:
            self.stdout.write(f"admin user '{ADMIN_USERNAME}' created with ADMIN_PASSWORD")
        base = f"http://127.0.0.1:{port}"
        waiting = ", ".join(f"{t}:{v}" for t, v in sorted(result.pending.items()))
        self.stdout.write(self.style.SUCCESS("ready. Where to click:"))
        if banner():
            self.stdout.write(self.style.WARNING(banner()))
        for url, what in [
            (f"{base}/", "predict a student, or upload a class CSV (log in as a teacher or the admin)"),
            (f"{base}/drift/", "the drift dashboard: this year's shifted features, charted" if demo else
             "the drift dashboard (the first check runs once 30 predictions of a track are logged)"),
            (f"{base}/admin/", "the model registry" + (f": {waiting} waiting for your approval" if waiting else "")),
            (f"{base}/api/docs/", "the API, interactive (a token: make token USER=name)"),
            (f"{base}/readyz", "health of every dependency"),
        ]:
            self.stdout.write(f"  {url:<36} {what}")
