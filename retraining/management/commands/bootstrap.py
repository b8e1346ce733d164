"""Set up a fresh machine for `make run` (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from retraining.bootstrap import ADMIN_USERNAME, first_run_setup


class Command(BaseCommand):
    help = "Migrate, collect static files, create the admin user and import data once. Safe to repeat."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", default="8000", help="the port the app will be served on (for the links)")

    def handle(self, *args: Any, port: str, **options: Any) -> None:
        result = first_run_setup(self.stdout.write)
        if result.data_source:
            self.stdout.write(f"imported students from {result.data_source}")
        if result.admin_password:
            self.stdout.write(self.style.WARNING(
                f"admin user '{ADMIN_USERNAME}' created with password: {result.admin_password}\n"
                "  (shown once; also saved to var/admin_password, readable only by you)"))
        elif result.admin_created:
            self.stdout.write(f"admin user '{ADMIN_USERNAME}' created with ADMIN_PASSWORD")
        base = f"http://127.0.0.1:{port}"
        self.stdout.write(self.style.SUCCESS(
            f"ready: {base}/ (teachers) · {base}/admin/ (admin) · {base}/api/docs/ (API) · {base}/readyz"))
