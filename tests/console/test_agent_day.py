"""S6 "My day": the agent's own figures for today, read from the journal's rows (offers,
calls, agent states) in the call centre's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crm.models import (
    AgentState,
    AgentStateName,
    Call,
    CallOutcome,
    Direction,
    Offer,
    OfferResult,
    Role,
)
from crm.stats.agent_day import agent_day
from tests.web.webtools import make_user

PARIS = ZoneInfo("Europe/Paris")
# 10:00 in Paris on a winter day; local midnight is 23:00 UTC the day before.
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def call(ref: str, at: datetime, agent_id: int | None, outcome: CallOutcome | None,
               **extra: object) -> Call:
    local = at.astimezone(PARIS)
    return await Call.create(ref=ref, agent_id=agent_id, started_at=at, answered_at=at,
                             ended_at=at + timedelta(minutes=3), local_date=local.date(),
                             local_hour=local.hour, outcome=outcome, **extra)


async def offer(ref: str, row: Call, agent_id: int, at: datetime, result: OfferResult | None
                ) -> None:
    await Offer.create(ref=ref, call=row, agent_id=agent_id, offered_at=at, result=result)


async def state(agent_id: int, name: AgentStateName, start: datetime,
                end: datetime | None) -> None:
    local = start.astimezone(PARIS)
    await AgentState.create(agent_id=agent_id, state=name, started_at=start, ended_at=end,
                            local_date=local.date(), local_hour=local.hour)


async def test_my_day_counts_today_only_per_agent(db: str) -> None:
    me = await make_user("myself", Role.AGENT)
    bob = await make_user("bob", Role.AGENT)
    early = datetime(2026, 1, 14, 23, 30, tzinfo=UTC)  # 00:30 in Paris: today
    yesterday = datetime(2026, 1, 14, 22, 30, tzinfo=UTC)  # 23:30 in Paris: yesterday

    # answered, then transferred to Bob: my row ends "transferred", his row follows it
    handed = await call("c1", early, me.id, CallOutcome.TRANSFERRED)
    await offer("o1", handed, me.id, early, OfferResult.ANSWERED)
    taken = await call("c1/t1", early + timedelta(minutes=3), bob.id, CallOutcome.ANSWERED,
                       transferred_from_id=handed.id)
    await offer("o2", taken, bob.id, early + timedelta(minutes=3), OfferResult.ANSWERED)
    # answered and handed to an outside number: still filed under me
    outside = await call("c2", early + timedelta(hours=1), me.id, CallOutcome.TRANSFERRED)
    await offer("o3", outside, me.id, early + timedelta(hours=1), OfferResult.ANSWERED)
    # rejected, missed, and one still ringing (not counted until it ends)
    other = await call("c3", early + timedelta(hours=2), bob.id, CallOutcome.ANSWERED)
    await offer("o4", other, me.id, early + timedelta(hours=2), OfferResult.REJECTED)
    await offer("o5", other, me.id, early + timedelta(hours=2, minutes=1),
                OfferResult.NO_ANSWER)
    await offer("o6", other, me.id, early + timedelta(hours=2, minutes=2), None)
    # my own click-to-call: my phone rang first (an offer), yet it is no call I received
    mine = await call("c5", early + timedelta(hours=3), me.id, CallOutcome.ANSWERED,
                      direction=Direction.OUTBOUND)
    await offer("o8", mine, me.id, early + timedelta(hours=3), OfferResult.ANSWERED)
    # yesterday's answered call counts for nothing today
    old = await call("c4", yesterday, me.id, CallOutcome.TRANSFERRED)
    await offer("o7", old, me.id, yesterday, OfferResult.ANSWERED)

    # talk: 3 min today (+ 20 min of a call that began yesterday, counted from midnight)
    await state(me.id, AgentStateName.ON_CALL, yesterday, early - timedelta(minutes=10))
    await state(me.id, AgentStateName.ON_CALL, early, early + timedelta(minutes=3))
    await state(me.id, AgentStateName.WRAPUP, early + timedelta(minutes=3),
                early + timedelta(minutes=4))
    # the pause going on now counts up to now
    await state(me.id, AgentStateName.PAUSED, NOW - timedelta(minutes=15), None)
    await state(bob.id, AgentStateName.ON_CALL, early, early + timedelta(hours=1))

    day = await agent_day(me.id, PARIS, now=NOW)
    assert (day.received, day.answered, day.rejected, day.missed) == (4, 2, 1, 1)
    assert (day.transferred, day.placed) == (2, 1)
    assert day.talk_s == 20 * 60 + 3 * 60
    # handled: the two answered and the one placed that connected
    assert day.aht_s == (23 * 60 + 60) / 3
    assert day.pause_s == 15 * 60

    quiet = await agent_day(bob.id, PARIS, now=NOW)
    assert (quiet.received, quiet.answered, quiet.transferred) == (1, 1, 0)
    assert quiet.talk_s == 3600 and quiet.pause_s == 0
