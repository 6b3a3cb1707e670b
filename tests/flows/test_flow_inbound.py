"""C1–C3, C5, C7: inbound calls queued, offered, answered, rejected, abandoned, ended."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from crm.models import AgentState, AgentStateName, Call, CallOutcome, Offer, OfferResult

from .conftest import Acd, make_agent, make_group

PREFIXES = ("pw",)


async def assert_nothing_left(acd: Acd) -> None:
    """C3/R-teardown: neither Asterisk nor the app holds anything of a finished call."""
    await acd.until(lambda: not acd.engine.calls(), what="engine calls to end")
    await acd.until(lambda: not acd.runtime.registry.live_channel_ids(), what="legs to end")
    await acd.settle()  # every command sent, every fact in the database
    # The groups' holding bridges (their queues, where callers wait) live as long as the
    # groups: known to the app, they are not left over from a call.
    queues = set(acd.runtime.queue_bridges())
    for _ in range(50):
        channels, bridges = await acd.tel.leftovers(PREFIXES)
        bridges = [b for b in bridges if b not in queues]
        if not channels and not bridges:
            break
        await asyncio.sleep(0.1)
    assert (channels, bridges) == ([], [])


async def test_answered_call_then_caller_hangs_up(acd: Acd) -> None:
    agent = await make_agent("alice")
    group = await make_group("sales", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2001"))

    caller = await acd.tel.place_inbound(group.number, "+33612345678", "Jean Dupont")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    pops = acd.events_of("screen.pop")
    assert len(pops) == 1 and pops[0]["caller_number"] == "+33612345678"
    assert pops[0]["agent_id"] == agent.id and pops[0]["group_id"] == group.id
    await acd.settle()
    assert len(acd.runtime.registry.bridges) == 1

    await acd.tel.caller_hangup(caller)
    await acd.until(lambda: acd.agent_state(agent.id) == "available", what="agent available")
    await assert_nothing_left(acd)

    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and call.agent_id == agent.id
    assert call.caller_number == "+33612345678" and call.caller_name == "Jean Dupont"
    assert call.started_at <= call.entered_queue_at <= call.first_offered_at
    assert call.first_offered_at <= call.answered_at <= call.ended_at
    assert call.wait_s == pytest.approx(
        (call.answered_at - call.entered_queue_at).total_seconds(), abs=1e-3
    )
    assert call.talk_s == pytest.approx(
        (call.ended_at - call.answered_at).total_seconds(), abs=1e-3
    )
    offers = await Offer.filter(call_id=call.id)
    assert [o.result for o in offers] == [OfferResult.ANSWERED]
    assert offers[0].ringing_at is not None
    states = [s.state for s in await AgentState.filter(agent_id=agent.id).order_by("id")]
    assert states == [
        AgentStateName.AVAILABLE,
        AgentStateName.RINGING,
        AgentStateName.ON_CALL,
        AgentStateName.AVAILABLE,
    ]


async def test_agent_hangs_up_first_then_wrapup(acd: Acd) -> None:
    if not acd.tel.can_drive_phones:
        pytest.skip("needs a phone the test can hang up")
    agent = await make_agent("bob")
    group = await make_group("support", [agent], wrapup_s=1)
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2002"))
    await acd.tel.place_inbound(group.number, "0612345678")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call")

    await acd.tel.hangup_phone("2002")
    await acd.until(lambda: acd.agent_state(agent.id) == "wrapup", what="wrap-up")
    await acd.until(lambda: acd.agent_state(agent.id) == "available", timeout=4)
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED
    assert call.wrapup_s == pytest.approx(1.0, abs=0.3)
    assert call.wrapup_ended_at - call.ended_at == timedelta(seconds=call.wrapup_s)


async def test_no_answer_goes_to_the_next_agent(acd: Acd) -> None:
    sleepy = await make_agent("sleepy")
    ready = await make_agent("ready")
    group = await make_group("ring", [sleepy, ready], strategy="linear", ring_timeout_s=1)
    await acd.runtime.reload_groups()
    await acd.service.login(sleepy.id, acd.tel.extension("2010", "never_answer"))
    await acd.service.login(ready.id, acd.tel.extension("2011"))

    caller = await acd.tel.place_inbound(group.number, "0611111111")
    await acd.until(lambda: acd.agent_state(ready.id) == "on_call", timeout=6)
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)

    call = await Call.get(group_id=group.id)
    offers = await Offer.filter(call_id=call.id).order_by("offered_at")
    assert [(o.agent_id, o.result) for o in offers] == [
        (sleepy.id, OfferResult.NO_ANSWER),
        (ready.id, OfferResult.ANSWERED),
    ]
    assert call.offers_count == 2 and call.agent_id == ready.id
    # The ring timeout is the engine's own (R-timers): about ring_timeout_s after the offer.
    assert (offers[0].ended_at - offers[0].offered_at).total_seconds() == pytest.approx(1, abs=0.4)


@pytest.mark.parametrize("behaviour", ["busy", "reject"])
async def test_busy_or_declining_phone_goes_to_the_next_agent(acd: Acd, behaviour: str) -> None:
    if not acd.tel.can_drive_phones:
        pytest.skip("needs a busy/declining phone")
    first = await make_agent("first")
    second = await make_agent("second")
    group = await make_group("busy", [first, second], strategy="linear")
    await acd.runtime.reload_groups()
    await acd.service.login(first.id, acd.tel.extension("2020", behaviour))
    await acd.service.login(second.id, acd.tel.extension("2021"))

    caller = await acd.tel.place_inbound(group.number, "0622222222")
    await acd.until(lambda: acd.agent_state(second.id) == "on_call")
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    offers = await Offer.filter(agent_id=first.id)
    expected = OfferResult.BUSY if behaviour == "busy" else OfferResult.REJECTED
    assert [o.result for o in offers] == [expected]


async def test_agent_rejects_from_the_console(acd: Acd) -> None:
    if not acd.tel.can_drive_phones:
        pytest.skip("needs a phone that rings until told")
    picky = await make_agent("picky")
    other = await make_agent("other")
    group = await make_group("rej", [picky, other], strategy="linear")
    await acd.runtime.reload_groups()
    await acd.service.login(picky.id, acd.tel.extension("2030", "manual"))
    await acd.service.login(other.id, acd.tel.extension("2031"))

    caller = await acd.tel.place_inbound(group.number, "0633333333")
    await acd.until(lambda: acd.events_of("screen.pop"), what="pop to picky")
    assert acd.events_of("screen.pop")[0]["agent_id"] == picky.id
    await acd.service.reject(picky.id)
    await acd.until(lambda: acd.agent_state(other.id) == "on_call")
    assert "call.rejected" in acd.event_types()
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    offers = await Offer.filter(agent_id=picky.id)
    assert [o.result for o in offers] == [OfferResult.REJECTED]


async def test_caller_abandons_while_waiting(acd: Acd) -> None:
    agent = await make_agent("away")
    group = await make_group("wait", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2040"), paused=True, reason="lunch")

    caller = await acd.tel.place_inbound(group.number, "0644444444")
    await acd.until(lambda: acd.events_of("call.queued"), what="queued")
    assert acd.engine.queue(group.id)
    await acd.tel.caller_hangup(caller)
    await acd.until(lambda: acd.events_of("call.ended"), what="call ended")
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ABANDONED
    assert call.answered_at is None and call.first_offered_at is None
    assert call.wait_s == pytest.approx(
        (call.ended_at - call.entered_queue_at).total_seconds(), abs=1e-3
    )
    assert acd.agent_state(agent.id) == "paused"


async def test_caller_abandons_while_an_agent_rings(acd: Acd) -> None:
    agent = await make_agent("slow")
    group = await make_group("ringing", [agent], ring_timeout_s=10)
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2050", "never_answer"))
    caller = await acd.tel.place_inbound(group.number, "0655555555")
    await acd.until(lambda: acd.agent_state(agent.id) == "ringing")
    await acd.tel.caller_hangup(caller)
    await acd.until(lambda: acd.agent_state(agent.id) == "available")
    await assert_nothing_left(acd)
    offer = await Offer.get(agent_id=agent.id)
    assert offer.result is OfferResult.CALLER_ABANDONED
    assert (await Call.get(group_id=group.id)).outcome is CallOutcome.ABANDONED


async def test_logged_out_agent_is_offered_nothing(acd: Acd) -> None:
    agent = await make_agent("gone")
    group = await make_group("empty", [agent], max_wait_s=1, overflow_kind="goodbye")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2060"))
    await acd.service.logout(agent.id)
    await acd.tel.place_inbound(group.number, "0666666666")
    await acd.until(lambda: acd.events_of("call.ended"), timeout=6, what="overflow ends call")
    await assert_nothing_left(acd)
    assert await Offer.filter(agent_id=agent.id).count() == 0
    call = await Call.get(group_id=group.id)
    assert call.outcome in (CallOutcome.OVERFLOWED, CallOutcome.TIMED_OUT)
