"""``GET /api/v1/models/``: model versions per track, champions marked; ``/models/audit/`` and
``/models/champion-at/``: the audit trail (staff, or users allowed to approve promotions)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from predictions.schema import Track
from predictions.serializers import ErrorSerializer, ModelVersionSerializer
from registry import services
from registry.entities import Status
from registry.forms import parse_moment
from registry.models import APPROVE_PERMISSION
from studentml_site import demo
from studentml_site.paging import page_numbers


class ModelListApi(APIView):
    @extend_schema(
        summary="Model versions per track, newest first; each track's champion is marked",
        parameters=[OpenApiParameter("track", str, enum=[t.value for t in Track]),
                    OpenApiParameter("status", str, enum=[s.value for s in Status])],
        responses={200: inline_serializer("ModelList", {
            "champions": serializers.DictField(child=serializers.IntegerField(allow_null=True)),
            "demo_data": serializers.CharField(allow_null=True, help_text=(
                "Set while the models are trained on generated (demo) students, or on a demo store: what to "
                "tell users. Each result's demo_data says whether that version's window took in demo rows.")),
            "results": ModelVersionSerializer(many=True)}), 400: ErrorSerializer},
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
        # Versions trained on generated students say so, and so does the list while any are served.
        batches = demo.demo_batches()
        results = ModelVersionSerializer(versions, many=True).data
        for version, row in zip(versions, results, strict=True):
            row["demo_data"] = demo.window_has_demo_rows(version.window, batches)
        return Response({"champions": champions, "demo_data": demo.banner(), "results": results})


class CanReadAuditLog(permissions.BasePermission):
    """Who did what in the registry: staff, and users allowed to approve promotions."""

    message = "the registry's audit log is for staff and for users with the registry.approve_promotion permission"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active
                    and (user.is_staff or user.has_perm(APPROVE_PERMISSION)))


def _track_param(request: Request, *, required: bool) -> str | None:
    track = request.query_params.get("track") or None
    if track is None and required:
        raise serializers.ValidationError({"errors": [{"field": "track", "reason": "required: one of A, B, C"}]})
    if track is not None and track not in {t.value for t in Track}:
        raise serializers.ValidationError({"errors": [{"field": "track", "reason": "must be one of A, B, C",
                                                       "value": track}]})
    return track


class AuditEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="Who: a username, cli:<user>, or the training service's name.")
    action = serializers.CharField(help_text="register, submit, promote, approve, reject, rollback or archive.")
    track = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    before = serializers.CharField(allow_null=True, help_text="The version's status before.")
    after = serializers.CharField(allow_null=True, help_text="The version's status after.")


class AuditLogApi(APIView):
    permission_classes = [CanReadAuditLog]

    @extend_schema(
        summary="The registry's audit log, newest first (staff, or users allowed to approve promotions)",
        parameters=[OpenApiParameter("track", str, enum=[t.value for t in Track]),
                    OpenApiParameter("limit", int, description="page size, 1-500 (default 50)"),
                    OpenApiParameter("offset", int, description="entries to skip")],
        responses={200: inline_serializer("AuditLog", {"count": serializers.IntegerField(),
                                                       "results": AuditEntrySerializer(many=True)}),
                   400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        track = _track_param(request, required=False)
        limit, offset = page_numbers(request.query_params, default_limit=50, max_limit=500)
        entries = services.audit_log_list(track, offset=offset, limit=limit)
        return Response({"count": services.audit_log_count(track),
                         "results": AuditEntrySerializer(entries, many=True).data})


class ChampionAtSerializer(serializers.Serializer):
    track = serializers.CharField()
    at = serializers.DateTimeField(help_text="The moment asked about.")
    version = serializers.IntegerField(help_text="The champion at that moment.")
    since = serializers.DateTimeField(source="change.at", help_text="When it became champion.")
    by = serializers.CharField(source="change.by", help_text="Who made it champion.")
    reason = serializers.CharField(source="change.reason")
    previous_version = serializers.IntegerField(source="change.previous_version", allow_null=True)


class ChampionAtApi(APIView):
    permission_classes = [CanReadAuditLog]

    @extend_schema(
        summary="Which version was a track's champion at a moment, and who put it there",
        parameters=[OpenApiParameter("track", str, enum=[t.value for t in Track], required=True),
                    OpenApiParameter("at", str, required=True,
                                     description="ISO 8601 date-time; without an offset it is read as UTC")],
        responses={200: ChampionAtSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        track = _track_param(request, required=True)
        assert track is not None
        text = request.query_params.get("at", "")
        moment = parse_moment(text)
        if moment is None:
            raise serializers.ValidationError({"errors": [{"field": "at", "reason": "must be an ISO 8601 date-time, "
                                                           "e.g. 2026-03-01T14:30:00Z", "value": text}]})
        change = services.champion_at(track, moment)
        if change is None:
            return Response({"detail": f"track {track} had no champion at {moment.isoformat()}", "errors": []},
                            status=404)
        return Response(ChampionAtSerializer({"track": track, "at": moment, "version": change.version,
                                              "change": change}).data)
