"""Registry admin set-up: users with and without the approval permission, versions in every status."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from registry import services
from registry.entities import ModelVersion

PASSWORD = "pw-for-registry-tests-2026"


def add_version(track: str = "A", *, status: str = "candidate", mae: float = 2.0, champion_mae: float | None = None,
                champion_version: int | None = None, ci: tuple[float, float] | None = None, by: str = "trainer",
                extra: dict[str, Any] | None = None, pipeline: Any = None) -> ModelVersion:
    """Register a version with the full document contract, then move it to ``status``."""
    gain = champion_mae - mae if champion_mae is not None else None
    v = services.model_version_register(
        track=track, pipeline=pipeline if pipeline is not None else {"track": track, "mae": mae, "by": by},
        metrics={"mae": mae, "rmse": mae * 1.4, "r2": 0.61},
        holdout={"rows": 80, "train_rows": 320, "naive_mae": 2.5, "champion_mae": champion_mae,
                 "champion_version": champion_version, "gain": gain,
                 "gain_ci_low": ci[0] if ci else None, "gain_ci_high": ci[1] if ci else None,
                 "significant": bool(ci and ci[0] > 0)},
        window={"rows": 400, "start": "2026-01-05T08:00:00+00:00", "end": "2026-03-01T17:30:00+00:00",
                "data_hash": "d" * 64},
        params={"estimator": "GradientBoostingRegressor", "repr": "GradientBoostingRegressor(max_depth=3)"},
        by=by, extra=extra or {})
    if status == "champion":
        return services.model_version_promote(track, v.version, by="setup", reason="first version")
    if status == "pending_approval":
        return services.model_version_submit(track, v.version, by="retrain", reason="beats the champion")
    if status == "rejected":
        return services.model_version_reject(track, v.version, by="setup", reason="worse than G2")
    return v


@pytest.fixture
def versions() -> dict[str, ModelVersion]:
    """Track A: v1 archived, v2 champion, v3 pending (CI above zero), v4 pending (CI spans zero).
    Track B: v1 champion, v2 rejected, v3 candidate."""
    add_version("A", status="champion", mae=2.2)
    add_version("A", status="champion", mae=2.0, champion_mae=2.1, champion_version=1, ci=(0.01, 0.2))
    add_version("A", status="pending_approval", mae=1.8, champion_mae=2.0, champion_version=2, ci=(0.08, 0.32),
                extra={"retrain_run": "run-17", "profile": {"age": [1, 2, 3], "sex": [4, 5]}})
    add_version("A", status="pending_approval", mae=1.95, champion_mae=2.0, champion_version=2, ci=(-0.04, 0.14))
    add_version("B", status="champion", mae=2.6)
    add_version("B", status="rejected", mae=2.9, champion_mae=2.6, champion_version=1, ci=(-0.5, -0.1))
    add_version("B", status="candidate", mae=2.7, champion_mae=2.6, champion_version=1)
    return {v.id: v for v in services.model_versions_list()}


def _login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def approve_permission(db: Any) -> Permission:
    return Permission.objects.get(content_type__app_label="registry", codename="approve_promotion")


@pytest.fixture
def approver(django_user_model: Any, approve_permission: Permission) -> Any:
    """Staff with registry.approve_promotion (not a superuser)."""
    user = django_user_model.objects.create_user("ana.approver", password=PASSWORD, is_staff=True)
    user.user_permissions.add(approve_permission)
    return user


@pytest.fixture
def viewer(django_user_model: Any) -> Any:
    """Staff without the permission: may look, may not decide."""
    return django_user_model.objects.create_user("vic.viewer", password=PASSWORD, is_staff=True)


@pytest.fixture
def teacher(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ms.silva", password=PASSWORD)


@pytest.fixture
def approver_client(approver: Any) -> Client:
    return _login(Client(), approver)


@pytest.fixture
def viewer_client(viewer: Any) -> Client:
    return _login(Client(), viewer)


@pytest.fixture
def teacher_client(teacher: Any) -> Client:
    return _login(Client(), teacher)


@pytest.fixture
def superuser_client(django_user_model: Any) -> Client:
    return _login(Client(), django_user_model.objects.create_superuser("root", password=PASSWORD))
