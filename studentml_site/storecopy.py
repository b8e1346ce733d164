"""Copy a whole store (every collection and every model artifact) to another one, and verify it.

This is how a school moves from the embedded default to a MongoDB server or Atlas, and how
backups are made (copy to a ``montydb://`` folder) and restored (copy back).

- Every collection of the source database is copied, whatever its name (the database is
  listed, not a fixed list), document by document with the same ``_id``, a page at a time
  so memory stays bounded. Indexes are not copied: the repositories create them on first use.
- A document already in the destination and equal to the source's is skipped, so a second
  run changes nothing and a run cut short completes when run again.
- A destination holding documents that differ from the source (or that the source lacks) is
  refused before anything is written, unless ``overwrite``: then the destination is made
  equal to the source. Conflicting data is never merged.
- The artifacts referenced by ``model_versions`` are copied first (so no copied version ever
  points at a missing file), their sha256 checked on read and again after writing.
- At the end both sides are read again: per collection the document count and a content hash
  (the sum modulo 2**256 of each document's sha256 over its canonical form: it
  does not depend on the order a backend returns documents in), and every artifact's sha256.
  A document's canonical form is its JSON with keys sorted at every level (BSON types as
  ``{"$date": ms}``, ``{"$ObjectId": hex}``, ...).

Moving artifacts between a folder and GridFS rewrites ``artifact.uri`` in the copied model
versions (the one change a copy makes; verification expects it).

The embedded store is read through its SQLite tables directly (pages in primary-key order,
lookups by key): through montydb every query reads the whole collection.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import bson
from django.conf import settings

from studentml_site import mongo

PAGE_SIZE = 1000
GRIDFS = "gridfs"
EXAMPLES = 5  # differing _ids named per collection
_HASH_MODULUS = 2**256
_MONTY_EXT = ".collection"
_MONTY_TABLE = "documents"
_SQL_VARIABLES = 500  # ids per "IN (...)" lookup, under SQLite's parameter limit


class StoreCopyError(Exception):
    """The copy was refused or cannot run; nothing (more) was written."""


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def note(self, message: str) -> None: ...


class _Silent:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def note(self, message: str) -> None:
        pass


@dataclass(frozen=True)
class StoreAddress:
    uri: str
    db: str

    def __str__(self) -> str:
        return f"{_mask(self.uri)} (database {self.db})"


ArtifactLocation = Path | str  # a folder, or GRIDFS


@dataclass
class CollectionResult:
    name: str
    source_count: int = 0
    target_count: int = 0
    source_hash: str = ""
    target_hash: str = ""
    copied: int = 0
    skipped: int = 0
    replaced: int = 0
    deleted: int = 0
    missing: list[str] = field(default_factory=list)  # in the source, not in the copy (examples)
    extra: list[str] = field(default_factory=list)  # in the copy, not in the source
    changed: list[str] = field(default_factory=list)  # in both, different

    @property
    def ok(self) -> bool:
        return self.source_count == self.target_count and self.source_hash == self.target_hash


@dataclass
class ArtifactResult:
    sha256: str
    size: int
    versions: list[str]
    action: str = "verified"  # copied | present | in place | repaired | verified | failed
    ok: bool = False
    problem: str = ""


@dataclass
class CopyReport:
    source: StoreAddress
    target: StoreAddress
    artifacts_to: ArtifactLocation
    collections: list[CollectionResult]
    artifacts: list[ArtifactResult]
    verify_only: bool

    @property
    def differences(self) -> list[str]:
        """One line per collection or artifact that is not the same on both sides."""
        lines = []
        for c in self.collections:
            if c.ok:
                continue
            detail = [f"{c.source_count} documents in the source, {c.target_count} in the copy"]
            if c.source_count == c.target_count:
                detail.append("content hash differs")
            for label, ids in (("missing", c.missing), ("extra", c.extra), ("changed", c.changed)):
                if ids:
                    detail.append(f"{label}: {', '.join(ids)}")
            lines.append(f"collection {c.name}: " + "; ".join(detail))
        lines += [f"artifact {a.sha256[:12]} ({', '.join(a.versions)}): {a.problem}"
                  for a in self.artifacts if not a.ok]
        return lines

    @property
    def ok(self) -> bool:
        return not self.differences


# --- canonical form and hashes -------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _json_default(value: Any) -> Any:
    """The BSON types JSON lacks, as objects whose ``$`` keys no stored field can have."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$date": (moment - _EPOCH) // _MS}  # milliseconds, as BSON keeps them
    if isinstance(value, bytes):
        return {"$binary": base64.b64encode(value).decode(), "$subtype": getattr(value, "subtype", 0)}
    if isinstance(value, tuple):
        return list(value)
    return {"$" + type(value).__name__: str(value)}  # ObjectId, Decimal128, Regex, Timestamp, ...


_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_json_default, ensure_ascii=False)


def canonical(doc: dict[str, Any]) -> bytes:
    """A document as JSON with keys sorted at every level: equal content, equal bytes.

    Backends differ in where they put ``_id``; times count in milliseconds, as BSON keeps them.
    """
    return _encoder.encode(doc).encode("utf-8", "surrogatepass")


def _key(doc_id: Any) -> bytes:
    return bson.encode({"_id": doc_id})


def _show_id(doc_id: Any) -> str:
    return str(doc_id)


class _Hash:
    """Order-independent: the sum of each document's sha256, modulo 2**256."""

    def __init__(self) -> None:
        self.total = 0
        self.count = 0

    def add(self, data: bytes) -> None:
        self.total = (self.total + int.from_bytes(hashlib.sha256(data).digest(), "big")) % _HASH_MODULUS
        self.count += 1

    def hexdigest(self) -> str:
        return f"{self.total:064x}"


# --- the two kinds of store ----------------------------------------------------------------

def _mask(uri: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", uri)


def _identity(address: StoreAddress) -> tuple[Any, ...]:
    """What makes two addresses the same store."""
    uri = address.uri
    if uri.startswith("montydb://"):
        return ("montydb", os.path.realpath(mongo.montydb_path(uri)), address.db)
    if uri.startswith("mongomock://"):
        return ("mongomock", address.db)
    if uri.startswith("mongodb+srv://"):
        host = uri.removeprefix("mongodb+srv://").rsplit("@", 1)[-1].split("/")[0].split("?")[0]
        return ("mongodb+srv", host.lower(), address.db)
    from pymongo import uri_parser

    try:
        nodes = uri_parser.parse_uri(uri)["nodelist"]
    except Exception as exc:
        raise StoreCopyError(f"{_mask(uri)}: not a valid MongoDB URI ({exc})") from exc
    return ("mongodb", tuple(sorted((h.lower(), p) for h, p in nodes)), address.db)


class _Store:
    """A database reached through the pymongo API (a MongoDB server, or mongomock)."""

    def __init__(self, address: StoreAddress, client: Any, owned: bool) -> None:
        self.address = address
        self.client = client
        self.owned = owned
        self.db = client[address.db]

    def close(self) -> None:
        if self.owned:
            self.client.close()

    def collection_names(self) -> list[str]:
        return sorted(set(self.db.list_collection_names()))

    def count(self, name: str) -> int:
        return int(self.db[name].count_documents({}))

    def pages(self, name: str, size: int) -> Iterator[list[dict[str, Any]]]:
        page: list[dict[str, Any]] = []
        for doc in self.db[name].find({}).sort("_id", 1).batch_size(size):
            page.append(doc)
            if len(page) >= size:
                yield page
                page = []
        if page:
            yield page

    def get_many(self, name: str, ids: Sequence[Any]) -> dict[bytes, dict[str, Any]]:
        if not ids:
            return {}
        return {_key(d["_id"]): d for d in self.db[name].find({"_id": {"$in": list(ids)}})}

    def insert_many(self, name: str, docs: list[dict[str, Any]]) -> None:
        if not docs:
            return
        from pymongo.errors import BulkWriteError

        try:
            self.db[name].insert_many(docs, ordered=False)
        except (BulkWriteError, *mongo.duplicate_key_errors()):
            # Someone else wrote one of these _ids meanwhile: insert the others one by one; the
            # verification at the end compares whatever is there with the source.
            for doc in docs:
                if self.db[name].find_one({"_id": doc["_id"]}) is None:
                    self.db[name].insert_one(doc)

    def replace(self, name: str, doc: dict[str, Any]) -> None:
        self.db[name].replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def delete(self, name: str, doc_id: Any) -> None:
        self.db[name].delete_one({"_id": doc_id})

    def gridfs(self) -> Any:
        import gridfs

        from registry.artifacts import GRIDFS_BUCKET

        return gridfs.GridFS(self.db, collection=GRIDFS_BUCKET)


class _MontyStore(_Store):
    """The embedded store: reads go to its SQLite tables (one file per collection), writes
    through montydb."""

    def __init__(self, address: StoreAddress, client: Any, owned: bool) -> None:
        super().__init__(address, client, owned)
        self.folder = mongo.montydb_path(address.uri) / address.db
        self._codecs: dict[str, Any] = {}

    def _file(self, name: str) -> str:
        return str(self.folder / f"{name}{_MONTY_EXT}")

    def _rows(self, name: str, sql: str, params: Sequence[Any]) -> list[tuple[bytes, bytes]]:
        from studentml_site import montydb_compat

        path = self._file(name)
        if not os.path.isfile(path):
            return []
        montydb_compat._ensure_table(path, _MONTY_TABLE)  # a file another process just created
        return montydb_compat.connection(path).execute(sql, list(params)).fetchall()

    def _decode(self, name: str, value: bytes) -> dict[str, Any]:
        codec = self._codecs.get(name)
        if codec is None:
            codec = self._codecs[name] = self.db[name].codec_options
        return bson.decode(value, codec_options=codec)

    def collection_names(self) -> list[str]:
        # montydb's own listing also turns SQLite's -wal and -shm files into names.
        if not self.folder.is_dir():
            return []
        return sorted(p.name[: -len(_MONTY_EXT)] for p in self.folder.iterdir()
                      if p.name.endswith(_MONTY_EXT) and p.is_file())

    def count(self, name: str) -> int:
        rows = self._rows(name, f"SELECT count(*), 0 FROM [{_MONTY_TABLE}]", ())
        return int(rows[0][0]) if rows else 0

    def pages(self, name: str, size: int) -> Iterator[list[dict[str, Any]]]:
        last: bytes | None = None
        while True:
            if last is None:
                rows = self._rows(name, f"SELECT k, v FROM [{_MONTY_TABLE}] ORDER BY k LIMIT ?", (size,))
            else:
                rows = self._rows(name, f"SELECT k, v FROM [{_MONTY_TABLE}] WHERE k > ? ORDER BY k LIMIT ?",
                                  (last, size))
            if not rows:
                return
            yield [self._decode(name, v) for _, v in rows]
            last = rows[-1][0]

    def get_many(self, name: str, ids: Sequence[Any]) -> dict[bytes, dict[str, Any]]:
        from montydb.types import bson as monty_bson

        found: dict[bytes, dict[str, Any]] = {}
        ids = list(ids)
        for start in range(0, len(ids), _SQL_VARIABLES):
            keys = [monty_bson.id_encode(i) for i in ids[start:start + _SQL_VARIABLES]]
            marks = ",".join("?" * len(keys))
            for _, value in self._rows(name, f"SELECT k, v FROM [{_MONTY_TABLE}] WHERE k IN ({marks})", keys):
                doc = self._decode(name, value)
                found[_key(doc["_id"])] = doc
        return found

    def gridfs(self) -> Any:
        raise StoreCopyError("the embedded store has no GridFS: give --artifacts-to a folder")


def _open(address: StoreAddress, *, create: bool) -> _Store:
    uri = address.uri
    if not uri.startswith(("montydb://", "mongomock://", "mongodb://", "mongodb+srv://")):
        raise StoreCopyError(f"{_mask(uri)}: a store URI starts with montydb://, mongodb://, mongodb+srv:// "
                             "or mongomock://")
    if uri.startswith("montydb://") and not create:
        folder = mongo.montydb_path(uri) / address.db
        if not folder.is_dir():
            raise StoreCopyError(f"no embedded store at {folder}")
    # The configured store is this process's own client (for mongomock, the only way to
    # see the same data); any other gets a client of its own, closed at the end.
    same = uri == settings.MONGO_URI
    client = mongo.client() if same else mongo._make_client(uri)
    cls = _MontyStore if uri.startswith("montydb://") else _Store
    return cls(address, client, owned=not same)


def _skipped_collection(name: str) -> bool:
    from registry.artifacts import GRIDFS_BUCKET

    # GridFS buckets hold artifacts: those are copied (and checked) as artifacts.
    return name.startswith("system.") or name in (f"{GRIDFS_BUCKET}.files", f"{GRIDFS_BUCKET}.chunks")


def _collections(store: _Store) -> list[str]:
    return [n for n in store.collection_names() if not _skipped_collection(n)]


# --- artifacts -----------------------------------------------------------------------------

@dataclass
class _ArtifactPlan:
    sha256: str
    size: int
    uris: set[str] = field(default_factory=set)
    versions: list[str] = field(default_factory=list)


def _artifact_plans(source: _Store) -> list[_ArtifactPlan]:
    from registry.repository import VERSIONS

    plans: dict[str, _ArtifactPlan] = {}
    for page in source.pages(VERSIONS, PAGE_SIZE):
        for doc in page:
            ref = doc.get("artifact") or {}
            digest = ref.get("sha256")
            if not digest:
                continue
            plan = plans.setdefault(digest, _ArtifactPlan(sha256=digest, size=int(ref.get("size") or 0)))
            plan.uris.add(str(ref.get("uri") or ""))
            plan.versions.append(_show_id(doc["_id"]))
    return [plans[k] for k in sorted(plans)]


def _uri_rewriter(artifacts_to: ArtifactLocation) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """The copy's version of a source document: artifact locations follow the artifacts."""
    from registry.repository import VERSIONS

    def rewrite(name: str, doc: dict[str, Any]) -> dict[str, Any]:
        ref = doc.get("artifact") if name == VERSIONS else None
        if not isinstance(ref, dict) or not ref.get("sha256"):
            return doc
        uri = str(ref.get("uri") or "")
        digest = ref["sha256"]
        if artifacts_to == GRIDFS:
            new = f"gridfs://{digest}"
        elif uri.startswith("gridfs://"):
            new = (Path(artifacts_to) / f"{digest}.joblib").as_uri()
        else:
            new = uri  # file references are looked up by hash in ARTIFACT_DIR: the path is informational
        if new == uri:
            return doc
        return {**doc, "artifact": {**ref, "uri": new}}

    return rewrite


def _read_source_artifact(plan: _ArtifactPlan, source: _Store, artifacts_from: Path) -> bytes:
    errors = []
    if any(u.startswith("gridfs://") for u in plan.uris):
        import gridfs

        try:
            return source.gridfs().get_last_version(plan.sha256).read()
        except (gridfs.errors.NoFile, StoreCopyError) as exc:
            errors.append(f"not in the source's GridFS ({exc})")
    candidates = [Path(artifacts_from) / f"{plan.sha256}.joblib"]
    # The URI names the folder the file was first written to; the content hash is checked anyway.
    candidates += [Path(u.removeprefix("file://")) for u in sorted(plan.uris) if u.startswith("file://")]
    for path in candidates:
        if path.is_file():
            return path.read_bytes()
    if not errors or any(u.startswith("file://") for u in plan.uris):
        errors.append(f"no file {plan.sha256}.joblib in {artifacts_from}")
    raise StoreCopyError("; ".join(errors))


def _read_target_artifact(digest: str, target: _Store, artifacts_to: ArtifactLocation) -> bytes | None:
    if artifacts_to == GRIDFS:
        import gridfs

        try:
            return target.gridfs().get_last_version(digest).read()
        except gridfs.errors.NoFile:
            return None
    path = Path(artifacts_to) / f"{digest}.joblib"
    return path.read_bytes() if path.is_file() else None


def _write_target_artifact(digest: str, data: bytes, target: _Store, artifacts_to: ArtifactLocation) -> None:
    if artifacts_to == GRIDFS:
        target.gridfs().put(data, filename=digest)
        return
    from registry import artifacts

    artifacts.write_file(Path(artifacts_to), digest, data)


def _sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _in_place(plan: _ArtifactPlan, artifacts_from: Path, artifacts_to: ArtifactLocation) -> bool:
    return (artifacts_to != GRIDFS and not any(u.startswith("gridfs://") for u in plan.uris)
            and Path(artifacts_to).resolve() == Path(artifacts_from).resolve())


def _copy_artifacts(plans: list[_ArtifactPlan], source: _Store, target: _Store, artifacts_from: Path,
                    artifacts_to: ArtifactLocation, progress: Progress) -> list[ArtifactResult]:
    results = []
    progress.start("artifacts", len(plans))
    for plan in plans:
        result = ArtifactResult(sha256=plan.sha256, size=plan.size, versions=plan.versions)
        results.append(result)
        existing = _read_target_artifact(plan.sha256, target, artifacts_to)
        if _in_place(plan, artifacts_from, artifacts_to):
            result.action = "in place"
        elif _sha256(existing) == plan.sha256:
            result.action = "present"
        else:
            try:
                data = _read_source_artifact(plan, source, artifacts_from)
            except StoreCopyError as exc:
                result.action, result.problem = "failed", f"cannot be read from the source: {exc}"
                progress.advance(1)
                continue
            if _sha256(data) != plan.sha256:
                result.action = "failed"
                result.problem = f"the source's copy is corrupted (its sha256 is {_sha256(data)}); not copied"
                progress.advance(1)
                continue
            _write_target_artifact(plan.sha256, data, target, artifacts_to)
            result.action = "repaired" if existing is not None else "copied"
        progress.advance(1)
    return results


def _verify_artifacts(plans: list[_ArtifactPlan], target: _Store, artifacts_to: ArtifactLocation,
                      results: list[ArtifactResult] | None) -> list[ArtifactResult]:
    by_sha = {r.sha256: r for r in results or []}
    out = []
    for plan in plans:
        result = by_sha.get(plan.sha256) or ArtifactResult(sha256=plan.sha256, size=plan.size, versions=plan.versions)
        out.append(result)
        if result.action == "failed":
            continue
        data = _read_target_artifact(plan.sha256, target, artifacts_to)
        actual = _sha256(data)
        result.ok = actual == plan.sha256
        if data is None:
            result.problem = f"missing from {artifacts_to}"
        elif not result.ok:
            result.problem = f"corrupted in {artifacts_to}: its sha256 is {actual}"
    return out


# --- documents -----------------------------------------------------------------------------

Rewrite = Callable[[str, dict[str, Any]], dict[str, Any]]


def _expected(source: _Store, name: str, ids: Sequence[Any], rewrite: Rewrite) -> dict[bytes, dict[str, Any]]:
    return {k: rewrite(name, d) for k, d in source.get_many(name, ids).items()}


def _check_destination(source: _Store, target: _Store, names: Iterable[str], rewrite: Rewrite, *,
                       overwrite: bool, page_size: int, progress: Progress,
                       results: dict[str, CollectionResult]) -> None:
    """Refuse (or, with ``overwrite``, repair) destination documents that are not the source's."""
    conflicts = []
    for name in names:
        total = target.count(name)
        if not total:
            continue
        progress.start(f"checking {name} in the destination", total)
        result = results.setdefault(name, CollectionResult(name=name))
        extra = changed = 0
        for page in target.pages(name, page_size):
            expected = _expected(source, name, [d["_id"] for d in page], rewrite)
            for doc in page:
                want = expected.get(_key(doc["_id"]))
                if want is None:
                    extra += 1
                    if overwrite:
                        target.delete(name, doc["_id"])
                        result.deleted += 1
                    elif len(result.extra) < EXAMPLES:
                        result.extra.append(_show_id(doc["_id"]))
                elif canonical(want) != canonical(doc):
                    changed += 1
                    if overwrite:
                        target.replace(name, want)
                        result.replaced += 1
                    elif len(result.changed) < EXAMPLES:
                        result.changed.append(_show_id(doc["_id"]))
            progress.advance(len(page))
        if (extra or changed) and not overwrite:
            parts = []
            if changed:
                parts.append(f"{changed} differ from the source's (e.g. {', '.join(result.changed)})")
            if extra:
                parts.append(f"{extra} are not in the source (e.g. {', '.join(result.extra)})")
            conflicts.append(f"{name}: " + "; ".join(parts))
    if conflicts:
        raise StoreCopyError("the destination already holds data that is not the source's; nothing was "
                             "copied. Copy to an empty store, or pass --overwrite to make the destination "
                             "equal to the source (its differing documents are replaced, its extra ones "
                             "deleted):\n  " + "\n  ".join(conflicts))


def _copy_collection(source: _Store, target: _Store, name: str, rewrite: Rewrite, *, overwrite: bool,
                     page_size: int, progress: Progress, result: CollectionResult) -> None:
    progress.start(name, source.count(name))
    for page in source.pages(name, page_size):
        docs = [rewrite(name, d) for d in page]
        existing = target.get_many(name, [d["_id"] for d in docs])
        missing = []
        for doc in docs:
            have = existing.get(_key(doc["_id"]))
            if have is None:
                missing.append(doc)
            elif canonical(have) == canonical(doc):
                result.skipped += 1
            elif overwrite:
                target.replace(name, doc)
                result.replaced += 1
            else:
                # Written since the check (a writer is using the destination): stop, say so.
                raise StoreCopyError(f"{name}: document {_show_id(doc['_id'])} in the destination changed "
                                     "during the copy; stop whatever writes to it and run again")
        target.insert_many(name, missing)
        result.copied += len(missing)
        progress.advance(len(page))


def _fingerprint(store: _Store, name: str, page_size: int, rewrite: Rewrite | None,
                 progress: Progress) -> tuple[int, str]:
    digest = _Hash()
    for page in store.pages(name, page_size):
        for doc in page:
            digest.add(canonical(rewrite(name, doc) if rewrite else doc))
        progress.advance(len(page))
    return digest.count, digest.hexdigest()


def _diagnose(source: _Store, target: _Store, name: str, rewrite: Rewrite, page_size: int,
              result: CollectionResult) -> None:
    """Name a few documents that make the two sides differ."""
    result.missing, result.extra, result.changed = [], [], []
    for page in source.pages(name, page_size):
        have = target.get_many(name, [d["_id"] for d in page])
        for doc in page:
            copy = have.get(_key(doc["_id"]))
            if copy is None:
                if len(result.missing) < EXAMPLES:
                    result.missing.append(_show_id(doc["_id"]))
            elif canonical(copy) != canonical(rewrite(name, doc)) and len(result.changed) < EXAMPLES:
                result.changed.append(_show_id(doc["_id"]))
        if len(result.missing) >= EXAMPLES and len(result.changed) >= EXAMPLES:
            break
    for page in target.pages(name, page_size):
        have = source.get_many(name, [d["_id"] for d in page])
        result.extra += [_show_id(d["_id"]) for d in page if _key(d["_id"]) not in have][: EXAMPLES - len(result.extra)]
        if len(result.extra) >= EXAMPLES:
            break


def _verify_collections(source: _Store, target: _Store, names: list[str], rewrite: Rewrite, page_size: int,
                        progress: Progress, results: dict[str, CollectionResult]) -> list[CollectionResult]:
    out = []
    for name in names:
        result = results.setdefault(name, CollectionResult(name=name))
        progress.start(f"verifying {name}", source.count(name) + target.count(name))
        result.source_count, result.source_hash = _fingerprint(source, name, page_size, rewrite, progress)
        result.target_count, result.target_hash = _fingerprint(target, name, page_size, None, progress)
        if not result.ok:
            _diagnose(source, target, name, rewrite, page_size, result)
        else:
            result.missing, result.extra, result.changed = [], [], []
        out.append(result)
    return out


# --- the service ---------------------------------------------------------------------------

def _artifact_location(value: ArtifactLocation | None) -> ArtifactLocation:
    if value is None:
        return GRIDFS if settings.ARTIFACT_STORE == GRIDFS else Path(settings.ARTIFACT_DIR)
    if value == GRIDFS:
        return GRIDFS
    return Path(value).expanduser().resolve()


def store_copy(source: StoreAddress, target: StoreAddress, *, artifacts_from: Path | str | None = None,
               artifacts_to: ArtifactLocation | None = None, overwrite: bool = False, verify_only: bool = False,
               page_size: int = PAGE_SIZE, progress: Progress | None = None) -> CopyReport:
    """Copy every collection and referenced artifact of ``source`` to ``target``, then verify both.

    Defaults: artifacts are read from ``ARTIFACT_DIR`` (or the source's GridFS, per reference) and
    written to the configured artifact store. ``verify_only`` writes nothing.
    """
    say = progress or _Silent()
    if _identity(source) == _identity(target):
        raise StoreCopyError(f"the source and the destination are the same store: {target}")
    artifacts_in = Path(artifacts_from).expanduser().resolve() if artifacts_from else Path(settings.ARTIFACT_DIR)
    artifacts_out = _artifact_location(artifacts_to)
    src = _open(source, create=False)
    dst: _Store | None = None
    try:
        names = _collections(src)
        if not names:
            raise StoreCopyError(f"the source {source} holds no collections: nothing to copy")
        dst = _open(target, create=not verify_only)
        if artifacts_out == GRIDFS and isinstance(dst, _MontyStore):
            raise StoreCopyError("the embedded store has no GridFS: give --artifacts-to a folder")
        rewrite = _uri_rewriter(artifacts_out)
        plans = _artifact_plans(src)
        results: dict[str, CollectionResult] = {}
        artifact_results: list[ArtifactResult] | None = None
        all_names = sorted(set(names) | set(_collections(dst)))
        if not verify_only:
            _check_destination(src, dst, all_names, rewrite, overwrite=overwrite, page_size=page_size,
                               progress=say, results=results)
            # Artifacts first: a copied model version never points at a missing file.
            artifact_results = _copy_artifacts(plans, src, dst, artifacts_in, artifacts_out, say)
            for name in names:
                _copy_collection(src, dst, name, rewrite, overwrite=overwrite, page_size=page_size,
                                 progress=say, result=results.setdefault(name, CollectionResult(name=name)))
            all_names = sorted(set(names) | set(_collections(dst)))
        collections = _verify_collections(src, dst, all_names, rewrite, page_size, say, results)
        artifacts = _verify_artifacts(plans, dst, artifacts_out, artifact_results)
        if not verify_only and artifacts and all(a.action == "in place" for a in artifacts):
            say.note(f"artifacts were not copied: the source's and the destination's folder is the same "
                     f"({artifacts_out}); a backup needs --artifacts-to")
        return CopyReport(source=source, target=target, artifacts_to=artifacts_out, collections=collections,
                          artifacts=artifacts, verify_only=verify_only)
    finally:
        src.close()
        if dst is not None:
            dst.close()
