"""Drift set-up: a store with a champion per track, trained once per session and copied into each test."""

from __future__ import annotations

from typing import Any

import pytest

from retraining.training import model_versions_train
from tests.builders import import_labelled, labelled_students_csv, store_restore, store_template


@pytest.fixture(scope="session")
def _trained_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    def build() -> None:
        import_labelled(labelled_students_csv(600, seed=1))
        model_versions_train(by="tests")

    return store_template(tmp_path_factory.mktemp("drift-artifacts"), build)


@pytest.fixture
def trained(_trained_template: dict[str, Any], settings: Any) -> None:
    """This test's fresh store holding 600 generated labelled students and a champion per track."""
    store_restore(_trained_template, settings)
