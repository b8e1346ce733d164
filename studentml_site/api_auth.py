"""API tokens, sent as ``Authorization: Token <key>`` (DRF's word) or ``Bearer <key>`` (what
most HTTP clients and OpenAPI tools send); both name the same key."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import TokenAuthentication


class BearerAuthentication(TokenAuthentication):
    """The same tokens as ``TokenAuthentication``, under the keyword ``Bearer``."""

    keyword = "Bearer"


class BearerScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "studentml_site.api_auth.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer",
                "description": "The same API token as tokenAuth, sent as `Authorization: Bearer <key>`."}
