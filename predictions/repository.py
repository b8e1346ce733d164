"""Mongo access for ingested students and served predictions.

Collections: ``records`` (rows for training), ``batches`` (ingestion metadata),
``predictions`` (the prediction log) and ``label_claims`` (one per labelled prediction).

Documents stay inside this module; callers get :mod:`predictions.entities` dataclasses.
A record's ``_id`` is ``<batch id>:<row, 9 digits>``, so re-inserting a row is a duplicate-key
error on every backend (montydb enforces uniqueness only on ``_id``), and a batch's rows are
one ``_id`` range; a label's row is ``labels:<ms since epoch>:<place in its request>:<prediction id>``,
so the newest labels are one range too. The training window reads those ranges newest
first and stops when it has enough rows: it never reads the whole store.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import BulkWriteError

from predictions import schema
from predictions.entities import Batch, BatchKind, BatchStatus, LabelClaim, PredictionLog, RejectedRow, StudentRecord
from studentml_site import clock, mongo
from studentml_site.mongo import IndexSpec

RECORDS = "records"
BATCHES = "batches"
PREDICTIONS = "predictions"
LABEL_CLAIMS = "label_claims"
LABEL_RECORD_PREFIX = "labels:"

_RECORD_INDEXES = (
    IndexSpec("labeled_arrival", (("labeled", 1), ("ingested_at", -1), ("row", -1))),
    IndexSpec("batch", (("batch_id", 1),)),
)
_BATCH_INDEXES = (
    IndexSpec("sha256", (("sha256", 1),)),
    IndexSpec("status_created", (("status", 1), ("created_at", -1))),
)


_PREDICTION_INDEXES = (
    IndexSpec("created", (("created_at", -1),)),
    IndexSpec("track_version", (("track", 1), ("model_version", 1), ("created_at", -1))),
    IndexSpec("labeled", (("labeled", 1), ("created_at", -1))),
    IndexSpec("user_created", (("user", 1), ("created_at", -1))),
)


class DuplicateRecordError(Exception):
    """A record with this key is already stored."""


class DuplicateBatchError(Exception):
    """A batch with this id (the file's content hash) is already stored."""


class DuplicateLabelError(Exception):
    """This prediction already has a label claim."""


def _records() -> Any:
    return mongo.collection(RECORDS, _RECORD_INDEXES)


def _batches() -> Any:
    return mongo.collection(BATCHES, _BATCH_INDEXES)


# --- records -----------------------------------------------------------------------------

def _record_to_doc(record: StudentRecord) -> dict[str, Any]:
    return {
        "_id": record.id,
        "prediction_id": record.prediction_id,
        "batch_id": record.batch_id,
        "row": record.row,
        "labeled": record.labeled,
        "ingested_at": clock.to_store(record.ingested_at),
        "features": {name: record.features.get(name) for name in schema.INPUTS},
        "G3": record.g3,
    }


def _record_from_doc(doc: dict[str, Any]) -> StudentRecord:
    ingested_at = clock.from_store(doc["ingested_at"])
    assert ingested_at is not None
    return StudentRecord(
        batch_id=doc["batch_id"],
        row=doc["row"],
        features=dict(doc["features"]),
        g3=doc.get("G3"),
        ingested_at=ingested_at,
        key=doc["_id"] if doc.get("prediction_id") else None,
        prediction_id=doc.get("prediction_id"),
    )


def insert_records(records: Iterable[StudentRecord]) -> int:
    docs = [_record_to_doc(r) for r in records]
    if docs:
        _records().insert_many(docs, ordered=True)
    return len(docs)


def insert_record(record: StudentRecord) -> None:
    """Insert one record; DuplicateRecordError if its key exists."""
    try:
        _records().insert_one(_record_to_doc(record))
    except mongo.duplicate_key_errors() as exc:
        raise DuplicateRecordError(record.id) from exc


def get_record(record_id: str) -> StudentRecord | None:
    doc = _records().find_one({"_id": record_id})
    return _record_from_doc(doc) if doc else None


def delete_records_of_batch(batch_id: str) -> int:
    return _records().delete_many({"batch_id": batch_id}).deleted_count


def _pending_batch_ids() -> list[str]:
    return [d["_id"] for d in _batches().find({"status": BatchStatus.PENDING.value}, {"_id": 1})]


def _visible(query: dict[str, Any]) -> dict[str, Any]:
    # Filter by the (few) pending batches rather than $in over every complete one:
    # montydb evaluates $in by scanning the list for each document.
    pending = _pending_batch_ids()
    return {**query, "batch_id": {"$nin": pending}} if pending else query


def find_recent_records(limit: int, *, labeled: bool = True) -> list[StudentRecord]:
    """The most recent ``limit`` records of complete batches, oldest first (arrival order)."""
    query = _visible({"labeled": labeled})
    cursor = _records().find(query).sort([("ingested_at", -1), ("row", -1)]).limit(limit)
    docs = list(cursor)
    # A batch that started while we read is pending now: drop any of its rows we saw.
    late = set(_pending_batch_ids())
    return [_record_from_doc(d) for d in reversed(docs) if d["batch_id"] not in late]


def _id_prefix(prefix: str) -> dict[str, str]:
    return {"$gte": prefix, "$lte": prefix + "\uffff"}


def _label_time(at: datetime) -> str:
    return f"{LABEL_RECORD_PREFIX}{int(at.timestamp() * 1000):013d}:"


def label_record_id(at: datetime, row: int, prediction_id: str) -> str:
    """Arrival time, then the label's place in its request: the order the window reads."""
    return f"{_label_time(at)}{row:09d}:{prediction_id}"


def find_window(limit: int) -> list[StudentRecord]:
    """The most recent ``limit`` labelled records, oldest first, reading about ``limit`` rows.

    Complete labelled batches are taken newest first, each read from its newest row down,
    until ``limit`` rows are in hand (an older batch cannot hold a newer row); the newest
    ``limit`` labels of logged predictions are read the same way; the two are merged by
    arrival. Memory and time follow the window, not the store.
    """
    records: list[StudentRecord] = []
    complete = {"status": BatchStatus.COMPLETE.value, "kind": BatchKind.LABELED.value}
    for batch in _batches().find(complete, {"_id": 1, "created_at": 1}).sort([("created_at", -1)]):
        if len(records) >= limit:
            break
        records += _newest_in_range(f"{batch['_id']}:", limit - len(records))
    records += _newest_in_range(LABEL_RECORD_PREFIX, limit)
    records.sort(key=lambda r: (r.ingested_at, r.row), reverse=True)
    return records[:limit][::-1]


_PAGE = 5000


def _newest_in_range(prefix: str, limit: int) -> list[StudentRecord]:
    """Up to ``limit`` labelled records whose ``_id`` starts with ``prefix``, newest first.

    Read a page at a time, each page turned into records before the next is read, so raw
    documents never pile up beyond one page.
    """
    out: list[StudentRecord] = []
    bounds: dict[str, str] = _id_prefix(prefix)
    while len(out) < limit:
        asked = min(_PAGE, limit - len(out))
        page = list(_records().find({"_id": bounds}).sort([("_id", -1)]).limit(asked))
        out += [_record_from_doc(d) for d in page if d.get("G3") is not None]
        if len(page) < asked:
            break  # the range is exhausted
        bounds = {"$gte": prefix, "$lt": page[-1]["_id"]}
    return out


def find_records_of_batch(batch_id: str) -> list[StudentRecord]:
    docs = _records().find({"batch_id": batch_id}).sort([("row", 1)])
    return [_record_from_doc(d) for d in docs]


def count_labeled_since(moment: datetime | None) -> int:
    """Labelled rows that arrived after ``moment`` (all of them for None), from batch
    sizes and the label range: no scan of the records themselves."""
    query: dict[str, Any] = {"status": BatchStatus.COMPLETE.value, "kind": BatchKind.LABELED.value}
    if moment is not None:
        query["created_at"] = {"$gt": clock.to_store(moment)}
    total = sum(d.get("rows_imported", 0) for d in _batches().find(query, {"rows_imported": 1}))
    start = LABEL_RECORD_PREFIX if moment is None else _label_time(moment) + "\uffff"
    # An _id range only: a SQL count on the embedded store (montydb_compat 9.), an index count on MongoDB.
    return total + _records().count_documents({"_id": {"$gt": start, "$lte": LABEL_RECORD_PREFIX + "\uffff"}})


def count_records(*, labeled: bool | None = None) -> int:
    """Records of complete batches (optionally only labelled or unlabelled ones)."""
    query = _visible({} if labeled is None else {"labeled": labeled})
    return _records().count_documents(query)


def iter_all_records() -> Iterator[StudentRecord]:
    for doc in _records().find({}):
        yield _record_from_doc(doc)


def find_label_records_of(prediction_ids: set[str]) -> list[StudentRecord]:
    """The training rows made from labelling these predictions (one range read of the label rows)."""
    docs = _records().find({"_id": {"$gt": LABEL_RECORD_PREFIX, "$lte": LABEL_RECORD_PREFIX + "\uffff"}})
    return [_record_from_doc(d) for d in docs if d.get("prediction_id") in prediction_ids]


def delete_records(record_ids: list[str]) -> int:
    return sum(_records().delete_one({"_id": i}).deleted_count for i in record_ids)


# --- label claims ------------------------------------------------------------------------

def _claims() -> Any:
    return mongo.collection(LABEL_CLAIMS)


def insert_label_claim(claim: LabelClaim) -> None:
    """Claim the prediction's one label; DuplicateLabelError if it has one."""
    try:
        _claims().insert_one({"_id": claim.prediction_id, "G3": claim.g3, "record_id": claim.record_id,
                              "at": clock.to_store(claim.at), "by": claim.by})
    except mongo.duplicate_key_errors() as exc:
        raise DuplicateLabelError(claim.prediction_id) from exc


def delete_label_claim(claim: LabelClaim) -> None:
    """Withdraw a claim this request made (its other labels were refused); only that very claim."""
    _claims().delete_one({"_id": claim.prediction_id, "record_id": claim.record_id})


def get_label_claim(prediction_id: str) -> LabelClaim | None:
    doc = _claims().find_one({"_id": prediction_id})
    if doc is None:
        return None
    at = clock.from_store(doc["at"])
    assert at is not None
    return LabelClaim(prediction_id=doc["_id"], g3=doc["G3"], record_id=doc["record_id"], at=at, by=doc["by"])


def delete_label_claims(prediction_ids: list[str]) -> int:
    return sum(_claims().delete_one({"_id": i}).deleted_count for i in prediction_ids)


# --- batches -----------------------------------------------------------------------------

def _batch_to_doc(batch: Batch) -> dict[str, Any]:
    return {
        "_id": batch.id,
        "kind": batch.kind.value,
        "status": batch.status.value,
        "source": batch.source,
        "sha256": batch.sha256,
        "rows_total": batch.rows_total,
        "rows_imported": batch.rows_imported,
        "rows_rejected": batch.rows_rejected,
        "rejected": [{"row": r.row, "errors": list(r.errors)} for r in batch.rejected],
        "ignored_columns": list(batch.ignored_columns),
        "duplicate_rows": batch.duplicate_rows,
        "delimiter": batch.delimiter,
        "created_by": batch.created_by,
        "created_at": clock.to_store(batch.created_at),
        "completed_at": clock.to_store(batch.completed_at) if batch.completed_at else None,
        "extra": {k: clock.to_store(v) if isinstance(v, datetime) else v for k, v in batch.extra.items()},
    }


def _batch_from_doc(doc: dict[str, Any]) -> Batch:
    created_at = clock.from_store(doc["created_at"])
    assert created_at is not None
    return Batch(
        id=doc["_id"],
        kind=BatchKind(doc["kind"]),
        status=BatchStatus(doc["status"]),
        source=doc["source"],
        sha256=doc["sha256"],
        rows_total=doc["rows_total"],
        rows_imported=doc["rows_imported"],
        rows_rejected=doc.get("rows_rejected", 0),
        rejected=tuple(RejectedRow(r["row"], tuple(r["errors"])) for r in doc.get("rejected", [])),
        ignored_columns=tuple(doc.get("ignored_columns", [])),
        duplicate_rows=doc.get("duplicate_rows", 0),
        delimiter=doc.get("delimiter", ";"),
        created_by=doc["created_by"],
        created_at=created_at,
        completed_at=clock.from_store(doc.get("completed_at")),
        extra=dict(doc.get("extra") or {}),
    )


def insert_batch(batch: Batch) -> None:
    try:
        _batches().insert_one(_batch_to_doc(batch))
    except mongo.duplicate_key_errors() as exc:
        raise DuplicateBatchError(batch.id) from exc


def complete_batch(batch_id: str, completed_at: datetime) -> None:
    _batches().update_one(
        {"_id": batch_id},
        {"$set": {"status": BatchStatus.COMPLETE.value, "completed_at": clock.to_store(completed_at)}},
    )


def heartbeat_batch(batch_id: str, at: datetime) -> None:
    """Renew a pending batch's lease: its importer is alive at ``at``."""
    _batches().update_one({"_id": batch_id}, {"$set": {"extra.heartbeat_at": clock.to_store(at)}})


def delete_batch(batch_id: str) -> None:
    _batches().delete_one({"_id": batch_id})


def get_batch(batch_id: str) -> Batch | None:
    doc = _batches().find_one({"_id": batch_id})
    return _batch_from_doc(doc) if doc else None


def find_batches_by_sha256(sha256: str) -> list[Batch]:
    docs = _batches().find({"sha256": sha256}).sort([("created_at", 1)])
    return [_batch_from_doc(d) for d in docs]


def find_batches(*, status: BatchStatus | None = None, limit: int = 100) -> list[Batch]:
    query = {} if status is None else {"status": status.value}
    docs = _batches().find(query).sort([("created_at", -1)]).limit(limit)
    return [_batch_from_doc(d) for d in docs]


def find_stale_pending_batches(older_than: datetime) -> list[Batch]:
    docs = _batches().find({"status": BatchStatus.PENDING.value, "created_at": {"$lt": clock.to_store(older_than)}})
    return [_batch_from_doc(d) for d in docs]


# --- class upload results ----------------------------------------------------------------
#
# ``_id`` is ``<ms since epoch, 12 hex>|<user>|<request id>``: the session keeps only ids,
# and expired results are one ``_id`` range to delete.

UPLOAD_RESULTS = "upload_results"


def upload_result_key(at: datetime, user: str, request_id: str) -> str:
    return f"{_ms(at)}|{user}|{request_id}"


def insert_upload_result(key: str, doc: dict[str, Any]) -> None:
    mongo.collection(UPLOAD_RESULTS).insert_one({**doc, "_id": key})


def get_upload_result(key: str) -> dict[str, Any] | None:
    return mongo.collection(UPLOAD_RESULTS).find_one({"_id": key})


def delete_upload_result(key: str) -> None:
    mongo.collection(UPLOAD_RESULTS).delete_one({"_id": key})


def delete_upload_results_before(moment: datetime) -> int:
    """Forget every upload's results stored before ``moment``."""
    return mongo.collection(UPLOAD_RESULTS).delete_many({"_id": {"$gte": "", "$lt": _ms(moment)}}).deleted_count


# --- predictions (the log) ---------------------------------------------------------------
#
# Every hot read of the log is a key range, on every backend (montydb has no secondary
# indexes: a filter on any other field decodes every document). Each entry ``<id>`` has
# small key documents in ``prediction_keys`` whose ``_id`` is
# ``<kind>|<scope>|<ms since epoch, 12 hex digits>|<id>``:
#
#   N||…  / L||…           every unlabelled / labelled entry (the whole log is both, merged)
#   UN|<user>|… / UL|<user>|…   one owner's unlabelled / labelled entries
#   T|<track>|…            one track's entries (drift's window)
#
# so "newest first", since/until (a millisecond bound, the precision BSON keeps) and each
# owner's or track's slice are a range read sorted by ``_id``; the page of entries is then
# fetched by ``_id``. Labelling moves an entry's N keys to L. Keys are written before the
# entry (a key whose entry is missing is skipped), and each read re-checks the entry
# itself, so a crash between the two writes never shows a wrong row. The key's time part
# makes an entry's id free-form: entries logged by the previous release keep their ids and
# get keys from :func:`migrate_prediction_keys` (run on first use, or by
# ``manage.py migrate_prediction_log``).

PREDICTION_KEYS = "prediction_keys"
_LAYOUT_ID = "layout"
_LAYOUT_VERSION = 2
_KEY_PAGE = 500


def _predictions() -> Any:
    _ensure_layout()
    return mongo.collection(PREDICTIONS)


def _keys() -> Any:
    _ensure_layout()
    return _raw_keys()


def _raw_keys() -> Any:
    return mongo.collection(PREDICTION_KEYS)


def _prediction_to_doc(p: PredictionLog) -> dict[str, Any]:
    return {
        "_id": p.id, "created_at": clock.to_store(p.created_at), "source": p.source, "request_id": p.request_id,
        "user": p.user, "track": p.track, "model_version": p.model_version, "predicted_G3": p.predicted_g3,
        "at_risk": p.at_risk, "features": {name: p.features.get(name) for name in schema.INPUTS},
        "labeled": p.actual_g3 is not None, "actual_G3": p.actual_g3,
        "labeled_at": clock.to_store(p.labeled_at) if p.labeled_at else None, "labeled_by": p.labeled_by,
        "interval": {"low": p.interval_low, "high": p.interval_high, "level": p.interval_level}
        if p.interval_low is not None else None, "p_at_risk": p.p_at_risk,
    }


def _prediction_from_doc(doc: dict[str, Any]) -> PredictionLog:
    created_at = clock.from_store(doc["created_at"])
    assert created_at is not None
    return PredictionLog(
        id=doc["_id"], created_at=created_at, source=doc["source"], request_id=doc["request_id"],
        user=doc.get("user"), track=doc["track"], model_version=doc["model_version"],
        predicted_g3=doc["predicted_G3"], at_risk=doc["at_risk"], features=dict(doc["features"]),
        actual_g3=doc.get("actual_G3"), labeled_at=clock.from_store(doc.get("labeled_at")),
        labeled_by=doc.get("labeled_by"),
        **_interval_from_doc(doc),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> str:
    """Milliseconds since the epoch, rounded down as BSON stores a time, in 12 hex digits."""
    at = clock.from_store(moment)
    assert at is not None
    return f"{(at - _EPOCH) // timedelta(milliseconds=1):012x}"


def _key_prefix(kind: str, scope: str = "") -> str:
    return f"{kind}|{scope}|"


def _keys_of(doc: dict[str, Any]) -> list[str]:
    stamp = f"{_ms(doc['created_at'])}|{doc['_id']}"
    state = "L" if doc.get("labeled") else "N"
    keys = [_key_prefix(state) + stamp, _key_prefix("T", doc["track"]) + stamp]
    if doc.get("user") is not None:
        keys.append(_key_prefix("U" + state, doc["user"]) + stamp)
    return keys


def _insert_keys(keys: list[str]) -> None:
    if not keys:
        return
    coll = _raw_keys()
    try:
        coll.insert_many([{"_id": k} for k in keys], ordered=False)
    except (BulkWriteError, *mongo.duplicate_key_errors()):
        for key in keys:  # some were written by an earlier attempt
            try:
                coll.insert_one({"_id": key})
            except mongo.duplicate_key_errors():
                pass


def find_prediction_ids_by_source(source: str) -> list[str]:
    return [d["_id"] for d in _predictions().find({"source": source}, {"_id": 1})]


def _interval_from_doc(doc: dict[str, Any]) -> dict[str, Any]:
    interval = doc.get("interval") or {}  # absent from predictions logged before intervals existed
    return {"interval_low": interval.get("low"), "interval_high": interval.get("high"),
            "interval_level": interval.get("level"), "p_at_risk": doc.get("p_at_risk")}


def insert_predictions(entries: list[PredictionLog]) -> None:
    """Log ``entries``; any already stored (a retried write whose answer was lost) are kept once."""
    if not entries:
        return
    docs = [_prediction_to_doc(p) for p in entries]
    coll = _predictions()
    _insert_keys([k for d in docs for k in _keys_of(d)])
    try:
        coll.insert_many(docs, ordered=True)
    except (BulkWriteError, *mongo.duplicate_key_errors()):
        # Prediction ids are random 128-bit values, so a taken _id is this very entry, stored
        # by an earlier attempt that failed after the store had applied it (a lost reply).
        # Retrying the batch as a whole would fail forever; add only what is missing.
        for doc in docs:
            try:
                coll.insert_one(doc)
            except mongo.duplicate_key_errors():
                _drop_stale_keys(doc, coll.find_one({"_id": doc["_id"]}))


def _drop_stale_keys(attempt: dict[str, Any], stored: dict[str, Any] | None) -> None:
    # The stored entry keeps its keys. This attempt's keys were written first; where its time
    # differs from the stored one's (a retry that re-stamped the entry), they point at nothing.
    for key in set(_keys_of(attempt)) - set(_keys_of(stored) if stored else []):
        _keys().delete_one({"_id": key})


def get_prediction(prediction_id: str) -> PredictionLog | None:
    doc = _predictions().find_one({"_id": prediction_id})
    return _prediction_from_doc(doc) if doc else None


@dataclass(frozen=True)
class _Plan:
    prefixes: tuple[str, ...]
    low: str  # key suffix bounds (the time part), inclusive low, exclusive high
    high: str
    residual: dict[str, Any]  # conditions the keys do not decide, checked on each entry

    def ranges(self) -> list[dict[str, str]]:
        return [{"$gte": p + self.low, "$lt": p + self.high} for p in self.prefixes]


def _plan(*, since: datetime | None = None, until: datetime | None = None, track: str | None = None,
          model_version: int | None = None, labeled: bool | None = None, source: str | None = None,
          user: str | None = None) -> _Plan:
    states = ("L", "N") if labeled is None else (("L",) if labeled else ("N",))
    residual: dict[str, Any] = {}
    if user is not None:
        prefixes = tuple(_key_prefix("U" + s, user) for s in states)
        if track:
            residual["track"] = track
    elif track:
        prefixes = (_key_prefix("T", track),)
        if labeled is not None:
            residual["labeled"] = labeled
    else:
        prefixes = tuple(_key_prefix(s) for s in states)
    if model_version is not None:
        residual["model_version"] = model_version
    if source:
        residual["source"] = source
    low = _ms(since) if since else ""
    high = _ms(until) if until else "\uffff"
    return _Plan(prefixes, low, high, residual)


def _entry_matches(doc: dict[str, Any], plan: _Plan, labeled: bool | None, user: str | None) -> bool:
    if labeled is not None and bool(doc.get("labeled")) != labeled:
        return False  # a key left behind by a crash mid-label
    if user is not None and doc.get("user") != user:
        return False
    return all(doc.get(name) == value for name, value in plan.residual.items())


def _newest_keys(bounds: dict[str, str], skip: int = 0, first_page: int = _KEY_PAGE) -> Iterator[str]:
    """Key ids in ``bounds``, newest first, a page at a time (the first one ``first_page`` long)."""
    low, high = bounds["$gte"], bounds["$lt"]
    size = max(1, first_page)
    while True:
        page = mongo.id_range(_keys(), low, high, skip=skip, limit=size)
        skip = 0
        yield from page
        if len(page) < size:
            return
        high, size = page[-1], _KEY_PAGE


def _entry_id(key: str) -> str:
    return key.split("|", 3)[3]


def _key_time(key: str) -> str:
    return key.split("|", 3)[2] + "|" + key.split("|", 3)[3]


def _merged_keys(plan: _Plan, skip: int, want: int) -> Iterator[str]:
    ranges = plan.ranges()
    if len(ranges) == 1:
        return _newest_keys(ranges[0], skip, want)
    # Two ranges merged newest first; skipping must read through both.
    merged = heapq.merge(*(_newest_keys(r, 0, skip + want) for r in ranges), key=_key_time, reverse=True)
    return itertools.islice(merged, skip, None)


def _iter_predictions(plan: _Plan, *, offset: int, labeled: bool | None, user: str | None,
                      want: int = _KEY_PAGE) -> Iterator[dict[str, Any]]:
    """Matching entries, newest first, fetched a page of keys at a time (``want`` first)."""
    exact = not plan.residual
    want = min(max(1, want), _KEY_PAGE) if exact else _KEY_PAGE
    keys = _merged_keys(plan, offset if exact else 0, want)
    to_skip = 0 if exact else offset
    while True:
        chunk = list(itertools.islice(keys, want))
        want = _KEY_PAGE
        if not chunk:
            return
        ids = [_entry_id(k) for k in chunk]
        found = mongo.find_by_ids(_predictions(), ids)
        for entry_id in ids:
            doc = found.get(entry_id)
            if doc is None or not _entry_matches(doc, plan, labeled, user):
                continue
            if to_skip:
                to_skip -= 1
                continue
            yield doc


def find_predictions(*, offset: int = 0, limit: int = 50, **filters: Any) -> list[PredictionLog]:
    """Newest first; filters: since, until, track, model_version, labeled, source, user.

    Reads about ``offset + limit`` small keys and ``limit`` entries when the filters are
    ones the keys decide (owner and labelled or not; a track; since/until); the others
    (a model version, a source, a track within one owner's) are checked entry by entry.
    """
    if limit <= 0:
        return []
    plan = _plan(**filters)
    found = _iter_predictions(plan, offset=offset, labeled=filters.get("labeled"), user=filters.get("user"),
                              want=limit)
    return [_prediction_from_doc(d) for d in itertools.islice(found, limit)]


def count_predictions(*, at_most: int | None = None, **filters: Any) -> int:
    """How many entries match; with ``at_most``, stop counting there (a page shows "more than").

    Keys the filters decide are counted without reading an entry; other filters check the
    entries, so pass ``at_most`` to bound that.
    """
    plan = _plan(**filters)
    if not plan.residual:
        total = 0
        for bounds in plan.ranges():
            left = None if at_most is None else at_most - total
            if left is not None and left <= 0:
                break
            total += _keys().count_documents({"_id": bounds}, **({"limit": left} if left else {}))
        return total if at_most is None else min(total, at_most)
    found = _iter_predictions(plan, offset=0, labeled=filters.get("labeled"), user=filters.get("user"))
    return sum(1 for _ in itertools.islice(found, at_most))


def set_prediction_label(prediction_id: str, g3: int, *, at: datetime, by: str) -> None:
    coll = _predictions()
    doc = coll.find_one({"_id": prediction_id})
    if doc is None:
        return
    unlabelled = _keys_of({**doc, "labeled": False})
    _insert_keys(_keys_of({**doc, "labeled": True}))
    coll.update_one({"_id": prediction_id}, {"$set": {
        "labeled": True, "actual_G3": g3, "labeled_at": clock.to_store(at), "labeled_by": by}})
    for key in unlabelled:
        if not key.startswith("T|"):
            _keys().delete_one({"_id": key})


def delete_predictions(prediction_ids: Iterable[str]) -> int:
    """Delete these entries and their keys; how many entries were deleted."""
    coll = _predictions()
    deleted = 0
    for prediction_id in prediction_ids:
        doc = coll.find_one({"_id": prediction_id})
        if doc is None:
            continue
        deleted += coll.delete_one({"_id": prediction_id}).deleted_count
        for key in set(_keys_of({**doc, "labeled": False}) + _keys_of({**doc, "labeled": True})):
            _keys().delete_one({"_id": key})
    return deleted


# --- the previous release's log ----------------------------------------------------------

_layout_checked: set[int] = set()


def _ensure_layout() -> None:
    """Give a log written by the previous release (entries, no keys) its keys, once per store."""
    marker = id(mongo.client())
    if marker in _layout_checked:
        return
    if _raw_keys().find_one({"_id": _LAYOUT_ID}) is None:
        migrate_prediction_keys()
    _layout_checked.add(marker)


def migrate_prediction_keys(progress: Any = None) -> int:
    """Write the keys of every entry (idempotent); how many entries were seen.

    Reads the whole log once, a page at a time in ``_id`` order; run by the first process
    that opens a store without the layout marker, or ahead of time by
    ``manage.py migrate_prediction_log``.
    """
    coll = mongo.collection(PREDICTIONS)
    seen = 0
    after: str | None = None
    while True:
        query = {"_id": {"$gt": after}} if after is not None else {"_id": {"$gte": ""}}
        page = list(coll.find(query).sort([("_id", 1)]).limit(_KEY_PAGE))
        if not page:
            break
        _insert_keys([k for d in page for k in _keys_of(d)])
        seen += len(page)
        after = page[-1]["_id"]
        if progress is not None:
            progress(seen)
    try:
        _raw_keys().insert_one({"_id": _LAYOUT_ID, "version": _LAYOUT_VERSION, "at": clock.to_store(clock.now())})
    except mongo.duplicate_key_errors():
        pass  # another process finished the same migration
    return seen


def delete_unlabelled_predictions_before(moment: datetime) -> int:
    """Remove log entries made before ``moment`` that never got an actual grade; how many.

    Labelled entries stay: their grade made a training row, and the row's source points here.
    A key range read a page at a time, oldest pages included, never a scan of the log.
    """
    deleted = 0
    while True:
        page = find_predictions(until=moment, labeled=False, limit=_KEY_PAGE)
        gone = delete_predictions([p.id for p in page]) if page else 0
        if not gone:
            return deleted
        deleted += gone
