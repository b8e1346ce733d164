"""The teacher pages' forms, generated from the student schema, and the wording they show.

No field is listed here: every input comes from ``schema.FIELDS``. The Django fields only
collect text; the schema's own validation (``validate_record``) decides what is valid, so
the page shows exactly the reasons the API and the importers give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from predictions import schema
from predictions.csvfiles import CsvError, TooManyRows, read_students_csv
from predictions.schema import Group, Kind, Role, Track
from predictions.validation import FieldError, Target, validate_record, validate_table

INPUT_FIELDS: tuple[schema.Field, ...] = tuple(f for f in schema.FIELDS if f.role is not Role.TARGET)
CHOOSE = ("", "Choose…")

TRACK_WORDS: dict[str, str] = {
    Track.A: "using both period grades",
    Track.B: "using the first period grade",
    Track.C: "early-year estimate: no period grades yet",
}
AT_RISK_WORDS = f"At risk: predicted below the pass mark of {schema.PASS_MARK}"
ON_TRACK_WORDS = "On track"


def code_meaning(code: int, meaning: str) -> str:
    """A scale code with its meaning, "4 – higher education"; a bare "3" stays "3"."""
    rest = meaning.removeprefix(f"{code} ").strip() if meaning != str(code) else ""
    return f"{code} – {rest}" if rest else str(code)


def _options(f: schema.Field) -> list[tuple[str, str]]:
    if f.kind is Kind.CATEGORICAL:
        return [CHOOSE, *f.choices]
    return [CHOOSE, *((str(code), code_meaning(code, meaning)) for code, meaning in f.scale)]


def _widget(f: schema.Field) -> forms.Widget:
    # Coded scales (education, travel time, 1-5 ratings) are numbers to the model but a
    # list of meanings to a teacher; plain counts and grades are typed in.
    if f.kind is Kind.CATEGORICAL or f.scale:
        return forms.Select(choices=_options(f))
    return forms.NumberInput(attrs={"min": f.min_value, "max": f.max_value, "step": 1, "inputmode": "numeric"})


def _form_field(f: schema.Field) -> forms.CharField:
    # required=False and plain text: "is required", ranges and choices are the schema's
    # rules, checked in clean(); Django's own messages would contradict the API's.
    field = forms.CharField(label=f.label, help_text=f.help_text, required=False, strip=True, widget=_widget(f))
    if f.required:
        # Announced by screen readers; the form is novalidate, so the browser does not
        # pre-empt the schema's messages.
        field.widget.attrs["required"] = True
    return field


class _StudentFormBase(forms.Form):
    """One student's inputs; ``student`` holds the canonical values once valid."""

    student: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.student = {}
        if self.is_bound:
            self._keep_unknown_choices()

    def _keep_unknown_choices(self) -> None:
        """Show a submitted value the list does not offer, so the error beside it makes sense."""
        for f in INPUT_FIELDS:
            widget = self.fields[f.name].widget
            value = str(self.data.get(f.name, "")).strip()
            if isinstance(widget, forms.Select) and value and value not in {v for v, _ in widget.choices}:
                widget.choices = [*widget.choices, (value, f"{value} (not accepted)")]

    def clean(self) -> dict[str, Any]:
        result = validate_record({f.name: self.cleaned_data.get(f.name, "") for f in INPUT_FIELDS},
                                 Target.IGNORED)
        self.add_schema_errors(result.errors)
        if result.ok:
            self.student = result.values
        return self.cleaned_data

    def add_schema_errors(self, errors: Iterable[FieldError]) -> None:
        """Put the schema's reasons beside their fields (whole-record ones at the top)."""
        for error in errors:
            self.add_error(error.field if error.field in self.fields else None, error.reason)

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The bound fields in fieldsets, in the schema's group order."""
        out: list[tuple[str, list[forms.BoundField]]] = []
        for group in Group:
            fields = [self[f.name] for f in INPUT_FIELDS if f.group is group]
            if fields:
                out.append((group.value, fields))
        return out

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field id, label, reason) for the summary at the top of the form."""
        return [(self[name].id_for_label, self.fields[name].label or name, str(reason))
                for name, reasons in self.errors.items() if name in self.fields for reason in reasons]


# The form class itself is generated: one Django field per schema input, in schema order.
StudentForm: type[_StudentFormBase] = type(
    "StudentForm", (_StudentFormBase,), {f.name: _form_field(f) for f in INPUT_FIELDS}
)


def display_value(name: str, value: Any) -> str:
    """A value as a teacher reads it: the meaning of a code, a whole number without ".0"."""
    if value is None or value == "":
        return "—"
    f = schema.BY_NAME.get(name)
    if f is not None and f.kind is Kind.CATEGORICAL:
        return dict(f.choices).get(str(value), str(value))
    if isinstance(value, float | np.floating):
        if float(value).is_integer():
            value = int(value)
        else:
            return f"{float(value):.1f}"
    if f is not None and f.scale and int(value) in dict(f.scale):
        return code_meaning(int(value), dict(f.scale)[int(value)])
    return str(value)


# --- the class upload ----------------------------------------------------------------------

@dataclass(frozen=True)
class ClassSheet:
    """A read and checked class file: what can be predicted and what was refused."""

    students: list[dict[str, Any]]  # valid rows, canonical values, file order
    student_rows: list[int]  # their spreadsheet row numbers (header = row 1)
    all_rows: list[int]  # every data row's number, valid or not
    extra_columns: list[str]  # columns outside the schema (e.g. a name), kept for the results
    extra_cells: dict[int, list[str]]  # row number -> those columns' cells
    rejected: list[FieldError]  # one per problem, row order
    delimiter: str


def _file_message(exc: CsvError) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class ClassUploadForm(forms.Form):
    """A class CSV (UCI ';' or comma format); ``sheet`` holds it once readable."""

    file = forms.FileField(
        label="Class file (CSV)",
        help_text="One student per row, with a header of UCI column names (school, sex, age, … absences, and "
                  "G1, G2 when known). Semicolon (UCI format) or comma separated. Extra columns, such as a "
                  "name, are kept in the results.",
        allow_empty_file=True,  # the CSV reader words "the file is empty" itself
        error_messages={"required": "Choose a CSV file to upload."},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    sheet: ClassSheet | None = None

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(f"The file is {upload.size / 1e6:.1f} MB; the most one upload accepts is "
                                        f"{limit / 1e6:.0f} MB.")
        max_rows = settings.BATCH_MAX_ROWS
        try:
            table = read_students_csv(upload.read(), max_rows=max_rows)
        except TooManyRows:
            raise forms.ValidationError(f"The file has more than {max_rows:,} students, the most one upload "
                                        f"accepts. Split it into smaller files.") from None
        except CsvError as exc:
            raise forms.ValidationError(_file_message(exc)) from None
        # The same check as the batch API, but rows are judged one by one: a teacher gets
        # the valid rows predicted and the others listed, instead of nothing.
        result = validate_table(table.frame, Target.IGNORED)
        if result.file_errors:
            raise forms.ValidationError(["The file's columns do not match the student format:"] +
                                        [f"{e.field}: {e.reason}" for e in result.file_errors])
        rows = [position + 2 for position in range(len(table.frame))]
        valid = result.frame[result.valid]
        extra = list(result.ignored_columns)
        cells = table.frame[extra].to_numpy(dtype=str).tolist() if extra else [[] for _ in rows]
        self.sheet = ClassSheet(
            students=valid.astype(object).where(valid.notna(), None).to_dict("records"),
            student_rows=[rows[i] for i in np.flatnonzero(result.valid)],
            all_rows=rows,
            extra_columns=extra,
            extra_cells=dict(zip(rows, cells, strict=True)),
            rejected=list(result.errors),
            delimiter=table.delimiter,
        )
        if not self.sheet.students:
            raise forms.ValidationError(f"None of the {len(rows):,} rows can be predicted; the reasons are listed "
                                        f"below. Nothing was predicted or logged.")
        return upload

