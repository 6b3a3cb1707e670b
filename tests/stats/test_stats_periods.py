from datetime import UTC, date, datetime

import pytest

from crm.errors import InvalidInput
from crm.stats.periods import (
    MAX_DAYS,
    Granularity,
    Interval,
    bucket_keys,
    interval,
    local_today,
    parse_granularity,
    quick_range,
)
from tests.stats.history import PARIS

SUNDAY = date(2026, 3, 29)  # the spring DST day in Paris


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", SUNDAY, SUNDAY),
        ("yesterday", date(2026, 3, 28), date(2026, 3, 28)),
        ("this_week", date(2026, 3, 23), SUNDAY),  # weeks start on Monday
        ("last_week", date(2026, 3, 16), date(2026, 3, 22)),
        ("this_month", date(2026, 3, 1), SUNDAY),
        ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
        ("last_7_days", date(2026, 3, 23), SUNDAY),
        ("last_30_days", date(2026, 2, 28), SUNDAY),
    ],
)
def test_quick_ranges_for_a_fixed_today(name: str, start: date, end: date) -> None:
    assert quick_range(name, SUNDAY) == Interval(start, end)


def test_quick_ranges_at_month_and_year_edges() -> None:
    assert quick_range("last_month", date(2026, 1, 15)) == Interval(
        date(2025, 12, 1), date(2025, 12, 31)
    )
    monday = date(2026, 3, 23)
    assert quick_range("this_week", monday) == Interval(monday, monday)


def test_local_today_uses_the_call_centre_zone() -> None:
    # 23:30 UTC on the 28th is already the 29th in Paris
    assert local_today(PARIS, datetime(2026, 3, 28, 23, 30, tzinfo=UTC)) == SUNDAY


def test_utc_bounds_of_a_dst_day_last_23_hours() -> None:
    start, end = Interval(SUNDAY, SUNDAY).utc_bounds(PARIS)
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_bad_intervals_raise_a_domain_error() -> None:
    with pytest.raises(InvalidInput, match=r"starts \(2026-03-29\) after it ends \(2026-03-28\)"):
        interval("2026-03-29", "2026-03-28")
    with pytest.raises(InvalidInput, match="at most 732"):
        interval("2024-01-01", "2026-03-28")
    with pytest.raises(InvalidInput) as err:
        interval("2026-13-01", "2026-03-28")
    assert "from" in err.value.fields
    with pytest.raises(InvalidInput):
        quick_range("fortnight", SUNDAY)
    with pytest.raises(InvalidInput):
        parse_granularity("week")
    assert Interval(date(2024, 1, 1), date(2024, 1, 1)).days == 1
    assert interval("2024-01-01", date(2025, 12, 31)).days == 731 <= MAX_DAYS


def test_bucket_keys_skip_the_missing_dst_hour() -> None:
    hours = bucket_keys(Interval(SUNDAY, SUNDAY), Granularity.HOUR, PARIS)
    assert len(hours) == 23 and "2026-03-29 02:00" not in hours
    assert hours[:3] == ["2026-03-29 00:00", "2026-03-29 01:00", "2026-03-29 03:00"]
    iv = Interval(date(2026, 1, 30), date(2026, 3, 2))
    assert bucket_keys(iv, Granularity.MONTH, PARIS) == ["2026-01", "2026-02", "2026-03"]
    assert len(bucket_keys(iv, Granularity.DAY, PARIS)) == 32
    assert bucket_keys(iv, Granularity.HOUR_OF_DAY, PARIS)[23] == "23:00"
