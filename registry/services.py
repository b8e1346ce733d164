"""The registry's rules: registering versions, the status state machine, champion switches.

Commands, the admin and the training service all go through these functions, and each
writes the audit log. The champion of a track is the latest entry of its champion
history (see ``registry.repository``); version statuses follow that history and are
repaired from it if a process died between the switch and the status updates.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from registry import artifacts, repository
from registry.entities import TRANSITIONS, AuditEntry, ChampionChange, ModelVersion, Status
from studentml_site import clock

logger = logging.getLogger(__name__)

MAX_NUMBERING_ATTEMPTS = 50


class RegistryError(Exception):
    """A registry rule was broken; nothing was changed."""


class VersionNotFound(RegistryError):
    pass


class IllegalTransition(RegistryError):
    pass


class ChampionConflict(RegistryError):
    pass


def _now() -> datetime:
    return clock.now()


def _audit(actor: str, action: str, track: str, version: int | None, reason: str,
           before: Status | None, after: Status | None) -> None:
    repository.insert_audit(AuditEntry(at=_now(), actor=actor, action=action, track=track, version=version,
                                       reason=reason, before=before.value if before else None,
                                       after=after.value if after else None))


def _check_move(v: ModelVersion, to: Status) -> None:
    if to not in TRANSITIONS[v.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[v.status])) or "nothing"
        raise IllegalTransition(
            f"version {v.id} is {v.status.value}: it cannot become {to.value} (a {v.status.value} version "
            f"can become: {allowed})"
        )


def model_version_get(track: str, version: int) -> ModelVersion:
    found = repository.get_version(track, version)
    if found is None:
        raise VersionNotFound(f"there is no version {version} of track {track}")
    return found


def champion_change_latest(track: str) -> ChampionChange | None:
    """The cheap check serving processes make: who is champion now (one small read)."""
    return repository.latest_champion_change(track)


def champion_get(track: str) -> ModelVersion | None:
    change = repository.latest_champion_change(track)
    return repository.get_version(track, change.version) if change else None


def registry_reconcile(track: str) -> None:
    """Make version statuses agree with the champion history (after a crash mid-switch)."""
    change = repository.latest_champion_change(track)
    now = _now()
    for v in repository.find_versions(track, Status.CHAMPION):
        if change is None or v.version != change.version:
            repository.update_version_status(track, v.version, Status.ARCHIVED, by="system", at=now,
                                             reason="repaired: no longer the champion in the history")
    if change is not None:
        current = repository.get_version(track, change.version)
        if current is not None and current.status is not Status.CHAMPION:
            repository.update_version_status(track, change.version, Status.CHAMPION, by=change.by, at=change.at,
                                             reason=change.reason)


def model_versions_list(track: str | None = None, status: Status | None = None) -> list[ModelVersion]:
    from predictions.schema import Track

    for t in [track] if track else [t.value for t in Track]:
        registry_reconcile(t)
    return repository.find_versions(track, status)


def model_version_register(*, track: str, pipeline: Any, metrics: dict[str, float], holdout: dict[str, Any],
                           window: dict[str, Any], params: dict[str, Any], by: str,
                           extra: dict[str, Any] | None = None) -> ModelVersion:
    """Store the artifact and a new ``candidate`` version with the next free number."""
    ref = artifacts.save(pipeline)
    for _ in range(MAX_NUMBERING_ATTEMPTS):
        number = repository.latest_version_number(track) + 1
        version = ModelVersion(track=track, version=number, status=Status.CANDIDATE, metrics=metrics,
                               holdout=holdout, window=window, params=params, artifact=ref,
                               created_at=_now(), created_by=by, extra=extra or {})
        try:
            repository.insert_version(version)
        except repository.DuplicateError:
            continue  # another process took this number; numbers are never reused
        _audit(by, "register", track, number, "trained", None, Status.CANDIDATE)
        return version
    raise RegistryError(f"could not allocate a version number for track {track} (too many concurrent writers)")


def champion_seq(change: ChampionChange | None) -> int:
    """The token a decision page carries: which champion change the approver was looking at (0: none yet)."""
    return change.seq if change is not None else 0


def _switch(v: ModelVersion, *, by: str, reason: str, action: str, expected_seq: int | None = None) -> ModelVersion:
    _check_move(v, Status.CHAMPION)
    current = repository.latest_champion_change(v.track)
    if current is not None and current.version == v.version:
        raise IllegalTransition(f"version {v.id} is already the champion")
    if expected_seq is not None and champion_seq(current) != expected_seq:
        # The decision was made against another champion (someone approved or rolled back
        # meanwhile); the new champion is inserted at expected_seq + 1, so two decisions
        # made against the same champion cannot both land.
        now_serving = f"version {current.version} (by {current.by})" if current else "no version"
        raise ChampionConflict(
            f"track {v.track}'s champion changed since you looked: it is now {now_serving}. "
            f"Nothing was changed; review version {v.id} against the new champion and decide again."
        )
    now = _now()
    if current is not None and now <= current.at:
        # History times strictly increase, so "champion at time t" has one answer.
        now = current.at + timedelta(milliseconds=1)
    change = ChampionChange(track=v.track, seq=(current.seq + 1) if current else 1, version=v.version,
                            previous_version=current.version if current else None, at=now, by=by, reason=reason)
    try:
        repository.insert_champion_change(change)
    except repository.DuplicateError as exc:
        raise ChampionConflict(
            f"track {v.track}'s champion was changed by someone else at the same moment; nothing was changed. "
            "Reload and decide again."
        ) from exc
    if current is not None:
        repository.update_version_status(v.track, current.version, Status.ARCHIVED, by=by, at=now,
                                         reason=f"replaced by version {v.version}")
        _audit(by, "archive", v.track, current.version, f"replaced by version {v.version}",
               Status.CHAMPION, Status.ARCHIVED)
    repository.update_version_status(v.track, v.version, Status.CHAMPION, by=by, at=now, reason=reason)
    _audit(by, action, v.track, v.version, reason, v.status, Status.CHAMPION)
    return model_version_get(v.track, v.version)


def model_version_promote(track: str, version: int, *, by: str, reason: str = "approved",
                          expected_seq: int | None = None) -> ModelVersion:
    """Make a candidate or pending version the champion; the old champion is archived.

    ``expected_seq`` (see ``champion_seq``): refuse with ChampionConflict if the champion
    changed since the caller looked.
    """
    registry_reconcile(track)  # a switch cut short by a crash must not decide this one
    v = model_version_get(track, version)
    if v.status is Status.ARCHIVED:
        raise IllegalTransition(f"version {v.id} is archived: use rollback to re-instate it")
    return _switch(v, by=by, reason=reason, action="promote", expected_seq=expected_seq)


def model_version_submit(track: str, version: int, *, by: str, reason: str) -> ModelVersion:
    """A winning challenger waits for an admin's approval."""
    v = model_version_get(track, version)
    _check_move(v, Status.PENDING_APPROVAL)
    repository.update_version_status(track, version, Status.PENDING_APPROVAL, by=by, at=_now(), reason=reason)
    _audit(by, "submit", track, version, reason, v.status, Status.PENDING_APPROVAL)
    from drift import notify  # late: drift imports the registry

    notify.approval_waiting(track, version, mae=v.metrics.get("mae"), champion_mae=v.holdout.get("champion_mae"))
    return model_version_get(track, version)


def model_version_reject(track: str, version: int, *, by: str, reason: str) -> ModelVersion:
    if not reason or not reason.strip():
        raise RegistryError("a rejection needs a reason")
    v = model_version_get(track, version)
    _check_move(v, Status.REJECTED)
    repository.update_version_status(track, version, Status.REJECTED, by=by, at=_now(), reason=reason.strip())
    _audit(by, "reject", track, version, reason.strip(), v.status, Status.REJECTED)
    return model_version_get(track, version)


def model_version_rollback(track: str, *, by: str, reason: str = "rollback",
                           to_version: int | None = None, expected_seq: int | None = None) -> ModelVersion:
    """Re-instate an archived version (by default the champion before the current one)."""
    registry_reconcile(track)  # after a crash mid-switch the previous champion may not read "archived" yet
    current = repository.latest_champion_change(track)
    if current is None:
        raise RegistryError(f"track {track} has no champion to roll back from")
    target = to_version if to_version is not None else current.previous_version
    if target is None:
        raise RegistryError(f"track {track} has had only one champion: there is nothing to roll back to")
    v = model_version_get(track, target)
    if v.status is not Status.ARCHIVED:
        raise IllegalTransition(f"version {v.id} is {v.status.value}: only an archived version can be rolled back to")
    return _switch(v, by=by, reason=reason, action="rollback", expected_seq=expected_seq)


def champion_at(track: str, moment: datetime) -> ChampionChange | None:
    """Which version was champion of ``track`` at ``moment``, and who put it there."""
    found = None
    for change in repository.find_champion_changes(track):
        if change.at <= moment:
            found = change
        else:
            break
    return found


def champion_history(track: str) -> list[ChampionChange]:
    """Every champion change of ``track``, oldest first."""
    return repository.find_champion_changes(track)


def audit_log_list(track: str | None = None, *, offset: int = 0, limit: int = 50) -> list[AuditEntry]:
    """Audit entries, newest first."""
    return repository.find_audit(track, limit=limit, offset=offset)


def audit_log_count(track: str | None = None) -> int:
    return repository.count_audit(track)
