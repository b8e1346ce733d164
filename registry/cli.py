"""Shared parsing for the operator commands (promote, reject, rollback)."""

from __future__ import annotations

import getpass
import re

from django.core.management.base import CommandError

from predictions.schema import Track

_VERSION = re.compile(r"^\s*([ABCabc])\s*[:/]?\s*(\d+)\s*$")


def parse_version(text: str, track: str | None) -> tuple[str, int]:
    """``A:7``, ``A7`` or ``7`` with ``--track A`` → ("A", 7)."""
    match = _VERSION.match(text)
    if match:
        return match.group(1).upper(), int(match.group(2))
    if text.strip().isdigit() and track:
        return Track(track.upper()).value, int(text)
    raise CommandError(f"{text!r} is not a version: write it as A:7 (track and number), or 7 with --track A")


def operator(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
