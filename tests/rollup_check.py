"""Statistics rollups compared with the raw rows they summarize, recounted here in Python
without crm.stats.rollups' SQL (so a bug there cannot hide itself).

    mismatches = await rollup_mismatches(ZoneInfo("Europe/Paris"))
    assert not mismatches, "\n".join(mismatches)

For the suite's fault scenarios (crash, restart, database outage): whatever happened, the
rollups must say what the raw calls, offers and agent states say. Open calls and states are
not counted (the rollups count them when they end).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crm.stats import sql

TOLERANCE_S = 0.01

_CALL_COUNTS = ("calls", "new_calls", "queued", "answered", "answered_queued", "abandoned",
                "transferred", "overflowed", "timed_out", "rejected", "failed", "handled")
_CALL_SECONDS = ("talk_s", "hold_s", "wrapup_s", "wait_answered_s", "wait_abandoned_s")
_OFFER_COUNTS = ("offers", "answered", "rejected", "no_answer", "busy", "failed",
                 "cancelled", "caller_abandoned", "forced")


def _utc(value: Any) -> datetime | None:
    return None if value is None else sql.as_utc(value)


def _day(value: Any) -> str:
    return sql.as_date(value).isoformat()


async def _expected_calls() -> dict[tuple[Any, ...], dict[str, float]]:
    rows = await sql.fetch(
        "SELECT local_date, local_hour, group_id, agent_id, direction, transferred_from_id, "
        "entered_queue_at, answered_at, outcome, wait_s, talk_s, hold_s, wrapup_s FROM calls "
        "WHERE outcome IS NOT NULL")
    out: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        key = (_day(r["local_date"]), int(r["local_hour"]), r["group_id"] or 0,
               r["agent_id"] or 0, r["direction"])
        c = out[key]
        queued = r["entered_queue_at"] is not None
        answered = r["answered_at"] is not None
        c["calls"] += 1
        c["new_calls"] += r["transferred_from_id"] is None
        c["queued"] += queued
        c["answered"] += answered
        c["answered_queued"] += answered and queued
        if answered and queued:
            c["wait_answered_s"] += r["wait_s"] or 0.0
        if r["outcome"] == "abandoned" and queued:
            c["abandoned"] += 1
            c["wait_abandoned_s"] += r["wait_s"] or 0.0
        for outcome in ("transferred", "overflowed", "timed_out", "rejected", "failed"):
            c[outcome] += r["outcome"] == outcome
        if answered and r["talk_s"] is not None:
            c["handled"] += 1
            c["talk_s"] += r["talk_s"]
            c["hold_s"] += r["hold_s"] or 0.0
            c["wrapup_s"] += r["wrapup_s"] or 0.0
    return out


async def _expected_offers() -> dict[tuple[Any, ...], dict[str, float]]:
    rows = await sql.fetch(
        "SELECT c.local_date, c.local_hour, c.group_id, o.agent_id, o.result, o.forced "
        "FROM offers o JOIN calls c ON c.id = o.call_id "
        "WHERE o.result IS NOT NULL AND c.outcome IS NOT NULL "
        # An agent's own click-to-call rings their phone first: no call they received.
        "AND c.direction = 'inbound'")
    out: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        key = (_day(r["local_date"]), int(r["local_hour"]), r["group_id"] or 0, r["agent_id"])
        o = out[key]
        o["offers"] += 1
        o[r["result"]] += 1
        o["forced"] += bool(r["forced"])
    return out


def _hours(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[str, int, float]]:
    """(local date, local hour, seconds) of [start, end), hour by hour in local time."""
    pieces = []
    t = start
    while t < end:
        local = t.astimezone(tz)
        hour_start = local.replace(minute=0, second=0, microsecond=0)
        next_hour = (hour_start.astimezone(UTC) + timedelta(hours=1))
        piece_end = min(end, next_hour)
        pieces.append((local.date().isoformat(), local.hour, (piece_end - t).total_seconds()))
        t = piece_end
    return pieces


async def _expected_states(tz: ZoneInfo) -> dict[tuple[Any, ...], list[float]]:
    rows = await sql.fetch(
        "SELECT agent_id, state, reason, started_at, ended_at FROM agent_states "
        "WHERE ended_at IS NOT NULL")
    out: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0.0, 0])
    for r in rows:
        start, end = _utc(r["started_at"]), _utc(r["ended_at"])
        assert start is not None and end is not None
        first = start.astimezone(tz)
        entry = out[(first.date().isoformat(), first.hour, r["agent_id"], r["state"],
                     r["reason"] or "")]
        entry[1] += 1
        for day, hour, seconds in _hours(start, end, tz):
            out[(day, hour, r["agent_id"], r["state"], r["reason"] or "")][0] += seconds
    return out


async def _table(name: str, keys: tuple[str, ...], columns: tuple[str, ...]
                 ) -> dict[tuple[Any, ...], dict[str, float]]:
    rows = await sql.fetch(f"SELECT {', '.join(keys + columns)} FROM {name}")
    return {
        tuple(_day(r[k]) if k == "local_date" else r[k] for k in keys):
            {c: float(sql.as_num(r[c])) for c in columns}
        for r in rows
    }


def _rollup(expected: dict[tuple[Any, ...], dict[str, float]], pick: tuple[int, ...]
            ) -> dict[tuple[Any, ...], dict[str, float]]:
    out: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for key, values in expected.items():
        target = out[tuple(key[i] for i in pick)]
        for column, value in values.items():
            target[column] += value
    return out


def _compare(label: str, expected: dict[tuple[Any, ...], dict[str, float]],
             actual: dict[tuple[Any, ...], dict[str, float]], columns: tuple[str, ...]
             ) -> list[str]:
    problems = []
    for key in sorted(set(expected) | set(actual), key=str):
        want, got = expected.get(key, {}), actual.get(key, {})
        for column in columns:
            a, b = float(want.get(column, 0.0)), float(got.get(column, 0.0))
            if abs(a - b) > TOLERANCE_S:
                problems.append(f"{label} {key} {column}: raw rows say {a:g}, rollup {b:g}")
    return problems


async def rollup_mismatches(tz: ZoneInfo) -> list[str]:
    """Every difference between the rollup tables and the raw rows; empty when they agree."""
    problems: list[str] = []
    calls = await _expected_calls()
    call_columns = _CALL_COUNTS + _CALL_SECONDS
    call_keys = ("local_date", "local_hour", "group_id", "agent_id", "direction")
    problems += _compare("stats_call_hourly", calls,
                         await _table("stats_call_hourly", call_keys, call_columns),
                         call_columns)
    problems += _compare("stats_call_daily", _rollup(calls, (0, 2, 3, 4)),
                         await _table("stats_call_daily",
                                      ("local_date", "group_id", "agent_id", "direction"),
                                      call_columns), call_columns)
    problems += _compare("stats_call_group_hourly", _rollup(calls, (0, 1, 2, 4)),
                         await _table("stats_call_group_hourly",
                                      ("local_date", "local_hour", "group_id", "direction"),
                                      call_columns), call_columns)
    offers = await _expected_offers()
    problems += _compare("stats_offer_hourly", offers,
                         await _table("stats_offer_hourly",
                                      ("local_date", "local_hour", "group_id", "agent_id"),
                                      _OFFER_COUNTS), _OFFER_COUNTS)
    problems += _compare("stats_offer_daily", _rollup(offers, (0, 2, 3)),
                         await _table("stats_offer_daily", ("local_date", "group_id",
                                                            "agent_id"), _OFFER_COUNTS),
                         _OFFER_COUNTS)
    states = {k: {"seconds": v[0], "entries": v[1]}
              for k, v in (await _expected_states(tz)).items()}
    state_columns = ("seconds", "entries")
    problems += _compare("stats_agent_hourly", states,
                         await _table("stats_agent_hourly", ("local_date", "local_hour",
                                                             "agent_id", "state", "reason"),
                                      state_columns), state_columns)
    problems += _compare("stats_agent_daily", _rollup(states, (0, 2, 3, 4)),
                         await _table("stats_agent_daily", ("local_date", "agent_id", "state",
                                                            "reason"), state_columns),
                         state_columns)
    problems += _compare("stats_state_hourly", _rollup(states, (0, 1, 3, 4)),
                         await _table("stats_state_hourly", ("local_date", "local_hour",
                                                             "state", "reason"),
                                      state_columns), state_columns)
    return problems

