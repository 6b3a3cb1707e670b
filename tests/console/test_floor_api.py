"""Issue 14 through the JSON API: one extension per person at ACD login."""

from __future__ import annotations

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
