"""C8 strategies: each one picks the right agent, with round-robin memory and penalty tiers."""

from __future__ import annotations

import random

from stasis_app.acd import (
    AgentLogout,
    AgentPause,
    AgentState,
    AgentUnpause,
    CallerHungUp,
    ConfigureGroup,
    GroupConfig,
    OriginateAgent,
    ResetDailyCounters,
    Strategy,
    UpdateAgentGroups,
)
from stasis_app.acd.index import AvailabilityIndex

from .conftest import Harness, of, one


def take(h: Harness, call_id: str, hold_s: float = 10) -> int:
    """One full call: enter, answer, talk ``hold_s``, caller hangs up. Returns the agent."""
    out = h.enter(call_id)
    agent_id = one(out, OriginateAgent).agent_id
    h.answer(out)
    h.advance(hold_s)
    h.send(CallerHungUp, call_id=call_id)
    h.advance(1)
    return agent_id


def test_longest_idle(h: Harness) -> None:
    h.group(1, strategy=Strategy.LONGEST_IDLE)
    for a in (3, 1, 2):  # login order = idle order
        h.login(a)
        h.advance(1)
    assert [take(h, f"c{n}") for n in range(4)] == [3, 1, 2, 3]


def test_longest_idle_counts_from_last_call_end_not_from_ring(h: Harness) -> None:
    h.group(1, strategy=Strategy.LONGEST_IDLE, ring_timeout_s=5, retry_s=1)
    h.login(1)
    h.advance(1)
    h.login(2)
    h.advance(1)
    out = h.enter("c1")
    assert one(out, OriginateAgent).agent_id == 1
    h.send(AgentPause, agent_id=1)  # withdrawn, agent 2 rings instead
    h.answer(h.log[-12:], agent_id=2)
    h.send(CallerHungUp, call_id="c1")
    h.send(AgentUnpause, agent_id=1)
    # agent 1 never took a call: it is still the longest idle
    assert one(h.enter("c2"), OriginateAgent).agent_id == 1


def test_fewest_calls(h: Harness) -> None:
    h.group(1, strategy=Strategy.FEWEST_CALLS)
    h.login(1)
    h.advance(1)
    h.login(2)
    assert take(h, "a") == 1  # tie on 0 calls: longest idle
    assert take(h, "b") == 2
    assert take(h, "c") == 1
    h.send(AgentPause, agent_id=1)
    assert take(h, "d") == 2
    assert take(h, "e") == 2
    h.send(AgentUnpause, agent_id=1)
    assert take(h, "f") == 1  # 2 calls vs 3
    h.send(ResetDailyCounters)
    assert h.engine.agent(2).calls_taken == 0  # type: ignore[union-attr]


def test_round_robin_memory_across_calls(h: Harness) -> None:
    h.group(1, strategy=Strategy.ROUND_ROBIN, member_order=(3, 1, 2))
    for a in (1, 2, 3):
        h.login(a)
    assert [take(h, f"c{n}") for n in range(5)] == [3, 1, 2, 3, 1]


def test_round_robin_skips_busy_and_wraps(h: Harness) -> None:
    h.group(1, strategy=Strategy.ROUND_ROBIN)
    for a in (1, 2, 3, 4):
        h.login(a)
    assert take(h, "a") == 1
    h.send(AgentPause, agent_id=2)
    assert take(h, "b") == 3
    assert take(h, "c") == 4
    assert take(h, "d") == 1  # wrap, 2 still paused
    # memory survives while the next agent is ringing for another call
    out = h.enter("e")
    assert one(out, OriginateAgent).agent_id == 3
    assert one(h.enter("f"), OriginateAgent).agent_id == 4


def test_linear_always_from_the_top(h: Harness) -> None:
    h.group(1, strategy=Strategy.LINEAR, member_order=(2, 1))
    h.login(1)
    h.advance(5)
    h.login(2)
    h.login(3)  # unlisted: after the listed ones
    assert [take(h, f"c{n}") for n in range(3)] == [2, 2, 2]
    out1 = h.enter("x")
    out2 = h.enter("y")
    out3 = h.enter("z")
    assert [one(o, OriginateAgent).agent_id for o in (out1, out2, out3)] == [2, 1, 3]


def test_penalty_tiers_then_longest_idle(h: Harness) -> None:
    h.group(1, strategy=Strategy.PENALTY)
    h.login(1, {1: 5})
    h.advance(1)
    h.login(2, {1: 0})
    h.advance(1)
    h.login(3, {1: 0})
    h.login(4, {1: 10})
    # tier 0 first (2 idle longer than 3), then tier 5, then tier 10
    outs = [h.enter(f"c{n}") for n in range(4)]
    assert [one(o, OriginateAgent).agent_id for o in outs] == [2, 3, 1, 4]


def test_penalty_change_reorders(h: Harness) -> None:
    h.group(1, strategy=Strategy.PENALTY)
    h.login(1, {1: 0})
    h.login(2, {1: 1})
    h.send(UpdateAgentGroups, agent_id=1, groups={1: 2})
    assert one(h.enter("c"), OriginateAgent).agent_id == 2


def test_random_is_seeded_and_spreads() -> None:
    def run(seed: int) -> list[int]:
        h = Harness(seed=seed)
        h.group(1, strategy=Strategy.RANDOM)
        for a in range(1, 6):
            h.login(a)
        return [take(h, f"c{n}") for n in range(30)]

    assert run(7) == run(7)
    picks = run(7)
    assert set(picks) == {1, 2, 3, 4, 5}
    assert run(7) != run(8)


def test_ringall_rings_every_available_agent_only(h: Harness) -> None:
    h.group(1, strategy=Strategy.RINGALL)
    for a in (1, 2, 3, 4):
        h.login(a)
    h.send(AgentPause, agent_id=3)
    out = h.enter("c1")
    assert sorted(o.agent_id for o in of(out, OriginateAgent)) == [1, 2, 4]
    assert not of(h.enter("c2"), OriginateAgent)  # everybody is ringing for c1


def test_strategy_change_rebuilds_index(h: Harness) -> None:
    h.group(1, strategy=Strategy.LONGEST_IDLE)
    h.login(1)
    h.advance(1)
    h.login(2)
    h.send(
        ConfigureGroup,
        config=GroupConfig(id=1, name="g1", strategy=Strategy.LINEAR, member_order=(2, 1)),
    )
    assert one(h.enter("c"), OriginateAgent).agent_id == 2


def test_never_offers_to_busy_states(h: Harness) -> None:
    h.group(1, strategy=Strategy.RINGALL, wrapup_s=30)
    h.login(1)  # will be on a call
    h.login(2)  # will be in wrap-up
    h.login(3, initial_state=AgentState.PAUSED)
    h.login(4)
    h.send(AgentLogout, agent_id=4)
    out = h.enter("a")
    h.answer(out, agent_id=1)
    out = h.enter("b")
    h.answer(out, agent_id=2)
    h.send(CallerHungUp, call_id="b")
    assert h.state(2) is AgentState.WRAPUP
    assert not of(h.enter("c"), OriginateAgent)


def test_agent_in_two_groups_serves_the_oldest_waiting_call(h: Harness) -> None:
    h.group(1)
    h.group(2)
    h.login(1, {1: 0, 2: 0}, initial_state=AgentState.PAUSED)
    h.enter("early", group=2)
    h.advance(5)
    h.enter("late", group=1)
    out = h.send(AgentUnpause, agent_id=1)
    assert [o.call_id for o in of(out, OriginateAgent)] == ["early"]


def test_index_unit() -> None:
    idx = AvailabilityIndex()
    idx.add(5, (3.0,))
    idx.add(2, (1.0,))
    idx.add(9, (2.0,))
    assert list(idx.agents()) == [2, 9, 5]
    assert idx.first(set()) == 2 and idx.first({2}) == 9
    assert idx.first_after(idx.key_of(9), set()) == 5
    assert idx.first_after(idx.key_of(5), set()) == 2  # wraps
    assert idx.first_after(idx.key_of(5), {2, 9}) == 5
    assert idx.first({2, 5, 9}) is None
    idx.add(2, (9.0,))  # re-add moves it
    assert list(idx.agents()) == [9, 5, 2]
    idx.remove(9)
    idx.remove(9)
    assert list(idx.agents()) == [5, 2] and len(idx) == 2 and 9 not in idx
    assert idx.pick_random(random.Random(1), {5}) == 2
    assert idx.all({5}) == [2]
