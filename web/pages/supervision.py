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
from crm.stats.periods import local_today
from web.api.stats import stats_config
from web.api.supervision import snapshot_out, wallboard_out
from web.audit_view import AUDIT_LABELS
from web.i18n import current_language
from web.i18n import gettext as _
from web.pages.agent_i18n import count_labels
from web.reasons import reason_labels
from web.render import render
from web.security.auth import request_user, require_role

routes = web.RouteTableDef()


def js_texts() -> dict[str, Any]:
    """The words the page's script writes itself, in the user's language."""
    # states, directions and outcomes are codes: give each its human label
    codes = {
        "available": _("Available"), "paused": _("Paused"), "ringing": _("Ringing"),
        "on_call": _("On call"), "wrapup": _("Wrap-up"), "logged_out": _("Logged out"),
        "waiting": _("Waiting"), "offering": _("Offering"), "connected": _("Connected"),
        "transferring": _("Transferring"), "ended": _("Ended"), "queued": _("Queued"),
        "inbound": _("Inbound"), "outbound": _("Outbound"),
    }
    keyed = {
        **{f"outcome.{k}": v for k, v in OUTCOME_LABELS.items()},
        **{f"kind.{k}": v for k, v in KIND_LABELS.items()},
        **{f"range.{k}": v for k, v in RANGE_LABELS.items()},
        **{f"help.{k}": v for k, v in SPY_HELP.items()},
        **{f"audit.{k}": v for k, v in AUDIT_LABELS.items()},
    }
    return {**{w: _(w) for w in WORDS}, **codes, **{k: _(v) for k, v in keyed.items()},
            **count_labels()}


WORDS = (
    "No call waiting.", "No agent logged in.", "No call in progress.",
    "Connected", "Disconnected: reconnecting…", "The call distribution is not running.",
    "Done.", "Transfer to", "Agent", "Group", "Number", "Reason", "Pause", "Log out",
    "Send back to the queue", "Hang up", "Transfer", "Listen", "Whisper", "Barge",
    "Statistics", "History", "Your phone (extension)", "Cancel", "Confirm",
    "Hang up this call?", "Log this agent out?", "Received", "Answered", "Rejected",
    "Transferred", "Missed", "Calls handled", "Talk time", "Pause time",
    "Average handle time", "Occupancy", "Logged in", "Previous", "Next", "no entry",
    "Stop", "Error", "Waiting", "Longest wait", "offering", "ended", "log-out pending",
    "pause pending", "From", "To", "Show", "Loading…", "Kind", "All actions", "Time",
    "Action", "Details", "Extension", "forced by a supervisor", "in progress", "by",
    "Wallboard", "Calls waiting", "Service level", "Abandon rate", "Log agent out",
    "Listen in…", "Listen in", "Ring my phone", "How", "on this call",
    "No agent is available right now: transfer to a group instead.", "within %(t)s s",
    "on hold", "muted", "phone unreachable", "phone busy",
)
OUTCOME_LABELS = {
    "answered": "Answered", "abandoned": "Abandoned", "timed_out": "Timed out",
    "overflowed": "Overflowed", "transferred": "Transferred", "rejected": "Rejected",
    "failed": "Failed",
}
KIND_LABELS = {
    "call": "Call answered", "intervention": "Client record handled",
    "rejection": "Call rejected", "missed": "Call missed", "transfer": "Call transferred",
    "pause": "Pause", "login": "Session start", "logout": "Session end",
    "audit": "Recorded action",
}
RANGE_LABELS = {
    "today": "Today", "yesterday": "Yesterday", "this_week": "This week",
    "this_month": "This month",
}
SPY_HELP = {
    "listen": "Your phone rings; once you answer you hear the caller and the agent, who "
              "do not hear you.",
    "whisper": "Your phone rings; once you answer you hear the call and only the agent "
               "hears you.",
    "barge": "Your phone rings; once you answer you join the conversation: both hear you.",
}


async def people() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    agents = await User.filter(active=True).order_by("name").values("id", "name", "login",
                                                                     "role")
    groups = await Group.all().order_by("name").values("id", "name")
    return [{**a, "role": str(a["role"])} for a in agents], groups


GROUP_COLOURS = ("wait_warn_s", "wait_alert_s", "sl_warn_pct", "sl_alert_pct")


@routes.get("/supervision")
@require_role(Role.SUPERVISOR)
async def supervision(request: web.Request) -> web.StreamResponse:
    snapshot = await snapshot_out(request)
    agents, _groups = await people()
    language = current_language()
    reasons = [{"code": r.code, "label": reference.label_in(r, language)}
               for r in await reference.list_entries("pause_reason", active_only=True)]
    board = await wallboard_out(request)
    groups = await Group.all().order_by("name").values("id", "name", *GROUP_COLOURS)
    cfg = stats_config(request)
    me = request_user(request)
    return await render(request, "supervision/index.html", {
        "boot": {
            "snapshot": snapshot.model_dump(mode="json"),
            "agents": agents,
            "groups": groups,
            # Today's figures per group (service level…), re-read when a call ends.
            "board": board.model_dump(mode="json"),
            "pause_reasons": reasons or [{"code": "supervisor", "label": _("Supervisor")}],
            "reasons": await reason_labels(language),
            "me": {"id": me.id, "extension": me.extension},
            "texts": js_texts(),
            "timezone": str(cfg.tz),
            "today": local_today(cfg.tz).isoformat(),
        },
        "acd_running": snapshot.acd,
    })
