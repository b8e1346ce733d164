"""The drift report in plain words, and charts that read: schema labels, binned wide features."""

from __future__ import annotations

from datetime import UTC, datetime

from drift import charts, summary
from drift.entities import DriftReport, FeatureDrift, Verdict


def _feature(name: str, values: list, ref: list[int], cur: list[int], *, drifted: bool, effect: float) -> FeatureDrift:
    return FeatureDrift(name, "ks", effect, 1e-9 if drifted else 0.5, 1e-8 if drifted else 0.6, effect, drifted, "",
                        ref, cur, values)


ABSENCES = _feature("absences", list(range(94)), [0] * 4 + [100] + [0] * 89, [0] * 10 + [100] + [0] * 83,
                    drifted=True, effect=0.6)
MJOB = _feature("Mjob", ["teacher", "health", "services", "at_home", "other"], [30, 10, 30, 12, 18],
                [15, 5, 15, 40, 25], drifted=True, effect=0.3)
STUDY = _feature("studytime", [1, 2, 3, 4], [20, 50, 20, 10], [50, 30, 15, 5], drifted=True, effect=0.4)
AGE = _feature("age", list(range(15, 23)), [10, 20, 30, 20, 10, 5, 3, 2], [10, 21, 29, 20, 10, 5, 3, 2],
               drifted=False, effect=0.01)


def _report(*features: FeatureDrift, verdict: Verdict = Verdict.DRIFT) -> DriftReport:
    return DriftReport("r1", datetime(2026, 10, 1, tzinfo=UTC), "C", verdict, 1, 600, 400, None, None,
                       list(features), {"min_rows": 30}, "tests")


def test_the_summary_names_the_changed_features_in_the_schemas_words_largest_first():
    sentences = [c.sentence for c in summary.changes(_report(AGE, MJOB, ABSENCES, STUDY))]

    assert sentences == ["School absences, typical student: 4 → 10",
                         "Weekly study time, typical student: “2 to 5 hours” → “under 2 hours”",
                         "Mother's job “At home”: 12 % → 40 %"]


def test_without_drift_the_largest_shifts_are_named_and_nothing_is_to_be_done():
    report = _report(AGE, verdict=Verdict.NO_DRIFT)
    [change] = summary.changes(report)

    assert change.sentence == "Age, average: 17.4 → 17.4" and not change.drifted
    assert summary.advice(report, alert_state="ok", track="C").action == "Nothing to do."


def test_the_advice_says_retrain_when_the_alert_fires_and_check_the_source_on_drift_alone():
    report = _report(ABSENCES)
    assert "python manage.py retrain --track C" in summary.advice(report, alert_state="alert", track="C").action
    drift_only = summary.advice(report, alert_state="insufficient_data", track="C")
    assert drift_only.level == "watch" and "check the data source" in drift_only.action
    assert summary.advice(_report(verdict=Verdict.INSUFFICIENT_DATA)).level == "wait"


def test_wide_numeric_charts_are_binned_and_every_chart_is_titled_with_the_label():
    config = charts.distribution_chart(ABSENCES)

    assert config["data"]["labels"][:4] == ["0", "1", "2", "3–4"] and config["data"]["labels"][-1] == "80–93"
    assert len(config["data"]["labels"]) == 11
    assert [sum(d["data"]) for d in config["data"]["datasets"]] == [1.0, 1.0]  # bins keep every student
    assert config["options"]["plugins"]["title"]["text"] == "School absences: share of students"
    assert charts.distribution_chart(MJOB)["data"]["labels"][3] == "At home"
    assert charts.effect_chart(_report(ABSENCES, MJOB))["data"]["labels"] == ["School absences", "Mother's job"]
