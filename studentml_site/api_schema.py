"""OpenAPI post-processing (drf-spectacular hooks): rules every API route shares, stated once."""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def shared_rules(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Document what holds for every operation.

    - An empty optional query parameter (``?track=``) means the same as leaving it out, as
      a form with blank fields sends it.
    - Without a valid token or session every operation answers 401 in the error shape.
    - An operation that takes a body answers 415 to a body of a media type it does not read.
    """
    has_error_schema = "Error" in result.get("components", {}).get("schemas", {})
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
            if not has_error_schema:
                continue
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", _error("No valid token or session (see `detail`)."))
            if operation.get("requestBody"):
                responses.setdefault("415", _error("The body's media type is not one this operation reads."))
    return result
