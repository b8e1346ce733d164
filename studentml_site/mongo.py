"""The Mongo connection: one client per process, chosen by ``MONGO_URI``.

- ``mongodb://`` / ``mongodb+srv://``: pymongo, pool size and timeouts from settings;
- ``montydb://<path>``: the embedded on-disk store, with montydb's SQLite storage, which is
  what makes it safe for several processes on one machine;
- ``mongomock://``: in memory, one process (unit tests).

The client is created on first use and dropped in a forked child (pymongo is not fork-safe,
and gunicorn / Celery fork after import), so each process opens its own. Only repositories
call :func:`collection`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[tuple[str, int], ...]


_lock = threading.Lock()
_client: Any = None
_client_uri: str | None = None
_client_pid: int | None = None


def _drop_after_fork() -> None:
    global _client, _client_uri, _client_pid
    _client, _client_uri, _client_pid = None, None, None


os.register_at_fork(after_in_child=_drop_after_fork)


def montydb_path(uri: str) -> Path:
    """The directory of a ``montydb://`` URI; relative paths are taken from the project root."""
    path = Path(uri.removeprefix("montydb://"))
    return path if path.is_absolute() else Path(settings.BASE_DIR) / path


def _make_client(uri: str) -> Any:
    if uri.startswith("mongomock://"):
        import mongomock

        return mongomock.MongoClient()
    if uri.startswith("montydb://"):
        import montydb

        from studentml_site import montydb_compat

        montydb_compat.apply()
        path = montydb_path(uri)
        path.mkdir(parents=True, exist_ok=True)
        if not (path / "monty.storage.cfg").exists():
            # A bare MontyClient would pick the flat-file storage, which loses writes
            # when two processes share it.
            # BSON encoding (pymongo's C codec) is ~20x faster than montydb's JSON one.
            montydb.set_storage(str(path), storage="sqlite", use_bson=True)
        return montydb.MontyClient(str(path))
    import pymongo

    return pymongo.MongoClient(
        uri,
        maxPoolSize=settings.MONGO_POOL_SIZE,
        serverSelectionTimeoutMS=settings.MONGO_TIMEOUT_MS,
        connectTimeoutMS=settings.MONGO_TIMEOUT_MS,
        socketTimeoutMS=settings.MONGO_TIMEOUT_MS * 6,
        tz_aware=False,
    )


def client() -> Any:
    """This process's client for ``settings.MONGO_URI`` (re-created if the URI changed)."""
    global _client, _client_uri, _client_pid
    uri = settings.MONGO_URI
    if _client is not None and _client_uri == uri and _client_pid == os.getpid():
        return _client
    with _lock:
        if _client is None or _client_uri != uri or _client_pid != os.getpid():
            _client = _make_client(uri)
            _client_uri, _client_pid = uri, os.getpid()
        return _client


def database() -> Any:
    return client()[settings.MONGO_DB]


_indexed: set[tuple[int, str]] = set()


def collection(name: str, indexes: Sequence[IndexSpec] = ()) -> Any:
    """A collection of this process's database, its indexes created on first use.

    montydb accepts ``create_index`` and ignores it (it scans), so uniqueness that matters
    is always carried by ``_id``, never by a secondary unique index.
    """
    coll = database()[name]
    key = (id(_client), name)
    if indexes and key not in _indexed:
        for spec in indexes:
            coll.create_index(list(spec.keys), name=spec.name)
        _indexed.add(key)
    return coll


def reset() -> None:
    """Forget this process's client (tests switch backends; the next call reconnects)."""
    global _client, _client_uri, _client_pid
    with _lock:
        old = _client
        _client, _client_uri, _client_pid = None, None, None
        _indexed.clear()
    close = getattr(old, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # noqa: BLE001 - closing a dead client must not mask the caller's work
            pass


def ping() -> None:
    """Raise if the store does not answer (used by /readyz)."""
    db = database()
    if settings.MONGO_URI.startswith(("mongodb://", "mongodb+srv://")):
        db.command("ping")
    else:
        # The embedded and in-memory stores have no ping; a read proves the store opens.
        db["_health"].find_one({"_id": "ping"})


def duplicate_key_errors() -> tuple[type[Exception], ...]:
    """The DuplicateKeyError classes of every backend, for ``except`` clauses."""
    import pymongo.errors

    errors: list[type[Exception]] = [pymongo.errors.DuplicateKeyError]
    try:
        import montydb.errors

        errors.append(montydb.errors.DuplicateKeyError)
    except ImportError:  # pragma: no cover - montydb is a dependency
        pass
    try:
        import mongomock

        errors.append(mongomock.DuplicateKeyError)
    except (ImportError, AttributeError):  # pragma: no cover
        pass
    import sqlite3

    # montydb's insert_many surfaces SQLite's own primary-key violation.
    errors.append(sqlite3.IntegrityError)
    return tuple(dict.fromkeys(errors))
