"""Pre-aggregated statistics tables, maintained as calls end and rebuilt for bulk history.

Design (see also the models' docstrings):

* ``stats_call_hourly``: ended calls summed per (local date, local hour, group, last agent,
  direction). The call journal calls :func:`call_written` when a call ends and when its
  wrap-up ends, and the *whole bucket* (one local hour) is recomputed from the raw calls:
  idempotent and self-healing (a missed or repeated hook cannot leave a wrong count), and
  cheap because the calls table is indexed on (local_date, local_hour).
* The service level threshold T is a setting (global and per group) that can change after
  the facts, so the rollup does not store "answered within the SL at the time". It stores
  cumulative wait histograms at fixed thresholds: ``answered_le_<T>`` for T in
  :data:`SL_THRESHOLDS` and ``abandoned_lt_<S>`` for S in :data:`SHORT_ABANDON_THRESHOLDS`.
  Reports use the column of the T/S asked for, and fall back to the raw calls (correct but
  slower) for a threshold outside those lists.
* ``stats_offer_hourly``: ended offers of inbound calls per agent (an agent's click-to-call
  rings their own phone first: no call received), bucketed at their *call's* local date and
  hour (every fact of a call lands in the call's bucket, so reports agree with each other),
  recomputed with the call's bucket.
* ``stats_agent_hourly``: seconds per (local date, local hour, agent, state, reason); a state
  spanning hours is split across them (a 25-hour DST day gives its repeated hour twice the
  seconds, a 23-hour day has no 02:00 bucket). Added to (upsert) when the journal closes a
  state. Open states are not counted until they close.
* Each base table (hour x group x agent) has coarser copies derived from it in the same
  transaction: per day with the agents (``stats_call_daily``, ``stats_offer_daily``,
  ``stats_agent_daily``) and per hour without them (``stats_call_group_hourly``,
  ``stats_state_hourly``). A month at the finest grain is tens of thousands of rows on a
  busy centre; the copies make every month report read a few thousand
  (crm.stats.queries picks the smallest table that has the keys a report needs).
* :func:`rebuild_rollups` recomputes every table for a range of local dates from the raw
  records (for history loaded in bulk, or to repair): idempotent.

The hooks never raise into the call journal: a failure is logged, and a rebuild repairs it.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from crm.errors import N_, InvalidInput
from crm.stats import sql
from crm.stats.periods import Interval

log = logging.getLogger(__name__)

SL_THRESHOLDS: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180)
SHORT_ABANDON_THRESHOLDS: tuple[int, ...] = (3, 5, 10, 15, 20, 30)

# An offer belongs to a call that started at most this long before it (a rebuild looks this
# far past the chunk's end for offers of calls that started in it).
MAX_CALL_SPAN = timedelta(days=1)
REBUILD_CHUNK_DAYS = 7

_QUEUED = "c.entered_queue_at IS NOT NULL"
_ANSWERED_Q = f"c.answered_at IS NOT NULL AND {_QUEUED}"
_ABANDONED = f"c.outcome = 'abandoned' AND {_QUEUED}"
_HANDLED = "c.answered_at IS NOT NULL AND c.talk_s IS NOT NULL"


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _total(value: str, condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"


# column of stats_call_hourly -> its aggregate over the raw calls "c"
CALL_AGGREGATES: dict[str, str] = {
    "calls": "COUNT(*)",
    "new_calls": _count("c.transferred_from_id IS NULL"),
    "queued": _count(_QUEUED),
    "answered": _count("c.answered_at IS NOT NULL"),
    "answered_queued": _count(_ANSWERED_Q),
    "wait_answered_s": _total("COALESCE(c.wait_s, 0)", _ANSWERED_Q),
    "abandoned": _count(_ABANDONED),
    "wait_abandoned_s": _total("COALESCE(c.wait_s, 0)", _ABANDONED),
    "transferred": _count("c.outcome = 'transferred'"),
    "overflowed": _count("c.outcome = 'overflowed'"),
    "timed_out": _count("c.outcome = 'timed_out'"),
    "rejected": _count("c.outcome = 'rejected'"),
    "failed": _count("c.outcome = 'failed'"),
    "handled": _count(_HANDLED),
    "talk_s": _total("c.talk_s", _HANDLED),
    "hold_s": _total("c.hold_s", _HANDLED),
    "wrapup_s": _total("COALESCE(c.wrapup_s, 0)", _HANDLED),
    **{f"answered_le_{t}": _count(f"{_ANSWERED_Q} AND c.wait_s <= {t}") for t in SL_THRESHOLDS},
    **{
        f"abandoned_lt_{s}": _count(f"{_ABANDONED} AND COALESCE(c.wait_s, 0) < {s}")
        for s in SHORT_ABANDON_THRESHOLDS
    },
}
CALL_COLUMNS: tuple[str, ...] = tuple(CALL_AGGREGATES)

OFFER_AGGREGATES: dict[str, str] = {
    "offers": "COUNT(*)",
    **{
        name: _count(f"o.result = '{name}'")
        for name in (
            "answered",
            "rejected",
            "no_answer",
            "busy",
            "failed",
            "cancelled",
            "caller_abandoned",
        )
    },
    "forced": _count("o.forced <> 0"),
}
OFFER_COLUMNS: tuple[str, ...] = tuple(OFFER_AGGREGATES)

# Coarser copies derived from each base table (see crm/models.py): table -> key columns.
CALL_DERIVED = {
    "stats_call_daily": ("local_date", "group_id", "agent_id", "direction"),
    "stats_call_group_hourly": ("local_date", "local_hour", "group_id", "direction"),
}
OFFER_DERIVED = {"stats_offer_daily": ("local_date", "group_id", "agent_id")}
AGENT_KEYS = ("local_date", "local_hour", "agent_id", "state", "reason")
AGENT_DERIVED = {
    "stats_agent_daily": ("local_date", "agent_id", "state", "reason"),
    "stats_state_hourly": ("local_date", "local_hour", "state", "reason"),
}
AGENT_COLUMNS = ("seconds", "entries")


async def _derive(
    conn: Any,
    base: str,
    derived: Mapping[str, tuple[str, ...]],
    columns: Sequence[str],
    where: str,
    params: Sequence[Any],
) -> None:
    """Recompute the derived tables' rows matching ``where`` from the base table. ``where``
    filters on local_date, optionally followed by " AND local_hour = ?" (one hour of the
    base): the tables without an hour then recompute that whole day."""
    sums = ", ".join(f"SUM({c})" for c in columns)
    for table, keys in derived.items():
        key_list = ", ".join(keys)
        if "local_hour" not in keys:
            where_d = where.replace(" AND local_hour = ?", "")
            params_d = params[: where_d.count("?")]
        else:
            where_d, params_d = where, params
        await sql.execute(f"DELETE FROM {table} WHERE {where_d}", params_d, conn)
        await sql.execute(
            f"INSERT INTO {table} ({key_list}, {', '.join(columns)}) SELECT {key_list}, {sums} "
            f"FROM {base} WHERE {where_d} GROUP BY {key_list}",
            params_d,
            conn,
        )


_CALL_KEYS = (
    "c.local_date, c.local_hour, COALESCE(c.group_id, 0), COALESCE(c.agent_id, 0), c.direction"
)
_OFFER_KEYS = "c.local_date, c.local_hour, COALESCE(c.group_id, 0), o.agent_id"


def _insert_calls_sql(where: str) -> str:
    columns = ", ".join(CALL_COLUMNS)
    aggregates = ", ".join(CALL_AGGREGATES.values())
    return (
        "INSERT INTO stats_call_hourly (local_date, local_hour, group_id, agent_id, direction, "
        f"{columns}) SELECT {_CALL_KEYS}, {aggregates} FROM calls c "
        f"WHERE c.outcome IS NOT NULL AND {where} GROUP BY {_CALL_KEYS}"
    )


def _insert_offers_sql(where: str) -> str:
    # CROSS JOIN makes SQLite drive from the offers (offered_at index) into calls by primary
    # key: offers.call_id has no index on SQLite, so the other order would scan offers.
    columns = ", ".join(OFFER_COLUMNS)
    aggregates = ", ".join(OFFER_AGGREGATES.values())
    return (
        "INSERT INTO stats_offer_hourly (local_date, local_hour, group_id, agent_id, "
        f"{columns}) SELECT {_OFFER_KEYS}, {aggregates} FROM offers o CROSS JOIN calls c "
        "WHERE c.id = o.call_id AND o.result IS NOT NULL AND c.outcome IS NOT NULL "
        # An agent's own click-to-call rings their phone first: that offer is no call
        # they received (the agent reports count outbound calls apart).
        "AND c.direction = 'inbound' "
        f"AND o.offered_at >= ? AND o.offered_at <= ? AND {where} GROUP BY {_OFFER_KEYS}"
    )


# -- incremental hooks (called by crm.journal) -------------------------------------------


async def call_written(local_date: date, local_hour: int) -> None:
    """A call of this local hour ended or finished its wrap-up: recompute the hour."""
    try:
        await _recompute_call_hour(local_date, local_hour)
    except Exception:  # statistics must never break call handling; a rebuild repairs it
        log.exception(
            "stats: recomputing the call rollup of %s %02d:00 failed", local_date, local_hour
        )


async def _recompute_call_hour(local_date: date, local_hour: int) -> None:
    day = sql.date_param(local_date)
    where = "c.local_date = ? AND c.local_hour = ?"
    async with in_transaction("default") as conn:
        bounds = await sql.fetch_rows(
            "SELECT MIN(c.started_at), MAX(c.ended_at) FROM calls c "
            f"WHERE c.outcome IS NOT NULL AND {where}",
            (day, local_hour),
            conn,
        )
        await sql.execute(
            "DELETE FROM stats_call_hourly WHERE local_date = ? AND local_hour = ?",
            (day, local_hour),
            conn,
        )
        await sql.execute(
            "DELETE FROM stats_offer_hourly WHERE local_date = ? AND local_hour = ?",
            (day, local_hour),
            conn,
        )
        first, last = bounds[0] if bounds else (None, None)
        if first is not None:
            await sql.execute(_insert_calls_sql(where), (day, local_hour), conn)
            await sql.execute(
                _insert_offers_sql(where),
                (
                    sql.dt_param(conn, sql.as_utc(first)),
                    sql.dt_param(conn, sql.as_utc(last)),
                    day,
                    local_hour,
                ),
                conn,
            )
        # the hour's day in the daily tables, the hour in the per-hour-without-agent one
        bucket = "local_date = ? AND local_hour = ?"
        await _derive(
            conn, "stats_call_hourly", CALL_DERIVED, CALL_COLUMNS, bucket, (day, local_hour)
        )
        await _derive(
            conn, "stats_offer_hourly", OFFER_DERIVED, OFFER_COLUMNS, bucket, (day, local_hour)
        )


async def recompute_call_hour(local_date: date, local_hour: int) -> None:
    """:func:`call_written` for a caller that handles the failure itself (the journal keeps
    the hour to retry when the database is away)."""
    await _recompute_call_hour(local_date, local_hour)


AgentTotals = dict[tuple[date, int, int, str, str], list[float]]


async def agent_states_closed(
    agent_id: int,
    states: Iterable[tuple[str, str, datetime]],
    ended_at: datetime,
    tz: ZoneInfo,
) -> None:
    """These (state, reason, started_at) of one agent were closed at ``ended_at``.

    Every state closed anywhere must reach the rollups, here or through
    :func:`closed_state_totals` and :func:`agent_upserts` in the closer's own transaction
    (the call journal): a state closed behind their back is lost to pause and occupancy
    reports until a rebuild."""
    try:
        end = ended_at.timestamp()
        totals = closed_state_totals(
            ((agent_id, str(state), reason, started_at.timestamp(), end)
             for state, reason, started_at in states),
            HourSplitter(tz),
        )
        await _upsert_agent_rows(totals)
    except Exception:  # see call_written
        log.exception("stats: adding closed states of agent %s failed", agent_id)


def closed_state_totals(
    states: Iterable[tuple[int, str, str, float, float]],
    splitter: HourSplitter,
    totals: AgentTotals | None = None,
) -> AgentTotals:
    """Seconds and entries per (local date, hour, agent, state, reason) of closed states
    given as (agent id, state, reason, started, ended) in UTC epoch seconds."""
    totals = {} if totals is None else totals
    for agent_id, state, reason, started, ended in states:
        _add_state(totals, splitter, agent_id, state, reason, started, ended, None, None)
    return totals


def agent_upserts(totals: AgentTotals, mysql: bool) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The statements (``?`` placeholders) and rows that add ``totals`` to the agent rollup
    and its derived copies, for the caller to run in its transaction."""
    if not totals:
        return []
    statements = []
    for table, keys in {"stats_agent_hourly": AGENT_KEYS, **AGENT_DERIVED}.items():
        if mysql:
            tail = (
                " ON DUPLICATE KEY UPDATE seconds = seconds + VALUES(seconds), "
                "entries = entries + VALUES(entries)"
            )
        else:
            tail = (
                f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                "seconds = seconds + excluded.seconds, entries = entries + excluded.entries"
            )
        statements.append((_insert_sql(table, keys) + tail, _agent_rows(totals, keys)))
    return statements


# -- splitting time by local hour ----------------------------------------------------------


class HourSplitter:
    """Maps a UTC instant to its local (date, hour) and the end of that local hour.

    Every real time zone offset and DST change is a multiple of 15 minutes, so the local hour
    is constant over each 15-minute UTC slot: one tz conversion per slot, cached.
    """

    SLOT = 900

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._cache: dict[int, tuple[date, int, float]] = {}

    def bucket(self, ts: float) -> tuple[date, int, float]:
        slot = int(ts // self.SLOT)
        hit = self._cache.get(slot)
        if hit is None:
            local = datetime.fromtimestamp(slot * self.SLOT, self._tz)
            floor = local.replace(minute=0, second=0, microsecond=0)  # keeps fold (DST)
            hit = (local.date(), local.hour, floor.timestamp() + 3600)
            self._cache[slot] = hit
        return hit

    def split(self, start: float, end: float) -> Iterable[tuple[date, int, float]]:
        """(local date, local hour, seconds) pieces of [start, end)."""
        t = start
        while t < end:
            day, hour, hour_end = self.bucket(t)
            piece_end = min(end, hour_end)
            yield day, hour, piece_end - t
            t = piece_end


def _add_state(
    totals: dict[tuple[date, int, int, str, str], list[float]],
    splitter: HourSplitter,
    agent_id: int,
    state: str,
    reason: str,
    start: float,
    end: float,
    clip_from: float | None,
    clip_to: float | None,
) -> None:
    lo = start if clip_from is None else max(start, clip_from)
    hi = end if clip_to is None else min(end, clip_to)
    first = True
    for day, hour, seconds in splitter.split(lo, hi):
        row = totals.setdefault((day, hour, agent_id, state, reason), [0.0, 0])
        row[0] += seconds
        if first and lo == start:  # counted once, where the state started
            row[1] += 1
        first = False
    if lo == start and hi <= lo:  # zero-length state: still an entry
        day, hour, _ = splitter.bucket(start)
        totals.setdefault((day, hour, agent_id, state, reason), [0.0, 0])[1] += 1


def _insert_sql(table: str, keys: Sequence[str]) -> str:
    names = ", ".join((*keys, *AGENT_COLUMNS))
    marks = ", ".join("?" for _ in (*keys, *AGENT_COLUMNS))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"


async def _upsert_agent_rows(totals: AgentTotals) -> None:
    """Add the seconds/entries to the base table and to its derived copies."""
    conn = sql.connection()
    for statement, rows in agent_upserts(totals, sql.is_mysql(conn)):
        await sql.execute_many(statement, rows, conn)


def _agent_rows(
    totals: dict[tuple[date, int, int, str, str], list[float]],
    keys: Sequence[str] = AGENT_KEYS,
) -> list[tuple[Any, ...]]:
    """Rows for a table keyed by ``keys`` (a subset of AGENT_KEYS, local date first),
    summed over the rest. (The call journal builds these for every batch: kept cheap.)"""
    pick = itemgetter(*(AGENT_KEYS.index(k) for k in keys))
    merged: dict[tuple[Any, ...], list[float]] = {}
    for key, value in totals.items():
        picked = pick(key)
        row = merged.get(picked)
        if row is None:
            merged[picked] = [value[0], value[1]]
        else:
            row[0] += value[0]
            row[1] += value[1]
    return [(sql.date_param(key[0]), *key[1:], v[0], int(v[1])) for key, v in merged.items()]


# -- rebuild -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RebuildResult:
    start: date
    end: date
    call_rows: int
    offer_rows: int
    agent_rows: int
    seconds: float


async def rebuild_rollups(
    start: date,
    end: date,
    tz: ZoneInfo,
    progress: Callable[[str], None] | None = None,
) -> RebuildResult:
    """Recompute every rollup row of the local dates [start, end] from the raw records."""
    if start > end:
        raise InvalidInput(
            N_("The interval starts ({start}) after it ends ({end})."),
            start=start.isoformat(),
            end=end.isoformat(),
        )
    began = _time.monotonic()
    conn = sql.connection()
    carry = await _states_open_at(sql.dt_param(conn, Interval(start, start).utc_bounds(tz)[0]))
    splitter = HourSplitter(tz)
    chunks = (end - start).days // REBUILD_CHUNK_DAYS + 1
    done = 0
    chunk_start = start
    while chunk_start <= end:
        chunk_end = min(end, chunk_start + timedelta(days=REBUILD_CHUNK_DAYS - 1))
        utc_from, utc_to = Interval(chunk_start, chunk_end).utc_bounds(tz)
        await _rebuild_calls(chunk_start, chunk_end, utc_from, utc_to)
        carry = await _rebuild_agents(chunk_start, chunk_end, utc_from, utc_to, carry, splitter)
        done += 1
        if progress is not None:
            progress(f"rollups rebuilt for {chunk_start.isoformat()} .. "
                     f"{chunk_end.isoformat()} ({done}/{chunks})")
        chunk_start = chunk_end + timedelta(days=1)
    counts = []
    for table in ("stats_call_hourly", "stats_offer_hourly", "stats_agent_hourly"):
        rows = await sql.fetch_rows(
            f"SELECT COUNT(*) FROM {table} WHERE local_date >= ? AND local_date <= ?",
            (sql.date_param(start), sql.date_param(end)),
        )
        counts.append(int(rows[0][0]))
    call_rows, offer_rows, agent_rows = counts
    return RebuildResult(start, end, call_rows, offer_rows, agent_rows,
                         seconds=_time.monotonic() - began)


async def _history_dates() -> list[date]:
    rows = await sql.fetch_rows(
        "SELECT MIN(local_date), MAX(local_date) FROM calls UNION ALL "
        "SELECT MIN(local_date), MAX(local_date) FROM agent_states"
    )
    return [sql.as_date(v) for row in rows for v in row if v is not None]


async def first_local_date() -> date | None:
    """The first local date with a call or an agent state."""
    days = await _history_dates()
    return min(days) if days else None


async def rebuild_all(
    tz: ZoneInfo, progress: Callable[[str], None] | None = None
) -> RebuildResult | None:
    """Rebuild over the whole history (first to last local date of calls and states)."""
    days = await _history_dates()
    if not days:
        return None
    # a state can end (and be counted) the day after its start
    return await rebuild_rollups(min(days), max(days) + timedelta(days=1), tz, progress)


async def _rebuild_calls(start: date, end: date, utc_from: datetime, utc_to: datetime) -> None:
    days = (sql.date_param(start), sql.date_param(end))
    where = "c.local_date >= ? AND c.local_date <= ?"
    async with in_transaction("default") as conn:
        for table in ("stats_call_hourly", "stats_offer_hourly"):  # derived: in _derive
            await sql.execute(
                f"DELETE FROM {table} WHERE local_date >= ? AND local_date <= ?", days, conn
            )
        await sql.execute(_insert_calls_sql(where), days, conn)
        window = (sql.dt_param(conn, utc_from), sql.dt_param(conn, utc_to + MAX_CALL_SPAN))
        await sql.execute(_insert_offers_sql(where), (*window, *days), conn)
        span = "local_date >= ? AND local_date <= ?"
        await _derive(conn, "stats_call_hourly", CALL_DERIVED, CALL_COLUMNS, span, days)
        await _derive(conn, "stats_offer_hourly", OFFER_DERIVED, OFFER_COLUMNS, span, days)


_STATE_COLUMNS = "agent_id, state, reason, started_at, ended_at"


async def _states_open_at(moment: Any) -> list[Sequence[Any]]:
    """Closed states that started before ``moment`` and ended after it."""
    return await sql.fetch_rows(
        f"SELECT {_STATE_COLUMNS} FROM agent_states WHERE started_at < ? AND ended_at > ?",
        (moment, moment),
    )


async def _rebuild_agents(
    start: date,
    end: date,
    utc_from: datetime,
    utc_to: datetime,
    carry: list[Sequence[Any]],
    splitter: HourSplitter,
) -> list[Sequence[Any]]:
    """Rebuild one chunk of days. ``carry``: states from before the chunk still running at
    its start. Returns those still running at its end, for the next chunk (so the earlier
    history is scanned once, not once per chunk)."""
    conn = sql.connection()
    started = await sql.fetch_rows(
        f"SELECT {_STATE_COLUMNS} FROM agent_states WHERE started_at >= ? AND started_at < ? "
        "AND ended_at IS NOT NULL",
        (sql.dt_param(conn, utc_from), sql.dt_param(conn, utc_to)),
    )
    lo, hi = utc_from.timestamp(), utc_to.timestamp()
    totals: dict[tuple[date, int, int, str, str], list[float]] = {}
    still_running: list[Sequence[Any]] = []
    for row in (*carry, *started):
        agent_id, state, reason, began, ended = row
        s, e = sql.as_utc(began).timestamp(), sql.as_utc(ended).timestamp()
        _add_state(totals, splitter, int(agent_id), str(state), reason or "", s, e, lo, hi)
        if e > hi:
            still_running.append(row)
    async with in_transaction("default") as tconn:
        await sql.execute(
            "DELETE FROM stats_agent_hourly WHERE local_date >= ? AND local_date <= ?",
            (sql.date_param(start), sql.date_param(end)),
            tconn,
        )
        rows = _agent_rows(totals)
        insert = _insert_sql("stats_agent_hourly", AGENT_KEYS)
        for i in range(0, len(rows), 5000):
            await sql.execute_many(insert, rows[i : i + 5000], tconn)
        await _derive(
            tconn,
            "stats_agent_hourly",
            AGENT_DERIVED,
            AGENT_COLUMNS,
            "local_date >= ? AND local_date <= ?",
            (sql.date_param(start), sql.date_param(end)),
        )
    return still_running
