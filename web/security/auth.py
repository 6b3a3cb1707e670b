"""Who is calling, and may they? Authentication (session or bearer token) and role checks.

Every route declares its access with a decorator (:func:`require_role`, :func:`public`);
:func:`auth_middleware` enforces it before the handler runs. A route with no declaration needs a
logged-in user of any role, so forgetting the decorator never opens a route to anonymous
callers. Roles are ordered: agent < supervisor < admin.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from aiohttp import web
from aiohttp.web_urldispatcher import StaticResource
from aiohttp_session import get_session

from crm.models import Role, User
from crm.tokens import authenticate_token
from crm.users import get_active_user
from web.i18n import gettext, negotiate, set_language
from web.security.sessions import session_matches, session_user_id

USER: web.RequestKey[User | None] = web.RequestKey("prowebcrm_user")
# "session", "token", or None for anonymous requests.
AUTH_METHOD: web.RequestKey[str | None] = web.RequestKey("prowebcrm_auth_method")
ACCESS_ATTR = "__prowebcrm_access__"

LANDING = {Role.ADMIN: "/admin", Role.SUPERVISOR: "/supervision", Role.AGENT: "/agent"}

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    # None: anyone, logged in or not.
    role: Role | None = Role.AGENT
    # Only for requests a cross-site form cannot forge (see the JSON login).
    csrf_exempt: bool = False


DEFAULT_ACCESS = Access()
PUBLIC = Access(role=None)
# Unmatched paths (the router answers 404/405) and static files change nothing.
_PASS_THROUGH = Access(role=None, csrf_exempt=True)


def _declare(handler: F, access: Access) -> F:
    setattr(handler, ACCESS_ATTR, access)
    return handler


def require_role(role: Role) -> Callable[[F], F]:
    """The handler needs a logged-in user whose role is at least ``role``."""

    def decorate(handler: F) -> F:
        return _declare(handler, Access(role=role))

    return decorate


def public(handler: F) -> F:
    return _declare(handler, PUBLIC)


def csrf_exempt(handler: F) -> F:
    return _declare(handler, replace(access_of(handler), csrf_exempt=True))


def access_of(handler: Any) -> Access:
    return getattr(handler, ACCESS_ATTR, DEFAULT_ACCESS)


def route_access(request: web.Request) -> Access:
    route = request.match_info.route
    if request.match_info.http_exception is not None or isinstance(route.resource,
                                                                     StaticResource):
        return _PASS_THROUGH
    return access_of(route.handler)


def current_user(request: web.Request) -> User | None:
    return request.get(USER)


def request_user(request: web.Request) -> User:
    """The caller, in a handler whose route requires a role (so there is one)."""
    user: User | None = request.get(USER)
    if user is None:
        raise web.HTTPUnauthorized()
    return user


def client_ip(request: web.Request) -> str:
    return request.remote or ""


def landing_for(user: User) -> str:
    return LANDING.get(user.role, "/agent")


# A local path, in printable ASCII, whose second character does not make it
# protocol-relative. Browsers drop tabs and newlines anywhere in a URL and read "\\" as "/",
# so "/\t/evil.example" or "/\\evil.example" would land on another site: no whitespace, no
# control character, no backslash at all, and nothing outside ASCII (some are folded to "/").
_LOCAL_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")


def safe_next(target: str | None) -> str | None:
    """Only a local path: ``next`` must never send someone to another site."""
    if not target or len(target) > 2048:
        return None
    # Checked once as given and once decoded, so an encoded tab ("%09") cannot sneak past a
    # layer that decodes it later.
    for form in (target, unquote(target)):
        if not _LOCAL_PATH.fullmatch(form):
            return None
    return target


def _machine_path(path: str) -> bool:
    """The JSON API and the event socket: what integrators call, with a bearer token, and
    where an anonymous caller gets a 401 rather than the login page."""
    return path.startswith(("/api/", "/ws/"))


async def _identify(request: web.Request) -> tuple[User | None, str | None, bool]:
    """(user, method, bad_token): a bearer header is only looked at on API and socket
    paths (a page is always a browser, with its cookie)."""
    header = request.headers.get("Authorization", "")
    if header and _machine_path(request.path):
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            user = await authenticate_token(value.strip())
            return user, ("token" if user else None), user is None
        return None, None, True
    session = await get_session(request)
    uid = session_user_id(session)
    if uid is None:
        return None, None, False
    user = await get_active_user(uid)
    if user is None or not session_matches(session, user):
        # Deactivated, deleted or password changed since login: that session is over.
        session.invalidate()
        return None, None, False
    return user, "session", False


def _json(status: int, code: str, message: str) -> web.Response:
    from web.errors import json_error

    return json_error(status, code, message)


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    user, method, bad_token = await _identify(request)
    request[USER] = user
    request[AUTH_METHOD] = method
    set_language(negotiate(request, user.language if user else ""))
    access = route_access(request)
    if access.role is None:
        return await handler(request)
    is_api = _machine_path(request.path)
    if user is None:
        if is_api:
            if bad_token:
                return _json(401, "unauthorized",
                             "invalid, revoked or malformed API token (use: Bearer <token>)")
            return _json(401, "unauthorized", "log in first (session) or send a bearer token")
        next_path = quote(request.path_qs if request.method == "GET" else request.path, safe="")
        raise web.HTTPSeeOther(f"/login?next={next_path}")
    if not user.role.at_least(access.role):
        if is_api:
            return _json(403, "forbidden",
                         f"this needs the {access.role.value} role or higher")
        from web.errors import render_error_page

        return await render_error_page(
            request, 403, gettext("Your role does not give access to this page."))
    return await handler(request)
