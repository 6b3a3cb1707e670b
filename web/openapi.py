"""OpenAPI 3.1 description of the JSON API, generated from the route tables and models."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from crm.ids import MAX_ID
from web.api.registry import ApiRoute, ApiRouteTable
from web.api.schemas import ErrorOut

routes = ApiRouteTable("Description")

_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"\{(\w+)\}")
_ERROR_TEXT = {
    400: "Malformed request: not JSON, not an object, or a bad query string",
    401: "Not logged in, or invalid API token",
    403: "Role too low, CSRF token missing or wrong, or a forbidden change",
    404: "No such object",
    409: "A unique value is already taken",
    422: "Some fields are invalid (see error.fields)",
    429: "Too many failed logins (see Retry-After)",
}


def build_openapi(tables: Iterable[ApiRouteTable], *, version: str = "1") -> dict[str, Any]:
    api_routes = [route for table in tables for route in table]
    wanted: list[tuple[type[BaseModel], Any]] = [(ErrorOut, "serialization")]
    for route in api_routes:
        if route.request is not None:
            wanted.append((route.request, "validation"))
        if route.response is not None:
            wanted.append((route.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, defs = models_json_schema(unique, ref_template=_REF)
    schemas = defs.get("$defs", {})
    for model, mode in unique:
        if mode == "validation":
            name = refs[(model, mode)]["$ref"].rsplit("/", 1)[1]
            _document_refused_nulls(model, schemas.get(name, {}))

    paths: dict[str, dict[str, Any]] = {}
    for route in api_routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PROWEBCRM API",
            "version": version,
            "description": (
                "Call-center CRM and ACD. Authenticate with a session (POST /api/v1/auth/login,"
                " then send the X-CSRF-Token header on changes) or with an API token "
                "(Authorization: Bearer <token>). Errors are always "
                '{"error": {"code", "message", "fields"}}.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "prowebcrm_session"},
            },
        },
    }


def _document_refused_nulls(model: type[BaseModel], schema: dict[str, Any]) -> None:
    """``X | None`` fields of the patch models mean "may be left out", and most of them
    refuse an explicit null (crm.users.InputModel): the document must not offer null
    there. Which ones refuse is asked of the model itself, so the document follows the
    code, field by field (ClientPatch.assigned_agent_id, for one, takes null to unassign)."""
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf")
        if not branches or {"type": "null"} not in branches:
            continue
        try:
            model.model_validate({name: None})
        except ValidationError as exc:
            if not any(error["loc"][:1] == (name,) for error in exc.errors()):
                continue
        else:
            continue
        kept = [branch for branch in branches if branch != {"type": "null"}]
        del prop["anyOf"]
        if prop.get("default", "") is None:
            del prop["default"]
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept


def _operation(route: ApiRoute, refs: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.handler.__name__}_"
                       + re.sub(r"\W+", "_", route.path.removeprefix("/api/v1/")).strip("_"),
        "summary": route.summary,
        "tags": [route.tag],
    }
    if route.role is None:
        operation["security"] = []
    else:
        operation["security"] = [{"cookieAuth": []}, {"bearerAuth": []}]
        operation["description"] = f"Requires the {route.role.value} role or higher."
    parameters = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
        for name in _PATH_PARAM.findall(route.path)
    ]
    if route.query is not None:
        schema = route.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in required,
                               "schema": prop})
    if parameters:
        operation["parameters"] = parameters
    if route.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(route.request, "validation")]}},
        }
    success: dict[str, Any] = {"description": "Success"}
    if route.response is not None:
        success["content"] = {
            "application/json": {"schema": refs[(route.response, "serialization")]}
        }
    elif route.content_type != "application/json":
        success["content"] = {route.content_type: {"schema": {"type": "string"}}}
    else:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(route.status): success}
    codes = set(route.errors)
    if route.request is not None or route.query is not None:
        codes |= {400, 422} if route.request is not None else {400}
    if route.role is not None:
        codes |= {401, 403}
    error_ref = refs[(ErrorOut, "serialization")]
    for code in sorted(codes):
        responses[str(code)] = {
            "description": _ERROR_TEXT.get(code, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    operation["responses"] = responses
    return operation


@routes.get("/api/v1/openapi.json", role=None, summary="This description (OpenAPI 3.1)")
async def openapi_json(request: web.Request) -> web.Response:
    from web.routes import API_TABLES  # late: the route list imports this module

    return web.json_response(build_openapi(API_TABLES))
