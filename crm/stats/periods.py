"""Report intervals: local dates in the call centre's time zone, their UTC bounds and buckets.

An interval is a pair of *local* dates, both included. Its UTC bounds run from local
midnight of the first day to local midnight after the last, so a DST day is 23 or 25 hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from crm.errors import N_, InvalidInput

# About two years: enough for year-on-year comparisons, small enough to answer fast.
MAX_DAYS = 732
# Dates a call centre can have data for. Outside them the UTC bounds of a local day would
# fall off the calendar (year 1 minus a time zone offset, the day after 9999-12-31).
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(2199, 12, 31)


class Granularity(StrEnum):
    MONTH = "month"
    DAY = "day"
    HOUR = "hour"  # each local hour of the interval, chronologically
    HOUR_OF_DAY = "hour_of_day"  # 0..23, every day of the interval summed (daily profile)


class QuickRange(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    LAST_WEEK = "last_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"


@dataclass(frozen=True, slots=True)
class Interval:
    start: date  # first local day, included
    end: date  # last local day, included

    def __post_init__(self) -> None:
        for name, day in (("from", self.start), ("to", self.end)):
            if not FIRST_DATE <= day <= LAST_DATE:
                raise InvalidInput(
                    N_("{day} is outside the dates reports cover ({first} to {last})."),
                    fields={name: N_("date out of range")}, day=day.isoformat(),
                    first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat())
        if self.start > self.end:
            raise InvalidInput(
                N_("The interval starts ({start}) after it ends ({end})."),
                fields={"from": N_("must not be after the end date")},
                start=self.start.isoformat(),
                end=self.end.isoformat(),
            )
        if self.days > MAX_DAYS:
            raise InvalidInput(
                N_("The interval covers {days} days; at most {max_days} are allowed."),
                fields={"to": N_("the interval is too long")},
                days=self.days,
                max_days=MAX_DAYS,
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of the first day to that after the last day."""
        return local_midnight_utc(self.start, tz), local_midnight_utc(
            self.end + timedelta(days=1), tz
        )

    def dates(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    def label(self) -> str:
        return (
            self.start.isoformat()
            if self.start == self.end
            else (f"{self.start.isoformat()} – {self.end.isoformat()}")
        )


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def parse_date(value: str | date, field: str = "date") -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(
            N_("{value} is not a date (expected YYYY-MM-DD)."),
            fields={field: N_("expected YYYY-MM-DD")},
            value=repr(value),
        ) from None


def interval(start: str | date, end: str | date) -> Interval:
    """An interval from the calendar's two dates (strings YYYY-MM-DD or dates)."""
    return Interval(parse_date(start, "from"), parse_date(end, "to"))


def quick_range(name: str | QuickRange, today: date) -> Interval:
    """A named range relative to ``today`` (the local date: use :func:`local_today`)."""
    try:
        kind = QuickRange(name)
    except ValueError:
        raise InvalidInput(
            N_("Unknown range {name}."), fields={"range": N_("unknown range")}, name=str(name)
        ) from None
    match kind:
        case QuickRange.TODAY:
            return Interval(today, today)
        case QuickRange.YESTERDAY:
            day = today - timedelta(days=1)
            return Interval(day, day)
        case QuickRange.THIS_WEEK:  # weeks start on Monday (ISO 8601, as in France)
            monday = today - timedelta(days=today.weekday())
            return Interval(monday, today)
        case QuickRange.LAST_WEEK:
            monday = today - timedelta(days=today.weekday() + 7)
            return Interval(monday, monday + timedelta(days=6))
        case QuickRange.THIS_MONTH:
            return Interval(today.replace(day=1), today)
        case QuickRange.LAST_MONTH:
            last_day = today.replace(day=1) - timedelta(days=1)
            return Interval(last_day.replace(day=1), last_day)
        case QuickRange.LAST_7_DAYS:
            return Interval(today - timedelta(days=6), today)
        case QuickRange.LAST_30_DAYS:
            return Interval(today - timedelta(days=29), today)
    raise AssertionError(kind)  # pragma: no cover


def local_today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(tz).date()


def hour_exists(day: date, hour: int, tz: ZoneInfo) -> bool:
    """False for the hour skipped when clocks go forward (02:00 on the spring DST day)."""
    local = datetime.combine(day, time(hour), tzinfo=tz)
    return local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None)


def bucket_keys(iv: Interval, granularity: Granularity, tz: ZoneInfo) -> list[str]:
    """Every bucket label of the interval, in order, so charts show empty buckets as 0."""
    match granularity:
        case Granularity.MONTH:
            months: list[str] = []
            for day in iv.dates():
                key = month_key(day)
                if not months or months[-1] != key:
                    months.append(key)
            return months
        case Granularity.DAY:
            return [d.isoformat() for d in iv.dates()]
        case Granularity.HOUR:
            return [hour_key(d, h) for d in iv.dates() for h in range(24) if hour_exists(d, h, tz)]
        case Granularity.HOUR_OF_DAY:
            return [f"{h:02d}:00" for h in range(24)]
    raise AssertionError(granularity)  # pragma: no cover


def bucket_of(day: date, hour: int, granularity: Granularity) -> str:
    match granularity:
        case Granularity.MONTH:
            return month_key(day)
        case Granularity.DAY:
            return day.isoformat()
        case Granularity.HOUR:
            return hour_key(day, hour)
        case Granularity.HOUR_OF_DAY:
            return f"{hour:02d}:00"
    raise AssertionError(granularity)  # pragma: no cover


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def hour_key(day: date, hour: int) -> str:
    return f"{day.isoformat()} {hour:02d}:00"


def parse_granularity(value: str | Granularity) -> Granularity:
    try:
        return Granularity(value)
    except ValueError:
        raise InvalidInput(
            N_("Unknown granularity {value}."),
            fields={"granularity": N_("expected month, day, hour or hour_of_day")},
            value=str(value),
        ) from None
