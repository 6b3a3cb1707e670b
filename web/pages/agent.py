"""S6–S9 pages: the agent console (built on /api/v1/agent and /api/v1/clients, live events
from /ws/live) and the clean logout that leaves the ACD before ending the session."""

from __future__ import annotations

from aiohttp import web

from crm.models import Role
from web.api.agent import console_boot
from web.appkeys import RUNTIME_KEY, SETTINGS_KEY
from web.pages.agent_i18n import js_messages
from web.pages.auth import logout_submit
from web.reasons import reason_labels
from web.render import render
from web.security.auth import request_user, require_role

routes = web.RouteTableDef()


@routes.get("/agent")
@require_role(Role.AGENT)
async def console(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS_KEY]
    # The first paint needs no request: the console's status, lists and any call's pop
    # are in the page; /ws/live keeps them up to date.
    boot = await console_boot(request.app, request_user(request))
    messages = js_messages()
    # Every pause reason a state may name, inactive and system ones included.
    messages.update({f"reason:{code}": label for code, label in (await reason_labels()).items()})
    return await render(request, "agent/console.html", {
        "js_messages": messages,
        "boot": boot.model_dump(mode="json"),
        "tz": settings.timezone,
        "demo": bool(settings.demo),
        "acd_running": request.app[RUNTIME_KEY] is not None,
    })


@routes.post("/agent/logout")
@require_role(Role.AGENT)
async def clean_logout(request: web.Request) -> web.StreamResponse:
    """S9 from the console: the same clean logout as the top bar's (leaves the ACD first;
    refused during a call, with a message)."""
    return await logout_submit(request)
