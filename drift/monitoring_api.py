"""``/api/v1/monitoring/performance/`` and ``/api/v1/monitoring/estimate/``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drift import monitoring
from predictions.schema import Track
from predictions.serializers import ErrorSerializer

TRACK_PARAM = OpenApiParameter("track", str, enum=["A", "B", "C"], required=True)


def _refuse(field: str, reason: str, value: Any) -> serializers.ValidationError:
    return serializers.ValidationError({"errors": [{"field": field, "reason": reason, "value": value}]})


def _track(request: Request) -> Track:
    track = request.query_params.get("track")
    if track not in {t.value for t in Track}:
        raise _refuse("track", "required, one of A, B, C", track)
    return Track(track)


def _version(request: Request) -> int | None:
    raw = request.query_params.get("version")
    if raw in (None, ""):
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise _refuse("version", "a version number (a whole number from 1)", raw)
    return int(raw)


class PeriodSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    rows = serializers.IntegerField()
    mae = serializers.FloatField()
    rmse = serializers.FloatField()
    naive_mae = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField(allow_null=True)
    at_risk_precision = serializers.FloatField(allow_null=True)
    at_risk_recall = serializers.FloatField(allow_null=True)


class HoldoutSerializer(serializers.Serializer):
    rows = serializers.IntegerField(allow_null=True)
    mae = serializers.FloatField(allow_null=True)
    rmse = serializers.FloatField(allow_null=True)
    naive_mae = serializers.FloatField(allow_null=True)


class AlertSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["alert", "ok", "insufficient_data"])
    live_mae = serializers.FloatField(allow_null=True)
    holdout_mae = serializers.FloatField(allow_null=True)
    margin = serializers.FloatField()
    rows = serializers.IntegerField()
    min_rows = serializers.IntegerField()
    message = serializers.CharField()


class PerformanceSerializer(serializers.Serializer):
    track = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    period = serializers.ChoiceField(choices=["week", "month"])
    holdout = HoldoutSerializer()
    overall = PeriodSerializer(allow_null=True)
    periods = PeriodSerializer(many=True)
    alert = AlertSerializer()


class EstimateSerializer(serializers.Serializer):
    estimated_mae = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    rows = serializers.IntegerField()
    method = serializers.CharField()
    level = serializers.FloatField()
    holdout_rows = serializers.IntegerField()
    holdout_mae = serializers.FloatField(allow_null=True)
    assumption = serializers.CharField()


class PerformanceApi(APIView):
    @extend_schema(summary="Live accuracy from actual grades, per week or month, beside the holdout figures",
                   parameters=[TRACK_PARAM, OpenApiParameter("version", int, description="default: the champion"),
                               OpenApiParameter("period", str, enum=["week", "month"])],
                   responses={200: PerformanceSerializer, 400: ErrorSerializer})
    def get(self, request: Request) -> Response:
        track, version = _track(request), _version(request)
        period = request.query_params.get("period") or None
        if period not in (None, "week", "month"):
            raise _refuse("period", "one of week, month", period)
        try:
            performance = monitoring.performance_get(track, version, period=period)
        except monitoring.UnknownVersion as exc:
            raise _refuse("version", str(exc), version) from exc
        return Response(PerformanceSerializer(performance).data)


class EstimateApi(APIView):
    @extend_schema(summary="The champion's estimated MAE on its recent predictions, before grades arrive",
                   parameters=[TRACK_PARAM], responses={200: EstimateSerializer, 400: ErrorSerializer})
    def get(self, request: Request) -> Response:
        return Response(EstimateSerializer(monitoring.estimate_get(_track(request))).data)
