"""Two real processes importing into one embedded store at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from predictions import repository
from predictions.generator import generate_students, write_students_csv
from studentml_site import mongo

ROOT = Path(__file__).resolve().parents[2]


def _start_import(store: str, path: Path, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "MONGO_URI": store, "VAR_DIR": str(tmp_path / "var"), "DEBUG": "true"}
    return subprocess.Popen([sys.executable, "manage.py", "import_students", str(path), "--labeled"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _open(settings, store: str) -> None:
    settings.MONGO_URI = store
    mongo.reset()


def test_two_processes_importing_different_files_lose_nothing(tmp_path, settings):
    store = f"montydb://{tmp_path / 'store'}"
    files = []
    for seed in (1, 2):
        path = tmp_path / f"class-{seed}.csv"
        write_students_csv(generate_students(3000, seed=seed), str(path))
        files.append(path)
    _open(settings, store)
    repository.count_records()  # creates the store before the writers race for it

    procs = [_start_import(store, path, tmp_path) for path in files]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]

    assert [code for _, _, code in results] == [0, 0], results
    assert repository.count_records(labeled=True) == 6000
    assert sorted(b.rows_imported for b in repository.find_batches()) == [3000, 3000]


def test_two_processes_importing_the_same_file_import_it_once(tmp_path, settings):
    store = f"montydb://{tmp_path / 'store'}"
    path = tmp_path / "class.csv"
    write_students_csv(generate_students(3000, seed=7), str(path))
    _open(settings, store)
    repository.count_records()

    procs = [_start_import(store, path, tmp_path) for _ in range(2)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]

    codes = sorted(code for _, _, code in results)
    assert codes[0] == 0 and codes[1] != 0, results
    refused = next(err for _, err, code in results if code != 0)
    assert "nothing was imported" in refused
    assert repository.count_records(labeled=True) == 3000
    assert len(repository.find_batches()) == 1
