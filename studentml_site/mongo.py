"""The Mongo connection: one client per process, chosen by ``MONGO_URI``.

- ``mongodb://`` / ``mongodb+srv://``: pymongo, pool size and timeouts from settings;
- ``montydb://<path>``: the embedded on-disk store, with montydb's SQLite storage, which is
  what makes it safe for several processes on one machine;
- ``mongomock://``: in memory, one process (unit tests).

The client is created on first use and dropped in a forked child (pymongo is not fork-safe,
and gunicorn / Celery fork after import), so each process opens its own. Only repositories
call :func:`collection`.

An unreachable store raises one of :func:`unavailable_errors` (a pymongo connection
failure, a locked or unopenable SQLite file, or :class:`StoreUnavailable`); entry points
answer those with 503. An embedded store whose folder disappears or is replaced while the
process runs (moved, deleted, re-created empty by another process) is unavailable: the
process neither re-creates it empty nor follows a new store in its place.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[tuple[str, int], ...]


class StoreUnavailable(Exception):
    """The store cannot be reached or opened; nothing was read or written."""


_lock = threading.Lock()
_client: Any = None
_client_uri: str | None = None
_client_pid: int | None = None
# The embedded store's config file (path, device, inode), written when the store is
# created: if it vanishes while the process runs, montydb would quietly start a new,
# empty store in its place.
_embedded_marker: tuple[Path, tuple[int, int]] | None = None


def _drop_after_fork() -> None:
    global _client, _client_uri, _client_pid, _embedded_marker
    _client, _client_uri, _client_pid, _embedded_marker = None, None, None, None


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

    defaults = {"maxPoolSize": settings.MONGO_POOL_SIZE, "serverSelectionTimeoutMS": settings.MONGO_TIMEOUT_MS,
                "connectTimeoutMS": settings.MONGO_TIMEOUT_MS, "socketTimeoutMS": settings.MONGO_TIMEOUT_MS * 6}
    # pymongo lets keyword arguments override the URI: an option the URI spells out wins here.
    given = _uri_option_names(uri)
    return pymongo.MongoClient(uri, tz_aware=False, **{k: v for k, v in defaults.items() if k.lower() not in given})


def _uri_option_names(uri: str) -> set[str]:
    """The options named in a mongodb:// URI's query string, lower-cased (as MongoDB reads them)."""
    from urllib.parse import parse_qsl

    query = uri.partition("?")[2]
    return {name.lower() for name, _ in parse_qsl(query, keep_blank_values=True)}


def client() -> Any:
    """This process's client for ``settings.MONGO_URI`` (re-created if the URI changed)."""
    global _client, _client_uri, _client_pid, _embedded_marker
    uri = settings.MONGO_URI
    if _client is not None and _client_uri == uri and _client_pid == os.getpid():
        return _client
    with _lock:
        if _client is None or _client_uri != uri or _client_pid != os.getpid():
            try:
                _client = _make_client(uri)
            except OSError as exc:  # the embedded store's folder cannot be created or opened
                raise StoreUnavailable(f"the embedded store {montydb_path(uri)} cannot be opened "
                                       f"({type(exc).__name__}: {exc})") from exc
            _client_uri, _client_pid = uri, os.getpid()
            _embedded_marker = _identify(montydb_path(uri) / "monty.storage.cfg") if uri.startswith("montydb://") \
                else None
        return _client


def _identify(marker: Path) -> tuple[Path, tuple[int, int]]:
    found = marker.stat()
    return marker, (found.st_dev, found.st_ino)


def database() -> Any:
    found = client()
    marker = _embedded_marker
    if marker is not None:
        path, identity = marker
        try:
            now = os.stat(path)
        except OSError:
            now = None
        if now is None or (now.st_dev, now.st_ino) != identity:
            raise StoreUnavailable(f"the embedded store {path.parent} is gone or was replaced (moved, deleted or "
                                   "re-created); put it back, or restart to use the store now in its place")
    return found[settings.MONGO_DB]


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
    global _client, _client_uri, _client_pid, _embedded_marker
    with _lock:
        old = _client
        _client, _client_uri, _client_pid, _embedded_marker = None, None, None, None
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


def unavailable_errors() -> tuple[type[Exception], ...]:
    """The exceptions that mean "the store is down" rather than "this request is wrong"."""
    import sqlite3

    import pymongo.errors

    # ConnectionFailure covers AutoReconnect, NetworkTimeout and ServerSelectionTimeoutError;
    # the embedded store raises SQLite's OperationalError (locked, cannot open the file).
    return (StoreUnavailable, pymongo.errors.ConnectionFailure, sqlite3.OperationalError)


def describe_error(exc: BaseException) -> str:
    """A one-line account of a store failure (pymongo's carries its whole topology)."""
    text = str(exc).split(", Topology Description:")[0]
    return f"{type(exc).__name__}: {text}"


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


def id_range(coll: Any, low: str, high: str, *, descending: bool = True, skip: int = 0, limit: int = 0) -> list[str]:
    """The string ``_id`` values of ``coll`` in ``[low, high)``, in ``_id`` order: a key-range read on
    every backend (the embedded store reads its key index alone, never a document)."""
    from studentml_site import montydb_compat

    found = montydb_compat.id_range(coll, low, high, descending=descending, skip=skip, limit=limit)
    if found is not None:
        return found
    cursor = coll.find({"_id": {"$gte": low, "$lt": high}}, {"_id": 1}).sort([("_id", -1 if descending else 1)])
    if skip:
        cursor = cursor.skip(skip)
    if limit:
        cursor = cursor.limit(limit)
    return [d["_id"] for d in cursor]


def find_by_ids(coll: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The documents with these ``_id`` values, by ``_id`` (missing ones left out)."""
    from studentml_site import montydb_compat

    docs = montydb_compat.docs_by_ids(coll, ids)
    if docs is None:
        docs = list(coll.find({"_id": {"$in": ids}})) if ids else []
    return {d["_id"]: d for d in docs}
