"""Give a prediction log written by the previous release its keys (see predictions.repository)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from predictions import repository


class Command(BaseCommand):
    help = ("Write the key documents that list, count and drift reads use for every logged prediction. "
            "The first process to open an old store does this by itself; run it ahead of time on a large "
            "store so no request waits for it. Safe to run again.")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(seen: int) -> None:
            if seen % 10_000 == 0:
                self.stdout.write(f"  {seen:,} entries keyed")

        seen = repository.migrate_prediction_keys(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"prediction log: {seen:,} entries keyed"))
