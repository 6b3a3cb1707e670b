"""Issue 12 on the suite's own Asterisk: an agent whose phone is busy on a call the app does
not own (an extension-to-extension call through the sample dialplan's [direct] context) is
offered nothing, and is offered the waiting caller as soon as that call ends; an agent whose
phone is unreachable is offered nothing either."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from stasis_app.acd import PhoneState

from .conftest import Acd, make_agent, make_group
from .telephony import PbxTelephony
from .test_flow_inbound import assert_nothing_left

pytestmark = [pytest.mark.parametrize("telephony", ["real"], indirect=True),
              pytest.mark.real_asterisk]


@pytest.fixture
async def sip(acd: Acd) -> AsyncIterator[PbxTelephony]:
    if not isinstance(acd.tel, PbxTelephony):
        pytest.skip("SIP scenarios run on the suite's own Asterisk")
    yield acd.tel


def _phone_state(acd: Acd, agent_id: int) -> PhoneState | None:
    view = acd.service.agent(agent_id)
    return view.phone_state if view is not None else None


def _channels_of(sip: PbxTelephony, extension: str) -> list[dict[str, Any]]:
    return [c for c in sip.pbx.asterisk.channels()
            if c["name"].startswith(f"PJSIP/{extension}-")]


def _bridge_with(sip: PbxTelephony, channel_id: str) -> dict[str, Any] | None:
    return next((b for b in sip.pbx.asterisk.bridges() if channel_id in b["channels"]), None)


async def test_phone_busy_outside_the_app_is_skipped_then_offered_when_free(
        acd: Acd, sip: PbxTelephony) -> None:
    first = await make_agent("direct-a")
    second = await make_agent("direct-b")
    # linear: the first agent is always tried first when it may be offered
    group = await make_group("phonestate", [first, second], strategy="linear",
                             ring_timeout_s=5)
    await acd.runtime.reload_groups()
    ext_a = sip.extension("ps-a")
    ext_b = sip.extension("ps-b")
    await acd.service.login(first.id, ext_a)
    await acd.service.login(second.id, ext_b)
    # read once at login, from GET /deviceStates on the real Asterisk
    await acd.until(lambda: _phone_state(acd, first.id) is PhoneState.IDLE
                    and _phone_state(acd, second.id) is PhoneState.IDLE,
                    what="both phones read idle at login")
    app = sip.pbx.asterisk.ari("GET", f"/applications/{sip.pbx.app}")
    assert {f"PJSIP/{ext_a}", f"PJSIP/{ext_b}"} <= set(app["device_names"])  # type: ignore[index]

    # A direct call to A's phone, not through the app: the sample dialplan's [direct]
    # context dials the extension; the other half just waits (the harness's agent-phones).
    direct = sip.pbx.asterisk.ari("POST", "/channels", endpoint=f"Local/{ext_a}@direct",
                                  context="agent-phones", extension="99", priority="1")
    direct_id = str(direct["id"])  # type: ignore[index]
    await acd.until(lambda: _phone_state(acd, first.id) is PhoneState.IN_USE,
                    what="A's phone in use on its direct call")
    await asyncio.sleep(0.5)  # the direct call stays up (not a call that failed at once)
    assert _phone_state(acd, first.id) is PhoneState.IN_USE
    assert [c["state"] for c in _channels_of(sip, ext_a)] == ["Up"]
    assert acd.agent_state(first.id) == "available"  # still available: only not offered

    caller_1 = await sip.place_inbound(group.number, "0655500001")
    await acd.until(lambda: acd.agent_state(second.id) == "on_call", timeout=10,
                    what="the caller taken by B")
    view_b = acd.service.agent(second.id)
    assert view_b is not None and view_b.leg_id
    bridge = _bridge_with(sip, view_b.leg_id)
    assert bridge is not None and len(bridge["channels"]) == 2  # B and the caller
    # A's phone has only its direct call, in Dial()'s own bridge, none of ours
    a_channels = _channels_of(sip, ext_a)
    assert len(a_channels) == 1
    direct_bridge = _bridge_with(sip, a_channels[0]["id"])
    assert direct_bridge is None or not direct_bridge["name"].startswith(("call-", "pwq-"))
    assert a_channels[0]["id"] not in acd.runtime.registry.live_channel_ids()
    assert acd.agent_state(first.id) == "available"

    # B busy with the first caller: a second caller waits, A is not rung
    caller_2 = await sip.place_inbound(group.number, "0655500002")
    await acd.until(lambda: any(c.caller_number == "0655500002" and c.in_queue
                                for c in acd.engine.calls()), what="the second caller queued")
    await asyncio.sleep(1.5)
    call_2 = next(c for c in acd.engine.calls() if c.caller_number == "0655500002")
    assert call_2.state.value == "queued" and call_2.legs == ()
    assert acd.agent_state(first.id) == "available" and len(_channels_of(sip, ext_a)) == 1

    # A's direct call ends: A is offered the waiting caller at once (its phone answers)
    sip.pbx.asterisk.ari("DELETE", f"/channels/{direct_id}")
    await acd.until(lambda: acd.agent_state(first.id) == "on_call", timeout=8,
                    what="A takes the waiting caller")
    view_a = acd.service.agent(first.id)
    assert view_a is not None and view_a.call_id == call_2.call_id and view_a.leg_id
    bridge = _bridge_with(sip, view_a.leg_id)
    assert bridge is not None and len(bridge["channels"]) == 2
    assert bridge["id"] != _bridge_with(sip, view_b.leg_id)["id"]  # type: ignore[index]

    await sip.caller_hangup(caller_1)
    await sip.caller_hangup(caller_2)
    await assert_nothing_left(acd)
    # our own calls made the phones ring and be in use; once over, both are idle again
    await acd.until(lambda: _phone_state(acd, first.id) is PhoneState.IDLE
                    and _phone_state(acd, second.id) is PhoneState.IDLE,
                    what="both phones idle after our calls")
    await acd.service.logout(first.id)
    await acd.service.logout(second.id)
    await acd.until(lambda: not {f"PJSIP/{ext_a}", f"PJSIP/{ext_b}"} & set(
        sip.pbx.asterisk.ari("GET", f"/applications/{sip.pbx.app}")["device_names"]),  # type: ignore[index]
        what="the devices unsubscribed at logout")


async def test_unreachable_phone_is_skipped(acd: Acd, sip: PbxTelephony) -> None:
    gone = await make_agent("unreach-a")
    other = await make_agent("unreach-b")
    group = await make_group("unreach", [gone, other], strategy="linear", ring_timeout_s=5)
    await acd.runtime.reload_groups()
    ext_gone = sip.pbx.phone("unreachable", key="ur-a")
    await acd.service.login(gone.id, ext_gone)
    await acd.service.login(other.id, sip.extension("ur-b"))
    await acd.until(lambda: _phone_state(acd, gone.id) is PhoneState.UNAVAILABLE,
                    timeout=10, what="the unreachable phone known unavailable")
    caller = await sip.place_inbound(group.number, "0655500003")
    await acd.until(lambda: acd.agent_state(other.id) == "on_call", timeout=10,
                    what="the caller taken by the other agent")
    assert acd.agent_state(gone.id) == "available" and _channels_of(sip, ext_gone) == []
    await sip.caller_hangup(caller)
    await assert_nothing_left(acd)
