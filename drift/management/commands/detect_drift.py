"""Compute, store and print a drift report per track."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from drift import services
from predictions.schema import Track


class Command(BaseCommand):
    help = "Compare each track's champion training data with the predictions served since; store a report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--window", type=int, help="at most this many recent predictions (default DRIFT_WINDOW)")
        parser.add_argument("--track", choices=[t.value for t in Track])

    def handle(self, *args: Any, window: int | None, track: str | None, **options: Any) -> None:
        if window is not None and window < 2:
            raise CommandError("--window must be at least 2")
        tracks = [Track(track)] if track else list(Track)
        for t in tracks:
            report = services.drift_report_create(t, window=window, trigger="cli")
            drifted = ", ".join(report.drifted_features) or "none"
            line = (f"track {t.value}: {report.verdict.value} (reference {report.reference_rows} rows, current "
                    f"{report.current_rows} rows; drifted: {drifted}) report {report.id[:12]}")
            style = self.style.WARNING if report.verdict.value == "drift" else self.style.SUCCESS
            self.stdout.write(style(line))
