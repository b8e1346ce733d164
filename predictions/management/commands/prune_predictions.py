"""Remove unlabelled prediction-log entries older than LOG_RETENTION_DAYS (or --days)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.services.retention import prediction_log_prune


class Command(BaseCommand):
    help = ("Delete logged predictions without an actual grade that are older than LOG_RETENTION_DAYS "
            "(--days overrides it). Labelled ones stay: they are training data.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="keep this many days instead of LOG_RETENTION_DAYS")

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        if days is not None and days < 1:
            raise CommandError(f"--days must be at least 1 (got {days}); to keep everything, do not run this")
        removed = prediction_log_prune(days=days, progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"removed {removed:,} unlabelled prediction(s)"))
