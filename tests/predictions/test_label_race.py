"""Labels are all or nothing even when another request labels one of them at the same moment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from predictions import repository, services
from predictions.entities import LabelClaim
from tests.builders import log_prediction, store_snapshot

pytestmark = pytest.mark.django_db


def test_a_label_claimed_meanwhile_with_another_grade_refuses_the_whole_request():
    log_prediction("p-1", "ana")
    log_prediction("p-2", "ana")
    # Another request has claimed p-2 with G3 = 7 and not yet marked the log: this one's
    # checks of the log pass, and the clash shows only when it claims.
    repository.insert_label_claim(LabelClaim("p-2", 7, "labels:other-request", datetime(2026, 11, 1, tzinfo=UTC),
                                             "ben"))
    before = store_snapshot()

    with pytest.raises(services.LabelError) as refused:
        services.prediction_label([{"prediction_id": "p-1", "G3": 12}, {"prediction_id": "p-2", "G3": 9}],
                                  by="ana", owner="ana")

    [error] = refused.value.errors
    assert (error.row, error.field) == (1, "G3") and "was just labelled with G3 = 7" in error.reason
    assert store_snapshot() == before  # p-1's claim was withdrawn: no claim, no row, log unmarked
    assert services.prediction_label([{"prediction_id": "p-1", "G3": 12}], by="ana", owner="ana")[0].created
