"""B6: the OpenAPI description stays true to the router and to real responses."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from crm.models import Group
from tests.web.webtools import make_user
from web.api.registry import ApiRoute
from web.routes import API_TABLES


def _declared() -> dict[tuple[str, str], ApiRoute]:
    return {(r.method, r.path): r for table in API_TABLES for r in table}


async def test_every_api_route_is_described_and_vice_versa(client: TestClient) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    described = {(method.upper(), path) for path, ops in document["paths"].items()
                 for method in ops}
    in_router = {(route.method, route.resource.canonical) for route in client.app.router.routes()
                 if route.resource is not None
                 and route.resource.canonical.startswith("/api/v1")
                 and route.method != "HEAD"}
    assert in_router == described
    assert len(described) >= 20


async def test_every_reference_resolves(client: TestClient) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    text = str(document)
    for name in set(re.findall(r"#/components/schemas/([\w.-]+)", text)):
        assert name in document["components"]["schemas"], name


async def test_sample_responses_validate_against_declared_models(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    routes = _declared()
    agent = await make_user("agent1")
    group = await Group.create(name="Sales")
    calls = [
        ("GET", "/api/v1/auth/me", "/api/v1/auth/me", None),
        ("GET", "/api/v1/users", "/api/v1/users", None),
        ("GET", "/api/v1/users/{user_id}", f"/api/v1/users/{agent.id}", None),
        ("PATCH", "/api/v1/users/{user_id}", f"/api/v1/users/{agent.id}", {"name": "A"}),
        ("GET", "/api/v1/users/{user_id}/history", f"/api/v1/users/{agent.id}/history", None),
        ("GET", "/api/v1/groups", "/api/v1/groups", None),
        ("GET", "/api/v1/groups/{group_id}", f"/api/v1/groups/{group.id}", None),
        ("POST", "/api/v1/tokens", "/api/v1/tokens", {"user_id": agent.id, "name": "t"}),
        ("GET", "/api/v1/tokens", "/api/v1/tokens", None),
        ("GET", "/api/v1/audit", "/api/v1/audit", None),
        ("POST", "/api/v1/dispositions", "/api/v1/dispositions", {"code": "ok", "label": "OK"}),
        ("GET", "/api/v1/dispositions", "/api/v1/dispositions", None),
        ("DELETE", "/api/v1/groups/{group_id}", f"/api/v1/groups/{group.id}", None),
    ]
    for method, template, url, body in calls:
        response = await client.request(method, url, json=body, headers=h)
        route = routes[(method, template)]
        assert response.status == route.status, (method, url, await response.text())
        assert route.response is not None
        route.response.model_validate(await response.json())
    # Errors have the declared error shape too.
    from web.api.schemas import ErrorOut

    error = await client.post("/api/v1/users", json={"login": 1}, headers=h)
    ErrorOut.model_validate(await error.json())
