"""Issue 14 through the JSON API: one extension per person at ACD login; the wrap-up's
countdown, extensions, limit and required outcome."""

from __future__ import annotations

import asyncio

from crm.models import Role, User
from tests.console.conftest import agent_session, make_group
from tests.web.webtools import make_user


def h(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


async def test_acd_login_refuses_an_extension_in_use(product, aiohttp_client  # type: ignore[no-untyped-def]
                                                     ) -> None:
    prod, server = product
    alice, c1, t1 = await agent_session(aiohttp_client, server, "alice", name="Alice Martin")
    bob, c2, t2 = await agent_session(aiohttp_client, server, "bob", name="Bob Durand",
                                      extension="202")
    await make_user("carl", Role.AGENT, name="Carl Petit", extension="209")
    await make_group([alice, bob])
    await prod.reload_groups()

    response = await c1.post("/api/v1/agent/login", json={"extension": "201"}, headers=h(t1))
    assert response.status == 200, await response.text()
    response = await c2.post("/api/v1/agent/login", json={"extension": "201"}, headers=h(t2))
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "extension_in_use"
    assert error["fields"] == {"extension": "extension 201 is in use by Alice Martin"}
    assert prod.state(bob.id) is None

    # Carl's phone, Carl away: Bob may sit there, but it does not become his default.
    response = await c2.post("/api/v1/agent/login", json={"extension": "209"}, headers=h(t2))
    assert response.status == 200, await response.text()
    assert (await User.get(id=bob.id)).extension == "202"
    # Alice's own new phone is remembered for her next login.
    response = await c1.post("/api/v1/agent/logout", headers=h(t1))
    assert response.status == 200
    response = await c1.post("/api/v1/agent/login", json={"extension": "211"}, headers=h(t1))
    assert response.status == 200
    assert (await User.get(id=alice.id)).extension == "211"


async def test_wrapup_extend_limit_and_required_outcome(product, aiohttp_client  # type: ignore[no-untyped-def]
                                                        ) -> None:
    from crm.models import Disposition
    from tests.console.conftest import GROUP_NUMBER
    from web.wrapup import MAX_WRAPUP_S

    prod, server = product
    alice, c1, t1 = await agent_session(aiohttp_client, server, "alice", name="Alice Martin")
    await make_group([alice], wrapup_s=5, wrapup_extend_s=30, wrapup_requires_outcome=True)
    await prod.reload_groups()
    sale = await Disposition.create(code="sale", label="Sale", label_fr="Vente")
    prod.sim.phones.add("201", behaviour="auto_answer")
    response = await c1.post("/api/v1/agent/login", json={"extension": "201"}, headers=h(t1))
    assert response.status == 200, await response.text()
    prod.sim.place_inbound_call(GROUP_NUMBER, "0612345678")
    await prod.until(lambda: prod.state(alice.id) == "on_call", what="alice on the call")
    call_id = prod.acd.agent(alice.id).call_id
    response = await c1.post("/api/v1/agent/call/hangup", headers=h(t1))
    status = await response.json()
    wrapup = status["wrapup"]
    # The console is told which call the wrap-up follows, when it ends and what it allows.
    assert wrapup["call_id"] == call_id and wrapup["requires_outcome"] is True
    assert wrapup["ends_at"] == wrapup["started_at"] + 5
    assert wrapup["limit_at"] == wrapup["started_at"] + MAX_WRAPUP_S

    # Each extension adds the group's step to the time left, on the ACD's own timer.
    extended = (await (await c1.post("/api/v1/agent/call/wrapup/extend", headers=h(t1))
                       ).json())["wrapup"]
    assert extended["ends_at"] >= wrapup["ends_at"] + 30 - 0.5
    await asyncio.sleep(6)
    assert prod.state(alice.id) == "wrapup"  # past the 5 s: the extension holds
    # Up to the limit, and no further.
    for _ in range(40):
        response = await c1.post("/api/v1/agent/call/wrapup/extend", headers=h(t1))
        if response.status != 200:
            break
        assert (await response.json())["wrapup"]["ends_at"] <= wrapup["limit_at"]
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "wrapup_limit"

    # The group requires an outcome: finishing without one is refused, with one it ends.
    body = {"call_id": call_id, "note": "", "done": True}
    response = await c1.post("/api/v1/agent/call/wrapup", json=body, headers=h(t1))
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "outcome_required" and "disposition_id" in error["fields"]
    assert prod.state(alice.id) == "wrapup"
    response = await c1.post("/api/v1/agent/call/wrapup", headers=h(t1),
                             json={**body, "disposition_id": sale.id})
    assert response.status == 200, await response.text()
    assert prod.state(alice.id) == "available"
    # Nothing left to extend.
    response = await c1.post("/api/v1/agent/call/wrapup/extend", headers=h(t1))
    assert response.status == 409 and (await response.json())["error"]["code"] == "not_in_wrapup"
