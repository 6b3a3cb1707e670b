"""A real database outage: a MariaDB of the test's own is killed with SIGKILL while calls go
on, then started again. Nothing reported meanwhile may be lost or written wrong, reporting
must never wait, a process that dies during the outage must leave its facts to the next
one, and pages must say the database is away (503) rather than fail (500)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher

from crm import db as crm_db
from crm import passwords
from crm.journal import CallJournal, database_key
from crm.models import Group, Role, User
from prowebcrm.settings import load_settings
from tests.dbserver import PrivateMariaDB, needs_mariadb_server
from tests.journal_calls import Scripted, assert_rows, log_in, script
from tests.rollup_check import rollup_mismatches
from tests.web.webtools import login, make_user
from web.app import create_app

pytestmark = needs_mariadb_server
UTC_TZ = ZoneInfo("UTC")
AGENTS = 10
DOWN_S = 3.0


@pytest.fixture
async def database(private_mariadb: PrivateMariaDB) -> AsyncIterator[str]:
    url = private_mariadb.create_database("prowebcrm")
    await crm_db.migrate(url)
    await crm_db.init_db(url)
    try:
        yield url
    finally:
        await crm_db.close_db()


async def _world() -> tuple[list[int], int]:
    agents = [(await User.create(login=f"a{n}", name=f"Agent {n}", password_hash="x")).id
              for n in range(AGENTS)]
    return agents, (await Group.create(name="Sales", number="1000")).id


async def _report(journal: CallJournal, calls: list[Scripted], spread_s: float) -> float:
    """Report the calls a few at a time over ``spread_s`` seconds, as the ACD would;
    returns the longest any single call took to report."""
    loop = asyncio.get_running_loop()
    slowest = 0.0
    for call in calls:
        started = loop.time()
        call.tell(journal)
        slowest = max(slowest, loop.time() - started)
        await asyncio.sleep(spread_s / len(calls))
    return slowest


async def test_mariadb_killed_while_calls_go_on_loses_nothing(
        private_mariadb: PrivateMariaDB, database: str, tmp_path: Path) -> None:
    agents, group = await _world()
    spool = tmp_path / "spool"
    journal = CallJournal(UTC_TZ, spool, database_key=database_key(database))
    journal.start()
    log_in(journal, agents)
    calls = script(60, agents, group)
    await _report(journal, calls[:20], 1.0)
    await asyncio.wait_for(journal.flush(), 30)

    private_mariadb.kill()
    slowest = await _report(journal, calls[20:40], DOWN_S)
    assert not journal.database_available
    assert journal.spooled > 0 and journal.spool_path is not None
    assert journal.spool_path.stat().st_size > 0
    assert slowest < 0.25  # reporting never waited on the dead database (a wait is >= 1 s)

    private_mariadb.start()
    await _report(journal, calls[40:], 1.0)
    await asyncio.wait_for(journal.flush(), 60)
    await journal.stop()

    assert journal.database_available and journal.failures == 0
    await assert_rows(calls, agents)
    assert await rollup_mismatches(UTC_TZ) == []
    assert list(spool.glob("journal-*.jsonl")) == []


async def test_a_process_dying_during_the_outage_leaves_its_facts_to_the_next(
        private_mariadb: PrivateMariaDB, database: str, tmp_path: Path) -> None:
    agents, group = await _world()
    spool = tmp_path / "spool"
    key = database_key(database)
    first = CallJournal(UTC_TZ, spool, database_key=key)
    first.start()
    log_in(first, agents)
    calls = script(20 + AGENTS, agents, group)  # then one live call per agent
    await _report(first, calls[:20], 1.0)
    await asyncio.wait_for(first.flush(), 30)

    private_mariadb.kill()
    for call in calls[20:]:
        call.begin(first)
    for _ in range(200):
        if first.spooled >= first.pending > 0:
            break
        await asyncio.sleep(0.05)
    assert first.spooled >= first.pending > 0
    # the process dies: no stop(); the system closes its files (and the spool's lock)
    assert first._task is not None
    first._task.cancel()
    await asyncio.gather(first._task, return_exceptions=True)
    assert first._spool is not None
    first._spool.close()
    del first
    gc.collect()

    private_mariadb.start()
    second = CallJournal(UTC_TZ, spool, database_key=key)
    second.start()
    for call in calls[20:]:
        call.finish(second)  # the calls went on: the new process reports their end
    await asyncio.wait_for(second.flush(), 60)
    await second.stop()

    assert second.failures == 0
    await assert_rows(calls, agents)
    assert await rollup_mismatches(UTC_TZ) == []
    assert list(spool.glob("journal-*.jsonl")) == []


async def test_pages_answer_503_while_the_database_is_down(
        private_mariadb: PrivateMariaDB, tmp_path: Path, aiohttp_client: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
    url = private_mariadb.create_database("web")
    await crm_db.migrate(url)
    settings = load_settings(env={}, data_dir=tmp_path / "data", database_url=url)
    client = await aiohttp_client(create_app(settings))
    await make_user("admin", Role.ADMIN)
    await login(client, "admin")
    assert (await client.get("/api/v1/groups")).status == 200

    private_mariadb.kill()
    api = await client.get("/api/v1/groups")
    assert api.status == 503
    assert (await api.json())["error"]["code"] == "database_unavailable"
    page = await client.get("/admin/users")
    assert page.status == 503 and "database is unavailable" in await page.text()

    private_mariadb.start()
    for _ in range(50):  # the pool reconnects on the next request
        if (await client.get("/api/v1/groups")).status == 200:
            break
        await asyncio.sleep(0.1)
    assert (await client.get("/api/v1/groups")).status == 200


async def test_a_hung_database_is_given_up_on_and_nothing_is_lost(
        private_mariadb: PrivateMariaDB, database: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from crm import journal_store

    monkeypatch.setattr(journal_store, "WRITE_TIMEOUT_S", 1.0)
    agents, group = await _world()
    journal = CallJournal(UTC_TZ, tmp_path / "spool", database_key=database_key(database))
    journal.start()
    log_in(journal, agents)
    calls = script(30, agents, group)
    await _report(journal, calls[:10], 0.5)
    await asyncio.wait_for(journal.flush(), 30)

    private_mariadb.pause()  # SIGSTOP: connections stay open, nothing answers
    try:
        slowest = await _report(journal, calls[10:20], 2.5)
        for _ in range(100):
            if not journal.database_available and journal.spooled > 0:
                break
            await asyncio.sleep(0.05)
        assert not journal.database_available and journal.spooled > 0
        # Reporting never waits for the hung database (its writes give up after 1 s); the
        # bound leaves room for a loaded machine, a wait on the database would pass it.
        assert slowest < 0.25
    finally:
        private_mariadb.resume()
    await _report(journal, calls[20:], 0.5)
    await asyncio.wait_for(journal.flush(), 60)
    await journal.stop()
    assert journal.failures == 0
    await assert_rows(calls, agents)
    assert await rollup_mismatches(UTC_TZ) == []
