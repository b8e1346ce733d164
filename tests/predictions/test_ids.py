"""Prediction ids stay unique whatever else seeds Python's global random generator."""

from __future__ import annotations

import random

from predictions.services import new_id


def test_seeding_the_global_generator_does_not_repeat_ids():
    random.seed(7)
    first = new_id()
    random.seed(7)
    assert new_id() != first
    assert len({new_id() for _ in range(10_000)}) == 10_000
