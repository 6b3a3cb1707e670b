"""B11: hold / resume, mute and DTMF on a connected call."""

from __future__ import annotations

from stasis_app.acd import (
    AgentHangup,
    AgentRejectOffer,
    AttendedCancel,
    AttendedConsult,
    CallEnded,
    CallerHungUp,
    CallTransferred,
    ClickToCall,
    ConnectCall,
    DialOutbound,
    HoldCaller,
    OfferAnswered,
    OriginateAgent,
    OutboundAnswered,
    Refused,
    Strategy,
    Target,
    TransferBlind,
)
from stasis_app.acd.inputs import AgentHold, AgentMute, AgentResume, AgentSendDtmf
from stasis_app.acd.outputs import AgentMuted, CallHeld, CallResumed, MuteLeg, SendDtmf

from .conftest import Harness, of, one


def talking(h: Harness, call_id: str = "c1", moh: str = "jazz") -> str:
    h.group(1, strategy=Strategy.LINEAR, wrapup_s=5, moh_class=moh)
    h.login(1)
    h.login(2)
    offer = one(h.enter(call_id), OriginateAgent)
    h.send(OfferAnswered, offer_id=offer.offer_id)
    return offer.offer_id


def test_hold_and_resume_add_up_in_the_record(h: Harness) -> None:
    leg = talking(h)
    h.now += 10
    out = h.send(AgentHold, agent_id=1)
    hold = one(out, HoldCaller)
    # music of its own, in the group's class: not back in the queue
    assert (hold.call_id, hold.moh_class, hold.group_id) == ("c1", "jazz", None)
    assert one(out, CallHeld).agent_id == 1
    assert h.engine.call("c1").on_hold  # type: ignore[union-attr]
    assert one(h.send(AgentHold, agent_id=1), Refused).code == "already_held"
    h.now += 7
    out = h.send(AgentResume, agent_id=1)
    connect = one(out, ConnectCall)
    assert (connect.call_id, connect.leg_id) == ("c1", leg)
    resumed = one(out, CallResumed)
    assert (resumed.held_s, resumed.total_hold_s, resumed.reason) == (7, 7, "resumed")
    assert one(h.send(AgentResume, agent_id=1), Refused).code == "not_held"
    h.now += 5
    h.send(AgentHold, agent_id=1)
    h.now += 3
    out = h.send(CallerHungUp, call_id="c1")  # hung up while on hold
    assert one(out, CallResumed).reason == "ended"
    assert one(out, CallEnded).hold_s == 10


def test_agent_hangup_while_holding_counts_the_hold(h: Harness) -> None:
    talking(h)
    h.send(AgentHold, agent_id=1)
    h.now += 4
    out = h.send(AgentHangup, agent_id=1)
    assert one(out, CallEnded).hold_s == 4


def test_hold_refused_without_a_call_and_for_click_to_call(h: Harness) -> None:
    h.group(1)
    h.login(1)
    assert one(h.send(AgentHold, agent_id=1), Refused).code == "no_call"
    assert one(h.send(AgentHold, agent_id=9), Refused).code == "no_call"
    out = h.send(ClickToCall, agent_id=1, number="0611")
    h.send(OfferAnswered, offer_id=one(out, OriginateAgent).offer_id)
    assert one(h.send(AgentHold, agent_id=1), Refused).code == "unsupported"


def test_hold_ends_when_the_call_leaves_its_agent(h: Harness) -> None:
    talking(h)
    h.send(AgentHold, agent_id=1)
    h.now += 2
    out = h.send(AgentRejectOffer, agent_id=1)  # back to the queue: the hold is over
    assert one(out, CallResumed).reason == "requeued"
    hold = one(out, HoldCaller)
    assert hold.group_id == 1
    offer = one(out, OriginateAgent)
    assert offer.agent_id == 2
    h.send(OfferAnswered, offer_id=offer.offer_id)
    out = h.send(AgentHangup, agent_id=2)
    assert one(out, CallEnded).hold_s == 2


def test_blind_transfer_and_consult_close_the_hold(h: Harness) -> None:
    talking(h)
    h.send(AgentHold, agent_id=1)
    h.now += 1
    out = h.send(TransferBlind, call_id="c1", target=Target.agent(2), by_agent_id=1)
    assert one(out, CallResumed).reason == "transferred"
    # before the transfer: the journal counts it on the row of the agent who held it
    assert out.index(one(out, CallResumed)) < out.index(one(out, CallTransferred))
    assert not of(out, HoldCaller)  # already on its own music

    h2 = Harness()
    talking(h2)
    h2.send(AgentHold, agent_id=1)
    out = h2.send(AttendedConsult, call_id="c1", target=Target.agent(2), by_agent_id=1)
    assert one(out, CallResumed).reason == "consulting"
    assert not of(out, HoldCaller)
    out = h2.send(AttendedCancel, call_id="c1", by_agent_id=1)
    assert one(out, ConnectCall).call_id == "c1"  # back with the agent, not on hold
    assert not h2.engine.call("c1").on_hold  # type: ignore[union-attr]


def test_mute_and_unmute_the_agent_leg(h: Harness) -> None:
    leg = talking(h)
    out = h.send(AgentMute, agent_id=1, muted=True)
    assert one(out, MuteLeg) == MuteLeg(leg_id=leg, muted=True)
    assert one(out, AgentMuted).muted
    assert h.send(AgentMute, agent_id=1, muted=True) == []  # already muted
    out = h.send(AgentMute, agent_id=1, muted=False)
    assert one(out, MuteLeg) == MuteLeg(leg_id=leg, muted=False)
    assert one(h.send(AgentMute, agent_id=2, muted=True), Refused).code == "no_call"


def test_dtmf_goes_to_the_far_end(h: Harness) -> None:
    talking(h)
    out = h.send(AgentSendDtmf, agent_id=1, digits="12*#AD")
    assert one(out, SendDtmf) == SendDtmf(channel_id="c1", digits="12*#AD")
    for bad in ("", "12x", "1" * 33, "a"):
        assert one(h.send(AgentSendDtmf, agent_id=1, digits=bad), Refused).code == "bad_digits"
    h.send(AgentHold, agent_id=1)
    assert one(h.send(AgentSendDtmf, agent_id=1, digits="1"), Refused).code == "no_far_end"


def test_dtmf_on_click_to_call_reaches_the_client_leg(h: Harness) -> None:
    h.group(1)
    h.login(1)
    out = h.send(ClickToCall, agent_id=1, number="0611")
    out = h.send(OfferAnswered, offer_id=one(out, OriginateAgent).offer_id)
    dial = one(out, DialOutbound)
    assert one(h.send(AgentSendDtmf, agent_id=1, digits="1"), Refused).code == "no_far_end"
    h.send(OutboundAnswered, leg_id=dial.leg_id)
    out = h.send(AgentSendDtmf, agent_id=1, digits="3#")
    assert one(out, SendDtmf) == SendDtmf(channel_id=dial.leg_id, digits="3#")


def test_a_call_adopted_on_hold_stays_held_until_resumed(h: Harness) -> None:
    from stasis_app.acd import AdoptCall, AdoptionDone, AgentState, RestoreAgent

    h.group(1, moh_class="jazz")
    h.send(RestoreAgent, agent_id=1, extension="2001", groups={1: 0},
           state=AgentState.ON_CALL, since=900.0)
    out = h.send(AdoptCall, call_id="c1", group_id=1, started_at=900.0, answered_at=910.0,
                 agent_id=1, leg_id="offer-9", bridge_id="bridge-9", held=True)
    assert not of(out, HoldCaller) and not of(out, CallHeld)  # nothing happened: it was so
    h.send(AdoptionDone)
    view = h.engine.call("c1")
    assert view is not None and view.on_hold and view.agent_id == 1
    h.now += 6
    out = h.send(AgentResume, agent_id=1)
    assert one(out, ConnectCall) == ConnectCall(call_id="c1", leg_id="offer-9",
                                                bridge_id="bridge-9")
    assert one(out, CallResumed).held_s == 6


def test_a_resume_asterisk_refuses_sends_the_caller_back_to_the_queue(h: Harness) -> None:
    from stasis_app.acd.inputs import ConnectFailed

    leg = talking(h)
    h.send(AgentMute, agent_id=1, muted=True)
    h.send(AgentHold, agent_id=1)
    h.now += 3
    h.send(AgentResume, agent_id=1)
    out = h.send(ConnectFailed, call_id="c1", leg_id=leg)
    assert one(out, HoldCaller).group_id == 1  # back in its queue, at the head
    assert one(out, OriginateAgent).call_id == "c1"  # offered again (not the agent's fault)
    view = h.engine.call("c1")
    assert view is not None and not view.agent_muted and view.hold_s == 3
