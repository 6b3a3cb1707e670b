"""S8/B5 pages: client search, one client record, CSV import (preview first) and export.

The record page reuses the console's record panel (same template and script); import and
export are for supervisors and administrators."""

from __future__ import annotations

from aiohttp import web

from crm.models import Role
from web.api.registry import path_id
from web.pages.agent_i18n import js_messages
from web.render import render
from web.security.auth import require_role

routes = web.RouteTableDef()


@routes.get("/clients")
@require_role(Role.AGENT)
async def clients_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "clients/index.html", {"js_messages": js_messages()})


@routes.get("/clients/import")
@require_role(Role.SUPERVISOR)
async def import_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "clients/import.html", {"js_messages": js_messages()})


@routes.get("/clients/{client_id}")
@require_role(Role.AGENT)
async def record_page(request: web.Request) -> web.StreamResponse:
    client_id = path_id(request, "client_id")
    return await render(request, "clients/record.html",
                        {"js_messages": js_messages(), "client_id": client_id})
