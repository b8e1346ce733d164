"""Write synthetic, schema-valid students to a CSV file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.generator import SHIFTS, generate_students, write_students_csv


class Command(BaseCommand):
    help = "Generate synthetic students (deterministic by seed), optionally with a drift shift preset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, required=True, help="number of students")
        parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same rows)")
        parser.add_argument("--shift", choices=sorted(SHIFTS), help="a drift preset: " + "; ".join(
            f"{name}: {shift.description}" for name, shift in SHIFTS.items()))
        parser.add_argument("--out", required=True, help="CSV file to write")
        parser.add_argument("--comma", action="store_true", help="plain comma-separated instead of the UCI format")
        parser.add_argument("--unlabeled", action="store_true", help="leave out the final grade G3")

    def handle(self, *args: Any, rows: int, seed: int, shift: str | None, out: str, comma: bool,
               unlabeled: bool, **options: Any) -> None:
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        target = Path(out)
        if not target.parent.exists():
            raise CommandError(f"{target.parent}: no such directory")
        started = time.perf_counter()
        frame = generate_students(rows, seed, shift)
        if unlabeled:
            frame = frame.drop(columns=["G3"])
        # Write next to the target and rename, so a reader never sees half a file.
        partial = target.with_name(f".{target.name}.partial")
        write_students_csv(frame, str(partial), uci_format=not comma)
        partial.replace(target)
        took = time.perf_counter() - started
        label = f" with shift {shift!r}" if shift else ""
        self.stdout.write(self.style.SUCCESS(f"wrote {rows:,} students{label} to {target} in {took:.1f}s"))
