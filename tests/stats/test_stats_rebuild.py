"""Rollups agree with the raw rows, and `prowebcrm stats rebuild` brings them back when they
do not (history loaded in bulk, a bug, a restore)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crm.stats import sql
from tests.rollup_check import rollup_mismatches
from tests.stats.history import PARIS, build_history


async def test_rollups_written_by_the_journal_match_the_raw_rows(db: str) -> None:
    await build_history()
    assert await rollup_mismatches(PARIS) == []


async def test_the_check_sees_a_rollup_that_differs(db: str) -> None:
    await build_history()
    await sql.execute("UPDATE stats_agent_hourly SET seconds = seconds + 60 "
                      "WHERE state = 'paused'")
    await sql.execute("DELETE FROM stats_call_daily")
    problems = await rollup_mismatches(PARIS)
    assert any(p.startswith("stats_agent_hourly") and "seconds" in p for p in problems)
    assert any(p.startswith("stats_call_daily") and "calls" in p for p in problems)


def _cli(args: list[str], database_url: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROWEBCRM_")}
    env.update(PROWEBCRM_DATA_DIR=str(data_dir), PROWEBCRM_DATABASE_URL=database_url,
               PROWEBCRM_TIMEZONE="Europe/Paris")
    return subprocess.run([sys.executable, "-m", "prowebcrm.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


async def test_stats_rebuild_repairs_every_rollup_with_progress(db: str, tmp_path: Path) -> None:
    await build_history()
    for table in ("stats_call_hourly", "stats_call_daily", "stats_offer_hourly",
                  "stats_agent_daily", "stats_state_hourly"):
        await sql.execute(f"DELETE FROM {table}")
    await sql.execute("UPDATE stats_agent_hourly SET seconds = 1, entries = 7")
    assert await rollup_mismatches(PARIS) != []

    result = _cli(["stats", "rebuild"], db, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("rollups rebuilt for 2026-03-28 .. ") and "(1/1)" in lines[0]
    assert lines[-1].startswith("rebuilt 2026-03-28 .. 2026-03-30 in ")
    assert await rollup_mismatches(PARIS) == []


async def test_stats_rebuild_of_some_days_leaves_the_others(db: str, tmp_path: Path) -> None:
    await build_history()
    await sql.execute("DELETE FROM stats_call_hourly")
    await sql.execute("DELETE FROM stats_call_daily")
    result = _cli(["stats", "rebuild", "--from", "2026-03-29", "--to", "2026-03-29"], db,
                  tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rollups rebuilt for 2026-03-29 .. 2026-03-29 (1/1)" in result.stdout
    days = {sql.as_date(r[0]).isoformat() for r in await sql.fetch_rows(
        "SELECT DISTINCT local_date FROM stats_call_daily")}
    assert days == {"2026-03-29"}

    refused = _cli(["stats", "rebuild", "--from", "2026-03-30", "--to", "2026-03-29"], db,
                   tmp_path)
    assert refused.returncode == 2 and "is after" in refused.stderr
    bad = _cli(["stats", "rebuild", "--from", "yesterday"], db, tmp_path)
    assert bad.returncode == 2 and "not a date" in bad.stderr
