"""Every report over the hand-made history equals the figures worked out in history.py."""

from __future__ import annotations

import pytest

from crm.errors import InvalidInput
from crm.stats.periods import Granularity, Interval
from crm.stats.reports import (
    REPORTS,
    agent_report,
    call_report,
    calls_per_agent,
    calls_per_agent_per_month,
    calls_per_day,
    kpi_report,
    monthly_talk_time_per_agent,
    pause_report,
    run_report,
)
from crm.stats.types import Filters, StatsConfig
from tests.stats.history import CFG, DAY1, DAY2, PARIS, build_history

BOTH = Interval(DAY1, DAY2)
ALL = Filters()


def _pick(row: dict, *keys: str) -> tuple:
    return tuple(row[k] for k in keys)


async def test_calls_per_day(db: str) -> None:
    await build_history()
    report = await calls_per_day(CFG, BOTH, ALL)
    keys = ("bucket", "calls", "inbound", "outbound", "answered", "abandoned", "transferred")
    assert [_pick(r, *keys) for r in report.rows] == [
        ("2026-03-28", 6, 5, 1, 3, 1, 1),
        ("2026-03-29", 3, 3, 0, 2, 1, 0),
    ]
    assert _pick(report.totals, *keys[1:]) == (9, 8, 1, 5, 2, 1)
    assert report.chart.labels == ["2026-03-28", "2026-03-29"]
    assert report.chart.datasets[0].data == [6, 3]
    assert [c.key for c in report.columns] == list(keys)


async def test_call_report_by_day_with_kpis(db: str) -> None:
    await build_history()
    report = await call_report(CFG, BOTH, ALL, "day")
    day1, day2 = report.rows
    assert _pick(day1, "queued", "answered", "abandoned", "short_abandoned") == (5, 3, 1, 1)
    assert day1["service_level"] == 50.0 and day1["asa"] == pytest.approx(18.3)
    assert day1["abandon_rate"] == 20.0 and day1["aht"] == 100.0 and day1["talk_s"] == 660
    assert day2["service_level"] == pytest.approx(33.3) and day2["asa"] == 22.5
    assert day2["abandon_rate"] == pytest.approx(33.3) and day2["aht"] == 65.0
    kpis = {k.key: k for k in report.kpis}
    assert kpis["service_level"].value == pytest.approx(300 / 7)  # 3 ÷ (5 + 2)
    assert kpis["asa"].value == 20 and kpis["abandon_rate"].value == 25
    assert kpis["aht"].value == pytest.approx(530 / 6)
    assert kpis["service_level"].thresholds == {"t": 20, "short": 5}
    assert report.thresholds == {"service_level_s": 20, "short_abandon_s": 5}
    assert report.totals["service_level"] == pytest.approx(42.9)


async def test_call_report_by_hour_buckets_in_local_time_across_dst(db: str) -> None:
    await build_history()
    report = await call_report(CFG, BOTH, ALL, Granularity.HOUR)
    assert len(report.rows) == 24 + 23  # the 29th has no 02:00
    by = {r["bucket"]: r for r in report.rows}
    assert _pick(by["2026-03-28 10:00"], "calls", "answered", "abandoned", "short_abandoned") == (
        4,
        2,
        1,
        1,
    )
    assert _pick(by["2026-03-28 11:00"], "calls", "queued", "transferred") == (1, 1, 1)
    assert _pick(by["2026-03-28 14:00"], "calls", "outbound", "talk_s") == (1, 1, 300)
    assert by["2026-03-29 01:00"]["answered"] == 1  # c7 at 00:30 UTC, still UTC+1
    assert by["2026-03-29 03:00"]["abandoned"] == 1  # c8 at 01:30 UTC, now UTC+2
    assert by["2026-03-29 04:00"]["answered"] == 1
    assert sum(r["calls"] for r in report.rows) == 9
    profile = await call_report(CFG, BOTH, ALL, "hour_of_day")
    assert [r["calls"] for r in profile.rows if r["calls"]] == [1, 1, 1, 4, 1, 1]
    months = await call_report(CFG, BOTH, ALL, "month")
    assert [(r["bucket"], r["calls"]) for r in months.rows] == [("2026-03", 9)]


async def test_thresholds_outside_the_histogram_use_the_raw_calls(db: str) -> None:
    await build_history()
    short6 = await call_report(StatsConfig(PARIS, 20, 6), BOTH, ALL, "day")
    assert short6.rows[1]["short_abandoned"] == 2 - 1  # c8 (5 s) is now short, c3 was
    assert _pick(short6.totals, "abandoned", "short_abandoned") == (1, 2)
    assert short6.totals["service_level"] == 50.0  # 3 ÷ (5 + 1)
    t12 = await call_report(StatsConfig(PARIS, 12, 5), BOTH, ALL, "day")
    assert t12.totals["service_level"] == pytest.approx(14.3)  # only c1 within 12 s: 1 ÷ 7
    t30 = await call_report(StatsConfig(PARIS, 30, 5), BOTH, ALL, "day")
    assert t30.totals["service_level"] == pytest.approx(71.4)  # 5 ÷ 7, from the histogram


async def test_calls_per_agent_and_filters(db: str) -> None:
    w = await build_history()
    keys = (
        "agent",
        "received",
        "answered",
        "rejected",
        "missed",
        "transferred",
        "handled",
        "talk_s",
        "aht",
    )
    report = await calls_per_agent(CFG, BOTH, ALL)
    assert [_pick(r, *keys) for r in report.rows] == [
        # Alice's click-to-call is handled (talk time) but no call received
        ("Alice", 6, 4, 0, 2, 0, 5, 660, 143.0),
        ("Bob", 4, 2, 1, 0, 1, 2, 120, 62.5),
    ]
    assert _pick(report.totals, *keys[1:]) == (10, 6, 1, 2, 1, 7, 780, 120.0)
    # The breakdown that ties it to "KPIs per agent" (which counts calls answered from
    # the queue): Alice took c5b as a transfer and placed c6 herself.
    breakdown = [_pick(r, "agent", "answered", "from_queue", "transfers_taken", "placed")
                 for r in report.rows]
    assert breakdown == [("Alice", 4, 3, 1, 1), ("Bob", 2, 2, 0, 0)]
    per_agent = await kpi_report(CFG, BOTH, ALL, per="agent")
    assert [_pick(r, "agent", "answered") for r in per_agent.rows] == [
        (r[0], r[2]) for r in breakdown]
    assert report.chart.labels == ["Alice", "Bob"]
    support = await calls_per_agent(CFG, BOTH, Filters.of(w.support.id))
    assert [_pick(r, *keys) for r in support.rows] == [
        ("Alice", 1, 1, 0, 0, 0, 1, 120, 130.0),
        ("Bob", 2, 2, 0, 0, 1, 2, 120, 62.5),
    ]
    bob = await calls_per_agent(CFG, BOTH, Filters.of(agent_ids=[w.bob.id]))
    assert [r["agent"] for r in bob.rows] == ["Bob"]
    one_day = await calls_per_agent(CFG, Interval(DAY2, DAY2), ALL)
    assert [_pick(r, "agent", "received", "answered") for r in one_day.rows] == [
        ("Alice", 1, 1),
        ("Bob", 2, 1),
    ]


async def test_monthly_reports_per_agent(db: str) -> None:
    await build_history()
    talk = await monthly_talk_time_per_agent(CFG, BOTH, ALL)
    assert [_pick(r, "agent", "month", "handled", "talk_s", "avg_talk_s") for r in talk.rows] == [
        ("Alice", "2026-03", 5, 660, 132.0),
        ("Bob", "2026-03", 2, 120, 60.0),
    ]
    assert talk.chart.labels == ["2026-03"]
    assert [(d.label, d.data) for d in talk.chart.datasets] == [("Alice", [660]), ("Bob", [120])]
    counts = await calls_per_agent_per_month(CFG, BOTH, ALL)
    assert [_pick(r, "agent", "month", "received", "calls") for r in counts.rows] == [
        ("Alice", "2026-03", 6, 5),  # c6: placed by her, answered by the client
        ("Bob", "2026-03", 4, 2),
    ]
    assert counts.totals == {"agent": "Total", "received": 10, "calls": 7}


async def test_kpis_per_group_use_each_group_threshold(db: str) -> None:
    w = await build_history()
    report = await kpi_report(CFG, BOTH, ALL, per="group")
    keys = (
        "group",
        "queued",
        "answered",
        "abandoned",
        "short_abandoned",
        "service_level",
        "asa",
        "aht",
        "abandon_rate",
        "occupancy",
        "pause_s",
        "service_level_s",
    )
    sales, support = (_pick(r, *keys) for r in report.rows)
    assert sales == (
        "Sales",
        6,
        3,
        2,
        1,
        40.0,
        20.0,
        pytest.approx(91.7),
        pytest.approx(33.3),
        1.6,
        6600,
        20,
    )
    assert support == ("Support", 2, 2, 0, 0, 100.0, 20.0, 85.0, 0.0, 1.6, 300, 30)
    assert _pick(report.totals, *keys[1:]) == (
        8,
        5,
        2,
        1,
        # each call against its own group's T: Sales 2 of 5 within 20 s, Support 2 of 2
        # within 30 s (c9 waited 25 s) → 4 of 7, as the rows add up
        pytest.approx(57.1),
        20.0,
        pytest.approx(88.3),
        25.0,
        1.6,
        6600,
        20,
    )
    occupancy = next(k for k in report.kpis if k.key == "occupancy")
    assert (occupancy.numerator, occupancy.denominator) == (200, 12680)
    series = {d.key: d.data for d in report.chart.datasets}
    assert report.chart.labels == ["2026-03-28", "2026-03-29"]
    assert series["service_level"] == [50.0, pytest.approx(66.7)]  # c9 within Support's T
    assert series["occupancy"] == [1.9, 0.0]
    only_support = await kpi_report(CFG, BOTH, Filters.of(w.support.id), per="group")
    assert [r["group"] for r in only_support.rows] == ["Support"]
    assert only_support.totals["pause_s"] == 300  # Bob is Support's only member


async def test_kpis_per_agent(db: str) -> None:
    await build_history()
    report = await kpi_report(CFG, BOTH, ALL, per="agent", granularity="hour")
    keys = ("agent", "queued", "answered", "service_level", "asa", "aht", "occupancy", "pause_s")
    assert [_pick(r, *keys) for r in report.rows] == [
        ("Alice", 3, 3, pytest.approx(66.7), 20.0, pytest.approx(101.2, abs=0.06), 1.6, 6300),
        ("Bob", 2, 2, 50.0, 20.0, 62.5, 1.6, 300),
    ]
    assert len(report.chart.labels) == 47
    with pytest.raises(InvalidInput):
        await kpi_report(CFG, BOTH, ALL, per="team")


async def test_agent_report_and_pauses(db: str) -> None:
    w = await build_history()
    report = await agent_report(CFG, BOTH, ALL, "day")
    keys = (
        "bucket",
        "logged_s",
        "available_s",
        "on_call_s",
        "wrapup_s",
        "paused_s",
        "occupancy",
        "handled",
        "talk_s",
    )
    assert [_pick(r, *keys) for r in report.rows] == [
        ("2026-03-28", 15680, 10080, 180, 20, 5400, 1.9, 5, 660),
        ("2026-03-29", 3600, 2400, 0, 0, 1200, 0.0, 2, 120),
    ]
    hours = {r["bucket"]: r for r in (await agent_report(CFG, BOTH, ALL, "hour")).rows}
    assert hours["2026-03-28 11:00"]["paused_s"] == 3600  # inside Alice's lunch
    assert hours["2026-03-29 03:00"]["paused_s"] == 600
    pauses = await pause_report(CFG, BOTH, ALL)
    assert [_pick(r, "agent", "reason", "pauses", "pause_s") for r in pauses.rows] == [
        ("Alice", "break", 1, 1200),
        ("Alice", "lunch", 1, 5100),
        ("Bob", "training", 1, 300),
    ]
    assert pauses.chart.labels == ["break", "lunch", "training"]
    assert pauses.totals["pause_s"] == 6600
    support = await pause_report(CFG, BOTH, Filters.of(w.support.id))
    assert [r["reason"] for r in support.rows] == ["training"]


async def test_run_report_by_name_and_an_empty_interval(db: str) -> None:
    await build_history()
    for name, spec in REPORTS.items():
        report = await run_report(
            name, CFG, BOTH, None, spec.granularities[0] if spec.granularities else None
        )
        assert report.rows is not None and report.as_dict()["interval"]["from"] == "2026-03-28"
    empty = await run_report(
        "calls_per_day", CFG, Interval(DAY2.replace(day=1), DAY2.replace(day=1))
    )
    assert empty.rows[0]["calls"] == 0 and empty.totals["calls"] == 0
    with pytest.raises(InvalidInput):
        await run_report("nope", CFG, BOTH)
    with pytest.raises(InvalidInput):
        await run_report("kpi_per_group", CFG, BOTH, granularity="week")
