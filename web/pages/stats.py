"""S4 statistics page: calendar, report choice, filters, chart and table, CSV link.

Everything shown is read from ``GET /api/v1/stats/report`` by the page's script, so the page
and the API cannot disagree; the server only gives the choices (reports, groups, agents).
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from crm.models import Role
from crm.stats.periods import QuickRange, local_today
from crm.stats.reports import REPORTS
from web.api.stats import stats_config
from web.i18n import gettext as _
from web.pages.supervision import people
from web.render import render
from web.security.auth import require_role

routes = web.RouteTableDef()

RANGE_LABELS = {
    QuickRange.TODAY: "Today",
    QuickRange.YESTERDAY: "Yesterday",
    QuickRange.THIS_WEEK: "This week",
    QuickRange.LAST_WEEK: "Last week",
    QuickRange.LAST_7_DAYS: "Last 7 days",
    QuickRange.LAST_30_DAYS: "Last 30 days",
    QuickRange.THIS_MONTH: "This month",
    QuickRange.LAST_MONTH: "Last month",
}
GRANULARITY_LABELS = {"month": "By month", "day": "By day", "hour": "By hour",
                      "hour_of_day": "By hour of the day"}


@routes.get("/stats")
@require_role(Role.SUPERVISOR)
async def stats_page(request: web.Request) -> web.StreamResponse:
    cfg = stats_config(request)
    agents, groups = await people()
    wanted = request.query.get("report", "calls")
    # A report's address says what it shows (the page keeps it up to date): a link or a
    # reload opens the same range.
    quick = request.query.get("range", "")
    today = local_today(cfg.tz).isoformat()
    start, end = (_day(request.query.get("from"), today), _day(request.query.get("to"), today))
    return await render(request, "stats/index.html", {
        "reports": [(s.name, _(s.title), [str(g) for g in s.granularities])
                    for s in REPORTS.values()],
        "ranges": [(str(k), _(v)) for k, v in RANGE_LABELS.items()],
        "granularity_labels": {k: _(v) for k, v in GRANULARITY_LABELS.items()},
        "groups": groups,
        "agents": [a for a in agents if a["role"] == "agent"],
        "today": today, "start": start, "end": end,
        "timezone": str(cfg.tz),
        "selected": wanted if wanted in REPORTS else "calls",
        "boot": {"texts": {w: _(w) for w in ("n/a", "No data in this interval.",
                                              "Loading…", "Error", "Total", "number",
                                              "hours", "minutes", "seconds")},
                 "range": quick if quick in set(QuickRange) else "",
                 "granularity": request.query.get("granularity", "")},
    })


def _day(value: str | None, default: str) -> str:
    try:
        return date.fromisoformat(value or "").isoformat()
    except ValueError:
        return default
