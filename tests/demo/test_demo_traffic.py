"""The demo's traffic controls: JSON API and admin page (pause, rates, burst), demo only."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from aiohttp.test_utils import TestClient

from crm.models import AuditLog, Role
from prowebcrm.demo import DemoWorld
from prowebcrm.settings import Settings
from tests.demo.conftest import FakeSimulator
from tests.web.webtools import login, make_user, page_csrf
from web.app import create_app

API = "/api/v1/demo/traffic"


def rates(world: DemoWorld) -> dict[str, float]:
    return world.simulator.generator.config.rates


async def test_admin_reads_the_generator_state(admin_client: tuple[TestClient, str]) -> None:
    client, _ = admin_client
    response = await client.get(API)
    assert response.status == 200
    body = await response.json()
    assert body["running"] is False
    assert body["calls_per_minute"] == 4.0
    assert [(g["number"], g["name"], g["calls_per_minute"]) for g in body["groups"]] == [
        ("100", "Ventes", 2.0), ("200", "Support", 1.4), ("300", "VIP", 0.6)]
    assert body["placed"] == 0 and body["waiting"] == 0


async def test_resume_pause_and_rates_reach_the_generator(
        admin_client: tuple[TestClient, str], world: DemoWorld) -> None:
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    response = await client.post(API, json={"running": True, "rates": {"200": 12.5}}, headers=h)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["running"] is True and body["calls_per_minute"] == 15.1
    assert world.simulator.generator.state == "running"
    assert rates(world) == {"100": 2.0, "200": 12.5, "300": 0.6}

    response = await client.post(API, json={"running": False}, headers=h)
    assert (await response.json())["running"] is False
    assert world.simulator.generator.state == "paused"
    assert rates(world)["200"] == 12.5  # pausing keeps the rates
    logged = await AuditLog.filter(action="demo.traffic").order_by("id").values_list(
        "details", flat=True)
    assert logged == [{"running": True, "rates": {"200": 12.5}}, {"running": False}]


async def test_bad_changes_are_422_with_the_field_and_change_nothing(
        admin_client: tuple[TestClient, str], world: DemoWorld) -> None:
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    cases: list[tuple[Any, str]] = [
        ({"rates": {"100": -1}}, "rates.100"),
        ({"rates": {"100": 61}}, "rates.100"),
        ({"rates": {"100": "5"}}, "rates.100"),  # a JSON API: a string is not a number
        ({"rates": {"100": 3, "999": 1}}, "rates.999"),
        ({"running": "yes"}, "running"),
        ({"speed": 3}, "speed"),
    ]
    for payload, field in cases:
        response = await client.post(API, json=payload, headers=h)
        assert response.status == 422, (payload, await response.text())
        assert field in (await response.json())["error"]["fields"], payload
    assert rates(world) == {"100": 2.0, "200": 1.4, "300": 0.6}
    assert world.simulator.generator.state != "running"
    response = await client.post(API, data="rates=3", headers=h)
    assert response.status == 400


async def test_a_burst_places_calls_at_once(admin_client: tuple[TestClient, str],
                                            fake_sim: FakeSimulator) -> None:
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    response = await client.post(f"{API}/burst", json={"count": 3, "group": "300"}, headers=h)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["placed_now"] == 3 and body["traffic"]["placed"] == 3
    assert [g for g, _ in fake_sim.placed] == ["300", "300", "300"]
    response = await client.post(f"{API}/burst", json={"count": 4}, headers=h)
    assert [g for g, _ in fake_sim.placed[3:]] == ["100", "200", "300", "100"]
    for payload, field in (({"count": 0}, "count"), ({"count": 51}, "count"),
                           ({"count": 2, "group": "999"}, "group"), ({}, "count")):
        response = await client.post(f"{API}/burst", json=payload, headers=h)
        assert response.status == 422, payload
        assert field in (await response.json())["error"]["fields"]
    assert len(fake_sim.placed) == 7


async def test_only_an_admin_with_a_csrf_token_controls_traffic(
        client: TestClient, new_client: Any) -> None:
    assert (await client.get(API)).status == 401
    await make_user("sup", Role.SUPERVISOR)
    await make_user("boss", Role.ADMIN)
    token = await login(client, "sup")
    for method, path in (("GET", API), ("POST", API), ("POST", f"{API}/burst"),
                         ("GET", "/admin/traffic")):
        response = await client.request(method, path, json={"count": 1},
                                        headers={"X-CSRF-Token": token},
                                        allow_redirects=False)
        assert response.status == 403, (method, path)
    admin = await new_client()
    await login(admin, "boss")
    response = await admin.post(API, json={"running": True})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "csrf_failed"


async def test_outside_the_demo_it_is_a_404_that_says_why(aiohttp_client: Any,
                                                          settings: Settings) -> None:
    client = await aiohttp_client(create_app(settings))  # serve, not demo
    await make_user("boss", Role.ADMIN)
    csrf = await login(client, "boss")
    response = await client.get(API)
    assert response.status == 404
    assert "demo mode only" in (await response.json())["error"]["message"]
    response = await client.post(f"{API}/burst", json={"count": 1},
                                 headers={"X-CSRF-Token": csrf})
    assert response.status == 404
    page = await client.get("/admin/traffic")
    assert page.status == 404
    text = await page.text()
    assert "demo mode only" in text
    assert 'href="/admin/traffic"' not in text  # and no link to it in the menu


async def test_the_page_shows_state_and_links_it_in_the_admin_menu(
        admin_client: tuple[TestClient, str]) -> None:
    client, _ = admin_client
    page = await client.get("/admin/traffic")
    assert page.status == 200
    html = await page.text()
    assert 'href="/admin/traffic" title="Demo traffic" aria-current="page"' in html
    assert 'data-running="false"' in html and 'id="traffic-resume"' in html
    assert re.search(r'name="rate_200"[^>]*value="1.4"', html)
    assert "Ventes (100)" in html and "VIP (300)" in html


async def test_page_forms_pause_resume_and_set_rates(admin_client: tuple[TestClient, str],
                                                     world: DemoWorld) -> None:
    client, _ = admin_client
    csrf = await page_csrf(client, "/admin/traffic")
    response = await client.post("/admin/traffic", data={"csrf_token": csrf,
                                                         "action": "resume"})
    assert response.status == 200 and str(response.url).endswith("/admin/traffic")
    html = await response.text()
    assert "Generated calls resumed." in html and 'data-running="true"' in html
    assert world.simulator.generator.state == "running"

    response = await client.post("/admin/traffic", data={
        "csrf_token": csrf, "action": "rates", "rate_100": "6", "rate_200": "2,5",
        "rate_300": "0"})
    assert "Rates saved: 8.5 calls per minute in all." in await response.text()
    assert rates(world) == {"100": 6.0, "200": 2.5, "300": 0.0}

    response = await client.post("/admin/traffic", data={"csrf_token": csrf,
                                                         "action": "pause"})
    assert "Generated calls paused." in await response.text()
    assert world.simulator.generator.state == "paused"


async def test_page_shows_field_errors_and_keeps_what_was_typed(
        admin_client: tuple[TestClient, str], world: DemoWorld) -> None:
    client, _ = admin_client
    csrf = await page_csrf(client, "/admin/traffic")
    response = await client.post("/admin/traffic", data={
        "csrf_token": csrf, "action": "rates", "rate_100": "lots", "rate_200": "500",
        "rate_300": "1"})
    assert response.status == 422
    html = await response.text()
    assert "must be a number of calls per minute" in html
    assert "must be between 0 and 60" in html
    assert 'value="lots"' in html and 'value="500"' in html
    assert rates(world) == {"100": 2.0, "200": 1.4, "300": 0.6}

    response = await client.post("/admin/traffic", data={
        "csrf_token": csrf, "action": "burst", "count": "0", "group": "999"})
    assert response.status == 422
    html = await response.text()
    assert "must be at least 1" in html and "unknown group" in html
    assert world.simulator.placed == []  # type: ignore[attr-defined]

    response = await client.post("/admin/traffic", data={"csrf_token": csrf,
                                                         "action": "explode"})
    assert response.status == 400
    response = await client.post("/admin/traffic", data={"action": "pause"})
    assert response.status == 403  # no CSRF field


async def test_page_burst_and_french(admin_client: tuple[TestClient, str],
                                     fake_sim: FakeSimulator) -> None:
    client, _ = admin_client
    csrf = await page_csrf(client, "/admin/traffic")
    await client.post("/lang", data={"csrf_token": csrf, "lang": "fr", "next": "/"})
    response = await client.post("/admin/traffic", data={
        "csrf_token": csrf, "action": "burst", "count": "2", "group": "200"})
    html = unescape(await response.text())
    assert "Appels placés d'un coup : 2." in html
    assert "Trafic de démo" in html and "Envoyer la rafale" in html
    assert fake_sim.placed and [g for g, _ in fake_sim.placed] == ["200", "200"]
