"""After a restart: agents restored from the records and live calls adopted from Asterisk,
without inventing state changes; late hang-ups recorded at their real time."""

from __future__ import annotations

from stasis_app.acd import (
    AdoptCall,
    AdoptionDone,
    AgentState,
    AgentStateChanged,
    AnswerAndHold,
    CallAnswered,
    CallEnded,
    CallerHungUp,
    CallerIdentified,
    CallOutcome,
    CallQueued,
    CallStarted,
    ClientAttached,
    ConnectCall,
    HangupLeg,
    OfferAnswered,
    OfferRinging,
    OriginateAgent,
    QueueChanged,
    Refused,
    RestoreAgent,
    ScreenPop,
)

from .conftest import Harness, of, one


def restore(h: Harness, agent_id: int, state: AgentState, **kw: object) -> list:
    return h.send(RestoreAgent, agent_id=agent_id, extension=str(2000 + agent_id),
                  groups={1: 0}, state=state, since=h.now - 60, **kw)


def test_restored_agents_come_back_silently_and_take_calls(h: Harness) -> None:
    h.group(1)
    out = restore(h, 1, AgentState.AVAILABLE) + restore(h, 2, AgentState.PAUSED, reason="lunch")
    assert not of(out, AgentStateChanged)  # the records already say so
    assert h.state(1) is AgentState.AVAILABLE and h.state(2) is AgentState.PAUSED
    assert one(restore(h, 1, AgentState.AVAILABLE), Refused).code == "already_logged_in"
    assert one(h.enter("c1"), OriginateAgent).agent_id == 1


def test_adopted_conversation_goes_on_and_ends_with_its_truth(h: Harness) -> None:
    h.group(1, wrapup_s=5)
    restore(h, 1, AgentState.ON_CALL)
    out = h.send(AdoptCall, call_id="c1", group_id=1, caller_number="0611",
                 started_at=h.now - 90, entered_at=h.now - 90, answered_at=h.now - 80,
                 agent_id=1, leg_id="old-offer-1", bridge_id="old-bridge-1")
    assert not of(out, AgentStateChanged)  # on the call before, on it still
    assert not of(out, CallStarted) and not of(out, CallAnswered)  # its record exists
    out += h.send(AdoptionDone)
    assert h.state(1) is AgentState.ON_CALL
    ended = one(h.send(CallerHungUp, call_id="c1"), CallEnded)
    assert ended.outcome is CallOutcome.ANSWERED
    assert ended.answered_at == h.now - 80 and ended.started_at == h.now - 90
    assert h.state(1) is AgentState.WRAPUP


def test_adopted_conversation_whose_answer_was_never_written_is_answered_again(
        h: Harness) -> None:
    # kill -9 right after the agent answered: the record has the call but not its answer
    h.group(1)
    restore(h, 1, AgentState.ON_CALL)
    out = h.send(AdoptCall, call_id="c1", group_id=1, caller_number="0611",
                 started_at=h.now - 30, entered_at=h.now - 30, answered_at=h.now - 4,
                 agent_id=1, leg_id="old-offer-1", bridge_id="old-bridge-1",
                 answer_journaled=False)
    answered = one(out, CallAnswered)
    assert answered.at == h.now - 4 and answered.waited_s == 26
    assert not of(out, CallStarted)
    ended = one(h.send(CallerHungUp, call_id="c1"), CallEnded)
    assert ended.outcome is CallOutcome.ANSWERED and ended.answered_at == h.now - 4


def test_adopted_waiting_callers_keep_their_places_and_remaining_wait(h: Harness) -> None:
    h.group(1, max_wait_s=120)
    h.login(1, initial_state=AgentState.PAUSED)
    for call_id, waited in (("late", 10), ("first", 100), ("middle", 50)):
        h.send(AdoptCall, call_id=call_id, group_id=1, started_at=h.now - waited,
               entered_at=h.now - waited)
    assert h.engine.queue(1) == ["first", "middle", "late"]
    # "first" has 20 s of its 120 left
    out = h.advance(20.5)
    assert [e.call_id for e in of(out, CallEnded)] == ["first"]
    assert of(out, QueueChanged)[-1].entries[0].call_id == "middle"


def test_adopted_caller_found_in_no_bridge_is_answered_and_queued_with_music(
        h: Harness) -> None:
    h.group(1, moh_class="jazz")
    h.login(1, initial_state=AgentState.PAUSED)
    out = h.send(AdoptCall, call_id="c1", group_id=1, started_at=h.now - 1,
                 entered_at=h.now - 1, in_holding_bridge=False)
    assert one(out, AnswerAndHold) == AnswerAndHold(call_id="c1", moh_class="jazz", group_id=1)
    out = h.send(AdoptCall, call_id="c2", group_id=1, started_at=h.now - 1,
                 entered_at=h.now - 1)
    assert not of(out, AnswerAndHold)  # found in the holding bridge: already there
    assert h.engine.queue(1) == ["c1", "c2"]


def test_adopted_caller_unknown_to_the_records_gets_one(h: Harness) -> None:
    h.group(1)
    out = h.send(AdoptCall, call_id="c9", group_id=1, caller_number="0622", journaled=False,
                 started_at=h.now - 5, entered_at=h.now - 5)
    # a kill -9 came before the record was written: stamped when it happened, not now
    assert one(out, CallStarted).at == h.now - 5
    queued = one(out, CallQueued)
    assert queued.call_id == "c9" and queued.at == h.now - 5


def test_adopted_caller_whose_queue_entry_was_never_written_gets_it_at_its_time(
        h: Harness) -> None:
    h.group(1)
    out = h.send(AdoptCall, call_id="c9", group_id=1, caller_number="0622",
                 queue_journaled=False, started_at=h.now - 7, entered_at=h.now - 6)
    assert not of(out, CallStarted)
    assert one(out, CallQueued).at == h.now - 6


def test_adopted_conversation_unknown_to_the_records_gets_all_of_it(h: Harness) -> None:
    h.group(1)
    restore(h, 1, AgentState.ON_CALL)
    out = h.send(AdoptCall, call_id="c1", group_id=1, caller_number="0611", journaled=False,
                 started_at=h.now - 30, entered_at=h.now - 30, answered_at=h.now - 20,
                 agent_id=1, leg_id="old-offer-1", bridge_id="old-bridge-1")
    assert one(out, CallStarted).at == h.now - 30
    assert one(out, CallQueued).at == h.now - 30
    answered = one(out, CallAnswered)
    assert answered.at == h.now - 20 and answered.waited_s == 10


def test_agent_whose_call_ended_meanwhile_is_freed(h: Harness) -> None:
    h.group(1)
    restore(h, 1, AgentState.ON_CALL)
    h.enter("c1")  # nobody available: the restoring agent is not
    out = h.send(AdoptionDone)
    changes = [(c.old, c.new) for c in of(out, AgentStateChanged)]
    assert changes == [(AgentState.ON_CALL, AgentState.AVAILABLE),
                       (AgentState.AVAILABLE, AgentState.RINGING)]
    assert one(out, OriginateAgent).agent_id == 1


def test_agent_whose_call_ended_unseen_is_free_from_that_moment(h: Harness) -> None:
    """Asterisk noted when the call ended while no process watched: the agent's time on the
    call ends then, and the next call's ringing starts now (never before either moment)."""
    h.group(1)
    restore(h, 1, AgentState.ON_CALL, call_ended_at=h.now - 20)  # on it since now - 60
    h.enter("c1")
    out = h.send(AdoptionDone)
    freed, ringing = of(out, AgentStateChanged)
    assert (freed.new, freed.at) == (AgentState.AVAILABLE, h.now - 20)
    assert (ringing.new, ringing.at) == (AgentState.RINGING, h.now)


def test_an_unseen_end_never_moves_a_state_before_its_start_or_after_now(h: Harness) -> None:
    h.group(1)
    restore(h, 1, AgentState.ON_CALL, call_ended_at=h.now - 600)  # older than its state
    restore(h, 2, AgentState.ON_CALL, call_ended_at=h.now + 5)  # a clock ahead of ours
    out = h.send(AdoptionDone)
    at = {c.agent_id: c.at for c in of(out, AgentStateChanged)}
    assert at == {1: h.now - 60, 2: h.now}


def test_restored_wrapup_resumes_for_what_is_left(h: Harness) -> None:
    h.group(1)
    out = restore(h, 1, AgentState.WRAPUP, wrapup_of="c0", wrapup_until=h.now + 3)
    assert not of(out, AgentStateChanged)
    out = h.advance(3)
    change = one(out, AgentStateChanged)
    assert (change.new, change.wrapup_of) == (AgentState.AVAILABLE, "c0")


def test_late_hangup_is_recorded_at_its_real_time(h: Harness) -> None:
    h.group(1, wrapup_s=0)
    h.login(1)
    offer = one(h.enter("c1"), OriginateAgent).offer_id
    assert one(h.send(OfferAnswered, offer_id=offer), ConnectCall)
    talk_end = h.now + 5
    h.advance(20)  # the link was down: the hang-up is learnt 15 s late
    out = h.send(CallerHungUp, call_id="c1", at=talk_end)
    ended = one(out, CallEnded)
    assert ended.ended_at == talk_end and ended.at == talk_end
    assert one(out, HangupLeg).leg_id == offer
    assert h.state(1) is AgentState.AVAILABLE
    assert h.engine.agent(1).state_since == talk_end  # type: ignore[union-attr]


def test_late_hangup_is_never_recorded_before_the_call_was_known_alive(h: Harness) -> None:
    # the only bound known for a missed hang-up may be older than the call itself
    h.group(1, wrapup_s=0)
    h.login(1)
    h.advance(30)
    offer = one(h.enter("c1"), OriginateAgent).offer_id
    h.advance(2)
    answered_at = h.now
    one(h.send(OfferAnswered, offer_id=offer), ConnectCall)
    h.advance(10)
    ended = one(h.send(CallerHungUp, call_id="c1", at=answered_at - 25), CallEnded)
    assert ended.ended_at == answered_at
    assert ended.answered_at is not None and ended.ended_at >= ended.answered_at


def test_caller_who_retried_while_the_app_was_away_waits_from_its_first_try(h: Harness) -> None:
    h.group(1, max_wait_s=30)
    out = h.enter("c1", arrived_at=h.now - 12)
    assert one(out, CallStarted).at == h.now - 12
    assert one(out, CallQueued).at == h.now - 12
    out = h.advance(18.1)  # 30 s after the first try, not after entering the app
    assert one(out, CallEnded).outcome is CallOutcome.TIMED_OUT


def test_caller_back_from_an_earlier_try_takes_its_place_by_that_try(h: Harness) -> None:
    """Its StasisStart lost while the link was down (or the dialplan retried), a caller gets
    in after later callers did: it waits before them, as it came before them."""
    h.group(1)
    h.enter("first", arrived_at=h.now - 9)
    h.advance(1)
    h.enter("third")
    out = h.enter("second", arrived_at=h.now - 5)
    assert one(out, CallQueued).position == 2
    out = h.enter("fourth")
    assert one(out, CallQueued).position == 4
    offered = [one(h.login(agent), OriginateAgent).call_id for agent in (1, 2, 3, 4)]
    assert offered == ["first", "second", "third", "fourth"]


def test_lookup_beside_the_call_never_delays_the_offer(h: Harness) -> None:
    """The CRM lookup of the caller runs beside the call: the agent rings at once, the pop
    waits for the lookup and carries the client it found."""
    h.group(1)
    h.login(1)
    out = h.enter("c1", identified=False)
    offer = one(out, OriginateAgent).offer_id  # rung before the database answered
    assert not of(h.send(OfferRinging, offer_id=offer), ScreenPop)
    out = h.send(CallerIdentified, call_id="c1", client_id=42)
    assert one(out, ClientAttached).client_id == 42
    assert one(out, ScreenPop).client_id == 42


def test_sticky_group_waits_a_little_for_the_lookup(h: Harness) -> None:
    h.group(1, sticky_s=30)
    h.login(1)
    h.login(2)
    out = h.enter("c1", identified=False)
    assert not of(out, OriginateAgent)  # whom it sticks to is not known yet
    out = h.send(CallerIdentified, call_id="c1", client_id=7, preferred_agent_id=2)
    assert one(out, OriginateAgent).agent_id == 2
    h.enter("c2", identified=False)
    out = h.advance(0.5)  # the lookup never came: offered to anyone rather than wait longer
    assert one(out, OriginateAgent).agent_id == 1
