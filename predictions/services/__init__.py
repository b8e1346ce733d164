"""The predictions app's rules. Entry points (commands, views, API) call these."""

from predictions.services.explain import Contribution, prediction_explain
from predictions.services.ingest import (
    ImportRejected,
    ImportReport,
    batch_import,
    batches_cleanup_stale,
)
from predictions.services.logging import (
    LabelError,
    LabelOutcome,
    new_id,
    prediction_create,
    prediction_get,
    prediction_label,
    prediction_log_flush,
)
from predictions.services.predict import (
    InvalidStudents,
    ModelUnavailable,
    PredictionResult,
    predict_students,
)

__all__ = [
    "ImportRejected", "ImportReport", "batch_import", "batches_cleanup_stale",
    "InvalidStudents", "ModelUnavailable", "PredictionResult", "predict_students",
    "LabelError", "LabelOutcome", "new_id", "prediction_create", "prediction_get", "prediction_label",
    "prediction_log_flush",
    "Contribution", "prediction_explain",
]
