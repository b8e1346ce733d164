"""A retrain run: what was trained on what, both MAEs on the same rows, and the decision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Decision(StrEnum):
    RUNNING = "running"
    PROMOTED = "promoted"  # the challenger is champion now (policy auto, or the track's first version)
    PENDING_APPROVAL = "pending_approval"  # it won; an admin decides (policy approval)
    REJECTED = "rejected"  # it did not beat the champion by enough; registered as rejected
    SKIPPED = "skipped"  # nothing trained (too few labelled rows)
    FAILED = "failed"  # an error; the registry was left as it was


@dataclass(frozen=True)
class RetrainRun:
    id: str
    track: str
    trigger: str  # manual | schedule | drift | new-labels | simulation
    policy: str
    started_at: datetime
    decision: Decision
    window: dict[str, Any] = field(default_factory=dict)  # requested, rows, usable, start, end, data_hash
    holdout_rows: int | None = None
    champion_version: int | None = None
    champion_mae: float | None = None
    challenger_version: int | None = None
    challenger_mae: float | None = None
    naive_mae: float | None = None
    gain: float | None = None
    gain_ci: tuple[float, float] | None = None  # 95 % bootstrap interval of the paired gain
    min_gain: float | None = None
    require_significance: bool = False
    reason: str = ""
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: load, fit, evaluate, total
    finished_at: datetime | None = None
    drift_report_id: str | None = None
    by: str = "system"
    owner: str = ""  # host:pid of the process that ran it

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decision"] = self.decision.value
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["gain_ci"] = list(self.gain_ci) if self.gain_ci else None
        return data
