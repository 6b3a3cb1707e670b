"""Item 10: edge values never give a 500; each gets a clear 4xx with a message."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from crm.models import Group, Role
from tests.web.webtools import login, make_user, page_csrf

UNICODE_IDS = ["²", "٣", "１", "³⁴", "9" * 30, "0", "-1", "1e3"]
HUGE = 2**63
HUGER = 2**64 + 7


async def _api_4xx(response: ClientResponse) -> dict[str, Any]:
    text = await response.text()
    assert 400 <= response.status < 500, (response.status, response.url, text[:300])
    body = await response.json()
    assert body["error"]["message"], body
    return body


@pytest.fixture
async def admin_session(client: TestClient) -> tuple[TestClient, dict[str, str]]:
    await make_user("admin", Role.ADMIN)
    csrf = await login(client, "admin")
    return client, {"X-CSRF-Token": csrf}


@pytest.mark.parametrize("value", UNICODE_IDS)
async def test_unicode_and_oversized_ids_in_api_paths(admin_session: Any, value: str) -> None:
    client, headers = admin_session
    for method, path in (
        ("GET", "/api/v1/users/{}"), ("PATCH", "/api/v1/users/{}"),
        ("DELETE", "/api/v1/users/{}"), ("GET", "/api/v1/users/{}/history"),
        ("GET", "/api/v1/clients/{}"), ("GET", "/api/v1/clients/{}/interventions"),
        ("GET", "/api/v1/clients/{}/calls"), ("DELETE", "/api/v1/clients/1/phones/{}"),
        ("GET", "/api/v1/groups/{}"), ("DELETE", "/api/v1/tokens/{}"),
        ("PATCH", "/api/v1/pause-reasons/{}"), ("DELETE", "/api/v1/dispositions/{}"),
        ("GET", "/api/v1/stats/agents/{}/calls"), ("GET", "/api/v1/stats/agents/{}/actions"),
        ("POST", "/api/v1/supervision/agents/{}/pause"),
    ):
        response = await client.request(method, path.format(value), json={},
                                        headers=headers)
        await _api_4xx(response)


@pytest.mark.parametrize("value", ["²", "٣", "9" * 30])
async def test_unicode_ids_in_admin_pages(admin_session: Any, value: str) -> None:
    client, _ = admin_session
    csrf = await page_csrf(client, "/admin/users")
    for path in (f"/admin/users/{value}", f"/admin/users/{value}/history",
                 f"/admin/groups/{value}"):
        response = await client.get(path)
        assert response.status == 404, path
    for path in (f"/admin/users/{value}", f"/admin/users/{value}/delete",
                 f"/admin/groups/{value}", f"/admin/groups/{value}/delete",
                 f"/admin/tokens/{value}/revoke", f"/admin/reference/pause_reason/{value}",
                 f"/admin/reference/disposition/{value}/delete"):
        response = await client.post(path, data={"csrf_token": csrf}, allow_redirects=False)
        assert 400 <= response.status < 500, (path, response.status)


@pytest.mark.parametrize("value", ["²", "١,2", "1,٣", "9" * 30, "-1", "1;2"])
async def test_unicode_ids_in_stats_filters(admin_session: Any, value: str) -> None:
    client, _ = admin_session
    for name in ("groups", "agents"):
        for path in ("/api/v1/stats/report", "/api/v1/stats/report.csv"):
            response = await client.get(path, params={"report": "calls_per_day",
                                                      name: value})
            assert (await _api_4xx(response))["error"]["fields"], (path, name, value)


@pytest.mark.parametrize("dates", [
    ("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-01"), ("0001-01-01", "9999-12-31"),
    ("9999-12-30", "9999-12-31"), ("99999-01-01", "99999-01-02"), ("２０２４-01-01", "2024-01-02"),
])
async def test_extreme_years_in_stats_ranges(admin_session: Any, dates: tuple[str, str]
                                             ) -> None:
    client, _ = admin_session
    start, end = dates
    agent = await make_user("agent9")
    for path, params in (
        ("/api/v1/stats/report", {"report": "calls_per_day"}),
        ("/api/v1/stats/report.csv", {"report": "kpis", "granularity": "hour"}),
        (f"/api/v1/stats/agents/{agent.id}/calls", {}),
        (f"/api/v1/stats/agents/{agent.id}/actions", {}),
    ):
        response = await client.get(path, params={**params, "from": start, "to": end})
        await _api_4xx(response)
    page = await client.get("/stats", params={"from": start, "to": end})
    assert page.status < 500


async def test_unicode_digits_as_overflow_target(admin_session: Any) -> None:
    client, headers = admin_session
    await Group.create(name="Backup")
    for target in ("²", "٣", "9" * 30):
        response = await client.post("/api/v1/groups", headers=headers, json={
            "name": f"Main {len(target)}", "overflow_kind": "group",
            "overflow_target": target})
        await _api_4xx(response)


@pytest.mark.parametrize("number", [HUGE, HUGER, -HUGE, 2**31])
async def test_huge_integers_in_json_ids(admin_session: Any, number: int) -> None:
    client, headers = admin_session
    group = await Group.create(name="Sales")
    user = await make_user("bob")
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/v1/tokens", {"user_id": number, "name": "x"}),
        ("POST", "/api/v1/users", {"login": "carl", "name": "Carl",
                                   "password": "a-long-pass-phrase-9",
                                   "groups": [{"group_id": number}]}),
        ("PATCH", f"/api/v1/users/{user.id}", {"groups": [{"group_id": number}]}),
        ("PATCH", f"/api/v1/groups/{group.id}", {"members": [{"user_id": number}]}),
        ("POST", "/api/v1/clients", {"last_name": "X", "assigned_agent_id": number}),
        ("POST", "/api/v1/agent/call/wrapup", {"call_id": "c1", "disposition_id": number}),
        ("POST", "/api/v1/agent/call/wrapup", {"call_id": "c1", "client_id": number}),
        ("POST", "/api/v1/agent/dial", {"number": "0123", "client_id": number}),
        ("POST", "/api/v1/agent/call/note", {"text": "x", "client_id": number}),
    ]
    client_resp = await client.post("/api/v1/clients", headers=headers,
                                    json={"last_name": "Y"})
    client_id = (await client_resp.json())["id"]
    cases += [
        ("PATCH", f"/api/v1/clients/{client_id}", {"assigned_agent_id": number}),
        ("POST", f"/api/v1/clients/{client_id}/interventions",
         {"text": "hello", "disposition_id": number}),
    ]
    for method, path, body in cases:
        response = await client.request(method, path, json=body, headers=headers)
        await _api_4xx(response)


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_deeply_nested_json(admin_session: Any, depth: int) -> None:
    client, headers = admin_session
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
                 '{"login": ' + "[" * depth + "]" * depth + "}"):
        response = await client.post("/api/v1/users", data=body.encode(),
                                     headers={**headers, "Content-Type": "application/json"})
        await _api_4xx(response)
