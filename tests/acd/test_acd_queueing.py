"""C1–C3, C8: queueing, offers, claims, misses, auto-pause, wrap-up, overflow."""

from __future__ import annotations

from stasis_app.acd import (
    AUTO_PAUSE_REASON,
    AgentLegEnded,
    AgentLogout,
    AgentPause,
    AgentState,
    AgentUnpause,
    AgentWrapupDone,
    AnswerAndHold,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerHungUp,
    CallOutcome,
    CallOverflowed,
    CallQueued,
    CallStarted,
    CancelOffer,
    ConnectCall,
    DestroyBridge,
    DialOutbound,
    FailReason,
    HangupCall,
    HangupLeg,
    HoldCaller,
    OfferAnswered,
    OfferEnded,
    OfferFailed,
    OfferResult,
    OfferRinging,
    OriginateAgent,
    OutboundAnswered,
    OutboundFailed,
    OverflowKind,
    OverflowTrigger,
    PlayAndHangup,
    QueueChanged,
    Refused,
    ReturnToDialplan,
    ScreenPop,
    StartTimer,
    Strategy,
    TimerKind,
)

from .conftest import Harness, of, one


def test_inbound_call_is_answered_held_queued_and_offered(h: Harness) -> None:
    h.group(1, moh_class="jazz", ring_timeout_s=15)
    h.login(1)
    out = h.enter("c1", caller_number="0611", caller_name="Bob")
    assert one(out, CallStarted).group_id == 1
    # answered; an agent rings at once, so the queue's music waits a little (music_delay_s)
    assert one(out, AnswerAndHold) == AnswerAndHold(call_id="c1", moh_class="jazz", group_id=1,
                                                    hold=False)
    assert [t.kind for t in of(out, StartTimer)].count(TimerKind.MUSIC) == 1
    assert one(out, CallQueued).position == 1
    orig = one(out, OriginateAgent)
    assert (orig.agent_id, orig.extension, orig.caller_number, orig.caller_name) == (
        1,
        "2001",
        "0611",
        "Bob",
    )
    ring = [t for t in of(out, StartTimer) if t.kind is TimerKind.RING_TIMEOUT]
    assert len(ring) == 1 and ring[0].delay_s == 15
    assert orig.bridge_id  # the call's bridge, made while the phone rings
    assert h.state(1) is AgentState.RINGING
    assert of(out, QueueChanged)[-1].entries[0].call_id == "c1"
    # order: the answer before the agent leg is originated
    assert out.index(one(out, AnswerAndHold)) < out.index(orig)


def test_a_caller_nobody_can_take_is_answered_and_queued_in_one_command(h: Harness) -> None:
    h.group(1, moh_class="jazz")
    out = h.enter("c1")
    assert one(out, AnswerAndHold) == AnswerAndHold(call_id="c1", moh_class="jazz", group_id=1)
    assert not of(out, HoldCaller) and TimerKind.MUSIC not in [t.kind for t in of(out, StartTimer)]


def test_an_agent_who_answers_at_once_takes_the_caller_without_the_holding_bridge(
        h: Harness) -> None:
    h.group(1, moh_class="jazz")
    h.login(1)
    out = h.enter("c1")
    out = h.answer(out)
    assert one(out, ConnectCall).call_id == "c1"
    assert not of(h.log, HoldCaller)  # never in the queue's holding bridge
    assert not any(t.kind is TimerKind.MUSIC for t in of(h.log, StartTimer)
                   if t.timer_id in h.timers)  # the music timer was cancelled
    assert not of(h.advance(5), HoldCaller)


def test_a_caller_still_ringing_an_agent_gets_the_queue_music_after_the_delay(
        h: Harness) -> None:
    h.group(1, moh_class="jazz", ring_timeout_s=15)
    h.login(1)
    out = h.enter("c1")
    assert not of(h.advance(0.4), HoldCaller)
    held = of(h.advance(0.2), HoldCaller)
    assert held == [HoldCaller(call_id="c1", moh_class="jazz", group_id=1)]
    out = h.answer(out)  # then the agent answers: from the holding bridge to the call's
    assert one(out, ConnectCall).call_id == "c1"


def test_screen_pop_on_ringing_then_answer_connects(h: Harness) -> None:
    h.group(1)
    h.login(1)
    out = h.enter("c1", client_id=42, note_ref="n7")
    offer_id = one(out, OriginateAgent).offer_id
    pop = one(h.send(OfferRinging, offer_id=offer_id), ScreenPop)
    assert (pop.agent_id, pop.client_id, pop.note_ref) == (1, 42, "n7")
    h.advance(7)
    out = h.send(OfferAnswered, offer_id=offer_id)
    connect = one(out, ConnectCall)
    assert (connect.call_id, connect.leg_id) == ("c1", offer_id)
    assert connect.bridge_id == one(h.log, OriginateAgent).bridge_id
    assert one(out, CallAnswered).waited_s == 7
    assert one(out, OfferEnded).result is OfferResult.ANSWERED
    assert h.state(1) is AgentState.ON_CALL
    assert h.engine.queue(1) == []


def test_hangup_by_agent_ends_call_and_cleans_up(h: Harness) -> None:
    h.group(1, wrapup_s=10)
    h.login(1)
    out = h.enter("c1")
    offer_id = one(out, OriginateAgent).offer_id
    bridge = one(h.answer(out), ConnectCall).bridge_id
    h.advance(30)
    out = h.send(AgentLegEnded, offer_id=offer_id)
    assert one(out, HangupCall).call_id == "c1"
    assert one(out, DestroyBridge).bridge_id == bridge
    assert not of(out, HangupLeg)  # the agent leg is already gone
    ended = one(out, CallEnded)
    assert ended.outcome is CallOutcome.ANSWERED and ended.answered_at == 1000
    assert h.state(1) is AgentState.WRAPUP
    h.advance(9)
    assert h.state(1) is AgentState.WRAPUP
    h.advance(1)
    assert h.state(1) is AgentState.AVAILABLE
    assert h.engine.calls() == [] and h.engine.live_legs() == []


def test_wrapup_zero_goes_straight_to_available_and_manual_end(h: Harness) -> None:
    h.group(1, wrapup_s=0)
    h.group(2, wrapup_s=60)
    h.login(1)
    h.login(2, {2: 0})
    h.answer(h.enter("c1"))
    h.send(CallerHungUp, call_id="c1")
    assert h.state(1) is AgentState.AVAILABLE
    h.answer(h.enter("c2", group=2))
    h.send(CallerHungUp, call_id="c2")
    assert h.state(2) is AgentState.WRAPUP
    out = h.send(AgentWrapupDone, agent_id=2)
    assert h.state(2) is AgentState.AVAILABLE and of(out, type(out[0]))
    assert isinstance(h.send(AgentWrapupDone, agent_id=2)[0], Refused)


def test_ringall_first_answer_wins_and_late_answer_is_hung_up(h: Harness) -> None:
    h.group(1, strategy=Strategy.RINGALL)
    for a in (1, 2, 3):
        h.login(a)
    out = h.enter("c1")
    offers = {o.agent_id: o.offer_id for o in of(out, OriginateAgent)}
    assert set(offers) == {1, 2, 3}
    out = h.send(OfferAnswered, offer_id=offers[2])
    assert {c.offer_id for c in of(out, CancelOffer)} == {offers[1], offers[3]}
    ended = {e.offer_id: e.result for e in of(out, OfferEnded)}
    assert ended == {
        offers[2]: OfferResult.ANSWERED,
        offers[1]: OfferResult.CANCELLED,
        offers[3]: OfferResult.CANCELLED,
    }
    assert len(of(out, ConnectCall)) == 1
    assert h.state(1) is AgentState.AVAILABLE and h.state(3) is AgentState.AVAILABLE
    late = h.send(OfferAnswered, offer_id=offers[1])
    assert late == [HangupLeg(leg_id=offers[1])]
    assert h.state(1) is AgentState.AVAILABLE
    assert h.engine.call("c1").agent_id == 2  # type: ignore[union-attr]


def test_no_answer_requeues_at_head_and_tries_next_agent(h: Harness) -> None:
    h.group(1, strategy=Strategy.LINEAR, ring_timeout_s=10)
    h.login(1)
    h.login(2)
    out = h.enter("c1")
    assert one(out, OriginateAgent).agent_id == 1
    h.advance(1)
    out2 = h.enter("c2")  # agent 2 takes the second call
    assert one(out2, OriginateAgent).agent_id == 2
    h.advance(1)
    h.enter("c3")  # nobody free
    out = h.advance(8)  # agent 1 ring timeout
    assert one(out, OfferEnded).result is OfferResult.NO_ANSWER
    assert one(out, CancelOffer).offer_id == of(h.log, OriginateAgent)[0].offer_id
    # c1 stays at the head of the queue with its original entered_at
    assert h.engine.queue(1)[0] == "c1"
    assert h.engine.call("c1").entered_at == 1000  # type: ignore[union-attr]
    # agent 1 is the only one free: c1 is not re-offered to it, c3 is
    assert [o.call_id for o in of(out, OriginateAgent)] == ["c3"]


def test_missed_agent_retried_after_retry_delay_when_alone(h: Harness) -> None:
    h.group(1, ring_timeout_s=10, retry_s=5)
    h.login(1)
    h.enter("c1")
    out = h.advance(10)
    assert not of(out, OriginateAgent)
    out = h.advance(5)
    assert one(out, OriginateAgent).agent_id == 1


def test_busy_phone_not_rerung_for_the_same_caller_within_the_groups_retry(
        h: Harness) -> None:
    h.group(1, ring_timeout_s=10, retry_s=20)
    h.login(1)
    h.login(2)
    first = one(h.enter("c1"), OriginateAgent)
    out = h.send(OfferFailed, offer_id=first.offer_id, reason=FailReason.BUSY)
    second = one(out, OriginateAgent)
    assert second.agent_id != first.agent_id
    h.advance(5)
    # The other agent misses it too, 5 s later: the retry counts from that last miss, and
    # meanwhile the busy phone is not rung again for this caller.
    out = h.send(OfferFailed, offer_id=second.offer_id, reason=FailReason.BUSY)
    assert not of(out, OriginateAgent)
    assert not of(h.advance(19.9), OriginateAgent)
    again = of(h.advance(0.1), OriginateAgent)
    assert [o.call_id for o in again] == ["c1"]
    # Another caller is offered to the busy agent's phone at once: the rule is per caller.
    other = one(h.enter("c2"), OriginateAgent)
    assert other.call_id == "c2"


def test_busy_and_failed_requeue_without_instant_loop(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.login(2)
    out = h.enter("c1")
    first = one(out, OriginateAgent)
    out = h.send(OfferFailed, offer_id=first.offer_id, reason=FailReason.BUSY)
    assert one(out, OfferEnded).result is OfferResult.BUSY
    assert not of(out, CancelOffer)
    second = one(out, OriginateAgent)
    assert second.agent_id != first.agent_id
    out = h.send(OfferFailed, offer_id=second.offer_id, reason=FailReason.REJECTED_BY_PHONE)
    assert one(out, OfferEnded).result is OfferResult.REJECTED
    assert not of(out, OriginateAgent)  # both missed it: wait for retry_s


def test_auto_pause_after_consecutive_misses(h: Harness) -> None:
    h.group(1, autopause_after=2, ring_timeout_s=5, retry_s=1)
    h.login(1)
    h.enter("c1")
    h.advance(5)
    assert h.state(1) is AgentState.AVAILABLE
    h.advance(1)  # retry: offered again
    assert h.state(1) is AgentState.RINGING
    out = h.advance(5)
    assert h.state(1) is AgentState.PAUSED
    assert h.engine.agent(1).reason == AUTO_PAUSE_REASON  # type: ignore[union-attr]
    assert not of(h.advance(60), OriginateAgent)  # paused agents get nothing
    assert of(out, OfferEnded)[0].result is OfferResult.NO_ANSWER
    out = h.send(AgentUnpause, agent_id=1)
    assert one(out, OriginateAgent).call_id == "c1"


def test_answer_resets_missed_counter(h: Harness) -> None:
    h.group(1, autopause_after=2, ring_timeout_s=5, retry_s=1)
    h.login(1)
    h.enter("c1")
    h.advance(6)  # miss 1, retry
    h.send(OfferAnswered, offer_id=of(h.log, OriginateAgent)[-1].offer_id)
    assert h.engine.agent(1).missed == 0  # type: ignore[union-attr]


def test_caller_hangup_while_waiting_is_abandon(h: Harness) -> None:
    h.group(1)
    h.enter("c1")
    h.advance(12)
    out = h.send(CallerHungUp, call_id="c1")
    ab = one(out, CallAbandoned)
    assert (ab.waited_s, ab.while_ringing) == (12, False)
    assert one(out, CallEnded).outcome is CallOutcome.ABANDONED
    assert not of(out, HangupCall)
    assert one(out, QueueChanged).entries == ()
    assert h.send(CallerHungUp, call_id="c1") == []  # late duplicate is harmless


def test_caller_hangup_while_ringing_cancels_offers(h: Harness) -> None:
    h.group(1, strategy=Strategy.RINGALL)
    h.login(1)
    h.login(2)
    out = h.enter("c1")
    offers = [o.offer_id for o in of(out, OriginateAgent)]
    out = h.send(CallerHungUp, call_id="c1")
    assert {c.offer_id for c in of(out, CancelOffer)} == set(offers)
    assert {e.result for e in of(out, OfferEnded)} == {OfferResult.CALLER_ABANDONED}
    assert one(out, CallAbandoned).while_ringing
    assert h.state(1) is AgentState.AVAILABLE and h.state(2) is AgentState.AVAILABLE
    assert h.engine.agent(1).missed == 0  # type: ignore[union-attr]
    # the ring timers were cancelled: nothing fires later but the queue's last snapshot
    # (rate-limited, queue_view_s)
    assert [type(o) for o in h.advance(100)] == [QueueChanged, StartTimer]


def test_one_call_per_agent_and_queue_order(h: Harness) -> None:
    h.group(1)
    h.login(1)
    out = h.enter("c1")
    h.advance(1)
    out2 = h.enter("c2")
    assert not of(out2, OriginateAgent)
    assert [e.call_id for e in one(out2, QueueChanged).entries] == ["c1", "c2"]
    h.answer(out)
    h.send(CallerHungUp, call_id="c1")
    assert one(h.log[-10:], OriginateAgent).call_id == "c2"


def test_logout_means_no_more_offers(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.send(AgentLogout, agent_id=1)
    assert h.state(1) is AgentState.LOGGED_OUT
    assert not of(h.enter("c1"), OriginateAgent)


def test_pause_blocks_offers_and_unpause_dispatches(h: Harness) -> None:
    h.group(1)
    h.login(1, initial_state=AgentState.PAUSED, reason="lunch")
    assert h.engine.agent(1).reason == "lunch"  # type: ignore[union-attr]
    assert not of(h.enter("c1"), OriginateAgent)
    h.send(AgentPause, agent_id=1, reason="coffee")  # reason change while paused
    assert one(h.send(AgentUnpause, agent_id=1), OriginateAgent).call_id == "c1"


def test_max_wait_overflows_to_group(h: Harness) -> None:
    h.group(1, max_wait_s=30, overflow_kind=OverflowKind.GROUP, overflow_target="g2")
    h.group(2, moh_class="other")
    h.login(1)
    h.login(2, {2: 0})
    out = h.enter("c1")
    h.send(AgentPause, agent_id=1)  # withdraw the offer: nobody answers in g1
    out = h.advance(30)
    ov = one(out, CallOverflowed)
    assert (ov.from_group_id, ov.trigger, ov.waited_s) == (1, OverflowTrigger.MAX_WAIT, 30)
    assert one(out, OriginateAgent).agent_id == 2
    assert h.engine.queue(1) == [] and h.engine.queue(2) == ["c1"]
    assert {q.group_id for q in of(out, QueueChanged)} == {1, 2}
    h.answer(out)
    out = h.send(CallerHungUp, call_id="c1")
    assert one(out, CallEnded).outcome is CallOutcome.ANSWERED


def test_max_wait_goodbye_is_timed_out(h: Harness) -> None:
    h.group(1, max_wait_s=10, overflow_kind=OverflowKind.GOODBYE, overflow_target="sound:bye")
    h.enter("c1")
    out = h.advance(10)
    assert one(out, PlayAndHangup).media == "sound:bye"
    assert one(out, CallEnded).outcome is CallOutcome.TIMED_OUT
    assert h.send(CallerHungUp, call_id="c1") == []


def test_max_wait_none_returns_to_the_dialplan(h: Harness) -> None:
    h.group(1, max_wait_s=10)
    h.login(1, initial_state=AgentState.PAUSED)
    h.enter("c1")
    out = h.advance(10)
    assert not of(out, HangupCall)  # the dialplan tells the caller why, then hangs up
    assert one(out, ReturnToDialplan) == ReturnToDialplan(call_id="c1", reason="max_wait")
    assert one(out, CallEnded).outcome is CallOutcome.TIMED_OUT


def test_max_wait_cancels_ringing_offer(h: Harness) -> None:
    h.group(1, max_wait_s=10, ring_timeout_s=30)
    h.login(1)
    h.enter("c1")
    out = h.advance(10)
    assert one(out, OfferEnded).result is OfferResult.CANCELLED
    assert one(out, CancelOffer)
    assert h.state(1) is AgentState.AVAILABLE
    assert one(out, CallEnded).outcome is CallOutcome.TIMED_OUT


def test_max_callers_overflows_to_number(h: Harness) -> None:
    h.group(1, max_callers=1, overflow_kind=OverflowKind.NUMBER, overflow_target="0899")
    h.enter("c1")
    out = h.enter("c2")
    assert one(out, CallOverflowed).trigger is OverflowTrigger.MAX_CALLERS
    assert one(out, AnswerAndHold).call_id == "c2"
    dial = one(out, DialOutbound)
    assert (dial.call_id, dial.number) == ("c2", "0899")
    out = h.send(OutboundAnswered, leg_id=dial.leg_id)
    assert one(out, ConnectCall).leg_id == dial.leg_id
    out = h.send(CallerHungUp, call_id="c2")
    assert one(out, HangupLeg).leg_id == dial.leg_id
    assert one(out, CallEnded).outcome is CallOutcome.OVERFLOWED
    assert h.engine.queue(1) == ["c1"]


def test_overflow_number_failure_ends_call(h: Harness) -> None:
    h.group(1, max_callers=1, overflow_kind=OverflowKind.NUMBER, overflow_target="0899")
    h.enter("c1")
    dial = one(h.enter("c2"), DialOutbound)
    out = h.send(OutboundFailed, leg_id=dial.leg_id)
    assert one(out, HangupCall).call_id == "c2"
    assert one(out, CallEnded).outcome is CallOutcome.OVERFLOWED


def test_join_empty_false_refuses_when_nobody_logged_in(h: Harness) -> None:
    h.group(1, join_empty=False, overflow_kind=OverflowKind.GOODBYE)
    out = h.enter("c1")
    assert one(out, CallOverflowed).trigger is OverflowTrigger.JOIN_EMPTY
    assert one(out, PlayAndHangup).media == "sound:vm-goodbye"
    assert one(out, CallEnded).outcome is CallOutcome.REJECTED
    assert not of(out, CallQueued)
    # a paused agent counts as logged in: callers are accepted
    h.login(1, initial_state=AgentState.PAUSED)
    assert one(h.enter("c2"), CallQueued)


def test_join_empty_false_without_overflow_returns_unanswered(h: Harness) -> None:
    h.group(1, join_empty=False)
    out = h.enter("c1")
    assert not of(out, AnswerAndHold)
    assert one(out, ReturnToDialplan) == ReturnToDialplan(call_id="c1", reason="join_empty")


def test_leave_when_empty_overflows_waiting_callers(h: Harness) -> None:
    h.group(1, leave_when_empty=True, overflow_kind=OverflowKind.GROUP, overflow_target="2")
    h.group(2)
    h.login(1, initial_state=AgentState.PAUSED)
    h.login(2, {2: 0}, initial_state=AgentState.PAUSED)
    h.enter("c1")
    h.enter("c2")
    out = h.send(AgentLogout, agent_id=1)
    assert [o.call_id for o in of(out, CallOverflowed)] == ["c1", "c2"]
    assert {o.trigger for o in of(out, CallOverflowed)} == {OverflowTrigger.LEAVE_WHEN_EMPTY}
    assert h.engine.queue(2) == ["c1", "c2"]


def test_overflow_loop_falls_back_to_the_dialplan(h: Harness) -> None:
    h.group(1, max_wait_s=5, overflow_kind=OverflowKind.GROUP, overflow_target="g2")
    h.group(2, max_wait_s=5, overflow_kind=OverflowKind.GROUP, overflow_target="g1")
    h.enter("c1")
    h.advance(5)
    assert h.engine.queue(2) == ["c1"]
    out = h.advance(5)
    assert one(out, ReturnToDialplan).call_id == "c1"
    assert one(out, CallEnded).outcome is CallOutcome.TIMED_OUT


def test_unknown_group_and_duplicate_call_are_refused(h: Harness) -> None:
    h.group(1)
    out = h.enter("c1", group="nope")
    assert one(out, Refused).code == "unknown_group"
    # not left in Stasis: back to the dialplan, which tells the caller
    assert one(out, ReturnToDialplan) == ReturnToDialplan(call_id="c1", reason="unknown_group")
    assert h.engine.calls() == []
    h.enter("c1", group="101")  # by number
    h.enter("c2", group="G1")  # by name, case-insensitive
    assert h.engine.queue(1) == ["c1", "c2"]
    assert one(h.enter("c1"), Refused).code == "duplicate_call"


def test_offer_failed_for_unknown_offer_is_ignored(h: Harness) -> None:
    h.group(1)
    assert h.send(OfferFailed, offer_id="offer-999") == []
    assert h.send(AgentLegEnded, offer_id="offer-999") == []
    assert h.send(OfferRinging, offer_id="offer-999") == []


def test_agent_leg_vanishing_before_answer_is_a_failure(h: Harness) -> None:
    h.group(1, autopause_after=1)
    h.login(1)
    out = h.enter("c1")
    out = h.send(AgentLegEnded, offer_id=one(out, OriginateAgent).offer_id)
    assert one(out, OfferEnded).result is OfferResult.FAILED
    assert h.state(1) is AgentState.PAUSED


def test_queue_changed_once_per_input(h: Harness) -> None:
    h.group(1, strategy=Strategy.RINGALL)
    for a in range(5):
        h.login(a)
    out = h.enter("c1")
    assert len(of(out, QueueChanged)) == 1


def test_a_burst_of_callers_is_one_queue_snapshot_then_one_per_quarter_second(
        h: Harness) -> None:
    h.group(1)
    first = h.enter("c0")
    assert [e.call_id for e in one(first, QueueChanged).entries] == ["c0"]  # at once
    burst = [o for n in range(1, 10) for o in h.enter(f"c{n}")]
    assert not of(burst, QueueChanged)  # the same quarter second: folded into the next one
    later = h.advance(0.25)
    assert [e.call_id for e in one(later, QueueChanged).entries] == [f"c{n}" for n in range(10)]
    assert not of(h.advance(10), QueueChanged)  # nothing changed since
