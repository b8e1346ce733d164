"""The drift dashboard (``/drift/``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from drift import charts, repository
from predictions.schema import Track


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    tracks = []
    configs: dict[str, dict] = {}
    for track in Track:
        report = repository.latest_report(track.value)
        drifted = [f for f in report.features if f.drifted] if report else []
        tested = bool(report and any(f.effect_size is not None for f in report.features))
        tracks.append({
            "track": track.value,
            "report": report,
            "effect_chart": tested,
            "distributions": [{"feature": f} for f in drifted],
        })
        if tested:
            configs[f"effect-{track.value}"] = charts.effect_chart(report)
        for f in drifted:
            configs[f"dist-{track.value}-{f.name}"] = charts.distribution_chart(f)
    history = repository.find_reports(limit=60)
    if history:
        configs["history"] = charts.history_chart(history)
    return render(request, "drift/dashboard.html", {
        "tracks": tracks,
        "history_chart": bool(history),
        "charts": configs,
    })
