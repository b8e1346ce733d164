"""Typed reads of environment variables that fail loudly, naming the variable.

Every setting goes through these helpers so a typo such as ``DRIFT_P_VALUE=abc`` stops
start-up with a message that says which variable is wrong and what it should be, instead
of surfacing later as a confusing error deep in a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

env = environ.Env()


def from_env(name: str, cast: Callable[..., T], default: Any) -> T:
    """Read ``name`` with an ``environ.Env`` cast, naming the variable on failure."""
    try:
        return cast(name, default=default)
    except (ValueError, TypeError, ImproperlyConfigured) as exc:
        raw = env.str(name, default="")
        raise ImproperlyConfigured(f"{name}={raw!r} is not valid: {exc}") from exc


def float_in(name: str, default: float, low: float, high: float, *, open_low: bool = False) -> float:
    """A float within [low, high] (or (low, high] with ``open_low``)."""
    value = from_env(name, env.float, default)
    too_low = value <= low if open_low else value < low
    if too_low or value > high:
        bracket = "(" if open_low else "["
        raise ImproperlyConfigured(f"{name}={value} is out of range: expected a number in {bracket}{low}, {high}]")
    return value


def int_at_least(name: str, default: int, low: int) -> int:
    value = from_env(name, env.int, default)
    if value < low:
        raise ImproperlyConfigured(f"{name}={value} is out of range: expected a whole number >= {low}")
    return value


def choice(name: str, default: str, choices: Iterable[str]) -> str:
    """One of a fixed set of strings, compared case-insensitively."""
    allowed = list(choices)
    value = env.str(name, default=default).strip().lower()
    if value not in allowed:
        raise ImproperlyConfigured(f"{name}={value!r} is not valid: expected one of {', '.join(allowed)}")
    return value


def cron(name: str, default: str) -> str:
    """A five-field cron expression (minute hour day-of-month month day-of-week)."""
    value = env.str(name, default=default).strip()
    fields = value.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not valid: expected five cron fields "
            "'minute hour day-of-month month day-of-week', e.g. '0 2 * * *'"
        )
    try:
        crontab_from(value)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a valid cron expression: {exc}") from exc
    return value


def crontab_from(expression: str) -> Any:
    """A Celery crontab from a standard cron string (Celery's argument order differs)."""
    from celery.schedules import crontab

    minute, hour, day_of_month, month_of_year, day_of_week = expression.split()
    return crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                   month_of_year=month_of_year, day_of_week=day_of_week)


def effect_thresholds(name: str, default: dict[str, float]) -> dict[str, float]:
    """Per-test effect-size thresholds: ``0.1`` for both, or ``ks=0.1,chi2=0.15``."""
    raw = env.str(name, default="").strip()
    if not raw:
        return dict(default)
    result = dict(default)
    try:
        if "=" not in raw:
            value = float(raw)
            result = {key: value for key in default}
        else:
            for part in raw.split(","):
                key, _, number = part.partition("=")
                key = key.strip().lower()
                if key not in default:
                    raise ValueError(f"unknown test {key!r} (expected {', '.join(default)})")
                result[key] = float(number)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not valid: {exc}; expected a number or e.g. 'ks=0.1,chi2=0.1'"
        ) from exc
    for key, value in result.items():
        if not 0 <= value <= 1:
            raise ImproperlyConfigured(f"{name}: {key}={value} is out of range: expected a number in [0, 1]")
    return result


def drift_tests(name: str) -> dict[str, str]:
    """Per-feature test overrides, e.g. ``Medu=chi2,Fedu=chi2`` (categorical fields take chi2 only)."""
    raw = env.str(name, default="").strip()
    if not raw:
        return {}
    from predictions import schema

    result: dict[str, str] = {}
    for part in raw.split(","):
        feature, _, test = (p.strip() for p in part.partition("="))
        if feature not in schema.INPUTS:
            raise ImproperlyConfigured(f"{name}: {feature!r} is not an input field of the student schema")
        if test not in ("ks", "chi2"):
            raise ImproperlyConfigured(f"{name}: {feature}={test!r} is not valid: expected ks or chi2")
        if test == "ks" and schema.BY_NAME[feature].kind.value == "categorical":
            raise ImproperlyConfigured(f"{name}: {feature} is categorical, so only chi2 applies")
        result[feature] = test
    return result


def mongo_uri(name: str, default: str) -> str:
    value = env.str(name, default=default).strip()
    schemes = ("mongodb://", "mongodb+srv://", "montydb://", "mongomock://")
    if not value.startswith(schemes):
        raise ImproperlyConfigured(f"{name}={value!r} is not valid: expected a URI starting with {', '.join(schemes)}")
    return value


def time_zone(name: str, default: str) -> str:
    """An IANA time zone name such as Europe/Lisbon or UTC."""
    value = env.str(name, default=default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name}: {value!r} is not a time zone name (e.g. Europe/Lisbon, UTC)") from exc
    return value
