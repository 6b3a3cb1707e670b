"""The routes table: every page and API route of the web layer, in one place."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from web import live, openapi
from web.api import agent as agent_api
from web.api import audit as audit_api
from web.api import auth as auth_api
from web.api import clients as clients_api
from web.api import demo_phone as demo_phone_api
from web.api import demo_traffic as demo_traffic_api
from web.api import groups as groups_api
from web.api import health as health_api
from web.api import reference as reference_api
from web.api import stats as stats_api
from web.api import supervision as supervision_api
from web.api import tokens as tokens_api
from web.api import users as users_api
from web.api.registry import ApiRouteTable
from web.pages import admin_demo, admin_groups, admin_misc, admin_users, placeholders
from web.pages import agent as agent_pages
from web.pages import auth as auth_pages
from web.pages import clients as clients_pages
from web.pages import recordings as recordings_pages
from web.pages import stats as stats_pages
from web.pages import supervision as supervision_pages
from web.pages import wallboard as wallboard_pages

STATIC_DIR = Path(__file__).resolve().parent / "static"

API_TABLES: list[ApiRouteTable] = [
    auth_api.routes,
    users_api.routes,
    groups_api.routes,
    tokens_api.routes,
    audit_api.routes,
    reference_api.routes,
    stats_api.routes,
    supervision_api.routes,
    agent_api.routes,
    clients_api.routes,
    demo_phone_api.routes,
    demo_traffic_api.routes,
    health_api.routes,
    openapi.routes,
]

PAGE_TABLES: list[web.RouteTableDef] = [
    auth_pages.routes,
    placeholders.routes,
    admin_users.routes,
    admin_groups.routes,
    admin_misc.routes,
    admin_demo.routes,
    supervision_pages.routes,
    recordings_pages.routes,
    stats_pages.routes,
    wallboard_pages.routes,
    agent_pages.routes,
    clients_pages.routes,
    live.routes,
]


# Id parameters of API paths match ASCII digits only, so a literal sibling path
# ("/clients/export.csv", "/clients/lookup") is never taken for an id: PATCH on it is a
# 405 from the router, not a 404/422 from the id route. The OpenAPI keeps the plain names.
_ID_PARAM = re.compile(r"\{(\w+_id)\}")


def setup_routes(app: web.Application) -> None:
    for table in API_TABLES:
        for route in table:
            app.router.add_route(route.method, _ID_PARAM.sub(r"{\1:[0-9]+}", route.path),
                                 route.handler)
    for pages in PAGE_TABLES:
        app.router.add_routes(pages)
    app.router.add_static("/static", STATIC_DIR, name="static", append_version=False)
