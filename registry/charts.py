"""Model versions as Chart.js configurations (plain dicts; templates embed them with json_script)."""

from __future__ import annotations

from typing import Any

from registry.entities import ModelVersion, Status

OWN = "#2457c5"
CHAMPION = "#b54708"
NAIVE = "#8da2c0"
HIGHLIGHT = "#b42318"


def _number(value: Any) -> float | None:
    return round(float(value), 4) if isinstance(value, int | float) and not isinstance(value, bool) else None


def mae_chart(versions: list[ModelVersion], *, highlight: int | None = None) -> dict[str, Any]:
    """MAE per version of one track (oldest first): its own, the champion's and the naive baseline's
    on the same holdout. Each version has its own holdout, so compare within a version, not across."""
    ordered = sorted(versions, key=lambda v: v.version)
    labels = [f"v{v.version}" + (" ★" if v.status is Status.CHAMPION else "") for v in ordered]
    radius = [7 if v.version == highlight else 3 for v in ordered]
    colours = [HIGHLIGHT if v.version == highlight else OWN for v in ordered]
    track = ordered[0].track if ordered else ""
    return {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {"label": "MAE on its holdout", "data": [_number(v.metrics.get("mae")) for v in ordered],
                 "borderColor": OWN, "backgroundColor": colours, "pointRadius": radius, "spanGaps": True},
                {"label": "champion's MAE on the same holdout",
                 "data": [_number(v.holdout.get("champion_mae")) for v in ordered],
                 "borderColor": CHAMPION, "backgroundColor": CHAMPION, "borderDash": [6, 4], "spanGaps": True},
                {"label": "naive baseline's MAE", "data": [_number(v.holdout.get("naive_mae")) for v in ordered],
                 "borderColor": NAIVE, "backgroundColor": NAIVE, "borderDash": [2, 3], "spanGaps": True},
            ],
        },
        "options": {
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "plugins": {"title": {"display": True,
                                  "text": f"Track {track}: MAE per version (lower is better; ★ champion)"}},
            "scales": {"y": {"title": {"display": True, "text": "MAE (grade points)"}}},
        },
    }
