"""Artifacts: content-addressed, written whole, verified on every load."""

from __future__ import annotations

from pathlib import Path

import mongomock.gridfs
import pytest

from registry import artifacts


def test_save_and_load_round_trip(settings):
    ref = artifacts.save({"weights": [1, 2, 3]})

    path = Path(settings.ARTIFACT_DIR) / f"{ref.sha256}.joblib"
    assert path.is_file() and path.stat().st_size == ref.size
    assert ref.uri == path.as_uri()
    assert artifacts.load(ref) == {"weights": [1, 2, 3]}
    assert not list(Path(settings.ARTIFACT_DIR).glob("*.partial"))


def test_same_content_is_stored_once(settings):
    first, second = artifacts.save([1, 2]), artifacts.save([1, 2])

    assert first == second
    assert len(list(Path(settings.ARTIFACT_DIR).glob("*.joblib"))) == 1


def test_a_flipped_byte_is_refused(settings):
    ref = artifacts.save({"weights": list(range(100))})
    path = Path(settings.ARTIFACT_DIR) / f"{ref.sha256}.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(artifacts.ArtifactError, match="corrupted.*refusing to load"):
        artifacts.load(ref)


def test_a_missing_file_is_a_clear_error(settings):
    ref = artifacts.save("x")
    (Path(settings.ARTIFACT_DIR) / f"{ref.sha256}.joblib").unlink()

    with pytest.raises(artifacts.ArtifactError, match="cannot be read"):
        artifacts.load(ref)


def test_a_damaged_file_is_repaired_by_saving_again(settings):
    ref = artifacts.save("model")
    path = Path(settings.ARTIFACT_DIR) / f"{ref.sha256}.joblib"
    path.write_bytes(b"garbage")

    again = artifacts.save("model")

    assert again == ref and artifacts.load(ref) == "model"


def test_gridfs_store(settings):
    mongomock.gridfs.enable_gridfs_integration()
    settings.ARTIFACT_STORE = "gridfs"

    ref = artifacts.save({"w": 1})
    artifacts.save({"w": 1})

    assert ref.uri == f"gridfs://{ref.sha256}"
    assert artifacts.load(ref) == {"w": 1}
    assert not Path(settings.ARTIFACT_DIR).exists()


def test_gridfs_on_a_real_mongodb(settings):
    import os

    uri = os.environ.get("TEST_MONGO_URI")
    if not uri:
        pytest.skip("TEST_MONGO_URI is not set: no real MongoDB to test GridFS against")
    from studentml_site import mongo

    settings.MONGO_URI, settings.MONGO_DB, settings.ARTIFACT_STORE = uri, f"studentml_test_{os.getpid()}", "gridfs"
    mongo.reset()
    try:
        ref = artifacts.save({"w": [1, 2, 3]})
        assert ref.uri.startswith("gridfs://") and artifacts.load(ref) == {"w": [1, 2, 3]}
    finally:
        mongo.client().drop_database(settings.MONGO_DB)
        mongo.reset()
