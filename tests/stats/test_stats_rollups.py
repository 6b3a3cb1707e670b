"""Rollups equal the raw-record computation, after the journal's hooks and after a rebuild."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm.errors import InvalidInput
from crm.journal import CallJournal
from crm.models import Call, StatsAgentHourly, StatsCallHourly
from crm.stats.rollups import (
    AGENT_COLUMNS,
    AGENT_DERIVED,
    CALL_COLUMNS,
    CALL_DERIVED,
    OFFER_COLUMNS,
    OFFER_DERIVED,
    HourSplitter,
    rebuild_all,
    rebuild_rollups,
)
from crm.stats.sql import as_num, execute, fetch_rows
from tests.stats.history import (
    DAY1,
    DAY2,
    PARIS,
    at,
    build_history,
    raw_agent_rollup,
    raw_call_rollup,
    raw_offer_rollup,
    stored_rollups,
)


def _approx(rows: dict) -> dict:
    return {k: pytest.approx(v) for k, v in rows.items()}


async def _assert_rollups_match_raw() -> None:
    calls, offers, agents = await stored_rollups()
    assert calls == _approx(await raw_call_rollup())
    assert offers == await raw_offer_rollup()
    assert agents == _approx(await raw_agent_rollup())
    # the coarser copies are the base tables summed over the hour or over the agents
    for base, derived, columns in (
        ("stats_call_hourly", CALL_DERIVED, CALL_COLUMNS),
        ("stats_offer_hourly", OFFER_DERIVED, OFFER_COLUMNS),
        ("stats_agent_hourly", AGENT_DERIVED, AGENT_COLUMNS),
    ):
        for table, keys in derived.items():
            names = ", ".join((*keys, *columns))
            sums = ", ".join(f"SUM({c})" for c in columns)
            key_list = ", ".join(keys)
            expected = await fetch_rows(
                f"SELECT {key_list}, {sums} FROM {base} GROUP BY {key_list} ORDER BY {key_list}"
            )
            actual = await fetch_rows(f"SELECT {names} FROM {table} ORDER BY {key_list}")
            assert len(actual) == len(expected) > 0, table
            for want, got in zip(expected, actual, strict=True):
                assert [as_num(v) for v in got] == pytest.approx([as_num(v) for v in want]), table


async def test_hooks_keep_rollups_equal_to_raw(db: str) -> None:
    await build_history()
    await _assert_rollups_match_raw()
    calls, _, agents = await stored_rollups()
    # spot checks worked out by hand (history.py)
    assert (DAY1, 10, 1, 2, "inbound") not in calls  # Bob only rejected in Sales at 10:xx
    a10 = calls[(DAY1, 10, 1, 1, "inbound")]  # Sales 10:xx local, Alice: c1, c2
    assert (a10["calls"], a10["answered_queued"], a10["wait_answered_s"]) == (2, 2, 40)
    assert a10["answered_le_20"] == 1 and a10["answered_le_30"] == 2
    assert a10["talk_s"] == 180 and a10["wrapup_s"] == 25
    none10 = calls[(DAY1, 10, 1, 0, "inbound")]  # the two abandons
    assert none10["abandoned"] == 2 and none10["abandoned_lt_5"] == 1
    assert none10["wait_abandoned_s"] == 43
    # the lunch pause of Alice split over 10:55–12:20 local
    lunch = {k[1]: v for k, v in agents.items() if k[4] == "lunch"}
    assert lunch == {10: [300, 1], 11: [3600, 0], 12: [1200, 0]}
    # the break across the missing 02:00 of the DST day: 10 minutes at 01:xx, 10 at 03:xx
    brk = {k[1]: v for k, v in agents.items() if k[4] == "break"}
    assert brk == {1: [600, 1], 3: [600, 0]}
    # Bob's open state of the 29th is not counted yet
    assert not [k for k in agents if k[0] == DAY2 and k[2] == 2]


async def test_wrapup_ending_later_updates_the_hour(db: str) -> None:
    await build_history()
    journal = CallJournal(PARIS)
    journal.start()
    journal.wrapup_ended("c9", at(29, 2, 11, 45))  # 20 s after c9 ended
    await journal.stop()
    row = await StatsCallHourly.get(local_date=DAY2, local_hour=4, agent_id=2)
    assert row.wrapup_s == 20 and row.handled == 1
    await _assert_rollups_match_raw()


async def test_rebuild_is_idempotent_and_equals_raw(db: str) -> None:
    await build_history()
    # damage the rollups: a rebuild must repair them
    await execute("DELETE FROM stats_call_hourly WHERE local_hour = 10")
    await execute("UPDATE stats_agent_hourly SET seconds = seconds + 99")
    await execute("DELETE FROM stats_offer_hourly")
    result = await rebuild_rollups(DAY1, DAY2, PARIS)
    assert result.call_rows == await StatsCallHourly.all().count()
    await _assert_rollups_match_raw()
    before = await stored_rollups()
    await rebuild_rollups(DAY1, DAY2, PARIS)
    assert await stored_rollups() == before
    assert await rebuild_all(PARIS) is not None
    assert await stored_rollups() == before


async def test_rebuild_of_one_day_clips_states_running_over_midnight(db: str) -> None:
    await build_history()
    journal = CallJournal(PARIS)
    journal.start()
    # Alice paused from 23:30 local on the 27th to 00:45 local on the 28th
    journal.agent_state(1, "paused", datetime(2026, 3, 27, 22, 30, tzinfo=UTC), reason="late")
    journal.agent_state(1, "logged_out", datetime(2026, 3, 27, 23, 45, tzinfo=UTC))
    await journal.stop()
    await execute("DELETE FROM stats_agent_hourly")
    await rebuild_rollups(DAY1, DAY1, PARIS)
    late = await StatsAgentHourly.filter(reason="late").order_by("local_date", "local_hour")
    # only the 28th was rebuilt: 45 minutes at 00:xx, no entry (it started the 27th)
    assert [(r.local_date, r.local_hour, r.seconds, r.entries) for r in late] == [
        (DAY1, 0, 2700.0, 0)
    ]
    await rebuild_rollups(date(2026, 3, 27), DAY2, PARIS)
    await _assert_rollups_match_raw()


async def test_rebuild_rejects_a_reversed_range(db: str) -> None:
    with pytest.raises(InvalidInput):
        await rebuild_rollups(DAY2, DAY1, PARIS)


async def test_calls_not_ended_are_not_counted(db: str) -> None:
    await build_history()
    assert await Call.filter(ref="c10", outcome__isnull=True).exists()
    assert not await StatsCallHourly.filter(local_date=DAY2, local_hour=4, group_id=1).exists()


def test_hour_splitter_handles_dst_and_half_hour_zones() -> None:
    paris = HourSplitter(PARIS)
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).timestamp()  # 02:30 CEST, fall back
    pieces = list(paris.split(start, start + 2 * 3600))
    # 02:30–03:00 CEST, 02:00–03:00 CET (the repeated hour, same bucket), 03:00–03:30 CET
    assert [(d.day, h, s) for d, h, s in pieces] == [(25, 2, 1800), (25, 2, 3600), (25, 3, 1800)]
    kolkata = HourSplitter(ZoneInfo("Asia/Kolkata"))  # UTC+05:30
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC).timestamp()  # 05:30 local
    assert [(h, s) for _, h, s in kolkata.split(start, start + 3600)] == [(5, 1800), (6, 1800)]
    assert list(paris.split(start, start)) == []
    assert sum(s for *_, s in paris.split(start, start + timedelta(days=3).total_seconds())) == (
        3 * 86400
    )


async def test_hold_time_is_its_own_figure_and_part_of_aht(db: str) -> None:
    """B11: hold periods reported by the ACD are the row's hold_s; talk excludes them, and
    the rollups (hence AHT = talk + hold + wrap-up) count them once."""
    world = await build_history()
    journal = CallJournal(PARIS)
    journal.start()
    start = at(29, 2, 30)
    journal.call_started("h1", at=start, group_id=world.sales.id, caller_number="+336")
    journal.call_queued("h1", start)
    journal.call_answered("h1", world.alice.id, start + timedelta(seconds=5))
    journal.call_hold("h1", 12.5)
    journal.call_hold("h1", 7.5)
    journal.call_ended("h1", "answered", start + timedelta(seconds=105))
    journal.wrapup_ended("h1", start + timedelta(seconds=115))
    await journal.stop()
    row = await Call.get(ref="h1")
    assert (row.hold_s, row.talk_s, row.wrapup_s) == (20.0, 80.0, 10.0)
    rollup = await StatsCallHourly.get(local_date=DAY2, local_hour=4, group_id=world.sales.id,
                                       agent_id=world.alice.id)
    assert rollup.hold_s == 20.0
    await _assert_rollups_match_raw()
