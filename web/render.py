"""Page rendering: every template gets the same base context (user, CSRF token, language…)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from crm.errors import N_
from crm.models import Role
from web.i18n import LANGUAGE_NAMES, current_language
from web.security.auth import current_user
from web.security.csrf import CSRF_FIELD, CSRF_HEADER, csrf_token
from web.security.sessions import pop_flashes

# Navigation by role: (minimum role, path, label msgid). Labels are translated in the template.
NAV: list[tuple[Role, str, str]] = [
    (Role.AGENT, "/agent", N_("Agent console")),
    (Role.SUPERVISOR, "/supervision", N_("Supervision")),
    (Role.ADMIN, "/admin/users", N_("Users")),
    (Role.ADMIN, "/admin/groups", N_("Groups")),
    (Role.ADMIN, "/admin/reference", N_("Pauses & outcomes")),
    (Role.ADMIN, "/admin/tokens", N_("API tokens")),
    (Role.ADMIN, "/admin/audit", N_("Audit log")),
]


async def base_context(request: web.Request) -> dict[str, Any]:
    user = current_user(request)
    nav = [(path, label) for role, path, label in NAV if user and user.role.at_least(role)]
    return {
        "current_user": user,
        "csrf_token": await csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "csrf_header": CSRF_HEADER,
        "lang": current_language(),
        "languages": LANGUAGE_NAMES,
        "nav": nav,
        "path": request.path,
        "path_qs": request.path_qs,
        "flashes": await pop_flashes(request),
        "Role": Role,
    }


async def render(request: web.Request, template: str, context: dict[str, Any] | None = None,
                 *, status: int = 200) -> web.Response:
    full = await base_context(request)
    full.update(context or {})
    response = aiohttp_jinja2.render_template(template, request, full, status=status)
    # Pages carry per-user data and a CSRF token: never cache them in shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response
