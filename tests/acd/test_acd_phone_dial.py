"""Calls dialled from an agent's own phone (Stasis(app,dial,<number>)): placed by the engine
as the agent's outbound call, the agent busy for the distribution meanwhile."""

from __future__ import annotations

import pytest

from stasis_app.acd import (
    AgentLegEnded,
    AgentPause,
    AgentState,
    CallEnded,
    CallOutcome,
    CallStarted,
    ConnectLegs,
    DialOutbound,
    HangupLeg,
    OriginateAgent,
    OutboundAnswered,
    OutboundFailed,
    OutboundLegEnded,
    Output,
    PhoneDialed,
    Refused,
    ReturnToDialplan,
)

from .conftest import Harness, of, one

PHONE = "1733400000.17"  # the phone's channel id, as Asterisk names it


def setup(h: Harness) -> None:
    h.group(1, number="700", outbound_caller_id="+33170000701")
    h.login(1)  # extension 2001
    h.login(2)  # extension 2002


def dial(h: Harness, number: str, extension: str = "2001", channel: str = PHONE
         ) -> list[Output]:
    return h.send(PhoneDialed, channel_id=channel, extension=extension, number=number)


def test_outside_number_is_the_agents_outbound_call_and_keeps_queue_calls_away(
        h: Harness) -> None:
    setup(h)
    out = dial(h, "+33612345678")
    started = one(out, CallStarted)
    assert (started.call_id, started.agent_id, started.direction.value) == (
        PHONE, 1, "outbound")
    out_leg = one(out, DialOutbound)
    assert out_leg.number == "+33612345678"
    assert out_leg.caller_id == "+33170000701"  # the agent's group's outbound caller id
    assert h.state(1) is AgentState.ON_CALL
    # A caller arriving now goes to agent 2, never to the agent busy on the phone.
    offer = one(h.enter("c1"), OriginateAgent)
    assert offer.agent_id == 2
    out = h.send(OutboundAnswered, leg_id=out_leg.leg_id)
    assert one(out, ConnectLegs).leg_ids == (PHONE, out_leg.leg_id)
    out = h.send(AgentLegEnded, offer_id=PHONE)  # the agent hangs up the phone
    assert one(out, HangupLeg).leg_id == out_leg.leg_id
    ended = one(out, CallEnded)
    assert (ended.outcome, ended.agent_id, ended.direction.value) == (
        CallOutcome.ANSWERED, 1, "outbound")
    assert h.state(1) is AgentState.AVAILABLE


def test_waiting_caller_is_offered_once_the_phone_call_ends(h: Harness) -> None:
    h.group(1, number="700")
    h.login(1)
    out_leg = one(dial(h, "0612345678"), DialOutbound)
    assert not of(h.enter("c1"), OriginateAgent)  # the only agent is on its phone call
    assert h.engine.queue(1) == ["c1"]
    h.send(OutboundAnswered, leg_id=out_leg.leg_id)
    out = h.send(OutboundLegEnded, leg_id=out_leg.leg_id)  # the far end hangs up
    assert one(out, HangupLeg).leg_id == PHONE
    assert one(out, CallEnded).outcome is CallOutcome.ANSWERED
    offer = one(out, OriginateAgent)
    assert (offer.agent_id, offer.call_id) == (1, "c1")


def test_paused_agent_returns_to_pause_after_a_failed_number(h: Harness) -> None:
    setup(h)
    h.send(AgentPause, agent_id=1, reason="callbacks")
    out_leg = one(dial(h, "0612345678"), DialOutbound)
    out = h.send(OutboundFailed, leg_id=out_leg.leg_id, reason="busy")
    assert one(out, HangupLeg).leg_id == PHONE  # the phone is told, not left ringing
    assert one(out, CallEnded).outcome is CallOutcome.FAILED
    assert h.state(1) is AgentState.PAUSED


@pytest.mark.parametrize(
    ("extension", "number", "reason"),
    [
        ("2001", "700", "group"),  # a group's number: queued as any caller by the dialplan
        ("2999", "700", "group"),  # whoever's phone dials it
        ("2001", "2001", "bad_number"),  # its own extension
        ("2999", "0612345678", "direct"),  # no logged-in agent's phone
        ("", "0612345678", "direct"),  # a channel that is no phone of the template
        ("2001", "06@evil", "bad_number"),
        ("2001", "0612/345", "bad_number"),
        ("2001", "06*12", "bad_number"),
        ("2001", "+", "bad_number"),
        ("2001", "1" * 33, "bad_number"),
    ],
)
def test_what_the_engine_does_not_place_goes_back_to_the_dialplan(
        h: Harness, extension: str, number: str, reason: str) -> None:
    setup(h)
    out = dial(h, number, extension)
    assert one(out, ReturnToDialplan).reason == reason
    assert not of(out, DialOutbound) and not of(out, CallStarted)
    assert bool(of(out, Refused)) == (reason == "bad_number")
    assert h.state(1) is AgentState.AVAILABLE


def test_a_colleagues_extension_is_an_internal_call_of_the_agent(h: Harness) -> None:
    setup(h)
    out = dial(h, "2002")
    ring = one(out, DialOutbound)
    assert (ring.number, ring.internal, ring.listener) == ("2002", True, PHONE)
    assert ring.caller_id == "<2001>"  # the colleague's phone shows who calls
    started = one(out, CallStarted)
    assert (started.agent_id, started.caller_number, started.direction.value) == (
        1, "2002", "outbound")
    assert h.state(1) is AgentState.ON_CALL
    out = h.send(OutboundAnswered, leg_id=ring.leg_id)
    assert one(out, ConnectLegs).leg_ids == (PHONE, ring.leg_id)
    out = h.send(OutboundLegEnded, leg_id=ring.leg_id)  # the colleague hangs up
    assert one(out, CallEnded).outcome is CallOutcome.ANSWERED
    assert h.state(1) is AgentState.AVAILABLE


def test_a_colleague_on_a_call_is_not_rung(h: Harness) -> None:
    h.group(1, number="700")
    h.login(1, groups={})
    h.login(2)
    h.answer(h.enter("c1"), 2)
    out = dial(h, "2002")
    assert one(out, ReturnToDialplan).reason == "target_busy"
    assert not of(out, DialOutbound) and h.state(1) is AgentState.AVAILABLE


def test_agent_ringing_for_a_queue_call_cannot_dial_out(h: Harness) -> None:
    h.group(1, number="700")
    h.login(1)
    one(h.enter("c1"), OriginateAgent)
    out = dial(h, "0612345678")
    assert one(out, ReturnToDialplan).reason == "agent_busy"
    assert h.state(1) is AgentState.RINGING


def test_a_repeated_stasis_start_is_refused(h: Harness) -> None:
    setup(h)
    dial(h, "0612345678")
    out = dial(h, "0612345678")
    assert one(out, Refused).code == "duplicate_call"
    assert not of(out, DialOutbound)
