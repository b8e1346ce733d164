"""The MAE-over-versions chart configuration."""

from __future__ import annotations

from registry import charts
from registry.entities import Status
from tests.registry.test_display import version


def test_the_mae_chart_has_one_point_per_version_oldest_first_with_gaps_for_missing_values():
    versions = [version(3, Status.PENDING_APPROVAL, champion_mae=1.7, naive_mae=2.0),
                version(1, Status.ARCHIVED), version(2, Status.CHAMPION, champion_mae=1.9, naive_mae=2.1)]

    config = charts.mae_chart(versions, highlight=3)

    assert config["data"]["labels"] == ["v1", "v2 ★", "v3"]
    own, champion, naive = config["data"]["datasets"]
    assert own["data"] == [1.5, 1.5, 1.5] and own["pointRadius"] == [3, 3, 7]
    assert champion["data"] == [None, 1.9, 1.7] and naive["data"] == [None, 2.1, 2.0]
    assert "Track A" in config["options"]["plugins"]["title"]["text"]


def test_an_empty_track_gives_an_empty_chart():
    assert charts.mae_chart([])["data"]["labels"] == []
