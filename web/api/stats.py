"""S4 statistics and B1 KPIs over JSON and CSV, and the S5 per-agent "Actions" figures.

The report itself is computed by :mod:`crm.stats`; this module only turns a query string into
an interval and filters, checks them (a bad date, a reversed interval, an unknown report,
group or agent is a 400 with a message, never an empty report that looks true), and
translates the labels into the user's language. The statistics page is built on these
routes only.

The report name travels in the query string (``?report=calls``), not in the path: the
OpenAPI generator types every path parameter as an integer.
"""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm.errors import CrmError, InvalidInput
from crm.models import Group, Role, User
from crm.stats import agent_activity
from crm.stats.csv import csv_filename, report_to_csv
from crm.stats.periods import (
    Granularity,
    Interval,
    QuickRange,
    interval,
    local_today,
    quick_range,
)
from crm.stats.reports import REPORTS, run_report
from crm.stats.types import Filters, Report, StatsConfig
from web.api.registry import ApiRouteTable, parse_id, path_id
from web.appkeys import SETTINGS_KEY
from web.errors import ApiError, translate_crm
from web.formatting import phone_display
from web.i18n import gettext
from web.reasons import reason_labels

routes = ApiRouteTable("Statistics")

# More ids than this in one filter is not a report anyone reads: refused, not computed.
MAX_FILTER_IDS = 1000


# -- models ----------------------------------------------------------------------------------


class PeriodQuery(BaseModel):
    """The calendar: either a quick ``range`` or ``from``/``to`` local dates (both
    included); nothing at all means today, in the call centre's time zone."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str | None = Field(default=None, alias="from", description="YYYY-MM-DD, local")
    to: str | None = Field(default=None, description="YYYY-MM-DD, local, included")
    range: str | None = Field(
        default=None, description="a quick range (wins over from/to)",
        json_schema_extra={"enum": [str(r) for r in QuickRange]})


class ReportQuery(PeriodQuery):
    # Plain strings checked by the handler (a 400 naming the known values), documented as
    # the enums they are.
    report: str = Field(description="a report name from GET /api/v1/stats/reports",
                        json_schema_extra={"enum": list(REPORTS)})
    granularity: str | None = Field(
        default=None, description="for the reports that have one",
        json_schema_extra={"enum": [str(g) for g in Granularity]})
    groups: str = Field(default="", description="group ids, comma separated (empty: all)")
    agents: str = Field(default="", description="agent ids, comma separated (empty: all)")


_KIND = "(?:" + "|".join(str(k) for k in agent_activity.ActionKind) + ")"
_KINDS_PATTERN = rf"^(?:\s*{_KIND}\s*(?:,\s*{_KIND}\s*)*)?$"


class ActionsQuery(PeriodQuery):
    kinds: str = Field(default="", description="kinds of action, comma separated "
                       "(call, intervention, rejection, missed, transfer, pause, login, "
                       "logout, audit); empty: all but missed",
                       pattern=_KINDS_PATTERN)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


class ColumnOut(BaseModel):
    key: str
    label: str
    kind: str


class DatasetOut(BaseModel):
    key: str
    label: str
    kind: str
    data: list[float | None]


class ChartOut(BaseModel):
    type: str
    labels: list[str]
    datasets: list[DatasetOut]


class KpiOut(BaseModel):
    key: str
    label: str
    value: float | None
    unit: str
    numerator: float
    denominator: float
    thresholds: dict[str, int]
    method: str = Field(description="how the figure is computed, in the user's language")


class IntervalOut(BaseModel):
    # "from" is a Python keyword: the field is from_, always written "from" in JSON
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)
    from_: str = Field(alias="from")
    to: str
    timezone: str


class ReportOut(BaseModel):
    name: str
    title: str
    interval: IntervalOut
    granularity: str | None
    granularities: list[str]
    filters: dict[str, list[int]]
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None
    chart: ChartOut
    kpis: list[KpiOut]
    thresholds: dict[str, int]
    notes: list[str]


class ReportInfo(BaseModel):
    name: str
    title: str
    granularities: list[str]


class ReportList(BaseModel):
    reports: list[ReportInfo]
    ranges: list[str]
    timezone: str
    today: str
    thresholds: dict[str, int]


class AgentCallStatsOut(BaseModel):
    agent_id: int
    agent: str
    interval: IntervalOut
    received: int
    answered: int
    rejected: int
    missed: int
    transferred: int
    handled: int
    talk_s: float
    hold_s: float
    wrapup_s: float
    aht_s: float | None
    pause_s: float
    pauses: int
    pause_by_reason: dict[str, float]
    logged_s: float
    occupancy: float | None


class ActionOut(BaseModel):
    at: str
    local_time: str
    kind: str
    details: dict[str, Any]


class ActionPageOut(BaseModel):
    agent_id: int
    agent: str
    interval: IntervalOut
    items: list[ActionOut]
    total: int
    limit: int
    offset: int


# -- helpers shared with the pages -----------------------------------------------------------


def stats_config(request: web.Request) -> StatsConfig:
    return StatsConfig.from_settings(request.app[SETTINGS_KEY])


def bad_request(exc: CrmError) -> ApiError:
    """A bad query string is the caller's syntax error: 400, with the domain's message."""
    message, fields = translate_crm(exc, translate=gettext)
    return ApiError(400, "bad_request", message, fields)


def resolve_interval(cfg: StatsConfig, query: PeriodQuery) -> Interval:
    try:
        if query.range:
            return quick_range(query.range, local_today(cfg.tz))
        today = local_today(cfg.tz).isoformat()
        return interval(query.from_ or today, query.to or query.from_ or today)
    except InvalidInput as exc:
        raise bad_request(exc) from None


def _ids(raw: str, field: str) -> tuple[int, ...]:
    ids = [parse_id(p.strip()) for p in raw.split(",") if p.strip()]
    if any(i is None for i in ids) or len(ids) > MAX_FILTER_IDS:
        raise ApiError(400, "bad_request", gettext("Expected ids separated by commas."),
                       {field: gettext("expected ids separated by commas")})
    return tuple(sorted({i for i in ids if i is not None}))


async def resolve_filters(query: ReportQuery) -> Filters:
    """The group and agent filters; an id that does not exist is an error, not an empty
    report (a typo must not look like a quiet day)."""
    group_ids = _ids(query.groups, "groups")
    agent_ids = _ids(query.agents, "agents")
    if group_ids:
        found = set(cast("list[int]", await Group.filter(id__in=group_ids).values_list(
            "id", flat=True)))  # tortoise types flat values_list as tuples
        missing = [g for g in group_ids if g not in found]
        if missing:
            raise ApiError(400, "bad_request",
                           gettext("Unknown group {id}.").format(id=missing[0]),
                           {"groups": gettext("unknown group")})
    if agent_ids:
        found = set(cast("list[int]", await User.filter(id__in=agent_ids).values_list(
            "id", flat=True)))  # tortoise types flat values_list as tuples
        missing = [a for a in agent_ids if a not in found]
        if missing:
            raise ApiError(400, "bad_request",
                           gettext("Unknown agent {id}.").format(id=missing[0]),
                           {"agents": gettext("unknown agent")})
    return Filters.of(group_ids, agent_ids)


def interval_out(cfg: StatsConfig, iv: Interval) -> IntervalOut:
    return IntervalOut(from_=iv.start.isoformat(), to=iv.end.isoformat(), timezone=str(cfg.tz))


def _cell(value: Any) -> Any:
    # Text cells that are msgids ("Total", "(no group)") are shown translated; names pass.
    return gettext(value) if isinstance(value, str) and value in ("Total", "(no group)") \
        else value


def report_out(cfg: StatsConfig, report: Report) -> ReportOut:
    spec = REPORTS[report.name]
    return ReportOut(
        name=report.name,
        title=gettext(report.title),
        interval=interval_out(cfg, report.interval),
        granularity=str(report.granularity) if report.granularity else None,
        granularities=[str(g) for g in spec.granularities],
        filters={"groups": list(report.filters.group_ids),
                 "agents": list(report.filters.agent_ids)},
        columns=[ColumnOut(key=c.key, label=gettext(c.label), kind=c.kind)
                 for c in report.columns],
        rows=[{k: _cell(v) for k, v in row.items()} for row in report.rows],
        totals={k: _cell(v) for k, v in report.totals.items()} if report.totals else None,
        chart=ChartOut(
            type=report.chart.type,
            labels=report.chart.labels,
            datasets=[DatasetOut(key=d.key, label=gettext(d.label), kind=d.kind, data=d.data)
                      for d in report.chart.datasets],
        ),
        kpis=[KpiOut(key=k.key, label=gettext(k.label), value=k.value, unit=k.unit,
                     numerator=k.numerator, denominator=k.denominator,
                     thresholds=k.thresholds,
                     method=gettext(k.method_template).format(**k.thresholds))
              for k in report.kpis],
        thresholds=report.thresholds,
        notes=[gettext(n) for n in report.notes],
    )


async def compute_report(request: web.Request, query: ReportQuery) -> tuple[StatsConfig, Report]:
    cfg = stats_config(request)
    if query.report not in REPORTS:
        raise ApiError(400, "bad_request",
                       gettext("Unknown report {name}; known: {known}.").format(
                           name=query.report, known=", ".join(REPORTS)),
                       {"report": gettext("unknown report")})
    iv = resolve_interval(cfg, query)
    filters = await resolve_filters(query)
    try:
        report = await run_report(query.report, cfg, iv, filters, query.granularity)
    except InvalidInput as exc:
        raise bad_request(exc) from None
    if report.name == "pauses":
        # The states keep the reason's code; the page and the CSV show its label, in the
        # user's language, as every other screen does.
        labels = await reason_labels()
        for row in report.rows:
            row["reason"] = labels.get(row["reason"], row["reason"])
        report.chart.labels = [labels.get(code, code) for code in report.chart.labels]
    return cfg, report


async def _agent(agent_id: int) -> User:
    user = await User.get_or_none(id=agent_id)
    if user is None:
        raise ApiError(404, "not_found", gettext("Unknown agent {id}.").format(id=agent_id))
    return user


# -- routes ----------------------------------------------------------------------------------


@routes.get("/api/v1/stats/reports", role=Role.SUPERVISOR, response=ReportList,
            summary="The reports available, the quick ranges and the call centre's time zone")
async def list_reports(request: web.Request) -> ReportList:
    cfg = stats_config(request)
    return ReportList(
        reports=[ReportInfo(name=s.name, title=gettext(s.title),
                            granularities=[str(g) for g in s.granularities])
                 for s in REPORTS.values()],
        ranges=[str(r) for r in QuickRange],
        timezone=str(cfg.tz),
        today=local_today(cfg.tz).isoformat(),
        thresholds={"service_level_s": cfg.service_level_s,
                    "short_abandon_s": cfg.short_abandon_s},
    )


@routes.get("/api/v1/stats/report", role=Role.SUPERVISOR, query=ReportQuery,
            response=ReportOut,
            summary="One S4 report or B1 KPI table: rows, totals, chart series, KPIs with "
                    "their method; times in the call centre's time zone")
async def get_report(request: web.Request, query: ReportQuery) -> ReportOut:
    cfg, report = await compute_report(request, query)
    return report_out(cfg, report)


@routes.get("/api/v1/stats/report.csv", role=Role.SUPERVISOR, query=ReportQuery,
            content_type="text/csv",
            summary="The same report as CSV (text/csv; header, rows, totals)")
async def get_report_csv(request: web.Request, query: ReportQuery) -> web.Response:
    _, report = await compute_report(request, query)
    body = report_to_csv(report, gettext)
    return web.Response(
        text=body, content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_filename(report)}"'},
    )


@routes.get("/api/v1/stats/agents/{agent_id}/calls", role=Role.SUPERVISOR,
            query=PeriodQuery, response=AgentCallStatsOut, errors=(404,),
            summary="S5 Actions: one agent's call statistics (received, answered, rejected, "
                    "transferred, missed, talk and pause time) over an interval")
async def agent_calls(request: web.Request, query: PeriodQuery) -> AgentCallStatsOut:
    cfg = stats_config(request)
    user = await _agent(path_id(request, "agent_id"))
    iv = resolve_interval(cfg, query)
    stats = await agent_activity.agent_call_stats(cfg, user.id, iv)
    data = stats.as_dict()
    data.update(agent=user.name, interval=interval_out(cfg, iv))
    return AgentCallStatsOut.model_validate(data)


@routes.get("/api/v1/stats/agents/{agent_id}/actions", role=Role.SUPERVISOR,
            query=ActionsQuery, response=ActionPageOut, errors=(404,),
            summary="S5 Actions: one agent's action history, newest first, paginated and "
                    "filtered by kind")
async def agent_actions(request: web.Request, query: ActionsQuery) -> ActionPageOut:
    cfg = stats_config(request)
    user = await _agent(path_id(request, "agent_id"))
    iv = resolve_interval(cfg, query)
    kinds = [k.strip() for k in query.kinds.split(",") if k.strip()]
    try:
        page = await agent_activity.agent_action_history(
            cfg, user.id, iv, kinds or None, limit=query.limit, offset=query.offset)
    except InvalidInput as exc:
        raise bad_request(exc) from None
    region = request.app[SETTINGS_KEY].default_region
    items = []
    for action in page.items:
        data = action.as_dict()
        if data["details"].get("caller_number"):
            data["details"]["caller_display"] = phone_display(
                str(data["details"]["caller_number"]), region)
        items.append(ActionOut.model_validate(data))
    return ActionPageOut(
        agent_id=user.id, agent=user.name, interval=interval_out(cfg, iv),
        items=items,
        total=page.total, limit=page.limit, offset=page.offset,
    )
