"""Time helpers: everything is stored in UTC, reports group by the call centre's local time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def from_timestamp(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def local_parts(moment: datetime, tz: ZoneInfo) -> tuple[date, int]:
    """The local date and hour of a UTC moment, as stored on calls and agent states."""
    local = moment.astimezone(tz)
    return local.date(), local.hour
