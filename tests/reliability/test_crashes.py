"""Processes killed (SIGKILL) at the worst moment: in the middle of an artifact write, and
between the steps of a champion switch. Each kill lands exactly where the process paused
itself (``kill_when_paused``), so the tests are deterministic.

What must hold afterwards: no half-written artifact is ever in use (the registry only
points at whole, hash-verified files), and each track has exactly one champion — the
champion history is the truth, and version statuses are repaired from it.
"""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from predictions.champions import champions
from registry import artifacts
from registry import repository as registry_repository
from registry import services as registry
from registry.entities import ModelVersion, Status
from tests.reliability.conftest import kill_when_paused, process_env

pytestmark = pytest.mark.slow

PIPELINE_SOURCE = "{'weights': list(range(200_000)), 'note': 'killed mid-write'}"
PIPELINE = eval(PIPELINE_SOURCE)  # noqa: S307 - the same literal the killed process saves

KILLED_MID_ARTIFACT = f"""
from registry import services

real_fdopen = os.fdopen


class HalfThenDie:
    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        os.fsync(self.handle.fileno())
        pause_here()


os.fdopen = lambda fd, *args, **kwargs: HalfThenDie(real_fdopen(fd, *args, **kwargs))
services.model_version_register(track="A", pipeline={PIPELINE_SOURCE}, metrics={{"mae": 1.0}},
                                holdout={{"rows": 1}}, window={{"rows": 1}}, params={{}}, by="killed-writer")
"""

KILLED_MID_PROMOTION = """
from registry import repository, services

point = "POINT"
calls = []
real_update = repository.update_version_status


def update(*args, **kwargs):
    calls.append(args)
    # The switch: insert the champion change, archive the old champion, crown the new one.
    if len(calls) == {"after-switch": 1, "between-statuses": 2}[point]:
        pause_here()
    return real_update(*args, **kwargs)


if point == "before-switch":
    repository.insert_champion_change = pause_here
else:
    repository.update_version_status = update
services.model_version_promote("A", 2, by="killed-admin", reason="approved")
"""


def register_copy(track: str, note: str) -> ModelVersion:
    """A new candidate: the champion's pipeline with a note (other bytes, other artifact), loadable."""
    champion = registry.champion_get(track)
    assert champion is not None
    pipeline = artifacts.load(champion.artifact)
    pipeline.studentml_note = note
    return registry.model_version_register(track=track, pipeline=pipeline, metrics=dict(champion.metrics),
                                           holdout=dict(champion.holdout), window=dict(champion.window),
                                           params=dict(champion.params), by="tests")


def statuses(track: str = "A") -> dict[int, Status]:
    """As stored, without the repair a listing makes."""
    return {v.version: v.status for v in registry_repository.find_versions(track)}


def test_a_process_killed_mid_artifact_write_leaves_no_artifact_in_use(trained_store, tmp_path):
    folder = tmp_path / "artifacts"
    data = artifacts._dumps(PIPELINE)
    digest = hashlib.sha256(data).hexdigest()
    registered = {v.id for v in registry_repository.find_versions()}

    kill_when_paused(KILLED_MID_ARTIFACT, process_env(tmp_path))

    partials = list(folder.glob(".*.partial"))
    assert [p.name.startswith(f".{digest}.") for p in partials] == [True]
    assert 0 < partials[0].stat().st_size < len(data)  # really half-written
    assert not (folder / f"{digest}.joblib").exists()  # never renamed into place
    assert {v.id for v in registry_repository.find_versions()} == registered  # the registry never points at it
    for version in registry_repository.find_versions():
        artifacts.load(version.artifact)  # every registered artifact is whole and verified
    assert champions.get("A").version.version == 1  # serving goes on

    # Saving the same model again works, and the dead writer's temporary file is gone.
    again = registry.model_version_register(track="A", pipeline=PIPELINE, metrics={"mae": 1.0}, holdout={"rows": 1},
                                            window={"rows": 1}, params={}, by="tests")
    assert again.artifact.sha256 == digest
    assert artifacts.load(again.artifact) == PIPELINE
    assert list(folder.glob(".*.partial")) == []


def test_old_temporary_files_of_other_artifacts_are_swept_and_fresh_ones_kept(settings, tmp_path):
    folder = tmp_path / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    old = folder / f".{'a' * 64}.x1.partial"
    fresh = folder / f".{'b' * 64}.x2.partial"  # may belong to a writer still at work
    for partial in (old, fresh):
        partial.write_bytes(b"half")
    stale = time.time() - artifacts.STALE_PARTIAL_S - 60
    os.utime(old, (stale, stale))

    artifacts.save({"any": "model"})

    assert not old.exists() and fresh.exists()


@pytest.mark.parametrize("point,raw,champion", [
    ("before-switch", {1: Status.CHAMPION, 2: Status.CANDIDATE}, 1),
    ("after-switch", {1: Status.CHAMPION, 2: Status.CANDIDATE}, 2),  # history: 2; statuses: still 1
    ("between-statuses", {1: Status.ARCHIVED, 2: Status.CANDIDATE}, 2),  # statuses: no champion at all
])
def test_a_promotion_killed_midway_leaves_exactly_one_champion(trained_store, tmp_path, point, raw, champion):
    register_copy("A", "challenger")

    kill_when_paused(KILLED_MID_PROMOTION.replace("POINT", point), process_env(tmp_path))

    assert statuses() == raw  # the state the crash left, as stored
    assert registry.champion_get("A").version == champion  # the champion history decides
    assert champions.get("A").version.version == champion  # and serving follows it
    assert [v.version for v in registry.model_versions_list("A", Status.CHAMPION)] == [champion]
    other = 2 if champion == 1 else 1
    assert statuses() == {champion: Status.CHAMPION, other: Status.CANDIDATE if other == 2 else Status.ARCHIVED}
    for track in ("B", "C"):
        assert [v.version for v in registry.model_versions_list(track, Status.CHAMPION)] == [1]


@pytest.mark.parametrize("decision", ["rollback", "promote-another"])
def test_after_a_promotion_killed_after_the_switch_the_next_decision_is_right(trained_store, tmp_path, decision):
    register_copy("A", "challenger")
    kill_when_paused(KILLED_MID_PROMOTION.replace("POINT", "after-switch"), process_env(tmp_path))
    assert statuses() == {1: Status.CHAMPION, 2: Status.CANDIDATE}  # nothing has repaired it yet

    if decision == "rollback":
        # Version 1 still reads "champion"; before the fix this was refused as "not archived".
        result = registry.model_version_rollback("A", by="admin", reason="undo the crashed promotion")
        expected = {1: Status.CHAMPION, 2: Status.ARCHIVED}
    else:
        third = register_copy("A", "third")
        result = registry.model_version_promote("A", third.version, by="admin")
        expected = {1: Status.ARCHIVED, 2: Status.ARCHIVED, 3: Status.CHAMPION}

    assert statuses() == expected  # exactly one champion, even as stored
    assert registry.champion_get("A").version == result.version
    assert [c.seq for c in registry.champion_history("A")] == [1, 2, 3]
