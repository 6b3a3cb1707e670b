"""C7 agent states: login, logout/pause (immediate or deferred), configuration refusals."""

from __future__ import annotations

from stasis_app.acd import (
    AgentChangeDeferred,
    AgentLogin,
    AgentLogout,
    AgentPause,
    AgentState,
    AgentStateChanged,
    AgentUnpause,
    CallEnded,
    CallerHungUp,
    CallOutcome,
    CallOverflowed,
    CallState,
    CancelOffer,
    ConfigureGroup,
    GroupConfig,
    OfferAnswered,
    OfferEnded,
    OfferResult,
    OriginateAgent,
    OverflowKind,
    OverflowTrigger,
    QueueChanged,
    Refused,
    RemoveGroup,
    ReturnToDialplan,
    StartTimer,
    SupervisorForceLogout,
    SupervisorForcePause,
    UpdateAgentGroups,
)

from .conftest import Harness, of, one


def test_login_refusals(h: Harness) -> None:
    h.group(1)
    assert one(h.login(1, {7: 0}), Refused).code == "unknown_group"
    assert h.engine.agent(1) is None
    h.login(1)
    assert one(h.login(1), Refused).code == "already_logged_in"
    out = h.send(AgentLogin, agent_id=2, extension="", groups={1: 0})
    assert one(out, Refused).code == "no_extension"
    out = h.login(3, initial_state=AgentState.ON_CALL)
    assert one(out, Refused).code == "bad_state"
    for cls in (AgentLogout, AgentUnpause):
        assert one(h.send(cls, agent_id=99), Refused).code == "agent_not_logged_in"
    assert one(h.send(AgentUnpause, agent_id=1), Refused).code == "not_paused"


def test_state_changes_are_timestamped_with_old_and_new(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.advance(3)
    ev = one(h.send(AgentPause, agent_id=1, reason="break"), AgentStateChanged)
    assert (ev.old, ev.new, ev.reason, ev.at) == (
        AgentState.AVAILABLE,
        AgentState.PAUSED,
        "break",
        1003,
    )


def test_logout_while_ringing_withdraws_offer_to_next_agent(h: Harness) -> None:
    h.group(1, autopause_after=1)
    h.login(1)
    h.advance(1)
    h.login(2)
    out = h.enter("c1")
    offer = one(out, OriginateAgent)
    assert offer.agent_id == 1
    out = h.send(AgentLogout, agent_id=1)
    assert one(out, CancelOffer).offer_id == offer.offer_id
    assert one(out, OfferEnded).result is OfferResult.CANCELLED
    assert one(out, OriginateAgent).agent_id == 2
    assert h.state(1) is AgentState.LOGGED_OUT  # not auto-paused: not a miss


def test_logout_on_call_is_deferred_and_skips_wrapup(h: Harness) -> None:
    h.group(1, wrapup_s=30)
    h.login(1)
    h.answer(h.enter("c1"))
    out = h.send(AgentLogout, agent_id=1)
    assert one(out, AgentChangeDeferred).pending is AgentState.LOGGED_OUT
    assert h.state(1) is AgentState.ON_CALL
    h.enter("c2")
    out = h.send(CallerHungUp, call_id="c1")
    assert h.state(1) is AgentState.LOGGED_OUT
    assert not of(out, OriginateAgent)
    assert h.engine.queue(1) == ["c2"]


def test_pause_on_call_applies_after_wrapup(h: Harness) -> None:
    h.group(1, wrapup_s=10)
    h.login(1)
    h.answer(h.enter("c1"))
    out = h.send(AgentPause, agent_id=1, reason="meeting")
    assert one(out, AgentChangeDeferred).pending is AgentState.PAUSED
    h.send(CallerHungUp, call_id="c1")
    assert h.state(1) is AgentState.WRAPUP
    h.advance(10)
    assert h.state(1) is AgentState.PAUSED
    assert h.engine.agent(1).reason == "meeting"  # type: ignore[union-attr]


def test_unpause_cancels_deferred_pause(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.answer(h.enter("c1"))
    h.send(AgentPause, agent_id=1, reason="meeting")
    assert h.send(AgentUnpause, agent_id=1) == []
    h.send(CallerHungUp, call_id="c1")
    assert h.state(1) is AgentState.AVAILABLE


def test_pause_in_wrapup_ends_wrapup(h: Harness) -> None:
    h.group(1, wrapup_s=60)
    h.login(1)
    h.answer(h.enter("c1"))
    h.send(CallerHungUp, call_id="c1")
    h.send(AgentPause, agent_id=1, reason="x")
    assert h.state(1) is AgentState.PAUSED
    # the wrap-up timer was cancelled: only the queue's last snapshot (rate-limited) follows
    assert [type(o) for o in h.advance(100)] == [QueueChanged, StartTimer]


def test_supervisor_force_pause_and_logout(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.login(2)
    h.send(SupervisorForcePause, agent_id=1, supervisor_id=9, reason="coaching")
    assert h.engine.agent(1).reason == "coaching"  # type: ignore[union-attr]
    out = h.send(SupervisorForceLogout, agent_id=2, supervisor_id=9)
    ev = one(out, AgentStateChanged)
    assert ev.new is AgentState.LOGGED_OUT and "supervisor 9" in ev.reason
    h.login(1 + 2)
    h.answer(h.enter("c1"))
    out = h.send(SupervisorForceLogout, agent_id=3, supervisor_id=9)
    assert one(out, AgentChangeDeferred).supervisor_id == 9


def test_relogin_keeps_daily_counter(h: Harness) -> None:
    h.group(1)
    h.login(1)
    h.answer(h.enter("c1"))
    h.send(CallerHungUp, call_id="c1")
    h.send(AgentLogout, agent_id=1)
    h.login(1)
    assert h.engine.agent(1).calls_taken == 1  # type: ignore[union-attr]


def test_update_groups_moves_availability(h: Harness) -> None:
    h.group(1)
    h.group(2)
    h.login(1)
    h.enter("c2", group=2)  # nobody in group 2 yet
    out = h.send(UpdateAgentGroups, agent_id=1, groups={2: 0})
    assert one(out, OriginateAgent).call_id == "c2"
    assert 1 not in h.engine._groups[1].members  # type: ignore[attr-defined]


def test_group_configuration_refusals_and_remove(h: Harness) -> None:
    out = h.send(ConfigureGroup, config=GroupConfig(id=1, name="", ring_timeout_s=0))
    assert one(out, Refused).code == "bad_config"
    bad_overflow = GroupConfig(id=1, name="a", overflow_kind=OverflowKind.NUMBER)
    assert one(h.send(ConfigureGroup, config=bad_overflow), Refused).code == "bad_config"
    h.group(1, name="sales", number="200")
    dup = GroupConfig(id=2, name="Sales")
    assert "used by group 1" in one(h.send(ConfigureGroup, config=dup), Refused).message
    h.group(1, name="sales2", number="201")  # rename frees the old alias
    h.group(2, name="sales", number="200")
    h.login(1, {1: 0, 2: 0}, initial_state=AgentState.PAUSED)
    h.enter("c1", group="sales2")
    assert h.send(RemoveGroup, group_id=2) == []
    assert h.engine.agent(1).groups == ((1, 0),)  # type: ignore[union-attr]
    assert one(h.enter("c2", group="sales"), Refused).code == "unknown_group"
    # a group with a waiting caller closes at once: the caller leaves through its overflow
    # (none here: back to the dialplan), and the group takes no new call
    out = h.send(RemoveGroup, group_id=1)
    assert one(out, CallOverflowed).trigger is OverflowTrigger.GROUP_CLOSED
    assert one(out, ReturnToDialplan) == ReturnToDialplan(call_id="c1", reason="group_closed")
    assert h.engine.group_ids() == [] and h.engine.agent(1).groups == ()  # type: ignore[union-attr]
    assert one(h.enter("c3", group="sales2"), Refused).code == "unknown_group"


def test_closing_a_group_lets_its_conversations_end(h: Harness) -> None:
    h.group(1, wrapup_s=0)
    h.login(1)
    offer = one(h.enter("c1"), OriginateAgent).offer_id
    h.send(OfferAnswered, offer_id=offer)
    h.enter("c2")  # waiting behind
    out = h.send(RemoveGroup, group_id=1)
    assert one(out, CallOverflowed).call_id == "c2"
    assert h.engine.call("c1").state is CallState.CONNECTED  # type: ignore[union-attr]
    assert h.engine.group_ids() == [1]  # kept while its conversation lasts
    out = h.send(CallerHungUp, call_id="c1")
    assert one(out, CallEnded).outcome is CallOutcome.ANSWERED
    assert h.engine.group_ids() == []


def test_wrapup_extend_moves_the_end_of_the_wrapup(h: Harness) -> None:
    from stasis_app.acd.inputs import AgentWrapupExtend

    h.group(1, wrapup_s=5)
    h.login(1)
    h.answer(h.enter("c1"))
    h.send(CallerHungUp, call_id="c1")
    h.advance(4)
    out = h.send(AgentWrapupExtend, agent_id=1, seconds=30)
    assert of(out, AgentStateChanged) == []  # still the same wrap-up
    h.enter("c2")  # a caller waits meanwhile: the agent is not offered it
    h.advance(29)
    assert h.state(1) is AgentState.WRAPUP
    assert h.engine.queue(1) == ["c2"]
    out = h.advance(1)
    assert h.state(1) is AgentState.RINGING
    assert one(out, OriginateAgent).agent_id == 1


def test_wrapup_extend_refusals_and_done_after_extend(h: Harness) -> None:
    from stasis_app.acd.inputs import AgentWrapupDone, AgentWrapupExtend

    h.group(1, wrapup_s=10)
    assert one(h.send(AgentWrapupExtend, agent_id=1, seconds=5), Refused).code == (
        "agent_not_logged_in")
    h.login(1)
    assert one(h.send(AgentWrapupExtend, agent_id=1, seconds=5), Refused).code == (
        "not_in_wrapup")
    h.answer(h.enter("c1"))
    h.send(CallerHungUp, call_id="c1")
    assert one(h.send(AgentWrapupExtend, agent_id=1, seconds=0), Refused).code == (
        "bad_duration")
    h.send(AgentWrapupExtend, agent_id=1, seconds=60)
    h.send(AgentWrapupExtend, agent_id=1, seconds=90)  # the later request wins
    h.advance(61)
    assert h.state(1) is AgentState.WRAPUP
    # Finishing cancels the extended timer: nothing fires later.
    h.send(AgentWrapupDone, agent_id=1)
    assert h.state(1) is AgentState.AVAILABLE
    assert h.advance(100) == []
