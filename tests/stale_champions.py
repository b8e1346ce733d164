"""A store whose champions are clearly stale, for retraining tests that need a sure winner."""

from __future__ import annotations

import io

from predictions.generator import generate_students
from retraining.training import model_versions_train
from tests.builders import import_labelled, labelled_students_csv

GRADE_ERROR = 5


def seed_stale_champions(*, stale_rows: int = 120, fresh_rows: int = 300, seed: int = 5) -> None:
    """Champions of every track trained on rows whose G3 is ``GRADE_ERROR`` too high, then
    ``fresh_rows`` correct rows: a challenger trained on a window of the fresh rows beats
    them by whole grades (an MAE gap near ``GRADE_ERROR``), far past any promotion margin."""
    stale = generate_students(stale_rows, seed=seed)
    stale["G3"] = (stale["G3"] + GRADE_ERROR).clip(0, 20)
    buffer = io.StringIO()
    stale.to_csv(buffer, sep=";", index=False)
    import_labelled(buffer.getvalue().encode(), "stale.csv")
    model_versions_train(by="tests")
    import_labelled(labelled_students_csv(fresh_rows, seed=seed + 1), "fresh.csv")
