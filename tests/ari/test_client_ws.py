"""Event WebSocket: connect, deliver, reconnect with backoff, R-single, clean close."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from stasis_app.ari import (
    AppAlreadyRunning,
    ApplicationReplaced,
    AppReplaced,
    AriClient,
    AriUnauthorized,
    Event,
    LinkState,
    StasisStart,
)
from tests.ari.client_fixtures import FakeAri, event_json


class Recorder:
    def __init__(self, client: AriClient) -> None:
        self.events: list[Event] = []
        self.links: list[tuple[LinkState, bool, str | None]] = []
        self.replaced = 0
        self.changed = asyncio.Condition()
        client.on_event(self.on_event)
        client.on_connection_change(self.on_link)
        client.on_replaced(self.on_replaced)

    async def on_event(self, event: Event) -> None:
        self.events.append(event)
        async with self.changed:
            self.changed.notify_all()

    async def on_link(self, state: LinkState, first: bool, reason: str | None) -> None:
        self.links.append((state, first, reason))
        async with self.changed:
            self.changed.notify_all()

    async def on_replaced(self) -> None:
        self.replaced += 1

    async def wait(self, predicate: Any, timeout: float = 5.0) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), timeout)


async def setup(aiohttp_server: Any, **kw: Any) -> tuple[FakeAri, AriClient, Recorder]:
    fake = FakeAri()
    url = await fake.start(aiohttp_server)
    client = AriClient(url, kw.pop("user", "u"), "p", "crm", backoff_initial=0.05,
                       backoff_max=0.2, **kw)
    return fake, client, Recorder(client)


async def test_connects_with_app_and_no_subscribe_all(aiohttp_server: Any) -> None:
    fake, client, rec = await setup(aiohttp_server)
    async with client:
        await client.start()
        assert client.state is LinkState.CONNECTED
        assert rec.links == [(LinkState.CONNECTED, True, None)]
        assert fake.ws_params == [{"app": "crm", "subscribeAll": "false"}]
        assert fake.auth_seen[-1] == "Basic dTpw"
        assert fake.requests[0][:2] == ("GET", "/applications/crm")  # R-single check first
        await fake.push(event_json("StasisStart", "c1", args=["inbound", "1000"]))
        await fake.push(event_json("StasisEnd", "c1"))
        await rec.wait(lambda: len(rec.events) == 2)
        assert isinstance(rec.events[0], StasisStart) and rec.events[0].args == (
            "inbound", "1000")
        await client.drain()
    assert client.state is LinkState.CLOSED
    assert rec.links[-1] == (LinkState.CLOSED, False, "closed")


async def test_garbage_on_the_socket_does_not_kill_the_reader(aiohttp_server: Any) -> None:
    fake, client, rec = await setup(aiohttp_server)
    async with client:
        await client.start()
        await fake.sockets[-1].send_str("not json {")
        await fake.sockets[-1].send_str('{"type": "StasisStart"}')  # malformed known type
        await fake.push(event_json("StasisEnd", "c1"))
        await rec.wait(lambda: len(rec.events) == 2)
        assert [e.type for e in rec.events] == ["StasisStart", "StasisEnd"]
        assert client.state is LinkState.CONNECTED


async def test_reconnects_with_backoff_after_drop(
        aiohttp_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="stasis_app.ari")
    fake, client, rec = await setup(aiohttp_server)
    async with client:
        await client.start()
        await fake.close_sockets()  # server side drop
        await rec.wait(lambda: len(rec.links) >= 3)
        assert [s for s, _, _ in rec.links] == [
            LinkState.CONNECTED, LinkState.DISCONNECTED, LinkState.CONNECTED]
        assert rec.links[2][1] is False  # first=False: the app must reconcile
        assert len(fake.ws_params) == 2
        await fake.push(event_json("StasisStart", "c2", args=[]))
        await rec.wait(lambda: len(rec.events) == 1)

        client.drop_connection()  # abrupt client-side drop (no close frame)
        await rec.wait(lambda: len(rec.links) >= 5)
        assert rec.links[4][:2] == (LinkState.CONNECTED, False)
    ups = [r for r in caplog.records if "ARI link UP" in r.getMessage()]
    downs = [r for r in caplog.records if "ARI link DOWN" in r.getMessage()]
    assert len(ups) == 3 and len(downs) == 2  # one line per change of link state


async def test_backoff_grows_while_asterisk_is_away(aiohttp_server: Any) -> None:
    fake, client, rec = await setup(aiohttp_server)
    async with client:
        await client.start()
        fake.ws_refuse_status = 503  # Asterisk restarting: upgrades refused
        await fake.close_sockets()
        await rec.wait(lambda: rec.links[-1][0] is LinkState.DISCONNECTED)
        await asyncio.sleep(0.6)
        attempts = fake.ws_attempts - 1
        # 0.05, 0.1, 0.2, 0.2... (x0.5-1 jitter): a handful of attempts, not a busy loop
        assert 2 <= attempts <= 20
        fake.ws_refuse_status = None
        await rec.wait(lambda: rec.links[-1][0] is LinkState.CONNECTED, timeout=3)
        assert rec.links[-1][1] is False


async def test_refuses_when_app_already_registered(aiohttp_server: Any) -> None:
    fake, client, _ = await setup(aiohttp_server)
    fake.apps.add("crm")  # another process holds the app
    async with client:
        with pytest.raises(AppAlreadyRunning, match="refusing to steal"):
            await client.start()
        assert fake.ws_params == []  # never opened the socket
        await client.start(takeover=True)
        assert client.state is LinkState.CONNECTED


async def test_application_replaced_stops_everything(
        aiohttp_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    fake, client, rec = await setup(aiohttp_server)
    async with client:
        await client.start()
        await fake.push({"type": "ApplicationReplaced", "application": "crm",
                         "timestamp": "t", "asterisk_id": "x"})
        await rec.wait(lambda: rec.links[-1][0] is LinkState.REPLACED)
        await client.drain()
        assert client.replaced and client.state is LinkState.REPLACED and rec.replaced == 1
        assert isinstance(rec.events[-1], ApplicationReplaced)
        n_requests = len(fake.requests)
        with pytest.raises(AppReplaced):
            await client.channels.hangup("c1")
        assert len(fake.requests) == n_requests  # nothing reached Asterisk
        await asyncio.sleep(0.3)  # several backoff periods: no reconnect attempt
        assert len(fake.ws_params) == 1
        assert not fake.sockets  # we closed our (stale) socket ourselves
    assert any(r.levelno == logging.CRITICAL and "TAKEN OVER" in r.getMessage()
               for r in caplog.records)


async def test_bad_credentials_fail_start(aiohttp_server: Any) -> None:
    _, client, _ = await setup(aiohttp_server, user="nobody")
    async with client:
        with pytest.raises(AriUnauthorized):
            await client.start()


async def test_close_leaves_nothing_running(aiohttp_server: Any) -> None:
    fake, client, rec = await setup(aiohttp_server)

    async def slow(event: Event) -> None:
        await asyncio.sleep(3600)

    client.on_event(slow)
    before = set(asyncio.all_tasks())
    await client.start()
    await fake.push(event_json("StasisStart", "c1", args=[]))
    await rec.wait(lambda: len(rec.events) == 1)
    await client.close()
    await asyncio.sleep(0)
    leftover = [t for t in asyncio.all_tasks() - before if not t.done()]
    assert leftover == []
    assert client._http._session is not None and client._http._session.closed
    for _ in range(50):  # the server notices the socket closing
        if not fake.sockets:
            break
        await asyncio.sleep(0.01)
    assert not fake.sockets
