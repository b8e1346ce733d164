"""No tables: predictions live in MongoDB. This unmanaged model owns the permissions that
widen what an API user may see and do beyond their own predictions, so an admin can grant
them to users and groups (superusers have them)."""

from __future__ import annotations

from django.db import models

VIEW_ALL_PERMISSION = "predictions.view_all_predictions"
IMPORT_PERMISSION = "predictions.import_training_data"


class PredictionLogAccess(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_all_predictions", "Can read and label every user's logged predictions"),
            ("import_training_data", "Can import batches of students as training data"),
        ]
        verbose_name = "prediction log access"
