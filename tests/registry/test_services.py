"""The registry's state machine, champion switches and audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry import repository, services
from registry.entities import Status


def register(track: str = "A", payload: object = "model") -> int:
    v = services.model_version_register(
        track=track, pipeline={"payload": payload}, metrics={"mae": 1.0, "rmse": 1.5, "r2": 0.5},
        holdout={"rows": 10, "champion_mae": None, "naive_mae": 1.1}, window={"rows": 50},
        params={"estimator": "Test"}, by="trainer")
    return v.version


def statuses(track: str = "A") -> dict[int, Status]:
    return {v.version: v.status for v in services.model_versions_list(track)}


def test_versions_are_numbered_per_track_from_one():
    assert [register("A"), register("A"), register("B")] == [1, 2, 1]
    assert statuses("A") == {1: Status.CANDIDATE, 2: Status.CANDIDATE}


def test_promoting_archives_the_old_champion():
    register(), register()
    services.model_version_promote("A", 1, by="ana")

    services.model_version_promote("A", 2, by="ana", reason="better")

    assert statuses() == {1: Status.ARCHIVED, 2: Status.CHAMPION}
    assert services.champion_get("A").version == 2


def test_approval_flow_submit_then_approve():
    register(), register()
    services.model_version_promote("A", 1, by="setup")
    services.model_version_submit("A", 2, by="retrain", reason="MAE 0.05 better")

    assert statuses()[2] is Status.PENDING_APPROVAL
    assert services.champion_get("A").version == 1

    services.model_version_promote("A", 2, by="admin")
    assert statuses() == {1: Status.ARCHIVED, 2: Status.CHAMPION}


def test_reject_needs_a_reason_and_is_final():
    register()
    with pytest.raises(services.RegistryError, match="needs a reason"):
        services.model_version_reject("A", 1, by="ana", reason="  ")

    services.model_version_reject("A", 1, by="ana", reason="worse than G2")

    assert statuses() == {1: Status.REJECTED}
    with pytest.raises(services.IllegalTransition, match="rejected: it cannot become champion"):
        services.model_version_promote("A", 1, by="ana")


ILLEGAL = [
    # (set-up moves, illegal move)
    ([], ("submit_twice",)),
    ([("promote", 1)], ("submit", 1)),
    ([("promote", 1)], ("reject", 1)),
    ([("promote", 1)], ("promote", 1)),
    ([("promote", 1), ("promote", 2)], ("promote", 1)),  # archived: only rollback
    ([("promote", 1), ("promote", 2)], ("reject", 1)),
    ([("reject", 2)], ("submit", 2)),
    ([("reject", 2)], ("reject", 2)),
]


@pytest.mark.parametrize("setup,move", ILLEGAL)
def test_every_illegal_status_move_is_refused_and_changes_nothing(setup, move):
    register(), register()
    for action, version in setup:
        if action == "promote":
            services.model_version_promote("A", version, by="x")
        else:
            services.model_version_reject("A", version, by="x", reason="r")
    if move == ("submit_twice",):
        services.model_version_submit("A", 1, by="x", reason="r")
        move = ("submit", 1)
    before = statuses()
    history = repository.find_champion_changes("A")

    with pytest.raises(services.RegistryError):
        action, version = move
        if action == "promote":
            services.model_version_promote("A", version, by="x")
        elif action == "submit":
            services.model_version_submit("A", version, by="x", reason="r")
        else:
            services.model_version_reject("A", version, by="x", reason="r")

    assert statuses() == before
    assert repository.find_champion_changes("A") == history


def test_rollback_reinstates_the_previous_champion():
    register(), register()
    services.model_version_promote("A", 1, by="ana")
    services.model_version_promote("A", 2, by="ana")

    services.model_version_rollback("A", by="ops", reason="v2 misbehaves")

    assert statuses() == {1: Status.CHAMPION, 2: Status.ARCHIVED}
    with pytest.raises(services.RegistryError, match="only an archived version"):
        services.model_version_rollback("A", by="ops", to_version=1)


def test_rollback_without_history_is_refused():
    register()
    with pytest.raises(services.RegistryError, match="no champion"):
        services.model_version_rollback("A", by="ops")
    services.model_version_promote("A", 1, by="ana")
    with pytest.raises(services.RegistryError, match="nothing to roll back to"):
        services.model_version_rollback("A", by="ops")


def test_unknown_version_is_a_clear_error():
    with pytest.raises(services.VersionNotFound, match="no version 9 of track A"):
        services.model_version_promote("A", 9, by="ana")


def test_a_stale_switch_loses_and_changes_nothing(monkeypatch):
    """Two admins approving competing versions: the second one's switch finds its slot taken."""
    register(), register(), register()
    services.model_version_promote("A", 1, by="setup")
    stale = repository.latest_champion_change("A")
    services.model_version_promote("A", 2, by="ana")
    before = statuses()
    monkeypatch.setattr(repository, "latest_champion_change", lambda track: stale)

    with pytest.raises(services.ChampionConflict, match="changed by someone else"):
        services.model_version_promote("A", 3, by="ben")

    monkeypatch.undo()
    assert statuses() == before
    assert services.champion_get("A").version == 2


def test_statuses_are_repaired_from_the_history_after_a_crash():
    register(), register()
    services.model_version_promote("A", 1, by="setup")
    # A process died after writing the history entry for version 2 but before the statuses.
    from registry.entities import ChampionChange

    repository.insert_champion_change(ChampionChange("A", 2, 2, 1, datetime.now(UTC), "crashed", "promote"))

    assert statuses() == {1: Status.ARCHIVED, 2: Status.CHAMPION}
    assert [v.version for v in services.model_versions_list("A", Status.CHAMPION)] == [2]


def test_audit_log_and_history_answer_who_was_champion_when():
    register(), register()
    services.model_version_promote("A", 1, by="setup", reason="first")
    services.model_version_promote("A", 2, by="ana", reason="better on the holdout")
    first, second = repository.find_champion_changes("A")

    assert services.champion_at("A", first.at).version == 1
    assert services.champion_at("A", second.at - timedelta(microseconds=1)).version == 1
    assert services.champion_at("A", second.at).version == 2
    latest = services.champion_at("A", second.at + timedelta(hours=1))
    assert (latest.version, latest.by, latest.reason) == (2, "ana", "better on the holdout")
    assert services.champion_at("A", datetime(2000, 1, 1, tzinfo=UTC)) is None
    actions = [(e.action, e.version, e.actor, e.before, e.after) for e in repository.find_audit("A")]
    assert ("promote", 2, "ana", "candidate", "champion") in actions
    assert ("archive", 1, "ana", "champion", "archived") in actions
    assert ("register", 1, "trainer", None, "candidate") in actions


def test_a_decision_against_a_champion_that_has_since_changed_is_refused():
    """The admin's approve and rollback carry the champion they were decided against."""
    register(), register(), register()
    services.model_version_promote("A", 1, by="setup")
    seen = services.champion_seq(services.champion_change_latest("A"))
    services.model_version_promote("A", 2, by="ana", expected_seq=seen)
    before, history = statuses(), repository.find_champion_changes("A")

    with pytest.raises(services.ChampionConflict, match="changed since you looked: it is now version 2 \\(by ana\\)"):
        services.model_version_promote("A", 3, by="ben", expected_seq=seen)
    with pytest.raises(services.ChampionConflict, match="changed since you looked"):
        services.model_version_rollback("A", by="ben", to_version=1, expected_seq=seen)

    assert statuses() == before
    assert repository.find_champion_changes("A") == history
    services.model_version_rollback("A", by="ben", to_version=1, expected_seq=seen + 1)
    assert services.champion_get("A").version == 1


def test_the_first_champion_is_decided_against_no_champion():
    register()
    assert services.champion_seq(services.champion_change_latest("A")) == 0

    services.model_version_promote("A", 1, by="ana", expected_seq=0)

    assert services.champion_seq(services.champion_change_latest("A")) == 1


def test_the_audit_log_pages_newest_first():
    for _ in range(3):
        register()
    services.model_version_promote("A", 1, by="ana")

    everything = services.audit_log_list("A", limit=50)

    assert services.audit_log_count("A") == len(everything) == 4
    assert services.audit_log_list("A", offset=1, limit=2) == everything[1:3]
    assert everything[0].action == "promote"
