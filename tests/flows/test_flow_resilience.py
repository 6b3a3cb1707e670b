"""C9 / R-reconnect / R-single: a dropped WebSocket, events missed meanwhile, a second process."""

from __future__ import annotations

import asyncio
import time

import pytest

from crm.hub import LocalHub
from crm.models import Call, CallOutcome
from stasis_app.ari import AriClient, LinkState
from stasis_app.runtime import AcdRuntime

from .conftest import Acd, make_agent, make_group
from .test_flow_inbound import assert_nothing_left


async def test_caller_hangs_up_while_the_link_is_down(acd: Acd) -> None:
    agent = await make_agent("steady")
    group = await make_group("resilient", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2201"))
    caller = await acd.tel.place_inbound(group.number, "0677777777")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call")

    client = acd.runtime.client
    assert client is not None
    client.drop_connection()
    await acd.until(lambda: client.state is not LinkState.CONNECTED, what="link down")
    # Asterisk replays nothing of what happens now (recorded: websocket-drop-reconnect).
    await acd.tel.caller_hangup(caller)
    await acd.until(lambda: client.state is LinkState.CONNECTED, timeout=10, what="link back")
    await acd.until(lambda: acd.agent_state(agent.id) == "available", what="reconciled")
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and call.ended_at is not None


async def test_a_second_process_stands_by_then_takes_over_with_the_calls(acd: Acd) -> None:
    """R-single / B12: a second process on the same app name and database stands by (it
    never steals the calls), and takes over — calls included — once the first one stops."""
    agent = await make_agent("still")
    group = await make_group("single", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2211"))
    caller = await acd.tel.place_inbound(group.number, "0688888888")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call")
    call_id = acd.engine.calls()[0].call_id
    await acd.settle()

    second = AcdRuntime(acd.runtime.settings, LocalHub())
    starting = asyncio.create_task(second.start())
    try:
        await asyncio.sleep(1.5)
        assert not starting.done(), "the second process must stand by, not take the app"
        assert acd.runtime.client is not None and not acd.runtime.client.replaced
        await acd.runtime.stop()  # an upgrade: the first one goes; its call stays up
        await asyncio.wait_for(starting, 10)
        assert second.service is not None and second.controller is not None
        view = second.service.agent(agent.id)
        assert view is not None and view.state.value == "on_call"
        assert [c.call_id for c in second.controller.engine.calls()] == [call_id]
        await acd.tel.caller_hangup(caller)
        await _until(lambda: not second.controller.engine.calls(), "the call to end")
        await second.controller.idle()
        assert second.journal is not None
        await second.journal.flush()
    finally:
        if not starting.done():
            starting.cancel()
        await second.stop()
    call = await Call.get(ref=call_id)
    assert call.outcome is CallOutcome.ANSWERED and call.agent_id == agent.id
    # one conversation, one record, talk counted across the takeover
    assert call.talk_s == pytest.approx((call.ended_at - call.answered_at).total_seconds())
    assert await Call.filter(group_id=group.id).count() == 1


async def _until(check, what: str, timeout: float = 8.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_taken_over_process_stops_acting(acd: Acd) -> None:
    """ApplicationReplaced (a process that bypassed the lease, e.g. on another database):
    the old process says so and handles no more calls."""
    from .telephony import RealTelephony

    if isinstance(acd.tel, RealTelephony):
        pytest.skip("would take the app away from whoever uses the Asterisk given by "
                    "PROWEBCRM_TEST_ARI_*")
    url, user, password, app = acd.tel.ari
    intruder = AriClient(url, user, password, app)
    try:
        await intruder.start(takeover=True)
        client = acd.runtime.client
        assert client is not None
        await acd.until(lambda: client.replaced, what="old process notified")
        # The flag is set on the message; the socket is closed right after it.
        await acd.until(lambda: client.state is LinkState.REPLACED, what="old link closed")
        assert not acd.runtime.active
    finally:
        await intruder.close()


async def test_a_caller_arriving_while_the_sweep_lists_channels_is_not_cut(acd: Acd) -> None:
    """The sweep asks Asterisk for its channels; a caller whose StasisStart is handled while
    that answer is on its way is absent from it. It is no missed hang-up (the soak found
    one caller cut and recorded as ending 30 s before it began)."""
    group = await make_group("busy-sweep", [])
    await acd.runtime.reload_groups()
    client = acd.runtime.client
    assert client is not None
    real_list = client.channels.list
    arrived: list[str] = []

    async def list_then_a_caller_arrives() -> list:
        listing = await real_list()
        await acd.tel.place_inbound(group.number, "0611223344")
        await acd.until(lambda: any(c.caller_number.endswith("611223344")
                                    for c in acd.engine.calls()), what="caller queued")
        arrived.extend(c.call_id for c in acd.engine.calls())
        return listing  # taken before the caller existed

    client.channels.list = list_then_a_caller_arrives  # type: ignore[method-assign]
    try:
        await acd.runtime.reconcile()
    finally:
        client.channels.list = real_list  # type: ignore[method-assign]
    assert arrived and [c.call_id for c in acd.engine.calls()] == arrived
    assert acd.engine.queue(group.id) == arrived


async def test_a_caller_hanging_up_while_the_sweep_lists_channels_ends_at_its_hang_up(
        acd: Acd) -> None:
    """The reverse race: the caller has hung up when Asterisk lists its channels, but its
    hang-up event is still on its way. The record ends when the caller hung up, never at the
    previous sweep (the soak found a call recorded as lasting -29 s)."""
    agent = await make_agent("swept")
    group = await make_group("sweep-end", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2231"))
    caller = await acd.tel.place_inbound(group.number, "0633445566")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call")
    await acd.settle()
    call_id = acd.engine.calls()[0].call_id
    client = acd.runtime.client
    assert client is not None
    real_list = client.channels.list
    hung_up_at: list[float] = []

    async def list_without_the_caller_then_it_hangs_up() -> list:
        listing = [c for c in await real_list() if c.id != call_id]
        if not hung_up_at:  # the first list only: the second one is the truth
            async def hang_up_soon() -> None:
                await asyncio.sleep(0.1)
                hung_up_at.append(time.time())
                await acd.tel.caller_hangup(caller)
            asyncio.get_running_loop().create_task(hang_up_soon())
        return listing

    client.channels.list = list_without_the_caller_then_it_hangs_up  # type: ignore[method-assign]
    try:
        await acd.runtime.reconcile()
    finally:
        client.channels.list = real_list  # type: ignore[method-assign]
    await acd.until(lambda: acd.agent_state(agent.id) == "available", what="call over")
    await acd.settle()
    row = await Call.get(ref=call_id)
    assert row.outcome is CallOutcome.ANSWERED and row.ended_at is not None
    assert row.answered_at is not None and row.ended_at >= row.answered_at
    assert abs(row.ended_at.timestamp() - hung_up_at[0]) < 0.5
    await assert_nothing_left(acd)


async def test_a_caller_found_outside_its_bridge_is_connected_again(acd: Acd) -> None:
    """Item 5 of issue 10: a bridge command lost on the way (here the caller is taken out of
    its call's bridge behind the ACD's back) leaves the engine believing the call connected.
    The sweep compares with Asterisk's bridges: seen apart twice in a row, the caller gets its
    place back and is connected again, one record for the whole call."""
    agent = await make_agent("apart")
    group = await make_group("apart", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2241"))
    caller = await acd.tel.place_inbound(group.number, "0611223344")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call")
    await acd.settle()
    first = acd.engine.calls()[0]
    assert first.bridge_id is not None
    client = acd.runtime.client
    assert client is not None
    await client.bridges.remove_channel(first.bridge_id, first.call_id)
    await acd.runtime.reconcile()
    # once may be a move on its way: nothing done yet
    assert acd.engine.calls()[0].bridge_id == first.bridge_id

    await acd.runtime.reconcile()

    def together_again() -> bool:
        calls = acd.engine.calls()
        return bool(calls) and calls[0].state.value == "connected" and (
            calls[0].legs != first.legs)  # a new offer to the agent

    await acd.until(together_again, timeout=10, what="the caller connected again")
    await acd.settle()
    again = acd.engine.calls()[0]
    bridge = next(b for b in await client.bridges.list() if b.id == again.bridge_id)
    assert sorted(bridge.channels) == sorted([again.call_id, *again.legs])
    await acd.tel.caller_hangup(caller)
    await acd.until(lambda: acd.agent_state(agent.id) == "available", what="call over")
    await acd.settle()
    await assert_nothing_left(acd)
    rows = await Call.filter(group_id=group.id)
    assert [(r.ref, r.outcome) for r in rows] == [(first.call_id, CallOutcome.ANSWERED)]
