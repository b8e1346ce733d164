"""Drift reports as Chart.js configurations (plain dicts; the template embeds them with json_script)."""

from __future__ import annotations

from typing import Any

from drift.entities import DriftReport, FeatureDrift

DRIFTED = "#b42318"
STABLE = "#8da2c0"
REFERENCE = "rgba(36, 87, 197, 0.55)"
CURRENT = "rgba(180, 35, 24, 0.55)"


def effect_chart(report: DriftReport) -> dict[str, Any]:
    """Effect size per feature; drifted features in red."""
    tested = [f for f in report.features if f.effect_size is not None]
    return {
        "type": "bar",
        "data": {
            "labels": [f.name for f in tested],
            "datasets": [{
                "label": "effect size (KS D / Cramér's V)",
                "data": [round(f.effect_size or 0.0, 4) for f in tested],
                "backgroundColor": [DRIFTED if f.drifted else STABLE for f in tested],
            }],
        },
        "options": {
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "plugins": {"legend": {"display": False},
                        "title": {"display": True, "text": f"Track {report.track}: effect size per feature"}},
            "scales": {"y": {"beginAtZero": True, "suggestedMax": 0.3}},
        },
    }


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [round(c / total, 4) if total else 0.0 for c in counts]


def distribution_chart(feature: FeatureDrift) -> dict[str, Any]:
    """Reference and current distributions of one feature, as shares of their rows."""
    return {
        "type": "bar",
        "data": {
            "labels": [str(v) for v in feature.values],
            "datasets": [
                {"label": "reference (training window)", "data": _shares(feature.reference_counts),
                 "backgroundColor": REFERENCE},
                {"label": "current (served since)", "data": _shares(feature.current_counts),
                 "backgroundColor": CURRENT},
            ],
        },
        "options": {
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "plugins": {"title": {"display": True, "text": f"{feature.name}: share of students per value"}},
            "scales": {"y": {"beginAtZero": True}},
        },
    }


def history_chart(reports: list[DriftReport]) -> dict[str, Any]:
    """Drifted features per report over time, one line per track (oldest first)."""
    by_track: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(reports, key=lambda r: r.created_at):
        by_track.setdefault(r.track, []).append({"x": r.created_at.strftime("%Y-%m-%d %H:%M"),
                                                 "y": len(r.drifted_features)})
    colours = {"A": "#2457c5", "B": "#067647", "C": "#b54708"}
    return {
        "type": "line",
        "data": {"datasets": [{"label": f"track {t}", "data": points, "borderColor": colours.get(t, "#555"),
                               "backgroundColor": colours.get(t, "#555")} for t, points in sorted(by_track.items())]},
        "options": {
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "parsing": {"xAxisKey": "x", "yAxisKey": "y"},
            "plugins": {"title": {"display": True, "text": "Drifted features per check"}},
            "scales": {"x": {"type": "category"}, "y": {"beginAtZero": True, "ticks": {"precision": 0}}},
        },
    }
