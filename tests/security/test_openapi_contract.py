"""Item 14: the OpenAPI document says what the API does: null only where null is accepted,
enums where a free string is really a choice, CSV as CSV, and 405 for a method a path does
not take (never a 400/422 from a route that matched by accident)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pydantic import ValidationError

from crm.models import Role
from tests.web.webtools import login, make_user
from web.routes import API_TABLES


def _allows_null(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "null" or "null" in (schema.get("type") or []):
        return True
    return any(_allows_null(branch) for branch in schema.get("anyOf", []) + schema.get("oneOf", []))


def _request_routes() -> list[Any]:
    return [route for table in API_TABLES for route in table if route.request is not None]


@pytest.mark.parametrize("route", _request_routes(), ids=lambda r: f"{r.method} {r.path}")
def test_null_is_documented_only_where_it_is_accepted(route: Any) -> None:
    from web.openapi import build_openapi

    document = build_openapi(API_TABLES)
    body = document["paths"][route.path][route.method.lower()]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    model = route.request
    nullable = 0
    for name, prop in schema.get("properties", {}).items():
        if not _allows_null(prop):
            continue
        nullable += 1
        try:
            model.model_validate({name: None})
        except ValidationError as exc:
            at_field = [e for e in exc.errors() if e["loc"][:1] == (name,)]
            assert not at_field, f"{model.__name__}.{name} is documented nullable: {at_field}"
    if model.__name__ == "ClientUpdate":
        assert nullable == 1  # assigned_agent_id: null unassigns


async def test_free_strings_that_are_choices_are_enums(client: TestClient) -> None:
    from crm.stats.periods import Granularity, QuickRange
    from crm.stats.reports import REPORTS

    document = await (await client.get("/api/v1/openapi.json")).json()
    for path in ("/api/v1/stats/report", "/api/v1/stats/report.csv"):
        params = {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}
        assert set(params["report"]["enum"]) == set(REPORTS)
        assert set(_enum_of(params["range"])) == {str(r) for r in QuickRange}
        assert set(_enum_of(params["granularity"])) == {str(g) for g in Granularity}
    actions = document["paths"]["/api/v1/stats/agents/{agent_id}/actions"]["get"]
    kinds = {p["name"]: p["schema"] for p in actions["parameters"]}["kinds"]
    assert "pattern" in kinds and "transfer" in kinds["pattern"]


def _enum_of(schema: dict[str, Any]) -> list[str]:
    for branch in [schema, *schema.get("anyOf", [])]:
        if "enum" in branch:
            return list(branch["enum"])
        if "$ref" in branch:
            raise AssertionError(f"query enums must be inline, got {branch}")
    raise AssertionError(f"no enum in {schema}")


async def test_csv_routes_are_documented_as_csv(client: TestClient) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path in ("/api/v1/stats/report.csv", "/api/v1/clients/export.csv"):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(content) == ["text/csv"], path


@pytest.mark.parametrize("path", ["/api/v1/clients/export.csv", "/api/v1/clients/import",
                                  "/api/v1/clients/lookup", "/api/v1/clients/import/preview"])
async def test_a_method_a_path_does_not_take_is_405(client: TestClient, path: str) -> None:
    await make_user("sup", Role.SUPERVISOR)
    csrf = await login(client, "sup")
    for method in ("PATCH", "DELETE", "PUT"):
        response = await client.request(method, path, json={}, headers={"X-CSRF-Token": csrf})
        assert response.status == 405, (method, path, response.status)
        assert (await response.json())["error"]["code"] == "method_not_allowed"
        assert "Allow" in response.headers


async def test_path_ids_are_documented_as_bounded_integers(client: TestClient) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    checked = 0
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter["schema"] == {"type": "integer", "minimum": 1,
                                                   "maximum": 2**31 - 1}
                    checked += 1
    assert checked > 20
