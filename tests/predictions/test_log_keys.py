"""The prediction log's key ranges answer every hot query alike on every backend, without scanning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from predictions import repository
from predictions.entities import PredictionLog
from studentml_site import mongo, montydb_compat
from tests.builders import make_student

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
FEATURES = {k: v for k, v in make_student().items() if k != "G3"}


def entry(n: int, *, user: str | None = "ana", track: str = "A", at: datetime | None = None,
          model_version: int = 1, source: str = "api") -> PredictionLog:
    return PredictionLog(id=f"p{n:05d}", created_at=at or T0 + timedelta(minutes=n), source=source,
                         request_id=f"r{n}", user=user, track=track, model_version=model_version,
                         predicted_g3=9.5, at_risk=True, features=FEATURES)


@pytest.fixture
def log(store):
    """Twelve entries a minute apart: ana's on tracks A/B, ben's on C, one anonymous; 0, 5 and 9 labelled."""
    entries = [entry(n, user="ana" if n % 3 else "ben", track="ABC"[n % 3], model_version=1 + n % 2)
               for n in range(11)] + [entry(11, user=None)]
    repository.insert_predictions(entries)
    for n in (0, 5, 9):
        repository.set_prediction_label(f"p{n:05d}", 12, at=T0 + timedelta(hours=1), by="ana")
    return entries


def ids(rows):
    return [int(r.id[1:]) for r in rows]


def test_the_whole_log_newest_first_with_pages(log):
    assert ids(repository.find_predictions(limit=50)) == list(range(11, -1, -1))
    assert ids(repository.find_predictions(offset=3, limit=4)) == [8, 7, 6, 5]
    assert repository.count_predictions() == 12
    assert repository.count_predictions(at_most=5) == 5


def test_since_and_until_are_a_time_range(log):
    rows = repository.find_predictions(since=T0 + timedelta(minutes=3), until=T0 + timedelta(minutes=7))

    assert ids(rows) == [6, 5, 4, 3]  # since inclusive, until exclusive
    assert repository.count_predictions(since=T0 + timedelta(minutes=3), until=T0 + timedelta(minutes=7)) == 4


def test_one_owners_predictions_labelled_or_not(log):
    assert ids(repository.find_predictions(user="ana")) == [10, 8, 7, 5, 4, 2, 1]
    assert ids(repository.find_predictions(user="ana", labeled=True)) == [5]
    assert ids(repository.find_predictions(user="ana", labeled=False)) == [10, 8, 7, 4, 2, 1]
    assert ids(repository.find_predictions(user="ben", labeled=True)) == [9, 0]
    assert repository.count_predictions(user="ana", labeled=False) == 6
    assert ids(repository.find_predictions(user="ana", offset=2, limit=3)) == [7, 5, 4]


def test_a_tracks_recent_entries_and_the_filters_keys_do_not_decide(log):
    assert ids(repository.find_predictions(track="B", since=T0 + timedelta(minutes=2))) == [10, 7, 4]
    assert ids(repository.find_predictions(track="A", labeled=True)) == [9, 0]
    assert ids(repository.find_predictions(user="ana", track="C")) == [8, 5, 2]
    assert ids(repository.find_predictions(model_version=2, labeled=False)) == [7, 3, 1]
    assert repository.count_predictions(user="ana", track="C") == 3


def test_labelling_moves_an_entry_between_the_waiting_and_graded_lists(log):
    repository.set_prediction_label("p00004", 15, at=T0 + timedelta(hours=2), by="ana")

    assert 4 in ids(repository.find_predictions(user="ana", labeled=True))
    assert 4 not in ids(repository.find_predictions(user="ana", labeled=False))
    assert repository.get_prediction("p00004").actual_g3 == 15
    assert repository.count_predictions(labeled=True) == 4


def test_deleting_entries_removes_them_from_every_list(log):
    assert repository.delete_predictions(["p00004", "p00005", "missing"]) == 2

    assert 4 not in ids(repository.find_predictions(user="ana"))
    assert 5 not in ids(repository.find_predictions(track="C"))
    assert repository.count_predictions() == 10


def test_a_log_written_by_the_previous_release_is_keyed_on_first_use(store):
    # The previous release stored entries only (uuid ids, no key documents, no layout marker).
    old = [entry(n, user="ana") for n in range(5)]
    docs = [{**repository._prediction_to_doc(e), "_id": f"{n:x}" * 32} for n, e in enumerate(old)]
    mongo.collection(repository.PREDICTIONS).insert_many(docs)
    repository._layout_checked.clear()

    rows = repository.find_predictions(user="ana", labeled=False)

    assert [r.id for r in rows] == [f"{n:x}" * 32 for n in range(4, -1, -1)]
    assert repository.count_predictions() == 5
    repository.set_prediction_label("2" * 32, 11, at=T0, by="ana")
    assert [r.id for r in repository.find_predictions(labeled=True)] == ["2" * 32]


def test_the_migration_command_keys_an_old_log_and_can_run_again(store, capsys):
    docs = [repository._prediction_to_doc(entry(n)) for n in range(3)]
    mongo.collection(repository.PREDICTIONS).insert_many(docs)

    call_command("migrate_prediction_log")
    call_command("migrate_prediction_log")

    assert "3 entries keyed" in capsys.readouterr().out
    assert repository.count_predictions(user="ana") == 3


def test_serving_a_list_from_a_20000_entry_log_reads_a_page_not_the_log(settings, tmp_path):
    settings.MONGO_URI = f"montydb://{tmp_path / 'big'}"
    mongo.reset()
    for start in range(0, 20_000, 5_000):
        repository.insert_predictions([entry(n, user="ana" if n % 2 else "ben", track="AB"[n % 2])
                                       for n in range(start, start + 5_000)])
    montydb_compat.decoded = montydb_compat.keys_read = 0

    page = repository.find_predictions(user="ana", labeled=False, offset=100, limit=50)
    total = repository.count_predictions(user="ana", labeled=False, at_most=10_001)
    drift = repository.find_predictions(track="B", limit=500, since=T0)
    repository.set_prediction_label(page[0].id, 12, at=T0, by="ana")

    assert ids(page)[:2] == [19_799, 19_797]
    assert total == 10_000
    assert len(drift) == 500
    assert montydb_compat.decoded <= 50 + 500 + 5  # the page, drift's window, the labelled entry
    assert montydb_compat.keys_read <= 150 + 500
    mongo.reset()


def test_update_delete_and_count_by_id_read_only_their_rows_on_the_embedded_store(settings, tmp_path):
    settings.MONGO_URI = f"montydb://{tmp_path / 'ids'}"
    mongo.reset()
    coll = mongo.collection("some")
    coll.insert_many([{"_id": f"k{n:04d}", "n": n} for n in range(2_000)])
    montydb_compat.decoded = 0

    coll.update_one({"_id": "k0007"}, {"$set": {"n": -7}})
    coll.replace_one({"_id": "k0008"}, {"n": -8})
    coll.delete_one({"_id": "k0009"})
    counted = coll.count_documents({"_id": {"$gte": "k0100", "$lt": "k0200"}})
    found = {d["_id"]: d["n"] for d in coll.find({"_id": {"$in": ["k0007", "k0008", "k0009", "zz"]}})}

    assert (counted, found) == (100, {"k0007": -7, "k0008": -8})
    assert montydb_compat.decoded <= 6
    mongo.reset()
