"""While the ARI link is down nothing is offered: a ring could not reach the agent's phone,
and each failed ring was a miss the agent never had, with the call offered again at once."""

from __future__ import annotations

from stasis_app.acd import AgentState, CallQueued, OriginateAgent
from stasis_app.acd.inputs import LinkChanged

from .conftest import Harness, of, one


def test_nothing_is_offered_while_the_link_is_down_then_in_order_when_back(h: Harness) -> None:
    h.group(1, wrapup_s=30)
    h.login(1)
    h.login(2)
    assert h.send(LinkChanged, up=False) == []
    out = h.enter("c1") + h.enter("c2")
    assert not of(out, OriginateAgent)  # the callers still wait, on the queue's music
    assert [q.position for q in of(out, CallQueued)] == [1, 2]
    assert not of(h.advance(60), OriginateAgent)  # timers meanwhile offer nothing either
    assert h.state(1) is AgentState.AVAILABLE and h.state(2) is AgentState.AVAILABLE
    out = h.send(LinkChanged, up=True)
    assert sorted((o.call_id, o.agent_id) for o in of(out, OriginateAgent)) == [
        ("c1", 1), ("c2", 2)]
    assert h.send(LinkChanged, up=True) == []  # told twice: nothing more


def test_an_agent_freed_while_the_link_is_down_is_offered_once_it_is_back(h: Harness) -> None:
    h.group(1, wrapup_s=0)
    h.login(1)
    h.enter("c1")
    h.send(LinkChanged, up=False)
    h.login(2)  # logged in from the web meanwhile
    assert not of(h.enter("c2"), OriginateAgent)
    assert one(h.send(LinkChanged, up=True), OriginateAgent).agent_id == 2
