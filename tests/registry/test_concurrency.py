"""Two real processes using one embedded store and one artifact folder at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from registry import repository, services
from registry.entities import Status
from studentml_site import mongo

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "studentml_site.settings"
django.setup()
from registry import services
name = sys.argv[1]
for i in range(8):
    v = services.model_version_register(track="A", pipeline={"by": name, "i": i}, metrics={"mae": 1.0},
                                        holdout={"rows": 1}, window={"rows": 1}, params={}, by=name)
    try:
        services.model_version_promote("A", v.version, by=name)
    except services.RegistryError:
        pass
print("done")
"""


def test_two_processes_get_distinct_numbers_and_one_champion(tmp_path, settings):
    store = f"montydb://{tmp_path / 'store'}"
    env = {**os.environ, "MONGO_URI": store, "VAR_DIR": str(tmp_path / "var"),
           "ARTIFACT_DIR": str(tmp_path / "artifacts"), "DEBUG": "true"}
    settings.MONGO_URI = store
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    mongo.reset()
    repository.latest_version_number("A")  # create the store before the race

    procs = [subprocess.Popen([sys.executable, "-c", WORKER, name], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("p1", "p2")]
    outputs = [p.communicate(timeout=300) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], outputs
    versions = services.model_versions_list("A")
    assert sorted(v.version for v in versions) == list(range(1, 17))
    assert sorted(v.created_by for v in versions) == ["p1"] * 8 + ["p2"] * 8
    assert len([v for v in versions if v.status is Status.CHAMPION]) == 1
    history = repository.find_champion_changes("A")
    assert [c.seq for c in history] == list(range(1, len(history) + 1))
    assert services.champion_get("A").version == history[-1].version
