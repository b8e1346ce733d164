"""Writing the prediction log without slowing serving down.

``sync``: each request inserts its entries before it answers (simple; costs a store write
per request). ``buffered`` (the default): entries go to an in-process queue that a
background thread writes in batches every ``FLUSH_INTERVAL`` seconds, one ``insert_many``
for many requests. On a normal shutdown (atexit, gunicorn's worker exit) the queue is
flushed, so nothing is lost; a failed write is retried, logged as an error and reported
by ``/readyz`` until it succeeds — never dropped silently. While writes fail, ``write``
refuses new entries (:class:`LogUnavailable`, a 503), so no prediction is served that
cannot be logged and memory stays bounded; the ones already accepted are written when the
store returns. A killed process loses at most the last interval's entries: that is the
price of the speed, and why ``sync`` exists. A request that logs more than one entry (a
batch) is written before it answers whatever the mode (``durable``): an answered batch is in
the store, and only single predictions ride the buffer.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from predictions import repository
from predictions.entities import PredictionLog
from studentml_site.mongo import StoreUnavailable, unavailable_errors

logger = logging.getLogger(__name__)
# A durable write tries this often, pausing DURABLE_PAUSE, 2x, ... seconds in between.
DURABLE_TRIES = 3
DURABLE_PAUSE = 0.1

FLUSH_INTERVAL = 0.05
# Small writes: a 1,000-entry insert held the worker (GIL and the store's write lock) long
# enough to push the API's p99 to ~400 ms under load; 100 gave ~50-60 ms at the same load.
MAX_BATCH = 100
RETRY_AFTER = 1.0


class LogUnavailable(StoreUnavailable):
    """The prediction log cannot be written now; the request is refused (nothing is logged)."""


@dataclass(frozen=True)
class WriterStatus:
    mode: str
    pending: int
    written: int
    last_error: str | None
    failing_since: float | None


class PredictionLogWriter:
    def __init__(self) -> None:
        self._queue: deque[PredictionLog] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._written = 0
        self._last_error: str | None = None
        self._failing_since: float | None = None
        self._stopping = False

    # --- public -----------------------------------------------------------------------

    def write(self, entries: list[PredictionLog], *, durable: bool = False) -> None:
        """Log ``entries``; with ``durable`` or in sync mode they are stored on return (raises if refused)."""
        if not entries:
            return
        if durable or settings.PREDICTION_LOG_MODE == "sync":
            self._write_now(entries)
            return
        self._ensure_thread()
        with self._lock:
            if self._last_error is not None:
                raise LogUnavailable(f"the prediction log cannot be written ({self._last_error}); "
                                     f"{len(self._queue) + self._in_flight} earlier entries wait to be retried")
            self._queue.extend(entries)
        self._wake.set()

    def _write_now(self, entries: list[PredictionLog]) -> None:
        # A write whose reply was lost may have been applied: it is retried (insert_predictions
        # keeps an entry once), so a connection blip does not turn a stored batch into a 503.
        for attempt in range(DURABLE_TRIES):
            try:
                repository.insert_predictions(entries)
            except unavailable_errors():
                if attempt == DURABLE_TRIES - 1:
                    raise
                time.sleep(DURABLE_PAUSE * (attempt + 1))
            else:
                self._written += len(entries)
                return

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        if self._thread is None or self._pid != os.getpid():
            return not self._queue
        deadline = time.monotonic() + timeout
        self._wake.set()
        with self._idle:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, 0.05))
                self._wake.set()
        return True

    def status(self) -> WriterStatus:
        with self._lock:
            return WriterStatus(mode=settings.PREDICTION_LOG_MODE, pending=len(self._queue) + self._in_flight,
                                written=self._written, last_error=self._last_error,
                                failing_since=self._failing_since)

    def close(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            if not self.flush(timeout=30.0):
                logger.error("prediction log: %s entries could not be written before exit",
                             len(self._queue) + self._in_flight)
            self._stopping = True
            self._wake.set()

    # --- the background thread ---------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():  # forked: the parent's thread and queue are not ours
            self.__init__()  # type: ignore[misc]
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
                    self._thread.start()

    def _take(self) -> list[PredictionLog]:
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
            self._in_flight = len(batch)
            return batch

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            time.sleep(FLUSH_INTERVAL / 5)  # let a burst of requests join this write
            while True:
                batch = self._take()
                if not batch:
                    break
                try:
                    repository.insert_predictions(batch)
                except Exception as exc:  # noqa: BLE001 - any failure: keep the entries, retry, report
                    with self._lock:
                        self._queue.extendleft(reversed(batch))
                        self._in_flight = 0
                        if self._failing_since is None:
                            self._failing_since = time.time()
                        self._last_error = f"{type(exc).__name__}: {exc}"
                    logger.error("prediction log: writing %s entries failed (%s); retrying", len(batch), exc)
                    time.sleep(RETRY_AFTER)
                    break
                with self._idle:
                    self._written += len(batch)
                    self._in_flight = 0
                    self._last_error = None
                    self._failing_since = None
                    self._idle.notify_all()


writer = PredictionLogWriter()
atexit.register(writer.close)


def writer_status() -> dict[str, Any]:
    status = writer.status()
    return {"mode": status.mode, "pending": status.pending, "written": status.written,
            "last_error": status.last_error}
