"""Validation against the student schema: one record (form, API) or a whole table (files).

Both return every problem at once, each naming its field (and, for tables, its row) with a
reason a teacher understands. Decisions, documented in the README:

- Categorical values are matched ignoring case and surrounding spaces and stored in the
  canonical UCI spelling ("yes", "GP"). Numbers may arrive as numbers or numeric strings
  (the UCI files quote G1/G2); they must be whole and within the documented range.
- Unknown fields in a record are errors (a typo such as ``abscences`` or ``g1`` must not
  silently change the prediction). In a table, extra columns are ignored and reported,
  so a teacher's sheet may carry a name column, except columns that differ from a schema
  name only by case, which are errors for the same reason.
- G2 without G1 is an error (no model track takes it).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from predictions import schema
from predictions.schema import Kind

_INTEGER = re.compile(r"^[+-]?\d+(?:\.0*)?$")


class Target(StrEnum):
    """What to do with G3 (the label)."""

    REQUIRED = "required"  # labelled data: training rows
    FORBIDDEN = "forbidden"  # unlabelled data: a G3 value would be mistaken for a label
    IGNORED = "ignored"  # prediction requests: G3 is not an input


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None  # None: the problem is with the whole row or file
    reason: str
    value: Any = None
    row: int | None = None  # spreadsheet numbering: the header is row 1

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.value is not None:
            # Infinity and NaN (a JSON number such as 1e400 parses to infinity) are no JSON values.
            plain = isinstance(self.value, int | bool) or (isinstance(self.value, float) and math.isfinite(self.value))
            out["value"] = self.value if plain else str(self.value)
        if self.row is not None:
            out["row"] = self.row
        return out

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        name = f"{self.field}: " if self.field else ""
        value = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}{name}{self.reason}{value}"


@dataclass(frozen=True)
class RecordResult:
    values: dict[str, Any]
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class TableResult:
    frame: pd.DataFrame  # typed, canonical values; one row per input row (bad cells: NA)
    errors: list[FieldError]  # row errors, in row order
    file_errors: list[FieldError]  # problems with the columns: nothing can be imported
    valid: np.ndarray  # bool per row
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors


def _fields_for(target: Target) -> list[schema.Field]:
    return [f for f in schema.FIELDS if f.name != schema.TARGET or target is not Target.IGNORED]


def _missing(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and np.isnan(raw):
        return True
    return isinstance(raw, str) and raw.strip() == ""


def _range_reason(f: schema.Field) -> str:
    return f"must be from {f.min_value} to {f.max_value}"


def clean_value(f: schema.Field, raw: Any) -> tuple[Any, str | None]:
    """One value's canonical form, or a reason it is not acceptable (raw is not missing)."""
    if f.kind is Kind.CATEGORICAL:
        if not isinstance(raw, str):
            return None, f"must be {f.describe_allowed()}"
        lowered = raw.strip().lower()
        for value in f.values:
            if value.lower() == lowered:
                return value, None
        return None, f"must be {f.describe_allowed()}"
    if isinstance(raw, bool):
        return None, f"must be {f.describe_allowed()}, not true/false"
    if isinstance(raw, int | np.integer):
        number = int(raw)
    elif isinstance(raw, float | np.floating):
        if not float(raw).is_integer():
            return None, f"must be {f.describe_allowed()}"
        number = int(raw)
    elif isinstance(raw, str) and _INTEGER.match(raw.strip()):
        whole = raw.strip().split(".")[0]
        if len(whole.lstrip("+-").lstrip("0")) > 6:  # far out of range; int(float()) would overflow
            return None, _range_reason(f)
        number = int(whole)
    else:
        return None, f"must be {f.describe_allowed()}"
    assert f.min_value is not None and f.max_value is not None
    if not f.min_value <= number <= f.max_value:
        return None, _range_reason(f)
    return number, None


def _unknown_field_reason(name: str) -> str:
    near = difflib.get_close_matches(name, schema.BY_NAME, n=1, cutoff=0.75)
    lowered = {n.lower(): n for n in schema.BY_NAME}
    if name.lower() in lowered:
        return f"unknown field; names are case-sensitive: did you mean {lowered[name.lower()]!r}?"
    if near:
        return f"unknown field; did you mean {near[0]!r}?"
    return "unknown field; fields are the UCI column names (school, sex, age, … absences, G1, G2)"


def validate_record(data: Mapping[str, Any], target: Target = Target.IGNORED) -> RecordResult:
    """Check one student (a dict from a form or a JSON body)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        return RecordResult({}, [FieldError(None, "expected an object with one student's fields")])
    known = {f.name for f in _fields_for(target)}
    for name in data:
        if name not in known and not (name == schema.TARGET and target is Target.IGNORED):
            errors.append(FieldError(str(name), _unknown_field_reason(str(name))))
    for f in _fields_for(target):
        raw = data.get(f.name)
        if _missing(raw):
            values[f.name] = None
            if f.required or (f.name == schema.TARGET and target is Target.REQUIRED):
                errors.append(FieldError(f.name, "is required"))
            continue
        if f.name == schema.TARGET and target is Target.FORBIDDEN:
            errors.append(FieldError(f.name, "must be empty in unlabelled data (use a labelled import for G3)", raw))
            continue
        value, reason = clean_value(f, raw)
        values[f.name] = value
        if reason:
            errors.append(FieldError(f.name, reason, raw))
    # Any G2 without G1 is reported, even a G2 that is itself wrong: every problem at once, as tables do.
    if not _missing(data.get("G2")) and _missing(data.get("G1")):
        errors.append(FieldError("G2", "was given without G1: give the first period grade too, or leave both empty"))
    values.pop(schema.TARGET, None) if target is Target.IGNORED else None
    return RecordResult(values, errors)


def _column_errors(columns: list[str], target: Target) -> tuple[list[FieldError], list[str]]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            errors.append(FieldError(name, "column appears more than once in the header"))
        seen.add(name)
    expected = [f for f in _fields_for(target)]
    for f in expected:
        if f.name in seen:
            continue
        if f.required or (f.name == schema.TARGET and target is Target.REQUIRED):
            reason = "column is missing" + (
                " (a labelled file needs the final grade G3)" if f.name == schema.TARGET else ""
            )
            errors.append(FieldError(f.name, reason))
    known = {f.name for f in expected} | {schema.TARGET}
    ignored: list[str] = []
    lowered = {n.lower(): n for n in schema.BY_NAME}
    for name in dict.fromkeys(columns):
        if name in known:
            continue
        if name.lower() in lowered:
            errors.append(FieldError(name, f"unknown column; names are case-sensitive: did you mean "
                                           f"{lowered[name.lower()]!r}?"))
        else:
            ignored.append(name)
    return errors, ignored


# Columns whose values factorize safely (strings from files; numbers of one kind; booleans alone).
_FACTORIZABLE = frozenset({"string", "empty", "integer", "floating", "mixed-integer-float", "boolean"})


def _column_cells(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Factorize a column: codes per row and its distinct raw values (missing = -1).

    Files have few distinct values per column (at most 94 for absences), so checking each
    distinct value once with ``clean_value`` and broadcasting by code validates a million
    rows in C-speed passes while sharing every rule with ``validate_record``.
    """
    values = column.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in _FACTORIZABLE:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return codes, list(uniques)
    # Mixed values, as a JSON list of students may have: in Python True == 1 (hashed alike),
    # so factorize would judge every True by the first 1 seen or the reverse, and lists and
    # objects cannot be hashed at all. Tell values apart by type too; each unhashable value
    # is its own.
    codes = np.empty(len(values), dtype=np.intp)
    distinct: list[Any] = []
    seen: dict[tuple[type, Any], int] = {}
    for i, value in enumerate(values):
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            codes[i] = -1
            continue
        try:
            code = seen.setdefault((type(value), value), len(distinct))
        except TypeError:
            code = len(distinct)
        if code == len(distinct):
            distinct.append(value)
        codes[i] = code
    return codes, distinct


def validate_table(raw: pd.DataFrame, target: Target) -> TableResult:
    """Check a whole table at once (vectorised per column, not per row)."""
    columns = [str(c) for c in raw.columns]
    file_errors, ignored = _column_errors(columns, target)
    n = len(raw)
    clean: dict[str, Any] = {}
    bad_rows = np.zeros(n, dtype=bool)
    collected: list[tuple[int, int, FieldError]] = []
    order = {name: i for i, name in enumerate(schema.BY_NAME)}

    def report(positions: np.ndarray, name: str, reasons: list[str | None] | str,
               codes: np.ndarray | None = None, uniques: list[Any] | None = None) -> None:
        if positions.size == 0:
            return
        bad_rows[positions] = True
        for pos in positions.tolist():
            if isinstance(reasons, str):
                reason, value = reasons, None
            else:
                assert codes is not None and uniques is not None
                reason, value = reasons[codes[pos]], uniques[codes[pos]]
            collected.append((pos, order[name], FieldError(name, str(reason), value, row=pos + 2)))

    present_by_name: dict[str, np.ndarray] = {}
    duplicated = {c for c in columns if columns.count(c) > 1}
    for f in _fields_for(target):
        if f.name not in raw.columns or f.name in duplicated:
            continue
        codes, uniques = _column_cells(raw[f.name])
        is_missing = np.array([_missing(u) for u in uniques] + [True], dtype=bool)
        missing = is_missing[codes]  # code -1 indexes the trailing True
        present_by_name[f.name] = ~missing
        if f.name == schema.TARGET and target is Target.FORBIDDEN:
            forbidden = [None if m else "must be empty in unlabelled data (use a labelled import for G3)"
                         for m in is_missing[:-1]]
            report(np.flatnonzero(~missing), f.name, forbidden, codes, uniques)
            continue
        if f.required or (f.name == schema.TARGET and target is Target.REQUIRED):
            report(np.flatnonzero(missing), f.name, "is required")
        cleaned: list[Any] = []
        reasons: list[str | None] = []
        for value, gone in zip(uniques, is_missing[:-1], strict=True):
            good, reason = (None, None) if gone else clean_value(f, value)
            cleaned.append(good)
            reasons.append(reason)
        has_reason = np.array([r is not None for r in reasons] + [False], dtype=bool)
        report(np.flatnonzero(has_reason[codes]), f.name, reasons, codes, uniques)
        if f.kind is Kind.CATEGORICAL:
            lookup = np.array(cleaned + [None], dtype=object)
            clean[f.name] = pd.array(lookup[codes], dtype="string")
        else:
            ints = np.array([0 if c is None else c for c in cleaned] + [0], dtype="int64")
            usable = np.array([c is not None for c in cleaned] + [False], dtype=bool)
            clean[f.name] = pd.arrays.IntegerArray(ints[codes], ~usable[codes])
    if "G2" in present_by_name and "G1" not in duplicated:
        # A file with a G2 column but no G1 column gives G2 without G1 on every such row.
        g1_present = present_by_name.get("G1", np.zeros(n, dtype=bool))
        g2_alone = present_by_name["G2"] & ~g1_present
        report(np.flatnonzero(g2_alone), "G2",
               "was given without G1: give the first period grade too, or leave both empty")
    if target is not Target.REQUIRED:
        clean.pop(schema.TARGET, None)

    collected.sort(key=lambda item: (item[0], item[1]))
    return TableResult(
        frame=pd.DataFrame(clean, index=pd.RangeIndex(n)),
        errors=[error for _, _, error in collected],
        file_errors=file_errors,
        valid=~bad_rows if not file_errors else np.zeros(n, dtype=bool),
        ignored_columns=ignored,
    )
