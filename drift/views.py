"""The monitoring dashboard (``/drift/``): one track at a time, accuracy first, then drift in plain words."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from drift import charts, monitoring, repository, summary
from predictions.schema import Track


def _tabs(selected: Track) -> list[dict[str, Any]]:
    tabs = []
    for track in Track:
        report = repository.latest_report(track.value)
        tabs.append({"track": track.value, "selected": track is selected,
                     "verdict": report.verdict.value if report else None})
    return tabs


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("track", "A")
    track = Track(raw) if raw in {t.value for t in Track} else Track.A
    report = repository.latest_report(track.value)
    performance = monitoring.performance_get(track)
    estimate = monitoring.estimate_get(track)
    changes = summary.changes(report) if report else []
    configs: dict[str, dict] = {}
    if performance.periods:
        configs["accuracy"] = charts.accuracy_chart(performance.periods, performance.holdout.get("mae"),
                                                    title=f"Track {track.value}: error on actual grades per "
                                                          f"{performance.period}")
    by_name = {f.name: f for f in report.features} if report else {}
    for change in changes:
        configs[f"dist-{change.name}"] = charts.distribution_chart(by_name[change.name])
    tested = bool(report and any(f.effect_size is not None for f in report.features))
    if tested and report:
        configs["effect"] = charts.effect_chart(report)
    history = repository.find_reports(track=track.value, limit=60)
    if len(history) > 1:
        configs["history"] = charts.history_chart(history)
    return render(request, "drift/dashboard.html", {
        "track": track.value,
        "tabs": _tabs(track),
        "report": report,
        "changes": changes,
        "advice": summary.advice(report, alert_state=performance.alert.state if performance.version else None,
                                 track=track.value),
        "performance": performance,
        "estimate": estimate,
        "effect_chart": tested,
        "effect_height": 60 + 22 * len([f for f in (report.features if report else []) if f.effect_size is not None]),
        "history_chart": "history" in configs,
        "charts": configs,
    })
