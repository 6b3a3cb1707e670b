"""What the console and the client pages list: the transfer targets (only colleagues logged
into the ACD, available first), a frequent caller's latest interventions, and the client
list shown before any search (a page by last name, the search narrowing it)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from crm import clients, interventions
from crm.models import Role
from tests.console.conftest import agent_session, make_group
from tests.web.webtools import login, make_user


def h(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


async def directory_of(browser: TestClient) -> list[tuple[str, str]]:
    response = await browser.get("/api/v1/agent/directory")
    assert response.status == 200, await response.text()
    return [(a["name"], a["state"]) for a in (await response.json())["agents"]]


async def test_transfer_targets_are_colleagues_in_the_acd(product, aiohttp_client  # type: ignore[no-untyped-def]
                                                          ) -> None:
    prod, server = product
    alice, c1, t1 = await agent_session(aiohttp_client, server, "alice", name="Alice Martin")
    bob, c2, t2 = await agent_session(aiohttp_client, server, "bob", name="Bob Durand")
    # Alphabetically first, but paused: listed after the available colleagues.
    anna, c3, t3 = await agent_session(aiohttp_client, server, "anna", name="Anna Petit")
    await make_user("dave", Role.AGENT, name="Dave Offline")  # never logs in to the ACD
    sup = await make_user("sup", Role.SUPERVISOR, name="Sophie Lambert")
    c4 = await aiohttp_client(server.server)
    t4 = await login(c4, "sup")
    await make_group([alice, bob, anna])
    await prod.reload_groups()

    # Nobody else in the ACD yet: an empty list, not logged-out names.
    assert (await (await c1.post("/api/v1/agent/login", json={"extension": "201"},
                                 headers=h(t1))).json())["agent"]["state"] == "available"
    assert await directory_of(c1) == []

    for browser, token, extension, paused in ((c2, t2, "202", False), (c3, t3, "203", True)):
        response = await browser.post("/api/v1/agent/login", headers=h(token),
                                      json={"extension": extension, "paused": paused})
        assert response.status == 200, await response.text()
    assert await directory_of(c1) == [("Bob Durand", "available"), ("Anna Petit", "paused")]
    # Each agent sees the others, never themselves.
    assert await directory_of(c2) == [("Alice Martin", "available"), ("Anna Petit", "paused")]
    bob_entry = (await (await c1.get("/api/v1/agent/directory")).json())["agents"][0]
    assert bob_entry == {"id": bob.id, "name": "Bob Durand", "state": "available",
                         "extension": "202"}

    # Nobody available: the busy ones are still listed (so the agent sees why).
    response = await c2.post("/api/v1/agent/status", headers=h(t2), json={"state": "paused"})
    assert response.status == 200, await response.text()
    assert await directory_of(c1) == [("Anna Petit", "paused"), ("Bob Durand", "paused")]

    # A supervisor appears only while taking calls in the ACD.
    assert "Sophie Lambert" not in dict(await directory_of(c1))
    response = await c4.post("/api/v1/agent/login", headers=h(t4), json={"extension": "204"})
    assert response.status == 200, await response.text()
    assert await directory_of(c1) == [("Sophie Lambert", "available"), ("Anna Petit", "paused"),
                                      ("Bob Durand", "paused")]
    assert sup.id != alice.id
    # Logged out again: gone from the list.
    response = await c2.post("/api/v1/agent/logout", headers=h(t2))
    assert response.status == 200, await response.text()
    assert "Bob Durand" not in dict(await directory_of(c1))
    # The groups are still there for a transfer to a group.
    groups = (await (await c1.get("/api/v1/agent/directory")).json())["groups"]
    assert [g["number"] for g in groups] == ["500"]


async def frequent_caller(agent: Any, notes: int) -> int:
    client = await clients.create_client({"last_name": "Often", "phones": [
        {"number": "0611223344"}]}, region="FR", actor=agent)
    for n in range(1, notes + 1):
        await interventions.add_intervention(client.id, {"text": f"note {n}"}, agent=agent)
    return client.id


async def test_latest_interventions_oldest_first(client: TestClient) -> None:
    agent = await make_user("agent1", Role.AGENT)
    await login(client, "agent1")
    cid = await frequent_caller(agent, 13)

    data = await (await client.get(f"/api/v1/clients/{cid}/interventions",
                                   params={"last": "10"})).json()
    assert data["total"] == 13
    assert [i["text"] for i in data["items"]] == [f"note {n}" for n in range(4, 14)]
    # Without ?last, the whole history, oldest first, as before.
    data = await (await client.get(f"/api/v1/clients/{cid}/interventions")).json()
    assert data["total"] == 13 and [i["text"] for i in data["items"]][:2] == ["note 1", "note 2"]
    # More than there are: all of them.
    data = await (await client.get(f"/api/v1/clients/{cid}/interventions",
                                   params={"last": "50"})).json()
    assert len(data["items"]) == 13
    for bad in ("0", "-3", "ten", "10001"):
        response = await client.get(f"/api/v1/clients/{cid}/interventions", params={"last": bad})
        assert response.status == 400, bad
    response = await client.get("/api/v1/clients/999999/interventions", params={"last": "10"})
    assert response.status == 404


async def make_clients(actor: Any) -> None:
    """30 clients whose last names sort differently from their creation order."""
    for n in range(30):
        await clients.create_client({"last_name": f"Name{29 - n:02d}", "first_name": "Jo",
                                     "city": "Lyon" if n % 3 == 0 else "Paris",
                                     "phones": [{"number": f"06123456{n:02d}"}]},
                                    region="FR", actor=actor)


def row_names(html: str) -> list[str]:
    return re.findall(r'class="result-pick" href="/clients/\d+"><strong>([^<]+)</strong>', html)


async def test_client_list_before_any_search(client: TestClient) -> None:
    agent = await make_user("agent1", Role.AGENT)
    response = await client.get("/clients", allow_redirects=False)
    assert response.status in (302, 303) and "/login" in response.headers["Location"]
    await login(client, "agent1")
    await make_clients(agent)

    html = await (await client.get("/clients")).text()
    assert row_names(html) == [f"Name{n:02d}" for n in range(25)]
    assert "30 in all, sorted by last name." in html
    assert "1–25 of 30" in html and 'href="/clients?q=&amp;offset=25"' in html
    assert "06 12 34 56 29" in html  # Name00's phone, as French agents write it

    html = await (await client.get("/clients", params={"offset": "25"})).text()
    assert row_names(html) == [f"Name{n:02d}" for n in range(25, 30)]
    # A hand-edited offset does not break the page.
    html = await (await client.get("/clients", params={"offset": "-4"})).text()
    assert row_names(html)[0] == "Name00"

    # The search narrows the same list; htmx asks for the table alone.
    html = await (await client.get("/clients", params={"q": "lyon"})).text()
    assert row_names(html) == [f"Name{29 - n:02d}" for n in range(27, -1, -3)]
    assert "Results for “lyon”: 10, sorted by last name." in html
    partial = await (await client.get("/clients", params={"q": "name07"},
                                      headers={"HX-Request": "true"})).text()
    assert row_names(partial) == ["Name07"] and "<html" not in partial
    html = await (await client.get("/clients", params={"q": "nobody-like-that"})).text()
    assert row_names(html) == [] and "No client found." in html
    html = await (await client.get("/clients", params={"q": "<b>x" * 100})).text()
    # Escaped, and cut to the search API's 128 characters.
    assert "<b>x" not in html and f'value="{"&lt;b&gt;x" * 32}"' in html


async def test_client_list_in_french_and_empty(client: TestClient) -> None:
    await make_user("agent1", Role.AGENT, language="fr")
    await login(client, "agent1")
    html = await (await client.get("/clients")).text()
    assert "Aucun client pour l'instant." in html
    assert "0 au total, triés par nom de famille." in html
