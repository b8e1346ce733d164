"""Reject a candidate or pending version, with a reason."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import services
from registry.cli import operator, parse_version


class Command(BaseCommand):
    help = "Reject VERSION (e.g. A:7); the reason goes to the audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="A:7, A7, or 7 with --track")
        parser.add_argument("--track", choices=["A", "B", "C"])
        parser.add_argument("--reason", required=True)
        parser.add_argument("--by", help="who decides (default: cli:<user>)")

    def handle(self, *args: Any, version: str, track: str | None, reason: str, by: str | None, **options: Any) -> None:
        track, number = parse_version(version, track)
        try:
            v = services.model_version_reject(track, number, by=operator(by), reason=reason)
        except services.RegistryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{v.track}:{v.version} rejected: {v.reason}"))
