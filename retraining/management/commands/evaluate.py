"""Repeated K-fold cross-validation of the shipped model against the paper's naive baseline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictions.csvfiles import CsvError, read_students_csv
from predictions.schema import Track
from predictions.validation import Target, validate_table
from retraining.evaluation import cross_validate


class Command(BaseCommand):
    help = ("Reproduce the protocol of Cortez & Silva (2008): R runs of K-fold cross-validation on a labelled "
            "CSV; print RMSE and MAE (mean ± std) per track for the shipped model and the naive baseline.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, help="labelled CSV (e.g. student-por.csv)")
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--folds", type=int, default=10)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--track", choices=[t.value for t in Track], help="one track only")
        parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (processes)")

    def handle(self, *args: Any, data: str, runs: int, folds: int, seed: int, track: str | None, jobs: int,
               **options: Any) -> None:
        if runs < 1 or folds < 2:
            raise CommandError("--runs must be at least 1 and --folds at least 2")
        path = Path(data)
        if not path.is_file():
            raise CommandError(f"{data}: no such file")
        try:
            table = read_students_csv(path.read_bytes(), max_rows=settings.IMPORT_MAX_ROWS)
        except CsvError as exc:
            raise CommandError(f"{data}: {exc}") from exc
        result = validate_table(table.frame, Target.REQUIRED)
        if not result.ok:
            first = (result.file_errors or result.errors)[0]
            raise CommandError(f"{data}: {len(result.errors) + len(result.file_errors)} problems, e.g. {first}")
        frame = result.frame
        self.stdout.write(f"{path.name}: {len(frame)} rows, {runs} x {folds}-fold cross-validation")
        self.stdout.write(f"{'track':<6}{'model RMSE':>16}{'naive RMSE':>16}{'model MAE':>16}{'naive MAE':>16}"
                          f"{'time':>8}")
        for t in [Track(track)] if track else list(Track):
            started = time.perf_counter()
            e = cross_validate(frame, t, runs=runs, folds=folds, seed=seed, jobs=jobs)
            self.stdout.write(
                f"{t.value:<6}{e.model.rmse_mean:>9.3f} ± {e.model.rmse_std:.3f}{e.naive.rmse_mean:>9.3f} ± "
                f"{e.naive.rmse_std:.3f}{e.model.mae_mean:>9.3f} ± {e.model.mae_std:.3f}{e.naive.mae_mean:>9.3f} ± "
                f"{e.naive.mae_std:.3f}{time.perf_counter() - started:>7.1f}s"
            )
