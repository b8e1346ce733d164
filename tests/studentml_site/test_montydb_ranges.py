"""The embedded store's ``_id`` range scans (montydb_compat 6.) answer like MongoDB does."""

from __future__ import annotations

import random

import pytest

from studentml_site import mongo

IDS = ([f"b{b}:{r:09d}" for b in range(3) for r in range(300)]
       + ["b1:5", "b1:zz", "b1:", "b10:000000001", "a", "c", "b1:é", "b1:\U0001f600"])


@pytest.fixture
def coll(settings, tmp_path):
    settings.MONGO_URI = f"montydb://{tmp_path / 'monty'}"
    mongo.reset()
    docs = [{"_id": i, "n": n} for n, i in enumerate(IDS)] + [{"_id": 7}, {"_id": 7.5}]
    random.Random(1).shuffle(docs)
    collection = mongo.collection("ranges")
    collection.insert_many(docs)
    yield collection
    mongo.reset()


def expected(low: str, high: str, *, reverse: bool = False) -> list[str]:
    return sorted((i for i in IDS if low <= i <= high), reverse=reverse)


@pytest.mark.parametrize("direction", [1, -1])
def test_a_prefix_range_sorted_by_id_matches_every_string_length(coll, direction):
    query = {"_id": {"$gte": "b1:", "$lte": "b1:\uffff"}}

    found = [d["_id"] for d in coll.find(query).sort([("_id", direction)])]

    assert found == expected("b1:", "b1:\uffff", reverse=direction == -1)
    assert "b1:\U0001f600" not in found  # above \uffff, as in MongoDB's UTF-8 order


def test_skip_and_limit_are_applied_after_the_order(coll):
    query = {"_id": {"$gte": "b1:", "$lte": "b1:\uffff"}}

    newest = [d["_id"] for d in coll.find(query).sort([("_id", -1)]).skip(2).limit(3)]

    assert newest == expected("b1:", "b1:\uffff", reverse=True)[2:5]


def test_open_bounds_and_unsorted_ranges(coll):
    found = sorted(d["_id"] for d in coll.find({"_id": {"$gt": "b1:000000299", "$lt": "b10"}}))

    assert found == sorted(i for i in IDS if "b1:000000299" < i < "b10")
    assert coll.count_documents({"_id": {"$gt": "b2"}}) == sum(1 for i in IDS if i > "b2")


def test_other_filters_still_read_through_montydb(coll):
    found = [d["_id"] for d in coll.find({"_id": {"$gte": "b0:", "$lte": "b0:\uffff"}, "n": {"$lt": 3}})]

    assert sorted(found) == ["b0:000000000", "b0:000000001", "b0:000000002"]
