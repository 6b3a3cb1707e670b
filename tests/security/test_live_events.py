"""Items 2, 11 and 15 (Origin): who receives what on /ws/live, with a cookie or a token."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from crm.clock import utcnow
from crm.hub import INTEGRATIONS, SUPERVISION, LocalHub, agent_topic
from crm.models import ApiToken, Role, User
from crm.tokens import NewToken, create_token
from crm.users import end_sessions
from prowebcrm.settings import Settings
from tests.web.webtools import login, make_user
from web.app import create_app
from web.appkeys import HUB_KEY, SERVICES_KEY
from web.live import SESSION_ENDED


@pytest.fixture
def hub(app: web.Application) -> LocalHub:
    app[HUB_KEY] = LocalHub()
    return app[HUB_KEY]


async def _token_for(user: User) -> str:
    admin = await make_user("tokenadmin", Role.ADMIN)
    _, plain = await create_token(NewToken(user_id=user.id, name="integration"), actor=admin)
    return plain


async def _next_event(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2.0
                      ) -> dict[str, Any]:
    return await asyncio.wait_for(ws.receive_json(), timeout)


async def _refused(client: TestClient, path: str, **kwargs: Any) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await client.ws_connect(path, **kwargs)
    return caught.value.status


def _publish_everything(hub: LocalHub, agent_id: int) -> None:
    hub.publish("call.offered", {"caller_number": "+33612345678"}, [INTEGRATIONS])
    hub.publish("queue.changed", {"group_id": 1}, [SUPERVISION])
    hub.publish("agent.state_changed", {"agent_id": 999}, [agent_topic(999)])
    hub.publish("mine", {"agent_id": agent_id}, [agent_topic(agent_id)])


async def test_agent_cannot_subscribe_to_integrations(client: TestClient, hub: LocalHub
                                                      ) -> None:
    await make_user("agent1")
    await login(client, "agent1")
    assert await _refused(client, "/ws/live?topics=integrations") == 403
    assert await _refused(client, "/ws/live?topics=supervision") == 403
    assert await _refused(client, "/ws/live?topics=everything") == 400


async def test_agent_receives_only_their_own_events(client: TestClient, hub: LocalHub) -> None:
    agent = await make_user("agent1")
    await login(client, "agent1")
    ws = await client.ws_connect("/ws/live")
    assert (await _next_event(ws))["type"] == "snapshot"
    _publish_everything(hub, agent.id)
    event = await _next_event(ws)
    assert event == {"type": "mine", "data": {"agent_id": agent.id}}
    await ws.close()


async def test_supervisor_receives_integrations_when_asked(client: TestClient, hub: LocalHub
                                                           ) -> None:
    sup = await make_user("sup", Role.SUPERVISOR)
    await login(client, "sup")
    ws = await client.ws_connect("/ws/live?topics=integrations")
    assert (await _next_event(ws))["type"] == "snapshot"
    _publish_everything(hub, sup.id)
    received = [(await _next_event(ws))["type"] for _ in range(3)]
    assert received == ["call.offered", "queue.changed", "mine"]
    await ws.close()


async def test_bearer_token_opens_the_event_stream(client: TestClient, hub: LocalHub,
                                                   new_client: Any) -> None:
    sup = await make_user("integrator", Role.SUPERVISOR)
    plain = await _token_for(sup)
    api = await new_client()
    ws = await api.ws_connect("/ws/live?topics=integrations",
                              headers={"Authorization": f"Bearer {plain}"})
    assert (await _next_event(ws))["type"] == "snapshot"
    hub.publish("call.offered", {"call_id": "c1"}, [INTEGRATIONS])
    assert (await _next_event(ws))["type"] == "call.offered"
    await ws.close()


async def test_agent_token_gets_own_events_only(client: TestClient, hub: LocalHub,
                                                new_client: Any) -> None:
    agent = await make_user("agent1")
    plain = await _token_for(agent)
    api = await new_client()
    auth = {"Authorization": f"Bearer {plain}"}
    assert await _refused(api, "/ws/live?topics=integrations", headers=auth) == 403
    ws = await api.ws_connect("/ws/live", headers=auth)
    assert (await _next_event(ws))["type"] == "snapshot"
    _publish_everything(hub, agent.id)
    assert (await _next_event(ws))["type"] == "mine"
    await ws.close()


async def test_bad_bearer_token_is_refused(client: TestClient, hub: LocalHub) -> None:
    for header in ("Bearer pwc_nope", "Bearer ", "Basic abc"):
        status = await _refused(client, "/ws/live", headers={"Authorization": header})
        assert status == 401, header


async def test_origin_must_match_scheme_host_and_port(client: TestClient, hub: LocalHub
                                                      ) -> None:
    await make_user("agent1")
    await login(client, "agent1")
    host = f"{client.host}:{client.port}"
    for origin in (f"https://{host}", f"http://{client.host}:1", "http://evil.example",
                   "null", f"ftp://{host}"):
        assert await _refused(client, "/ws/live", origin=origin) == 403, origin
    ws = await client.ws_connect("/ws/live", origin=f"http://{host}")
    assert (await _next_event(ws))["type"] == "snapshot"
    await ws.close()


async def test_behind_https_an_http_origin_is_refused(settings: Settings, aiohttp_client: Any
                                                      ) -> None:
    app = create_app(settings.with_(cookie_secure=True))
    app[HUB_KEY] = LocalHub()
    client = await aiohttp_client(app)
    await make_user("agent1")
    # The Secure cookie is not sent back over plain http: carry it by hand.
    response = await client.post("/api/v1/auth/login",
                                 json={"login": "agent1", "password": "correct-horse-1"})
    cookie = response.cookies["prowebcrm_session"].value
    headers = {"Cookie": f"prowebcrm_session={cookie}"}
    host = f"{client.host}:{client.port}"
    assert await _refused(client, "/ws/live", origin=f"http://{host}", headers=headers) == 403
    ws = await client.ws_connect("/ws/live", origin=f"https://{host}", headers=headers)
    assert (await _next_event(ws))["type"] == "snapshot"
    await ws.close()


async def _closed_with(ws: aiohttp.ClientWebSocketResponse, timeout: float = 3.0) -> int | None:
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return ws.close_code


@pytest.mark.parametrize("how", ["sessions_ended", "demoted", "deactivated"])
async def test_an_open_socket_closes_when_its_session_ends(
        client: TestClient, hub: LocalHub, app: web.Application, how: str) -> None:
    app[SERVICES_KEY]["live_recheck_s"] = 0.1
    sup = await make_user("sup", Role.SUPERVISOR)
    await login(client, "sup")
    ws = await client.ws_connect("/ws/live?topics=supervision")
    assert (await _next_event(ws))["type"] == "snapshot"
    if how == "sessions_ended":  # logout everywhere, password change
        await end_sessions(sup)
    elif how == "demoted":
        await User.filter(id=sup.id).update(role=Role.AGENT)
    else:
        await User.filter(id=sup.id).update(active=False)
    assert await _closed_with(ws) == SESSION_ENDED


async def test_an_open_socket_closes_when_its_token_is_revoked(
        client: TestClient, hub: LocalHub, app: web.Application, new_client: Any) -> None:
    app[SERVICES_KEY]["live_recheck_s"] = 0.1
    sup = await make_user("integrator", Role.SUPERVISOR)
    plain = await _token_for(sup)
    api = await new_client()
    ws = await api.ws_connect("/ws/live?topics=integrations",
                              headers={"Authorization": f"Bearer {plain}"})
    assert (await _next_event(ws))["type"] == "snapshot"
    await asyncio.sleep(0.3)  # still allowed: not closed
    hub.publish("call.offered", {"call_id": "c1"}, [INTEGRATIONS])
    assert (await _next_event(ws))["type"] == "call.offered"
    await ApiToken.filter(user_id=sup.id).update(revoked_at=utcnow())
    assert await _closed_with(ws) == SESSION_ENDED
