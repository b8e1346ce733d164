"""Batch ingestion: a CSV of students becomes labelled or unlabelled records, all or nothing.

Validation happens before anything is written. Writing is guarded by the batch document:
it is stored ``pending`` first (its id is the file's sha256, so the same file twice is a
duplicate-key error on every backend), rows follow, and only then does it flip to
``complete``. Readers ignore pending batches; a failure deletes what was written. A crash
leaves a pending batch; it carries its importer's lease (host, process id, and a heartbeat
renewed after every chunk), so the next import of the file sees at once that its owner is
dead (a process gone on this host, or a heartbeat older than ``IMPORT_LEASE``), removes it
and goes ahead, instead of refusing the file for an hour.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings

from predictions import repository, schema
from predictions.csvfiles import CsvError, TooManyRows, read_students_csv
from predictions.entities import Batch, BatchKind, BatchStatus, RejectedRow, StudentRecord
from predictions.validation import FieldError, Target, validate_table
from studentml_site import clock

Progress = Callable[[int, int], None]  # (rows written so far, rows to write)

# Only the first rejects are kept in full in the batch document (Mongo caps a document
# at 16 MB); the count is always exact.
MAX_REJECTS_STORED = 1000
# A live importer renews its heartbeat after each chunk (seconds apart); a pending batch whose
# heartbeat is older than this is dead even if its process cannot be checked (another host).
IMPORT_LEASE = timedelta(seconds=60)
CHUNK_ROWS = 5000


class ImportRejected(Exception):
    """Nothing was imported. ``errors`` names each bad row and field."""

    def __init__(self, message: str, errors: list[FieldError] | None = None, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.code = code  # invalid | duplicate | too_large


@dataclass(frozen=True)
class ImportReport:
    batch: Batch
    errors: list[FieldError]  # the rows skipped with --skip-invalid


def _group_rejects(errors: list[FieldError]) -> tuple[RejectedRow, ...]:
    by_row: dict[int, list[dict[str, Any]]] = {}
    for error in errors:
        if error.row is None:
            continue
        if error.row not in by_row and len(by_row) >= MAX_REJECTS_STORED:
            break
        by_row.setdefault(error.row, []).append(error.as_dict())
    return tuple(RejectedRow(row, tuple(errs)) for row, errs in by_row.items())


def _to_records(frame: pd.DataFrame, rows: np.ndarray, batch_id: str, at: datetime,
                labeled: bool) -> list[StudentRecord]:
    # astype(object) turns pandas' nullable ints into plain ints and NA into None, which
    # every Mongo backend can encode (numpy scalars are not).
    plain = frame.astype(object).where(frame.notna(), None)
    columns = list(plain.columns)
    records = []
    for row, values in zip(rows.tolist(), plain.itertuples(index=False, name=None), strict=True):
        item = dict(zip(columns, values, strict=True))
        g3 = item.pop(schema.TARGET, None) if labeled else None
        records.append(StudentRecord(batch_id=batch_id, row=row, features=item,
                                     g3=None if g3 is None else int(g3), ingested_at=at))
    return records


def _lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def _importer_dead(batch: Batch, now: datetime) -> bool:
    """Whether a pending batch's importer is gone: its process has ended, or its heartbeat stopped."""
    host, _, pid = str(batch.extra.get("lease_owner") or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _process_alive(int(pid)):
        return True
    beat = clock.from_store(batch.extra.get("heartbeat_at")) or batch.created_at
    return now - beat > IMPORT_LEASE


def _remove(batch: Batch) -> None:
    repository.delete_records_of_batch(batch.id)
    repository.delete_batch(batch.id)


def batches_cleanup_stale(now: datetime | None = None) -> int:
    """Remove batches left pending by a crashed import (its importer is dead), and their rows."""
    now = now or datetime.now(UTC)
    stale = [b for b in repository.find_stale_pending_batches(now) if _importer_dead(b, now)]
    for batch in stale:
        _remove(batch)
    return len(stale)


def batch_import(
    data: bytes,
    *,
    kind: BatchKind,
    source: str,
    created_by: str,
    skip_invalid: bool = False,
    allow_duplicate: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a CSV file and store its rows as one batch; raise ImportRejected otherwise."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        table = read_students_csv(data, max_rows=settings.IMPORT_MAX_ROWS)
    except TooManyRows as exc:
        raise ImportRejected(f"{source}: {exc}; nothing was imported", code="too_large") from exc
    except CsvError as exc:
        raise ImportRejected(f"{source}: {exc}; nothing was imported") from exc

    target = Target.REQUIRED if kind is BatchKind.LABELED else Target.FORBIDDEN
    result = validate_table(table.frame, target)
    if result.file_errors:
        raise ImportRejected(f"{source}: the header is not usable; nothing was imported", result.file_errors)
    total = len(table.frame)
    valid_rows = int(result.valid.sum())
    if result.errors and not skip_invalid:
        hint = ""
        if kind is BatchKind.UNLABELED and all(e.field == schema.TARGET for e in result.errors):
            hint = " This file has final grades (G3): import it as labelled data."
        raise ImportRejected(
            f"{source}: {total - valid_rows} of {total} rows are invalid; nothing was imported. "
            f"Fix them, or skip them with --skip-invalid.{hint}",
            result.errors,
        )
    if valid_rows == 0:
        raise ImportRejected(f"{source}: none of the {total} rows is valid; nothing was imported", result.errors)

    if not allow_duplicate:
        earlier = [b for b in repository.find_batches_by_sha256(sha256) if b.status is BatchStatus.COMPLETE]
        if earlier:
            first = earlier[0]
            raise ImportRejected(
                f"{source}: this file was already imported (batch {first.id[:12]} by {first.created_by} "
                f"on {first.created_at:%Y-%m-%d %H:%M} UTC); nothing was imported. "
                "Use --allow-duplicate to import it again.",
                code="duplicate",
            )
    batches_cleanup_stale()

    now = clock.now()
    batch_id = sha256 if not allow_duplicate else f"{sha256}-{uuid.uuid4().hex[:8]}"
    frame = result.frame.loc[result.valid]
    batch = Batch(
        id=batch_id,
        kind=kind,
        status=BatchStatus.PENDING,
        source=source,
        sha256=sha256,
        rows_total=total,
        rows_imported=valid_rows,
        rows_rejected=total - valid_rows,
        rejected=_group_rejects(result.errors),
        ignored_columns=tuple(result.ignored_columns),
        duplicate_rows=int(frame.duplicated().sum()),
        delimiter=table.delimiter,
        created_by=created_by,
        created_at=now,
        extra={"lease_owner": _lease_owner(), "heartbeat_at": now},
    )
    try:
        try:
            repository.insert_batch(batch)
        except repository.DuplicateBatchError:
            left = repository.get_batch(batch_id)
            if left is None or left.status is not BatchStatus.PENDING or not _importer_dead(left, clock.now()):
                raise
            _remove(left)  # a killed import of this file: take its place at once
            repository.insert_batch(batch)
    except repository.DuplicateBatchError as exc:
        raise ImportRejected(
            f"{source}: this file is being imported by another process, or was just imported; "
            "nothing was imported. Use --allow-duplicate to import it again.",
            code="duplicate",
        ) from exc

    rows = np.flatnonzero(result.valid) + 2  # spreadsheet row numbers
    written = 0
    try:
        for start in range(0, valid_rows, CHUNK_ROWS):
            chunk = frame.iloc[start:start + CHUNK_ROWS]
            written += repository.insert_records(
                _to_records(chunk, rows[start:start + CHUNK_ROWS], batch_id, now, kind is BatchKind.LABELED)
            )
            repository.heartbeat_batch(batch_id, clock.now())
            if progress:
                progress(written, valid_rows)
        repository.complete_batch(batch_id, clock.now())
    except BaseException:
        # Leave the store as it was: the rows written so far and the pending batch go.
        repository.delete_records_of_batch(batch_id)
        repository.delete_batch(batch_id)
        raise
    stored = repository.get_batch(batch_id)
    assert stored is not None
    return ImportReport(batch=stored, errors=result.errors)
