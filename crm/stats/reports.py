"""S4 reports and B1 KPIs, read from the rollups.

Every report takes a :class:`StatsConfig` (time zone, thresholds), an :class:`Interval` of
local dates and :class:`Filters`, and returns a :class:`Report`: table rows, totals, a chart
(labels + datasets) and, where it has them, KPIs with their method.

Counting rules (also in each report's ``notes``):
- every figure of a call (its offers included) is counted in the local hour the call
  started; a transfer to another agent or group creates a new call leg: ``calls`` counts
  the calls that reached the centre (legs not counted twice), queue figures count each
  queue entry, an agent's figures count the legs they handled;
- queue KPIs (service level, ASA, abandon rate, AHT) use inbound calls only, talk time in
  agent reports includes outbound (click-to-call) calls;
- agent times come from the agent states (closed ones), split across hours; a group filter
  on them keeps the group's current members.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from crm.errors import N_, InvalidInput
from crm.stats import kpi, queries
from crm.stats.periods import (
    Granularity,
    Interval,
    bucket_keys,
    hour_key,
    parse_granularity,
)
from crm.stats.types import (
    INT,
    PERCENT,
    SECONDS,
    TEXT,
    Chart,
    Column,
    Dataset,
    Filters,
    Report,
    StatsConfig,
)

INBOUND = ("inbound",)
HANDLING_STATES = ("on_call", "wrapup")
IDLE_STATES = ("available", "ringing")

NOTE_BUCKET = N_("Each call, with its offers, counts in the local hour it started.")
NOTE_LEGS = N_(
    "A transfer creates a new call leg: 'calls' counts calls reaching the centre once, "
    "queue figures count every queue entry, agents count the legs they handled."
)
NOTE_INBOUND = N_("Queue KPIs use inbound calls only.")
NOTE_STATES = N_(
    "Agent times come from the agent states that have ended, split across local hours; a "
    "group filter keeps the group's current members."
)
NOTE_MISSED = N_("Missed: offers not answered in time or refused as busy by the phone.")
NOTE_PER_AGENT = N_(
    "Received and answered: calls offered to the agent (from a queue, or transferred to "
    "them); 'answered from the queue' is the figure of the KPI reports. Calls placed "
    "(click-to-call) are counted apart, their talk time with the rest."
)
NOTE_OWN_T = N_(
    "Each group's service level uses the group's own threshold T; the total counts each "
    "call against its own group's T."
)

_BY_GRANULARITY: dict[Granularity, tuple[str, ...]] = {
    Granularity.MONTH: ("month",),
    Granularity.DAY: ("local_date",),
    Granularity.HOUR: ("local_date", "local_hour"),
    Granularity.HOUR_OF_DAY: ("local_hour",),
}


def _bucket_label(row: dict[str, Any], granularity: Granularity) -> str:
    match granularity:
        case Granularity.MONTH:
            return str(row["month"])
        case Granularity.DAY:
            day: date = row["local_date"]
            return day.isoformat()
        case Granularity.HOUR:
            return hour_key(row["local_date"], row["local_hour"])
        case Granularity.HOUR_OF_DAY:
            return f"{row['local_hour']:02d}:00"
    raise AssertionError(granularity)  # pragma: no cover


def _add(into: dict[str, Any], row: dict[str, Any], skip: Iterable[str] = ()) -> None:
    skipped = set(skip)
    for key, value in row.items():
        if key not in skipped and isinstance(value, int | float):
            into[key] = into.get(key, 0) + value


def _fold(
    rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any], skip: Sequence[str]
) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        _add(out.setdefault(key(row), {}), row, skip)
    return out


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# -- KPIs from sums --------------------------------------------------------------------------


def call_kpis(sums: dict[str, Any], t_s: int, short_s: int) -> dict[str, kpi.Kpi]:
    """Queue KPIs of summed call rows (``within_<t>`` and ``short_<s>`` must be present)."""
    abandoned_long = sums.get("abandoned", 0) - sums.get(f"short_{short_s}", 0)
    answered = sums.get("answered_queued", 0)
    return {
        "service_level": kpi.service_level(
            sums.get(f"within_{t_s}", 0), answered, abandoned_long, t_s, short_s
        ),
        "asa": kpi.average_speed_of_answer(sums.get("wait_answered_s", 0.0), answered),
        "aht": kpi.average_handle_time(
            sums.get("talk_s", 0.0),
            sums.get("hold_s", 0.0),
            sums.get("wrapup_s", 0.0),
            sums.get("handled", 0),
        ),
        "abandon_rate": kpi.abandon_rate(abandoned_long, sums.get("queued", 0), short_s),
    }


def state_kpi(seconds_by_state: dict[str, float]) -> kpi.Kpi:
    handling = sum(seconds_by_state.get(s, 0.0) for s in HANDLING_STATES)
    idle = sum(seconds_by_state.get(s, 0.0) for s in IDLE_STATES)
    return kpi.occupancy(handling, idle)


def _kpi_cells(kpis: dict[str, kpi.Kpi]) -> dict[str, float | None]:
    return {name: _round(k.value) for name, k in kpis.items()}


def _queue_counts(sums: dict[str, Any], short_s: int) -> dict[str, Any]:
    short = sums.get(f"short_{short_s}", 0)
    return {
        "queued": sums.get("queued", 0),
        "answered": sums.get("answered_queued", 0),
        "abandoned": sums.get("abandoned", 0) - short,
        "short_abandoned": short,
        # Shown so the reader sees them: neither answered nor abandoned, they count in no
        # service level and only in the abandon rate's denominator (see the KPI methods).
        "timed_out": sums.get("timed_out", 0),
        "overflowed": sums.get("overflowed", 0),
    }


KPI_COLUMNS = [
    Column("service_level", kpi.LABELS["service_level"], PERCENT),
    Column("asa", kpi.LABELS["asa"], SECONDS),
    Column("aht", kpi.LABELS["aht"], SECONDS),
    Column("abandon_rate", kpi.LABELS["abandon_rate"], PERCENT),
]
QUEUE_COLUMNS = [
    Column("queued", N_("Queued")),
    # "from the queue": an agent's offers answered (calls per agent) also count the
    # transfers they took; both reports say which figure they show.
    Column("answered", N_("Answered from the queue")),
    Column("abandoned", N_("Abandoned")),
    Column("short_abandoned", N_("Short abandons")),
    Column("timed_out", N_("Timed out")),
    Column("overflowed", N_("Overflowed")),
]


def _thresholds(cfg: StatsConfig) -> dict[str, int]:
    return {"service_level_s": cfg.service_level_s, "short_abandon_s": cfg.short_abandon_s}


# -- calls by period -----------------------------------------------------------------------


async def call_report(
    cfg: StatsConfig, iv: Interval, filters: Filters, granularity: Granularity | str
) -> Report:
    """Calls by month, day or hour: volumes and queue KPIs per bucket."""
    granularity = parse_granularity(granularity)
    by = _BY_GRANULARITY[granularity]
    t, short = cfg.service_level_s, cfg.short_abandon_s
    rows = await queries.call_sums(
        iv, filters, (*by, "direction"), sl_thresholds=[t], short_thresholds=[short]
    )
    inbound = _fold(
        (r for r in rows if r["direction"] == "inbound"),
        lambda r: _bucket_label(r, granularity),
        by,
    )
    every = _fold(rows, lambda r: _bucket_label(r, granularity), by)
    outbound = _fold(
        (r for r in rows if r["direction"] == "outbound"),
        lambda r: _bucket_label(r, granularity),
        by,
    )
    labels = bucket_keys(iv, granularity, cfg.tz)
    table = [
        _call_row(
            label, every.get(label, {}), inbound.get(label, {}), outbound.get(label, {}), t, short
        )
        for label in labels
    ]
    total_in: dict[str, Any] = {}
    total_all: dict[str, Any] = {}
    total_out: dict[str, Any] = {}
    for src, dst in ((inbound, total_in), (every, total_all), (outbound, total_out)):
        for sums in src.values():
            _add(dst, sums)
    totals = _call_row(N_("Total"), total_all, total_in, total_out, t, short)
    columns = [
        Column("bucket", N_("Period"), TEXT),
        Column("calls", N_("Calls")),
        Column("inbound", N_("Inbound")),
        Column("outbound", N_("Outbound")),
        *QUEUE_COLUMNS,
        Column("transferred", N_("Transferred")),
        Column("talk_s", N_("Talk time"), SECONDS),
        *KPI_COLUMNS,
    ]
    chart = Chart(
        labels,
        [
            Dataset("answered", N_("Answered"), [r["answered"] for r in table]),
            Dataset("abandoned", N_("Abandoned"), [r["abandoned"] for r in table]),
            Dataset(
                "service_level",
                kpi.LABELS["service_level"],
                [r["service_level"] for r in table],
                PERCENT,
            ),
        ],
    )
    return Report(
        "calls",
        N_("Calls by period"),
        iv,
        filters,
        columns,
        table,
        chart,
        granularity=granularity,
        totals=totals,
        kpis=list(call_kpis(total_in, t, short).values()),
        thresholds=_thresholds(cfg),
        notes=[NOTE_BUCKET, NOTE_LEGS, NOTE_INBOUND],
    )


def _call_row(
    label: str,
    every: dict[str, Any],
    inbound: dict[str, Any],
    outbound: dict[str, Any],
    t: int,
    short: int,
) -> dict[str, Any]:
    return {
        "bucket": label,
        "calls": every.get("new_calls", 0),
        "inbound": inbound.get("new_calls", 0),
        "outbound": outbound.get("new_calls", 0),
        **_queue_counts(inbound, short),
        "transferred": every.get("transferred", 0),
        "talk_s": _round(every.get("talk_s", 0.0)),
        **_kpi_cells(call_kpis(inbound, t, short)),
    }


async def calls_per_day(cfg: StatsConfig, iv: Interval, filters: Filters) -> Report:
    """Manual report 4: total calls per day."""
    base = await call_report(cfg, iv, filters, Granularity.DAY)
    keep = ("bucket", "calls", "inbound", "outbound", "answered", "abandoned", "transferred")
    base.name, base.title = "calls_per_day", N_("Total calls per day")
    base.columns = [c for c in base.columns if c.key in keep]
    base.rows = [{k: r[k] for k in keep} for r in base.rows]
    base.totals = {k: base.totals[k] for k in keep} if base.totals else None
    base.chart = Chart(
        base.chart.labels, [Dataset("calls", N_("Calls"), [r["calls"] for r in base.rows])]
    )
    return base


# -- calls per agent -------------------------------------------------------------------------


async def calls_per_agent(cfg: StatsConfig, iv: Interval, filters: Filters) -> Report:
    """Manual report 2: per agent, offers received, answered, rejected, missed, calls
    transferred, talk time and average handle time."""
    offers = {r["agent_id"]: r for r in await queries.offer_sums(iv, filters, ("agent_id",))}
    calls: dict[int, dict[str, Any]] = {}
    placed: dict[int, int] = {}
    for r in await queries.call_sums(iv, filters, ("agent_id", "direction")):
        if not r["agent_id"]:
            continue
        _add(calls.setdefault(r["agent_id"], {}), r, ("agent_id",))
        if r["direction"] == "outbound":
            placed[r["agent_id"]] = placed.get(r["agent_id"], 0) + r.get("new_calls", 0)
    for agent_id, count in placed.items():
        calls[agent_id]["placed"] = count
    names = await queries.agent_names([*offers, *calls])
    table = []
    for agent_id in sorted(names, key=lambda a: (names[a].lower(), a)):
        table.append(
            _agent_calls_row(
                agent_id, names[agent_id], offers.get(agent_id, {}), calls.get(agent_id, {})
            )
        )
    totals_offers: dict[str, Any] = {}
    totals_calls: dict[str, Any] = {}
    for o in offers.values():
        _add(totals_offers, o, ("agent_id",))
    for c in calls.values():
        _add(totals_calls, c, ("agent_id",))
    totals = _agent_calls_row(0, N_("Total"), totals_offers, totals_calls)
    columns = [
        Column("agent", N_("Agent"), TEXT),
        Column("received", N_("Received")),
        Column("answered", N_("Answered")),
        Column("from_queue", N_("Answered from the queue")),
        Column("transfers_taken", N_("Transfers taken")),
        Column("rejected", N_("Rejected")),
        Column("missed", N_("Missed")),
        Column("transferred", N_("Transferred")),
        Column("placed", N_("Calls placed")),
        Column("handled", N_("Calls handled")),
        Column("talk_s", N_("Talk time"), SECONDS),
        Column("aht", kpi.LABELS["aht"], SECONDS),
    ]
    chart = Chart(
        [r["agent"] for r in table],
        [
            Dataset(key, label, [r[key] for r in table])
            for key, label in (
                ("answered", N_("Answered")),
                ("rejected", N_("Rejected")),
                ("missed", N_("Missed")),
                ("transferred", N_("Transferred")),
            )
        ],
    )
    return Report(
        "calls_per_agent",
        N_("Calls per agent"),
        iv,
        filters,
        columns,
        table,
        chart,
        totals=totals,
        kpis=[
            kpi.average_handle_time(
                totals_calls.get("talk_s", 0.0),
                totals_calls.get("hold_s", 0.0),
                totals_calls.get("wrapup_s", 0.0),
                totals_calls.get("handled", 0),
            )
        ],
        thresholds=_thresholds(cfg),
        notes=[NOTE_BUCKET, NOTE_LEGS, NOTE_MISSED, NOTE_PER_AGENT],
    )


def _agent_calls_row(
    agent_id: int, name: str, offers: dict[str, Any], calls: dict[str, Any]
) -> dict[str, Any]:
    aht = kpi.average_handle_time(
        calls.get("talk_s", 0.0),
        calls.get("hold_s", 0.0),
        calls.get("wrapup_s", 0.0),
        calls.get("handled", 0),
    )
    answered = offers.get("answered", 0)
    from_queue = calls.get("answered_queued", 0)
    return {
        "agent_id": agent_id,
        "agent": name,
        "received": offers.get("offers", 0),
        "answered": answered,
        "from_queue": from_queue,
        "transfers_taken": max(0, answered - from_queue),
        "placed": calls.get("placed", 0),
        "rejected": offers.get("rejected", 0),
        "missed": offers.get("no_answer", 0) + offers.get("busy", 0),
        "transferred": calls.get("transferred", 0),
        "handled": calls.get("handled", 0),
        "talk_s": _round(calls.get("talk_s", 0.0)),
        "aht": _round(aht.value),
    }


async def monthly_talk_time_per_agent(cfg: StatsConfig, iv: Interval, filters: Filters) -> Report:
    """Manual report 1: talk time of each agent per month."""
    rows = [r for r in await queries.call_sums(iv, filters, ("agent_id", "month")) if r["agent_id"]]
    names = await queries.agent_names(r["agent_id"] for r in rows)
    table = [
        {
            "agent_id": r["agent_id"],
            "agent": names[r["agent_id"]],
            "month": r["month"],
            "handled": r["handled"],
            "talk_s": _round(r["talk_s"]),
            "avg_talk_s": _round(r["talk_s"] / r["handled"]) if r["handled"] else None,
        }
        for r in rows
    ]
    table.sort(key=lambda r: (r["agent"].lower(), r["agent_id"], r["month"]))
    columns = [
        Column("agent", N_("Agent"), TEXT),
        Column("month", N_("Month"), TEXT),
        Column("handled", N_("Calls handled")),
        Column("talk_s", N_("Talk time"), SECONDS),
        Column("avg_talk_s", N_("Average talk time"), SECONDS),
    ]
    chart = _per_agent_chart(iv, cfg, table, "talk_s", SECONDS)
    return Report(
        "monthly_talk_time_per_agent",
        N_("Monthly call durations per agent"),
        iv,
        filters,
        columns,
        table,
        chart,
        granularity=Granularity.MONTH,
        totals={
            "agent": N_("Total"),
            "handled": sum(r["handled"] for r in table),
            "talk_s": _round(sum(r["talk_s"] or 0 for r in table)),
        },
        notes=[NOTE_BUCKET, NOTE_LEGS],
    )


async def calls_per_agent_per_month(cfg: StatsConfig, iv: Interval, filters: Filters) -> Report:
    """Manual report 3: number of calls of each agent per month (offers received and calls
    handled)."""
    calls = {
        (r["agent_id"], r["month"]): r
        for r in await queries.call_sums(iv, filters, ("agent_id", "month"))
        if r["agent_id"]
    }
    offers = {
        (r["agent_id"], r["month"]): r
        for r in await queries.offer_sums(iv, filters, ("agent_id", "month"))
    }
    keys = set(calls) | set(offers)
    names = await queries.agent_names(a for a, _ in keys)
    table = [
        {
            "agent_id": agent_id,
            "agent": names[agent_id],
            "month": month,
            "received": offers.get((agent_id, month), {}).get("offers", 0),
            "calls": calls.get((agent_id, month), {}).get("answered", 0),
        }
        for agent_id, month in keys
    ]
    table.sort(key=lambda r: (r["agent"].lower(), r["agent_id"], r["month"]))
    columns = [
        Column("agent", N_("Agent"), TEXT),
        Column("month", N_("Month"), TEXT),
        Column("received", N_("Received")),
        Column("calls", N_("Calls answered")),
    ]
    return Report(
        "calls_per_agent_per_month",
        N_("Number of calls per agent per month"),
        iv,
        filters,
        columns,
        table,
        _per_agent_chart(iv, cfg, table, "calls", INT),
        granularity=Granularity.MONTH,
        totals={
            "agent": N_("Total"),
            "received": sum(r["received"] for r in table),
            "calls": sum(r["calls"] for r in table),
        },
        notes=[NOTE_BUCKET, NOTE_LEGS],
    )


def _per_agent_chart(
    iv: Interval, cfg: StatsConfig, table: list[dict[str, Any]], key: str, kind: str
) -> Chart:
    months = bucket_keys(iv, Granularity.MONTH, cfg.tz)
    datasets: dict[int, Dataset] = {}
    for row in table:
        ds = datasets.get(row["agent_id"])
        if ds is None:
            ds = datasets[row["agent_id"]] = Dataset(
                f"agent_{row['agent_id']}", row["agent"], [0] * len(months), kind
            )
        ds.data[months.index(row["month"])] = row[key] or 0
    return Chart(months, list(datasets.values()))


# -- KPIs per group / agent ------------------------------------------------------------------


async def kpi_report(
    cfg: StatsConfig,
    iv: Interval,
    filters: Filters,
    per: str = "group",
    granularity: Granularity | str = Granularity.DAY,
) -> Report:
    """B1: service level, ASA, AHT, abandon rate, occupancy and pause time per group (each
    with its own T) or per agent, totals for the interval and a series per day or hour."""
    if per not in ("group", "agent"):
        raise InvalidInput(N_("KPIs are per group or per agent, not {per}."), per=per)
    granularity = parse_granularity(granularity)
    key = f"{per}_id"
    t, short = cfg.service_level_s, cfg.short_abandon_s
    groups = await queries.groups_info(filters.group_ids or None)
    # each group is measured with its own T (0 = the global one): ask for all of them
    group_ts = {gid: g_t or t for gid, (_, g_t) in groups.items()}
    calls = await queries.call_sums(
        iv,
        filters,
        (key,),
        directions=INBOUND,
        sl_thresholds={t, *group_ts.values()} if per == "group" else {t},
        short_thresholds=[short],
    )
    seconds: dict[int, dict[str, float]] = {}
    for r in await queries.state_sums(iv, filters, ("agent_id", "state")):
        by_state = seconds.setdefault(r["agent_id"], {})
        by_state[r["state"]] = by_state.get(r["state"], 0.0) + r["seconds"]

    table: list[dict[str, Any]] = []
    if per == "group":
        by_group = {r["group_id"]: r for r in calls}
        shown = set(filters.group_ids) or {g for g in by_group if g}
        members = await queries.group_members(shown)
        for gid in sorted(shown, key=lambda g: (groups.get(g, ("#", 0))[0].lower(), g)):
            agents = members.get(gid, set())
            if filters.agent_ids:
                agents &= set(filters.agent_ids)
            name = groups.get(gid, (f"#{gid}", 0))[0]
            sums = by_group.get(gid, {})
            table.append(
                _kpi_row(gid, name, sums, _merge(seconds, agents), group_ts.get(gid, t), short)
            )
        if 0 in by_group and not filters.group_ids:
            table.append(_kpi_row(0, N_("(no group)"), by_group[0], {}, t, short))
    else:
        by_agent = {r["agent_id"]: r for r in calls if r["agent_id"]}
        names = await queries.agent_names([*by_agent, *seconds])
        for aid in sorted(names, key=lambda a: (names[a].lower(), a)):
            table.append(
                _kpi_row(aid, names[aid], by_agent.get(aid, {}), seconds.get(aid, {}), t, short)
            )

    total_calls: dict[str, Any] = {}
    for r in calls:
        _add(total_calls, r, (key,))
    if per == "group":
        # The total judges each call by its own group's T, as the rows do.
        total_calls[f"within_{t}"] = sum(
            r.get(f"within_{group_ts.get(r['group_id'], t)}", 0) for r in calls)
    total_states = _merge(seconds, seconds.keys())
    totals = _kpi_row(0, N_("Total"), total_calls, total_states, t, short)
    total_kpis = [*call_kpis(total_calls, t, short).values(), state_kpi(total_states)]
    if per == "group":
        total_kpis = [replace(k, method_key="service_level_own_t")
                      if k.key == "service_level" else k for k in total_kpis]
    chart = await _kpi_series(cfg, iv, filters, granularity,
                              group_ts if per == "group" else None)
    columns = [
        Column(per, N_("Group") if per == "group" else N_("Agent"), TEXT),
        *QUEUE_COLUMNS,
        *KPI_COLUMNS,
        Column("occupancy", kpi.LABELS["occupancy"], PERCENT),
        Column("pause_s", N_("Pause time"), SECONDS),
    ]
    for row in table:
        row[per] = row.pop("name")
    totals[per] = totals.pop("name")
    return Report(
        f"kpi_per_{per}",
        N_("KPIs per group") if per == "group" else N_("KPIs per agent"),
        iv,
        filters,
        columns,
        table,
        chart,
        granularity=granularity,
        totals=totals,
        kpis=total_kpis,
        thresholds=_thresholds(cfg),
        notes=[NOTE_BUCKET, NOTE_INBOUND, NOTE_STATES] + ([NOTE_OWN_T] if per == "group" else []),
    )


def _merge(seconds: dict[int, dict[str, float]], agents: Iterable[int]) -> dict[str, float]:
    out: dict[str, float] = {}
    for agent in agents:
        for state, value in seconds.get(agent, {}).items():
            out[state] = out.get(state, 0.0) + value
    return out


def _kpi_row(
    ident: int,
    name: str,
    sums: dict[str, Any],
    state_seconds: dict[str, float],
    t: int,
    short: int,
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        **_queue_counts(sums, short),
        **_kpi_cells(call_kpis(sums, t, short)),
        "occupancy": _round(state_kpi(state_seconds).value),
        "pause_s": _round(state_seconds.get("paused", 0.0)),
        "service_level_s": t,
    }


async def _kpi_series(
    cfg: StatsConfig, iv: Interval, filters: Filters, granularity: Granularity,
    group_ts: dict[int, int] | None = None,
) -> Chart:
    """KPIs per bucket; with ``group_ts`` each call's service level is judged against its
    own group's T (the per-group report), else against the global T."""
    by = _BY_GRANULARITY[granularity]
    t, short = cfg.service_level_s, cfg.short_abandon_s
    labels = bucket_keys(iv, granularity, cfg.tz)
    rows = await queries.call_sums(
        iv, filters, (*by, "group_id") if group_ts else by, directions=INBOUND,
        sl_thresholds={t, *(group_ts or {}).values()}, short_thresholds=[short])
    if group_ts:
        rows = [{**r, f"within_{t}": r.get(f"within_{group_ts.get(r['group_id'], t)}", 0)}
                for r in rows]
    calls = _fold(rows, lambda r: _bucket_label(r, granularity), (*by, "group_id"))
    states: dict[str, dict[str, float]] = {}
    for r in await queries.state_sums(iv, filters, (*by, "state")):
        bucket = states.setdefault(_bucket_label(r, granularity), {})
        bucket[r["state"]] = bucket.get(r["state"], 0.0) + r["seconds"]
    series: dict[str, list[float | None]] = {
        k: [] for k in ("service_level", "abandon_rate", "occupancy", "asa")
    }
    for label in labels:
        kpis = call_kpis(calls.get(label, {}), t, short)
        series["service_level"].append(_round(kpis["service_level"].value))
        series["abandon_rate"].append(_round(kpis["abandon_rate"].value))
        series["asa"].append(_round(kpis["asa"].value))
        series["occupancy"].append(_round(state_kpi(states.get(label, {})).value))
    return Chart(
        labels,
        [
            Dataset(k, kpi.LABELS[k], v, SECONDS if k == "asa" else PERCENT)
            for k, v in series.items()
        ],
        type="line",
    )


# -- agents by period and pauses -------------------------------------------------------------

STATE_COLUMNS = (
    ("available", N_("Available")),
    ("ringing", N_("Ringing")),
    ("on_call", N_("On call")),
    ("wrapup", N_("Wrap-up")),
    ("paused", N_("Paused")),
)


async def agent_report(
    cfg: StatsConfig, iv: Interval, filters: Filters, granularity: Granularity | str
) -> Report:
    """Agents by month, day or hour: time logged in and per state, occupancy, calls."""
    granularity = parse_granularity(granularity)
    by = _BY_GRANULARITY[granularity]
    labels = bucket_keys(iv, granularity, cfg.tz)
    states: dict[str, dict[str, float]] = {}
    for r in await queries.state_sums(iv, filters, (*by, "state")):
        bucket = states.setdefault(_bucket_label(r, granularity), {})
        bucket[r["state"]] = bucket.get(r["state"], 0.0) + r["seconds"]
    calls = _fold(
        await queries.call_sums(iv, filters, by, agents_only=True),
        lambda r: _bucket_label(r, granularity),
        by,
    )
    table = [_agent_row(label, states.get(label, {}), calls.get(label, {})) for label in labels]
    total_states: dict[str, float] = {}
    total_calls: dict[str, Any] = {}
    for s in states.values():
        _add(total_states, s)
    for c in calls.values():
        _add(total_calls, c)
    columns = [
        Column("bucket", N_("Period"), TEXT),
        Column("logged_s", N_("Logged in"), SECONDS),
        *(Column(f"{key}_s", label, SECONDS) for key, label in STATE_COLUMNS),
        Column("occupancy", kpi.LABELS["occupancy"], PERCENT),
        Column("handled", N_("Calls handled")),
        Column("talk_s", N_("Talk time"), SECONDS),
    ]
    chart = Chart(
        labels,
        [
            Dataset(f"{k}_s", label, [r[f"{k}_s"] for r in table], SECONDS)
            for k, label in STATE_COLUMNS
        ],
    )
    return Report(
        "agents",
        N_("Agents by period"),
        iv,
        filters,
        columns,
        table,
        chart,
        granularity=granularity,
        totals=_agent_row(N_("Total"), total_states, total_calls),
        kpis=[state_kpi(total_states)],
        thresholds=_thresholds(cfg),
        notes=[NOTE_STATES, NOTE_BUCKET],
    )


def _agent_row(label: str, seconds: dict[str, float], calls: dict[str, Any]) -> dict[str, Any]:
    return {
        "bucket": label,
        "logged_s": _round(sum(seconds.values())),
        **{f"{key}_s": _round(seconds.get(key, 0.0)) for key, _ in STATE_COLUMNS},
        "occupancy": _round(state_kpi(seconds).value),
        "handled": calls.get("handled", 0),
        "talk_s": _round(calls.get("talk_s", 0.0)),
    }


async def pause_report(cfg: StatsConfig, iv: Interval, filters: Filters) -> Report:
    """Pause time by reason, per agent."""
    rows = await queries.state_sums(iv, filters, ("agent_id", "reason"), states=("paused",))
    names = await queries.agent_names(r["agent_id"] for r in rows)
    table = [
        {
            "agent_id": r["agent_id"],
            "agent": names[r["agent_id"]],
            "reason": r["reason"],
            "pauses": r["entries"],
            "pause_s": _round(r["seconds"]),
        }
        for r in rows
    ]
    table.sort(key=lambda r: (r["agent"].lower(), r["agent_id"], r["reason"]))
    by_reason: dict[str, float] = {}
    for r in rows:
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0.0) + r["seconds"]
    reasons = sorted(by_reason)
    return Report(
        "pauses",
        N_("Pause time by reason"),
        iv,
        filters,
        [
            Column("agent", N_("Agent"), TEXT),
            Column("reason", N_("Reason"), TEXT),
            Column("pauses", N_("Pauses")),
            Column("pause_s", N_("Pause time"), SECONDS),
        ],
        table,
        Chart(
            reasons,
            [
                Dataset(
                    "pause_s", N_("Pause time"), [_round(by_reason[r]) for r in reasons], SECONDS
                )
            ],
        ),
        totals={
            "agent": N_("Total"),
            "pauses": sum(r["pauses"] for r in table),
            "pause_s": _round(sum(by_reason.values())),
        },
        notes=[NOTE_STATES, N_("Pauses counts the pauses that started in the interval.")],
    )


# -- registry for the web layer --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportSpec:
    name: str
    title: str
    granularities: tuple[Granularity, ...]  # empty: the report has no granularity choice
    run: Callable[..., Awaitable[Report]]


_ALL = (Granularity.DAY, Granularity.MONTH, Granularity.HOUR, Granularity.HOUR_OF_DAY)
REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec("calls", N_("Calls by period"), _ALL, call_report),
        ReportSpec("agents", N_("Agents by period"), _ALL, agent_report),
        ReportSpec(
            "monthly_talk_time_per_agent",
            N_("Monthly call durations per agent"),
            (),
            monthly_talk_time_per_agent,
        ),
        ReportSpec("calls_per_agent", N_("Calls per agent"), (), calls_per_agent),
        ReportSpec(
            "calls_per_agent_per_month",
            N_("Number of calls per agent per month"),
            (),
            calls_per_agent_per_month,
        ),
        ReportSpec("calls_per_day", N_("Total calls per day"), (), calls_per_day),
        ReportSpec(
            "kpi_per_group",
            N_("KPIs per group"),
            (Granularity.DAY, Granularity.HOUR, Granularity.HOUR_OF_DAY, Granularity.MONTH),
            lambda cfg, iv, f, g=Granularity.DAY: kpi_report(cfg, iv, f, "group", g),
        ),
        ReportSpec(
            "kpi_per_agent",
            N_("KPIs per agent"),
            (Granularity.DAY, Granularity.HOUR, Granularity.HOUR_OF_DAY, Granularity.MONTH),
            lambda cfg, iv, f, g=Granularity.DAY: kpi_report(cfg, iv, f, "agent", g),
        ),
        ReportSpec("pauses", N_("Pause time by reason"), (), pause_report),
    )
}


async def run_report(
    name: str,
    cfg: StatsConfig,
    iv: Interval,
    filters: Filters | None = None,
    granularity: Granularity | str | None = None,
) -> Report:
    """Run a report by name (the keys of :data:`REPORTS`)."""
    spec = REPORTS.get(name)
    if spec is None:
        raise InvalidInput(
            N_("Unknown report {name}."), fields={"report": N_("unknown report")}, name=name
        )
    filters = filters or Filters()
    if not spec.granularities:
        return await spec.run(cfg, iv, filters)
    chosen = parse_granularity(granularity or spec.granularities[0])
    if chosen not in spec.granularities:
        raise InvalidInput(
            N_("This report cannot be shown by {granularity}."), granularity=str(chosen)
        )
    return await spec.run(cfg, iv, filters, chosen)
