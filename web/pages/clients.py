"""S8/B5 pages: the client list (a first page by default, the search narrowing it), one
client record, CSV import (preview first) and export.

The list is rendered on the server (it works without JavaScript; htmx refreshes only the
table while typing). The record page reuses the console's record panel (same template and
script); import and export are for supervisors and administrators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from crm import clients
from crm.models import Client, Role
from crm.phones import display
from web.api.registry import path_id
from web.appkeys import SETTINGS_KEY
from web.pages.agent_i18n import js_messages
from web.pages.common import pages_info, pagination
from web.render import render
from web.security.auth import require_role

routes = web.RouteTableDef()

PAGE_SIZE = 25
MAX_QUERY_CHARS = 128  # as the JSON search API


@dataclass(frozen=True)
class ClientRow:
    """One line of the list: what an agent scans to recognise a client."""

    id: int
    last_name: str
    first_name: str
    company: str
    phones: list[str]
    email: str
    city: str


def client_row(client: Client, region: str) -> ClientRow:
    return ClientRow(id=client.id, last_name=client.last_name, first_name=client.first_name,
                     company=client.company, email=client.email, city=client.city,
                     phones=[display(p.number, region) for p in clients.phones_of(client)])


def page_context(request: web.Request) -> dict[str, Any]:
    """What every client page's script needs: its texts and the centre's time zone."""
    return {"js_messages": js_messages(), "tz": request.app[SETTINGS_KEY].timezone}


@routes.get("/clients")
@require_role(Role.AGENT)
async def clients_page(request: web.Request) -> web.StreamResponse:
    page = pagination(request, PAGE_SIZE)
    query = request.query.get("q", "").strip()[:MAX_QUERY_CHARS]
    rows, total = await clients.search(query, region=request.app[SETTINGS_KEY].default_region,
                                       limit=page.limit, offset=page.offset)
    region = request.app[SETTINGS_KEY].default_region
    context = {"q": query, "rows": [client_row(c, region) for c in rows],
               "page": pages_info(total, page)}
    # htmx live search swaps only the table.
    template = "clients/_table.html" if request.headers.get("HX-Request") else \
        "clients/index.html"
    return await render(request, template, context)


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
