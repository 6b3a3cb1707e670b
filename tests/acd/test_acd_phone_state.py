"""Phone state (issue 12): Asterisk's word on an agent's phone keeps unreachable and busy
phones out of distribution; a busy answer is not re-rung for the same caller within the
group's retry_s."""

from __future__ import annotations

from stasis_app.acd import (
    AgentPhoneChanged,
    AgentState,
    CallerHungUp,
    OfferEnded,
    OfferFailed,
    OfferResult,
    OriginateAgent,
    Output,
    PhoneState,
    PhoneStateChanged,
)
from stasis_app.acd.model import AUTO_PAUSE_REASON, FailReason

from .conftest import Harness, of, one


def phone(h: Harness, agent_id: int, state: PhoneState) -> list[Output]:
    return h.send(PhoneStateChanged, extension=str(2000 + agent_id), state=state)


def test_unreachable_phone_is_skipped_then_offered_when_back(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.advance(1)
    h.login(2)
    out = phone(h, 1, PhoneState.UNREACHABLE)
    changed = one(out, AgentPhoneChanged)
    assert (changed.agent_id, changed.phone, changed.offered) == (1, PhoneState.UNREACHABLE,
                                                                  False)
    assert h.state(1) is AgentState.AVAILABLE  # still available: only its phone is away
    out2 = h.enter("c1")
    assert one(out2, OriginateAgent).agent_id == 2  # agent 1 is longest idle, but unreachable
    out3 = h.enter("c2")
    assert not of(out3, OriginateAgent)  # nobody else: the caller waits
    out4 = h.send(PhoneStateChanged, extension="2001", state=PhoneState.IDLE)
    assert one(out4, AgentPhoneChanged).offered
    assert one(out4, OriginateAgent).agent_id == 1


def test_unknown_counts_as_reachable_but_does_not_hide_unreachable(h: Harness) -> None:
    h.group(1)
    phone(h, 1, PhoneState.UNKNOWN)
    h.login(1)
    assert h.engine.agent(1).phone is PhoneState.UNKNOWN
    out = h.enter("c1")
    offer = one(out, OriginateAgent)
    # the originate finds the endpoint unreachable: no miss, no loop
    out = h.send(OfferFailed, offer_id=offer.offer_id, reason=FailReason.UNREACHABLE)
    assert one(out, OfferEnded).result is OfferResult.FAILED
    assert one(out, AgentPhoneChanged).phone is PhoneState.UNREACHABLE
    assert not of(out, OriginateAgent)
    assert h.state(1) is AgentState.AVAILABLE
    assert h.engine.agent(1).missed == 0
    out = h.advance(30)  # the retry timer: still not rung, its phone is unreachable
    assert not of(out, OriginateAgent)
    out = phone(h, 1, PhoneState.UNKNOWN)  # a re-read saying less than the failed ring
    assert not of(out, AgentPhoneChanged) and not of(out, OriginateAgent)
    out = phone(h, 1, PhoneState.IDLE)  # registered again
    assert one(out, OriginateAgent).agent_id == 1


def test_unreachable_failures_never_auto_pause(h: Harness) -> None:
    h.group(1, autopause_after=1)
    h.login(1)
    offer = one(h.enter("c1"), OriginateAgent)
    h.send(OfferFailed, offer_id=offer.offer_id, reason=FailReason.UNREACHABLE)
    assert h.state(1) is AgentState.AVAILABLE
    assert h.engine.agent(1).reason != AUTO_PAUSE_REASON


def test_phone_busy_outside_the_app_is_skipped_then_offered_when_free(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.advance(1)
    h.login(2)
    phone(h, 1, PhoneState.IN_USE)  # a direct call, not through the app
    assert one(h.enter("c1"), OriginateAgent).agent_id == 2
    out = h.enter("c2")
    assert not of(out, OriginateAgent)
    out = phone(h, 1, PhoneState.IDLE)
    assert one(out, OriginateAgent).agent_id == 1


def test_phone_in_use_during_own_call_changes_nothing_and_frees_after(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.answer(h.enter("c1"))
    out = phone(h, 1, PhoneState.IN_USE)  # the app's own call
    assert one(out, AgentPhoneChanged).phone is PhoneState.IN_USE
    h.enter("c2")
    out = h.send(CallerHungUp, call_id="c1")
    # available again, but Asterisk still says in use: rung once the phone is free
    assert h.state(1) is AgentState.AVAILABLE and not of(out, OriginateAgent)
    out = phone(h, 1, PhoneState.IDLE)
    assert one(out, OriginateAgent).agent_id == 1


def test_phone_state_known_before_login_applies_at_login(h: Harness) -> None:
    h.group(1)
    phone(h, 1, PhoneState.UNREACHABLE)
    h.login(1)
    assert h.engine.agent(1).phone is PhoneState.UNREACHABLE
    assert not of(h.enter("c1"), OriginateAgent)
    out = phone(h, 1, PhoneState.IDLE)
    assert one(out, OriginateAgent).agent_id == 1


def test_busy_answer_is_not_rerung_for_same_caller_within_retry(h: Harness) -> None:
    h.group(1, retry_s=30, ring_timeout_s=10)
    h.login(1)
    h.advance(1)
    h.login(2)
    offer = one(h.enter("c1"), OriginateAgent)
    assert offer.agent_id == 1
    out = h.send(OfferFailed, offer_id=offer.offer_id, reason=FailReason.BUSY)
    assert one(out, OfferEnded).result is OfferResult.BUSY
    second = one(out, OriginateAgent)
    assert second.agent_id == 2  # another agent first
    out = h.advance(10)  # agent 2 does not answer: agent 1 stays out for 30 s after 486
    assert [o.agent_id for o in of(out, OriginateAgent)] == []
    out = h.advance(19.5)
    assert not of(out, OriginateAgent)
    out = h.advance(11)  # the retry rule is over: the agents that missed it ring again
    assert of(out, OriginateAgent)


def test_busy_answer_outlasts_a_requeue_at_the_head(h: Harness) -> None:
    h.group(1, retry_s=30)
    h.login(1)
    offer = one(h.enter("c1"), OriginateAgent)
    h.send(OfferFailed, offer_id=offer.offer_id, reason=FailReason.BUSY)
    e = h.engine._calls["c1"]
    e.declined.clear()  # a requeue at the head forgets who missed it, not who was busy
    h.engine._dirty.add(1)
    out = h.advance(20)
    assert not of(out, OriginateAgent)
    out = h.advance(11)
    assert one(out, OriginateAgent).agent_id == 1


def test_transfer_to_an_agent_whose_phone_is_away_is_refused(h: Harness) -> None:
    from stasis_app.acd import Refused, Target, TransferBlind

    h.group(1)
    h.login(1)
    h.answer(h.enter("c1"))
    h.login(2)
    phone(h, 2, PhoneState.UNREACHABLE)
    out = h.send(TransferBlind, call_id="c1", target=Target.agent(2), by_agent_id=1)
    refused = one(out, Refused)
    assert refused.code == "target_unavailable" and "unreachable" in refused.message
    assert not of(out, OriginateAgent)
