"""C4 transfers, C5 rejections and supervisor actions, C6 click-to-call, B10 sticky."""

from __future__ import annotations

from stasis_app.acd import (
    AgentHangup,
    AgentLegEnded,
    AgentLogout,
    AgentPause,
    AgentRejectOffer,
    AgentState,
    AgentUnpause,
    AttachClient,
    AttendedCancel,
    AttendedComplete,
    AttendedConsult,
    CallAnswered,
    CallEnded,
    CallerHungUp,
    CallOutcome,
    CallRejected,
    CallState,
    CallTransferred,
    CancelOffer,
    ClickToCall,
    ClientAttached,
    ConnectCall,
    ConnectLegs,
    DestroyBridge,
    DialOutbound,
    HangupCall,
    HangupLeg,
    HoldCaller,
    OfferAnswered,
    OfferEnded,
    OfferResult,
    OfferRinging,
    OriginateAgent,
    OutboundAnswered,
    OutboundFailed,
    OutboundLegEnded,
    Refused,
    ScreenPop,
    Strategy,
    SupervisorForceReject,
    SupervisorHangup,
    Target,
    TransferBlind,
)

from .conftest import Harness, of, one


def connected(h: Harness, call_id: str = "c1", agent_id: int = 1, **kw: object) -> str:
    """Put ``call_id`` in conversation with ``agent_id``; returns the agent leg id."""
    out = h.enter(call_id, **kw)
    offer = one(out, OriginateAgent)
    assert offer.agent_id == agent_id
    h.send(OfferAnswered, offer_id=offer.offer_id)
    return offer.offer_id


def setup(h: Harness, agents: int = 3, **cfg: object) -> None:
    cfg.setdefault("strategy", Strategy.LINEAR)
    cfg.setdefault("wrapup_s", 5)
    h.group(1, **cfg)
    h.group(2, name="support", number="300")
    for a in range(1, agents + 1):
        h.login(a, {1: 0, 2: 0})


# ----------------------------------------------------------------------------- blind


def test_blind_transfer_to_agent_record_follows(h: Harness) -> None:
    setup(h)
    leg1 = connected(h, client_id=7)
    attached = one(h.send(AttachClient, call_id="c1", client_id=8, note_ref="note-1"),
                   ClientAttached)
    assert (attached.call_id, attached.client_id) == ("c1", 8)
    # the same client again (a new note only): nothing new for the call's history
    assert not h.send(AttachClient, call_id="c1", client_id=8, note_ref="note-1")
    out = h.send(TransferBlind, call_id="c1", target=Target.agent(3), by_agent_id=1)
    tr = one(out, CallTransferred)
    assert (tr.from_agent_id, tr.client_id, tr.note_ref, tr.forced) == (1, 8, "note-1", False)
    hold = one(out, HoldCaller)
    assert (hold.call_id, hold.group_id) == ("c1", None)  # on music of its own, not queued
    assert one(out, HangupLeg).leg_id == leg1
    # the call keeps its bridge: the target's leg joins the same one
    assert not of(out, DestroyBridge)
    assert one(out, OriginateAgent).bridge_id == one(h.log, ConnectCall).bridge_id
    orig = one(out, OriginateAgent)
    assert orig.agent_id == 3
    assert h.state(1) is AgentState.WRAPUP
    pop = one(h.send(OfferRinging, offer_id=orig.offer_id), ScreenPop)
    assert (pop.client_id, pop.note_ref, pop.transferred_from_agent_id) == (8, "note-1", 1)
    out = h.send(OfferAnswered, offer_id=orig.offer_id)
    assert one(out, ConnectCall).leg_id == orig.offer_id
    assert one(out, CallAnswered).agent_id == 3
    out = h.send(CallerHungUp, call_id="c1")
    ended = one(out, CallEnded)
    assert (ended.outcome, ended.agent_id) == (CallOutcome.ANSWERED, 3)


def test_blind_transfer_to_agent_no_answer_goes_back_to_queue_head(h: Harness) -> None:
    setup(h, ring_timeout_s=10)
    connected(h)
    h.send(AgentPause, agent_id=2)
    h.send(TransferBlind, call_id="c1", target=Target.agent(3), by_agent_id=1)
    h.send(AgentPause, agent_id=1)  # (in wrap-up)
    h.enter("c0")  # another caller waiting meanwhile
    out = h.advance(10)
    assert one(out, OfferEnded).result is OfferResult.NO_ANSWER
    assert h.engine.queue(1) == ["c1", "c0"]
    assert h.engine.call("c1").state is CallState.QUEUED  # type: ignore[union-attr]
    # agent 3 just missed c1: it gets c0 instead
    assert one(out, OriginateAgent).call_id == "c0"


def test_blind_transfer_refusals(h: Harness) -> None:
    setup(h)
    connected(h)
    h.send(AgentPause, agent_id=2)
    cases = [
        (dict(target=Target.agent(2), by_agent_id=1), "target_unavailable"),
        (dict(target=Target.agent(1), by_agent_id=1), "target_unavailable"),
        (dict(target=Target.agent(3), by_agent_id=3), "not_your_call"),
        (dict(target=Target.group("nope"), by_agent_id=1), "unknown_group"),
        (dict(target=Target.number("abc"), by_agent_id=1), "bad_number"),
        (dict(target=Target.number("12")), "bad_actor"),
    ]
    for fields, code in cases:
        out = h.send(TransferBlind, call_id="c1", **fields)
        assert one(out, Refused).code == code, fields
    assert one(h.send(TransferBlind, call_id="zz", target=Target.number("1")), Refused)
    assert h.state(1) is AgentState.ON_CALL


def test_blind_transfer_to_group(h: Harness) -> None:
    setup(h)
    connected(h)
    h.send(AgentPause, agent_id=2)
    out = h.send(TransferBlind, call_id="c1", target=Target.group("support"), by_agent_id=1)
    assert h.engine.call("c1").group_id == 2  # type: ignore[union-attr]
    assert one(out, OriginateAgent).agent_id == 3
    assert h.state(1) is AgentState.WRAPUP


def test_blind_transfer_to_number(h: Harness) -> None:
    setup(h)
    connected(h, caller_number="0611")
    out = h.send(TransferBlind, call_id="c1", target=Target.number("+33144"), by_agent_id=1)
    dial = one(out, DialOutbound)
    assert (dial.number, dial.caller_id) == ("+33144", "0611")
    out = h.send(OutboundAnswered, leg_id=dial.leg_id)
    assert one(out, ConnectCall).leg_id == dial.leg_id
    out = h.send(OutboundLegEnded, leg_id=dial.leg_id)
    assert one(out, HangupCall).call_id == "c1"
    assert one(out, CallEnded).outcome is CallOutcome.TRANSFERRED


def test_group_outbound_caller_id_replaces_the_customers_number(h: Harness) -> None:
    setup(h, outbound_caller_id='"Sales" <+33170000700>')
    connected(h, caller_number="0611")
    out = h.send(TransferBlind, call_id="c1", target=Target.number("+33144"), by_agent_id=1)
    assert one(out, DialOutbound).caller_id == '"Sales" <+33170000700>'


def test_click_to_call_presents_the_agents_first_group_with_a_caller_id(h: Harness) -> None:
    h.group(1, outbound_caller_id="+33170000701")
    h.group(2, outbound_caller_id="+33170000702")
    h.group(3)
    h.login(1, {1: 2, 2: 1, 3: 0})  # group 3 first by penalty, but it has none: then 2
    h.login(2, {3: 0})
    for agent, expected in ((1, "+33170000702"), (2, None)):
        orig = one(h.send(ClickToCall, agent_id=agent, number="0611"), OriginateAgent)
        dial = one(h.send(OfferAnswered, offer_id=orig.offer_id), DialOutbound)
        # None: the executor's global setting (PROWEBCRM_OUTBOUND_CALLER_ID) applies.
        assert dial.caller_id == expected, agent


def test_blind_transfer_to_number_failure_requeues(h: Harness) -> None:
    setup(h, agents=1)
    connected(h)
    out = h.send(TransferBlind, call_id="c1", target=Target.number("0800"), by_agent_id=1)
    out = h.send(OutboundFailed, leg_id=one(out, DialOutbound).leg_id)
    assert h.engine.queue(1) == ["c1"]
    out = h.advance(5)  # agent 1 ends its wrap-up: the call comes back to it
    assert one(out, OriginateAgent).call_id == "c1"


def test_supervisor_forced_transfer_of_waiting_call(h: Harness) -> None:
    setup(h, strategy=Strategy.RINGALL)
    out = h.enter("c1")
    assert len(of(out, OriginateAgent)) == 3
    h.send(AgentLogout, agent_id=3)
    out = h.send(TransferBlind, call_id="c1", target=Target.number("0800"), by_supervisor_id=9)
    assert one(out, CallTransferred).forced
    assert {e.result for e in of(out, OfferEnded)} == {OfferResult.CANCELLED}
    assert h.engine.queue(1) == []
    assert one(out, DialOutbound)


# -------------------------------------------------------------------------- attended


def test_attended_consult_complete_to_agent(h: Harness) -> None:
    setup(h)
    leg1 = connected(h)
    out = h.send(AttendedConsult, call_id="c1", target=Target.agent(2), by_agent_id=1)
    assert one(out, HoldCaller).call_id == "c1"
    consult = one(out, OriginateAgent)
    out = h.send(OfferAnswered, offer_id=consult.offer_id)
    assert one(out, ConnectLegs).leg_ids == (leg1, consult.offer_id)
    assert h.state(2) is AgentState.ON_CALL
    out = h.send(AttendedComplete, call_id="c1", by_agent_id=1)
    assert one(out, CallTransferred).attended
    assert one(out, HangupLeg).leg_id == leg1
    assert one(out, ConnectCall).leg_id == consult.offer_id
    assert h.state(1) is AgentState.WRAPUP
    out = h.send(AgentLegEnded, offer_id=consult.offer_id)
    ended = one(out, CallEnded)
    assert (ended.outcome, ended.agent_id) == (CallOutcome.ANSWERED, 2)
    assert h.state(2) is AgentState.WRAPUP


def test_attended_cancel_returns_to_caller(h: Harness) -> None:
    setup(h)
    leg1 = connected(h)
    out = h.send(AttendedConsult, call_id="c1", target=Target.agent(2), by_agent_id=1)
    consult = one(out, OriginateAgent)
    h.send(OfferAnswered, offer_id=consult.offer_id)
    out = h.send(AttendedCancel, call_id="c1", by_agent_id=1)
    assert one(out, HangupLeg).leg_id == consult.offer_id
    assert one(out, ConnectCall).leg_id == leg1
    assert h.state(2) is AgentState.AVAILABLE  # a consultation is not a handled call
    assert h.engine.call("c1").state is CallState.CONNECTED  # type: ignore[union-attr]
    assert one(h.send(AttendedCancel, call_id="c1", by_agent_id=1), Refused)


def test_attended_target_no_answer_reconnects(h: Harness) -> None:
    setup(h, ring_timeout_s=10)
    leg1 = connected(h)
    h.send(AttendedConsult, call_id="c1", target=Target.agent(2), by_agent_id=1)
    out = h.advance(10)
    assert one(out, OfferEnded).result is OfferResult.NO_ANSWER
    assert one(out, ConnectCall).leg_id == leg1


def test_attended_to_number_complete(h: Harness) -> None:
    setup(h)
    leg1 = connected(h)
    out = h.send(AttendedConsult, call_id="c1", target=Target.number("0899"), by_agent_id=1)
    dial = one(out, DialOutbound)
    out = h.send(OutboundAnswered, leg_id=dial.leg_id)
    assert one(out, ConnectLegs).leg_ids == (leg1, dial.leg_id)
    out = h.send(AttendedComplete, call_id="c1", by_agent_id=1)
    assert one(out, ConnectCall).leg_id == dial.leg_id
    out = h.send(CallerHungUp, call_id="c1")
    assert one(out, HangupLeg).leg_id == dial.leg_id
    assert one(out, CallEnded).outcome is CallOutcome.TRANSFERRED


def test_transferor_hangs_up_before_target_answers(h: Harness) -> None:
    setup(h)
    leg1 = connected(h)
    out = h.send(AttendedConsult, call_id="c1", target=Target.agent(2), by_agent_id=1)
    consult = one(out, OriginateAgent)
    out = h.send(AgentLegEnded, offer_id=leg1)
    assert one(out, CallTransferred).attended
    assert h.state(1) is AgentState.WRAPUP
    out = h.send(OfferAnswered, offer_id=consult.offer_id)
    assert one(out, ConnectCall).leg_id == consult.offer_id
    assert h.engine.call("c1").agent_id == 2  # type: ignore[union-attr]


def test_caller_hangs_up_during_consult(h: Harness) -> None:
    setup(h)
    leg1 = connected(h)
    out = h.send(AttendedConsult, call_id="c1", target=Target.agent(2), by_agent_id=1)
    consult = one(out, OriginateAgent)
    h.send(OfferAnswered, offer_id=consult.offer_id)
    out = h.send(CallerHungUp, call_id="c1")
    assert {o.leg_id for o in of(out, HangupLeg)} == {leg1, consult.offer_id}
    assert h.state(1) is AgentState.WRAPUP and h.state(2) is AgentState.AVAILABLE
    assert h.engine.live_legs() == []


def test_consult_refusals(h: Harness) -> None:
    setup(h)
    connected(h)
    out = h.send(AttendedConsult, call_id="c1", target=Target.group(2), by_agent_id=1)
    assert one(out, Refused).code == "unsupported"
    out = h.send(AttendedConsult, call_id="c1", target=Target.agent(2), by_agent_id=2)
    assert one(out, Refused).code == "not_your_call"
    assert one(h.send(AttendedComplete, call_id="c1", by_agent_id=1), Refused)


# -------------------------------------------------------------------- reject / supervisor


def test_agent_reject_while_ringing_goes_to_next_agent(h: Harness) -> None:
    setup(h, autopause_after=1)
    out = h.enter("c1")
    first = one(out, OriginateAgent)
    out = h.send(AgentRejectOffer, agent_id=first.agent_id)
    rej = one(out, CallRejected)
    assert (rej.agent_id, rej.forced) == (1, False)
    assert one(out, CancelOffer).offer_id == first.offer_id
    assert one(out, OfferEnded).result is OfferResult.REJECTED
    assert one(out, OriginateAgent).agent_id == 2
    assert h.state(1) is AgentState.AVAILABLE  # a deliberate reject is not a miss
    assert one(h.send(AgentRejectOffer, agent_id=3), Refused).code == "nothing_to_reject"


def test_agent_reject_while_connected_requeues_at_head(h: Harness) -> None:
    setup(h, agents=2)
    leg1 = connected(h)
    h.enter("c2")  # agent 2 rings for c2
    out = h.send(AgentRejectOffer, agent_id=1)
    assert one(out, CallRejected).while_connected
    assert one(out, HangupLeg).leg_id == leg1
    assert h.engine.queue(1)[0] == "c1"
    assert h.state(1) is AgentState.WRAPUP


def test_supervisor_force_reject_ringing_requeues_at_head(h: Harness) -> None:
    setup(h, agents=1)
    h.send(AgentPause, agent_id=1)
    h.enter("c1")
    h.enter("c2")
    h.enter("c3")
    h.login(5, {1: 0})  # linear: takes c1
    h.send(CallerHungUp, call_id="c1")  # c2 now rings 5
    out = h.send(SupervisorForceReject, call_id="c2", supervisor_id=9)
    assert one(out, CallRejected).forced
    assert one(out, OfferEnded).result is OfferResult.REJECTED
    # agent 5 is free again, gets c3 (c2 declined by it), c2 stays at the head
    assert one(out, OriginateAgent).call_id == "c3"
    assert h.engine.queue(1) == ["c2", "c3"]
    assert h.engine.agent(5).missed == 0  # type: ignore[union-attr]


def test_supervisor_force_reject_connected(h: Harness) -> None:
    setup(h, wrapup_s=0)
    leg1 = connected(h)
    out = h.send(SupervisorForceReject, call_id="c1", supervisor_id=9)
    rej = one(out, CallRejected)
    assert (rej.forced, rej.supervisor_id, rej.agent_id) == (True, 9, 1)
    assert one(out, HangupLeg).leg_id == leg1
    assert one(out, OriginateAgent).agent_id == 2  # re-offered to someone else
    assert h.state(1) is AgentState.AVAILABLE  # wrapup_s=0
    out = h.send(SupervisorForceReject, call_id="c9", supervisor_id=9)
    assert one(out, Refused).code == "unknown_call"


def test_supervisor_hangup_any_call(h: Harness) -> None:
    setup(h)
    leg1 = connected(h)
    h.send(AgentPause, agent_id=2)
    h.send(AgentPause, agent_id=3)
    h.enter("c2")
    out = h.send(SupervisorHangup, call_id="c1", supervisor_id=9)
    assert one(out, HangupLeg).leg_id == leg1 and one(out, HangupCall)
    assert one(out, CallEnded).outcome is CallOutcome.ANSWERED
    out = h.send(SupervisorHangup, call_id="c2", supervisor_id=9)
    assert one(out, CallEnded).outcome is CallOutcome.REJECTED


def test_agent_console_hangup(h: Harness) -> None:
    setup(h)
    leg1 = connected(h)
    out = h.send(AgentHangup, agent_id=1)
    assert one(out, HangupLeg).leg_id == leg1
    assert one(out, HangupCall).call_id == "c1"
    assert one(h.send(AgentHangup, agent_id=1), Refused).code == "no_call"


# ----------------------------------------------------------------------- click-to-call


def test_click_to_call_agent_first_then_client(h: Harness) -> None:
    setup(h)
    h.send(AgentPause, agent_id=1, reason="callbacks")
    out = h.send(ClickToCall, agent_id=1, number="0611", client_id=5)
    orig = one(out, OriginateAgent)
    assert orig.caller_number == "0611" and orig.call_id.startswith("c2c-")
    assert h.state(1) is AgentState.RINGING
    out = h.send(OfferAnswered, offer_id=orig.offer_id)
    dial = one(out, DialOutbound)
    assert dial.number == "0611"
    out = h.send(OutboundAnswered, leg_id=dial.leg_id)
    assert one(out, ConnectLegs).leg_ids == (orig.offer_id, dial.leg_id)
    out = h.send(OutboundLegEnded, leg_id=dial.leg_id)
    assert one(out, HangupLeg).leg_id == orig.offer_id
    ended = one(out, CallEnded)
    assert (ended.outcome, ended.client_id, ended.direction.value) == (
        CallOutcome.ANSWERED,
        5,
        "outbound",
    )
    assert h.state(1) is AgentState.PAUSED  # back where it was, no wrap-up
    assert h.engine.agent(1).calls_taken == 0  # type: ignore[union-attr]


def test_click_to_call_failures(h: Harness) -> None:
    setup(h, ring_timeout_s=10)
    out = h.send(ClickToCall, agent_id=1, number="0611")
    h.advance(20)  # agent does not pick up
    assert one(h.log[-12:], CallEnded).outcome is CallOutcome.FAILED
    assert h.state(1) is AgentState.AVAILABLE
    assert h.engine.agent(1).missed == 0  # type: ignore[union-attr]
    out = h.send(ClickToCall, agent_id=1, number="0611")
    agent_leg = one(out, OriginateAgent).offer_id
    dial = one(h.send(OfferAnswered, offer_id=agent_leg), DialOutbound)
    out = h.advance(60)  # the client does not answer: both legs are hung up
    assert {o.leg_id for o in of(out, HangupLeg)} == {agent_leg, dial.leg_id}
    assert one(out, CallEnded).outcome is CallOutcome.FAILED
    assert one(h.send(ClickToCall, agent_id=1, number="x"), Refused).code == "bad_number"
    h.answer(h.enter("c1"))
    assert one(h.send(ClickToCall, agent_id=1, number="1"), Refused).code == "agent_busy"
    out = h.send(TransferBlind, call_id="c1", target=Target.agent(2), by_agent_id=1)
    assert one(out, CallTransferred)


def test_click_to_call_agent_is_not_offered_inbound(h: Harness) -> None:
    setup(h, agents=1)
    out = h.send(ClickToCall, agent_id=1, number="0611")
    assert not of(h.enter("c1"), OriginateAgent)
    h.send(OfferAnswered, offer_id=one(out, OriginateAgent).offer_id)
    out = h.send(AgentLogout, agent_id=1)
    assert h.state(1) is AgentState.ON_CALL  # deferred
    dial = one(h.log[-8:], DialOutbound)
    h.send(OutboundFailed, leg_id=dial.leg_id)
    assert h.state(1) is AgentState.LOGGED_OUT


# ------------------------------------------------------------------------------ sticky


def test_sticky_waits_for_preferred_agent_then_anyone(h: Harness) -> None:
    setup(h, sticky_s=15, agents=2)
    h.answer(h.enter("busy"))  # agent 1 (preferred) on a call
    out = h.enter("c1", preferred_agent_id=1, client_id=3)
    assert not of(out, OriginateAgent)  # agent 2 is free but c1 waits for agent 1
    out = h.enter("c2")
    assert one(out, OriginateAgent).agent_id == 2  # later callers are not blocked
    h.send(CallerHungUp, call_id="c2")
    h.advance(5)
    out = h.send(CallerHungUp, call_id="busy")  # wrap-up 5 s
    h.advance(5)
    offer = one(h.log[-6:], OriginateAgent)
    assert (offer.call_id, offer.agent_id) == ("c1", 1)


def test_sticky_expires(h: Harness) -> None:
    setup(h, sticky_s=15, agents=2)
    h.answer(h.enter("busy"))
    h.enter("c1", preferred_agent_id=1)
    out = h.advance(15)
    assert one(out, OriginateAgent).agent_id == 2


def test_sticky_preferred_agent_beats_strategy_order(h: Harness) -> None:
    setup(h, sticky_s=30, agents=3)
    h.send(AgentPause, agent_id=1)
    h.send(AgentPause, agent_id=2)
    h.send(AgentPause, agent_id=3)
    h.enter("c0")
    h.enter("c1", preferred_agent_id=1)
    out = h.send(AgentUnpause, agent_id=1)
    offer = one(out, OriginateAgent)
    assert (offer.call_id, offer.agent_id) == ("c1", 1)


def test_sticky_ignored_when_preferred_not_logged_in(h: Harness) -> None:
    setup(h, sticky_s=30, agents=2)
    out = h.enter("c1", preferred_agent_id=42)
    assert one(out, OriginateAgent).agent_id == 1


def test_sticky_released_when_preferred_misses(h: Harness) -> None:
    setup(h, sticky_s=30, agents=2, ring_timeout_s=5)
    h.send(AgentPause, agent_id=1)
    h.send(AgentPause, agent_id=2)
    h.enter("c1", preferred_agent_id=2)
    h.send(AgentUnpause, agent_id=1)
    out = h.send(AgentUnpause, agent_id=2)
    assert one(out, OriginateAgent).agent_id == 2
    out = h.advance(5)
    assert one(out, OriginateAgent).agent_id == 1
