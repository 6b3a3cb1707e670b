"""C9 / R-reconnect / R-single: a dropped WebSocket, events missed meanwhile, a second process."""

from __future__ import annotations

import pytest

from crm.hub import LocalHub
from crm.models import Call, CallOutcome
from stasis_app.ari import AppAlreadyRunning, LinkState
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


async def test_a_second_process_on_the_same_app_is_refused(acd: Acd) -> None:
    """R-single: the second one refuses to start rather than silently steal the calls."""
    second = AcdRuntime(acd.runtime.settings, LocalHub())
    with pytest.raises(AppAlreadyRunning):
        await second.start(takeover=False)
    await second.stop()
    # The first one still works.
    agent = await make_agent("still")
    group = await make_group("single", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2211"))
    caller = await acd.tel.place_inbound(group.number, "0688888888")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call")
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)


async def test_taken_over_process_stops_acting(acd: Acd) -> None:
    """ApplicationReplaced: the old process says so and handles no more calls."""
    from .telephony import RealTelephony

    if isinstance(acd.tel, RealTelephony):
        pytest.skip("would take the app away from whoever uses the Asterisk given by "
                    "PROWEBCRM_TEST_ARI_*")
    newcomer = AcdRuntime(acd.runtime.settings, LocalHub())
    try:
        await newcomer.start(takeover=True)
        client = acd.runtime.client
        assert client is not None
        await acd.until(lambda: client.replaced, what="old process notified")
        # The flag is set on the message; the socket is closed right after it.
        await acd.until(lambda: client.state is LinkState.REPLACED, what="old link closed")
    finally:
        await newcomer.stop()
