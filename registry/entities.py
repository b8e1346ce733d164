"""Model versions, the champion history and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    CANDIDATE = "candidate"
    PENDING_APPROVAL = "pending_approval"
    CHAMPION = "champion"
    REJECTED = "rejected"
    ARCHIVED = "archived"


# The only status moves there are. A first version goes candidate → champion; a winning
# challenger candidate → pending_approval (or → champion under the auto policy); rollback
# re-instates an archived version.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.CANDIDATE: frozenset({Status.PENDING_APPROVAL, Status.CHAMPION, Status.REJECTED}),
    Status.PENDING_APPROVAL: frozenset({Status.CHAMPION, Status.REJECTED}),
    Status.CHAMPION: frozenset({Status.ARCHIVED}),
    Status.ARCHIVED: frozenset({Status.CHAMPION}),
    Status.REJECTED: frozenset(),
}


@dataclass(frozen=True)
class ArtifactRef:
    uri: str  # file:///…/<sha256>.joblib or gridfs://<sha256>
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelVersion:
    track: str
    version: int
    status: Status
    metrics: dict[str, float]  # mae, rmse, r2 on its holdout
    holdout: dict[str, Any]  # rows, champion_mae, naive_mae, champion_version
    window: dict[str, Any]  # rows, start, end, data_hash
    params: dict[str, Any]  # estimator and its settings
    artifact: ArtifactRef
    created_at: datetime
    created_by: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.track}:{self.version}"


@dataclass(frozen=True)
class ChampionChange:
    """One entry of a track's champion history: from ``at`` on, ``version`` served."""

    track: str
    seq: int
    version: int
    previous_version: int | None
    at: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str  # register, promote, approve, reject, rollback, archive, submit
    track: str
    version: int | None
    reason: str
    before: str | None
    after: str | None
