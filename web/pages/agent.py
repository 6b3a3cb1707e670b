"""S6–S9 pages: the agent console (built on /api/v1/agent and /api/v1/clients, live events
from /ws/live) and the clean logout that leaves the ACD before ending the session."""

from __future__ import annotations

from aiohttp import web

from crm.models import Role
from web.acd_exit import OnCall, leave_acd
from web.appkeys import RUNTIME_KEY, SETTINGS_KEY
from web.i18n import gettext
from web.pages.agent_i18n import js_messages
from web.pages.common import redirect
from web.render import render
from web.security.auth import request_user, require_role
from web.security.login import logout
from web.security.sessions import flash

routes = web.RouteTableDef()


@routes.get("/agent")
@require_role(Role.AGENT)
async def console(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS_KEY]
    return await render(request, "agent/console.html", {
        "js_messages": js_messages(),
        "tz": settings.timezone,
        "demo": bool(settings.demo),
        "acd_running": request.app[RUNTIME_KEY] is not None,
    })


@routes.post("/agent/logout")
@require_role(Role.AGENT)
async def clean_logout(request: web.Request) -> web.StreamResponse:
    """S9: leave the ACD first; during a call the logout is refused, with a message."""
    try:
        await leave_acd(request.app, request_user(request).id)
    except OnCall:
        await flash(request, gettext("You are on a call: finish it (and its wrap-up) "
                                     "before logging out."), "error")
        raise redirect("/agent") from None
    await logout(request)
    raise redirect("/login")
