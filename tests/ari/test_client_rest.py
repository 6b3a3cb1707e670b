"""REST side: URL building, auth header, parameters, error mapping, pool limit."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from stasis_app.ari import (
    REQUEST_RANK,
    AppReplaced,
    AriBadRequest,
    AriClient,
    AriConflict,
    AriError,
    AriNotFound,
    AriPreconditionFailed,
    AriServerError,
    AriUnauthorized,
    AriUnavailable,
    AriUnprocessable,
    ari_root,
    new_id,
)
from tests.ari.client_fixtures import FakeAri


async def make(aiohttp_server: Any, **kw: Any) -> tuple[FakeAri, AriClient]:
    fake = FakeAri(delay=kw.pop("delay", 0.0))
    url = await fake.start(aiohttp_server)
    return fake, AriClient(kw.pop("url", url), kw.pop("user", "u"), "p", "crm", **kw)


def test_ari_root_and_ids() -> None:
    assert ari_root("http://h:8088") == "http://h:8088/ari"
    assert ari_root("http://h:8088/") == "http://h:8088/ari"
    assert ari_root("http://h:8088/ari/") == "http://h:8088/ari"
    a, b = new_id("agent-"), new_id("agent-")
    assert a.startswith("agent-") and len(a) == 38 and a != b


async def test_auth_header_and_typed_replies(aiohttp_server: Any) -> None:
    fake = FakeAri()
    url = await fake.start(aiohttp_server)
    async with AriClient(url + "/ari", "u", "p", "crm") as client:  # '/ari' accepted too
        info = await client.asterisk.info()
        assert info.version == "22.10.1" and info.startup_time == "t0"
    assert fake.auth_seen == ["Basic dTpw"]  # base64("u:p")
    assert fake.requests[0][:2] == ("GET", "/asterisk/info")


async def test_parameters_as_asterisk_expects(aiohttp_server: Any) -> None:
    fake, client = await make(aiohttp_server)
    async with client:
        ch = await client.channels.originate(
            "Local/2001@agent-phones", channel_id="a1", other_channel_id="a1-far",
            app_args="agent,2001", caller_id="CRM <1000>", timeout=30,
            variables={"CALL_ID": "c1"})
        assert ch.id == "a1" and ch.state == "Down"
        await client.channels.originate("Local/1000@inbound", channel_id="x", context="caller",
                                        extension="1000", priority=1)
        await client.channels.create("Local/2002@agent-phones", channel_id="c2",
                                     app_args=["agent", "2002"])
        await client.channels.dial("c2", caller="a1", timeout=3)
        await client.channels.hangup("a1", reason="normal")
        await client.channels.snoop("a1", snoop_id="s1", spy="both", whisper="none",
                                    app_args="snoop")
        await client.channels.set_variable("a1", "X", "1")
        b = await client.bridges.create("b1", type="holding", name="q")
        assert (b.id, b.bridge_type) == ("b1", "holding")
        await client.bridges.add_channel("b1", ["a1", "c2"], role="participant",
                                         absorb_dtmf=False)
        await client.bridges.start_moh("b1", "default")
        await client.bridges.destroy("b1")
        await client.applications.subscribe("endpoint:PJSIP/2001")
    r = fake.requests
    assert r[0] == ("POST", "/channels", {
        "endpoint": "Local/2001@agent-phones", "channelId": "a1", "otherChannelId": "a1-far",
        "app": "crm", "appArgs": "agent,2001", "callerId": "CRM <1000>", "timeout": "30"},
        {"variables": {"CALL_ID": "c1"}})
    assert r[1][2] == {"endpoint": "Local/1000@inbound", "channelId": "x", "context": "caller",
                       "extension": "1000", "priority": "1"}  # no app: dialplan target
    assert r[1][3] is None
    assert r[2][:3] == ("POST", "/channels/create", {
        "endpoint": "Local/2002@agent-phones", "app": "crm", "appArgs": "agent,2002",
        "channelId": "c2"})
    assert r[3][:3] == ("POST", "/channels/c2/dial", {"caller": "a1", "timeout": "3"})
    assert r[4][:3] == ("DELETE", "/channels/a1", {"reason": "normal"})
    assert r[5][:3] == ("POST", "/channels/a1/snoop", {
        "snoopId": "s1", "spy": "both", "whisper": "none", "app": "crm", "appArgs": "snoop"})
    assert r[6][:3] == ("POST", "/channels/a1/variable", {"variable": "X", "value": "1"})
    assert r[7][:3] == ("POST", "/bridges", {"bridgeId": "b1", "type": "holding", "name": "q"})
    assert r[8][:3] == ("POST", "/bridges/b1/addChannel", {
        "channel": "a1,c2", "role": "participant", "absorbDTMF": "false"})
    assert r[9][:3] == ("POST", "/bridges/b1/moh", {"mohClass": "default"})
    assert r[10][:2] == ("DELETE", "/bridges/b1")
    assert r[11][:3] == ("POST", "/applications/crm/subscription",
                         {"eventSource": "endpoint:PJSIP/2001"})
    assert not any("subscribeAll" in q for _, _, q, _ in r)


@pytest.mark.parametrize(("status", "cls"), [
    (400, AriBadRequest), (401, AriUnauthorized), (404, AriNotFound), (409, AriConflict),
    (412, AriPreconditionFailed), (422, AriUnprocessable), (500, AriServerError),
    (418, AriError),
])
async def test_error_mapping(aiohttp_server: Any, status: int, cls: type[AriError]) -> None:
    fake, client = await make(aiohttp_server)
    fake.canned[("POST", "/channels/c1/answer")] = (status, {"message": f"msg {status}"})
    async with client:
        with pytest.raises(cls) as info:
            await client.channels.answer("c1")
    assert type(info.value) is cls
    assert info.value.status == status and info.value.message == f"msg {status}"
    assert "POST /channels/c1/answer" in str(info.value)


async def test_not_in_stasis_recognised(aiohttp_server: Any) -> None:
    fake, client = await make(aiohttp_server)
    fake.canned[("POST", "/channels/c1/answer")] = (
        409, {"message": "Channel not in Stasis application"})
    fake.canned[("POST", "/bridges/b1/addChannel")] = (
        422, {"message": "Channel not in Stasis application"})
    fake.canned[("DELETE", "/channels/c1")] = (404, {"message": "Channel not found"})
    fake.canned[("GET", "/channels/c1")] = (500, "<html>oops</html>")
    async with client:
        with pytest.raises(AriConflict) as e1:
            await client.channels.answer("c1")
        with pytest.raises(AriUnprocessable) as e2:
            await client.bridges.add_channel("b1", "c1")
        with pytest.raises(AriNotFound) as e3:
            await client.channels.hangup("c1")
        with pytest.raises(AriServerError) as e4:
            await client.channels.get("c1")
    assert e1.value.not_in_stasis and e2.value.not_in_stasis and not e3.value.not_in_stasis
    assert e4.value.message == "<html>oops</html>"


async def test_wrong_password_is_unauthorized(aiohttp_server: Any) -> None:
    _, client = await make(aiohttp_server, user="bad")
    async with client:
        with pytest.raises(AriUnauthorized):
            await client.channels.list()


async def test_unavailable_when_refused() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with AriClient(f"http://127.0.0.1:{port}", "u", "p", "crm") as client:
        with pytest.raises(AriUnavailable) as info:
            await client.asterisk.info()
        assert info.value.status is None
        with pytest.raises(AriUnavailable):
            await client.start()


async def test_unavailable_when_every_connection_closes_at_once() -> None:
    """A link cut by a proxy or a firewall: connections accepted, then closed unanswered.
    The request is tried once more on a new connection, then fails as unavailable (it once
    ended in an AssertionError the executor did not retry)."""
    accepted = 0

    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()

    server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with AriClient(f"http://127.0.0.1:{port}", "u", "p", "crm") as client:
            for method, request in (("POST", client.channels.answer("c1")),
                                    ("GET", client.channels.list())):
                with pytest.raises(AriUnavailable) as info:
                    await request
                assert info.value.status is None and info.value.method == method
    finally:
        server.close()
        await server.wait_closed()
    assert accepted == 4  # two tries each


async def test_request_escape_hatch_and_no_subscribe_all(aiohttp_server: Any) -> None:
    fake, client = await make(aiohttp_server)
    async with client:
        assert await client.request("GET", "/bridges") == []
        assert await client.request("POST", "/channels/x/mute", params={"direction": "in"}) \
            is None
        with pytest.raises(ValueError, match="subscribeAll"):
            await client.request("GET", "/events", params={"subscribeAll": "true"})
    assert fake.requests[1][:3] == ("POST", "/channels/x/mute", {"direction": "in"})


async def test_pool_never_exceeds_eight_connections(aiohttp_server: Any) -> None:
    fake, client = await make(aiohttp_server, delay=0.01, max_connections=50)
    async with client:
        infos = await asyncio.gather(*(client.asterisk.info() for _ in range(100)))
        assert len(infos) == 100
        more = await asyncio.gather(*(client.channels.list() for _ in range(50)))
        assert len(more) == 50
    assert fake.max_in_flight <= 8
    assert 1 < len(fake.peers) <= 8  # distinct client sockets over 150 requests


async def test_a_free_connection_goes_to_the_oldest_calls_request(aiohttp_server: Any
                                                                  ) -> None:
    """Under a burst, the request of the call that arrived first is sent first, whatever
    order the requests were made in; a request with no call goes by when it was made."""
    fake, client = await make(aiohttp_server, delay=0.05, max_connections=1)

    async def ranked(rank: float | None, channel: str) -> None:
        REQUEST_RANK.set(rank)
        await client.channels.answer(channel)

    async with client:
        busy = asyncio.ensure_future(client.channels.answer("busy"))
        await asyncio.sleep(0.01)  # the only connection is taken
        loop = asyncio.get_running_loop()
        now = loop.time()
        waiting = [asyncio.ensure_future(ranked(rank, name)) for rank, name in
                   ((now + 3.0, "newest"), (None, "unranked"), (now - 1.0, "oldest"),
                    (now + 2.0, "newer"))]
        await asyncio.sleep(0.01)
        cancelled = asyncio.ensure_future(ranked(now - 5.0, "cancelled"))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        await asyncio.gather(busy, *waiting)
    order = [path.split("/")[2] for _method, path, _q, _b in fake.requests]
    assert order == ["busy", "oldest", "unranked", "newer", "newest"]
    assert fake.max_in_flight == 1


async def test_replaced_refuses_rest(aiohttp_server: Any) -> None:
    fake, client = await make(aiohttp_server)
    async with client:
        client.feed({"type": "ApplicationReplaced", "application": "crm"})
        assert client.replaced
        with pytest.raises(AppReplaced):
            await client.channels.answer("c1")
    assert fake.requests == []


async def test_closed_client_does_not_reopen(aiohttp_server: Any) -> None:
    fake, client = await make(aiohttp_server)
    await client.asterisk.info()
    await client.close()
    with pytest.raises(AriUnavailable, match="closed"):
        await client.asterisk.info()
    assert len(fake.requests) == 1
