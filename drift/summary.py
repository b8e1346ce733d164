"""A drift report in plain words: what changed, in the schema's labels, what it means, what to do.

Pure functions (no store, no Django): the dashboard and its tests call them with a report
and, when known, the live-accuracy alert and the label-free estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from drift.entities import DriftReport, FeatureDrift, Verdict
from predictions import schema
from predictions.schema import Kind

NAMED = 5  # features named in the summary at most


@dataclass(frozen=True)
class Change:
    name: str
    label: str
    before: str
    after: str
    drifted: bool
    effect: float | None

    @property
    def sentence(self) -> str:
        return f"{self.label}: {self.before} → {self.after}"


@dataclass(frozen=True)
class Advice:
    headline: str
    meaning: str
    action: str
    level: str  # ok | watch | act | wait


def _median(values: list, counts: list[int]) -> float:
    cumulative = np.cumsum(counts)
    return float(values[int(np.searchsorted(cumulative, cumulative[-1] / 2))])


def _mean(values: list, counts: list[int]) -> float:
    return float(np.average(np.asarray(values, dtype=float), weights=counts))


def _scale_text(field: schema.Field, code: int) -> str:
    words = dict(field.scale).get(code)
    # Scale texts start with their code ("2 2 to 5 hours"): people need only the words.
    return f"“{words.split(' ', 1)[1]}”" if words and " " in words else str(code)


def _share(count: int, total: int) -> str:
    return f"{round(100 * count / total)} %" if total else "–"


def describe(feature: FeatureDrift) -> Change | None:
    """The change of one feature in words, or None when either side has no rows."""
    field = schema.BY_NAME[feature.name]
    ref, cur = feature.reference_counts, feature.current_counts
    if not sum(ref) or not sum(cur):
        return None
    if field.kind is Kind.CATEGORICAL:
        ref_total, cur_total = sum(ref), sum(cur)
        gaps = [abs(c / cur_total - r / ref_total) for r, c in zip(ref, cur, strict=True)]
        i = int(np.argmax(gaps))
        label = dict(field.choices).get(feature.values[i], str(feature.values[i]))
        return Change(feature.name, f"{field.label} “{label}”", _share(ref[i], ref_total), _share(cur[i], cur_total),
                      feature.drifted, feature.effect_size)
    before, after = _median(feature.values, ref), _median(feature.values, cur)
    if before != after:
        if field.scale:
            return Change(feature.name, f"{field.label}, typical student", _scale_text(field, int(before)),
                          _scale_text(field, int(after)), feature.drifted, feature.effect_size)
        return Change(feature.name, f"{field.label}, typical student", f"{before:g}", f"{after:g}", feature.drifted,
                      feature.effect_size)
    return Change(feature.name, f"{field.label}, average", f"{_mean(feature.values, ref):.1f}",
                  f"{_mean(feature.values, cur):.1f}", feature.drifted, feature.effect_size)


def changes(report: DriftReport) -> list[Change]:
    """The features that changed most: the drifted ones by effect size, else the largest shifts."""
    tested = sorted((f for f in report.features if f.effect_size is not None),
                    key=lambda f: (not f.drifted, -(f.effect_size or 0.0)))
    drifted = [f for f in tested if f.drifted]
    chosen = drifted[:NAMED] if drifted else tested[:3]
    return [c for c in (describe(f) for f in chosen) if c is not None]


def advice(report: DriftReport | None, *, alert_state: str | None = None, track: str = "") -> Advice:
    """What the report (and the live-accuracy alert) means for the people using the track."""
    retrain = f"python manage.py retrain --track {track}" if track else "python manage.py retrain"
    if alert_state == "alert":
        return Advice("The model has become less accurate.",
                      "Actual grades show its errors are clearly larger than when it was tested.",
                      f"Retrain on the newest labelled students ({retrain}) and check whether grading or the data "
                      "source changed.", "act")
    if report is None:
        return Advice("No drift check yet.",
                      f"Nothing has been compared so far: the first check can judge once {settings.DRIFT_MIN_ROWS} "
                      "predictions of this track are logged.",
                      "Run a check (Check now, or python manage.py detect_drift); the scheduler runs one nightly.",
                      "wait")
    if report.verdict == Verdict.INSUFFICIENT_DATA:
        return Advice("Too few students to judge yet.",
                      f"{report.current_rows} students were predicted since this model became champion; at least "
                      f"{report.settings.get('min_rows', 30)} are needed before a change can be told from chance.",
                      "Nothing to do: check again once more predictions are made.", "wait")
    if report.verdict == Verdict.DRIFT:
        return Advice("The students differ from those the model learnt from.",
                      "Predictions for them may be less accurate than the model's test figures; actual grades will "
                      "tell (the accuracy above shows them as they arrive).",
                      "If the change is unexpected, check the data source (a new school, a changed form or "
                      f"import). If it is real, retrain once their grades arrive ({retrain}).", "watch")
    return Advice("No change that matters.",
                  "The students being predicted look like those the model learnt from.", "Nothing to do.", "ok")
