"""The predictions app's rules. Entry points (commands, views, API) call these."""

from predictions.services.ingest import (
    ImportRejected,
    ImportReport,
    batch_import,
    batches_cleanup_stale,
)

__all__ = ["ImportRejected", "ImportReport", "batch_import", "batches_cleanup_stale"]
