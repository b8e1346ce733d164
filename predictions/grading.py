"""The "My predictions" page's data: one teacher's log a page at a time, and the grades they type in.

Pure translation between the page and the log: the rules (whole numbers 0-20, own
predictions only, a label never changes) are ``services.prediction_label``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator

from predictions import repository, services
from predictions.entities import PredictionLog
from predictions.forms import AT_RISK_WORDS, ON_TRACK_WORDS, TRACK_WORDS, display_value
from predictions.validation import FieldError

PAGE_SIZE = 50
INPUT_PREFIX = "g3-"  # one input per ungraded row: g3-<prediction id>

# ?show= value -> (label, the log's "labeled" filter)
FILTERS: dict[str, tuple[str, bool | None]] = {
    "all": ("All", None),
    "waiting": ("Waiting for a grade", False),
    "graded": ("Graded", True),
}

NOT_YOURS = "No prediction of yours has this id, so it cannot be graded."


def shown(raw: str | None) -> str:
    """The filter asked for; anything unknown shows all."""
    return raw if raw in FILTERS else "all"


class _OwnLog:
    """One teacher's log as Paginator wants it: a count and slices, each one store query."""

    def __init__(self, user: str, labeled: bool | None) -> None:
        self.user, self.labeled = user, labeled

    def count(self) -> int:
        # Counted up to LOG_COUNT_LIMIT + 1; the page then says "more than LOG_COUNT_LIMIT".
        return repository.count_predictions(at_most=settings.LOG_COUNT_LIMIT + 1, user=self.user,
                                            labeled=self.labeled)

    def __getitem__(self, window: slice) -> list[PredictionLog]:
        start, stop = window.start or 0, window.stop or 0
        if stop <= start:
            return []  # limit(0) would mean "no limit" to Mongo
        return repository.find_predictions(offset=start, limit=stop - start, user=self.user, labeled=self.labeled)


def page_of(user: str, show: str, number: Any) -> Page:
    """The asked page of the user's predictions (newest first); a bad or past-the-end number gives the nearest page."""
    return Paginator(_OwnLog(user, FILTERS[show][1]), PAGE_SIZE).get_page(number)


def count_words(page: Page) -> str:
    """How many predictions the list holds, as the page says it ("more than 10,000" past the count limit)."""
    total = page.paginator.count
    return f"more than {settings.LOG_COUNT_LIMIT:,}" if total > settings.LOG_COUNT_LIMIT else f"{total:,}"


def page_links(page: Page) -> list[int | str]:
    """Page numbers to link, with "…" for long gaps."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


def describe_student(features: Mapping[str, Any]) -> str:
    """What a teacher recognises a student by: school, sex, age and the period grades given."""
    parts = [display_value("school", features.get("school")), display_value("sex", features.get("sex")),
             f"age {display_value('age', features.get('age'))}"]
    parts += [f"{name} {features[name]}" for name in ("G1", "G2") if features.get(name) is not None]
    return " · ".join(parts)


@dataclass(frozen=True)
class Row:
    """One logged prediction as the page shows it."""

    id: str
    when: datetime
    student: str
    track: str
    track_words: str
    grade: str
    at_risk: bool
    risk_words: str
    model_version: int
    actual_g3: int | None
    input_name: str
    typed: str = ""
    error: str = ""

    @property
    def graded(self) -> bool:
        return self.actual_g3 is not None

    @property
    def anchor(self) -> str:
        """Where the error summary links: the input, or the row once it has its grade."""
        return f"row-{self.id}" if self.graded else self.input_name


def rows(entries: Sequence[PredictionLog], typed: Mapping[str, str], errors: Mapping[str, str]) -> list[Row]:
    return [Row(id=p.id, when=p.created_at, student=describe_student(p.features), track=p.track,
                track_words=TRACK_WORDS[p.track], grade=f"{p.predicted_g3:.1f}", at_risk=p.at_risk,
                risk_words=AT_RISK_WORDS if p.at_risk else ON_TRACK_WORDS, model_version=p.model_version,
                actual_g3=p.actual_g3, input_name=INPUT_PREFIX + p.id, typed=typed.get(p.id, ""),
                error=errors.get(p.id, ""))
            for p in entries]


def entered_grades(posted: Mapping[str, str]) -> dict[str, str]:
    """prediction id -> what was typed, for the inputs that are not empty (empty ones mean "not yet")."""
    out: dict[str, str] = {}
    for name in posted:
        if name.startswith(INPUT_PREFIX):
            value = str(posted[name]).strip()
            if value:
                out[name.removeprefix(INPUT_PREFIX)] = value
    return out


def label_items(entered: Mapping[str, str]) -> list[dict[str, str]]:
    """The service's items, in the order of ``entered`` (error rows index into it)."""
    return [{"prediction_id": prediction_id, "G3": value} for prediction_id, value in entered.items()]


def _message(error: FieldError) -> str:
    if error.field == "prediction_id":
        # Another teacher's id is refused like an unknown one: the page must not tell them apart.
        return NOT_YOURS
    reason = error.reason
    text = f"The grade {reason}" if reason.startswith("must") else reason[:1].upper() + reason[1:]
    if error.field == "G3" and error.value is not None and reason.startswith("must"):
        text += f" (you entered “{error.value}”)"
    return text if text.endswith(".") else text + "."


def errors_by_id(errors: Sequence[FieldError], entered: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The service's errors placed by prediction id, and those that belong to no row."""
    ids = list(entered)
    placed: dict[str, list[str]] = {}
    loose: list[str] = []
    for error in errors:
        if error.row is not None and 0 <= error.row < len(ids):
            placed.setdefault(ids[error.row], []).append(_message(error))
        else:
            loose.append(_message(error))
    return {prediction_id: " ".join(messages) for prediction_id, messages in placed.items()}, loose


def problems(shown_rows: Sequence[Row], placed: Mapping[str, str], loose: Sequence[str]) -> list[tuple[str, str]]:
    """(anchor, text) for the summary above the table; a grade for an id not on this page has no anchor."""
    on_page = {r.id: r for r in shown_rows}
    out: list[tuple[str, str]] = []
    for prediction_id, message in placed.items():
        row = on_page.get(prediction_id)
        if row is None:
            out.append(("", f"Prediction {prediction_id}: {message}"))
        else:
            out.append((row.anchor, f"{row.student}: {message}"))
    return out + [("", message) for message in loose]


def saved_message(outcomes: Sequence[services.LabelOutcome]) -> str:
    created = sum(1 for o in outcomes if o.created)
    again = len(outcomes) - created
    if created == 1:
        text = "Saved 1 grade; it becomes training data for the next retraining."
    else:
        text = f"Saved {created} grades; they become training data for the next retraining."
    if again:
        # A second submit of the same page (a double click, a reload) is harmless: say so.
        text += f" {again} {'was' if again == 1 else 'were'} already recorded with the same grade."
    return text
