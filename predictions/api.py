"""The JSON API (``/api/v1/``). Views translate HTTP to service calls and back; no rules here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from predictions import repository, services
from predictions.csvfiles import CsvError, TooManyRows, read_students_csv
from predictions.entities import BatchKind
from predictions.models import IMPORT_PERMISSION, VIEW_ALL_PERMISSION
from predictions.serializers import (
    BatchSerializer,
    ErrorSerializer,
    LabelOutcomeSerializer,
    LabelRequestSerializer,
    PredictionLogSerializer,
    PredictionSerializer,
    StudentSerializer,
)
from predictions.validation import FieldError, Target, validate_table
from studentml_site.paging import page_numbers
from studentml_site.parsers import BoundedJSONParser

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_VERSION = re.compile(r"[0-9]{1,18}")
# Any skip past this is an empty page anyway; MongoDB refuses one over 64 bits.


class CsvParser(BaseParser):
    """A raw CSV body (Content-Type: text/csv)."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:
        return stream.read()


def _request_id(request: Request) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID.match(given) else services.new_id()


def _form_file(data: Any) -> UploadedFile | None:
    """The file sent as the form field ``file`` of a form body; None for any other body."""
    if not isinstance(data, QueryDict):
        return None  # a JSON object may well have a key "file": it is not an upload
    upload = data.get("file")
    if upload is not None and not isinstance(upload, UploadedFile):
        raise ParseError("the form field 'file' must be a file upload (the CSV), not text")
    return upload


def _user(request: Request) -> str:
    return request.user.get_username() if request.user and request.user.is_authenticated else "anonymous"


def _sees_all(request: Request) -> bool:
    """Whether this user may read and label every user's predictions, not only their own."""
    return request.user.has_perm(VIEW_ALL_PERMISSION)


class CanImportTrainingData(BasePermission):
    message = ("importing training data needs the permission 'Can import batches of students as training data' "
               "(predictions.import_training_data); ask an administrator")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(IMPORT_PERMISSION))


# The summary in "detail" names this many problems; "errors" lists them all.
SUMMARY_ITEMS = 5


def _where(e: FieldError, index_rows: bool, single: bool) -> str:
    if single or e.row is None:
        return ""
    return f"student {e.row + 1} (index {e.row}): " if index_rows else f"row {e.row}: "


def _message(e: FieldError, index_rows: bool, single: bool) -> str:
    got = f" (got {e.value!r})" if e.value is not None else ""
    return f"{_where(e, index_rows, single)}{e.field + ' ' if e.field else ''}{e.reason}{got}"


def _errors(detail: str, errors: list[FieldError], *, index_rows: bool = False, single: bool = False,
            students: bool = False, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    """The error shape. For students, each item also has a ``message`` naming the student (or CSV
    row) and field, and ``detail`` repeats the first few, so a client showing only ``detail`` still
    says what is wrong."""
    items = []
    shown = settings.REQUEST_MAX_ERRORS
    for e in errors[:shown]:
        item = e.as_dict()
        if students:
            item["message"] = _message(e, index_rows, single)
        if single:
            item.pop("row", None)
        elif index_rows and "row" in item:
            item["index"] = item.pop("row")
        items.append(item)
    body: dict[str, Any] = {"detail": detail, "errors": items, "error_count": len(errors)}
    if students and items:
        listed = "; ".join(i["message"] for i in items[:SUMMARY_ITEMS])
        more = f"; and {len(errors) - SUMMARY_ITEMS:,} more (see errors)" if len(errors) > SUMMARY_ITEMS else ""
        body["detail"] = f"{detail}: {listed}{more}"
    if len(errors) > shown:
        body["detail"] += f" ({len(errors):,} errors; the first {shown:,} are listed: REQUEST_MAX_ERRORS)"
    return Response(body, status=code)


def _unavailable(exc: services.ModelUnavailable) -> Response:
    return Response({"detail": str(exc), "errors": []}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


def _predict(request: Request, students: list[Any], source: str, *, index_rows: bool,
             single: bool = False) -> Response:
    try:
        entries = services.prediction_create(students, source=source, user=_user(request),
                                             request_id=_request_id(request))
    except services.InvalidStudents as exc:
        what = "the student is invalid" if single else (
            f"{len({e.row for e in exc.errors})} of {len(students)} students are invalid")
        return _errors(f"{what}; nothing was predicted or stored", exc.errors, index_rows=index_rows,
                       single=single, students=True)
    except services.ModelUnavailable as exc:
        return _unavailable(exc)
    return Response(PredictionSerializer(entries, many=True).data, status=status.HTTP_201_CREATED)


def _moment(text: str) -> datetime | None:
    """An ISO 8601 date-time (naive: the server's local time) in UTC, or None if it is not a real moment."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.now().astimezone().tzinfo)
        # A moment near year 1 or 9999 overflows when moved to UTC, as the store needs it.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # parse_datetime raises for well-formed impossible dates (month 13)
        return None


def _parse_filters(params: Any) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    bad: list[FieldError] = []
    for name in ("since", "until"):
        if params.get(name):
            moment = _moment(params[name])
            if moment is None:
                bad.append(FieldError(name, "must be an ISO 8601 date-time, e.g. 2026-09-01T00:00:00Z", params[name]))
            else:
                filters[name] = moment
    if params.get("track"):
        if params["track"] not in ("A", "B", "C"):
            bad.append(FieldError("track", "must be one of A, B, C", params["track"]))
        else:
            filters["track"] = params["track"]
    if params.get("model_version"):
        # ASCII digits only ("²".isdigit() is true), and few enough for a 64-bit store integer.
        if not _VERSION.fullmatch(params["model_version"]):
            bad.append(FieldError("model_version", "must be a whole number", params["model_version"]))
        else:
            filters["model_version"] = int(params["model_version"])
    if params.get("labeled"):
        value = params["labeled"].lower()
        if value not in ("true", "false"):
            bad.append(FieldError("labeled", "must be true or false", params["labeled"]))
        else:
            filters["labeled"] = value == "true"
    if bad:
        raise serializers.ValidationError({"errors": [e.as_dict() for e in bad]})
    return filters




class PredictionListCreateApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Predict one student's final grade",
        request=StudentSerializer,
        responses={201: PredictionSerializer, 400: ErrorSerializer, 503: ErrorSerializer},
        parameters=[OpenApiParameter("X-Request-ID", str, OpenApiParameter.HEADER, required=False,
                                     description="Your id for this request, kept in the log.")],
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ParseError("expected a JSON object with one student's fields (for several, use /predictions/batch/)")
        response = _predict(request, [request.data], "api", index_rows=True, single=True)
        if response.status_code == status.HTTP_201_CREATED:
            response.data = response.data[0]
        return response

    @extend_schema(
        summary="The prediction log, newest first",
        description="Your own predictions; every user's with the permission predictions.view_all_predictions.",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="logged at or after"),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="logged before"),
            OpenApiParameter("track", str, enum=["A", "B", "C"]),
            OpenApiParameter("model_version", int),
            OpenApiParameter("labeled", bool, description="true: with an actual grade; false: without"),
            OpenApiParameter("limit", int, description="page size, 1-500 (default 50)"),
            OpenApiParameter("offset", int, description="rows to skip"),
        ],
        responses={200: inline_serializer("PredictionPage", {
            "count": serializers.IntegerField(help_text="matching predictions, counted up to LOG_COUNT_LIMIT"),
            "count_capped": serializers.BooleanField(help_text="true: more match than count says"),
            "next": serializers.CharField(allow_null=True),
            "previous": serializers.CharField(allow_null=True), "results": PredictionLogSerializer(many=True)}),
            400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = _parse_filters(request.query_params)
        if not _sees_all(request):
            filters["user"] = _user(request)
        limit, offset = page_numbers(request.query_params, default_limit=50, max_limit=500)
        # Counted up to LOG_COUNT_LIMIT: past it, "count" is that limit and "count_capped" true.
        count = repository.count_predictions(at_most=settings.LOG_COUNT_LIMIT + 1, **filters)
        capped = count > settings.LOG_COUNT_LIMIT
        count = min(count, settings.LOG_COUNT_LIMIT)
        rows = repository.find_predictions(offset=offset, limit=limit, **filters)

        def page(at: int) -> str:
            params = request.query_params.copy()
            params["offset"], params["limit"] = str(at), str(limit)
            return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

        return Response({
            "count": count,
            "count_capped": capped,
            "next": page(offset + limit) if offset + limit < count or (capped and len(rows) == limit) else None,
            "previous": page(max(0, offset - limit)) if offset > 0 else None,
            "results": PredictionLogSerializer(rows, many=True).data,
        })


class PredictionBatchApi(APIView):
    parser_classes = [BoundedJSONParser, MultiPartParser, CsvParser]

    @extend_schema(
        summary="Predict many students: a JSON list, or a CSV file (UCI ';' or comma format)",
        request={"application/json": StudentSerializer(many=True), "text/csv": OpenApiTypes.BINARY,
                 "multipart/form-data": inline_serializer("CsvUpload", {"file": serializers.FileField()})},
        responses={201: PredictionSerializer(many=True), 400: ErrorSerializer, 413: ErrorSerializer,
                   503: ErrorSerializer},
        description=f"At most BATCH_MAX_ROWS students (default {10_000:,}); more gives 413. Errors name each bad "
                    "field with `index` (JSON list, 0-based) or `row` (CSV, header = row 1).",
    )
    def post(self, request: Request) -> Response:
        limit = settings.BATCH_MAX_ROWS
        data = request.data
        upload = _form_file(data)
        if isinstance(data, bytes) or upload is not None:
            raw = data if isinstance(data, bytes) else upload.read()
            try:
                table = read_students_csv(raw, max_rows=limit)
            except TooManyRows:
                return Response({"detail": f"a batch holds at most {limit:,} students (BATCH_MAX_ROWS); split the file",
                                 "errors": []}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
            except CsvError as exc:
                return _errors(f"the CSV cannot be read: {exc}", [])
            result = validate_table(table.frame, Target.IGNORED)
            if not result.ok:
                bad_rows = len({e.row for e in result.errors if e.row is not None})
                what = f"{bad_rows} of {len(result.frame)} rows are invalid" if bad_rows else "the file is invalid"
                return _errors(f"{what}; nothing was predicted or stored", result.file_errors + result.errors,
                               students=True)
            students = result.frame.astype(object).where(result.frame.notna(), None).to_dict("records")
            return _predict(request, students, "api-batch", index_rows=False)
        if not isinstance(data, list):
            raise ParseError("expected a JSON list of students, or a CSV file")
        if not data:
            raise ParseError("the list of students is empty")
        if len(data) > limit:
            return Response({"detail": f"a batch holds at most {limit:,} students (BATCH_MAX_ROWS); "
                                       f"this one has {len(data):,}",
                             "errors": []}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return _predict(request, data, "api-batch", index_rows=True)


class LabelCreateApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        summary="Record actual final grades for logged predictions (each becomes one training row)",
        request=LabelRequestSerializer,
        responses={201: LabelOutcomeSerializer(many=True), 400: ErrorSerializer},
        description="Body: `{\"labels\": [{\"prediction_id\": \"…\", \"G3\": 12}, …]}` (or one such object, or a "
                    "list). Sending the same label again is harmless; a different grade for a labelled prediction "
                    "is refused. All or nothing. You can label your own predictions; every user's with the "
                    "permission predictions.view_all_predictions.",
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict) and "labels" in data:
            items = data["labels"]
            if not isinstance(items, list):
                raise ParseError("labels must be a list")
        elif isinstance(data, dict):
            items = [data]
        elif isinstance(data, list):
            items = data
        else:
            raise ParseError("expected {\"labels\": [{\"prediction_id\": …, \"G3\": …}]}")
        if not items:
            raise ParseError("no labels given")
        if len(items) > settings.BATCH_MAX_ROWS:
            return Response({"detail": f"at most {settings.BATCH_MAX_ROWS:,} labels per request (BATCH_MAX_ROWS); "
                                       f"this one has {len(items):,}", "errors": []},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            outcomes = services.prediction_label(items, by=_user(request),
                                                 owner=None if _sees_all(request) else _user(request))
        except services.LabelError as exc:
            return _errors("labels refused; nothing was stored", exc.errors, index_rows=True)
        code = status.HTTP_201_CREATED if any(o.created for o in outcomes) else status.HTTP_200_OK
        return Response(LabelOutcomeSerializer(outcomes, many=True).data, status=code)


class BatchCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser, CsvParser]
    # Training data changes every future model: not for every signed-in user.
    permission_classes = [IsAuthenticated, CanImportTrainingData]

    @extend_schema(
        summary="Import a labelled or unlabelled CSV batch (same rules as `manage.py import_students`)",
        request={"multipart/form-data": inline_serializer("BatchUpload", {
            "file": serializers.FileField(),
            "kind": serializers.ChoiceField(choices=["labeled", "unlabeled"]),
            "skip_invalid": serializers.BooleanField(required=False, default=False),
            "allow_duplicate": serializers.BooleanField(required=False, default=False)})},
        responses={201: BatchSerializer, 400: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer,
                   413: ErrorSerializer},
        description="Needs the permission predictions.import_training_data.",
        parameters=[OpenApiParameter("kind", str, enum=["labeled", "unlabeled"],
                                     description="for a text/csv body")],
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, bytes):
            raw, name, options = data, "upload.csv", request.query_params
        else:
            upload = _form_file(data)
            if upload is None:
                raise ParseError("attach the CSV as the form field 'file' (or send it as text/csv)")
            raw, name, options = upload.read(), upload.name or "upload.csv", data
        kind = options.get("kind", "")
        if kind not in ("labeled", "unlabeled"):
            raise serializers.ValidationError({"errors": [{"field": "kind", "reason": "must be labeled or unlabeled",
                                                           "value": kind}]})

        def flag(name_: str) -> bool:
            return str(options.get(name_, "")).lower() in ("1", "true", "yes", "on")

        try:
            report = services.batch_import(raw, kind=BatchKind(kind), source=f"api:{name}", created_by=_user(request),
                                           skip_invalid=flag("skip_invalid"), allow_duplicate=flag("allow_duplicate"))
        except services.ImportRejected as exc:
            code = {"duplicate": status.HTTP_409_CONFLICT,
                    "too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE}.get(exc.code, status.HTTP_400_BAD_REQUEST)
            return _errors(exc.message, exc.errors, code=code)
        body = BatchSerializer(report.batch).data
        body["rejected"] = [{"row": r.row, "errors": list(r.errors)} for r in report.batch.rejected]
        return Response(body, status=status.HTTP_201_CREATED)
