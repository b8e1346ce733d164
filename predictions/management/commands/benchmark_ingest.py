"""Benchmark: generator throughput and import throughput into the embedded store."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from predictions import repository, services
from predictions.entities import BatchKind
from predictions.generator import generate_students, write_students_csv
from studentml_site import mongo


class Command(BaseCommand):
    help = ("Print generator throughput and the import throughput of generated rows into a fresh "
            "embedded (montydb) store, as medians over several runs. Uses a temporary store.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000, help="rows per import run")
        parser.add_argument("--generator-rows", type=int, default=1_000_000, help="rows per generator run")
        parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported)")

    def handle(self, *args: Any, rows: int, generator_rows: int, runs: int, **options: Any) -> None:
        gen_times = []
        for run in range(runs):
            started = time.perf_counter()
            generate_students(generator_rows, seed=run)
            gen_times.append(time.perf_counter() - started)
        gen = statistics.median(gen_times)
        self.stdout.write(f"generator: {generator_rows:,} rows, median {gen:.2f}s over {runs} runs "
                          f"= {generator_rows / gen:,.0f} rows/s")

        original = settings.MONGO_URI
        import_times = []
        with tempfile.TemporaryDirectory(prefix="studentml-bench-") as tmp:
            for run in range(runs):
                path = Path(tmp, f"students-{run}.csv")
                write_students_csv(generate_students(rows, seed=100 + run), str(path))
                data = path.read_bytes()
                settings.MONGO_URI = f"montydb://{tmp}/store-{run}"
                mongo.reset()
                try:
                    started = time.perf_counter()
                    services.batch_import(data, kind=BatchKind.LABELED, source=path.name, created_by="benchmark")
                    import_times.append(time.perf_counter() - started)
                    assert repository.count_records(labeled=True) == rows
                finally:
                    settings.MONGO_URI = original
                    mongo.reset()
        imp = statistics.median(import_times)
        self.stdout.write(
            f"import into montydb (parse + validate + write): {rows:,} rows, median {imp:.2f}s over {runs} runs "
            f"= {rows / imp:,.0f} rows/s  (runs: {', '.join(f'{t:.2f}s' for t in import_times)})"
        )
