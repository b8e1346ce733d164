"""The artifact store: fitted pipelines as joblib bytes named by their sha256.

Files (the default) live in ``ARTIFACT_DIR`` as ``<sha256>.joblib``, written to a
temporary file in the same folder and renamed into place under a file lock, so a reader
sees a whole file or none. A writer killed mid-write leaves only its ``.partial`` file,
which no reader ever opens; the next save of the same bytes (under the lock, so no live
writer owns it) or any save an hour later removes it. With ``ARTIFACT_STORE=gridfs`` (a
real MongoDB) they live in GridFS instead, so every machine loads the same bytes. Every
load checks the hash and refuses a mismatch.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings
from filelock import FileLock

from registry.entities import ArtifactRef

GRIDFS_BUCKET = "artifacts"
# A .partial file this old has no live writer (an artifact is written in well under a second).
STALE_PARTIAL_S = 3600


class ArtifactError(Exception):
    """An artifact is missing, unreadable or not what its hash says; it is not loaded."""


def _dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=3)
    return buffer.getvalue()


def _gridfs() -> Any:
    import gridfs

    from studentml_site import mongo

    return gridfs.GridFS(mongo.database(), collection=GRIDFS_BUCKET)


def save(obj: Any) -> ArtifactRef:
    """Store ``obj`` and return its reference (saving the same bytes twice stores them once)."""
    data = _dumps(obj)
    digest = hashlib.sha256(data).hexdigest()
    if settings.ARTIFACT_STORE == "gridfs":
        fs = _gridfs()
        if not fs.exists(filename=digest):
            fs.put(data, filename=digest)
        return ArtifactRef(uri=f"gridfs://{digest}", sha256=digest, size=len(data))
    path = write_file(Path(settings.ARTIFACT_DIR), digest, data)
    return ArtifactRef(uri=path.as_uri(), sha256=digest, size=len(data))


def write_file(folder: Path, digest: str, data: bytes) -> Path:
    """Write ``data`` as ``<folder>/<digest>.joblib``: the whole file or none, under its lock.

    A good copy already there is kept (a damaged one rewritten); a writer killed mid-write
    leaves only a ``.partial`` file, which the next write of the same bytes (or an hour) removes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.joblib"
    with FileLock(str(path) + ".lock", timeout=60):
        _remove_dead_partials(folder, digest)
        if not (path.exists() and _sha256_file(path) == digest):
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{digest}.", suffix=".partial")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    return path


def _remove_dead_partials(folder: Path, digest: str) -> None:
    """Delete temporary files left by killed writers: this digest's (we hold its lock) and old ones."""
    stale_before = time.time() - STALE_PARTIAL_S
    for partial in folder.glob(".*.partial"):
        try:
            if partial.name.startswith(f".{digest}.") or partial.stat().st_mtime < stale_before:
                partial.unlink()
        except FileNotFoundError:
            pass  # another process cleaned it meanwhile


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_bytes(ref: ArtifactRef) -> bytes:
    if ref.uri.startswith("gridfs://"):
        import gridfs

        try:
            return _gridfs().get_last_version(ref.sha256).read()
        except gridfs.errors.NoFile as exc:
            raise ArtifactError(f"artifact {ref.sha256[:12]} is not in GridFS") from exc
    # Files are looked up by hash in ARTIFACT_DIR, so a moved folder still works.
    path = Path(settings.ARTIFACT_DIR) / f"{ref.sha256}.joblib"
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"artifact {ref.sha256[:12]} cannot be read from {path}: {exc.strerror}") from exc


def load(ref: ArtifactRef) -> Any:
    """The stored object, after checking its sha256; ArtifactError otherwise."""
    data = read_bytes(ref)
    actual = hashlib.sha256(data).hexdigest()
    if actual != ref.sha256:
        raise ArtifactError(
            f"artifact {ref.sha256[:12]} is corrupted: its sha256 is {actual[:12]}…; refusing to load it"
        )
    try:
        return joblib.load(io.BytesIO(data))
    except Exception as exc:
        raise ArtifactError(f"artifact {ref.sha256[:12]} cannot be loaded: {exc}") from exc
