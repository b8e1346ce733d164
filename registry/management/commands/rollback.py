"""Re-instate the previous champion of a track (or a given archived version)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import services
from registry.cli import operator


class Command(BaseCommand):
    help = "Roll a track back to its previous champion (or --to VERSION); writes the audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--track", required=True, choices=["A", "B", "C"])
        parser.add_argument("--to", type=int, help="the archived version number to re-instate")
        parser.add_argument("--reason", default="rolled back by an operator")
        parser.add_argument("--by", help="who decides (default: cli:<user>)")

    def handle(self, *args: Any, track: str, to: int | None, reason: str, by: str | None, **options: Any) -> None:
        try:
            v = services.model_version_rollback(track, by=operator(by), reason=reason, to_version=to)
        except services.RegistryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{v.track}:{v.version} is champion of track {v.track} again"))
