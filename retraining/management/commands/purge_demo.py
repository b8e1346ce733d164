"""Remove all demo data (generated students, a simulated year) and what was made from it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from retraining.demo_purge import demo_data_purge


class Command(BaseCommand):
    help = ("Remove every generated batch and simulated prediction from this store, with the model versions, "
            "champion history, drift reports and retrain runs made from them. --dry-run lists them only.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be removed; change nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        summary = demo_data_purge(dry_run=dry_run, progress=lambda line: self.stdout.write(f"  {line}"))
        if summary.empty:
            self.stdout.write(self.style.SUCCESS("no demo data in this store: nothing to remove"))
            return
        if summary.tracks_without_champion:
            tracks = ", ".join(summary.tracks_without_champion)
            self.stdout.write(self.style.WARNING(
                f"track(s) {tracks} {'would be' if dry_run else 'are'} left without a champion: import real "
                "labelled data (import_students --uci por, or a CSV) and run `manage.py train` (or `make run`, "
                "which trains a track that has none); restart running servers so none keeps a removed model"))
        self.stdout.write(self.style.SUCCESS("dry run: nothing removed" if dry_run else "demo data removed"))
