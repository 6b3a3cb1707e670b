"""Declare a JSON API route once: path, method, role, request/query/response models.

The same declaration registers the route with aiohttp, wraps the handler (parses and validates
the body and query string, serialises the response model) and feeds the OpenAPI description,
so the description cannot drift from the code.

    routes = ApiRouteTable("Users")

    @routes.post("/api/v1/users", role=Role.ADMIN, request=NewUser, response=UserOut,
                 status=201, summary="Create a user")
    async def create_user(request: web.Request, body: NewUser) -> UserOut: ...

The handler receives ``body`` (an instance of ``request``) and/or ``query`` (an instance of
``query``) as keyword arguments when those models are declared, and returns an instance of
``response`` (sent with ``status``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from crm.ids import MAX_ID
from crm.models import Role
from web.errors import ApiError, validation_fields
from web.security.auth import PUBLIC, Access, _declare

ApiHandler = Callable[..., Awaitable[Any]]
# Set on a handler whose route accepts a larger body than the application's default.
MAX_BODY_ATTR = "__prowebcrm_max_body__"


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    # None: public.
    role: Role | None
    summary: str
    tag: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # None: the body is not described by a model (the OpenAPI document itself).
    response: type[BaseModel] | None = None
    status: int = 200
    csrf_exempt: bool = False
    errors: tuple[int, ...] = field(default_factory=tuple)
    # Bytes of request body accepted; None: the application's default (1 MiB).
    max_body: int | None = None
    # The success body's media type when it is not JSON (a CSV download).
    content_type: str = "application/json"


class ApiRouteTable:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.routes: list[ApiRoute] = []

    def __iter__(self) -> Iterator[ApiRoute]:
        return iter(self.routes)

    def route(
        self,
        method: str,
        path: str,
        *,
        role: Role | None,
        summary: str,
        request: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        csrf_exempt: bool = False,
        errors: tuple[int, ...] = (),
        max_body: int | None = None,
        content_type: str = "application/json",
    ) -> Callable[[ApiHandler], ApiHandler]:
        def decorate(func: ApiHandler) -> ApiHandler:
            wrapped = _wrap(func, request=request, query=query, status=status)
            access = PUBLIC if role is None else Access(role=role)
            _declare(wrapped, Access(role=access.role, csrf_exempt=csrf_exempt))
            if max_body is not None:
                setattr(wrapped, MAX_BODY_ATTR, max_body)
            self.routes.append(ApiRoute(
                method=method.upper(), path=path, handler=wrapped, role=role,
                summary=summary, tag=self.tag, request=request, query=query,
                response=response, status=status, csrf_exempt=csrf_exempt, errors=errors,
                max_body=max_body, content_type=content_type,
            ))
            return func

        return decorate

    def get(self, path: str, **kwargs: Any) -> Callable[[ApiHandler], ApiHandler]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[ApiHandler], ApiHandler]:
        return self.route("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[ApiHandler], ApiHandler]:
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[ApiHandler], ApiHandler]:
        return self.route("DELETE", path, **kwargs)


def _wrap(func: ApiHandler, *, request: type[BaseModel] | None,
          query: type[BaseModel] | None, status: int
          ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(func)
    async def handler(req: web.Request) -> web.StreamResponse:
        kwargs: dict[str, Any] = {}
        if query is not None:
            kwargs["query"] = parse_query(req, query)
        if request is not None:
            kwargs["body"] = await parse_body(req, request)
        result = await func(req, **kwargs)
        if isinstance(result, web.StreamResponse):
            return result
        if isinstance(result, BaseModel):
            # pydantic's own serializer: a supervision snapshot of 200 agents took 10 ms of
            # the event loop's time through model_dump and the json module, a quarter of it here.
            return web.Response(text=result.model_dump_json(), status=status,
                                content_type="application/json")
        return web.json_response(result, status=status)

    return handler


async def parse_body(request: web.Request, model: type[BaseModel]) -> Any:
    """A validated model from a JSON object body; 400 for anything that is not one."""
    if request.content_type != "application/json":
        raise ApiError(400, "bad_request",
                       "send a JSON object with the header Content-Type: application/json")
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "bad_request", f"malformed JSON: {exc}",
                       {"body": "malformed JSON"}) from None
    except RecursionError:
        data = None  # nested deeper than Python's parser goes: refused just below
    if data is None or json_depth(data) > MAX_JSON_DEPTH:
        raise ApiError(400, "bad_request",
                       f"the JSON is nested too deep (at most {MAX_JSON_DEPTH} levels)",
                       {"body": "nested too deep"})
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object",
                       {"body": "must be a JSON object"})
    try:
        # Strict: "5" is not a number and "true" is not a boolean in a JSON API.
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", "some fields are invalid",
                       validation_fields(exc, translate=_english)) from None


# No request body of ours nests more than a few levels; a deep one is an attack on the
# parsers (the validator's recursion, Python's own limit), refused before it reaches them.
MAX_JSON_DEPTH = 32


def json_depth(data: Any) -> int:
    """How deep lists and objects nest in ``data`` (iteratively: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_query(request: web.Request, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise ApiError(400, "bad_request", "invalid query string",
                       validation_fields(exc, translate=_english)) from None


# Ids are 32-bit columns (crm.ids); ASCII digits only ("²" and "٣" pass str.isdigit()).
_ID_TEXT = re.compile(r"[0-9]{1,10}")


def parse_id(value: str) -> int | None:
    """A database id written in text, or None when it cannot be one."""
    if not _ID_TEXT.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def path_id(request: web.Request, name: str) -> int:
    """An integer path parameter; anything else is a 404, like an unknown id."""
    value = parse_id(request.match_info.get(name, ""))
    if value is None:
        raise ApiError(404, "not_found", f"{name} must be a positive integer that exists")
    return value


def _english(message: str) -> str:
    return message
