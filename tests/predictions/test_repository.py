"""The records/batches repository behaves the same on every Mongo backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import BulkWriteError

from predictions import repository
from predictions.entities import Batch, BatchKind, BatchStatus, RejectedRow, StudentRecord
from studentml_site import mongo
from tests.builders import VALID_STUDENT

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def make_batch(batch_id: str = "b1", *, status: BatchStatus = BatchStatus.COMPLETE, at: datetime = T0,
               **overrides) -> Batch:
    values = dict(id=batch_id, kind=BatchKind.LABELED, status=status, source="test.csv", sha256=batch_id * 4,
                  rows_total=3, rows_imported=3, created_by="ana", created_at=at)
    values.update(overrides)
    return Batch(**values)


def make_record(batch_id: str, row: int, *, g3: int | None = 12, at: datetime = T0, **features) -> StudentRecord:
    return StudentRecord(batch_id=batch_id, row=row, features={**VALID_STUDENT, **features}, g3=g3, ingested_at=at)


def test_batch_round_trips_with_every_field(store):
    batch = make_batch(
        rejected=(RejectedRow(4, ({"field": "age", "reason": "must be from 15 to 22", "value": "23"},)),),
        rows_rejected=1, ignored_columns=("name",), duplicate_rows=2, delimiter=",",
        completed_at=T0 + timedelta(seconds=3), extra={"note": "x"},
    )
    repository.insert_batch(batch)

    assert repository.get_batch("b1") == batch


def test_batch_id_is_unique(store):
    repository.insert_batch(make_batch("same"))

    with pytest.raises(repository.DuplicateBatchError):
        repository.insert_batch(make_batch("same"))
    assert len(repository.find_batches()) == 1


def test_records_round_trip_typed(store):
    repository.insert_batch(make_batch())
    repository.insert_records([make_record("b1", 2, absences=7), make_record("b1", 3, g3=None, G1=None, G2=None)])

    first, second = repository.find_records_of_batch("b1")

    assert first.features["absences"] == 7 and first.g3 == 12 and first.labeled
    assert first.ingested_at == T0
    assert second.g3 is None and not second.labeled and second.features["G1"] is None


def test_inserting_the_same_row_twice_is_refused(store):
    repository.insert_batch(make_batch())
    repository.insert_records([make_record("b1", 2)])

    with pytest.raises((BulkWriteError, *mongo.duplicate_key_errors())):
        repository.insert_records([make_record("b1", 2)])
    assert len(repository.find_records_of_batch("b1")) == 1


def test_recent_records_are_the_newest_in_arrival_order(store):
    repository.insert_batch(make_batch("old", at=T0))
    repository.insert_batch(make_batch("new", at=T0 + timedelta(days=1)))
    repository.insert_records([make_record("old", r, at=T0, absences=r) for r in (2, 3, 4)])
    repository.insert_records([make_record("new", r, at=T0 + timedelta(days=1), absences=10 + r) for r in (2, 3)])

    window = repository.find_recent_records(3)

    assert [(r.batch_id, r.row) for r in window] == [("old", 4), ("new", 2), ("new", 3)]


def test_labelled_and_unlabelled_rows_are_kept_apart(store):
    repository.insert_batch(make_batch())
    repository.insert_records([make_record("b1", 2), make_record("b1", 3, g3=None)])

    assert repository.count_records(labeled=True) == 1
    assert repository.count_records(labeled=False) == 1
    assert [r.row for r in repository.find_recent_records(10, labeled=True)] == [2]
    assert [r.row for r in repository.find_recent_records(10, labeled=False)] == [3]


def test_rows_of_a_pending_batch_are_invisible(store):
    repository.insert_batch(make_batch("done"))
    repository.insert_batch(make_batch("half", status=BatchStatus.PENDING))
    repository.insert_records([make_record("done", 2), make_record("half", 2), make_record("half", 3)])

    assert repository.count_records() == 1
    assert [r.batch_id for r in repository.find_recent_records(10)] == ["done"]

    repository.complete_batch("half", T0)

    assert repository.count_records() == 3
    assert repository.get_batch("half").status is BatchStatus.COMPLETE


def test_deleting_a_batch_removes_its_rows_only(store):
    repository.insert_batch(make_batch("keep"))
    repository.insert_batch(make_batch("drop"))
    repository.insert_records([make_record("keep", 2), make_record("drop", 2), make_record("drop", 3)])

    assert repository.delete_records_of_batch("drop") == 2
    repository.delete_batch("drop")

    assert repository.get_batch("drop") is None
    assert [r.batch_id for r in repository.iter_all_records()] == ["keep"]


def test_batches_are_found_by_hash_and_staleness(store):
    repository.insert_batch(make_batch("a", sha256="f" * 64))
    repository.insert_batch(make_batch("b", sha256="f" * 64, at=T0 + timedelta(hours=1)))
    repository.insert_batch(make_batch("c", status=BatchStatus.PENDING, at=T0))

    assert [b.id for b in repository.find_batches_by_sha256("f" * 64)] == ["a", "b"]
    assert [b.id for b in repository.find_stale_pending_batches(T0 + timedelta(minutes=5))] == ["c"]
    assert repository.find_stale_pending_batches(T0 - timedelta(minutes=5)) == []
    assert [b.id for b in repository.find_batches(limit=1)] == ["b"]
    assert [b.id for b in repository.find_batches(status=BatchStatus.PENDING)] == ["c"]


def _label_record(prediction_id: str, at: datetime, g3: int = 11) -> StudentRecord:
    return StudentRecord(batch_id="labels", row=0, features=dict(VALID_STUDENT), g3=g3, ingested_at=at,
                         key=repository.label_record_id(at, 1, prediction_id), prediction_id=prediction_id)


def test_training_window_is_the_newest_labelled_rows_in_arrival_order(store):
    for day, name in enumerate(["mon", "tue", "wed"]):
        repository.insert_batch(make_batch(name, at=T0 + timedelta(days=day)))
        repository.insert_records([make_record(name, r, at=T0 + timedelta(days=day)) for r in (2, 3, 4)])
    repository.insert_records([_label_record("p-old", T0 + timedelta(hours=12)),
                               _label_record("p-new", T0 + timedelta(days=1, hours=12))])

    window = repository.find_window(5)

    assert [(r.batch_id, r.row, r.prediction_id) for r in window] == [
        ("tue", 4, None), ("labels", 0, "p-new"), ("wed", 2, None), ("wed", 3, None), ("wed", 4, None)]
    assert len(repository.find_window(100)) == 11


def test_training_window_skips_pending_batches_and_unlabelled_rows(store):
    repository.insert_batch(make_batch("done"))
    repository.insert_batch(make_batch("half", status=BatchStatus.PENDING, at=T0 + timedelta(days=1)))
    repository.insert_batch(make_batch("cohort", kind=BatchKind.UNLABELED, at=T0 + timedelta(days=2)))
    repository.insert_records([make_record("done", 2), make_record("half", 2),
                               make_record("cohort", 2, g3=None, at=T0 + timedelta(days=2))])

    assert [(r.batch_id, r.row) for r in repository.find_window(10)] == [("done", 2)]


def test_labelled_rows_since_a_moment_are_counted_without_reading_them(store):
    repository.insert_batch(make_batch("old", rows_imported=3))
    repository.insert_batch(make_batch("new", rows_imported=5, at=T0 + timedelta(days=2)))
    repository.insert_records([_label_record("p1", T0 + timedelta(hours=1)),
                               _label_record("p2", T0 + timedelta(days=3))])

    assert repository.count_labeled_since(None) == 10
    assert repository.count_labeled_since(T0 + timedelta(days=1)) == 6
    assert repository.count_labeled_since(T0 + timedelta(days=4)) == 0


def test_window_memory_follows_the_window_not_the_store(settings, tmp_path):
    """On the embedded store, a window of n rows costs the same in a store of n or of 10n rows."""
    import tracemalloc

    from studentml_site import mongo

    settings.MONGO_URI = f"montydb://{tmp_path / 'monty'}"
    mongo.reset()

    def add_batches(hours: range) -> None:
        for hour in hours:
            at = T0 + timedelta(hours=hour)
            repository.insert_batch(make_batch(f"b{hour:03d}", at=at, rows_imported=100))
            repository.insert_records([make_record(f"b{hour:03d}", r, at=at) for r in range(2, 102)])

    def peak() -> int:
        tracemalloc.start()
        rows = repository.find_window(200)
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert [r.batch_id for r in rows] == ["b100"] * 100 + ["b101"] * 100
        return size

    add_batches(range(100, 102))
    peak()  # the first read builds the range index
    alone = peak()
    add_batches(range(0, 18))  # older rows: ten times the window in all
    among_ten = peak()

    assert among_ten < 1.5 * alone, (alone, among_ten)
    mongo.reset()


def test_training_window_reads_big_batches_a_page_at_a_time(store, monkeypatch):
    monkeypatch.setattr(repository, "_PAGE", 3)
    repository.insert_batch(make_batch("old", at=T0))
    repository.insert_batch(make_batch("new", at=T0 + timedelta(days=1)))
    repository.insert_records([make_record("old", r, at=T0) for r in range(2, 12)])
    repository.insert_records([make_record("new", r, at=T0 + timedelta(days=1)) for r in range(2, 9)])

    window = repository.find_window(12)

    assert [(r.batch_id, r.row) for r in window] == (
        [("old", r) for r in range(7, 12)] + [("new", r) for r in range(2, 9)])
    assert len(repository.find_window(100)) == 17
