"""A school year played against the running system's services (``manage.py simulate``).

A cohort arrives (generated students, optionally shifted); teachers ask for predictions as
the year goes on — track C before any grade, B once G1 is known, A once G2 is — through
the service the API uses, so every prediction is logged; after each period the drift
check runs for the track just used; at the end the final grades arrive as labels and
every track is retrained. Same seed, same students, same story.

It writes made-up predictions, grades and models, so it runs only in a demo store
(``DEMO_STORE``, `make demo`), never in the one that serves real students.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from drift import services as drift_services
from drift.entities import DriftReport, Verdict
from predictions import services as prediction_services
from predictions.generator import SHIFTS, generate_students
from predictions.schema import INPUTS, TARGET, Track
from registry import services as registry
from retraining.entities import RetrainRun
from retraining.services import RetrainBusy, retrain_run

Say = Callable[[str], None]

# The periods of a year: the track a teacher's prediction uses and the grades it knows.
PERIODS: tuple[tuple[str, Track, tuple[str, ...]], ...] = (
    ("start of year", Track.C, ()),
    ("after period 1", Track.B, ("G1",)),
    ("after period 2", Track.A, ("G1", "G2")),
)


@dataclass(frozen=True)
class PeriodOutcome:
    name: str
    track: str
    predictions: int
    drift: DriftReport


@dataclass
class SimulationSummary:
    seed: int
    cohort: int
    shift: str | None
    policy: str
    champions_before: dict[str, int | None]
    periods: list[PeriodOutcome] = field(default_factory=list)
    labels: int = 0
    runs: list[RetrainRun] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    champions_after: dict[str, int | None] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)

    @property
    def predictions(self) -> int:
        return sum(p.predictions for p in self.periods)


def _champions() -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for track in Track:
        champion = registry.champion_get(track.value)
        out[track.value] = champion.version if champion else None
    return out


def _students(frame: Any, known: tuple[str, ...]) -> list[dict[str, Any]]:
    hidden = [g for g in ("G1", "G2") if g not in known]
    columns = [c for c in INPUTS if c not in hidden]
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in frame[columns].to_dict(orient="records")]


def simulate_year(*, cohort: int = 300, shift: str | None = None, periods: int = 3, seed: int = 0,
                  policy: str | None = None, label_share: float = 1.0, by: str = "simulation",
                  progress: Say | None = None) -> SimulationSummary:
    if cohort < 1:
        raise ValueError("the cohort needs at least one student")
    if not 1 <= periods <= len(PERIODS):
        raise ValueError(f"periods must be from 1 to {len(PERIODS)}")
    if shift is not None and shift not in SHIFTS:
        raise ValueError(f"unknown shift {shift!r}: choose one of {', '.join(SHIFTS)}")
    if not 0 < label_share <= 1:
        raise ValueError("label_share must be in (0, 1]")
    say = progress or (lambda _message: None)
    policy = policy or settings.PROMOTION_POLICY
    summary = SimulationSummary(seed=seed, cohort=cohort, shift=shift, policy=policy,
                                champions_before=_champions())
    frame = generate_students(cohort, seed=seed, shift=shift)
    say(f"a cohort of {cohort} students arrives" + (f" ({SHIFTS[shift].description})" if shift else ""))

    last: list[Any] = []
    for index, (name, track, known) in enumerate(PERIODS[:periods]):
        students = _students(frame, known)
        logged = []
        for start in range(0, len(students), settings.BATCH_MAX_ROWS):
            logged += prediction_services.prediction_create(
                students[start:start + settings.BATCH_MAX_ROWS], source="simulation", user=by,
                request_id=f"simulation-{seed}-{index}-{start}")
        prediction_services.prediction_log_flush(timeout=30.0)
        report = drift_services.drift_report_create(track, trigger="simulation")
        summary.periods.append(PeriodOutcome(name=name, track=track.value, predictions=len(logged), drift=report))
        flagged = ", ".join(report.drifted_features) or "nothing"
        say(f"{name}: {len(logged)} track {track.value} predictions; drift check: {report.verdict.value} "
            f"(flagged: {flagged})")
        last = logged

    labelled = int(round(len(last) * label_share))
    grades = frame[TARGET].to_numpy()
    items = [{"prediction_id": p.id, "G3": int(grades[i])} for i, p in enumerate(last[:labelled])]
    for start in range(0, len(items), 1000):
        outcomes = prediction_services.prediction_label(items[start:start + 1000], by=by)
        summary.labels += sum(1 for o in outcomes if o.created)
    say(f"end of year: {summary.labels} final grades recorded as labels")

    drifted = {p.track: p.drift.id for p in summary.periods if p.drift.verdict is Verdict.DRIFT}
    for track in Track:
        try:
            run = retrain_run(track.value, trigger="simulation", policy=policy, by=by,
                              drift_report_id=drifted.get(track.value))
        except RetrainBusy as exc:
            summary.busy.append(str(exc))
            say(str(exc))
            continue
        summary.runs.append(run)
        say(f"retrain {track.value}: {run.decision.value}")
    summary.champions_after = _champions()
    summary.pending = {r.track: r.challenger_version for r in summary.runs
                       if r.decision.value == "pending_approval" and r.challenger_version is not None}
    return summary


# --- the demo store (`make demo`, `manage.py simulate --demo`) ------------------------------

DEMO_COHORT = 400
DEMO_SEED = 2026
DEMO_SHIFT = "harder-year"


class NotADemoStore(Exception):
    """A simulated year was asked for in a store that serves real students."""


def demo_var_dir() -> Path:
    """Where the demo store lives: beside the real one, never inside its databases."""
    base = Path(settings.VAR_DIR)
    return base if settings.DEMO_STORE else base / "demo"


def demo_environment(environ: dict[str, str]) -> dict[str, str]:
    """The environment of a process that serves or fills the demo store and nothing else.

    Every store setting is pinned, so a MONGO_URI or DATABASE_URL meant for the real store
    (even a production MongoDB) cannot leak into the demo; tasks run in-process.
    """
    var = demo_var_dir()
    return {**environ, "DEMO_STORE": "true", "VAR_DIR": str(var), "MONGO_URI": f"montydb://{var / 'mongo'}",
            "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}", "ARTIFACT_DIR": str(var / "artifacts"),
            "ARTIFACT_STORE": "file", "CELERY_BROKER_URL": "", "CELERY_RESULT_BACKEND": "",
            # Made-up events must not mail the real approvers.
            "NOTIFY_APPROVAL": "false", "NOTIFY_DRIFT": "false", "NOTIFY_ACCURACY": "false", "NOTIFY_WEBHOOK_URL": ""}


def require_demo_store() -> None:
    if not settings.DEMO_STORE:
        raise NotADemoStore(
            "a simulated school year is made-up data and never goes into the store that serves real students: "
            "run `manage.py simulate --demo` or `make demo` (its own store under var/demo)")


def demo_year_ensure(say: Say) -> SimulationSummary | None:
    """Play the demo's school year once, on a demo store that has no history yet."""
    from drift import repository as drift_repository
    from retraining import repository as runs_repository

    require_demo_store()
    if runs_repository.find_runs(limit=1) or drift_repository.count_reports() > 0:
        say("demo history present: no school year simulated")
        return None
    say(f"simulating a school year ({DEMO_COHORT} students, shift '{DEMO_SHIFT}') in the demo store")
    return simulate_year(cohort=DEMO_COHORT, shift=DEMO_SHIFT, seed=DEMO_SEED, policy="approval", by="demo",
                         progress=say)
