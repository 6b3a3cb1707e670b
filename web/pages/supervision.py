"""S5 supervision page: queues, agents and groups, calls in progress, live over /ws/live.

The page's first paint comes from the same snapshot as ``GET /api/v1/supervision/snapshot``
(embedded as JSON, so there is no blank page while the WebSocket connects); from then on the
browser applies the hub's events itself. The buttons call the supervision API.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm import reference
from crm.models import Group, Role, User
from web.api.stats import stats_config
from web.api.supervision import snapshot_out
from web.i18n import gettext as _
from web.render import render
from web.security.auth import require_role

routes = web.RouteTableDef()


def js_texts() -> dict[str, str]:
    """The words the page's script writes itself, in the user's language."""
    # states and directions are codes: give each its human label
    codes = {
        "available": _("Available"), "paused": _("Paused"), "ringing": _("Ringing"),
        "on_call": _("On call"), "wrapup": _("Wrap-up"), "logged_out": _("Logged out"),
        "waiting": _("Waiting"), "offering": _("Offering"), "connected": _("Connected"),
        "transferring": _("Transferring"), "ended": _("Ended"), "queued": _("Queued"),
        "inbound": _("Inbound"), "outbound": _("Outbound"),
    }
    words = [
        "No call waiting.", "No agent logged in.", "No call in progress.",
        "Connected", "Disconnected: reconnecting…", "The call distribution is not running.",
        "Done.", "Transfer to", "Agent", "Group", "Number", "Reason", "Pause", "Log out",
        "Send back to the queue", "Hang up", "Transfer", "Listen", "Whisper", "Barge",
        "Statistics", "History", "Your phone (extension)", "Cancel", "Confirm",
        "Hang up this call?", "Log this agent out?", "Received", "Answered", "Rejected",
        "Transferred", "Missed", "Calls handled", "Talk time", "Pause time",
        "Average handle time", "Occupancy", "Logged in", "Previous", "Next", "no entry",
        "Stop", "Listening", "Error",
    ]
    return {**{w: _(w) for w in words}, **codes}


async def people() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    agents = await User.filter(active=True).order_by("name").values("id", "name", "login",
                                                                     "role")
    groups = await Group.all().order_by("name").values("id", "name")
    return [{**a, "role": str(a["role"])} for a in agents], groups


@routes.get("/supervision")
@require_role(Role.SUPERVISOR)
async def supervision(request: web.Request) -> web.StreamResponse:
    snapshot = await snapshot_out(request)
    agents, groups = await people()
    reasons = [r.code for r in await reference.list_entries("pause_reason", active_only=True)]
    cfg = stats_config(request)
    return await render(request, "supervision/index.html", {
        "boot": {
            "snapshot": snapshot.model_dump(mode="json"),
            "agents": agents,
            "groups": groups,
            "pause_reasons": reasons or ["supervisor"],
            "texts": js_texts(),
            "timezone": str(cfg.tz),
        },
        "acd_running": snapshot.acd,
    })
