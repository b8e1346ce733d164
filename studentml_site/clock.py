"""The current time as every Mongo backend stores it.

BSON keeps milliseconds; a timestamp with microseconds would read back earlier than it
was written, and "what was true at time t" questions would get the wrong answer.
"""

from datetime import UTC, datetime


def now() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
