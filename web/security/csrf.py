"""CSRF protection: one random token per session, required on every state-changing request.

Browsers send the session cookie on their own, so a state-changing request must also prove it
comes from one of our pages: the form field ``csrf_token`` or the ``X-CSRF-Token`` header
(htmx and fetch send it from <body hx-headers>). Bearer-token requests carry no cookie and are
exempt. Anonymous visitors get a pre-session token too, so the login form is covered.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import get_session

from web.errors import json_error, render_error_page
from web.i18n import gettext
from web.security.auth import AUTH_METHOD, route_access
from web.security.sessions import CSRF

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get(CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF] = token
    return token


async def _submitted_token(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in _FORM_TYPES:
        form = await request.post()  # cached by aiohttp: the handler reads it again for free
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def csrf_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if (
        request.method in SAFE_METHODS
        or request.get(AUTH_METHOD) == "token"
        or route_access(request).csrf_exempt
    ):
        return await handler(request)
    session = await get_session(request)
    expected = session.get(CSRF)
    submitted = await _submitted_token(request)
    if (
        not isinstance(expected, str)
        or not expected
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        if request.path.startswith("/api/"):
            return json_error(
                403, "csrf_failed",
                "missing or wrong CSRF token: send the X-CSRF-Token header "
                "(the token comes with the login and /api/v1/auth/me responses)",
            )
        return await render_error_page(request, 403, gettext(
            "This form has expired or did not come from this site. "
            "Go back, reload the page and try again."))
    return await handler(request)
