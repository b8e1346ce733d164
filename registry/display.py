"""What the registry's admin pages show of a model version: plain values, formatted once.

Pure functions over ``ModelVersion`` (unit-tested without a request). The version
document grows over time, so every optional key is read with ``.get`` and a missing or
unusable value is shown as ``MISSING``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.entities import ModelVersion, Status

MISSING = "—"

# Pending approvals first: they are what an approver came for.
STATUS_ORDER = {Status.PENDING_APPROVAL: 0, Status.CHAMPION: 1, Status.CANDIDATE: 2, Status.ARCHIVED: 3,
                Status.REJECTED: 4}
STATUS_LABELS = {Status.PENDING_APPROVAL: "pending approval", Status.CHAMPION: "champion",
                 Status.CANDIDATE: "candidate", Status.ARCHIVED: "archived", Status.REJECTED: "rejected"}


def number(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing or not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


def fmt(value: Any, digits: int = 3, *, signed: bool = False) -> str:
    found = number(value)
    if found is None:
        return MISSING
    return f"{found:+.{digits}f}" if signed else f"{found:.{digits}f}"


def fmt_int(value: Any) -> str:
    found = number(value)
    return f"{int(found):,}" if found is not None else MISSING


def fmt_time(value: Any) -> str:
    """A stored time (datetime or ISO text) as ``YYYY-MM-DD HH:MM UTC``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value or MISSING
    if not isinstance(value, datetime):
        return MISSING
    return value.strftime("%Y-%m-%d %H:%M") + (" UTC" if value.utcoffset() is not None else "")


def fmt_size(size: Any) -> str:
    found = number(size)
    if found is None:
        return MISSING
    for unit, scale in (("MiB", 1024 ** 2), ("KiB", 1024)):
        if found >= scale:
            return f"{found / scale:.1f} {unit} ({int(found):,} bytes)"
    return f"{int(found):,} bytes"


def gain(v: ModelVersion) -> float | None:
    """Champion's MAE minus this version's on the same holdout (positive: this one is better)."""
    if "gain" in v.holdout:
        return number(v.holdout.get("gain"))
    champion_mae, mae = number(v.holdout.get("champion_mae")), number(v.metrics.get("mae"))
    return champion_mae - mae if champion_mae is not None and mae is not None else None


def window_span(window: dict[str, Any], *, dates_only: bool = False) -> str:
    """When the training window's rows arrived: ``start – end``."""
    start, end = window.get("start"), window.get("end")
    if not start and not end:
        return MISSING
    first, last = fmt_time(start), fmt_time(end)
    if dates_only:
        first, last = first.split(" ")[0], last.split(" ")[0]
    return f"{first} – {last}"


def model_label(v: ModelVersion) -> str:
    """What the version serves, in words: "rule: G3 = G2", "gradient boosting" (older versions: the class name)."""
    return str(v.params.get("label") or v.params.get("estimator") or MISSING)


@dataclass(frozen=True)
class CandidateRow:
    label: str
    cv_mae: str
    cv_mae_se: str
    cv_rmse: str
    chosen: bool


def candidate_rows(v: ModelVersion) -> list[CandidateRow]:
    """The candidates compared by CV for this version (none stored before candidates existed)."""
    rows = v.extra.get("candidates")
    if not isinstance(rows, list):
        return []
    return [CandidateRow(label=str(r.get("label") or r.get("name")), cv_mae=fmt(r.get("cv_mae")),
                         cv_mae_se=fmt(r.get("cv_mae_se")), cv_rmse=fmt(r.get("cv_rmse")), chosen=bool(r.get("chosen")))
            for r in rows if isinstance(r, dict)]


@dataclass(frozen=True)
class GroupRow:
    field: str
    value: str
    rows: str
    mae: str
    champion_mae: str
    rmse: str
    coverage: str
    precision: str
    recall: str


def group_rows(v: ModelVersion, champion: ModelVersion | None = None) -> tuple[list[GroupRow], str | None]:
    """Quality per group on this version's holdout (beside the champion's own), and the largest MAE gap in words."""
    groups = v.extra.get("metrics_by_group")
    if not isinstance(groups, dict):
        return [], None
    theirs = champion.extra.get("metrics_by_group", {}) if champion is not None and champion.id != v.id else {}
    out: list[GroupRow] = []
    worst: tuple[float, str] | None = None
    for name in sorted(groups):
        values = groups[name] if isinstance(groups[name], dict) else {}
        for value, figures in sorted(values.items()):
            other = (theirs.get(name) or {}).get(value) or {}
            out.append(GroupRow(field=name, value=value, rows=fmt_int(figures.get("rows")), mae=fmt(figures.get("mae")),
                                champion_mae=fmt(other.get("mae")), rmse=fmt(figures.get("rmse")),
                                coverage=fmt(figures.get("coverage"), 2),
                                precision=fmt(figures.get("at_risk_precision"), 2),
                                recall=fmt(figures.get("at_risk_recall"), 2)))
        maes = {value: number(f.get("mae")) for value, f in values.items() if isinstance(f, dict)}
        known = {value: mae for value, mae in maes.items() if mae is not None}
        if len(known) >= 2:
            high, low = max(known, key=known.__getitem__), min(known, key=known.__getitem__)
            gap = known[high] - known[low]
            if worst is None or gap > worst[0]:
                worst = (gap, f"Largest gap: {name} = {high} (MAE {known[high]:.3f}) against {name} = {low} "
                              f"(MAE {known[low]:.3f}), {gap:.3f} grade points.")
    return out, worst[1] if worst else None


@dataclass(frozen=True)
class GainSummary:
    gain: float | None
    low: float | None
    high: float | None
    champion_version: int | None
    significant: bool | None
    sentence: str
    excludes_zero: bool | None

    @property
    def interval(self) -> str:
        if self.low is None or self.high is None:
            return MISSING
        return f"{fmt(self.low, signed=True)} to {fmt(self.high, signed=True)}"


def gain_summary(v: ModelVersion) -> GainSummary:
    """The gain over the champion with its 95 % interval, and one plain sentence about it."""
    h = v.holdout
    g = gain(v)
    low, high = number(h.get("gain_ci_low")), number(h.get("gain_ci_high"))
    champion = h.get("champion_version")
    significant = h.get("significant") if isinstance(h.get("significant"), bool) else None
    against = f"champion version {champion}" if champion is not None else "the champion"
    excludes: bool | None = None
    if number(h.get("champion_mae")) is None:
        sentence = ("There was no champion to compare with on this holdout (the track's first version, or the "
                    "champion could not be loaded), so there is no gain and no interval.")
    elif low is None or high is None:
        sentence = (f"No confidence interval was stored for this version, so the gain over {against} cannot be "
                    "told apart from holdout noise here.")
    elif low > 0:
        excludes = True
        sentence = (f"The 95 % interval ({fmt(low, signed=True)} to {fmt(high, signed=True)}) excludes zero: "
                    f"this version's lower MAE than {against} is unlikely to be holdout noise.")
    elif high < 0:
        excludes = True
        sentence = (f"The 95 % interval ({fmt(low, signed=True)} to {fmt(high, signed=True)}) excludes zero on "
                    f"the losing side: this version is worse than {against} on this holdout.")
    else:
        excludes = False
        sentence = (f"The 95 % interval ({fmt(low, signed=True)} to {fmt(high, signed=True)}) includes zero: "
                    f"on this holdout the difference from {against} could be noise.")
    return GainSummary(gain=g, low=low, high=high, champion_version=champion, significant=significant,
                       sentence=sentence, excludes_zero=excludes)


@dataclass(frozen=True)
class VersionRow:
    """One line of the versions list; ``sort`` holds the raw values the columns sort by."""

    v: ModelVersion
    status_label: str
    model: str
    mae: str
    rmse: str
    r2: str
    champion_mae: str
    champion_version: Any
    gain: str
    gain_interval: str
    window_rows: str
    window_span: str
    created_at: str
    decided_at: str
    sort: dict[str, Any]


def version_row(v: ModelVersion) -> VersionRow:
    g = gain_summary(v)
    return VersionRow(
        v=v, status_label=STATUS_LABELS[v.status], model=model_label(v), mae=fmt(v.metrics.get("mae")),
        rmse=fmt(v.metrics.get("rmse")),
        r2=fmt(v.metrics.get("r2")), champion_mae=fmt(v.holdout.get("champion_mae")),
        champion_version=v.holdout.get("champion_version"), gain=fmt(g.gain, signed=True), gain_interval=g.interval,
        window_rows=fmt_int(v.window.get("rows")), window_span=window_span(v.window, dates_only=True),
        created_at=fmt_time(v.created_at).removesuffix(" UTC"), decided_at=fmt_time(v.decided_at).removesuffix(" UTC"),
        sort={"track": v.track, "version": v.version, "status": STATUS_ORDER[v.status],
              "mae": number(v.metrics.get("mae")), "rmse": number(v.metrics.get("rmse")),
              "r2": number(v.metrics.get("r2")), "champion_mae": number(v.holdout.get("champion_mae")),
              "gain": g.gain, "window_rows": number(v.window.get("rows")), "created_at": v.created_at,
              "decided_at": v.decided_at},
    )


def default_order(rows: list[VersionRow]) -> list[VersionRow]:
    """Pending approvals first, then by track, newest version first."""
    return sorted(rows, key=lambda r: (r.v.status is not Status.PENDING_APPROVAL, r.v.track, -r.v.version))


def sort_rows(rows: list[VersionRow], key: str, *, descending: bool) -> list[VersionRow]:
    """Sort by one column; missing values last whichever the direction."""
    present = [r for r in rows if r.sort.get(key) is not None]
    missing = [r for r in rows if r.sort.get(key) is None]
    present.sort(key=lambda r: (r.sort[key], r.v.track, -r.v.version), reverse=descending)
    return present + default_order(missing)


def _describe(value: Any) -> str:
    if isinstance(value, float):
        return fmt(value, 4)
    if isinstance(value, datetime):
        return fmt_time(value)
    if value is None:
        return MISSING
    return str(value)


def stored_fields(v: ModelVersion) -> list[tuple[str, str]]:
    """Every stored field as (name, text); nested documents flattened, the large drift profile summarised."""
    out: list[tuple[str, str]] = [
        ("track", v.track), ("version", str(v.version)), ("status", v.status.value),
        ("created_at", fmt_time(v.created_at)), ("created_by", v.created_by),
        ("decided_by", v.decided_by or MISSING), ("decided_at", fmt_time(v.decided_at)),
        ("reason", v.reason or MISSING),
        ("artifact.uri", v.artifact.uri), ("artifact.sha256", v.artifact.sha256),
        ("artifact.size", fmt_size(v.artifact.size)),
    ]
    for section in ("metrics", "holdout", "window", "params", "extra"):
        values: dict[str, Any] = getattr(v, section)
        for key in sorted(values):
            value = values[key]
            if section == "extra" and key in ("candidates", "metrics_by_group"):
                out.append((f"{section}.{key}", "shown in its own table above"))
            elif section == "extra" and key == "profile":
                features = len(value) if isinstance(value, dict) else 0
                out.append((f"{section}.{key}", f"feature counts of the training window for {features} features "
                                                 "(the drift reference; not shown)"))
            else:
                out.append((f"{section}.{key}", _describe(value)))
    return out
