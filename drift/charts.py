"""Drift reports as Chart.js configurations (plain dicts; the template embeds them with json_script)."""

from __future__ import annotations

from typing import Any

from drift.entities import DriftReport, FeatureDrift
from predictions import schema

DRIFTED = "#b42318"
STABLE = "#8da2c0"
REFERENCE = "rgba(36, 87, 197, 0.55)"
CURRENT = "rgba(180, 35, 24, 0.55)"


def effect_chart(report: DriftReport) -> dict[str, Any]:
    """Effect size per feature (under its label), drifted features in red; horizontal, so labels read on a phone."""
    tested = [f for f in report.features if f.effect_size is not None]
    return {
        "type": "bar",
        "data": {
            "labels": [schema.BY_NAME[f.name].label if f.name in schema.BY_NAME else f.name for f in tested],
            "datasets": [{
                "label": "effect size (KS D / Cramér's V)",
                "data": [round(f.effect_size or 0.0, 4) for f in tested],
                "backgroundColor": [DRIFTED if f.drifted else STABLE for f in tested],
            }],
        },
        "options": {
            "indexAxis": "y",
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "plugins": {"legend": {"display": False},
                        "title": {"display": True, "text": f"Track {report.track}: size of the change per feature"}},
            "scales": {"x": {"beginAtZero": True, "suggestedMax": 0.3,
                             "title": {"display": True, "text": "effect size (red: drifted)"}},
                       "y": {"ticks": {"autoSkip": False}}},
        },
    }


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [round(c / total, 4) if total else 0.0 for c in counts]


WIDE = 12  # a numeric feature with more values than this is drawn in bins
_STEPS = (0, 1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 130, 210)


def bins(values: list[Any]) -> list[tuple[str, list[int]]]:
    """Bar labels and the positions of ``values`` each bar sums: one bar per value, or widening
    bins for wide whole-number supports (absences 0-93: 0, 1, 2, 3-4, 5-7, …) so bars read."""
    if len(values) <= WIDE or isinstance(values[0], str):
        return [(str(v), [i]) for i, v in enumerate(values)]
    starts = [s for s in _STEPS if s < len(values)]
    out = []
    for start, end in zip(starts, [*starts[1:], len(values)], strict=True):
        low, high = values[start], values[end - 1]
        out.append((f"{low}" if low == high else f"{low}–{high}", list(range(start, end))))
    return out


def _labels_for(feature: FeatureDrift) -> list[str]:
    field = schema.BY_NAME.get(feature.name)
    choices = dict(field.choices) if field else {}
    return [choices.get(v, str(v)) for v in feature.values]


def distribution_chart(feature: FeatureDrift) -> dict[str, Any]:
    """Reference and current distributions of one feature, as shares of their rows, under its label."""
    field = schema.BY_NAME.get(feature.name)
    label = field.label if field else feature.name
    grouped = bins(feature.values)
    names = ([name for name, _ in grouped] if len(grouped) < len(feature.values) else _labels_for(feature))

    def summed(counts: list[int]) -> list[int]:
        return [sum(counts[i] for i in idx) for _, idx in grouped]

    reference, current = _shares(summed(feature.reference_counts)), _shares(summed(feature.current_counts))
    top = max([*reference, *current, 0.01])
    return {
        "type": "bar",
        "data": {
            "labels": names,
            "datasets": [
                {"label": "students the model learnt from", "data": reference, "backgroundColor": REFERENCE},
                {"label": "students predicted since", "data": current, "backgroundColor": CURRENT},
            ],
        },
        "options": {
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "layout": {"padding": {"top": 8}},
            "plugins": {"title": {"display": True, "text": f"{label}: share of students"},
                        "legend": {"position": "bottom"}},
            # Headroom above the tallest bar, so its value and the title never collide.
            "scales": {"y": {"beginAtZero": True, "suggestedMax": round(min(1.0, top * 1.15), 3),
                             "title": {"display": True, "text": "share of students"}},
                       "x": {"title": {"display": True, "text": label}, "ticks": {"autoSkip": False}}},
        },
    }


def accuracy_chart(periods: list[Any], holdout_mae: float | None, *, title: str) -> dict[str, Any]:
    """Live MAE and the naive rule's MAE per period as bars, the holdout MAE as a line across them."""
    labels = [p.period_start.isoformat() for p in periods]
    datasets: list[dict[str, Any]] = [
        {"label": "model, actual grades", "data": [round(p.mae, 3) for p in periods], "backgroundColor": "#2457c5",
         "maxBarThickness": 56},
        {"label": "naive rule, same students",
         "data": [None if p.naive_mae is None else round(p.naive_mae, 3) for p in periods],
         "backgroundColor": "#c0c8d6", "maxBarThickness": 56},
    ]
    if holdout_mae is not None:
        datasets.append({"type": "line", "label": "model when tested (holdout)",
                         "data": [round(holdout_mae, 3)] * len(periods), "borderColor": "#067647",
                         "backgroundColor": "#067647", "borderWidth": 3, "pointRadius": 4, "order": -1})
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "plugins": {"title": {"display": True, "text": title}, "legend": {"position": "bottom"}},
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": "MAE (grade points)"}},
                       "x": {"title": {"display": True, "text": "predictions made in"}}},
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
