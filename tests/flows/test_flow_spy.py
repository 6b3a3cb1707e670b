"""B3: a supervisor listens to, whispers to, or barges into a live call (ARI snoop)."""

from __future__ import annotations

import asyncio

import pytest

from stasis_app.ari import AriClient
from stasis_app.service import AcdRefused

from .conftest import Acd, Telephony, make_agent, make_group
from .test_flow_inbound import assert_nothing_left


async def _live_call(acd: Acd, ext: str) -> tuple[int, str, str]:
    agent = await make_agent("talker")
    group = await make_group("spied", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension(ext))
    caller = await acd.tel.place_inbound(group.number, "0610101010")
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call")
    await acd.settle()
    return agent.id, caller, acd.service.agent(agent.id).call_id


async def _spy_channels(acd: Acd, spy_id: str) -> set[str]:
    """What Asterisk still has of this spy (its ids all start with the spy's id)."""
    channels, bridges = await Telephony.leftovers(acd.tel, (spy_id,))
    return set(channels) | set(bridges)


async def _spy_gone(acd: Acd, spy_id: str) -> bool:
    """Nothing of the spy is left in the app (channels out of Stasis, bridge destroyed).

    A real Asterisk keeps listing a hung-up snoop channel, out of Stasis, until the snooped
    channel carries media again; Local test phones in Wait() carry none. It is gone with the
    call (the scenarios' final check covers that).
    """
    url, user, password, app = acd.tel.ari
    for _ in range(40):
        async with AriClient(url, user, password, app) as client:
            held = await client.applications.get()
        ours = [x for x in (*held.channel_ids, *held.bridge_ids) if x.startswith(spy_id)]
        if not ours:
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
async def test_supervisor_spies_until_the_call_ends(acd: Acd, mode: str) -> None:
    _, caller, call_id = await _live_call(acd, "2301")
    supervisor_phone = acd.tel.extension("2399")
    spy = await acd.service.spy(call_id, supervisor_id=99, extension=supervisor_phone, mode=mode)
    spy_id = spy["spy_id"]
    assert spy["mode"] == mode
    await acd.until(lambda: acd.service.spies() and acd.service.spies()[0]["connected"],
                    what="supervisor phone answered")
    expected = {f"{spy_id}-sup"} | (set() if mode == "barge" else {f"{spy_id}-snoop",
                                                                     f"{spy_id}-bridge"})
    for _ in range(50):
        present = await _spy_channels(acd, spy_id)
        if expected <= present:
            break
        await acd.until(lambda: True)
    assert expected <= present, present
    # The call itself goes on: the spy changes nothing for the caller and the agent.
    assert acd.service.call(call_id).state.value == "connected"

    await acd.tel.caller_hangup(caller)
    await acd.until(lambda: not acd.service.spies(), what="spy ends with the call")
    await assert_nothing_left(acd)
    assert await _spy_gone(acd, spy_id)


async def test_supervisor_stops_listening_and_the_call_goes_on(acd: Acd) -> None:
    agent_id, caller, call_id = await _live_call(acd, "2311")
    spy = await acd.service.spy(call_id, 99, acd.tel.extension("2398"), "listen")
    await acd.until(lambda: acd.service.spies() and acd.service.spies()[0]["connected"])
    assert await acd.service.stop_spy(spy["spy_id"]) is True
    assert not acd.service.spies()
    assert acd.agent_state(agent_id) == "on_call"
    assert await _spy_gone(acd, spy["spy_id"]), await _spy_channels(acd, spy["spy_id"])
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)


async def test_spying_needs_a_connected_call_and_a_mode(acd: Acd) -> None:
    with pytest.raises(AcdRefused) as refused:
        await acd.service.spy("no-such-call", 99, "2397", "listen")
    assert refused.value.code == "call_not_connected"
    _, caller, call_id = await _live_call(acd, "2321")
    with pytest.raises(AcdRefused) as bad:
        await acd.service.spy(call_id, 99, "2397", "shout")
    assert bad.value.code == "bad_mode"
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
