"""``limit`` and ``offset`` query parameters, checked the same way on every list endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# Beyond this an offset means nothing useful, and a real MongoDB refuses numbers past 64 bits.
MAX_OFFSET = 1_000_000_000


def page_numbers(params: Any, *, default_limit: int, max_limit: int) -> tuple[int, int]:
    """(limit, offset); a 400 naming every bad parameter otherwise. Empty means "not given"."""
    values: dict[str, int] = {}
    errors = []
    for name, default, low, high in (("limit", default_limit, 1, max_limit), ("offset", 0, 0, MAX_OFFSET)):
        raw = params.get(name)
        try:
            values[name] = int(raw or default)
        except ValueError:
            errors.append({"field": name, "reason": "must be a whole number", "value": raw})
            continue
        if not low <= values[name] <= high:
            errors.append({"field": name, "reason": f"must be from {low:,} to {high:,}", "value": raw})
    if errors:
        raise serializers.ValidationError({"errors": errors})
    return values["limit"], values["offset"]
