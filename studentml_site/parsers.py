"""The API's JSON parser, bounded: every /api/ route reads JSON through it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """JSON no deeper than JSON_MAX_DEPTH: a deeper body is a 400 in the API's shape, not a crash."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            deep = True
        else:
            deep = _deeper_than(data, settings.JSON_MAX_DEPTH)
        if deep:
            raise ParseError(f"the JSON body is nested deeper than {settings.JSON_MAX_DEPTH} levels (JSON_MAX_DEPTH)")
        return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether ``data`` nests lists/objects more than ``limit`` deep (an explicit stack: no recursion)."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
