"""Benchmark: the predict service against plain ``pipeline.predict`` on a one-row DataFrame."""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from predictions import services
from predictions.champions import champions
from predictions.entities import BatchKind
from predictions.generator import generate_students
from predictions.schema import Track, track_inputs
from registry import artifacts
from registry import services as registry
from retraining.training import model_versions_train
from studentml_site import mongo


def _median_latency(call: Any, calls: int) -> float:
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


class Command(BaseCommand):
    help = ("Print the predict service's single-row latency and batch throughput beside plain "
            "pipeline.predict on a DataFrame (the baseline), with ratios. Uses a temporary store.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calls", type=int, default=2000, help="single-row calls per figure")
        parser.add_argument("--train-rows", type=int, default=2000)
        parser.add_argument("--track", choices=[t.value for t in Track], default="A")

    def handle(self, *args: Any, calls: int, train_rows: int, track: str, **options: Any) -> None:
        original = (settings.MONGO_URI, settings.ARTIFACT_DIR)
        with tempfile.TemporaryDirectory(prefix="studentml-bench-") as tmp:
            settings.MONGO_URI, settings.ARTIFACT_DIR = "mongomock://", tmp
            mongo.reset()
            champions.clear()
            try:
                self._run(calls, train_rows, Track(track))
            finally:
                settings.MONGO_URI, settings.ARTIFACT_DIR = original
                mongo.reset()
                champions.clear()

    def _run(self, calls: int, train_rows: int, track: Track) -> None:
        buffer = io.StringIO()
        generate_students(train_rows, seed=1).to_csv(buffer, sep=";", index=False)
        services.batch_import(buffer.getvalue().encode(), kind=BatchKind.LABELED, source="benchmark",
                              created_by="benchmark")
        model_versions_train(by="benchmark")
        pipeline = artifacts.load(registry.champion_get(track.value).artifact)
        inputs = list(track_inputs(track))
        students = generate_students(100_000, seed=2)[inputs]
        one = students.iloc[:1].astype(object).to_dict("records")
        one_frame = students.iloc[:1]

        self.stdout.write(f"track {track.value}, model {type(pipeline.named_steps['model'].estimator).__name__}")
        service = _median_latency(lambda: services.predict_students(one), calls)
        baseline = _median_latency(lambda: pipeline.predict(one_frame), calls)
        self.stdout.write(f"single row, median of {calls} calls: predict service {service * 1e3:.3f} ms, "
                          f"pipeline.predict(1-row DataFrame) {baseline * 1e3:.3f} ms, ratio {baseline / service:.1f}x")
        for rows in (10_000, 100_000):
            batch = students.iloc[:rows]
            records = batch.astype(object).to_dict("records")
            runs = 3
            service_times, baseline_times = [], []
            for _ in range(runs):
                started = time.perf_counter()
                results = services.predict_students(records)
                service_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                expected = pipeline.predict(batch)
                baseline_times.append(time.perf_counter() - started)
            assert np.array_equal([r.predicted_g3 for r in results], expected)
            s, b = statistics.median(service_times), statistics.median(baseline_times)
            self.stdout.write(f"batch of {rows:,} (median of {runs}): predict service {rows / s:,.0f} rows/s "
                              f"(validation included), pipeline.predict(DataFrame) {rows / b:,.0f} rows/s, "
                              f"ratio {s / b:.2f}x the baseline's time; predictions identical")

