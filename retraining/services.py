"""Retraining: a challenger trained on the newest labelled window, judged against the champion.

One run for one track: take the track's lease (one run per track at a time, across
processes and machines), read the most recent ``TRAINING_WINDOW`` labelled rows (only
those), hold out the newest ``HOLDOUT_SHARE``, train a challenger with the serving
pipeline, score challenger, champion and the naive baseline on the same held-out rows,
and decide:

- no champion yet → the challenger becomes champion;
- ``champion MAE - challenger MAE > PROMOTION_MIN_MAE_GAIN`` (and, with
  ``PROMOTION_REQUIRE_SIGNIFICANCE``, a 95 % interval of that gain above zero) → it waits
  for approval (policy ``approval``) or becomes champion (``auto``);
- otherwise it is registered as rejected, the figures in the reason.

Every run, including skipped and failed ones, is a ``retrain_runs`` document.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from drift import repository as drift_repository
from drift.entities import Verdict
from predictions import repository as records_repository
from predictions.schema import Track
from registry import services as registry
from registry.entities import ModelVersion, Status
from retraining import repository
from retraining.entities import Decision, RetrainRun
from retraining.evaluation import rows_for_track
from retraining.training import MIN_ROWS, Progress, fit_track, window_load
from studentml_site import clock

logger = logging.getLogger(__name__)

POLICIES = ("approval", "auto")
# A gain computed as 0.010000000000000009 is a gain of 0.01: not more than 0.01.
_GAIN_TOLERANCE = 1e-9


class RetrainBusy(Exception):
    """Another run holds the track's lease; nothing was done."""


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _lease_name(track: str) -> str:
    return f"retrain:{track}"


def retrain_run(track: str, *, trigger: str = "manual", window: int | None = None, policy: str | None = None,
                by: str = "system", progress: Progress | None = None,
                drift_report_id: str | None = None) -> RetrainRun:
    """Run one retrain of ``track``; the recorded run. RetrainBusy if one is already running."""
    track = Track(track).value
    policy = policy or settings.PROMOTION_POLICY
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    size = window or settings.TRAINING_WINDOW
    if size < MIN_ROWS:
        raise ValueError(f"a window of {size} rows is too small: at least {MIN_ROWS}")
    say = progress or (lambda _message: None)
    owner = _owner()
    now = clock.now()
    try:
        repository.lease_acquire(_lease_name(track), owner, now=now,
                                 expires_at=now + timedelta(seconds=settings.RETRAIN_LEASE_SECONDS))
    except repository.LeaseTaken as exc:
        raise RetrainBusy(f"track {track} is already being retrained by {exc}; nothing was done") from None
    try:
        # We hold the lease, so a run of this track still marked running has died.
        repository.mark_abandoned(track, before=now, at=now)
        run = RetrainRun(id=uuid.uuid4().hex, track=track, trigger=trigger, policy=policy, started_at=now,
                         decision=Decision.RUNNING, window={"requested": size},
                         min_gain=settings.PROMOTION_MIN_MAE_GAIN,
                         require_significance=settings.PROMOTION_REQUIRE_SIGNIFICANCE,
                         drift_report_id=drift_report_id, by=by, owner=owner)
        repository.save_run(run)
        started = time.perf_counter()
        try:
            run = _execute(run, size, say)
        except Exception as exc:
            logger.exception("retrain of track %s failed", track)
            run = _failed(repository.get_run(run.id) or run, exc)
        run = replace(run, finished_at=clock.now(),
                      timings={**run.timings, "total": round(time.perf_counter() - started, 3)})
        repository.save_run(run)
        say(f"track {track}: {run.decision.value}")
        return run
    finally:
        repository.lease_release(_lease_name(track), owner)


def _failed(run: RetrainRun, exc: Exception) -> RetrainRun:
    reason = "failed: the registry was not changed by this run"
    if run.challenger_version is not None:
        # Registered but never decided: it must not linger as a candidate someone approves.
        try:
            version = registry.model_version_get(run.track, run.challenger_version)
            if version.status is Status.CANDIDATE:
                registry.model_version_reject(run.track, run.challenger_version, by="system",
                                              reason=f"its retrain run failed: {exc}")
            reason = f"failed: version {run.challenger_version} was registered and is {version.status.value}"
        except Exception:
            logger.exception("could not settle version %s:%s after a failed run", run.track, run.challenger_version)
    return replace(run, decision=Decision.FAILED, error=f"{type(exc).__name__}: {exc}", reason=reason)


def _execute(run: RetrainRun, size: int, say: Progress) -> RetrainRun:
    track = Track(run.track)
    clock_start = time.perf_counter()
    window = window_load(size)
    usable = len(rows_for_track(window.frame, track))
    timings = {"load": round(time.perf_counter() - clock_start, 3)}
    run = replace(run, window={"requested": size, **window.describe(), "usable": usable}, timings=timings)
    say(f"track {track.value}: window of {window.rows} labelled rows, {usable} usable")
    if usable < MIN_ROWS:
        return replace(run, decision=Decision.SKIPPED,
                       reason=f"skipped: {usable} rows < minimum {MIN_ROWS} (labelled rows with the grades "
                              f"track {track.value} uses); nothing was trained")

    champion = registry.champion_get(track.value)
    fit_start = time.perf_counter()
    trained = fit_track(window.frame, track, champion=champion)
    timings["fit_and_score"] = round(time.perf_counter() - fit_start, 3)
    holdout = trained.holdout
    run = replace(run, holdout_rows=holdout["rows"], champion_version=champion.version if champion else None,
                  champion_mae=holdout["champion_mae"], challenger_mae=trained.metrics["mae"],
                  naive_mae=holdout["naive_mae"], gain=holdout["gain"],
                  gain_ci=(holdout["gain_ci_low"], holdout["gain_ci_high"]) if holdout["gain"] is not None else None,
                  timings=timings)
    decision, reason = _decide(run, champion, holdout)
    extra: dict[str, Any] = {"profile": trained.profile, **trained.extra, "retrain_run": run.id,
                             "trigger": run.trigger}
    if run.drift_report_id:
        extra["drift_report_id"] = run.drift_report_id
    version = registry.model_version_register(
        track=track.value, pipeline=trained.pipeline, metrics=trained.metrics, holdout=holdout,
        window=window.describe(), params=trained.params, by=run.by, extra=extra)
    run = replace(run, challenger_version=version.version)
    repository.save_run(run)  # a failure from here on knows which version to settle
    say(f"track {track.value}: challenger {version.id} registered")
    if decision is Decision.PROMOTED:
        registry.model_version_promote(track.value, version.version, by=run.by, reason=reason)
    elif decision is Decision.PENDING_APPROVAL:
        registry.model_version_submit(track.value, version.version, by=run.by, reason=reason)
    else:
        registry.model_version_reject(track.value, version.version, by=run.by, reason=reason)
    return replace(run, decision=decision, reason=reason)


def _decide(run: RetrainRun, champion: ModelVersion | None, holdout: dict[str, Any]) -> tuple[Decision, str]:
    mae = run.challenger_mae
    if champion is None:
        return Decision.PROMOTED, f"first version of track {run.track} (challenger MAE {mae:.3f})"
    if run.champion_mae is None:
        return (Decision.PENDING_APPROVAL,
                f"the champion {champion.id} could not be scored ({holdout.get('champion_error')}); "
                f"challenger MAE {mae:.3f}: an admin decides")
    low, high = run.gain_ci or (float("nan"), float("nan"))
    figures = (f"champion MAE {run.champion_mae:.4f} - challenger MAE {mae:.4f} = gain {run.gain:+.4f} "
               f"(95 % CI {low:+.4f} to {high:+.4f}) on the same {run.holdout_rows} held-out rows; "
               f"naive baseline MAE {run.naive_mae:.4f}")
    if run.gain is None or run.gain <= run.min_gain + _GAIN_TOLERANCE:
        return Decision.REJECTED, f"gain not above the required {run.min_gain}: {figures}"
    if run.require_significance and not low > 0:
        return (Decision.REJECTED, f"gain above {run.min_gain} but its 95 % interval includes zero "
                                   f"(PROMOTION_REQUIRE_SIGNIFICANCE is on): {figures}")
    if run.policy == "auto":
        return Decision.PROMOTED, f"beats the champion by more than {run.min_gain}: {figures}"
    return Decision.PENDING_APPROVAL, f"beats the champion by more than {run.min_gain}, waits for approval: {figures}"


def retrain_reason(track: str) -> tuple[str | None, str, str | None]:
    """Should the scheduled check retrain ``track``? (trigger or None, why, drift report id)."""
    champion = registry.champion_get(track)
    if champion is None:
        return "no-champion", f"track {track} has no champion yet", None
    waiting = registry.model_versions_list(track, Status.PENDING_APPROVAL)
    if waiting:
        return None, f"version {waiting[0].id} is waiting for approval", None
    change = registry.champion_change_latest(track)
    last_runs = [r for r in repository.find_runs(track=track, limit=20)
                 if r.decision not in (Decision.FAILED, Decision.RUNNING)]
    last_run = last_runs[0] if last_runs else None
    since = max(filter(None, [change.at if change else None, last_run.started_at if last_run else None]))
    report = drift_repository.latest_report(track)
    if report is not None and report.verdict is Verdict.DRIFT and report.created_at > since:
        features = ", ".join(report.drifted_features) or "the dataset"
        return "drift", f"drift in {features} reported at {report.created_at:%Y-%m-%d %H:%M}", report.id
    labels_since = _moment(champion.window.get("end"))
    if last_run is not None and last_run.window.get("end"):
        labels_since = max(filter(None, [labels_since, _moment(last_run.window["end"])]))
    new = records_repository.count_labeled_since(labels_since)
    if new >= settings.RETRAIN_MIN_NEW_LABELS:
        return "new-labels", f"{new} labelled rows arrived since the last training window", None
    return None, (f"no drift reported and {new} new labelled rows "
                  f"(< RETRAIN_MIN_NEW_LABELS = {settings.RETRAIN_MIN_NEW_LABELS})"), None


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def retrain_check(*, trigger: str = "schedule", by: str = "schedule", policy: str | None = None,
                  progress: Progress | None = None) -> list[RetrainRun]:
    """The periodic check: retrain each track that drifted or gathered enough new labels."""
    say = progress or (lambda _message: None)
    runs = []
    for track in Track:
        reason_trigger, why, report_id = retrain_reason(track.value)
        say(f"track {track.value}: {why}")
        if reason_trigger is None:
            continue
        try:
            runs.append(retrain_run(track.value, trigger=f"{trigger}:{reason_trigger}", by=by, policy=policy,
                                    progress=progress, drift_report_id=report_id))
        except RetrainBusy as exc:
            say(str(exc))
            logger.info("%s", exc)
    return runs
