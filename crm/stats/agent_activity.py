"""S5 "Actions" of an agent: call statistics (from the rollups, today from the raw rows)
and the action history.

The history merges, newest first, what the agent did from the raw tables: calls answered,
client records handled (interventions), offers rejected or missed, calls transferred,
pauses, logins/logouts (gaps in the chained agent states) and audit-log entries where the
agent is the actor or the target. Each source is read already sorted and limited to
offset + limit rows through its (agent, time) index, so a page stays cheap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q

from crm.errors import N_, InvalidInput
from crm.models import (
    AgentState,
    AgentStateName,
    AuditLog,
    Call,
    CallOutcome,
    Intervention,
    Offer,
    OfferResult,
)
from crm.stats import kpi, queries, sql
from crm.stats.periods import Interval, local_today
from crm.stats.reports import state_kpi
from crm.stats.types import Filters, StatsConfig

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class AgentCallStats:
    agent_id: int
    interval: Interval
    received: int  # offers (rings) of calls to this agent
    answered: int
    rejected: int
    missed: int  # not answered in time, or busy
    transferred: int  # calls this agent transferred
    handled: int
    talk_s: float
    hold_s: float
    wrapup_s: float
    aht_s: float | None
    pause_s: float
    pauses: int
    pause_by_reason: dict[str, float] = field(default_factory=dict)
    logged_s: float = 0.0
    occupancy: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["interval"] = {
            "from": self.interval.start.isoformat(),
            "to": self.interval.end.isoformat(),
        }
        return data


async def _call_figures(
    cfg: StatsConfig, iv: Interval, filters: Filters
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Offer and call sums of the interval: the days before today from the rollups, today
    from the raw rows, so a call the supervisor just saw end is already counted (the
    journal refreshes the rollups only every few seconds)."""
    today = local_today(cfg.tz)
    offers: dict[str, Any] = {}
    calls: dict[str, Any] = {}
    parts: list[tuple[dict[str, Any], dict[str, Any]]] = []
    if iv.start < today:
        past = Interval(iv.start, min(iv.end, today - timedelta(days=1)))
        parts.append(
            (
                (await queries.offer_sums(past, filters, ()))[0],
                (await queries.call_sums(past, filters, ()))[0],
            )
        )
    if iv.end >= today:
        now = Interval(max(iv.start, today), iv.end)
        parts.append(
            (
                (await queries.raw_offer_sums(now, filters, (), cfg.tz))[0],
                (await queries.raw_call_sums(now, filters, ()))[0],
            )
        )
    for offer_sums, call_sums in parts:
        for into, sums in ((offers, offer_sums), (calls, call_sums)):
            for key, value in sums.items():
                into[key] = into.get(key, 0) + value
    return offers, calls


async def agent_call_stats(
    cfg: StatsConfig, agent_id: int, iv: Interval, group_ids: Sequence[int] = ()
) -> AgentCallStats:
    """What the "statistics" button of S5 shows for one agent over the interval."""
    filters = Filters.of(group_ids, agent_id)
    offers, calls = await _call_figures(cfg, iv, filters)
    # pauses are the agent's whatever the group: drop the group filter for states
    states = await queries.state_sums(iv, Filters.of(None, agent_id), ("state", "reason"))
    by_state: dict[str, float] = {}
    by_reason: dict[str, float] = {}
    pauses = 0
    for r in states:
        by_state[r["state"]] = by_state.get(r["state"], 0.0) + r["seconds"]
        if r["state"] == AgentStateName.PAUSED.value:
            by_reason[r["reason"]] = by_reason.get(r["reason"], 0.0) + r["seconds"]
            pauses += r["entries"]
    aht = kpi.average_handle_time(
        calls["talk_s"], calls["hold_s"], calls["wrapup_s"], calls["handled"]
    )
    return AgentCallStats(
        agent_id=agent_id,
        interval=iv,
        received=offers["offers"],
        answered=offers["answered"],
        rejected=offers["rejected"],
        missed=offers["no_answer"] + offers["busy"],
        transferred=calls["transferred"],
        handled=calls["handled"],
        talk_s=float(calls["talk_s"]),
        hold_s=float(calls["hold_s"]),
        wrapup_s=float(calls["wrapup_s"]),
        aht_s=aht.value,
        pause_s=by_state.get(AgentStateName.PAUSED.value, 0.0),
        pauses=pauses,
        pause_by_reason=by_reason,
        logged_s=sum(by_state.values()),
        occupancy=state_kpi(by_state).value,
    )


# -- action history --------------------------------------------------------------------------


class ActionKind(StrEnum):
    CALL = "call"  # a call answered
    INTERVENTION = "intervention"  # a client record handled (note written)
    REJECTION = "rejection"
    MISSED = "missed"
    TRANSFER = "transfer"
    PAUSE = "pause"
    LOGIN = "login"
    LOGOUT = "logout"
    AUDIT = "audit"


DEFAULT_KINDS = tuple(k for k in ActionKind if k is not ActionKind.MISSED)


@dataclass(frozen=True, slots=True)
class Action:
    at: datetime  # UTC
    local_time: str  # ISO 8601 in the call centre's time zone
    kind: ActionKind
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "local_time": self.local_time,
            "kind": self.kind.value,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class ActionPage:
    items: list[Action]
    total: int
    limit: int
    offset: int


def parse_kinds(kinds: Iterable[str | ActionKind] | None) -> tuple[ActionKind, ...]:
    if not kinds:
        return DEFAULT_KINDS
    try:
        return tuple(dict.fromkeys(ActionKind(k) for k in kinds))
    except ValueError:
        raise InvalidInput(
            N_("Unknown kind of action in {kinds}."),
            fields={"kinds": N_("unknown kind")},
            kinds=", ".join(map(str, kinds)),
        ) from None


async def agent_action_history(
    cfg: StatsConfig,
    agent_id: int,
    iv: Interval,
    kinds: Iterable[str | ActionKind] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ActionPage:
    """A page of the agent's actions in the interval, newest first, and the total count."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(
            N_("The page must hold 1 to {max} entries from a non-negative offset."), max=MAX_PAGE
        )
    wanted = parse_kinds(kinds)
    start, end = iv.utc_bounds(cfg.tz)
    need = offset + limit
    collected: list[tuple[datetime, int, ActionKind, dict[str, Any]]] = []
    total = 0
    for kind in wanted:
        count, items = await _SOURCES[kind](agent_id, start, end, need)
        total += count
        collected.extend((at, i, kind, d) for i, (at, d) in enumerate(items))
    # ties: a stable order by kind then source order, so pages never overlap
    collected.sort(key=lambda x: (x[0], -wanted.index(x[2]), -x[1]), reverse=True)
    page = collected[offset:need]
    actions = [Action(at, at.astimezone(cfg.tz).isoformat(), kind, d) for at, _, kind, d in page]
    await _describe_transfers([a for a in actions if a.kind is ActionKind.TRANSFER])
    return ActionPage(actions, total, limit, offset)


Found = tuple[int, list[tuple[datetime, dict[str, Any]]]]
Source = Callable[[int, datetime, datetime, int], Awaitable[Found]]


async def _calls(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
    query = Call.filter(
        agent_id=agent_id, started_at__gte=start, started_at__lt=end, answered_at__isnull=False
    )
    rows = (
        await query.order_by("-started_at", "-id")
        .limit(need)
        .values(
            "id",
            "ref",
            "answered_at",
            "caller_number",
            "client_id",
            "group_id",
            "talk_s",
            "outcome",
            "direction",
        )
    )
    return await query.count(), [
        (
            r["answered_at"],
            {
                "call_id": r["id"],
                "call_ref": r["ref"],
                "caller_number": r["caller_number"],
                "client_id": r["client_id"],
                "group_id": r["group_id"],
                "talk_s": r["talk_s"],
                "outcome": str(r["outcome"]) if r["outcome"] else None,
                "direction": str(r["direction"]),
            },
        )
        for r in rows
    ]


async def _interventions(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
    query = Intervention.filter(agent_id=agent_id, created_at__gte=start, created_at__lt=end)
    rows = (
        await query.order_by("-created_at", "-id")
        .limit(need)
        .values(
            "id",
            "created_at",
            "client_id",
            "call_id",
            "text",
            "client__first_name",
            "client__last_name",
            "client__company",
        )
    )
    return await query.count(), [
        (
            r["created_at"],
            {
                "intervention_id": r["id"],
                "client_id": r["client_id"],
                "call_id": r["call_id"],
                "client": " ".join(
                    x for x in (r["client__first_name"], r["client__last_name"]) if x
                )
                or r["client__company"],
                "excerpt": r["text"][:200],
            },
        )
        for r in rows
    ]


def _offers(result: OfferResult) -> Source:
    async def source(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
        query = Offer.filter(
            agent_id=agent_id, offered_at__gte=start, offered_at__lt=end, result=result
        )
        rows = (
            await query.order_by("-offered_at", "-id")
            .limit(need)
            .values(
                "id",
                "offered_at",
                "ended_at",
                "forced",
                "call_id",
                "call__ref",
                "call__caller_number",
                "call__client_id",
                "call__group_id",
            )
        )
        return await query.count(), [
            (
                r["offered_at"],
                {
                    "offer_id": r["id"],
                    "call_id": r["call_id"],
                    "call_ref": r["call__ref"],
                    "caller_number": r["call__caller_number"],
                    "client_id": r["call__client_id"],
                    "group_id": r["call__group_id"],
                    "forced": r["forced"],
                },
            )
            for r in rows
        ]

    return source


async def _transfers(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
    query = Call.filter(
        agent_id=agent_id,
        started_at__gte=start,
        started_at__lt=end,
        outcome=CallOutcome.TRANSFERRED,
    )
    rows = (
        await query.order_by("-started_at", "-id")
        .limit(need)
        .values("id", "ref", "ended_at", "started_at", "caller_number", "client_id", "group_id")
    )
    return await query.count(), [
        (
            r["ended_at"] or r["started_at"],
            {
                "call_id": r["id"],
                "call_ref": r["ref"],
                "caller_number": r["caller_number"],
                "client_id": r["client_id"],
                "group_id": r["group_id"],
            },
        )
        for r in rows
    ]


async def _describe_transfers(actions: list[Action]) -> None:
    """Where each transfer went: the leg it created (another agent or group), if any."""
    ids = [a.details["call_id"] for a in actions]
    if not ids:
        return
    legs = await Call.filter(transferred_from_id__in=ids).values(
        "transferred_from_id", "agent_id", "group_id", "ref"
    )
    by_parent = {leg["transferred_from_id"]: leg for leg in legs}
    for action in actions:
        leg = by_parent.get(action.details["call_id"])
        action.details["to_agent_id"] = leg["agent_id"] if leg else None
        action.details["to_group_id"] = leg["group_id"] if leg else None
        action.details["to_call_ref"] = leg["ref"] if leg else None


async def _pauses(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
    query = AgentState.filter(
        agent_id=agent_id, state=AgentStateName.PAUSED, started_at__gte=start, started_at__lt=end
    )
    rows = (
        await query.order_by("-started_at", "-id")
        .limit(need)
        .values("id", "started_at", "ended_at", "reason")
    )
    return await query.count(), [
        (
            r["started_at"],
            {
                "reason": r["reason"],
                "ended_at": r["ended_at"].isoformat() if r["ended_at"] else None,
                "duration_s": (r["ended_at"] - r["started_at"]).total_seconds()
                if r["ended_at"]
                else None,
            },
        )
        for r in rows
    ]


async def _sessions(
    agent_id: int, start: datetime, end: datetime
) -> tuple[list[tuple[datetime, dict[str, Any]]], list[tuple[datetime, dict[str, Any]]]]:
    """Logins and logouts in [start, end): the journal chains states (each starts when the
    previous ended), so a login is a state that starts where no state ended, a logout is
    the end of a state no state follows. Reads the states started in the interval and the
    one before it, through the (agent, started_at) index."""
    # raw rows: the ORM's per-row datetime conversion costs more than the query here; the
    # chained ends and starts are the same stored value, compared as stored.
    conn = sql.connection()
    columns = "SELECT started_at, ended_at, extension, state FROM agent_states WHERE agent_id = ?"
    before = await sql.fetch_rows(
        f"{columns} AND started_at < ? ORDER BY started_at DESC, id DESC LIMIT 1",
        (agent_id, sql.dt_param(conn, start)),
    )
    inside = await sql.fetch_rows(
        f"{columns} AND started_at >= ? AND started_at < ? ORDER BY started_at, id",
        (agent_id, sql.dt_param(conn, start), sql.dt_param(conn, end)),
    )
    rows = [*before, *inside]
    starts = {r[0] for r in rows}
    ends = {r[1] for r in rows if r[1] is not None}
    logins: list[tuple[datetime, dict[str, Any]]] = []
    logouts: list[tuple[datetime, dict[str, Any]]] = []
    for began, _, extension, state in inside:
        if began not in ends:
            logins.append((sql.as_utc(began), {"extension": extension, "state": str(state)}))
    for _, ended, extension, _ in rows:
        if ended is not None and ended not in starts and start <= sql.as_utc(ended) < end:
            logouts.append((sql.as_utc(ended), {"extension": extension}))
    return logins, logouts


async def _logins(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
    logins, _ = await _sessions(agent_id, start, end)
    logins.reverse()
    return len(logins), logins[:need]


async def _logouts(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
    _, logouts = await _sessions(agent_id, start, end)
    logouts.reverse()
    return len(logouts), logouts[:need]


async def _audit(agent_id: int, start: datetime, end: datetime, need: int) -> Found:
    query = AuditLog.filter(
        Q(actor_id=agent_id) | Q(target_type="user", target_id=str(agent_id)),
        at__gte=start,
        at__lt=end,
    )
    rows = (
        await query.order_by("-at", "-id")
        .limit(need)
        .values(
            "id", "at", "action", "actor_id", "actor_login", "target_type", "target_id", "details"
        )
    )
    return await query.count(), [
        (
            r["at"],
            {
                "audit_id": r["id"],
                "action": r["action"],
                "actor_id": r["actor_id"],
                "actor_login": r["actor_login"],
                "target_type": r["target_type"],
                "target_id": r["target_id"],
                "details": r["details"],
            },
        )
        for r in rows
    ]


_SOURCES = {
    ActionKind.CALL: _calls,
    ActionKind.INTERVENTION: _interventions,
    ActionKind.REJECTION: _offers(OfferResult.REJECTED),
    ActionKind.MISSED: _offers(OfferResult.NO_ANSWER),
    ActionKind.TRANSFER: _transfers,
    ActionKind.PAUSE: _pauses,
    ActionKind.LOGIN: _logins,
    ActionKind.LOGOUT: _logouts,
    ActionKind.AUDIT: _audit,
}
