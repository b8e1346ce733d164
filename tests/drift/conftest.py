"""Drift set-up: a store with a champion per track, trained once per session and copied into each test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from predictions.champions import champions
from retraining.training import model_versions_train
from studentml_site import mongo
from tests.builders import import_labelled, labelled_students_csv


@pytest.fixture(scope="session")
def _trained_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    artifacts = tmp_path_factory.mktemp("drift-artifacts")
    with override_settings(MONGO_URI="mongomock://", ARTIFACT_DIR=artifacts):
        mongo.reset()
        champions.clear()
        try:
            import_labelled(labelled_students_csv(600, seed=1))
            model_versions_train(by="tests")
            db = mongo.database()
            documents = {name: list(db[name].find({})) for name in db.list_collection_names()}
        finally:
            mongo.reset()
            champions.clear()
    return {"artifacts": artifacts, "documents": documents}


@pytest.fixture
def trained(_trained_template: dict[str, Any], settings: Any) -> None:
    """This test's fresh store holding 600 generated labelled students and a champion per track."""
    settings.ARTIFACT_DIR = Path(_trained_template["artifacts"])
    db = mongo.database()
    for name, docs in _trained_template["documents"].items():
        if docs:
            db[name].insert_many(copy.deepcopy(docs))
