"""Contract tests of AriClient against the simulator and a real Asterisk: the suite's own
(tests/pbx, a SIP phone of its answering farm), or another one given by PROWEBCRM_TEST_ARI_URL
(HTTP root, e.g. http://127.0.0.1:8088), PROWEBCRM_TEST_ARI_USER, PROWEBCRM_TEST_ARI_PASSWORD,
PROWEBCRM_TEST_ARI_APP and optionally PROWEBCRM_TEST_AGENT_DIAL (default
'Local/{extension}@agent-phones', an auto-answering context).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable

import pytest

from stasis_app.ari import (
    AriClient,
    AriError,
    ChannelEnteredBridge,
    ChannelLeftBridge,
    Event,
    LinkState,
    StasisEnd,
    StasisStart,
    new_id,
)

REAL_ENV = ("PROWEBCRM_TEST_ARI_URL", "PROWEBCRM_TEST_ARI_USER", "PROWEBCRM_TEST_ARI_PASSWORD",
            "PROWEBCRM_TEST_ARI_APP")
TIMEOUT = 10.0
Target = tuple[str, str, str, str, str]


@pytest.fixture(params=["simulator", pytest.param("real", marks=pytest.mark.real_asterisk)])
async def ari_target(request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    """(url, user, password, app, agent dial string) of a simulated or a real Asterisk."""
    if request.param == "real":
        if all(os.environ.get(k) for k in REAL_ENV):
            dial = os.environ.get("PROWEBCRM_TEST_AGENT_DIAL", "Local/{extension}@agent-phones")
            yield (*(os.environ[k] for k in REAL_ENV), dial.format(extension="2001"))  # type: ignore[misc]
            return
        pbx = request.getfixturevalue("fresh_pbx")
        user, password = pbx.asterisk.ari_auth
        yield pbx.asterisk.ari_url, user, password, "contract", f"PJSIP/{pbx.phone('answer')}"
        return
    try:
        from asterisk_sim import Simulator
    except ImportError as exc:
        pytest.skip(f"simulator not available yet (asterisk_sim.Simulator: {exc})")
    sim = Simulator(user="u", password="p")
    await sim.start(host="127.0.0.1", port=0)
    try:
        yield sim.url, "u", "p", "contract", "Local/2001@agent-phones"
    finally:
        await sim.stop()


class Watch:
    """Collects events and link changes; `wait` blocks until a predicate holds."""

    def __init__(self, client: AriClient) -> None:
        self.events: list[Event] = []
        self.links: list[tuple[LinkState, bool]] = []
        self._cond = asyncio.Condition()
        client.on_event(self._event)
        client.on_connection_change(self._link)

    async def _event(self, event: Event) -> None:
        async with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    async def _link(self, state: LinkState, first: bool, reason: str | None) -> None:
        async with self._cond:
            self.links.append((state, first))
            self._cond.notify_all()

    async def wait(self, predicate: Callable[[], bool], what: str) -> None:
        try:
            async with self._cond:
                await asyncio.wait_for(self._cond.wait_for(predicate), TIMEOUT)
        except TimeoutError:
            seen = [(e.type, e.channel_id, e.bridge_id) for e in self.events[-20:]]
            pytest.fail(f"timed out waiting for {what}; last events: {seen}")

    def index(self, cls: type[Event], channel_id: str, bridge_id: str | None = None) -> int:
        for i, e in enumerate(self.events):
            if isinstance(e, cls) and e.channel_id == channel_id and (
                    bridge_id is None or e.bridge_id == bridge_id):
                return i
        return -1


async def test_call_flow_reconnect_and_no_leftovers(ari_target: Target) -> None:
    url, user, password, app, dial = ari_target
    tag = new_id("ct")[:14]
    chan, far, b1, b2 = f"{tag}-agent", f"{tag}-far", f"{tag}-b1", f"{tag}-b2"
    client = AriClient(url, user, password, app, backoff_initial=0.2, backoff_max=2.0)
    watch = Watch(client)
    try:
        await client.start()
        assert client.state is LinkState.CONNECTED
        assert (await client.applications.get()).name == app

        await client.channels.originate(
            dial, channel_id=chan,
            other_channel_id=far if dial.startswith("Local/") else None,
            app_args="agent,2001", caller_id="Contract <1000>", timeout=15)
        await watch.wait(lambda: watch.index(StasisStart, chan) >= 0, "StasisStart")
        start = watch.events[watch.index(StasisStart, chan)]
        assert isinstance(start, StasisStart) and start.args == ("agent", "2001")

        assert (await client.bridges.create(b1, type="mixing", name="contract-1")).id == b1
        await client.bridges.add_channel(b1, chan)
        await watch.wait(lambda: watch.index(ChannelEnteredBridge, chan, b1) >= 0, "enter b1")

        assert (await client.bridges.create(b2, type="mixing", name="contract-2")).id == b2
        await client.bridges.add_channel(b2, chan)  # a move: no removeChannel
        await watch.wait(lambda: watch.index(ChannelEnteredBridge, chan, b2) >= 0, "enter b2")
        left = watch.index(ChannelLeftBridge, chan, b1)
        assert 0 <= left < watch.index(ChannelEnteredBridge, chan, b2)
        assert chan in (await client.bridges.get(b2)).channels
        assert chan not in (await client.bridges.get(b1)).channels

        await client.channels.hangup(chan, reason="normal")
        await watch.wait(lambda: watch.index(StasisEnd, chan) >= 0, "StasisEnd")
        await client.bridges.destroy(b1)
        await client.bridges.destroy(b2)

        client.drop_connection()
        await watch.wait(lambda: (LinkState.CONNECTED, False) in watch.links, "reconnect")
        assert watch.links[:2] == [(LinkState.CONNECTED, True), (LinkState.DISCONNECTED, False)]

        ours = {chan, far, b1, b2}
        for _ in range(50):  # Local channel halves go away asynchronously
            left_over = ours & ({c.id for c in await client.channels.list()}
                                | {b.id for b in await client.bridges.list()})
            if not left_over:
                break
            await asyncio.sleep(0.1)
        assert not left_over, f"left behind in Asterisk: {left_over}"
        await client.drain()
    finally:
        with contextlib.suppress(AriError):  # best effort: leave the Asterisk clean
            for cid in (chan, far):
                with contextlib.suppress(AriError):
                    await client.channels.hangup(cid)
            for bid in (b1, b2):
                with contextlib.suppress(AriError):
                    await client.bridges.destroy(bid)
        await client.close()



async def test_unused_event_types_are_filtered_by_asterisk_itself(ari_target: Target) -> None:
    """Types no handler wants are not even sent (Asterisk's eventFilter, set again at every
    connect); what is still wanted keeps coming."""
    url, user, password, app, dial = ari_target
    unused = frozenset({"ChannelVarset", "ChannelDialplan"})
    client = AriClient(url, user, password, app, backoff_initial=0.2, backoff_max=2.0,
                       ignore_types=unused)
    watch = Watch(client)
    sent: list[str] = []
    on_text = client._on_text

    def counting(text: str) -> bool:  # what Asterisk really writes on the socket
        sent.append(text)
        return on_text(text)

    client._stream._on_text = counting  # type: ignore[attr-defined]
    chan = f"{new_id('ct')[:14]}-flt"
    try:
        await client.start()
        for _ in range(50):  # the filter is set by the connect hook, just after the socket
            if set((await client.applications.get()).events_disallowed) == unused:
                break
            await asyncio.sleep(0.05)
        assert set((await client.applications.get()).events_disallowed) == unused
        await client.channels.originate(
            dial, channel_id=chan, other_channel_id=f"{chan}-2" if dial.startswith("Local/")
            else None, app_args="agent,2001", timeout=15)
        await watch.wait(lambda: watch.index(StasisStart, chan) >= 0, "StasisStart")
        await client.channels.set_variable(chan, "PROWEBCRM_TEST", "1")
        await client.channels.hangup(chan, reason="normal")
        await watch.wait(lambda: watch.index(StasisEnd, chan) >= 0, "StasisEnd")
        assert not [t for t in sent if '"ChannelVarset"' in t or '"ChannelDialplan"' in t]

        client.drop_connection()  # set again on the new socket
        await watch.wait(lambda: (LinkState.CONNECTED, False) in watch.links, "reconnect")
        assert set((await client.applications.get()).events_disallowed) == unused
    finally:
        with contextlib.suppress(AriError):
            await client.channels.hangup(chan)
        await client.close()
