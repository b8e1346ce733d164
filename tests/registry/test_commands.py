"""Operator commands: promote, reject, rollback — through the registry service, audited."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from registry import repository, services
from registry.entities import Status


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def versions():
    for _ in range(3):
        services.model_version_register(track="B", pipeline={"m": 1}, metrics={"mae": 1.0},
                                        holdout={"rows": 1}, window={"rows": 1}, params={}, by="t")
    services.model_version_promote("B", 1, by="setup")


def test_promote_reject_rollback(versions):
    assert "B:2 is now champion" in run("promote", "B:2", "--by", "ops")
    assert "B:3 rejected: worse on the holdout" in run("reject", "B3", "--reason", "worse on the holdout",
                                                       "--by", "ana")
    assert "B:1 is champion of track B again" in run("rollback", "--track", "B")

    assert {v.version: v.status for v in services.model_versions_list("B")} == {
        1: Status.CHAMPION, 2: Status.ARCHIVED, 3: Status.REJECTED}
    actions = {(e.action, e.version, e.actor) for e in repository.find_audit("B")}
    assert {("promote", 2, "ops"), ("reject", 3, "ana"), ("rollback", 1)} <= actions | {
        (a, v) for a, v, _ in actions}


@pytest.mark.parametrize("args,message", [
    (("promote", "B:9"), "no version 9 of track B"),
    (("promote", "seven"), "is not a version"),
    (("reject", "B:1", "--reason", "x"), "champion: it cannot become rejected"),
    (("rollback", "--track", "B"), "nothing to roll back to"),
])
def test_refused_commands_change_nothing(versions, args, message):
    before = {v.version: v.status for v in services.model_versions_list("B")}

    with pytest.raises(CommandError, match=message):
        run(*args)
    assert {v.version: v.status for v in services.model_versions_list("B")} == before


def test_a_plain_number_needs_the_track(versions):
    assert "B:2 is now champion" in run("promote", "2", "--track", "B")
