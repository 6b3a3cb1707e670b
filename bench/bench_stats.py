"""Benchmark of the statistics on a large history (prints figures; not a test).

    .venv/bin/python bench/bench_stats.py [--calls 1000000] [--days 75] [--no-mariadb]
        [--sqlite /tmp/prowebcrm_bench_stats.sqlite3] [--reuse] [--keep]

Generates a realistic history straight into the tables (agents working shifts with
available → on call → wrap-up cycles and pauses, calls matching those cycles, abandons,
misses, rejections, transfers, click-to-call), bulk-inserted with executemany (multi-row
INSERTs on MariaDB), rebuilds the rollups, then times every report over one month (at every
granularity it offers): p50 and max of 5 runs, the first (cold) one included. SQLite: a
file in /tmp. MariaDB (127.0.0.1:3306 root, or PROWEBCRM_TEST_MARIADB_*): a database
created for the run and dropped afterwards.
Ringing states are not generated (the offer rows carry the rings).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm import db as crm_db
from crm.stats.agent_activity import agent_action_history, agent_call_stats
from crm.stats.board import day_board
from crm.stats.periods import Interval
from crm.stats.reports import REPORTS, call_report, kpi_report, run_report
from crm.stats.rollups import call_written, rebuild_rollups
from crm.stats.types import Filters, StatsConfig
from prowebcrm.demo_history import CALL_COLS, OFFER_COLS, STATE_COLS
from prowebcrm.demo_history import SyntheticCentre as Generator

TZ = ZoneInfo("Europe/Paris")
FIRST_DAY = date(2026, 1, 5)
GROUPS = 8

MARIADB = {
    "host": os.environ.get("PROWEBCRM_TEST_MARIADB_HOST", "127.0.0.1"),
    "port": int(os.environ.get("PROWEBCRM_TEST_MARIADB_PORT", "3306")),
    "user": os.environ.get("PROWEBCRM_TEST_MARIADB_USER", "root"),
    "password": os.environ.get("PROWEBCRM_TEST_MARIADB_PASSWORD", ""),
}

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- generation: prowebcrm/demo_history.py (one generator for the demo and this bench) ----


def days(first: date, count: int) -> Iterator[date]:
    for i in range(count):
        yield first + timedelta(days=i)


def placeholders(columns: str, mark: str) -> str:
    return ", ".join(mark for _ in columns.split(","))


def load(
    gen: Generator,
    target_calls: int,
    day_count: int,
    insert: Callable[[str, str, list[tuple]], None],
    commit: Callable[[], None],
) -> tuple[int, int, int, date]:
    totals = [0, 0, 0]
    last = FIRST_DAY
    for day in days(FIRST_DAY, day_count):
        calls, offers, states = gen.day(day)
        if totals[0] + len(calls) > target_calls:
            calls = calls[: target_calls - totals[0]]
            keep = {row[0] for row in calls}
            offers = [o for o in offers if o[2] in keep]
        insert("calls", CALL_COLS, calls)
        insert("offers", OFFER_COLS, offers)
        insert("agent_states", STATE_COLS, states)
        commit()
        totals[0] += len(calls)
        totals[1] += len(offers)
        totals[2] += len(states)
        last = day
        if day.day in (1, 15) or totals[0] >= target_calls:
            log(f"  {day}: {totals[0]:,} calls, {totals[1]:,} offers, {totals[2]:,} states")
        if totals[0] >= target_calls:
            break
    return totals[0], totals[1], totals[2], last


async def seed_reference(url: str, gen: Generator) -> None:
    """Agents, groups (with various service level thresholds) and memberships."""
    from crm.models import Group, GroupMember, User

    await crm_db.init_db(url)
    try:
        await User.bulk_create(
            [
                User(id=a, login=f"agent{a:03d}", name=f"Agent {a:03d}", password_hash="x")
                for a in range(1, gen.agents + 1)
            ]
        )
        thresholds = [10, 15, 20, 20, 20, 30, 45, 60]
        await Group.bulk_create(
            [
                Group(
                    id=g, name=f"Group {g}", number=str(100 + g), service_level_s=thresholds[g - 1]
                )
                for g in range(1, GROUPS + 1)
            ]
        )
        await GroupMember.bulk_create(
            [GroupMember(user_id=a, group_id=g) for a, gs in gen.groups.items() for g in gs]
        )
    finally:
        await crm_db.close_db()


# -- SQLite / MariaDB ------------------------------------------------------------------------


def sqlite_loader(path: Path, gen: Generator, args: argparse.Namespace) -> tuple:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA cache_size = -400000")

    def insert(table: str, columns: str, rows: list[tuple]) -> None:
        if rows:
            conn.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders(columns, '?')})", rows
            )

    result = load(gen, args.calls, args.days, insert, conn.commit)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return result


def mariadb_loader(name: str, gen: Generator, args: argparse.Namespace) -> tuple:
    import pymysql

    conn = pymysql.connect(database=name, autocommit=False, **MARIADB)
    cur = conn.cursor()
    cur.execute("SET foreign_key_checks = 0")
    cur.execute("SET unique_checks = 0")

    def insert(table: str, columns: str, rows: list[tuple]) -> None:
        for i in range(0, len(rows), 5000):
            cur.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders(columns, '%s')})",
                rows[i : i + 5000],
            )

    result = load(gen, args.calls, args.days, insert, conn.commit)
    for table in ("calls", "offers", "agent_states"):
        cur.execute(f"ANALYZE TABLE {table}")
        cur.fetchall()
    conn.commit()
    conn.close()
    return result


# -- timing ----------------------------------------------------------------------------------


RUNS = 5


async def timed(fn: Callable[[], Awaitable[Any]], runs: int = RUNS) -> tuple[float, float]:
    """p50 and max of ``runs`` calls (the first, with cold caches, included)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), max(times)


async def measure(url: str, label: str, last_day: date) -> list[tuple[str, str, float, float]]:
    await crm_db.init_db(url)
    results: list[tuple[str, str, float, float]] = []
    try:
        log(f"{label}: rebuilding the rollups")
        began = time.perf_counter()
        result = await rebuild_rollups(FIRST_DAY, last_day + timedelta(days=1), TZ)
        log(
            f"{label}: rollups rebuilt in {time.perf_counter() - began:.1f} s "
            f"({result.call_rows:,} call rows, {result.offer_rows:,} offer rows, "
            f"{result.agent_rows:,} agent rows)"
        )
        results.append(
            (label, "rebuild_rollups (whole history, once)", result.seconds, result.seconds)
        )
        cfg = StatsConfig(TZ, 20, 5)
        month = Interval(date(2026, 2, 1), date(2026, 2, 28))
        everything = Filters()
        cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        for name, spec in REPORTS.items():  # every report, at every granularity it offers
            for gran in spec.granularities or (None,):
                cases.append(
                    (
                        f"{name}" + (f" by {gran}" if gran else ""),
                        lambda n=name, g=gran: run_report(n, cfg, month, everything, g),
                    )
                )
        cases += [
            (
                "calls by day, group 3 + agent 7 filter",
                lambda: call_report(cfg, month, Filters.of(3, 7), "day"),
            ),
            (
                "kpi_per_agent by day, group 3 filter",
                lambda: kpi_report(cfg, month, Filters.of(3), "agent", "day"),
            ),
            (
                "calls by day, T=12 s (raw fallback)",
                lambda: call_report(StatsConfig(TZ, 12, 5), month, everything, "day"),
            ),
            ("agent_call_stats (one agent)", lambda: agent_call_stats(cfg, 7, month)),
            (
                "agent_action_history (page of 50)",
                lambda: agent_action_history(cfg, 7, month, limit=50),
            ),
            (
                "agent_action_history (page 10)",
                lambda: agent_action_history(cfg, 7, month, limit=50, offset=450),
            ),
            (
                "agent_action_history (rejections only)",
                lambda: agent_action_history(cfg, 7, month, kinds=["rejection"], limit=50),
            ),
            ("wallboard: a busy day from the raw calls", lambda: day_board(cfg, date(2026, 2, 10))),
            (
                "incremental hook: recompute a busy hour",
                lambda: call_written(date(2026, 2, 10), 10),
            ),
        ]
        for name, fn in cases:
            p50, worst = await timed(fn)
            results.append((label, name, p50, worst))
            log(f"{label}: {name}: p50 {p50 * 1000:.1f} ms, max {worst * 1000:.1f} ms")
    finally:
        await crm_db.close_db()
    return results


async def run_sqlite(args: argparse.Namespace, reuse: bool) -> tuple[list, dict]:
    """``reuse``: the file exists and holds a history already (its unlinking, sizing and
    removal happen in main(), outside the event loop)."""
    path = Path(args.sqlite)
    url = f"sqlite://{path}"
    info: dict[str, Any] = {}
    if reuse:
        log(f"SQLite: reusing {path}")
        last = FIRST_DAY + timedelta(days=args.days - 1)
    else:
        await crm_db.migrate(url)
        log(f"SQLite: generating {args.calls:,} calls into {path}")
        began = time.perf_counter()
        gen = Generator(args.agents, False)
        await seed_reference(url, gen)
        calls, offers, states, last = sqlite_loader(path, gen, args)
        info = {
            "load_s": time.perf_counter() - began,
            "calls": calls,
            "offers": offers,
            "states": states,
        }
        log(f"SQLite: loaded in {info['load_s']:.1f} s")
    results = await measure(url, "SQLite", last)
    return results, info


async def run_mariadb(args: argparse.Namespace) -> tuple[list, dict]:
    import pymysql
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    # tortoise caches prepared INSERTs per connection name, not per dialect: a run after the
    # SQLite one would reuse its "?" placeholders.
    EXECUTOR_CACHE.clear()
    name = f"prowebcrm_bench_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(**MARIADB)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = (
        f"mysql://{MARIADB['user']}:{MARIADB['password']}@{MARIADB['host']}:{MARIADB['port']}/"
        f"{name}"
    )
    try:
        await crm_db.migrate(url)
        log(f"MariaDB: generating {args.calls:,} calls into database {name}")
        began = time.perf_counter()
        gen = Generator(args.agents, True)
        await seed_reference(url, gen)
        calls, offers, states, last = mariadb_loader(name, gen, args)
        info = {
            "load_s": time.perf_counter() - began,
            "calls": calls,
            "offers": offers,
            "states": states,
        }
        log(f"MariaDB: loaded in {info['load_s']:.1f} s")
        results = await measure(url, "MariaDB", last)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
    return results, info


def mariadb_reachable() -> bool:
    import socket

    try:
        with socket.create_connection((MARIADB["host"], MARIADB["port"]), timeout=1):
            return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90, help="at most this many days")
    parser.add_argument("--agents", type=int, default=180)
    parser.add_argument("--sqlite", default="/tmp/prowebcrm_bench_stats.sqlite3")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-mariadb", action="store_true")
    args = parser.parse_args()

    all_results: list[tuple[str, str, float, float]] = []
    infos: dict[str, dict] = {}
    if not args.no_sqlite:
        path = Path(args.sqlite)
        reuse = args.reuse and path.exists()
        if not reuse:
            path.unlink(missing_ok=True)
        results, infos["SQLite"] = asyncio.run(run_sqlite(args, reuse))
        infos["SQLite"]["size_mb"] = path.stat().st_size / 1e6
        if not args.keep:
            path.unlink(missing_ok=True)
        all_results += results
    if not args.no_mariadb:
        if mariadb_reachable():
            results, infos["MariaDB"] = asyncio.run(run_mariadb(args))
            all_results += results
        else:
            log("MariaDB not reachable: skipped")

    print()
    for label, info in infos.items():
        if "calls" in info:
            print(
                f"{label}: {info['calls']:,} calls, {info['offers']:,} offers, "
                f"{info['states']:,} agent states loaded in {info['load_s']:.0f} s"
                + (f", file {info['size_mb']:.0f} MB" if "size_mb" in info else "")
            )
    print(
        f"\nEvery report over one month (February 2026), times in ms over {RUNS} runs: "
        "p50 / max\n"
    )
    labels = list(dict.fromkeys(r[0] for r in all_results))
    names = list(dict.fromkeys(r[1] for r in all_results))
    width = max(len(n) for n in names) + 2
    print("report".ljust(width) + "".join(f"{lab:>22}" for lab in labels))
    for name in names:
        cells = []
        for lab in labels:
            hit = next((r for r in all_results if r[0] == lab and r[1] == name), None)
            cells.append(f"{hit[2] * 1000:>10.1f} /{hit[3] * 1000:>9.1f}" if hit else " " * 22)
        print(name.ljust(width) + "".join(f"{c:>22}" for c in cells))
    for lab in labels:
        timed_reports = [r for r in all_results if r[0] == lab and not r[1].startswith("rebuild")]
        if timed_reports:
            worst = max(timed_reports, key=lambda r: r[3])
            print(f"\n{lab}: slowest over a month: {worst[1]} (max {worst[3] * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
