"""B2 wallboard: a day's queue figures per group and overall, read from the raw calls.

The wallboard re-reads these a moment after each call ends; the rollups would lag by up
to the journal's refresh period, the raw rows are written as the call ends. The counting
is the rollups' own (crm.stats.queries.raw_call_sums), so the wallboard and the "KPIs per
group" report of the same day agree once the rollups catch up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from crm.stats import queries
from crm.stats.periods import Interval
from crm.stats.reports import INBOUND, call_kpis
from crm.stats.types import Filters, StatsConfig


@dataclass(frozen=True, slots=True)
class QueueDay:
    group_id: int  # 0: every group together
    queued: int
    answered: int
    abandoned: int  # after the short-abandon threshold
    short_abandoned: int
    service_level: float | None  # percent, None when nothing was measured
    service_level_s: int  # the T used
    abandon_rate: float | None  # percent
    asa: float | None  # seconds


@dataclass(frozen=True, slots=True)
class DayBoard:
    day: date
    groups: dict[int, QueueDay]
    total: QueueDay
    thresholds: dict[str, int]


def _figures(group_id: int, sums: dict[str, Any], t: int, short: int) -> QueueDay:
    kpis = call_kpis(sums, t, short)
    short_count = sums.get(f"short_{short}", 0)

    def rounded(name: str) -> float | None:
        value = kpis[name].value
        return None if value is None else round(value, 1)

    return QueueDay(
        group_id=group_id,
        queued=sums.get("queued", 0),
        answered=sums.get("answered_queued", 0),
        abandoned=sums.get("abandoned", 0) - short_count,
        short_abandoned=short_count,
        service_level=rounded("service_level"),
        service_level_s=t,
        abandon_rate=rounded("abandon_rate"),
        asa=rounded("asa"),
    )


async def day_board(cfg: StatsConfig, day: date) -> DayBoard:
    """Every group's figures for the local ``day`` (each with its own T), and the whole
    centre's, each call judged by its own group's T (as the totals row of the "KPIs per
    group" report)."""
    t, short = cfg.service_level_s, cfg.short_abandon_s
    groups = await queries.groups_info()
    group_t = {gid: g_t or t for gid, (_, g_t) in groups.items()}
    rows = await queries.raw_call_sums(
        Interval(day, day),
        Filters(),
        ("group_id",),
        directions=INBOUND,
        sl_thresholds={t, *group_t.values()},
        short_thresholds=[short],
    )
    by_group = {r["group_id"]: r for r in rows}
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if key != "group_id":
                total[key] = total.get(key, 0) + value
    # The centre's service level judges each call by its own group's T, as the groups' rows
    # do (the global T for calls without a group).
    total[f"within_{t}"] = sum(r.get(f"within_{group_t.get(r['group_id'], t)}", 0)
                               for r in rows)
    return DayBoard(
        day=day,
        groups={
            gid: _figures(gid, by_group.get(gid, {}), group_t[gid], short) for gid in groups
        },
        total=_figures(0, total, t, short),
        thresholds={"service_level_s": t, "short_abandon_s": short},
    )
