"""Serving-side access to each track's champion model.

A process loads a track's champion once and then checks, at most every
``CHECK_INTERVAL`` seconds, whether the champion changed (one small read of the champion
history). A new champion is loaded completely, its hash verified, and only then swapped
in; requests in the meantime keep using the old one. If the new artifact cannot be
loaded (missing, or its hash does not match: corrupted), the old model keeps serving, the
failure is logged once and ``problems()`` reports it (``/readyz``). A process that starts
after such a promotion has no old model in memory: it serves the latest earlier champion
of the history that loads, so every process serves the same version.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from registry import artifacts, services
from registry.entities import ModelVersion

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class LoadedModel:
    version: ModelVersion
    pipeline: Any


class ChampionCache:
    def __init__(self, check_interval: float = CHECK_INTERVAL) -> None:
        self.check_interval = check_interval
        self._models: dict[str, LoadedModel] = {}
        self._checked_at: dict[str, float] = {}
        self._failed: dict[str, tuple[int, str]] = {}  # track -> (version that failed to load, why)
        self._lock = threading.Lock()

    def get(self, track: str) -> LoadedModel | None:
        """The champion to serve ``track`` with (None: the track has no usable model)."""
        now = time.monotonic()
        if track not in self._models:
            self._refresh(track, now, wait=True)
        elif now - self._checked_at.get(track, -1e9) >= self.check_interval:
            # One thread checks; the others keep serving the model they have meanwhile.
            self._refresh(track, now, wait=False)
        return self._models.get(track)

    def problems(self) -> list[str]:
        """Champions this process could not load, and what it serves instead."""
        return [message for _version, message in sorted(self._failed.values(), key=lambda f: f[1])]

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
            self._checked_at.clear()
            self._failed.clear()

    def _refresh(self, track: str, now: float, *, wait: bool) -> None:
        if not self._lock.acquire(blocking=wait):
            return
        try:
            if track in self._models and now - self._checked_at.get(track, -1e9) < self.check_interval:
                return  # another thread refreshed it while we waited
            self._checked_at[track] = now
            self._load_if_changed(track)
        finally:
            self._lock.release()

    def _load_if_changed(self, track: str) -> None:
        change = services.champion_change_latest(track)
        current = self._models.get(track)
        if change is None or (current is not None and current.version.version == change.version):
            self._failed.pop(track, None)
            return
        failed = self._failed.get(track)
        if failed is not None and failed[0] == change.version:
            return
        try:
            self._models[track] = _load(track, change.version)
        except (artifacts.ArtifactError, services.RegistryError) as exc:
            if current is None:
                current = self._load_earlier(track, change.version)
            kept = f"version {current.version.version} keeps serving" if current else "no model is served"
            message = f"track {track}: champion version {change.version} not loaded ({exc}); {kept}"
            self._failed[track] = (change.version, message)
            logger.error("%s", message)
            return
        self._failed.pop(track, None)
        logger.info("track %s: now serving version %s", track, change.version)

    def _load_earlier(self, track: str, failed_version: int) -> LoadedModel | None:
        """The most recent earlier champion that loads (this process had none in memory)."""
        tried = {failed_version}
        for change in reversed(services.champion_history(track)):
            if change.version in tried:
                continue
            tried.add(change.version)
            try:
                self._models[track] = _load(track, change.version)
            except (artifacts.ArtifactError, services.RegistryError):
                continue
            return self._models[track]
        return None


def _load(track: str, version_number: int) -> LoadedModel:
    version = services.model_version_get(track, version_number)
    return LoadedModel(version=version, pipeline=artifacts.load(version.artifact))


champions = ChampionCache()


def _sample_student(track: str) -> dict[str, Any]:
    """Any valid student of ``track`` (each field's first allowed value)."""
    from predictions import schema

    return {name: (schema.BY_NAME[name].values[0] if schema.BY_NAME[name].kind is schema.Kind.CATEGORICAL
                   else schema.BY_NAME[name].min_value)
            for name in schema.track_inputs(track)}


def warm_up() -> list[str]:
    """Load every track's champion and predict once, before a process takes requests.

    A first load costs ~0.8 s (reading and verifying the artifact, scikit-learn's lazy
    set-up); paid by the first request of each worker, it put a second on the p99 of a
    load test whenever a worker had had no traffic before. Store outages are not fatal
    here: the process starts and requests get the usual 503 until the store returns.
    """
    ready = []
    for track in ("A", "B", "C"):
        try:
            model = champions.get(track)
        except Exception as exc:  # noqa: BLE001 - any failure: serve anyway, requests report it
            logger.warning("track %s: champion not loaded at start (%s)", track, exc)
            continue
        if model is not None:
            model.pipeline.predict([_sample_student(track)])
            ready.append(track)
    return ready
