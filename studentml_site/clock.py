"""The current time as every Mongo backend stores it.

BSON keeps milliseconds; a timestamp with microseconds would read back earlier than it
was written, and "what was true at time t" questions would get the wrong answer.
"""

from datetime import UTC, datetime


def now() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def to_store(moment: datetime | None) -> datetime | None:
    """A datetime as the stores keep it: naive, in UTC (every backend hands naive ones back)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment is not None and moment.tzinfo else moment


def from_store(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) datetime made timezone-aware again."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
