"""What the admin pages show of a version: formatting, the gain sentence, sorting, every stored field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from registry import display
from registry.entities import ArtifactRef, ModelVersion, Status


def version(number: int = 1, status: Status = Status.CANDIDATE, **holdout) -> ModelVersion:
    return ModelVersion(track="A", version=number, status=status, metrics={"mae": 1.5, "rmse": 2.0, "r2": 0.7},
                        holdout=holdout, window={"rows": 100}, params={"estimator": "X"},
                        artifact=ArtifactRef("file:///a", "f" * 64, 2048),
                        created_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC), created_by="trainer")


@pytest.mark.parametrize("value,text", [(1.23456, "1.235"), (None, "—"), ("x", "—"), (float("nan"), "—"),
                                        (True, "—"), (2, "2.000")])
def test_numbers_are_shown_with_three_decimals_or_a_dash(value, text):
    assert display.fmt(value) == text


@pytest.mark.parametrize("size,text", [(512, "512 bytes"), (2048, "2.0 KiB (2,048 bytes)"),
                                       (3 * 1024 ** 2, "3.0 MiB (3,145,728 bytes)"), (None, "—")])
def test_sizes_are_human_and_exact(size, text):
    assert display.fmt_size(size) == text


def test_times_stored_as_text_or_datetime_read_the_same():
    assert display.fmt_time("2026-01-05T08:00:00+00:00") == display.fmt_time(datetime(2026, 1, 5, 8, tzinfo=UTC)) \
        == "2026-01-05 08:00 UTC"
    assert display.fmt_time(None) == "—"
    assert display.window_span({"rows": 3}) == "—"


@pytest.mark.parametrize("holdout,words", [
    ({"champion_mae": 1.8, "gain": 0.3, "gain_ci_low": 0.1, "gain_ci_high": 0.5, "champion_version": 4},
     "excludes zero: this version's lower MAE than champion version 4 is unlikely to be holdout noise"),
    ({"champion_mae": 1.6, "gain": 0.1, "gain_ci_low": -0.05, "gain_ci_high": 0.25, "champion_version": 4},
     "includes zero: on this holdout the difference from champion version 4 could be noise"),
    ({"champion_mae": 1.2, "gain": -0.3, "gain_ci_low": -0.5, "gain_ci_high": -0.1, "champion_version": 4},
     "excludes zero on the losing side"),
    ({"champion_mae": 1.6, "champion_version": 4}, "No confidence interval was stored"),
    ({"champion_mae": None, "gain": None}, "no champion to compare with"),
    ({}, "no champion to compare with"),
])
def test_the_gain_sentence_says_whether_the_interval_excludes_zero(holdout, words):
    assert words in display.gain_summary(version(**holdout)).sentence


def test_the_gain_is_computed_for_versions_stored_before_it_was():
    assert display.gain(version(champion_mae=1.75)) == pytest.approx(0.25)
    assert display.gain(version(champion_mae=1.75, gain=None)) is None  # stored as unknown: kept unknown


def test_pending_versions_come_first_and_missing_values_sort_last():
    rows = [display.version_row(v) for v in [
        version(1, Status.ARCHIVED), version(2, Status.CHAMPION, champion_mae=1.6),
        version(3, Status.PENDING_APPROVAL, champion_mae=2.0), version(4, Status.CANDIDATE, champion_mae=1.0)]]

    assert [r.v.version for r in display.default_order(rows)] == [3, 4, 2, 1]
    assert [r.v.version for r in display.sort_rows(rows, "gain", descending=True)] == [3, 2, 4, 1]
    assert [r.v.version for r in display.sort_rows(rows, "gain", descending=False)] == [4, 2, 3, 1]


def test_every_stored_field_is_listed_and_the_profile_summarised():
    v = replace(version(champion_mae=1.7, future_key="kept"), extra={"profile": {"age": [1] * 9}, "retrain_run": "r1"},
                decided_by="ana")

    fields = dict(display.stored_fields(v))

    assert fields["holdout.future_key"] == "kept" and fields["extra.retrain_run"] == "r1"
    assert fields["artifact.sha256"] == "f" * 64 and fields["decided_by"] == "ana" and fields["decided_at"] == "—"
    assert fields["extra.profile"].startswith("feature counts of the training window for 1 features")
