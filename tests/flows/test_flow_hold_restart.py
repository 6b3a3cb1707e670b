"""B11 across a restart: a caller on hold when the process goes is taken back by the next
one with its agent, still on hold, and resuming brings the two together again."""

from __future__ import annotations

import asyncio

from crm.hub import LocalHub
from crm.models import Call, CallOutcome
from stasis_app.runtime import AcdRuntime

from .conftest import Acd, make_agent, make_group


async def _until(check, what: str, timeout: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_held_call_stays_held_across_a_restart(acd: Acd) -> None:
    agent = await make_agent("patient")
    group = await make_group("heldover", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2251"))
    caller = await acd.tel.place_inbound(group.number, "0655550000")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    call_id = acd.engine.calls()[0].call_id
    await acd.service.hold(agent.id)
    await acd.settle()
    await asyncio.sleep(0.3)
    await acd.runtime.stop()  # the process goes; the call stays up in Asterisk

    second = AcdRuntime(acd.runtime.settings, LocalHub())
    try:
        await asyncio.wait_for(second.start(takeover=True), 15)
        assert second.service is not None and second.controller is not None
        view = second.service.call(call_id)
        assert view is not None and view.agent_id == agent.id
        assert view.state.value == "connected" and view.on_hold
        agent_view = second.service.agent(agent.id)
        assert agent_view is not None and agent_view.state.value == "on_call"
        await asyncio.sleep(0.4)
        await second.service.resume(agent.id)
        view = second.service.call(call_id)
        assert view is not None and not view.on_hold and view.hold_s >= 0.4
        await second.controller.idle()
        # caller and agent leg share the call's bridge again
        assert second.client is not None
        bridges = await second.client.bridges.list()
        assert any({call_id, agent_view.leg_id} <= set(b.channels) for b in bridges), bridges
        await acd.tel.caller_hangup(caller)
        await _until(lambda: not second.controller.engine.calls(), "the call to end")
        await second.controller.idle()
        assert second.journal is not None
        await second.journal.flush()
    finally:
        await second.stop()
    call = await Call.get(ref=call_id)
    assert call.outcome is CallOutcome.ANSWERED and call.agent_id == agent.id
    # the hold before the restart is lost (the record has no open hold period); the one
    # counted after it is in
    assert call.hold_s >= 0.4
    for _ in range(50):  # nothing of the call left in Asterisk (the queues stay)
        channels, bridges = await acd.tel.leftovers(("pw",))
        bridges = [b for b in bridges if not b.startswith("pwq-")]
        if not channels and not bridges:
            break
        await asyncio.sleep(0.1)
    assert (channels, bridges) == ([], [])
