"""The presses of "Check now" and "Retrain now", each queued, running or done with a link to its outcome.

A press is an audit entry; its outcome is the first drift report (or, per track, retrain
run) triggered by hand at or after it. Matching by time needs no Celery result backend,
so it reads the same on the embedded broker, in process, and in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template

from drift import repository as drift_repository
from registry import services as registry
from retraining import repository as runs_repository
from retraining.entities import Decision

register = template.Library()

PRESSES = ("check_now", "retrain_now")
SHOWN = 5
# Audit entries and runs looked through to find the presses and their outcomes: bounded reads.
LOOKED_AT = 200


@dataclass(frozen=True)
class Press:
    at: datetime
    actor: str
    what: str
    state: str  # "waiting" (queued or running) | "done"
    outcome: str
    links: list[tuple[str, str]]  # (label, url)


def _check(at: datetime, reports: list[Any]) -> tuple[str, str, list[tuple[str, str]]]:
    done = {}
    for r in sorted(reports, key=lambda r: r.created_at):
        if r.created_at >= at and r.trigger == "manual":
            done.setdefault(r.track, r)
    if not done:
        return "waiting", "queued or running", []
    words = {"drift": "drift", "no_drift": "no drift", "insufficient_data": "too few students"}
    outcome = ", ".join(f"{t}: {words.get(str(r.verdict.value), r.verdict.value)}" for t, r in sorted(done.items()))
    return "done", outcome, [(f"track {t}", f"/drift/?track={t}") for t in sorted(done)]


def _retrain(at: datetime, track: str, runs: list[Any]) -> tuple[str, str, list[tuple[str, str]]]:
    later = [r for r in runs if r.track == track and r.trigger == "manual" and r.started_at >= at]
    if not later:
        return "waiting", "queued or running", []
    run = min(later, key=lambda r: r.started_at)
    if run.decision is Decision.RUNNING:
        return "waiting", "running", []
    links = []
    if run.challenger_version:
        links.append((f"{track}:{run.challenger_version}",
                      f"/admin/registry/modelversion/{track}/{run.challenger_version}/"))
    return "done", str(run.decision.value).replace("_", " "), links


@register.simple_tag
def recent_run_presses() -> list[Press]:
    """The newest presses, newest first."""
    presses = [e for e in registry.audit_log_list(limit=LOOKED_AT) if e.action in PRESSES][:SHOWN]
    if not presses:
        return []
    reports = drift_repository.find_reports(limit=LOOKED_AT)
    runs = runs_repository.find_runs(limit=LOOKED_AT)
    shown = []
    for e in presses:
        if e.action == "check_now":
            state, outcome, links = _check(e.at, reports)
            what = "Drift check"
        else:
            state, outcome, links = _retrain(e.at, e.track, runs)
            what = f"Retrain {e.track}"
        shown.append(Press(at=e.at, actor=e.actor, what=what, state=state, outcome=outcome, links=links))
    return shown
