"""Forms of the registry's admin pages: a decision's reason, the "champion at time t" question."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils.dateparse import parse_datetime

from predictions.schema import Track


class DecisionForm(forms.Form):
    """Confirms a decision. ``champion_seq`` is the champion change the page showed: a decision
    made against a champion that has since changed is refused (see ``services.champion_seq``)."""

    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    champion_seq = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, reason_required: bool, needs_seq: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        self.fields["champion_seq"].required = needs_seq
        if reason_required:
            self.fields["reason"].help_text = "Required: it is kept in the audit log."
        else:
            self.fields["reason"].help_text = "Optional; kept in the audit log."


def parse_moment(text: str) -> datetime | None:
    """ISO 8601 date-time; without an offset it is read as UTC (the site's time zone)."""
    try:
        moment = parse_datetime(text.strip()) if text else None
        if moment is None:
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # month 13; a moment near year 1 or 9999 moved to UTC
        return None


class ChampionAtForm(forms.Form):
    track = forms.ChoiceField(choices=[(t.value, f"Track {t.value}") for t in Track])
    at = forms.CharField(label="At (UTC)", help_text="ISO 8601, e.g. 2026-03-01T14:30 or 2026-03-01T14:30:00+01:00",
                         # Text, not datetime-local: the browser would show that in its own locale's
                         # format (US: 03/01/2026, 02:30 PM), contradicting the ISO help.
                         widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DDTHH:MM", "inputmode": "numeric",
                                                       "pattern": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*",
                                                       "size": 25, "autocomplete": "off"}))

    def clean_at(self) -> datetime:
        moment = parse_moment(self.cleaned_data["at"])
        if moment is None:
            raise forms.ValidationError("Enter a date and time such as 2026-03-01T14:30 (UTC).")
        return moment
