"""Synthetic students: schema-valid rows with a realistic joint structure, for demos,
load tests and drift demonstrations.

Built from published facts about the UCI data (Cortez & Silva 2008 and the data set's
documentation: ranges, rough marginal shares, directions of effect), never from its rows.
A latent "ability" drives the grades; past failures, absences, weekly study time, wanting
higher education, mother's education and alcohol use move it in their known directions;
G1 → G2 → G3 follow each other closely; a share of students drop out (G3 = 0, often G2 = 0).
Vectorised with numpy: a million rows take about a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from predictions import schema


@dataclass(frozen=True)
class Shift:
    description: str
    apply: Callable[[dict[str, np.ndarray], np.random.Generator], None]  # edits columns in place
    features: tuple[str, ...]  # the inputs it changes directly (drift should flag these)
    # Edits the grades after they are drawn: a change in how students are graded, which no
    # input shows and only new labels reveal (what retraining is for).
    regrade: Callable[[dict[str, np.ndarray], np.random.Generator], None] | None = None


def _more_absences(cols: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    extra = rng.poisson(8, size=cols["absences"].shape)
    cols["absences"] = np.minimum(cols["absences"] + extra, 93)


def _less_study(cols: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    drop = rng.random(cols["studytime"].shape) < 0.6
    cols["studytime"] = np.where(drop, np.maximum(cols["studytime"] - 1, 1), cols["studytime"])


def _school_mix(cols: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    cols["school"] = np.where(rng.random(cols["school"].shape) < 0.7, "MS", "GP")


def _stricter_final(cols: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    drop = rng.choice([1, 2, 3], size=cols["G3"].shape, p=[0.25, 0.5, 0.25])
    cols["G3"] = np.where(cols["G3"] > 0, np.maximum(cols["G3"] - drop, 0), 0)


SHIFTS: dict[str, Shift] = {
    "absences": Shift("more absences (about 8 more per student)", _more_absences, ("absences",)),
    "study": Shift("less weekly study time (60% of students one band lower)", _less_study, ("studytime",)),
    "school-mix": Shift("a different school mix (70% MS instead of about 35%)", _school_mix, ("school",)),
    "term": Shift(
        "a harder term: more absences and less study time together",
        lambda cols, rng: (_more_absences(cols, rng), _less_study(cols, rng)) and None,
        ("absences", "studytime"),
    ),
    "harder-year": Shift(
        "a harder year: more absences, less study time, and a final exam graded about 2 points lower",
        lambda cols, rng: (_more_absences(cols, rng), _less_study(cols, rng)) and None,
        ("absences", "studytime"),
        regrade=_stricter_final,
    ),
}


def _pick(rng: np.random.Generator, values: list, p: list[float], n: int) -> np.ndarray:
    weights = np.asarray(p, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=weights / weights.sum())]


def _yes(rng: np.random.Generator, share: float | np.ndarray, n: int) -> np.ndarray:
    return np.where(rng.random(n) < share, "yes", "no").astype(object)


def _clip_int(values: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(values), low, high).astype(np.int64)


def _attributes(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    cols["school"] = _pick(rng, ["GP", "MS"], [0.65, 0.35], n)
    cols["sex"] = _pick(rng, ["F", "M"], [0.59, 0.41], n)
    cols["age"] = _pick(
        rng, [15, 16, 17, 18, 19, 20, 21, 22], [0.17, 0.27, 0.28, 0.22, 0.05, 0.006, 0.003, 0.001], n
    ).astype(np.int64)
    ms = cols["school"] == "MS"
    cols["address"] = np.where(rng.random(n) < np.where(ms, 0.48, 0.22), "R", "U").astype(object)
    cols["famsize"] = _pick(rng, ["GT3", "LE3"], [0.70, 0.30], n)
    cols["Pstatus"] = _pick(rng, ["T", "A"], [0.88, 0.12], n)
    medu = _pick(rng, [0, 1, 2, 3, 4], [0.01, 0.21, 0.29, 0.21, 0.28], n).astype(np.int64)
    cols["Medu"] = medu
    # Parents' education levels go together.
    cols["Fedu"] = _clip_int(medu + rng.normal(-0.25, 0.9, n), 0, 4)
    cols["Mjob"] = np.where(
        medu >= 4, _pick(rng, ["teacher", "health", "services", "other", "at_home"], [0.4, 0.15, 0.2, 0.2, 0.05], n),
        _pick(rng, ["other", "services", "at_home", "health", "teacher"], [0.42, 0.22, 0.26, 0.05, 0.05], n))
    cols["Fjob"] = _pick(rng, ["other", "services", "at_home", "teacher", "health"], [0.56, 0.28, 0.06, 0.06, 0.04], n)
    cols["reason"] = _pick(rng, ["course", "home", "reputation", "other"], [0.44, 0.23, 0.22, 0.11], n)
    cols["guardian"] = _pick(rng, ["mother", "father", "other"], [0.70, 0.24, 0.06], n)
    cols["traveltime"] = _clip_int(np.where(cols["address"] == "R", 1.9, 1.3) + rng.normal(0, 0.7, n), 1, 4)
    female = cols["sex"] == "F"
    cols["studytime"] = _clip_int(np.where(female, 2.2, 1.7) + rng.normal(0, 0.75, n), 1, 4)
    failure_p = np.where(cols["age"] >= 18, 0.35, 0.12)
    cols["failures"] = np.where(rng.random(n) < failure_p, rng.choice([1, 1, 1, 2, 3], size=n), 0).astype(np.int64)
    cols["schoolsup"] = _yes(rng, 0.11, n)
    cols["famsup"] = _yes(rng, 0.61, n)
    cols["paid"] = _yes(rng, 0.10, n)
    cols["activities"] = _yes(rng, 0.49, n)
    cols["nursery"] = _yes(rng, 0.80, n)
    cols["higher"] = _yes(rng, np.where(cols["failures"] > 0, 0.70, 0.93), n)
    cols["internet"] = _yes(rng, np.where(cols["address"] == "U", 0.82, 0.66), n)
    cols["romantic"] = _yes(rng, 0.37, n)
    cols["famrel"] = _pick(rng, [1, 2, 3, 4, 5], [0.03, 0.04, 0.16, 0.49, 0.28], n).astype(np.int64)
    cols["freetime"] = _pick(rng, [1, 2, 3, 4, 5], [0.07, 0.16, 0.39, 0.27, 0.11], n).astype(np.int64)
    cols["goout"] = _pick(rng, [1, 2, 3, 4, 5], [0.07, 0.22, 0.32, 0.22, 0.17], n).astype(np.int64)
    dalc_base = np.where(female, 1.2, 1.7) + 0.25 * (cols["goout"] - 3)
    cols["Dalc"] = _clip_int(dalc_base + np.abs(rng.normal(0, 0.6, n)) - 0.3, 1, 5)
    cols["Walc"] = _clip_int(cols["Dalc"] + 0.6 + 0.35 * (cols["goout"] - 3) + rng.normal(0, 0.8, n), 1, 5)
    cols["health"] = _pick(rng, [1, 2, 3, 4, 5], [0.14, 0.11, 0.19, 0.17, 0.39], n).astype(np.int64)
    # Absences: most students few, a long tail (median about 2, mean about 4-6).
    heavy = rng.random(n) < 0.08
    cols["absences"] = np.minimum(
        np.where(heavy, rng.poisson(18, n), rng.negative_binomial(1, 0.3, n)), 93
    ).astype(np.int64)
    return cols


def _grades(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    yes = lambda name: (cols[name] == "yes").astype(float)  # noqa: E731
    ability = (
        rng.normal(0, 2.2, n)
        - 1.4 * cols["failures"]
        + 0.45 * (cols["studytime"] - 2)
        + 1.3 * (yes("higher") - 0.9)
        + 0.3 * (cols["Medu"] - 2.5)
        - 0.25 * (cols["Dalc"] - 1.5)
        - 0.04 * cols["absences"]
        + 0.5 * (cols["school"] == "GP")
        - 0.3 * yes("schoolsup")
    )
    g1 = 11.3 + ability + rng.normal(0, 1.1, n)
    g2 = g1 + rng.normal(0.1, 1.0, n)
    g3 = g2 + rng.normal(0.2, 0.9, n)
    # With rounding, G3 equals G2 for about half the students, as in the real data.
    g3 = np.where(rng.random(n) < 0.2, g2, g3)
    g1i, g2i, g3i = _clip_int(g1, 0, 20), _clip_int(g2, 0, 20), _clip_int(g3, 0, 20)
    # Drop-outs: no final grade (0), more likely after failures and many absences.
    dropout_p = 0.02 + 0.05 * np.minimum(cols["failures"], 2) + 0.0015 * cols["absences"]
    dropout = rng.random(n) < dropout_p
    g3i = np.where(dropout, 0, g3i)
    g2i = np.where(dropout & (rng.random(n) < 0.6), 0, g2i)
    cols["G1"], cols["G2"], cols["G3"] = g1i, g2i, g3i


def generate_students(rows: int, seed: int, shift: str | None = None) -> pd.DataFrame:
    """``rows`` students (UCI columns, G1-G3 included), identical for the same seed and shift."""
    if rows < 0:
        raise ValueError("rows must be zero or more")
    if shift is not None and shift not in SHIFTS:
        raise ValueError(f"unknown shift {shift!r}: choose one of {', '.join(SHIFTS)}")
    rng = np.random.default_rng(seed)
    cols = _attributes(rng, rows)
    if shift is not None:
        SHIFTS[shift].apply(cols, np.random.default_rng([seed, 1]))
    _grades(cols, rng, rows)
    if shift is not None and SHIFTS[shift].regrade is not None:
        SHIFTS[shift].regrade(cols, np.random.default_rng([seed, 2]))
    return pd.DataFrame({name: cols[name] for name in schema.BY_NAME})


def write_students_csv(frame: pd.DataFrame, path: str, *, uci_format: bool = True) -> None:
    """Write in the UCI format (``;``, strings quoted) or as plain comma-separated values."""
    import csv

    if uci_format:
        frame.to_csv(path, sep=";", index=False, quoting=csv.QUOTE_NONNUMERIC)
    else:
        frame.to_csv(path, sep=",", index=False)
