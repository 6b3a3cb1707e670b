"""S8/B5 pages: client search, one client record, CSV import (preview first) and export.

The record page reuses the console's record panel (same template and script); import and
export are for supervisors and administrators."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.models import Role
from web.api.registry import path_id
from web.appkeys import SETTINGS_KEY
from web.pages.agent_i18n import js_messages
from web.render import render
from web.security.auth import require_role

routes = web.RouteTableDef()


def page_context(request: web.Request) -> dict[str, Any]:
    """What every client page's script needs: its texts and the centre's time zone."""
    return {"js_messages": js_messages(), "tz": request.app[SETTINGS_KEY].timezone}


@routes.get("/clients")
@require_role(Role.AGENT)
async def clients_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "clients/index.html", page_context(request))


@routes.get("/clients/import")
@require_role(Role.SUPERVISOR)
async def import_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "clients/import.html", page_context(request))


@routes.get("/clients/{client_id}")
@require_role(Role.AGENT)
async def record_page(request: web.Request) -> web.StreamResponse:
    client_id = path_id(request, "client_id")
    return await render(request, "clients/record.html",
                        {**page_context(request), "client_id": client_id})
