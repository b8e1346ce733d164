"""``GET /api/v1/models/``: model versions per track, champions marked."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from predictions.schema import Track
from predictions.serializers import ModelVersionSerializer
from registry import services
from registry.entities import Status


class ModelListApi(APIView):
    @extend_schema(
        summary="Model versions per track, newest first; each track's champion is marked",
        parameters=[OpenApiParameter("track", str, enum=[t.value for t in Track]),
                    OpenApiParameter("status", str, enum=[s.value for s in Status])],
        responses={200: inline_serializer("ModelList", {
            "champions": serializers.DictField(child=serializers.IntegerField(allow_null=True)),
            "results": ModelVersionSerializer(many=True)})},
    )
    def get(self, request: Request) -> Response:
        track = request.query_params.get("track") or None
        status_name = request.query_params.get("status") or None
        errors = []
        if track and track not in {t.value for t in Track}:
            errors.append({"field": "track", "reason": "must be one of A, B, C", "value": track})
        if status_name and status_name not in {s.value for s in Status}:
            errors.append({"field": "status", "reason": "must be one of " + ", ".join(s.value for s in Status),
                           "value": status_name})
        if errors:
            raise serializers.ValidationError({"errors": errors})
        versions = services.model_versions_list(track, Status(status_name) if status_name else None)
        champions = {}
        for t in [track] if track else [t.value for t in Track]:
            change = services.champion_change_latest(t)
            champions[t] = change.version if change else None
        return Response({"champions": champions, "results": ModelVersionSerializer(versions, many=True).data})
