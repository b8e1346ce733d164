"""What is demo data, and whether the pages must say so.

Two kinds of made-up data exist. Generated students (``generated:<N>`` batches) are
`make run`'s last resort when neither the UCI files nor the download can be had; they are
demo data in a real store until ``purge_demo`` removes them. A simulated school year
(predictions with source ``simulation``, runs and reports triggered by it) belongs to the
demo store of `make demo` (``DEMO_STORE=true``); a store made by an earlier release may
still hold one, and it is demo data there too.

Every page asks :func:`banner`, so the answer is cached per process for a few seconds: a
few small reads, not one per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest

GENERATED_SOURCE_PREFIX = "generated:"
SIMULATION = "simulation"  # the source of simulated predictions and the trigger of their runs/reports
CACHE_SECONDS = 5.0

DEMO_STORE_BANNER = ("Demo: simulated data. This is `make demo`'s own store: a made-up school year, "
                     "nothing here is about real students.")
DEMO_DATA_BANNER = ("Demo data: the models were trained on generated students, not real ones "
                    "(no UCI data could be had). Remove them with `manage.py purge_demo` once real data is imported.")


@dataclass(frozen=True)
class DemoBatch:
    id: str
    created_at: datetime


def is_generated_source(source: str) -> bool:
    return source.startswith(GENERATED_SOURCE_PREFIX)


def demo_batches() -> list[DemoBatch]:
    """Labelled batches of generated students, oldest first."""
    from predictions import repository

    found = [DemoBatch(b.id, b.created_at) for b in repository.find_batches(limit=10_000)
             if is_generated_source(b.source)]
    return sorted(found, key=lambda b: b.created_at)


def window_has_demo_rows(window: dict, batches: Iterable[DemoBatch]) -> bool:
    """Whether a model version's training window (its ``start``..``end`` span) took in a demo batch."""
    start, end = window.get("start"), window.get("end")
    if not start or not end:
        return False
    return any(start <= b.created_at.isoformat() <= end for b in batches)


def demo_rows_in_training_window() -> bool:
    """Whether the next training window (the newest TRAINING_WINDOW labelled rows) holds generated rows,
    or the store holds a simulated year (an earlier release played one into the real store)."""
    from predictions import repository
    from retraining import repository as runs

    for batch in demo_batches():
        if repository.count_labeled_since(batch.created_at) < settings.TRAINING_WINDOW:
            return True
    return runs.has_runs_triggered_by(SIMULATION)


class _Cached:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: bool | None = None
        self._at = -1e9

    def get(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._value is None or now - self._at >= CACHE_SECONDS:
                self._value, self._at = demo_rows_in_training_window(), now
            return self._value

    def clear(self) -> None:
        with self._lock:
            self._value = None


demo_in_window = _Cached()


def banner() -> str | None:
    """The sentence every page shows above its content, or None for a store of real data only."""
    if settings.DEMO_STORE:
        return DEMO_STORE_BANNER
    try:
        return DEMO_DATA_BANNER if demo_in_window.get() else None
    except Exception:  # noqa: BLE001 - a store outage is the outage page's business, not the banner's
        return None


def context(request: HttpRequest) -> dict[str, str | None]:
    """Template context processor: ``demo_banner``."""
    return {"demo_banner": banner()}
