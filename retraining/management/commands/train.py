"""Train and register a version for every track."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from retraining.training import TrainingError, model_versions_train


class Command(BaseCommand):
    help = ("Train one model version per track (A: G1+G2, B: G1, C: no grades) on the most recent labelled "
            "rows; a track without a champion gets its first version as champion.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--window", type=int, help="most recent labelled rows to use (default TRAINING_WINDOW)")
        parser.add_argument("--by", default="cli", help="who trains (recorded with each version)")

    def handle(self, *args: Any, window: int | None, by: str, **options: Any) -> None:
        if window is not None and window < 1:
            raise CommandError("--window must be at least 1")
        with tqdm(total=4, desc="training", unit="step", file=self.stderr._out, leave=False, disable=None) as bar:
            def progress(message: str) -> None:
                bar.update(1)
                bar.write(message, file=self.stdout._out)

            try:
                versions = model_versions_train(window_size=window, by=by, progress=progress)
            except TrainingError as exc:
                raise CommandError(str(exc)) from exc
        for v in versions:
            self.stdout.write(self.style.SUCCESS(f"{v.track}: version {v.version} {v.status.value}"))
