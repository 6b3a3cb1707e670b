"""Transfers pressed on the agent's phone (REFER → ARI ChannelTransfer → PhoneTransfer): the
console's transfers with the phone told how it went, and the phone's own consultation call
as the consultation of an attended transfer."""

from __future__ import annotations

from typing import Any

from stasis_app.acd import (
    AgentLegEnded,
    AgentPause,
    AgentState,
    CallAnswered,
    CallEnded,
    CallerHungUp,
    CallOutcome,
    CallState,
    CallTransferred,
    CancelOffer,
    ConnectCall,
    ConnectLegs,
    DestroyBridge,
    DialOutbound,
    HangupCall,
    HangupLeg,
    HoldCaller,
    OfferAnswered,
    OriginateAgent,
    OutboundAnswered,
    Output,
    PhoneDialed,
    PhoneTransfer,
    Refused,
    ReturnToDialplan,
    RingPhone,
    TransferProgress,
    TransferState,
)
from stasis_app.acd.model import TargetKind

from .conftest import Harness, of, one

CONSULT = "1733400000.99"  # the phone's second channel, as Asterisk names it


def _call(h: Harness) -> Any:
    """The engine's own record of call c1 (its legs and bridges, which views leave out)."""
    engine: Any = h.engine
    return engine._calls.get("c1")


def talking(h: Harness, agents: int = 3) -> str:
    """Agent 1 (extension 2001) talks with caller c1; the others are available."""
    h.group(1, number="700")
    for agent_id in range(1, agents + 1):
        h.login(agent_id, groups={1: 0} if agent_id == 1 else {})
    out = h.enter("c1")
    h.answer(out, 1)
    call = _call(h)
    assert call is not None and call.agent_leg is not None
    return call.agent_leg


def progress(out: list[Output]) -> list[TransferState]:
    return [p.state for p in of(out, TransferProgress)]


def test_blind_to_a_colleagues_extension_is_the_consoles_blind_transfer(h: Harness) -> None:
    leg = talking(h)
    out = h.send(PhoneTransfer, leg_id=leg, destination="2002")
    assert progress(out) == [TransferState.DONE]
    # The phone hears "done" before the transfer hangs its channel up.
    kinds = [type(o) for o in out]
    assert kinds.index(TransferProgress) < kinds.index(HangupLeg)
    moved = one(out, CallTransferred)
    assert (moved.target.kind, moved.target.value, moved.by_agent_id, moved.attended) == (
        TargetKind.AGENT, 2, 1, False)
    assert one(out, OriginateAgent).agent_id == 2
    assert h.state(1) is AgentState.AVAILABLE or h.state(1) is AgentState.WRAPUP
    h.answer(out, 2)
    call = _call(h)
    assert call is not None and call.agent_id == 2 and call.state is CallState.CONNECTED


def test_blind_to_a_group_and_to_an_outside_number(h: Harness) -> None:
    leg = talking(h)
    h.group(2, number="701")
    out = h.send(PhoneTransfer, leg_id=leg, destination="701")
    assert progress(out) == [TransferState.DONE]
    assert one(out, CallTransferred).target.kind is TargetKind.GROUP

    h2 = Harness()
    leg = talking(h2)
    out = h2.send(PhoneTransfer, leg_id=leg, destination="+33612345678")
    assert progress(out) == [TransferState.DONE]
    assert one(out, DialOutbound).number == "+33612345678"


def test_a_refused_blind_transfer_keeps_the_customer_with_the_agent(h: Harness) -> None:
    leg = talking(h, agents=2)
    h.send(PhoneTransfer, leg_id=leg, destination="2002")  # agent 2 takes it...
    h2 = Harness()
    leg = talking(h2, agents=1)
    for bad in ("2001", "20*1", "", "sip:x@y"):  # itself, not digits, nothing
        out = h2.send(PhoneTransfer, leg_id=leg, destination=bad)
        assert progress(out) == [TransferState.DECLINED], bad
        assert of(out, Refused) and not of(out, HangupLeg) and not of(out, CallTransferred)
        call = _call(h2)
        assert call is not None and call.agent_leg == leg and call.state is CallState.CONNECTED


def test_a_refer_from_no_call_of_ours_is_declined(h: Harness) -> None:
    talking(h)
    out = h.send(PhoneTransfer, leg_id="somebody-else", destination="2002")
    assert progress(out) == [TransferState.DECLINED]
    assert one(out, Refused).code == "no_call"


def consult(h: Harness, number: str = "2002") -> list[Output]:
    return h.send(PhoneDialed, channel_id=CONSULT, extension="2001", number=number)


def test_attended_from_the_phone_completes_with_refer_replaces(h: Harness) -> None:
    leg = talking(h)
    out = consult(h)
    assert not of(out, ReturnToDialplan)
    assert one(out, HoldCaller).call_id == "c1"  # the customer waits on the group's music
    ring = one(out, OriginateAgent)
    assert ring.agent_id == 2
    assert one(out, RingPhone).channel_id == CONSULT  # the phone plays its ringback
    call = _call(h)
    assert call is not None and call.state is CallState.CONSULTING
    out = h.send(OfferAnswered, offer_id=ring.offer_id)
    bridged = one(out, ConnectLegs)
    assert bridged.leg_ids == (CONSULT, ring.offer_id)  # the phone's 2nd call and agent 2
    assert bridged.bridge_id != call.bridge_id
    out = h.send(PhoneTransfer, leg_id=leg, destination="2002", attended=True,
                 replaces=CONSULT)
    assert progress(out) == [TransferState.DONE]
    moved = one(out, CallTransferred)
    assert (moved.attended, moved.from_agent_id, moved.target.value) == (True, 1, 2)
    assert one(out, ConnectCall).leg_id == ring.offer_id  # customer and agent 2 together
    assert {x.leg_id for x in of(out, HangupLeg)} == {leg, CONSULT}  # both phone calls
    assert bridged.bridge_id in {d.bridge_id for d in of(out, DestroyBridge)}
    assert one(out, CallAnswered).agent_id == 2
    call = _call(h)
    assert call is not None and call.agent_id == 2 and call.state is CallState.CONNECTED
    assert h.state(1) is not AgentState.ON_CALL and h.state(2) is AgentState.ON_CALL
    # The phone's channels going now changes nothing.
    for gone in (leg, CONSULT):
        out = h.send(AgentLegEnded, offer_id=gone)
        assert not of(out, CallEnded)


def test_the_phone_hanging_up_its_consultation_gives_the_customer_back(h: Harness) -> None:
    talking(h)
    ring = one(consult(h), OriginateAgent)
    out = h.send(AgentLegEnded, offer_id=CONSULT)  # agent 1 hangs up before 2002 answers
    assert one(out, CancelOffer).offer_id == ring.offer_id
    connect = one(out, ConnectCall)
    call = _call(h)
    assert call is not None and call.state is CallState.CONNECTED and call.agent_id == 1
    assert connect.leg_id == call.agent_leg
    assert h.state(2) is AgentState.AVAILABLE and h.state(1) is AgentState.ON_CALL
    assert not of(out, CallEnded) and not of(out, HangupCall)


def test_attended_to_a_number_and_refer_before_it_answers(h: Harness) -> None:
    leg = talking(h)
    dial = one(consult(h, "+33612345678"), DialOutbound)
    # The phone transfers while the number still rings: the customer joins it on answer.
    out = h.send(PhoneTransfer, leg_id=leg, destination="+33612345678", attended=True)
    assert progress(out) == [TransferState.DONE]
    assert {x.leg_id for x in of(out, HangupLeg)} == {leg, CONSULT}
    out = h.send(OutboundAnswered, leg_id=dial.leg_id)
    assert one(out, ConnectCall).leg_id == dial.leg_id


def test_caller_hanging_up_during_a_phone_consultation_ends_everything(h: Harness) -> None:
    talking(h)
    ring = one(consult(h), OriginateAgent)
    out = h.send(OfferAnswered, offer_id=ring.offer_id)
    consult_bridge = one(out, ConnectLegs).bridge_id
    out = h.send(CallerHungUp, call_id="c1")
    ended = one(out, CallEnded)
    assert ended.outcome is CallOutcome.ANSWERED
    assert CONSULT in {x.leg_id for x in of(out, HangupLeg)}
    assert consult_bridge in {d.bridge_id for d in of(out, DestroyBridge)}
    assert h.state(1) is AgentState.AVAILABLE or h.state(1) is AgentState.WRAPUP
    assert h.state(2) is AgentState.AVAILABLE


def test_a_consultation_to_a_busy_colleague_goes_back_with_a_reason(h: Harness) -> None:
    talking(h, agents=1)
    h.login(2, groups={})
    h.send(AgentPause, agent_id=2)
    out = consult(h)
    assert one(out, ReturnToDialplan).call_id == CONSULT
    call = _call(h)
    assert call is not None and call.state is CallState.CONNECTED


def test_refer_replaces_without_a_consultation_is_declined(h: Harness) -> None:
    leg = talking(h)
    out = h.send(PhoneTransfer, leg_id=leg, destination="2002", attended=True,
                 replaces="unknown")
    assert progress(out) == [TransferState.DECLINED]
    assert one(out, Refused).code == "not_consulting"
