"""Issue 12: an available agent whose phone is busy elsewhere or unreachable is offered
nothing; it is offered again as soon as the phone is free; our own calls' phone states
change nothing."""

from __future__ import annotations

from stasis_app.acd import (
    AgentLegEnded,
    AgentLogout,
    AgentState,
    CallerHungUp,
    OfferFailed,
    OriginateAgent,
    Output,
    PhoneState,
    PhoneStateChanged,
    Refused,
    Target,
    TransferBlind,
)
from stasis_app.acd.model import FailReason
from stasis_app.acd.outputs import UnwatchPhone, WatchPhone

from .conftest import Harness, of, one


def phone(h: Harness, agent_id: int, device: PhoneState | None = None,
          online: bool | None = None) -> list[Output]:
    return list(h.send(PhoneStateChanged, extension=str(2000 + agent_id), device=device,
                       online=online))


def test_login_watches_the_phone_and_logout_unwatches_it(h: Harness) -> None:
    h.group(1)
    assert one(h.login(1), WatchPhone).extension == "2001"
    assert one(h.send(AgentLogout, agent_id=1), UnwatchPhone).extension == "2001"
    view = h.engine.agent(1)
    assert view is not None and view.phone_state is PhoneState.UNKNOWN


def test_busy_phone_is_skipped(h: Harness) -> None:
    h.group(1)  # longest idle: agent 1 would be first
    h.login(1)
    h.advance(1)
    h.login(2)
    phone(h, 1, PhoneState.IN_USE)
    view = h.engine.agent(1)
    assert view is not None and view.phone_state is PhoneState.IN_USE
    assert view.state is AgentState.AVAILABLE  # still available: only not offered
    assert one(h.enter("c1"), OriginateAgent).agent_id == 2
    # a phone rung by someone else is no more offerable than one in use
    phone(h, 1, PhoneState.RINGING)
    assert of(h.enter("c2"), OriginateAgent) == []
    assert h.engine.queue(1) == ["c1", "c2"]  # c1 offered to agent 2, still queued


def test_offered_at_once_when_the_phone_is_idle_again(h: Harness) -> None:
    h.group(1)
    h.login(1)
    phone(h, 1, PhoneState.IN_USE)
    assert of(h.enter("c1"), OriginateAgent) == []
    h.advance(5)
    out = phone(h, 1, PhoneState.IDLE)
    offer = one(out, OriginateAgent)
    assert (offer.agent_id, offer.call_id) == (1, "c1")


def test_own_call_states_are_ignored(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.login(2)
    offer = one(h.enter("c1"), OriginateAgent)
    agent = offer.agent_id
    # our own offer rings the phone, our own call keeps it in use: nothing changes for it
    assert of(phone(h, agent, PhoneState.RINGING), Refused) == []
    h.answer([offer])
    phone(h, agent, PhoneState.IN_USE)
    assert h.state(agent) is AgentState.ON_CALL
    # the call ends: the phone is reported free and the agent takes the next caller
    h.send(AgentLegEnded, offer_id=offer.offer_id)
    phone(h, agent, PhoneState.IDLE)
    other = 3 - agent
    phone(h, other, PhoneState.IN_USE)
    assert one(h.enter("c2"), OriginateAgent).agent_id == agent
    # a declined offer of ours: ringing then idle, offered again like before
    h.send(CallerHungUp, call_id="c2")
    view = h.engine.agent(agent)
    assert view is not None and view.state is AgentState.AVAILABLE


def test_own_offer_failing_busy_leaves_the_agent_free_once_the_phone_is(h: Harness) -> None:
    h.group(1, retry_s=0)
    h.login(1)
    offer = one(h.enter("c1"), OriginateAgent)
    phone(h, 1, PhoneState.RINGING)  # our own ring: the agent is ringing, nothing read
    assert h.state(1) is AgentState.RINGING
    out = h.send(OfferFailed, offer_id=offer.offer_id, reason=FailReason.FAILED)
    assert of(out, OriginateAgent) == []  # the phone still says ringing (ours, not over yet)
    again = one(phone(h, 1, PhoneState.IDLE), OriginateAgent)
    assert again.call_id == "c1"


def test_unavailable_endpoint_is_skipped(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.login(2)
    phone(h, 1, online=False)
    view = h.engine.agent(1)
    assert view is not None and view.phone_state is PhoneState.UNAVAILABLE
    assert one(h.enter("c1"), OriginateAgent).agent_id == 2
    phone(h, 1, PhoneState.UNAVAILABLE, online=True)  # device state says so as well
    assert of(h.enter("c2"), OriginateAgent) == []
    out = phone(h, 1, PhoneState.IDLE)  # registered again
    assert one(out, OriginateAgent).call_id == "c2"


def test_transfer_to_an_agent_whose_phone_is_busy_is_refused(h: Harness) -> None:
    h.group(1)
    h.login(1)
    offer = one(h.enter("c1"), OriginateAgent)
    h.answer([offer])
    h.login(2)
    phone(h, 2, PhoneState.IN_USE)
    out = h.send(TransferBlind, call_id="c1", by_agent_id=1, target=Target.agent(2))
    assert one(out, Refused).code == "target_unavailable"
