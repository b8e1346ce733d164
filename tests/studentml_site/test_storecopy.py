"""copy_store: a populated embedded store copied to another store serves the same predictions,
champions and drift history; copies are idempotent, resumable, verified, and refuse to merge."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import mongomock.gridfs
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from drift import repository as drift_repository
from drift.services import drift_reports_create
from predictions.champions import champions
from predictions.generator import generate_students
from predictions.schema import INPUTS
from predictions.services import prediction_create, prediction_label
from registry import services as registry
from retraining import repository as retraining_repository
from retraining.services import retrain_run
from retraining.training import model_versions_train
from studentml_site import mongo, storecopy
from studentml_site.storecopy import StoreAddress, StoreCopyError, store_copy
from tests.builders import import_labelled, labelled_students_csv, store_snapshot

PAGE = 37  # small pages: every collection takes several, and page edges get exercised


def probe_students() -> list[dict[str, Any]]:
    """Students on every track: 10 with G1 and G2, 10 with G1 only, 10 with neither."""
    cohort = generate_students(30, seed=123)[list(INPUTS)].astype(object).to_dict("records")
    for i, student in enumerate(cohort):
        if i >= 10:
            student.pop("G2")
        if i >= 20:
            student.pop("G1")
    return cohort


def populate() -> None:
    """What a school's store holds after some weeks: imports, models, predictions, labels,
    drift reports, a retrain that promoted a challenger."""
    import_labelled(labelled_students_csv(400, seed=1), "autumn.csv")
    model_versions_train(by="setup")
    cohort = generate_students(120, seed=5, shift="absences")
    students = cohort[[c for c in INPUTS if c not in ("G1", "G2")]].astype(object).to_dict("records")
    logged = prediction_create(students, source="tests", user="teacher")
    prediction_create(probe_students(), source="api", user="teacher")
    grades = zip(logged[:60], cohort["G3"][:60], strict=True)
    prediction_label([{"prediction_id": p.id, "G3": int(g3)} for p, g3 in grades], by="teacher")
    drift_reports_create(trigger="tests")
    harder = generate_students(500, seed=7)
    harder["G3"] = (harder["G3"] - 3).clip(lower=0)
    import_labelled(harder.to_csv(sep=";", index=False).encode(), "harder-exam.csv")
    retrain_run("A", window=800, policy="auto", by="ops")
    retrain_run("C", window=800, policy="approval", by="ops")
    drift_reports_create(trigger="tests")


@pytest.fixture(scope="module")
def populated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A populated embedded store and its artifact folder (built once; tests copy the folder)."""
    root = tmp_path_factory.mktemp("populated")
    with override_settings(MONGO_URI=f"montydb://{root / 'store'}", ARTIFACT_DIR=root / "artifacts",
                           PREDICTION_LOG_MODE="sync"):
        mongo.reset()
        champions.clear()
        populate()
        mongo.reset()
        champions.clear()
    return root


@pytest.fixture
def source(populated_store: Path, tmp_path: Path, settings) -> Path:
    """This test's own copy of the populated store folder (so tests may tamper with it)."""
    mongo.reset()
    root = tmp_path / "source"
    shutil.copytree(populated_store, root)
    settings.PREDICTION_LOG_MODE = "sync"
    return root


def monty(folder: Path) -> StoreAddress:
    return StoreAddress(uri=f"montydb://{folder}", db="studentml")


def use_store(settings, uri: str, artifact_dir: Path | None = None, artifact_store: str = "file") -> None:
    """Point the app at a store, as a restart with new MONGO_URI/ARTIFACT_DIR would."""
    settings.MONGO_URI = uri
    if artifact_dir is not None:
        settings.ARTIFACT_DIR = artifact_dir
    settings.ARTIFACT_STORE = artifact_store
    mongo.reset()
    champions.clear()


def what_users_see() -> dict[str, Any]:
    """Predictions for the probe students, champions and their history, drift history, runs."""
    served = prediction_create(probe_students(), source="tests")
    history = {t: registry.champion_history(t) for t in "ABC"}
    moments = sorted({c.at for changes in history.values() for c in changes})
    return {
        "predictions": [(p.track, p.model_version, p.predicted_g3, p.at_risk) for p in served],
        "champions": {t: registry.champion_get(t).version for t in "ABC"},
        "history": history,
        "champion_at": {(t, m): registry.champion_at(t, m) for t in "ABC"
                        for m in moments + [moments[-1] + timedelta(days=1)]},
        "versions": registry.model_versions_list(),
        "audit": registry.audit_log_list(limit=1000),
        "drift": drift_repository.find_reports(limit=1000),
        "runs": retraining_repository.find_runs(limit=1000),
    }


def test_a_copy_serves_the_same_predictions_champions_and_drift_history(source, tmp_path, settings):
    use_store(settings, f"montydb://{source / 'store'}", source / "artifacts")
    copy = tmp_path / "copy"

    report = store_copy(monty(source / "store"), monty(copy / "store"), artifacts_to=copy / "artifacts",
                        page_size=PAGE)

    assert report.ok, report.differences
    names = {c.name for c in report.collections}
    assert {"records", "batches", "predictions", "label_claims", "model_versions", "champions", "audit_log",
            "drift_reports", "retrain_runs"} <= names
    assert all(c.copied == c.source_count == c.target_count for c in report.collections)
    assert {a.action for a in report.artifacts} == {"copied"} and len(report.artifacts) >= 4
    before = what_users_see()  # on the source (after copying: the probe predictions log there only)
    assert before["champions"]["A"] == 2 and before["champions"]["C"] == 1  # A promoted, C waits
    assert len(before["drift"]) == 6

    use_store(settings, f"montydb://{copy / 'store'}", copy / "artifacts")
    shutil.rmtree(source)  # the copy needs nothing of the source
    after = what_users_see()

    assert after == before


def test_moving_to_a_mongodb_with_artifacts_in_gridfs(source, tmp_path, settings):
    """The move to a server: MONGO_URI and ARTIFACT_STORE=gridfs set, copy from the embedded folder."""
    mongomock.gridfs.enable_gridfs_integration()
    use_store(settings, f"montydb://{source / 'store'}", source / "artifacts")
    before = what_users_see()
    use_store(settings, "mongomock://", tmp_path / "unused", artifact_store="gridfs")
    out = io.StringIO()

    call_command("copy_store", "--from", f"montydb://{source / 'store'}", "--artifacts-from",
                 str(source / "artifacts"), stdout=out)

    assert "verified:" in out.getvalue()
    champions.clear()
    shutil.rmtree(source)
    assert registry.champion_get("A").artifact.uri.startswith("gridfs://")
    assert what_users_see() == _with_gridfs_uris(before)


def _with_gridfs_uris(seen: dict[str, Any]) -> dict[str, Any]:
    from dataclasses import replace

    seen = dict(seen)
    seen["versions"] = [replace(v, artifact=replace(v.artifact, uri=f"gridfs://{v.artifact.sha256}"))
                        for v in seen["versions"]]
    return seen


@pytest.mark.skipif(not os.environ.get("TEST_MONGO_URI"), reason="TEST_MONGO_URI is not set: no real MongoDB")
def test_a_copy_to_a_real_mongodb_and_back(source, tmp_path, settings):
    target = StoreAddress(uri=os.environ["TEST_MONGO_URI"], db=f"studentml_copy_{os.getpid()}")
    storecopy._open(target, create=True).client.drop_database(target.db)
    try:
        report = store_copy(monty(source / "store"), target, artifacts_to="gridfs", page_size=PAGE)
        assert report.ok, report.differences
        back = store_copy(target, monty(tmp_path / "back"), artifacts_to=tmp_path / "back-artifacts")
        assert back.ok, back.differences
    finally:
        storecopy._open(target, create=True).client.drop_database(target.db)


def test_running_the_copy_again_changes_nothing(source, tmp_path, settings):
    copy = tmp_path / "copy"
    store_copy(monty(source / "store"), monty(copy / "store"), artifacts_from=source / "artifacts",
               artifacts_to=copy / "artifacts", page_size=PAGE)
    use_store(settings, f"montydb://{copy / 'store'}")
    documents = store_snapshot()
    files = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (copy / "artifacts").iterdir()}

    again = store_copy(monty(source / "store"), monty(copy / "store"), artifacts_from=source / "artifacts",
                       artifacts_to=copy / "artifacts", page_size=PAGE)

    assert again.ok
    assert all(c.copied == 0 and c.skipped == c.source_count for c in again.collections)
    assert {a.action for a in again.artifacts} == {"present"}
    mongo.reset()
    assert store_snapshot() == documents
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (copy / "artifacts").iterdir()} == files


def test_an_interrupted_copy_completes_when_run_again(source, tmp_path, monkeypatch):
    copy = tmp_path / "copy"
    real_insert = storecopy._Store.insert_many
    calls = {"n": 0}

    def insert_then_die(self, name, docs):
        calls["n"] += 1
        if calls["n"] == 9:
            raise KeyboardInterrupt  # ^C (or a killed process) in the middle of the copy
        real_insert(self, name, docs)

    monkeypatch.setattr(storecopy._Store, "insert_many", insert_then_die)
    with pytest.raises(KeyboardInterrupt):
        store_copy(monty(source / "store"), monty(copy / "store"), artifacts_from=source / "artifacts",
                   artifacts_to=copy / "artifacts", page_size=PAGE)
    partial = store_copy(monty(source / "store"), monty(copy / "store"), artifacts_from=source / "artifacts",
                         artifacts_to=copy / "artifacts", verify_only=True)
    assert not partial.ok and any("in the copy" in line for line in partial.differences)
    monkeypatch.setattr(storecopy._Store, "insert_many", real_insert)

    report = store_copy(monty(source / "store"), monty(copy / "store"), artifacts_from=source / "artifacts",
                        artifacts_to=copy / "artifacts", page_size=PAGE)

    assert report.ok, report.differences
    assert sum(c.skipped for c in report.collections) > 0  # the first run's work was kept
    assert sum(c.copied for c in report.collections) > 0


@pytest.fixture
def copied(source: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    report = store_copy(monty(source / "store"), monty(copy / "store"), artifacts_from=source / "artifacts",
                        artifacts_to=copy / "artifacts", page_size=PAGE)
    assert report.ok
    return copy


def verify(source: Path, copy: Path) -> storecopy.CopyReport:
    return store_copy(monty(source / "store"), monty(copy / "store"), artifacts_from=source / "artifacts",
                      artifacts_to=copy / "artifacts", verify_only=True, page_size=PAGE)


def copy_db(settings, copy: Path) -> Any:
    use_store(settings, f"montydb://{copy / 'store'}")
    return mongo.database()


def test_verification_names_a_tampered_document(source, copied, settings):
    db = copy_db(settings, copied)
    victim = db["predictions"].find_one({"source": "api"})
    db["predictions"].update_one({"_id": victim["_id"]}, {"$set": {"predicted_G3": 20.0}})

    report = verify(source, copied)

    assert [c.name for c in report.collections if not c.ok] == ["predictions"]
    bad = next(c for c in report.collections if c.name == "predictions")
    assert bad.source_count == bad.target_count and bad.source_hash != bad.target_hash
    assert bad.changed == [victim["_id"]]
    assert report.differences == [f"collection predictions: {bad.source_count} documents in the source, "
                                  f"{bad.target_count} in the copy; content hash differs; changed: {victim['_id']}"]


def test_verification_names_missing_and_extra_documents(source, copied, settings):
    db = copy_db(settings, copied)
    gone = db["drift_reports"].find_one({})
    db["drift_reports"].delete_one({"_id": gone["_id"]})
    db["audit_log"].insert_one({"_id": "forged", "actor": "mallory"})

    report = verify(source, copied)

    bad = {c.name: c for c in report.collections if not c.ok}
    assert set(bad) == {"drift_reports", "audit_log"}
    assert bad["drift_reports"].missing == [str(gone["_id"])]
    assert bad["audit_log"].extra == ["forged"]


def test_verification_catches_a_tampered_artifact_and_the_command_fails(source, copied):
    victim = sorted((copied / "artifacts").glob("*.joblib"))[0]
    victim.write_bytes(victim.read_bytes() + b"x")
    out = io.StringIO()

    with pytest.raises(CommandError, match=rf"artifact {victim.stem[:12]} .*corrupted"):
        call_command("copy_store", "--from", f"montydb://{source / 'store'}", "--to",
                     f"montydb://{copied / 'store'}", "--artifacts-from", str(source / "artifacts"),
                     "--artifacts-to", str(copied / "artifacts"), "--verify-only", stdout=out)

    assert "BAD" in out.getvalue()
    # A copy run repairs it: content-addressed, so the right bytes are not in doubt.
    report = store_copy(monty(source / "store"), monty(copied / "store"), artifacts_from=source / "artifacts",
                        artifacts_to=copied / "artifacts")
    assert report.ok and [a.action for a in report.artifacts if a.sha256 == victim.stem] == ["repaired"]


def test_a_corrupted_source_artifact_is_not_copied(source, tmp_path):
    victim = sorted((source / "artifacts").glob("*.joblib"))[0]
    victim.write_bytes(b"not a model")

    report = store_copy(monty(source / "store"), monty(tmp_path / "copy"), artifacts_from=source / "artifacts",
                        artifacts_to=tmp_path / "copy-artifacts")

    assert not report.ok
    assert [line for line in report.differences if line.startswith("artifact")] == [
        next(line for line in report.differences if victim.stem[:12] in line)]
    assert "the source's copy is corrupted" in report.differences[-1]
    assert not (tmp_path / "copy-artifacts" / victim.name).exists()


def test_copying_a_store_onto_itself_is_refused(source):
    store = source / "store"
    with pytest.raises(StoreCopyError, match="same store"):
        store_copy(monty(store), StoreAddress(uri=f"montydb://{store}/../store/", db="studentml"))
    with pytest.raises(CommandError, match="same store"):
        call_command("copy_store", "--to", "mongomock://")  # the configured store (mongomock in tests)


def test_a_destination_with_other_data_is_refused_unless_overwrite(source, copied, settings):
    db = copy_db(settings, copied)
    changed = db["model_versions"].find_one({"_id": "A:1"})
    db["model_versions"].update_one({"_id": "A:1"}, {"$set": {"status": "rejected"}})
    db["drift_reports"].insert_one({"_id": "from-another-school", "track": "A"})
    mongo.reset()
    before = store_snapshot_of(copied)

    with pytest.raises(StoreCopyError, match=r"(?s)nothing was copied.*drift_reports: 1 are not in the source "
                                             r"\(e.g. from-another-school\).*model_versions: 1 differ from the "
                                             r"source's \(e.g. A:1\)"):
        store_copy(monty(source / "store"), monty(copied / "store"), artifacts_from=source / "artifacts",
                   artifacts_to=copied / "artifacts")
    assert store_snapshot_of(copied) == before

    report = store_copy(monty(source / "store"), monty(copied / "store"), artifacts_from=source / "artifacts",
                        artifacts_to=copied / "artifacts", overwrite=True)

    assert report.ok
    results = {c.name: c for c in report.collections}
    assert results["model_versions"].replaced == 1 and results["drift_reports"].deleted == 1
    db = copy_db(settings, copied)
    assert db["model_versions"].find_one({"_id": "A:1"}) == changed


def store_snapshot_of(folder: Path) -> dict[str, list[dict[str, Any]]]:
    with override_settings(MONGO_URI=f"montydb://{folder / 'store'}"):
        mongo.reset()
        snapshot = store_snapshot()
    mongo.reset()
    return snapshot


def test_the_command_needs_a_side_to_copy_to_or_from():
    with pytest.raises(CommandError, match="give --to URI"):
        call_command("copy_store")


def test_a_missing_source_is_refused_and_nothing_is_created(tmp_path):
    with pytest.raises(StoreCopyError, match="no embedded store"):
        store_copy(monty(tmp_path / "typo"), monty(tmp_path / "copy"))
    assert not (tmp_path / "copy").exists()


def test_gridfs_artifacts_need_a_mongodb_destination(source, tmp_path):
    with pytest.raises(StoreCopyError, match="no GridFS"):
        store_copy(monty(source / "store"), monty(tmp_path / "copy"), artifacts_to="gridfs")


def test_backup_and_restore_with_the_command(source, tmp_path, settings):
    """The README's commands: back up the live store to a folder; restore it over a damaged
    store, and onto a new machine."""
    live, live_artifacts = source / "store", source / "artifacts"
    use_store(settings, f"montydb://{live}", live_artifacts)
    backup = tmp_path / "backup-2026-06-01"
    before = what_users_see()
    documents = store_snapshot()
    out = io.StringIO()

    call_command("copy_store", "--to", f"montydb://{backup}/store", "--artifacts-to", str(backup / "artifacts"),
                 stdout=out)
    assert "verified:" in out.getvalue()

    # A bad day: a version's record damaged, a drift report lost, a model file gone.
    db = mongo.database()
    db["model_versions"].update_one({"_id": "A:2"}, {"$set": {"status": "archived"}})
    db["drift_reports"].delete_one({"_id": db["drift_reports"].find_one({})["_id"]})
    for artifact in live_artifacts.glob("*.joblib"):
        artifact.unlink()
    with pytest.raises(CommandError, match="nothing was copied"):
        call_command("copy_store", "--from", f"montydb://{backup}/store", "--artifacts-from",
                     str(backup / "artifacts"), stdout=out)
    call_command("copy_store", "--from", f"montydb://{backup}/store", "--artifacts-from", str(backup / "artifacts"),
                 "--overwrite", stdout=out)
    champions.clear()
    assert store_snapshot() == documents

    # A new machine: an empty store and artifact folder, then the same restore command.
    use_store(settings, f"montydb://{tmp_path / 'new-machine' / 'store'}", tmp_path / "new-machine" / "artifacts")
    call_command("copy_store", "--from", f"montydb://{backup}/store", "--artifacts-from", str(backup / "artifacts"),
                 stdout=out)
    shutil.rmtree(source)
    assert store_snapshot() == documents
    assert what_users_see() == before


def test_canonical_form_ignores_key_order_and_the_hash_ignores_document_order():
    assert storecopy.canonical({"b": 1, "a": {"y": [1, {"q": 1, "p": 2}], "x": 2}}) == storecopy.canonical(
        {"a": {"x": 2, "y": [1, {"p": 2, "q": 1}]}, "b": 1})
    one, two = storecopy._Hash(), storecopy._Hash()
    for h, docs in ((one, [b"a", b"b", b"c"]), (two, [b"c", b"a", b"b"])):
        for d in docs:
            h.add(d)
    assert one.hexdigest() == two.hexdigest()
    two.add(b"d")
    assert one.hexdigest() != two.hexdigest()


@pytest.fixture(autouse=True)
def _no_leftover_clients() -> Iterator[None]:
    yield
    mongo.reset()
