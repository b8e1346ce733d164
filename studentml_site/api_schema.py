"""OpenAPI post-processing (drf-spectacular hooks): rules every API route shares, stated once."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def shared_rules(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Document what holds for every operation.

    - An empty optional query parameter (``?track=``) means the same as leaving it out, as
      a form with blank fields sends it.
    - Without a valid token or session every operation answers 401 in the error shape.
    """
    has_error_schema = "Error" in result.get("components", {}).get("schemas", {})
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
            if has_error_schema and operation.get("security"):
                operation.setdefault("responses", {}).setdefault("401", {
                    "description": "No valid token or session (see `detail`).",
                    "content": {"application/json": {"schema": _ERROR}},
                })
    return result
