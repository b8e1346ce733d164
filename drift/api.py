"""``/api/v1/drift/reports/`` and ``/api/v1/drift/reports/latest/``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drift import repository
from drift.entities import DriftReport
from predictions.schema import Track
from predictions.serializers import ErrorSerializer
from studentml_site.paging import page_numbers


class FeatureDriftSerializer(serializers.Serializer):
    name = serializers.CharField()
    test = serializers.ChoiceField(choices=["ks", "chi2"])
    statistic = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    p_adjusted = serializers.FloatField(allow_null=True)
    effect_size = serializers.FloatField(allow_null=True)
    drifted = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class DriftReportSerializer(serializers.Serializer):
    id = serializers.CharField()
    created_at = serializers.DateTimeField()
    track = serializers.CharField()
    verdict = serializers.ChoiceField(choices=["drift", "no_drift", "insufficient_data"])
    model_version = serializers.IntegerField(allow_null=True)
    reference = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()
    features = FeatureDriftSerializer(many=True)
    settings = serializers.DictField()
    trigger = serializers.CharField()

    def get_reference(self, report: DriftReport) -> dict[str, Any]:
        return {"rows": report.reference_rows, "model_version": report.model_version}

    def get_current(self, report: DriftReport) -> dict[str, Any]:
        return {"rows": report.current_rows, "since": report.current_since, "until": report.current_until}


def _track(request: Request) -> str | None:
    track = request.query_params.get("track") or None
    if track and track not in {t.value for t in Track}:
        raise serializers.ValidationError({"errors": [{"field": "track", "reason": "must be one of A, B, C",
                                                       "value": track}]})
    return track


class DriftReportListApi(APIView):
    @extend_schema(summary="Drift reports, newest first",
                   parameters=[OpenApiParameter("track", str, enum=["A", "B", "C"]),
                               OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
                   responses={200: inline_serializer("DriftReportPage", {
                       "count": serializers.IntegerField(), "results": DriftReportSerializer(many=True)}),
                       400: ErrorSerializer})
    def get(self, request: Request) -> Response:
        track = _track(request)
        limit, offset = page_numbers(request.query_params, default_limit=20, max_limit=200)
        reports = repository.find_reports(track=track, offset=offset, limit=limit)
        return Response({"count": repository.count_reports(track=track),
                         "results": DriftReportSerializer(reports, many=True).data})


class DriftReportLatestApi(APIView):
    @extend_schema(summary="The latest drift report (of a track, or of any)",
                   parameters=[OpenApiParameter("track", str, enum=["A", "B", "C"])],
                   responses={200: DriftReportSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def get(self, request: Request) -> Response:
        report = repository.latest_report(_track(request))
        if report is None:
            return Response({"detail": "no drift report yet", "errors": []}, status=404)
        return Response(DriftReportSerializer(report).data)
