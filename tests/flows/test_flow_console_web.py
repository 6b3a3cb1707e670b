"""The agent console's path end to end through the web layer (S6-S9), on the simulated
Asterisk and on a real one when given: two agents log in over the JSON API with their
extensions, screen pops arrive on their own /ws/live, the call is transferred with its
record, click-to-call rings the agent then the client, and nothing is left in Asterisk.

On a real Asterisk the phones are Local channels into answering dialplan contexts, so every
phone answers at once; the scenario never needs to drive a phone by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from crm import db as crm_db
from crm import passwords
from crm.models import AgentState, Call, CallOutcome, Offer, Role
from prowebcrm.server import build_app
from prowebcrm.settings import Settings
from tests.console.test_console_flow import next_event
from tests.web.webtools import login, make_user
from web.appkeys import RUNTIME_KEY, SERVICES_KEY

from .conftest import Telephony, make_group
from .test_flow_inbound import assert_nothing_left


@pytest.fixture(autouse=True)
def fast_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


class Product:
    """The whole app (web + Stasis application) on the given Asterisk; also what
    assert_nothing_left reads (tel, engine, runtime, settle, until)."""

    def __init__(self, app: web.Application, server: TestClient, tel: Telephony) -> None:
        self.app, self.server, self.tel = app, server, tel

    @property
    def service(self) -> Any:
        return self.app[RUNTIME_KEY]

    @property
    def runtime(self) -> Any:
        return self.app[SERVICES_KEY]["acd_runtime"]

    @property
    def engine(self) -> Any:
        return self.runtime.controller.engine

    async def settle(self) -> None:
        await self.runtime.controller.idle()
        await self.runtime.journal.flush()

    def state(self, agent_id: int) -> str | None:
        view = self.service.agent(agent_id)
        return view.state.value if view else None

    async def until(self, check: Any, timeout: float = 8.0, what: str = "") -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while not (result := check()):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what or check}")
            await asyncio.sleep(0.02)
        return result


@pytest.fixture
async def product(aiohttp_client: Any, flow_settings: Settings, telephony: Telephony
                  ) -> AsyncIterator[Product]:
    def keep_runtime(app: web.Application, runtime: Any) -> None:
        app[SERVICES_KEY]["acd_runtime"] = runtime

    app = build_app(flow_settings, takeover=True, on_acd_ready=keep_runtime)
    server = await aiohttp_client(app)
    product = Product(app, server, telephony)
    await product.until(lambda: app[RUNTIME_KEY] is not None, what="the ACD connected")
    try:
        yield product
    finally:
        await server.close()
        await crm_db.close_db()
        await telephony.clean_up(("pw",))


async def agent_browser(aiohttp_client: Any, product: Product, login_name: str
                        ) -> tuple[Any, TestClient, str]:
    user = await make_user(login_name, Role.AGENT, name=login_name.title())
    browser = await aiohttp_client(product.server.server)
    return user, browser, await login(browser, login_name)


async def test_pop_transfer_with_record_and_click_to_call(aiohttp_client: Any,
                                                          product: Product) -> None:
    tel = product.tel
    alice, c1, t1 = await agent_browser(aiohttp_client, product, "alice")
    bob, c2, t2 = await agent_browser(aiohttp_client, product, "bob")
    group = await make_group("console", [alice], strategy="linear")
    await product.runtime.reload_groups()

    # S6: both agents join the ACD on their extensions and open their live socket.
    sockets = []
    for browser, token, ext in ((c1, t1, "2401"), (c2, t2, "2402")):
        response = await browser.post("/api/v1/agent/login", headers={"X-CSRF-Token": token},
                                      json={"extension": tel.extension(ext)})
        assert response.status == 200, await response.text()
        ws = await browser.ws_connect("/ws/live")
        assert (await ws.receive_json())["type"] == "snapshot"
        sockets.append(ws)
    ws1, ws2 = sockets

    # S7: an unknown caller pops on Alice's socket with the group and the wait.
    await tel.place_inbound(group.number, "0612345678", "Prospect")
    pop = await next_event(ws1, "screen.pop", agent_id=alice.id)
    assert pop["client_id"] is None and pop["caller_number"].endswith("612345678")
    assert pop["group_id"] == group.id
    call_id = pop["call_id"]
    await product.until(lambda: product.state(alice.id) == "on_call", what="alice answers")

    # A new client from the pop, then a blind transfer to Bob carrying the record and note.
    response = await c1.post("/api/v1/clients", headers={"X-CSRF-Token": t1}, json={
        "last_name": "Durand", "company": "Acme", "phones": [{"number": pop["caller_number"]}]})
    assert response.status == 201, await response.text()
    client_id = (await response.json())["id"]
    response = await c1.post("/api/v1/agent/call/transfer", headers={"X-CSRF-Token": t1},
                             json={"kind": "agent", "value": str(bob.id),
                                   "client_id": client_id, "note": "wants a quote"})
    assert response.status == 200, await response.text()
    pop2 = await next_event(ws2, "screen.pop", agent_id=bob.id)
    assert pop2["call_id"] == call_id and pop2["client_id"] == client_id
    assert pop2["transferred_from_agent_id"] == alice.id
    note = await (await c2.get(f"/api/v1/agent/notes/{pop2['note_ref']}")).json()
    assert note["text"] == "wants a quote"
    await product.until(lambda: product.state(bob.id) == "on_call", what="bob answers")
    await product.until(lambda: product.state(alice.id) == "available", what="alice free")

    # S9: no logout during a call; hang-up ends it for the caller too.
    assert (await c2.post("/api/v1/agent/logout", headers={"X-CSRF-Token": t2})).status == 409
    response = await c2.post("/api/v1/agent/call/hangup", headers={"X-CSRF-Token": t2})
    assert response.status == 200, await response.text()
    await product.until(lambda: product.state(bob.id) == "available", what="bob free")

    # S8 click-to-call: Alice's phone first, then the client's number.
    response = await c1.post("/api/v1/agent/dial", headers={"X-CSRF-Token": t1},
                             json={"number": "0699999999", "client_id": client_id})
    assert response.status == 200, await response.text()
    await product.until(lambda: product.state(alice.id) == "on_call", what="click-to-call")
    assert (await c1.post("/api/v1/agent/call/hangup",
                          headers={"X-CSRF-Token": t1})).status == 200
    await product.until(lambda: product.state(alice.id) == "available", what="alice free")
    for browser, token in ((c1, t1), (c2, t2)):
        response = await browser.post("/api/v1/agent/logout", headers={"X-CSRF-Token": token})
        assert response.status == 200, await response.text()
    await ws1.close()
    await ws2.close()

    # The journal: one row per agent who had the call. Alice's ends "transferred" (her talk
    # time), Bob's points back to it and ends answered; both carry the client.
    await product.settle()
    first = await Call.get(ref=call_id)
    assert first.agent_id == alice.id and first.client_id == client_id
    assert first.outcome is CallOutcome.TRANSFERRED and first.talk_s is not None
    second = await Call.get(transferred_from_id=first.id)
    assert second.ref == f"{call_id}/t1"
    assert second.agent_id == bob.id and second.client_id == client_id
    assert second.outcome is CallOutcome.ANSWERED and second.answered_at and second.ended_at
    assert second.started_at >= first.ended_at
    offers = await Offer.filter(call_id__in=(first.id, second.id)).order_by("offered_at")
    assert [(o.call_id, o.agent_id) for o in offers] == [(first.id, alice.id),
                                                        (second.id, bob.id)]
    await assert_nothing_left(product)


async def test_every_logout_leaves_the_acd_first(aiohttp_client: Any, product: Product) -> None:
    """S9 from the top bar (page) and the generic API: refused during a call, and
    afterwards the agent is out of the ACD, not left as a ghost receiving calls."""
    tel = product.tel
    ann, c1, t1 = await agent_browser(aiohttp_client, product, "ann")
    group = await make_group("logout", [ann])
    await product.runtime.reload_groups()
    response = await c1.post("/api/v1/agent/login", headers={"X-CSRF-Token": t1},
                             json={"extension": tel.extension("2501")})
    assert response.status == 200, await response.text()
    await tel.place_inbound(group.number, "0611223344")
    await product.until(lambda: product.state(ann.id) == "on_call", what="ann on call")

    response = await c1.post("/api/v1/auth/logout", headers={"X-CSRF-Token": t1})
    assert response.status == 409 and (await response.json())["error"]["code"] == "on_call"
    page = await c1.post("/logout", data={"csrf_token": t1}, allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/agent"
    assert product.state(ann.id) == "on_call"
    assert (await c1.get("/api/v1/auth/me")).status == 200  # still logged in

    assert (await c1.post("/api/v1/agent/call/hangup",
                          headers={"X-CSRF-Token": t1})).status == 200
    await product.until(lambda: product.state(ann.id) == "available", what="ann free")
    page = await c1.post("/logout", data={"csrf_token": t1}, allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/login"
    assert product.state(ann.id) in (None, "logged_out")
    assert (await c1.get("/api/v1/auth/me")).status == 401
    await assert_nothing_left(product)
    # Each state kept with the phone it was on (the history's login lines show it).
    states = await AgentState.filter(agent_id=ann.id).order_by("id")
    assert states and {s.extension for s in states} == {tel.extension("2501")[:32]}
    assert all(s.ended_at is not None for s in states)
