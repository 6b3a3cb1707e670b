"""What a restarting process reads of the calls still open: with each, the agent's leg that
answered it last (its end, noted by Asterisk, is the conversation's end if it came first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm.models import Call, Offer, OfferResult, Role
from crm.routing import open_calls
from tests.web.webtools import make_user

AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def _call(ref: str, *, ended: bool = False) -> Call:
    return await Call.create(ref=ref, started_at=AT, answered_at=AT,
                             ended_at=AT + timedelta(minutes=1) if ended else None,
                             local_date=AT.date(), local_hour=AT.hour)


async def test_an_open_call_names_the_leg_that_answered_it_last(db: str) -> None:
    agent = await make_user("leg-agent", Role.AGENT)
    talking = await _call("c-1")
    waiting = await _call("c-2")
    done = await _call("c-3", ended=True)
    for ref, row, minutes, result in [
            ("offer-a", talking, 0, OfferResult.NO_ANSWER),
            ("offer-b", talking, 1, OfferResult.ANSWERED),
            ("offer-c", talking, 2, OfferResult.ANSWERED),  # offered again, answered
            ("offer-d", waiting, 0, OfferResult.BUSY),
            ("offer-e", done, 0, OfferResult.ANSWERED)]:
        await Offer.create(ref=ref, call=row, agent_id=agent.id,
                           offered_at=AT + timedelta(seconds=minutes), result=result)
    calls = await open_calls()
    assert sorted(calls) == ["c-1", "c-2"]
    assert calls["c-1"].answered_by == "offer-c"
    assert calls["c-2"].answered_by is None
