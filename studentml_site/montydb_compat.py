"""Fixes for montydb 2.5's SQLite storage, applied once before the first embedded client.

The embedded store is the default deployment (several gunicorn workers and Celery on one
machine), so these matter; each is covered by a two-process test.

1. ``write_many`` first reads every key of the collection and checks each new key with
   ``in`` against that *list* of row tuples: a bulk insert of k rows into n costs O(k*n)
   (5,000 rows into 100,000: 7 s), grows with the collection however small the insert,
   and never finds a duplicate anyway (tuples never equal keys). SQLite's primary key is
   what refuses a duplicate, rolling back the whole insert, so the read is skipped.
2. A collection is "created" when its file exists, but another process may have created
   the file and not yet the table ("no such table: documents"). Existence now also
   ensures the table (``CREATE TABLE IF NOT EXISTS``), once per process and file.
3. A query by ``_id`` reads every document of the collection and filters in Python
   (72 ms for one prediction among 2,000). A filter that pins ``_id`` to one value now
   reads that one row by its primary key; montydb's own filter still runs on it.
4. Creating a database folder races too (``os.makedirs`` without ``exist_ok``: two
   processes writing their first document at once, one dies with FileExistsError).
5. Every operation opens a connection, sets ``journal_mode`` and closes it again. Closing
   the last connection checkpoints the WAL into the database, with an fsync: about 10 ms
   for every single insert or read. And with no busy timeout beyond SQLite's default, a
   concurrent writer makes it fail with "database is locked". Connections are now kept
   open, one per process, thread and file, wait up to 30 s for a lock, and set their
   pragmas once (retried while another process holds the file).
6. A query for a range of string ``_id`` values sorted by ``_id`` with a limit (how a
   training window reads the newest rows of a batch) read and decoded the whole
   collection, then sorted and cut in Python: memory and time grew with the store, not
   with the window. Such a query now becomes one SQL range scan over an index on the
   encoded key's string bytes, with the order and limit done by SQLite.
7. ``update_one``, ``update_many``, ``replace_one``, ``delete_one`` and ``delete_many``
   hand storage a cursor *without* their filter, so even an update by ``_id`` decoded
   every document (one label on a 50,000-entry log: 1.25 s). They now pass the filter, so
   3., 6. and 8. apply to them as to ``find``.
8. ``{"_id": {"$in": [...]}}`` (how the log fetches a page of entries from its key
   documents) reads those rows by primary key, and skips montydb's own ``$in`` filter,
   which compares every document with every listed value (500 ids: 6 s).
9. ``count_documents`` on an ``_id`` range or set with no other condition counts rows in
   SQL (with ``limit``, stopping there) instead of decoding every match.

``decoded`` counts documents decoded by this process, so a test can prove a request path
reads a bounded number of them. Written for montydb 2.5.6: ``apply`` refuses another version,
as each patch replaces a private method of that release.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from typing import Any

BUSY_TIMEOUT_S = 30.0
MONTYDB_VERSION = "2.5.6"
_IN_CHUNK = 500  # SQLite's default limit on bound parameters is 999
decoded = 0  # documents decoded by this process's embedded store (see the module docstring)
_lock = threading.Lock()
_applied = False
_tables_ready: set[str] = set()
_local = threading.local()


def apply() -> None:
    global _applied
    with _lock:
        if _applied:
            return
        import montydb._version
        from montydb.storage import sqlite as monty_sqlite

        found = getattr(getattr(montydb, "_version", None), "__version__", None)
        if found != MONTYDB_VERSION:
            raise RuntimeError(f"studentml_site.montydb_compat patches montydb {MONTYDB_VERSION}'s internals; "
                               f"montydb {found} is installed: check each patch against it, then update "
                               "MONTYDB_VERSION")
        _patch_keys(monty_sqlite)
        _patch_collection_exists(monty_sqlite)
        _patch_connect(monty_sqlite)
        _patch_id_lookup(monty_sqlite)
        _patch_writes_by_filter()
        _patch_count()
        monty_sqlite.SQLiteStorage.database_create = lambda self, name: os.makedirs(self._db_path(name),
                                                                                    exist_ok=True)
        _applied = True


def _patch_keys(monty_sqlite: Any) -> None:
    # read_all_keys serves only write_many's duplicate check (see 1.).
    monty_sqlite.SQLiteKVEngine.read_all_keys = lambda self, db_file: frozenset()


def connection(db_file: str, pragmas: str = "PRAGMA journal_mode=WAL", **kwargs: Any) -> sqlite3.Connection:
    """This process and thread's open connection to ``db_file``."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.pid, _local.connections = os.getpid(), {}  # a forked child opens its own
    conn = _local.connections.get(db_file)
    if conn is None:
        conn = sqlite3.connect(db_file, timeout=BUSY_TIMEOUT_S, **kwargs)
        conn.text_factory = str
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                # NORMAL is the usual WAL setting: no fsync per commit, safe against crashes of
                # the process (a power cut may lose the last commits).
                conn.executescript(pragmas + ";PRAGMA synchronous=NORMAL")
                break
            except sqlite3.OperationalError as exc:
                # Switching to WAL needs a moment alone with the file; wait for it.
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    conn.close()
                    raise
                time.sleep(0.01)
        _local.connections[db_file] = conn
    return conn


def _ensure_table(db_file: str, table: str) -> None:
    with connection(db_file) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS [{table}](k text NOT NULL, v text NOT NULL, PRIMARY KEY(k))"
        )
        # A string _id is stored as b"\x02" + int32 length + UTF-8 + b"\x00": the length
        # comes first, so the key itself does not sort like the strings. Its bytes from the
        # sixth on do (UTF-8 keeps code point order), which is what 6. scans.
        conn.execute(f"CREATE INDEX IF NOT EXISTS id_text ON [{table}](substr(k, 6)) WHERE substr(k, 1, 1) = x'02'")


def _patch_collection_exists(monty_sqlite: Any) -> None:
    database = monty_sqlite.SQLiteDatabase
    table = monty_sqlite.SQLITE_RECORD_TABLE

    def collection_exists(self: Any, col_name: str) -> bool:
        path = self._col_path(col_name)
        if path in _tables_ready:
            return os.path.isfile(path)
        if not os.path.isfile(path):
            return False
        _ensure_table(path, table)
        _tables_ready.add(path)
        return True

    original_drop = database.collection_drop

    def collection_drop(self: Any, col_name: str) -> None:
        _tables_ready.discard(self._col_path(col_name))
        original_drop(self, col_name)

    engine = monty_sqlite.SQLiteKVEngine
    original_create = engine.create_table

    def create_table(self: Any, db_file: str) -> None:
        # Another process may create it between montydb's check and this call.
        _ensure_table(db_file, table)
        _tables_ready.add(db_file)

    database.collection_exists = collection_exists
    database.collection_drop = collection_drop
    engine.create_table = create_table
    del original_create


def _patch_connect(monty_sqlite: Any) -> None:
    engine = monty_sqlite.SQLiteKVEngine

    def _connect(self: Any, db_file: str, wconcern: Any = None) -> Any:
        conn = connection(db_file, self.db_pragmas, **dict(self._SQLiteKVEngine__conn_kwargs))
        if wconcern:
            document = dict(wconcern.document)
            timeout = document.pop("wtimeout", None)
            if timeout:
                document["busy_timeout"] = timeout
            if document:
                conn.executescript(self._assemble_pragmas(document))
        self._SQLiteKVEngine__conn = conn
        return contextlib.nullcontext(conn)  # kept open: see 5.

    engine._connect = _connect


def _pinned_id(spec: Any) -> Any:
    """The single ``_id`` value a filter pins, or None."""
    if not isinstance(spec, dict) or "_id" not in spec:
        return None
    value = spec["_id"]
    if isinstance(value, dict):
        value = value.get("$eq") if set(value) == {"$eq"} else None
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


_RANGE_OPS = {"$gte": ">=", "$gt": ">", "$lte": "<=", "$lt": "<"}


def _string_id_range(spec: Any, ordering: Any) -> list[tuple[str, str]] | None:
    """``[(sql operator, bound), ...]`` when a query is only a string range on ``_id``,
    sorted by ``_id`` or not at all; None for anything else (montydb reads everything)."""
    if not isinstance(spec, dict) or set(spec) != {"_id"} or not isinstance(spec["_id"], dict):
        return None
    bounds = spec["_id"]
    if not bounds or not set(bounds) <= set(_RANGE_OPS):
        return None
    if not all(isinstance(v, str) and "\x00" not in v for v in bounds.values()):
        return None
    if ordering is not None and list(dict(ordering).items()) not in ([("_id", 1)], [("_id", -1)]):
        return None
    return [(_RANGE_OPS[op], value) for op, value in bounds.items()]


def _string_id_set(spec: Any) -> list[str] | None:
    """The ``_id`` strings of a ``{"_id": {"$in": [...]}}`` query (nothing else), or None."""
    if not isinstance(spec, dict) or set(spec) != {"_id"} or not isinstance(spec["_id"], dict):
        return None
    if set(spec["_id"]) != {"$in"} or not isinstance(spec["_id"]["$in"], list | tuple):
        return None
    values = list(spec["_id"]["$in"])
    return values if all(isinstance(v, str) for v in values) else None


def _set_rows(path: str, table: str, values: list[str]) -> list[tuple[Any]]:
    from montydb.types import bson as monty_bson

    rows: list[tuple[Any]] = []
    keys = list(dict.fromkeys(monty_bson.id_encode(v) for v in values))
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start:start + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        rows += connection(path).execute(f"SELECT v FROM [{table}] WHERE k IN ({marks})", chunk).fetchall()
    return rows


def _range_where(conditions: list[tuple[str, str]]) -> tuple[str, list[bytes]]:
    where = ["substr(k, 1, 1) = x'02'"]
    params: list[bytes] = []
    for op, value in conditions:
        where.append(f"substr(k, 6) {op} ?")
        params.append(value.encode("utf-8") + b"\x00")
    return " AND ".join(where), params


def _range_rows(path: str, table: str, conditions: list[tuple[str, str]], ordering: Any,
                limit: int) -> list[tuple[Any]]:
    # Stored string bytes end with b"\x00", so a stored "abc" compares as b"abc\x00":
    # greater than the bound "abc", equal to the bound "abc" + NUL. Bounds get the same
    # ending, which makes the byte order the string order (NUL is the smallest byte).
    where, params = _range_where(conditions)
    sql = f"SELECT v FROM [{table}] INDEXED BY id_text WHERE {where}"
    if ordering is not None:
        sql += " ORDER BY substr(k, 6) " + ("DESC" if dict(ordering)["_id"] == -1 else "ASC")
        if limit:
            sql += f" LIMIT {int(limit)}"
    return connection(path).execute(sql, params).fetchall()


def _patch_id_lookup(monty_sqlite: Any) -> None:
    cursor_cls = monty_sqlite.SQLiteCursor
    original_init = cursor_cls.__init__
    original_query = cursor_cls.query
    table = monty_sqlite.SQLITE_RECORD_TABLE

    def __init__(self: Any, collection: Any, subject: Any) -> None:
        original_init(self, collection, subject)
        self._studentml_cursor = subject

    def query(self: Any, max_scan: Any) -> Any:
        cursor = self._studentml_cursor
        spec = getattr(cursor, "_spec", None)
        pinned = _pinned_id(spec)
        ordering = getattr(cursor, "_ordering", None)
        ranged = None if pinned is not None or max_scan else _string_id_range(spec, ordering)
        listed = getattr(cursor, "_studentml_listed", None)
        path = self._col_path
        if path not in _tables_ready and os.path.isfile(path):
            # Another process may have created the file but not yet its table (see 2.).
            _ensure_table(path, table)
            _tables_ready.add(path)
        if pinned is None and ranged is None and listed is None:
            return original_query(self, max_scan)
        from montydb.types import bson as monty_bson

        if not os.path.isfile(path):
            return iter(())
        if listed is not None:
            return (self._decode_doc(row[0]) for row in _set_rows(path, table, listed))
        if ranged is not None:
            limit = abs(cursor._limit or 0) + (cursor._skip or 0) if cursor._limit else 0
            rows = _range_rows(path, table, ranged, ordering, limit)
            return (self._decode_doc(row[0]) for row in rows)
        key = monty_bson.id_encode(pinned)
        rows = connection(path).execute(f"SELECT v FROM [{table}] WHERE k = ?", (key,)).fetchall()
        return (self._decode_doc(row[0]) for row in rows)

    cursor_cls.__init__ = __init__
    cursor_cls.query = query

    original_decode = cursor_cls._decode_doc

    def _decode_doc(self: Any, doc: Any) -> Any:
        global decoded
        decoded += 1
        return original_decode(self, doc)

    cursor_cls._decode_doc = _decode_doc

    from montydb.cursor import MontyCursor

    original_run = MontyCursor._MontyCursor__query

    def run_query(self: Any) -> None:
        listed = _string_id_set(self._spec)
        if listed is None or not isinstance(self._collection.database.client._storage,
                                            monty_sqlite.SQLiteStorage):
            return original_run(self)
        # The rows SQL returns are exactly the listed ids: no filter is left to apply (see 8.).
        spec, self._spec, self._studentml_listed = self._spec, {}, listed
        try:
            return original_run(self)
        finally:
            self._spec, self._studentml_listed = spec, None

    MontyCursor._MontyCursor__query = run_query


def _patch_writes_by_filter() -> None:
    from montydb import collection as monty_collection
    from montydb.cursor import MontyCursor
    from montydb.engine.queries import QueryFilter
    from montydb.results import DeleteResult

    coll = monty_collection.MontyCollection

    def _internal_scan_query(self: Any, query_spec: Any) -> Any:
        # montydb 2.5.6's own, but storage sees the filter (see 7.).
        queryfilter = QueryFilter(query_spec)
        documents = self._storage.query(MontyCursor(self, filter=query_spec), 0)
        first_matched = None
        for doc in documents:
            if queryfilter(doc):
                first_matched = queryfilter.fieldwalker
                break
        if first_matched:
            yield first_matched  # for try statement to test update or insert
            yield first_matched  # start update, yield again
            for doc in documents:
                if queryfilter(doc):
                    yield queryfilter.fieldwalker

    def delete_one(self: Any, filter: Any) -> Any:
        raw_result = {"n": 0}
        queryfilter = QueryFilter(filter)
        for doc in self._storage.query(MontyCursor(self, filter=filter), 0):
            if queryfilter(doc):
                self._storage.delete_one(self, doc["_id"])
                raw_result["n"] = 1
                break
        return DeleteResult(raw_result)

    def delete_many(self: Any, filter: Any) -> Any:
        raw_result = {"n": 0}
        queryfilter = QueryFilter(filter)
        doc_ids = set()
        for doc in self._storage.query(MontyCursor(self, filter=filter), 0):
            if queryfilter(doc):
                doc_ids.add(doc["_id"])
                raw_result["n"] += 1
        self._storage.delete_many(self, doc_ids)
        return DeleteResult(raw_result)

    coll._internal_scan_query = _internal_scan_query
    coll.delete_one = delete_one
    coll.delete_many = delete_many


def _patch_count() -> None:
    from montydb import collection as monty_collection
    from montydb.storage import sqlite as monty_sqlite

    coll = monty_collection.MontyCollection
    original_count = coll.count_documents
    table = monty_sqlite.SQLITE_RECORD_TABLE

    def count_documents(self: Any, filter: Any, **kwargs: Any) -> int:
        storage = self._storage
        if not isinstance(storage, monty_sqlite.SQLiteStorage) or set(kwargs) - {"limit"}:
            return original_count(self, filter, **kwargs)
        ranged = _string_id_range(filter, None)
        listed = None if ranged is not None else _string_id_set(filter)
        if ranged is None and listed is None:
            return original_count(self, filter, **kwargs)
        path = os.path.join(storage._db_path(self.database.name), self.name) + monty_sqlite.SQLITE_DB_EXT
        if not os.path.isfile(path):
            return 0
        if path not in _tables_ready:
            _ensure_table(path, table)
            _tables_ready.add(path)
        if listed is not None:
            return len(_set_rows(path, table, listed))
        where, params = _range_where(ranged)
        limit = int(kwargs.get("limit") or 0)
        inner = f"SELECT 1 FROM [{table}] INDEXED BY id_text WHERE {where}" + (f" LIMIT {limit}" if limit else "")
        return int(connection(path).execute(f"SELECT count(*) FROM ({inner})", params).fetchone()[0])

    coll.count_documents = count_documents


# --- direct reads for the repositories' key ranges (called through studentml_site.mongo) ----

keys_read = 0  # _id values read by id_range (see decoded)


def _sqlite_path(coll: Any) -> str | None:
    """The SQLite file of a montydb collection on the SQLite storage, or None."""
    from montydb.storage import sqlite as monty_sqlite

    storage = getattr(coll, "_storage", None)
    if not isinstance(storage, monty_sqlite.SQLiteStorage):
        return None
    path = os.path.join(storage._db_path(coll.database.name), coll.name) + monty_sqlite.SQLITE_DB_EXT
    if path not in _tables_ready and os.path.isfile(path):
        _ensure_table(path, monty_sqlite.SQLITE_RECORD_TABLE)
        _tables_ready.add(path)
    return path


def id_range(coll: Any, low: str, high: str, *, descending: bool, skip: int, limit: int) -> list[str] | None:
    """String ``_id`` values in ``[low, high)``, read from the key index alone; None if not montydb's SQLite."""
    global keys_read
    from montydb.storage import sqlite as monty_sqlite

    path = _sqlite_path(coll)
    if path is None:
        return None
    if not os.path.isfile(path):
        return []
    where, params = _range_where([(">=", low), ("<", high)])
    sql = (f"SELECT substr(k, 6) FROM [{monty_sqlite.SQLITE_RECORD_TABLE}] INDEXED BY id_text WHERE {where} "
           f"ORDER BY substr(k, 6) {'DESC' if descending else 'ASC'} LIMIT {int(limit) if limit else -1} "
           f"OFFSET {int(skip)}")
    rows = connection(path).execute(sql, params).fetchall()
    keys_read += len(rows)
    return [bytes(row[0])[:-1].decode("utf-8") for row in rows]


def docs_by_ids(coll: Any, ids: list[str]) -> list[dict[str, Any]] | None:
    """The documents with these string ``_id`` values (any order); None if not montydb's SQLite."""
    global decoded
    from montydb.storage import sqlite as monty_sqlite
    from montydb.types import bson as monty_bson

    path = _sqlite_path(coll)
    if path is None:
        return None
    if not os.path.isfile(path) or not ids:
        return []
    rows = _set_rows(path, monty_sqlite.SQLITE_RECORD_TABLE, ids)
    decoded += len(rows)
    return [monty_bson.document_decode(row[0], codec_options=coll.codec_options) for row in rows]
