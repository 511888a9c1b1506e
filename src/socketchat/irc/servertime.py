"""IRCv3 server-time (``2024-01-02T03:04:05.678Z``): the one place that writes and reads it.

The server stamps every relayed line with it (`format_time`, on the fan-out path: plain
`time.strftime` on a float is the cheapest correct spelling), stores history in milliseconds
since the epoch (`format_ms`, `parse_ms`: CHATHISTORY selectors and read markers), and the
clients read the tag into an aware `datetime` (`parse_datetime`) and write CHATHISTORY
timestamps back (`format_datetime`). Reading accepts what `datetime.fromisoformat` accepts
(a missing zone means UTC) and answers None, never an exception, for anything else: the value
comes from the network.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S"


def format_time(seconds: float) -> str:
    """Seconds since the epoch as server-time, UTC with milliseconds."""
    ms = int(seconds * 1000) % 1000
    return time.strftime(_FORMAT, time.gmtime(seconds)) + f".{ms:03d}Z"


def format_ms(time_ms: int) -> str:
    """Milliseconds since the epoch as server-time."""
    return time.strftime(_FORMAT, time.gmtime(time_ms // 1000)) + f".{time_ms % 1000:03d}Z"


def format_datetime(when: datetime) -> str:
    """An aware `datetime` as server-time (converted to UTC)."""
    utc = when.astimezone(UTC)
    return utc.strftime(_FORMAT) + f".{utc.microsecond // 1000:03d}Z"


def parse_datetime(value: str) -> datetime | None:
    """A server-time string as an aware `datetime` in UTC, or None if it is not one."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. 0001-01-01T00:00:00+05:00 is before year 1
        return None


def parse_ms(value: str) -> int | None:
    """A server-time string as milliseconds since the epoch, or None if it is not one."""
    when = parse_datetime(value)
    if when is None:
        return None
    try:
        return int(when.timestamp() * 1000)
    except (OverflowError, ValueError):
        return None
