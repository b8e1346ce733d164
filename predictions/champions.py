"""Serving-side access to each track's champion model.

A process loads a track's champion once and then checks, at most every
``CHECK_INTERVAL`` seconds, whether the champion changed (one small read of the champion
history). A new champion is loaded completely, its hash verified, and only then swapped
in; requests in the meantime keep using the old one. If the new artifact cannot be
loaded, the old model keeps serving and the failure is logged once.
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
        self._failed: dict[str, int] = {}  # track -> version that failed to load (logged once)
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
            return
        if self._failed.get(track) == change.version:
            return
        try:
            version = services.model_version_get(track, change.version)
            pipeline = artifacts.load(version.artifact)
        except (artifacts.ArtifactError, services.RegistryError) as exc:
            self._failed[track] = change.version
            kept = f"version {current.version.version} keeps serving" if current else "no model is served"
            logger.error("track %s: champion version %s not loaded (%s); %s", track, change.version, exc, kept)
            return
        self._models[track] = LoadedModel(version=version, pipeline=pipeline)
        self._failed.pop(track, None)
        logger.info("track %s: now serving version %s", track, version.version)


champions = ChampionCache()
