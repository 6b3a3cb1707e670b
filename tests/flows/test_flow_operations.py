"""Operations on a running ACD: live configuration, and callers it does not take are handed
back to the dialplan, never left in Stasis (C8, C9, B12)."""

from __future__ import annotations

from crm import groups as crm_groups
from crm.models import Call, CallOutcome, Group, Role, User

from .conftest import Acd, make_agent, make_group
from .test_flow_inbound import assert_nothing_left


async def _admin() -> User:
    return await User.create(login="boss", name="Boss", password_hash="-", role=Role.ADMIN)


async def test_a_group_created_while_running_takes_calls_at_once(acd: Acd) -> None:
    agent = await make_agent("newbie")
    admin = await _admin()
    group = await crm_groups.create_group(
        crm_groups.NewGroup(name="Fresh", number="1777", ring_timeout_s=5,
                            members=[crm_groups.Member(user_id=agent.id)]),
        actor=admin)
    # no restart, no reload called by the test: the running ACD sees the change itself
    await acd.until(lambda: group.id in acd.engine.group_ids(), timeout=5, what="group loaded")
    await acd.service.login(agent.id, acd.tel.extension("2301"))
    caller = await acd.tel.place_inbound("1777", "0612121212")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    assert (await Call.get(group_id=group.id)).outcome is CallOutcome.ANSWERED


async def test_deactivated_group_sends_its_waiting_callers_to_the_dialplan(acd: Acd) -> None:
    agent = await make_agent("away")
    admin = await _admin()
    group = await make_group("Closing", [agent], overflow_kind="none")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2302"), paused=True, reason="lunch")
    await acd.tel.place_inbound(group.number, "0613131313")
    await acd.until(lambda: acd.engine.queue(group.id), what="caller waiting")
    await crm_groups.update_group(group.id, crm_groups.GroupPatch(active=False), actor=admin)
    await acd.until(lambda: not acd.engine.queue(group.id), timeout=5, what="queue emptied")
    await acd.until(lambda: acd.events_of("call.ended"), what="call ended")
    assert acd.service.agent(agent.id).groups == ()  # type: ignore[union-attr]
    call = await Call.get(group_id=group.id)
    await acd.settle()
    await call.refresh_from_db()
    assert call.outcome is CallOutcome.REJECTED and call.ended_at is not None
    assert not await Group.filter(id=group.id, active=True).exists()


async def test_a_call_to_an_unknown_group_goes_back_to_the_dialplan(acd: Acd) -> None:
    await acd.tel.place_inbound("1999", "0614141414")  # no such group
    # The sample dialplan answers it in [refused] and hangs up: nothing stays in Stasis.
    await acd.until(lambda: not acd.runtime.registry.live_channel_ids(), what="handed back")
    await assert_nothing_left(acd)
