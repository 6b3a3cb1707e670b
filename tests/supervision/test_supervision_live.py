"""S5 with the real ACD on the simulated Asterisk: the live picture over /ws/live and the
supervisor's forced actions, each audited and told to the agent concerned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from crm.models import AuditLog, Group, GroupMember, Role
from stasis_app.acd.inputs import PhoneStateChanged
from stasis_app.acd.model import PhoneState
from tests.supervision.conftest import until
from tests.web.webtools import login, make_user
from web.appkeys import RUNTIME_KEY, SERVICES_KEY


class Live:
    """One browser's /ws/live: keeps every message, waits for the one a test expects."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    async def wait(self, type_: str, check: Any = lambda d: True, timeout: float = 8.0
                   ) -> dict[str, Any]:
        for msg in self.seen:
            if msg["type"] == type_ and check(msg["data"]):
                return msg["data"]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {type_} event; saw {[m['type'] for m in self.seen]}")
            msg = await self.ws.receive_json(timeout=left)
            self.seen.append(msg)
            if msg["type"] == type_ and check(msg["data"]):
                return msg["data"]


@pytest.fixture
async def center(aiohttp_client: Any, acd_app: tuple[web.Application, TestClient], sim: Any
                 ) -> AsyncIterator[dict[str, Any]]:
    app, sup_client = acd_app
    sup = await make_user("sup", Role.SUPERVISOR, name="Sue Supervisor")
    ann = await make_user("ann", Role.AGENT, name="Ann Agent")
    bob = await make_user("bob", Role.AGENT, name="Bob Agent")
    sales = await Group.create(name="Sales", number="3001", ring_timeout_s=3, wrapup_s=0,
                               autopause_after=0)
    help_ = await Group.create(name="Help", number="3002", ring_timeout_s=3, wrapup_s=0,
                               autopause_after=0)
    for pos, agent in enumerate((ann, bob)):
        await GroupMember.create(user=agent, group=sales, penalty=0, position=pos)
    await app[SERVICES_KEY]["rt"].reload_groups()
    token = await login(sup_client, "sup")
    browsers = {}
    for user in (ann, bob):
        browser = await aiohttp_client(sup_client.server)
        await login(browser, user.login)
        browsers[user.id] = Live(await browser.ws_connect("/ws/live"))
    supervisor_ws = Live(await sup_client.ws_connect("/ws/live"))
    snapshot = await supervisor_ws.wait("snapshot")
    assert snapshot["acd"] is True
    yield {"app": app, "client": sup_client, "token": token, "sup": sup, "ann": ann,
           "bob": bob, "sales": sales, "help": help_, "sim": sim, "ws": supervisor_ws,
           "agents_ws": browsers, "acd": app[RUNTIME_KEY]}
    # open WebSockets would hold the server's shutdown for its whole grace period
    for live in (supervisor_ws, *browsers.values()):
        await live.ws.close()


async def post(c: dict[str, Any], url: str, body: dict[str, Any], status: int = 200) -> Any:
    response = await c["client"].post(url, json=body, headers={"X-CSRF-Token": c["token"]})
    data = await response.json()
    assert response.status == status, data
    return data


async def log_in_agents(c: dict[str, Any]) -> None:
    for user, ext in ((c["ann"], "2001"), (c["bob"], "2002")):
        c["sim"].phones.add(ext, behaviour="auto_answer", answer_delay=0.05)
        await c["acd"].login(user.id, ext)


def state(c: dict[str, Any], agent_id: int) -> str | None:
    view = c["acd"].agent(agent_id)
    return view.state.value if view else None


async def test_supervisor_sees_queue_and_agents_live(center: dict[str, Any]) -> None:
    c = center
    ws: Live = c["ws"]
    c["sim"].phones.add("2001", behaviour="never_answer")
    await c["acd"].login(c["ann"].id, "2001")
    login_event = await ws.wait("agent.state_changed", lambda d: d["agent_id"] == c["ann"].id)
    assert login_event["new"] == "available"
    c["sim"].place_inbound_call(c["sales"].number, "+33612345678", "Jean Dupont")
    queued = await ws.wait("queue.changed",
                           lambda d: d["group_id"] == c["sales"].id and d["entries"])
    assert queued["entries"][0]["caller_number"] == "+33612345678"
    assert queued["entries"][0]["caller_name"] == "Jean Dupont"
    ringing = await ws.wait("agent.state_changed",
                            lambda d: d["agent_id"] == c["ann"].id and d["new"] == "ringing")
    assert ringing["call_id"]
    # the JSON snapshot shows the same picture, with names for the page
    snap = await (await c["client"].get("/api/v1/supervision/snapshot")).json()
    assert snap["acd"] is True and snap["names"]["groups"][str(c["sales"].id)] == "Sales"
    assert [a["agent_id"] for a in snap["agents"]] == [c["ann"].id]
    assert snap["calls"][0]["caller_number"] == "+33612345678"
    board = await (await c["client"].get("/api/v1/supervision/wallboard")).json()
    assert board["acd"] is True and board["agents_by_state"] == {"ringing": 1}
    sales = next(g for g in board["groups"] if g["group_id"] == c["sales"].id)
    assert sales["waiting"] == 1 and sales["longest_wait_s"] is not None


async def test_force_reject_requeues_and_another_agent_takes_it(center: dict[str, Any]
                                                                 ) -> None:
    c = center
    await log_in_agents(c)
    c["sim"].place_inbound_call(c["sales"].number, "+33611111111", "Caller One")
    first = await until(lambda: next((a for a in (c["ann"], c["bob"])
                                      if state(c, a.id) == "on_call"), None), what="answer")
    other = c["bob"] if first is c["ann"] else c["ann"]
    call_id = c["acd"].agent(first.id).call_id
    result = await post(c, "/api/v1/supervision/calls/reject", {"call_id": call_id})
    assert result["action"] == "reject"
    await until(lambda: state(c, other.id) == "on_call", what="the other agent to take it")
    assert c["acd"].call(call_id).agent_id == other.id
    told = await c["agents_ws"][first.id].wait("supervisor.action")
    assert told["action"] == "reject" and told["call_id"] == call_id
    assert told["supervisor_name"] == "Sue Supervisor"
    entry = await AuditLog.get(action="supervision.reject")
    assert entry.actor_id == c["sup"].id and entry.target_id == call_id
    assert entry.details["agent_id"] == first.id

    # then hang it up: the call ends, the agent is told, it is audited
    await post(c, "/api/v1/supervision/calls/hangup", {"call_id": call_id})
    await until(lambda: c["acd"].call(call_id) is None, what="the call to end")
    told = await c["agents_ws"][other.id].wait("supervisor.action",
                                               lambda d: d["action"] == "hangup")
    assert told["call_id"] == call_id
    assert await AuditLog.filter(action="supervision.hangup", target_id=call_id).count() == 1
    # an unknown call is a 404, not a silent success
    await post(c, "/api/v1/supervision/calls/hangup", {"call_id": call_id}, status=404)


async def test_force_transfer_to_an_agent_and_a_group(center: dict[str, Any]) -> None:
    c = center
    await log_in_agents(c)
    await c["acd"].pause(c["bob"].id, "lunch")
    c["sim"].place_inbound_call(c["sales"].number, "+33622222222")
    await until(lambda: state(c, c["ann"].id) == "on_call", what="ann on call")
    call_id = c["acd"].agent(c["ann"].id).call_id
    await c["acd"].unpause(c["bob"].id)
    await post(c, "/api/v1/supervision/calls/transfer",
               {"call_id": call_id, "kind": "agent", "value": str(c["bob"].id)})
    await until(lambda: state(c, c["bob"].id) == "on_call", what="bob takes the transfer")
    told = await c["agents_ws"][c["ann"].id].wait("supervisor.action")
    assert told["action"] == "transfer" and told["to"] == c["bob"].id
    entry = await AuditLog.get(action="supervision.transfer")
    assert entry.details["to_kind"] == "agent" and entry.details["agent_id"] == c["ann"].id

    # bad targets are refused before the ACD is asked
    await post(c, "/api/v1/supervision/calls/transfer",
               {"call_id": call_id, "kind": "group", "value": "99999"}, status=404)
    await post(c, "/api/v1/supervision/calls/transfer",
               {"call_id": call_id, "kind": "planet", "value": "1"}, status=422)
    # to a group: the caller re-enters that queue (nobody serves Help)
    bob_call = c["acd"].agent(c["bob"].id).call_id
    await post(c, "/api/v1/supervision/calls/transfer",
               {"call_id": bob_call, "kind": "group", "value": str(c["help"].id)})
    await c["ws"].wait("queue.changed",
                       lambda d: d["group_id"] == c["help"].id and len(d["entries"]) == 1)


async def test_pause_and_logout_an_agent(center: dict[str, Any]) -> None:
    c = center
    await log_in_agents(c)
    ann = c["ann"]
    await post(c, f"/api/v1/supervision/agents/{ann.id}/pause", {"reason": "meeting"})
    await until(lambda: state(c, ann.id) == "paused")
    assert c["acd"].agent(ann.id).reason == "meeting"
    told = await c["agents_ws"][ann.id].wait("supervisor.action")
    assert told["action"] == "pause" and told["reason"] == "meeting"
    await post(c, f"/api/v1/supervision/agents/{ann.id}/logout", {})
    await until(lambda: state(c, ann.id) in (None, "logged_out"), what="ann logged out")
    await c["agents_ws"][ann.id].wait("supervisor.action", lambda d: d["action"] == "logout")
    actions = sorted(await AuditLog.filter(target_type="user", target_id=str(ann.id),
                                           action__startswith="supervision.")
                     .values_list("action", flat=True))
    assert actions == ["supervision.logout", "supervision.pause"]
    # not logged in any more: 404 with a message
    body = await post(c, f"/api/v1/supervision/agents/{ann.id}/pause", {}, status=404)
    assert "not logged in" in body["error"]["message"]


async def test_listen_whisper_barge(center: dict[str, Any]) -> None:
    c = center
    await log_in_agents(c)
    c["sim"].place_inbound_call(c["sales"].number, "+33633333333")
    agent = await until(lambda: next((a for a in (c["ann"], c["bob"])
                                      if state(c, a.id) == "on_call"), None))
    call_id = c["acd"].agent(agent.id).call_id
    c["sim"].phones.add("2999", behaviour="auto_answer", answer_delay=0.05)
    body = {"call_id": call_id, "mode": "whisper", "extension": "2999"}
    if not hasattr(c["acd"], "spy"):
        data = await post(c, "/api/v1/supervision/calls/spy", body, status=501)
        assert "not available" in data["error"]["message"]
        return
    data = await post(c, "/api/v1/supervision/calls/spy", body)
    assert data["details"]["spy_id"]
    await c["agents_ws"][agent.id].wait("supervisor.action", lambda d: d["action"] == "whisper")
    await post(c, "/api/v1/supervision/spies/stop", {"spy_id": data["details"]["spy_id"]})


async def test_actions_need_a_supervisor(center: dict[str, Any], aiohttp_client: Any) -> None:
    c = center
    agent_browser = await aiohttp_client(c["client"].server)
    token = await login(agent_browser, "ann")
    response = await agent_browser.post("/api/v1/supervision/calls/hangup",
                                        json={"call_id": "x"}, headers={"X-CSRF-Token": token})
    assert response.status == 403
    # CSRF is required of a session
    response = await c["client"].post("/api/v1/supervision/calls/hangup", json={"call_id": "x"})
    assert response.status == 403


async def test_phone_state_reaches_supervision_and_the_agent(center: dict[str, Any]) -> None:
    """Issue 12: what Asterisk says of an agent's phone is pushed to supervision (its tag) and
    to the agent's console (the status carries it), and is in the snapshot."""
    c = center
    await log_in_agents(c)
    runtime = c["app"][SERVICES_KEY]["rt"]
    runtime.controller.submit(PhoneStateChanged(now=runtime.controller.clock(),
                                                extension="2001",
                                                state=PhoneState.UNREACHABLE))
    seen = await c["ws"].wait("agent.phone_changed", lambda d: d["agent_id"] == c["ann"].id)
    assert (seen["phone"], seen["offered"], seen["extension"]) == ("unreachable", False, "2001")
    own = await c["agents_ws"][c["ann"].id].wait("agent.phone_changed")
    assert own["status"]["agent"]["phone"] == "unreachable"
    snap = await (await c["client"].get("/api/v1/supervision/snapshot")).json()
    ann = next(a for a in snap["agents"] if a["agent_id"] == c["ann"].id)
    assert ann["phone"] == "unreachable" and ann["state"] == "available"
    # a caller now goes to Bob, whose phone is fine
    c["sim"].place_inbound_call(c["sales"].number, "+33612121212", "Phone State")
    await until(lambda: state(c, c["bob"].id) == "on_call", what="Bob takes the call")
    assert state(c, c["ann"].id) == "available"
