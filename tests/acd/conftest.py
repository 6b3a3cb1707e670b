"""Test harness for the pure ACD engine: a fake clock, a timer wheel that honours the
engine's StartTimer/CancelTimer commands, and an invariant check run after every input."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from stasis_app.acd import (
    AgentLogin,
    AgentState,
    CallEntered,
    CallState,
    CancelTimer,
    ConfigureGroup,
    Engine,
    EngineSettings,
    GroupConfig,
    Input,
    OfferAnswered,
    OriginateAgent,
    Output,
    StartTimer,
    TimerFired,
)
from stasis_app.acd.model import LegPurpose

T = TypeVar("T")


def of(outs: list[Output], cls: type[T]) -> list[T]:
    return [o for o in outs if isinstance(o, cls)]


def one(outs: list[Output], cls: type[T]) -> T:
    found = of(outs, cls)
    assert len(found) == 1, f"expected one {cls.__name__}, got {found}"
    return found[0]


def check_invariants(engine: Engine) -> None:
    """Structural invariants that must hold after every input, whatever happened."""
    e: Any = engine
    legs_by_agent: dict[int, list[str]] = {}
    for leg_id, leg in e._legs.items():
        assert leg.leg_id == leg_id
        call = e._calls.get(leg.call_id)
        assert call is not None, f"leg {leg_id} of a finished call"
        assert leg_id in call.legs
        if leg_id == call.consult_phone:
            # the second call of a phone whose agent consults (phone transfer key)
            assert leg.agent_id == call.agent_id and call.state is CallState.CONSULTING
            continue
        if leg.agent_id is not None:
            legs_by_agent.setdefault(leg.agent_id, []).append(leg_id)
    for agent_id, legs in legs_by_agent.items():
        assert len(legs) == 1, f"agent {agent_id} has several legs {legs}"
    for agent_id, agent in e._agents.items():
        legs = legs_by_agent.get(agent_id, [])
        if agent.restoring:  # back from the records, its call not adopted yet
            assert not legs and agent.state in (AgentState.RINGING, AgentState.ON_CALL)
        elif agent.state in (AgentState.RINGING, AgentState.ON_CALL):
            assert legs == [agent.leg_id], (agent, legs)
            leg = e._legs[agent.leg_id]
            assert leg.answered == (agent.state is AgentState.ON_CALL), (agent, leg)
        else:
            assert not legs and agent.leg_id is None, (agent, legs)
        for gid in agent.groups:
            group = e._groups[gid]
            logged_in = agent.state is not AgentState.LOGGED_OUT
            assert (agent_id in group.members) == logged_in
            assert (agent_id in group.index) == (
                agent.state is AgentState.AVAILABLE and agent.phone_free)
        if agent.state is AgentState.WRAPUP:
            assert agent.wrapup_timer in e._timers
    seen: set[str] = set()
    for gid, group in e._groups.items():
        assert len(group.index) == len(list(group.index.agents()))
        for agent_id in group.index.agents():
            assert e._agents[agent_id].state is AgentState.AVAILABLE
            assert gid in e._agents[agent_id].groups
        sticky = 0
        for call_id in group.queue:
            assert call_id not in seen, f"{call_id} queued twice"
            seen.add(call_id)
            call = e._calls[call_id]
            assert call.in_queue and call.group_id == gid
            assert call.state in (CallState.QUEUED, CallState.OFFERING)
            sticky += call.sticky_until is not None
        assert sticky == group.sticky_calls
    for call_id, call in e._calls.items():
        assert call.in_queue == (call_id in seen)
        ringing = [
            e._legs[leg_id]
            for leg_id in call.legs
            if e._legs[leg_id].agent_id is not None and not e._legs[leg_id].answered
        ]
        if call.state is CallState.OFFERING:
            assert ringing and all(leg.purpose is LegPurpose.QUEUE for leg in ringing)
        if call.state is CallState.QUEUED:
            assert not ringing and not [i for i in call.legs if e._legs[i].agent_id]
        if call.state is CallState.CONNECTED and call.agent_leg is not None:
            agent = e._agents[call.agent_id]
            assert agent.state is AgentState.ON_CALL and agent.call_id == call_id
    for _timer_id, (kind, ref) in e._timers.items():
        if kind.value in ("ring_timeout", "outbound_timeout"):
            assert ref in e._legs, f"timer for dead leg {ref}"
        elif kind.value in ("max_wait", "sticky", "retry", "identify"):
            assert ref in e._calls, f"timer for dead call {ref}"


class Harness:
    """Drives an Engine with a fake clock and fires the timers it asks for."""

    def __init__(self, seed: int = 0, settings: EngineSettings | None = None) -> None:
        self.engine = Engine(rng=random.Random(seed), settings=settings)
        self.now = 1000.0
        self.timers: dict[str, float] = {}
        self.log: list[Output] = []

    def send(self, cls: Callable[..., Input], **fields: Any) -> list[Output]:
        out = self.engine.handle(cls(now=self.now, **fields))
        for o in out:
            if isinstance(o, StartTimer):
                self.timers[o.timer_id] = self.now + o.delay_s
            elif isinstance(o, CancelTimer):
                assert o.timer_id in self.timers, f"cancel of unknown timer {o.timer_id}"
                del self.timers[o.timer_id]
        self.log.extend(out)
        check_invariants(self.engine)
        return out

    def advance(self, seconds: float) -> list[Output]:
        """Move the clock, firing due timers in time order; returns all their outputs."""
        end = self.now + seconds
        out: list[Output] = []
        while True:
            due = [(t, tid) for tid, t in self.timers.items() if t <= end]
            if not due:
                break
            t, tid = min(due)
            del self.timers[tid]
            self.now = max(self.now, t)
            out += self.send(TimerFired, timer_id=tid)
        self.now = end
        return out

    # -- shortcuts ----------------------------------------------------------------------

    def group(self, gid: int = 1, **cfg: Any) -> list[Output]:
        cfg.setdefault("name", f"g{gid}")
        cfg.setdefault("number", str(100 + gid))
        return self.send(ConfigureGroup, config=GroupConfig(id=gid, **cfg))

    def login(self, agent_id: int, groups: dict[int, int] | None = None, **kw: Any) -> list[Output]:
        return self.send(
            AgentLogin,
            agent_id=agent_id,
            extension=str(2000 + agent_id),
            groups=groups if groups is not None else {1: 0},
            **kw,
        )

    def enter(self, call_id: str, group: int | str = 1, **kw: Any) -> list[Output]:
        kw.setdefault("caller_number", "0600000001")
        return self.send(CallEntered, call_id=call_id, group=group, **kw)

    def answer(self, out: list[Output], agent_id: int | None = None) -> list[Output]:
        """Answer the (only / given agent's) OriginateAgent found in ``out``."""
        origs = of(out, OriginateAgent)
        if agent_id is not None:
            origs = [o for o in origs if o.agent_id == agent_id]
        assert len(origs) == 1, origs
        return self.send(OfferAnswered, offer_id=origs[0].offer_id)

    def state(self, agent_id: int) -> AgentState:
        view = self.engine.agent(agent_id)
        assert view is not None
        return view.state


@pytest.fixture
def h() -> Harness:
    return Harness()
