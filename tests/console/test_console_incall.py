"""B11 through the JSON API on the real ACD and the simulated Asterisk: hold / resume,
mute / unmute and DTMF from the agent console, the live events, and the record's hold time."""

from __future__ import annotations

import asyncio

from crm.models import Call
from tests.console.conftest import GROUP_NUMBER, agent_session, make_group
from tests.console.test_console_flow import h, next_event


async def _ended_row(call_ref: str) -> Call:
    for _ in range(300):
        row = await Call.get_or_none(ref=call_ref)
        if row is not None and row.ended_at is not None:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"call {call_ref} never ended in the journal")


async def test_hold_mute_dtmf_from_the_console(product, aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    prod, server = product
    alice, c1, t1 = await agent_session(aiohttp_client, server, "alice", name="Alice Agent")
    await make_group([alice], moh_class="jazz")
    await prod.reload_groups()
    prod.sim.phones.add("201", behaviour="manual")
    assert (await c1.post("/api/v1/agent/login", json={"extension": "201"},
                          headers=h(t1))).status == 200

    # No call: every action is a 409 with a message, never a 500.
    for path, body in (("hold", None), ("resume", None), ("mute", {"muted": True}),
                       ("dtmf", {"digits": "1"})):
        response = await c1.post(f"/api/v1/agent/call/{path}", json=body, headers=h(t1))
        assert response.status == 409, (path, await response.text())
        assert (await response.json())["error"]["message"]
    # Bad digits: 422 before the ACD is asked.
    for digits in ("", "12x", "1" * 33):
        response = await c1.post("/api/v1/agent/call/dtmf", json={"digits": digits},
                                 headers=h(t1))
        assert response.status == 422, digits
    # CSRF as every other action
    assert (await c1.post("/api/v1/agent/call/hold")).status == 403

    ws = await c1.ws_connect("/ws/live")
    assert (await ws.receive_json())["type"] == "snapshot"
    prod.sim.place_inbound_call(GROUP_NUMBER, "0612345678")
    pop = await next_event(ws, "screen.pop", agent_id=alice.id)
    call_id = pop["call_id"]
    await prod.sim.phone("201").answer_when_ringing()
    await prod.until(lambda: prod.state(alice.id) == "on_call", what="alice on call")
    channels = prod.sim.engine.channels
    caller = channels[call_id]
    leg_id = prod.acd.agent(alice.id).leg_id
    await prod.until(lambda: caller.bridge is not None and caller.bridge.bridge_type == "mixing",
                     what="caller bridged with alice")

    response = await c1.post("/api/v1/agent/call/hold", headers=h(t1))
    assert response.status == 200, await response.text()
    assert (await response.json())["call"]["on_hold"] is True
    held = await next_event(ws, "call.held", call_id=call_id)
    assert held["agent_id"] == alice.id
    # the caller is out of the bridge on the group's music; the agent stays in it
    await prod.until(lambda: caller.bridge is None and caller.moh_class == "jazz",
                     what="caller on its own music")
    assert channels[leg_id].bridge is not None
    response = await c1.post("/api/v1/agent/call/hold", headers=h(t1))
    assert response.status == 409
    await asyncio.sleep(0.3)

    response = await c1.post("/api/v1/agent/call/resume", headers=h(t1))
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["call"]["on_hold"] is False and body["call"]["hold_s"] >= 0.3
    resumed = await next_event(ws, "call.resumed", call_id=call_id)
    assert resumed["reason"] == "resumed" and resumed["held_s"] >= 0.3
    await prod.until(lambda: caller.bridge is not None and caller.moh_class is None,
                     what="caller back with alice")
    assert caller.bridge is channels[leg_id].bridge

    response = await c1.post("/api/v1/agent/call/mute", json={"muted": True}, headers=h(t1))
    assert response.status == 200 and (await response.json())["call"]["agent_muted"] is True
    assert (await next_event(ws, "agent.muted", call_id=call_id))["muted"] is True
    await prod.until(lambda: channels[leg_id].muted == {"in"}, what="agent leg muted in")
    response = await c1.post("/api/v1/agent/call/mute", json={"muted": False}, headers=h(t1))
    assert response.status == 200 and (await response.json())["call"]["agent_muted"] is False
    await prod.until(lambda: not channels[leg_id].muted, what="agent leg unmuted")

    response = await c1.post("/api/v1/agent/call/dtmf", json={"digits": "12#*A"},
                             headers=h(t1))
    assert response.status == 200, await response.text()
    await prod.until(lambda: caller.dtmf_sent == ["12#*A"], what="digits sent to the caller")

    assert (await c1.post("/api/v1/agent/call/hangup", headers=h(t1))).status == 200
    row = await _ended_row(call_id)
    assert row.hold_s >= 0.3 and row.talk_s is not None
    assert abs(row.hold_s - body["call"]["hold_s"]) < 1e-3  # one hold period, over
    await ws.close()
