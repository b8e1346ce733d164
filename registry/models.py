"""No tables: the registry lives in MongoDB. These unmanaged models give the admin a
"Model registry" section on its index and own the registry's permissions, so
``registry.approve_promotion`` is a real permission an admin can assign to users and
groups (superusers have it)."""

from __future__ import annotations

from django.db import models

APPROVE_PERMISSION = "registry.approve_promotion"


class ModelVersion(models.Model):
    """The admin's handle on the model versions (pages in ``registry.admin``)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("approve_promotion", "Can approve, reject and roll back model versions")]
        verbose_name = "model version"
        verbose_name_plural = "model versions"


class AuditEntry(models.Model):
    """The admin's handle on the audit log and the "champion at time t" lookup."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
