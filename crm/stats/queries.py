"""Reading the rollups: sums over an interval, grouped by the keys a report needs.

Grouping happens in SQL (a month of rollup rows folds into a few dozen result rows); only a
wait threshold missing from the stored histograms sends a query to the raw calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast
from zoneinfo import ZoneInfo

from crm.models import Group, GroupMember, User
from crm.stats import sql
from crm.stats.periods import Interval
from crm.stats.rollups import (
    CALL_AGGREGATES,
    CALL_COLUMNS,
    MAX_CALL_SPAN,
    OFFER_AGGREGATES,
    OFFER_COLUMNS,
    SHORT_ABANDON_THRESHOLDS,
    SL_THRESHOLDS,
)
from crm.stats.types import Filters

# report key -> SQL expression on a rollup table (calls "c" for the raw fallback)
_KEYS = {
    "month": "substr({p}local_date, 1, 7)",
    "local_date": "{p}local_date",
    "local_hour": "{p}local_hour",
    "group_id": "{p}group_id",
    "agent_id": "{p}agent_id",
    "direction": "{p}direction",
    "state": "{p}state",
    "reason": "{p}reason",
}
_RAW_KEYS = {"group_id": "COALESCE(c.group_id, 0)", "agent_id": "COALESCE(c.agent_id, 0)"}


# the histogram columns are only summed for the thresholds a report asks for
SUM_COLUMNS = tuple(c for c in CALL_COLUMNS if not c.startswith(("answered_le_", "abandoned_lt_")))


def _table(by: Sequence[str], agent_filter: bool, *, base: str, daily: str, hourly: str) -> str:
    """The smallest rollup with the keys needed: per day (agents kept), per hour (agents
    summed), or the base table when both the hour and the agent matter."""
    hour = "local_hour" in by
    agent = agent_filter or "agent_id" in by
    if hour:
        return base if agent else hourly
    return daily


def _key_expr(key: str, prefix: str = "", raw: bool = False) -> str:
    if raw and key in _RAW_KEYS:
        return _RAW_KEYS[key]
    return _KEYS[key].format(p=prefix)


def _where(iv: Interval, prefix: str = "") -> tuple[list[str], list[Any]]:
    return (
        [f"{prefix}local_date >= ?", f"{prefix}local_date <= ?"],
        [sql.date_param(iv.start), sql.date_param(iv.end)],
    )


def _normalise(row: dict[str, Any], by: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "local_date":
            out[key] = sql.as_date(value)
        elif key in ("local_hour", "group_id", "agent_id"):
            out[key] = int(value)
        elif key in by:
            out[key] = str(value)
        else:
            out[key] = sql.as_num(value)
    return out


async def call_sums(
    iv: Interval,
    filters: Filters,
    by: Sequence[str],
    *,
    directions: Sequence[str] = (),
    sl_thresholds: Iterable[int] = (),
    short_thresholds: Iterable[int] = (),
    agents_only: bool = False,
) -> list[dict[str, Any]]:
    """Sums of stats_call_hourly grouped by ``by``, plus ``within_<T>`` (answered within T s)
    and ``short_<S>`` (abandoned within S s) for the thresholds asked for. ``agents_only``:
    the calls some agent had (summed in SQL, rather than grouping by agent to drop the
    others)."""
    where, params = _where(iv)
    if filters.group_ids:
        where.append(f"group_id IN ({sql.int_list(filters.group_ids)})")
    if filters.agent_ids:
        where.append(f"agent_id IN ({sql.int_list(filters.agent_ids)})")
    elif agents_only:
        where.append("agent_id <> 0")
    if directions:
        where.append("direction IN (" + ",".join("?" for _ in directions) + ")")
        params.extend(directions)
    table = _table(
        by,
        bool(filters.agent_ids) or agents_only,
        base="stats_call_hourly",
        daily="stats_call_daily",
        hourly="stats_call_group_hourly",
    )
    sls, shorts = sorted(set(sl_thresholds)), sorted(set(short_thresholds))
    extra = [f"SUM(answered_le_{t}) AS within_{t}" for t in sls if t in SL_THRESHOLDS]
    extra += [
        f"SUM(abandoned_lt_{s}) AS short_{s}" for s in shorts if s in SHORT_ABANDON_THRESHOLDS
    ]
    rows = await _grouped(table, SUM_COLUMNS, by, where, params, extra)
    missing_t = [t for t in sls if t not in SL_THRESHOLDS]
    missing_s = [s for s in shorts if s not in SHORT_ABANDON_THRESHOLDS]
    if missing_t or missing_s:
        await _merge_raw_thresholds(rows, iv, filters, by, directions, missing_t, missing_s)
    return rows


async def _grouped(
    table: str,
    columns: Sequence[str],
    by: Sequence[str],
    where: list[str],
    params: list[Any],
    extra: Sequence[str] = (),
) -> list[dict[str, Any]]:
    select = [f"{_key_expr(k)} AS {k}" for k in by]
    select += [f"SUM({c}) AS {c}" for c in columns]
    select += extra
    query = f"SELECT {', '.join(select)} FROM {table} WHERE {' AND '.join(where)}"
    if by:
        query += " GROUP BY " + ", ".join(_key_expr(k) for k in by)
    rows = [_normalise(r, by) for r in await sql.fetch(query, params)]
    # an aggregate without GROUP BY over no rows still returns one row of NULLs (zeros now)
    return rows


def _raw_query(
    iv: Interval,
    filters: Filters,
    by: Sequence[str],
    directions: Sequence[str],
    columns: Sequence[str],
    sls: Iterable[int],
    shorts: Iterable[int],
) -> tuple[str, list[Any]]:
    """A query summing the ended raw calls "c" with the rollup's own expressions
    (crm.stats.rollups), so both ways of counting agree."""
    where, params = _where(iv, "c.")
    where.append("c.outcome IS NOT NULL")
    if filters.group_ids:
        where.append(f"COALESCE(c.group_id, 0) IN ({sql.int_list(filters.group_ids)})")
    if filters.agent_ids:
        where.append(f"COALESCE(c.agent_id, 0) IN ({sql.int_list(filters.agent_ids)})")
    if directions:
        where.append("c.direction IN (" + ",".join("?" for _ in directions) + ")")
        params.extend(directions)
    answered_q = "c.answered_at IS NOT NULL AND c.entered_queue_at IS NOT NULL"
    abandoned = "c.outcome = 'abandoned' AND c.entered_queue_at IS NOT NULL"
    select = [f"{_key_expr(k, 'c.', raw=True)} AS {k}" for k in by]
    select += [f"{CALL_AGGREGATES[c]} AS {c}" for c in columns]
    select += [
        f"SUM(CASE WHEN {answered_q} AND c.wait_s <= {int(t)} THEN 1 ELSE 0 END) AS within_{t}"
        for t in sorted(set(sls))
    ]
    select += [
        f"SUM(CASE WHEN {abandoned} AND COALESCE(c.wait_s, 0) < {int(s)} THEN 1 ELSE 0 END) "
        f"AS short_{s}"
        for s in sorted(set(shorts))
    ]
    query = f"SELECT {', '.join(select)} FROM calls c WHERE {' AND '.join(where)}"
    if by:
        query += " GROUP BY " + ", ".join(_key_expr(k, "c.", raw=True) for k in by)
    return query, params


async def _merge_raw_thresholds(
    rows: list[dict[str, Any]],
    iv: Interval,
    filters: Filters,
    by: Sequence[str],
    directions: Sequence[str],
    sls: Sequence[int],
    shorts: Sequence[int],
) -> None:
    """Thresholds with no histogram column: count them on the raw calls (slower, exact)."""
    query, params = _raw_query(iv, filters, by, directions, (), sls, shorts)
    raw = {
        tuple(r[k] for k in by): r
        for r in (_normalise(x, by) for x in await sql.fetch(query, params))
    }
    for row in rows:
        found = raw.get(tuple(row[k] for k in by), {})
        for t in sls:
            row[f"within_{t}"] = found.get(f"within_{t}", 0)
        for s in shorts:
            row[f"short_{s}"] = found.get(f"short_{s}", 0)


async def raw_call_sums(
    iv: Interval,
    filters: Filters,
    by: Sequence[str],
    *,
    directions: Sequence[str] = (),
    sl_thresholds: Iterable[int] = (),
    short_thresholds: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """What :func:`call_sums` returns, counted on the raw calls. For live figures of today
    (the wallboard): the journal writes a call's row as it ends but refreshes the rollups
    only every few seconds. A day of calls is read through the (local_date, local_hour)
    index."""
    query, params = _raw_query(
        iv, filters, by, directions, SUM_COLUMNS, sl_thresholds, short_thresholds
    )
    return [_normalise(r, by) for r in await sql.fetch(query, params)]


async def offer_sums(iv: Interval, filters: Filters, by: Sequence[str]) -> list[dict[str, Any]]:
    where, params = _where(iv)
    if filters.group_ids:
        where.append(f"group_id IN ({sql.int_list(filters.group_ids)})")
    if filters.agent_ids:
        where.append(f"agent_id IN ({sql.int_list(filters.agent_ids)})")
    table = "stats_offer_hourly" if "local_hour" in by else "stats_offer_daily"
    return await _grouped(table, OFFER_COLUMNS, by, where, params)


async def raw_offer_sums(
    iv: Interval, filters: Filters, by: Sequence[str], tz: ZoneInfo
) -> list[dict[str, Any]]:
    """What :func:`offer_sums` returns, counted on the raw offers that have ended (each in
    its call's bucket, as the rollup does), for live figures that must not wait for the
    rollup refresh. Unlike the rollup, an ended offer of a call still in progress counts:
    the call the agent is on was received. Reads the offers through their offered_at
    index, over the interval and the longest span a call can have after it."""
    where, params = _where(iv, "c.")
    start, end = iv.utc_bounds(tz)
    conn = sql.connection()
    where += ["c.id = o.call_id", "o.result IS NOT NULL", "c.direction = 'inbound'",
              "o.offered_at >= ?", "o.offered_at < ?"]
    params += [sql.dt_param(conn, start), sql.dt_param(conn, end + MAX_CALL_SPAN)]
    if filters.group_ids:
        where.append(f"COALESCE(c.group_id, 0) IN ({sql.int_list(filters.group_ids)})")
    if filters.agent_ids:
        where.append(f"o.agent_id IN ({sql.int_list(filters.agent_ids)})")
    keys = {k: ("o.agent_id" if k == "agent_id" else _key_expr(k, "c.", raw=True)) for k in by}
    select = [f"{expr} AS {k}" for k, expr in keys.items()]
    select += [f"{OFFER_AGGREGATES[c]} AS {c}" for c in OFFER_COLUMNS]
    # CROSS JOIN: SQLite drives from the offers' index into calls by primary key (see
    # crm.stats.rollups)
    query = f"SELECT {', '.join(select)} FROM offers o CROSS JOIN calls c " \
        f"WHERE {' AND '.join(where)}"
    if by:
        query += " GROUP BY " + ", ".join(keys.values())
    return [_normalise(r, by) for r in await sql.fetch(query, params, conn)]


async def state_sums(
    iv: Interval, filters: Filters, by: Sequence[str], states: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Seconds and entries per ``by`` from stats_agent_hourly. A group filter keeps the
    group's current members (agent states belong to agents, not to groups)."""
    where, params = _where(iv)
    agents = await agents_in_scope(filters)
    if agents is not None:
        where.append(f"agent_id IN ({sql.int_list(sorted(agents))})")
    if states:
        where.append("state IN (" + ",".join("?" for _ in states) + ")")
        params.extend(states)
    table = _table(
        by,
        agents is not None,
        base="stats_agent_hourly",
        daily="stats_agent_daily",
        hourly="stats_state_hourly",
    )
    return await _grouped(table, ("seconds", "entries"), by, where, params)


async def agents_in_scope(filters: Filters) -> set[int] | None:
    """The agents the filters allow, or None for all."""
    agents: set[int] | None = set(filters.agent_ids) if filters.agent_ids else None
    if filters.group_ids:
        user_ids = await GroupMember.filter(group_id__in=filters.group_ids).values_list(
            "user_id", flat=True
        )
        members = set(cast("list[int]", user_ids))  # tortoise types flat values_list as tuples
        agents = members if agents is None else agents & members
    return agents


async def group_members(group_ids: Iterable[int]) -> dict[int, set[int]]:
    result: dict[int, set[int]] = {g: set() for g in group_ids}
    rows = await GroupMember.filter(group_id__in=list(result)).values_list("group_id", "user_id")
    for group_id, user_id in rows:
        result[group_id].add(user_id)
    return result


async def agent_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    rows = await User.filter(id__in=wanted).values_list("id", "name", "login") if wanted else []
    names = {i: f"#{i}" for i in wanted}
    names.update({uid: name or login for uid, name, login in rows})
    return names


async def groups_info(ids: Iterable[int] | None = None) -> dict[int, tuple[str, int]]:
    """id -> (name, service level threshold T of the group), for all groups if ids is None."""
    if ids is None:
        rows = await Group.all().values_list("id", "name", "service_level_s")
        return {gid: (name, t) for gid, name, t in rows}
    wanted = sorted({i for i in ids if i})
    rows = (
        await Group.filter(id__in=wanted).values_list("id", "name", "service_level_s")
        if wanted
        else []
    )
    info = {i: (f"#{i}", 0) for i in wanted}
    info.update({gid: (name, t) for gid, name, t in rows})
    return info
