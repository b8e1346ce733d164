"""A killed import is recognised as dead at once, so the file can be imported again right away."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from datetime import timedelta

import pytest

from predictions import repository, services
from predictions.entities import Batch, BatchKind, BatchStatus, StudentRecord
from predictions.services import ingest
from studentml_site import clock
from tests.builders import labelled_students_csv, make_student

DATA = labelled_students_csv(rows=40, seed=3)
SHA = hashlib.sha256(DATA).hexdigest()


def left_pending(owner: str, *, beat_age: timedelta = timedelta(0)) -> None:
    """What an import killed after its first chunk leaves: a pending batch with its lease, and some rows."""
    now = clock.now()
    repository.insert_batch(Batch(id=SHA, kind=BatchKind.LABELED, status=BatchStatus.PENDING, source="class.csv",
                                  sha256=SHA, rows_total=40, rows_imported=40, created_by="ana", created_at=now,
                                  extra={"lease_owner": owner, "heartbeat_at": now - beat_age}))
    repository.insert_records([StudentRecord(batch_id=SHA, row=2, features=make_student(), g3=12, ingested_at=now)])


def dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def reimport():
    return services.batch_import(DATA, kind=BatchKind.LABELED, source="class.csv", created_by="ben")


def test_a_reimport_right_after_the_importer_was_killed_succeeds(store):
    left_pending(f"{socket.gethostname()}:{dead_pid()}")

    report = reimport()

    assert report.batch.status is BatchStatus.COMPLETE and report.batch.created_by == "ben"
    assert repository.count_records(labeled=True) == 40  # the dead import's row is gone, not doubled


def test_an_importer_on_another_host_is_dead_once_its_heartbeat_stops(store):
    left_pending("elsewhere:1", beat_age=ingest.IMPORT_LEASE + timedelta(seconds=1))

    assert reimport().batch.rows_imported == 40


@pytest.mark.parametrize("owner", ["elsewhere:1", "self"])
def test_a_live_import_of_the_same_file_is_still_refused(store, owner):
    left_pending(f"{socket.gethostname()}:{__import__('os').getpid()}" if owner == "self" else owner)

    with pytest.raises(services.ImportRejected, match="being imported by another process"):
        reimport()
    assert repository.get_batch(SHA).status is BatchStatus.PENDING


def test_an_import_renews_its_heartbeat_after_each_chunk(store, monkeypatch):
    beats = []
    monkeypatch.setattr(ingest, "CHUNK_ROWS", 15)
    monkeypatch.setattr(repository, "heartbeat_batch", lambda batch_id, at: beats.append(batch_id))

    reimport()

    assert beats == [SHA] * 3
