"""B2 wallboard: a full-screen page for a TV, live over /ws/live.

Calls waiting, longest wait and agents by state follow the hub's events; today's service
level and abandon rate are re-read from ``GET /api/v1/supervision/wallboard`` when a call
ends (an event-driven refresh by the page: the server runs no polling loop).
"""

from __future__ import annotations

from aiohttp import web

from crm.models import Role
from web.api.supervision import snapshot_out, wallboard_out
from web.pages.supervision import js_texts
from web.render import render
from web.security.auth import require_role

routes = web.RouteTableDef()


@routes.get("/wallboard")
@require_role(Role.SUPERVISOR)
async def wallboard(request: web.Request) -> web.StreamResponse:
    board = await wallboard_out(request)
    snapshot = await snapshot_out(request)
    return await render(request, "wallboard.html", {
        "boot": {"board": board.model_dump(mode="json"), "texts": js_texts(),
                 "snapshot": snapshot.model_dump(mode="json", exclude={"names"})},
        "board": board,
    })
