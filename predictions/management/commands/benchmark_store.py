"""Benchmark: what each hot request costs as the prediction log grows, on the embedded store."""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import RequestFactory
from rest_framework.test import APIRequestFactory, force_authenticate

from drift.services import drift_report_create
from predictions import api, repository, schema, services, views
from predictions.champions import champions
from predictions.entities import BatchKind
from predictions.generator import generate_students
from retraining.training import model_versions_train
from studentml_site import mongo

TEACHER = "benchmark-teacher"
FILL_BATCH = 1_000


def _students(rows: int, seed: int) -> list[dict[str, Any]]:
    frame = generate_students(rows, seed=seed)[list(schema.INPUTS)].astype(object)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _labelled_csv(rows: int, seed: int) -> bytes:
    buffer = io.StringIO()
    generate_students(rows, seed=seed).to_csv(buffer, sep=";", index=False)
    return buffer.getvalue().encode()


class Command(BaseCommand):
    help = ("Fill a fresh embedded store's prediction log (through the services, 1,000-row batches, one "
            "teacher) to each --sizes figure and print the median time of each hot request there, then the "
            "ratio of the largest size to the smallest. Uses a temporary store and artifact folder.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000,100000",
                            help="log sizes to measure at, comma-separated, increasing")
        parser.add_argument("--repeat", type=int, default=5, help="calls per figure (median reported)")

    def handle(self, *args: Any, sizes: str, repeat: int, **options: Any) -> None:
        try:
            targets = [int(s.replace("_", "")) for s in sizes.split(",")]
        except ValueError as exc:
            raise CommandError(f"--sizes: {exc}") from exc
        if targets != sorted(targets) or targets[0] < FILL_BATCH:
            raise CommandError(f"--sizes must increase, each at least {FILL_BATCH:,}")
        original = (settings.MONGO_URI, settings.ARTIFACT_DIR, settings.PREDICTION_LOG_MODE)
        with tempfile.TemporaryDirectory(prefix="studentml-bench-store-") as tmp:
            settings.MONGO_URI, settings.ARTIFACT_DIR = f"montydb://{tmp}/store", Path(tmp, "artifacts")
            mongo.reset()
            champions.clear()
            try:
                self._run(targets, repeat)
            finally:
                settings.MONGO_URI, settings.ARTIFACT_DIR, settings.PREDICTION_LOG_MODE = original
                mongo.reset()
                champions.clear()

    def _run(self, targets: list[int], repeat: int) -> None:
        services.batch_import(_labelled_csv(649, seed=1), kind=BatchKind.LABELED, source="bench.csv",
                              created_by="benchmark")
        model_versions_train(by="benchmark")
        teacher = User(username=TEACHER)
        teacher._perm_cache = set()  # an unsaved teacher with no permissions: nothing is written to the user table
        pool = _students(FILL_BATCH, seed=2)
        host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")), "localhost")
        logged, fill_s = 0, 0.0
        results: dict[int, dict[str, float]] = {}
        measured_at: list[int] = []
        seed = 10
        for target in targets:
            started = time.perf_counter()
            while logged < target:
                services.prediction_create(pool, source="api-batch", user=TEACHER)
                logged += FILL_BATCH
            fill_s += time.perf_counter() - started
            self.stdout.write(f"{logged:,} logged ({fill_s:.1f}s filling so far)")
            measured_at.append(logged)
            timings: dict[str, Callable[[], Any]] = {}
            waiting = iter(repository.find_predictions(user=TEACHER, labeled=False, limit=repeat + 1))

            def one_label(waiting: Any = waiting) -> None:
                entry = next(waiting)
                services.prediction_label([{"prediction_id": entry.id, "G3": 12}], by=TEACHER, owner=TEACHER)

            def api_list() -> None:
                request = APIRequestFactory().get("/api/v1/predictions/", {"limit": 50}, HTTP_HOST=host)
                force_authenticate(request, user=teacher)
                response = api.PredictionListCreateApi.as_view()(request)
                assert response.status_code == 200, response.data

            def page() -> None:
                request = RequestFactory().get("/predictions/", HTTP_HOST=host)
                request.user = teacher
                request.session = SessionStore()
                request._messages = FallbackStorage(request)
                assert views.my_predictions(request).status_code == 200

            def batch() -> None:
                services.prediction_create(pool, source="api-batch", user=TEACHER)

            def labelled_import() -> None:
                nonlocal seed
                seed += 1
                services.batch_import(_labelled_csv(1_000, seed=seed), kind=BatchKind.LABELED,
                                      source=f"bench-{seed}.csv", created_by="benchmark")

            timings = {"one label": one_label, "teacher's list (API, 50)": api_list,
                       "My predictions page": page, "drift report, track A": lambda: drift_report_create("A"),
                       "1,000-row batch prediction": batch, "import of 1,000 labelled rows": labelled_import}
            results[target] = {}
            for name, call in timings.items():
                seconds = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    call()
                    seconds.append(time.perf_counter() - started)
                results[target][name] = statistics.median(seconds) * 1000
                self.stdout.write(f"  {name:<32} {results[target][name]:9.1f} ms")
            logged += FILL_BATCH * repeat  # the batch figure logged these
        # The yardstick: the largest log against the 10,000-entry one (or the smallest measured).
        base = next((i for i, t in enumerate(targets) if t >= 10_000), 0)
        first, last = targets[base], targets[-1]
        self.stdout.write(f"\nmedian of {repeat} calls, ms (fill {fill_s:.1f}s in {FILL_BATCH:,}-row batches)")
        self.stdout.write(f"{'request (log size)':<32}" + "".join(f"{t:>12,}" for t in measured_at) + f"{'ratio':>9}")
        for name in results[first]:
            cells = "".join(f"{results[t][name]:12.1f}" for t in targets)
            self.stdout.write(f"{name:<32}{cells}{results[last][name] / results[first][name]:9.2f}")
        self.stdout.write(self.style.SUCCESS(f"ratio: the {measured_at[-1]:,}-entry log against the "
                                             f"{measured_at[base]:,}-entry one"))
