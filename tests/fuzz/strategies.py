"""Hypothesis strategies for students and their CSV files, derived from the schema (no column
is listed here).

Values come in three sorts: valid ones in every spelling the rules accept (numbers as
ints, whole floats or numeric strings; categories in any case with spaces around), values
at and just beyond each bound, and junk (wrong types, random text, odd numbers). Files:
random bytes, random text, CSV-shaped text with every flaw a real file has, valid files in
every accepted format and column order, and valid files mutated byte by byte.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from predictions import schema
from predictions.schema import Kind
from tests.builders import csv_bytes

FIELDS = [f for f in schema.FIELDS if f.name != schema.TARGET]
NUMERIC = [f for f in FIELDS if f.kind is Kind.NUMERIC]


def fuzz_settings(scale: float = 1.0, **overrides: Any) -> settings:
    """The chosen profile (HYPOTHESIS_PROFILE, default ``ci``; see conftest.py), plus overrides.

    ``scale`` shrinks the example count of a slow test in proportion, in every profile.
    """
    profile = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
    return settings(profile, max_examples=max(5, round(profile.max_examples * scale)), **overrides)


def canonical_values() -> st.SearchStrategy[dict[str, Any]]:
    """A valid student's canonical values: all 30 attributes and a consistent pair of grades."""
    grades = schema.BY_NAME["G1"]
    attributes = {
        f.name: st.sampled_from(f.values) if f.kind is Kind.CATEGORICAL
        else st.integers(f.min_value, f.max_value)
        for f in FIELDS if f.required
    }
    assert grades.min_value is not None and grades.max_value is not None
    grade = st.integers(grades.min_value, grades.max_value)
    pairs = st.one_of(st.tuples(st.none(), st.none()), st.tuples(grade, st.none()), st.tuples(grade, grade))
    return st.builds(lambda a, g: {**a, "G1": g[0], "G2": g[1]}, st.fixed_dictionaries(attributes), pairs)


def spelling(f: schema.Field, canonical: Any, *, as_text: bool) -> st.SearchStrategy[Any]:
    """Ways of writing a valid value that must clean to ``canonical``."""
    if canonical is None:
        return st.sampled_from(["", " ", None] if not as_text else ["", " "])
    space = st.sampled_from(["", " ", "  ", "\t"])
    if f.kind is Kind.CATEGORICAL:
        cased = st.sampled_from([canonical, canonical.lower(), canonical.upper(), canonical.swapcase()])
        return st.builds(lambda a, v, b: f"{a}{v}{b}", space, cased, space)
    texts = st.sampled_from([str(canonical), f"+{canonical}", f"0{canonical}", f"{canonical}.0", f"{canonical}.00"])
    text = st.builds(lambda a, v, b: f"{a}{v}{b}", space, texts, space)
    return text if as_text else st.one_of(text, st.just(canonical), st.just(float(canonical)))


def bound_values(f: schema.Field) -> st.SearchStrategy[tuple[Any, bool]]:
    """(value, accepted?) at and just beyond the field's bounds or allowed values."""
    if f.kind is Kind.CATEGORICAL:
        near = [v + "x" for v in f.values] + [v[:-1] for v in f.values if len(v) > 1] + ["", "-"]
        return st.one_of(st.sampled_from([(v, True) for v in f.values]),
                         st.sampled_from([(v, False) for v in near if v and v.lower() not in
                                          {x.lower() for x in f.values}]))
    assert f.min_value is not None and f.max_value is not None
    lo, hi = f.min_value, f.max_value
    cases = [(lo, True), (hi, True), (lo - 1, False), (hi + 1, False), (lo - 1000, False), (hi + 10**7, False),
             (hi + 10**30, False), (lo + 0.5, False), (hi - 0.5, False)]
    return st.sampled_from(cases).flatmap(
        lambda case: st.sampled_from([case, (str(case[0]), case[1]), (float(case[0]), case[1])])
    )


# Junk: wrong types and awkward values any field may receive from JSON, a form or a file.
JUNK: st.SearchStrategy[Any] = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Zs", "Cc"]), max_size=6),
    st.sampled_from(["1e1", "1_0", "0x10", "٣", "١٥", "²", "1.5", "-0", "+-1", "nan", "inf", "None", "null",
                     "true", "9" * 30, "yes ", " GP", "at home", "at_home\n", "\u00a0GP", "ＧＰ", "5\x00"]),
    st.lists(st.integers(0, 5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


# --- CSV files ----------------------------------------------------------------------------------

NAMES = list(schema.BY_NAME)
HEADER_JUNK = ["name", "Name", "AGE", "g1", "", " ", "G3 ", '"', "x;y", "Unnamed: 0", "\ufeffschool"]


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


@st.composite
def csv_shaped(draw: st.DrawFn) -> bytes:
    """Text that looks like a students' CSV, with every kind of flaw a real file has."""
    delimiter = draw(st.sampled_from([";", ",", "\t", "|"]))
    names = draw(st.permutations(NAMES))[: draw(st.integers(0, len(NAMES)))]
    names += draw(st.lists(st.sampled_from(HEADER_JUNK + NAMES), max_size=3))
    names = draw(st.permutations(names))
    junk = st.one_of(
        st.sampled_from([v for f in FIELDS for v in f.values] + [str(i) for i in range(-1, 25)] + ["", " "]),
        JUNK.map(str),
        st.text(alphabet=';,"\t\r\n |ab1', max_size=5),
    )
    lines = [delimiter.join(_quote(n) if draw(st.booleans()) and n else n for n in names)]
    for _ in range(draw(st.integers(0, 6))):
        # Mostly a real student's values, a few cells junk, sometimes a row too short or too long.
        student = {**draw(canonical_values()), "G3": draw(st.integers(0, 20))}
        good = {name: draw(spelling(schema.BY_NAME[name], student[name], as_text=True)) or ""
                for name in names if name in schema.BY_NAME}
        cells = [draw(junk) if name not in good or draw(st.integers(0, 7)) == 0 else good[name] for name in names]
        cells = cells[: max(0, len(cells) + draw(st.sampled_from([0, 0, 0, 0, -1, -len(names)])))]
        cells += draw(st.lists(junk, max_size=1)) if draw(st.integers(0, 6)) == 0 else []
        lines.append(delimiter.join(_quote(c) if draw(st.booleans()) else c for c in cells))
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", " ", delimiter * 3])))
    line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = line_end.join(lines) + draw(st.sampled_from(["", line_end, line_end * 2]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1252"]))
    return (bom + text).encode(encoding, errors="replace")


@st.composite
def valid_files(draw: st.DrawFn, *, rows: tuple[int, int] = (1, 8)) -> tuple[bytes, list[dict[str, Any]]]:
    """A valid labelled file in a random accepted format and column order, and its canonical rows."""
    canonical = [{**draw(canonical_values()), "G3": draw(st.integers(0, 20))} for _ in range(draw(st.integers(*rows)))]
    target = schema.BY_NAME[schema.TARGET]
    spelt = [{f.name: draw(spelling(f, row[f.name], as_text=True)) for f in [*FIELDS, target]} for row in canonical]
    columns = draw(st.permutations(NAMES))
    data = csv_bytes(spelt, columns=columns, delimiter=draw(st.sampled_from([";", ","])),
                     quote_strings=draw(st.booleans()), line_end=draw(st.sampled_from(["\n", "\r\n"])),
                     bom=draw(st.booleans()))
    return data, canonical


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid file with a few bytes replaced, inserted or removed."""
    data = bytearray(draw(valid_files(rows=(1, 3)))[0])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw(st.one_of(st.sampled_from(list(b';,"\r\n\x00\xff\xef -.')), st.integers(0, 255)))
        if op == "insert" or at == len(data):
            data.insert(at, byte)
        elif op == "replace":
            data[at] = byte
        else:
            del data[at]
    return bytes(data)


ANY_FILE = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    csv_shaped(),
    mutated(),
)
