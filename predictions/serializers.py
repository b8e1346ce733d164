"""DRF serializers: the API's shapes, with the student fields generated from the schema.

Validation of a student is the schema's (``validate_record``), so the API, the form and the
importers accept and refuse exactly the same things; the declared fields give the OpenAPI
schema every field's type, range and allowed values.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from predictions import schema
from predictions.schema import Kind
from predictions.validation import Target, validate_record


def _student_field(f: schema.Field) -> serializers.Field:
    help_text = f"{f.label}: {f.help_text}"
    if f.kind is Kind.CATEGORICAL:
        return serializers.ChoiceField(choices=list(f.values), required=f.required, help_text=help_text)
    return serializers.IntegerField(min_value=f.min_value, max_value=f.max_value, required=f.required,
                                    allow_null=not f.required, help_text=help_text)


class RoundedFloatField(serializers.FloatField):
    """A float written with at most ``decimals`` decimals: 15-digit grades suggest a precision no
    model of school grades has. The log keeps the unrounded value."""

    def __init__(self, *, decimals: int = 2, **kwargs: Any) -> None:
        self.decimals = decimals
        kwargs["help_text"] = f"{kwargs.get('help_text', '')} Rounded to {decimals} decimals.".strip()
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> float:
        return round(float(value), self.decimals)


class StudentSerializer(serializers.Serializer):
    """One student: the 30 UCI attributes, and G1 / G2 when known (G2 needs G1)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _student_field(schema.BY_NAME[name]) for name in schema.INPUTS}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        result = validate_record(data, Target.IGNORED)
        if result.errors:
            raise serializers.ValidationError({"errors": [e.as_dict() for e in result.errors]})
        return result.values


class IntervalSerializer(serializers.Serializer):
    low = RoundedFloatField(source="interval_low")
    high = RoundedFloatField(source="interval_high")
    level = serializers.FloatField(
        source="interval_level", help_text="How often such an interval covers the actual G3.")


class PredictionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Use it to send the actual grade later (POST /api/v1/labels/).")
    predicted_G3 = RoundedFloatField(source="predicted_g3", help_text="Predicted final grade, 0-20.")
    at_risk = serializers.BooleanField(help_text="Predicted G3 below the pass mark of 10.")
    track = serializers.ChoiceField(choices=["A", "B", "C"],
                                    help_text="A: with G1 and G2; B: with G1; C: early-year estimate, no grades.")
    model_version = serializers.IntegerField()
    interval = serializers.SerializerMethodField(help_text="Most likely range of the actual G3 (null for predictions "
                                                           "made before intervals existed).")
    p_at_risk = RoundedFloatField(decimals=3, allow_null=True, help_text="Probability that the actual G3 is below 10.")
    created_at = serializers.DateTimeField()
    source = serializers.CharField()

    def get_interval(self, p: Any) -> dict[str, float] | None:
        return IntervalSerializer(p).data if p.interval_low is not None else None


class PredictionLogSerializer(PredictionSerializer):
    request_id = serializers.CharField()
    user = serializers.CharField(allow_null=True)
    features = serializers.DictField()
    actual_G3 = serializers.IntegerField(source="actual_g3", allow_null=True)
    labeled_at = serializers.DateTimeField(allow_null=True)


class LabelSerializer(serializers.Serializer):
    prediction_id = serializers.CharField()
    G3 = serializers.IntegerField(min_value=0, max_value=20, help_text="The actual final grade, 0-20.")


class LabelRequestSerializer(serializers.Serializer):
    labels = LabelSerializer(many=True)


class LabelOutcomeSerializer(serializers.Serializer):
    prediction_id = serializers.CharField()
    G3 = serializers.IntegerField(source="g3")
    created = serializers.BooleanField(help_text="False: this label was already recorded.")


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    value = serializers.JSONField(required=False)
    row = serializers.IntegerField(required=False, help_text="CSV: spreadsheet row (header = 1).")
    index = serializers.IntegerField(required=False, help_text="JSON list: the student's 0-based position.")
    message = serializers.CharField(required=False,
                                    help_text="One line naming the student or row, the field and why, "
                                              "e.g. \"student 3 (index 2): age must be 15-22 (got 40)\".")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ErrorItemSerializer(many=True, required=False)


class BatchSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    source = serializers.CharField()
    sha256 = serializers.CharField()
    rows_total = serializers.IntegerField()
    rows_imported = serializers.IntegerField()
    rows_rejected = serializers.IntegerField()
    ignored_columns = serializers.ListField(child=serializers.CharField())
    duplicate_rows = serializers.IntegerField()
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()


class ModelVersionSerializer(serializers.Serializer):
    track = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    metrics = serializers.DictField(child=RoundedFloatField(decimals=4, allow_null=True))
    holdout = serializers.DictField()
    window = serializers.DictField()
    params = serializers.DictField()
    model = serializers.SerializerMethodField(help_text='what it serves, e.g. "rule: G3 = G2"')
    candidates = serializers.SerializerMethodField()
    refit = serializers.SerializerMethodField(help_text="served model refitted on the whole window")
    metrics_by_group = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    artifact_sha256 = serializers.CharField(source="artifact.sha256")

    # Versions from before candidates existed read as: no candidates, not refitted, no groups.
    def get_model(self, v: Any) -> str:
        from registry.display import model_label

        return model_label(v)

    def get_candidates(self, v: Any) -> list[dict[str, Any]]:
        return list(v.extra.get("candidates") or [])

    def get_refit(self, v: Any) -> bool:
        return bool(v.extra.get("refit", False))

    def get_metrics_by_group(self, v: Any) -> dict[str, Any]:
        return dict(v.extra.get("metrics_by_group") or {})
