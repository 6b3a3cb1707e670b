"""An agent's own figures for today ("My day" in the console), from the journal's rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from crm.models import AgentState, AgentStateName, Call, Direction, Offer
from crm.stats import kpi, periods


@dataclass(frozen=True)
class AgentDay:
    received: int
    answered: int
    rejected: int
    missed: int
    transferred: int
    placed: int
    talk_s: float
    aht_s: float | None
    pause_s: float


async def agent_day(user_id: int, tz: ZoneInfo, now: datetime | None = None) -> AgentDay:
    """The agent's own figures for today, from the journal's offers, calls and agent states.

    Not from the statistics rollups: those lag a few seconds behind, and "My day" must count
    the call the agent just ended. Talk time is the agent's own "on a call" time; a transfer
    is a call row of this agent that ended "transferred" (the journal starts a new row for
    whoever takes the call next, or the call left for an outside number).
    """
    now = now or datetime.now(UTC)
    today = periods.local_today(tz, now)
    start = periods.local_midnight_utc(today, tz)
    end = min(periods.local_midnight_utc(today + timedelta(days=1), tz), now)
    # Offers of inbound calls only: the agent's own click-to-call rings their phone first,
    # but it is not a call they received.
    offers = await Offer.filter(agent_id=user_id, offered_at__gte=start, offered_at__lt=end,
                                result__not_isnull=True, call__direction=Direction.INBOUND
                                ).values_list("result", flat=True)
    results = Counter(getattr(r, "value", r) for r in offers)
    seconds = await _state_seconds(user_id, start, end)
    talk = seconds.get(AgentStateName.ON_CALL.value, 0.0)
    wrapup = seconds.get(AgentStateName.WRAPUP.value, 0.0)
    transferred = await Call.filter(agent_id=user_id, ended_at__gte=start, ended_at__lt=end,
                                    outcome="transferred").count()
    placed = await Call.filter(agent_id=user_id, started_at__gte=start, started_at__lt=end,
                               direction=Direction.OUTBOUND).values_list("answered_at",
                                                                         flat=True)
    # Talk time includes the outbound calls that connected: so does the count it is
    # divided by.
    handled = results["answered"] + sum(1 for answered in placed if answered is not None)
    return AgentDay(
        received=sum(results.values()), answered=results["answered"],
        rejected=results["rejected"], missed=results["no_answer"] + results["busy"],
        transferred=transferred, placed=len(placed), talk_s=talk,
        aht_s=kpi.average_handle_time(talk, 0.0, wrapup, handled).value,
        pause_s=seconds.get(AgentStateName.PAUSED.value, 0.0),
    )


async def _state_seconds(user_id: int, start: datetime, end: datetime) -> dict[str, float]:
    """Seconds in each state between start and end (the current state counted up to end)."""
    rows = await AgentState.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start), agent_id=user_id, started_at__lt=end,
    ).values("state", "started_at", "ended_at")
    totals: defaultdict[str, float] = defaultdict(float)
    for row in rows:
        began = max(_utc(row["started_at"]), start)
        ended = min(_utc(row["ended_at"]) if row["ended_at"] else end, end)
        totals[getattr(row["state"], "value", row["state"])] += max(
            0.0, (ended - began).total_seconds())
    return dict(totals)


def _utc(moment: datetime) -> datetime:
    # MariaDB gives naive UTC datetimes back, SQLite aware ones.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
