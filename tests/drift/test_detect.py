"""The drift decision: thresholds, correction, false alarms, shifted features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drift.detect import Thresholds, adjust, detect
from drift.entities import Verdict
from drift.profile import feature_specs, profile_frame
from predictions.generator import SHIFTS, generate_students

SPECS = feature_specs()


def verdict_of(reference: pd.DataFrame, current: pd.DataFrame, **kwargs):
    return detect(profile_frame(reference, SPECS), profile_frame(current, SPECS), SPECS, Thresholds(**kwargs))


def test_false_alarm_rate_on_the_real_data_stays_at_or_below_five_percent(uci_dir):
    """Two halves of the same real file, 200 times: the whole report says "drift" at most 5% of the time."""
    frame = pd.read_csv(uci_dir / "student-por.csv", sep=";")
    rng = np.random.default_rng(2008)
    alarms = 0
    for _ in range(200):
        order = rng.permutation(len(frame))
        verdict, _ = verdict_of(frame.iloc[order[:325]], frame.iloc[order[325:]])
        alarms += verdict is Verdict.DRIFT
    assert alarms / 200 <= 0.05


def test_two_samples_of_the_same_real_file_do_not_drift(uci_dir):
    frame = pd.read_csv(uci_dir / "student-por.csv", sep=";")
    # A fixed seed; the false-alarm test above bounds how often such a split drifts by chance (3%).
    sample = frame.sample(frac=0.5, random_state=0)

    verdict, features = verdict_of(sample, frame.drop(sample.index))

    assert verdict is Verdict.NO_DRIFT and not [f.name for f in features if f.drifted]


@pytest.mark.parametrize("shift", sorted(SHIFTS))
def test_a_shift_preset_flags_its_features_and_only_those(shift):
    verdict, features = verdict_of(generate_students(3000, seed=1), generate_students(3000, seed=2, shift=shift))

    assert verdict is Verdict.DRIFT
    assert sorted(f.name for f in features if f.drifted) == sorted(SHIFTS[shift].features)


def test_the_effect_size_gate_suppresses_a_trivial_but_significant_shift():
    reference = generate_students(200_000, seed=3)
    current = generate_students(200_000, seed=4)
    # Nudge 3% of students one absence up: significant at this size, too small to matter.
    bump = np.random.default_rng(5).random(len(current)) < 0.03
    current.loc[bump, "absences"] = np.minimum(current.loc[bump, "absences"] + 1, 93)

    verdict, features = verdict_of(reference, current)
    absences = next(f for f in features if f.name == "absences")

    assert absences.p_value < 0.05 and absences.effect_size < 0.1
    assert not absences.drifted and verdict is Verdict.NO_DRIFT
    gated_off, _ = verdict_of(reference, current, min_effect={"ks": 0.0, "chi2": 0.0})
    assert gated_off is Verdict.DRIFT


def test_too_few_rows_is_insufficient_data_not_a_verdict():
    verdict, features = verdict_of(generate_students(500, seed=1), generate_students(10, seed=2, shift="absences"))

    assert verdict is Verdict.INSUFFICIENT_DATA
    assert {f.note for f in features} == {"insufficient data"} and not any(f.drifted for f in features)


def test_corrections():
    p = [0.01, 0.02, 0.03, 0.5]

    assert adjust(p, "none") == p
    assert adjust(p, "bonferroni") == pytest.approx([0.04, 0.08, 0.12, 1.0])
    assert adjust(p, "benjamini-hochberg") == pytest.approx([0.04, 0.04, 0.04, 0.5])
    with pytest.raises(ValueError, match="unknown correction"):
        adjust(p, "holm-ish")


def test_dataset_share_decides_the_verdict():
    reference, current = generate_students(3000, seed=1), generate_students(3000, seed=2, shift="absences")

    assert verdict_of(reference, current, dataset_share=0.03)[0] is Verdict.DRIFT
    assert verdict_of(reference, current, dataset_share=0.2)[0] is Verdict.NO_DRIFT


def test_a_feature_can_use_another_test():
    specs = feature_specs({"Medu": "chi2"})

    medu = next(s for s in specs if s.name == "Medu")
    assert medu.test == "chi2" and medu.values == (0, 1, 2, 3, 4)
    verdict, features = detect(profile_frame(generate_students(2000, seed=1), specs),
                               profile_frame(generate_students(2000, seed=2), specs), specs, Thresholds())
    assert next(f for f in features if f.name == "Medu").test == "chi2"
    with pytest.raises(ValueError, match="categorical"):
        feature_specs({"school": "ks"})
