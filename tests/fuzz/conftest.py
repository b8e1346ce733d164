"""Fuzzing set-up: hypothesis profiles, a count of the examples each target was given, and
for the API tests a trained store made once per session.

Profiles (choose with ``HYPOTHESIS_PROFILE``; the default is ``ci``):

- ``ci``: few examples per test, derandomized, so the folder runs in seconds and every run
  (CI's included) tries exactly the same inputs.
- ``deep``: many random examples, new ones each run, failures saved in ``.hypothesis/``
  and replayed first next time. Run it locally before changing validation, the CSV reader
  or the API::

      HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/fuzz -p no:cacheprovider

  (``HYPOTHESIS_EXAMPLES=N`` sets the examples per test for either profile.)

Profiles are applied per test through ``tests.fuzz.strategies.fuzz_settings``, never loaded
globally, so the rest of the suite keeps its own hypothesis settings.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from drift.services import drift_reports_create
from retraining.training import model_versions_train
from tests.builders import import_labelled, labelled_students_csv, store_restore, store_template

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 40)),
    derandomize=True,
    database=None,
    deadline=None,  # CI machines vary; a slow example is not a failure here
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "deep",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 2000)),
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)

def reseed_ids() -> None:
    """Call first in an example that logs predictions.

    Hypothesis seeds the global ``random`` alike for every example, and prediction ids come
    from it (``services.new_id``): each example would reuse the first one's ids.
    """
    random.seed(os.urandom(16))


# --- API set-up: a trained store, copied into each test's fresh one ---------------------------

@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Labelled rows, a champion per track and drift reports, made once: the documents and artifact folder."""
    def build() -> None:
        import_labelled(labelled_students_csv(300))
        model_versions_train(by="tests")
        drift_reports_create(trigger="tests")

    return store_template(tmp_path_factory.mktemp("artifacts"), build)


@pytest.fixture
def trained(trained_store: dict[str, Any], settings: Any) -> None:
    """This test's fresh store, holding a copy of the trained one."""
    store_restore(trained_store, settings)


@pytest.fixture
def token() -> str:
    # No password: slow to hash.
    user = get_user_model().objects.create_user("fuzz-admin", is_staff=True, is_superuser=True)
    return Token.objects.create(user=user).key
