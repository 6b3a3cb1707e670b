"""B9: migration 0008 turns a group's record_calls into its recording mode (true -> all)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tortoise.migrations.api.migrate import migrate as run_migrations

from crm.db import close_db, tortoise_config


async def test_record_calls_becomes_mode_all(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"sqlite://{path}"
    try:
        await run_migrations(config=tortoise_config(url),
                             target="crm.0007_group_outbound_caller_id_retry")
    finally:
        await close_db()
    with sqlite3.connect(path) as db:
        cols = {r[1] for r in db.execute("PRAGMA table_info(groups)")}
        assert "record_calls" in cols and "recording" not in cols
    with sqlite3.connect(path) as db:
        for name, rec in (("rec", 1), ("norec", 0)):
            db.execute(
                "INSERT INTO groups (name, description, strategy, ring_timeout_s, wrapup_s,"
                " autopause_after, max_wait_s, max_callers, overflow_kind, overflow_target,"
                " moh_class, join_empty, leave_when_empty, sticky_s, record_calls, retry_s,"
                " service_level_s, wrapup_extend_s, wrapup_requires_outcome, wait_warn_s,"
                " wait_alert_s, sl_warn_pct, sl_alert_pct, active, created_at, updated_at)"
                " VALUES (?, '', 'ringall', 20, 10, 3, 0, 0, 'none', '', 'default', 1, 0, 0, ?,"
                " 5, 20, 30, 0, 30, 60, 80, 60, 1, '2026-01-01', '2026-01-01')", (name, rec))
    try:
        await run_migrations(config=tortoise_config(url))
    finally:
        await close_db()
    with sqlite3.connect(path) as db:
        modes = dict(db.execute("SELECT name, recording FROM groups"))
        cols = {r[1] for r in db.execute("PRAGMA table_info(groups)")}
    assert modes == {"rec": "all", "norec": "off"}
    assert "record_calls" not in cols
