"""``/api/v1/``: the JSON API's routes (see DESIGN.md, "Interfaces that checks rely on")."""

from django.urls import path

from drift import api as drift_api
from drift import monitoring_api
from predictions import api as predictions_api
from registry import api as registry_api

urlpatterns = [
    path("predictions/", predictions_api.PredictionListCreateApi.as_view(), name="predictions"),
    path("predictions/batch/", predictions_api.PredictionBatchApi.as_view(), name="predictions-batch"),
    path("labels/", predictions_api.LabelCreateApi.as_view(), name="labels"),
    path("batches/", predictions_api.BatchCreateApi.as_view(), name="batches"),
    path("models/", registry_api.ModelListApi.as_view(), name="models"),
    path("models/audit/", registry_api.AuditLogApi.as_view(), name="models-audit"),
    path("models/champion-at/", registry_api.ChampionAtApi.as_view(), name="models-champion-at"),
    path("drift/reports/", drift_api.DriftReportListApi.as_view(), name="drift-reports"),
    path("drift/reports/latest/", drift_api.DriftReportLatestApi.as_view(), name="drift-report-latest"),
    path("monitoring/performance/", monitoring_api.PerformanceApi.as_view(), name="monitoring-performance"),
    path("monitoring/estimate/", monitoring_api.EstimateApi.as_view(), name="monitoring-estimate"),
]
