"""End to end on the real ACD and the simulated Asterisk: an agent's day through the JSON
API, with the screen pops read from the agent's own /ws/live."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientWebSocketResponse

from crm.models import Call, Disposition, PauseReason, User
from tests.console.conftest import GROUP_NUMBER, agent_session, make_group


async def next_event(ws: ClientWebSocketResponse, type_: str, timeout: float = 6.0,
                     **match: Any) -> dict[str, Any]:
    """The next event of this type (and these field values) on the socket."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"no {type_} {match} within {timeout}s"
        message = await ws.receive_json(timeout=left)
        data = message.get("data", {})
        if message["type"] == type_ and all(data.get(k) == v for k, v in match.items()):
            return data


def h(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


async def test_agent_day_through_the_api(product, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    prod, server = product
    alice, c1, t1 = await agent_session(aiohttp_client, server, "alice", name="Alice Agent")
    bob, c2, t2 = await agent_session(aiohttp_client, server, "bob", name="Bob Agent")
    await make_group([alice])
    await prod.reload_groups()
    lunch = await PauseReason.create(code="lunch", label="Lunch")
    sale = await Disposition.create(code="sale", label="Sale")
    prod.sim.phones.add("201", behaviour="manual")
    prod.sim.phones.add("202", behaviour="manual")

    # S6: log in to the ACD with an extension, remembered as the default.
    response = await c1.post("/api/v1/agent/login", json={"extension": "201"}, headers=h(t1))
    assert response.status == 200, await response.text()
    assert (await response.json())["agent"]["state"] == "available"
    assert (await User.get(id=alice.id)).extension == "201"
    console = await (await c1.get("/api/v1/agent/console")).json()
    assert console["default_extension"] == "201" and console["agent"]["extension"] == "201"
    ws1 = await c1.ws_connect("/ws/live")
    assert (await ws1.receive_json())["type"] == "snapshot"

    # S7: an unknown caller: the pop arrives on the agent's socket, without a client.
    prod.sim.place_inbound_call(GROUP_NUMBER, "0612345678")
    pop = await next_event(ws1, "screen.pop", agent_id=alice.id)
    assert pop["client_id"] is None and pop["caller_number"]
    call_id = pop["call_id"]
    await prod.sim.phone("201").answer_when_ringing()
    await prod.until(lambda: prod.state(alice.id) == "on_call", what="alice on call")

    # New client with the caller's number prefilled, attached to the call, a note written.
    response = await c1.post("/api/v1/clients", headers=h(t1), json={
        "last_name": "Dupont", "company": "ACME", "phones": [{"number": pop["caller_number"]}]})
    assert response.status == 201, await response.text()
    client_id = (await response.json())["id"]
    response = await c1.post("/api/v1/agent/call/attach", headers=h(t1),
                             json={"client_id": client_id, "note": "draft"})
    assert response.status == 200, await response.text()
    assert prod.acd.call(call_id).client_id == client_id
    response = await c1.post(f"/api/v1/clients/{client_id}/interventions", headers=h(t1),
                             json={"text": "Asked for a quote", "call_ref": call_id})
    assert response.status == 201, await response.text()
    response = await c1.post("/api/v1/agent/call/hangup", headers=h(t1))
    assert response.status == 200
    await prod.until(lambda: prod.state(alice.id) == "available", what="alice available")
    await _wait_call_row(call_id)
    response = await c1.post("/api/v1/agent/call/wrapup", headers=h(t1), json={
        "call_id": call_id, "client_id": client_id, "disposition_id": sale.id,
        "note": "Quote sent by e-mail"})
    assert response.status == 200, await response.text()
    assert (await Call.get(ref=call_id)).disposition_id == sale.id  # type: ignore[attr-defined]
    notes = await (await c1.get(f"/api/v1/clients/{client_id}/interventions")).json()
    assert [n["text"] for n in notes["items"]] == ["Asked for a quote", "Quote sent by e-mail"]
    assert notes["items"][1]["disposition_label"] == "Sale"

    # The same number in another format: the record pops.
    prod.sim.place_inbound_call(GROUP_NUMBER, "+33 6 12 34 56 78")
    pop = await next_event(ws1, "screen.pop", agent_id=alice.id)
    assert pop["client_id"] == client_id
    call_id = pop["call_id"]
    await prod.sim.phone("201").answer_when_ringing()
    await prod.until(lambda: prod.state(alice.id) == "on_call", what="alice on call again")

    # Transfer with the record to Bob: his pop opens the same client with the note so far.
    response = await c2.post("/api/v1/agent/login", json={"extension": "202"}, headers=h(t2))
    assert response.status == 200, await response.text()
    ws2 = await c2.ws_connect("/ws/live")
    assert (await ws2.receive_json())["type"] == "snapshot"
    directory = await (await c1.get("/api/v1/agent/directory")).json()
    assert {"id": bob.id, "name": "Bob Agent", "state": "available",
            "extension": "202"} in directory["agents"]
    response = await c1.post("/api/v1/agent/call/transfer", headers=h(t1), json={
        "kind": "agent", "value": str(bob.id), "client_id": client_id,
        "note": "Wants to talk about the invoice"})
    assert response.status == 200, await response.text()
    pop2 = await next_event(ws2, "screen.pop", agent_id=bob.id)
    assert pop2["client_id"] == client_id and pop2["note_ref"]
    assert pop2["transferred_from_agent_id"] == alice.id
    note = await (await c2.get(f"/api/v1/agent/notes/{pop2['note_ref']}")).json()
    assert note["text"] == "Wants to talk about the invoice" and note["client_id"] == client_id
    await prod.sim.phone("202").answer_when_ringing()
    await prod.until(lambda: prod.state(bob.id) == "on_call", what="bob on call")

    # S9: logging out is refused during a call, with a message; fine afterwards.
    response = await c2.post("/api/v1/agent/logout", headers=h(t2))
    assert response.status == 409
    assert "call" in (await response.json())["error"]["message"]
    assert prod.state(bob.id) == "on_call"
    assert (await c2.post("/api/v1/agent/call/hangup", headers=h(t2))).status == 200
    await prod.until(lambda: prod.state(bob.id) == "available", what="bob available")

    # Reject: Alice rejects, the call goes to the next agent (Bob, now in the group).
    from crm.models import GroupMember

    group_id = prod.acd.agent(alice.id).groups[0][0]
    await GroupMember.create(user_id=bob.id, group_id=group_id, penalty=5, position=1)
    await prod.reload_groups()
    await prod.acd.refresh_groups(bob.id)
    response = await c2.post("/api/v1/agent/status", headers=h(t2),
                             json={"state": "paused", "reason": "nap"})
    assert response.status == 422  # not a pause reason
    response = await c2.post("/api/v1/agent/status", headers=h(t2),
                             json={"state": "paused", "reason": lunch.code})
    assert response.status == 200 and (await response.json())["agent"]["state"] == "paused"
    prod.sim.place_inbound_call(GROUP_NUMBER, "0611111111")
    await next_event(ws1, "screen.pop", agent_id=alice.id)
    assert (await c2.post("/api/v1/agent/call/reject", headers=h(t2))).status == 409  # not his
    assert (await c2.post("/api/v1/agent/status", headers=h(t2),
                          json={"state": "available"})).status == 200
    response = await c1.post("/api/v1/agent/call/reject", headers=h(t1))
    assert response.status == 200, await response.text()
    await next_event(ws2, "screen.pop", agent_id=bob.id)
    await prod.sim.phone("202").answer_when_ringing()
    await prod.until(lambda: prod.state(bob.id) == "on_call", what="bob took the rejected call")
    assert (await c2.post("/api/v1/agent/call/hangup", headers=h(t2))).status == 200

    # S8 click-to-call: Alice's phone rings first, then the client is dialled.
    await prod.until(lambda: prod.state(alice.id) == "available", what="alice available")
    response = await c1.post("/api/v1/agent/dial", headers=h(t1),
                             json={"number": "0699999999", "client_id": client_id})
    assert response.status == 200, await response.text()
    await prod.sim.phone("201").answer_when_ringing()
    await prod.until(lambda: prod.state(alice.id) == "on_call", what="click-to-call connected")
    response = await c1.post("/api/v1/agent/logout", headers=h(t1))
    assert response.status == 409
    assert (await c1.post("/api/v1/agent/call/hangup", headers=h(t1))).status == 200
    await prod.until(lambda: prod.state(alice.id) == "available", what="alice free")

    # "My day": two queue calls answered (one then transferred to Bob), one rejected, and
    # one click-to-call placed — not a call received; the journal writes a few
    # milliseconds behind the events.
    expected = {"received": 3, "answered": 2, "rejected": 1, "missed": 0, "transferred": 1,
                "placed": 1}
    stats = await _stats_when(c1, expected)
    assert stats["talk_s"] > 0 and stats["aht_s"] is not None and stats["aht_s"] > 0
    bob_stats = await _stats_when(c2, {"received": 2, "answered": 2, "transferred": 0})
    assert bob_stats["pause_s"] > 0  # he was paused (lunch) for a moment
    response = await c1.post("/api/v1/agent/logout", headers=h(t1))
    assert response.status == 200 and (await response.json())["agent"] is None
    await ws1.close()
    await ws2.close()


async def _stats_when(browser: Any, expected: dict[str, int]) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for _ in range(100):
        stats = await (await browser.get("/api/v1/agent/stats")).json()
        if all(stats[k] == v for k, v in expected.items()):
            return stats
        await asyncio.sleep(0.05)
    raise AssertionError(f"stats {stats} never matched {expected}")


async def _wait_call_row(call_ref: str) -> None:
    for _ in range(200):
        if await Call.filter(ref=call_ref).exists():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"call {call_ref} never journaled")
