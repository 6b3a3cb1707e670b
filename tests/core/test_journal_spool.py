"""The call journal while the database is away: facts kept in order in memory and in the
spool file, written once it is back; a spool left by a crashed process replayed by the
next; a replay never writing a row twice. On SQLite and MariaDB, with the database's
answers replaced by "connection refused" while a test says it is down (the real thing, a
MariaDB killed with SIGKILL, is in test_journal_outage.py)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crm import journal_store
from crm.journal import CallJournal, database_key
from crm.journal_facts import from_line
from crm.journal_spool import Orphan
from crm.models import AgentState, Call, Group, Offer, StatsAgentHourly, User
from tests.journal_calls import Scripted, assert_rows, log_in, script
from tests.rollup_check import rollup_mismatches

UTC_TZ = ZoneInfo("UTC")


class Outage:
    """Every database call the journal makes fails as a refused connection while down."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.down = False
        self.refused = 0
        for name in ("write", "load_calls", "load_open_states", "read_progress", "hours_of",
                     "forget_progress", "forget_progress_before"):
            monkeypatch.setattr(journal_store, name, self._guard(getattr(journal_store, name)))

    def _guard(self, real: Callable[..., Any]) -> Callable[..., Any]:
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                self.refused += 1
                raise ConnectionRefusedError(111, "Connection refused (test outage)")
            return await real(*args, **kwargs)

        return guarded


async def _world(agents: int = 4) -> tuple[list[int], int]:
    ids = [(await User.create(login=f"a{n}", name=f"Agent {n}", password_hash="x")).id
           for n in range(agents)]
    group = await Group.create(name="Sales", number="1000")
    return ids, group.id


def _journal(spool: Path, db: str, **kw: Any) -> CallJournal:
    journal = CallJournal(UTC_TZ, spool, database_key=database_key(db), **kw)
    journal.start()
    return journal


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def _crash(journal: CallJournal) -> None:
    """The process dies: no stop(), nothing written any more, and the files it had open
    are closed by the system (which releases its spool's lock)."""
    task = journal._task
    assert task is not None
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    journal._task = None
    if journal._spool is not None:
        journal._spool.close()
    for orphan in journal._orphans:
        orphan.release()
    gc.collect()


def _spool_files(spool: Path) -> list[Path]:
    return sorted(spool.glob("journal-*.jsonl"))


async def test_an_outage_keeps_facts_in_memory_and_on_disk_then_writes_them_in_order(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agents, group = await _world()
    outage = Outage(monkeypatch)
    journal = _journal(tmp_path / "spool", db)
    log_in(journal, agents)
    before = script(4, agents, group)
    for call in before:
        call.tell(journal)
    await journal.flush()

    outage.down = True
    during = script(6, agents, group, first=4)
    for call in during:
        call.tell(journal)
    await _until(lambda: journal.spooled >= journal.pending > 0)
    assert not journal.database_available
    assert await _count_while_down(outage, Call) == 4
    [path] = _spool_files(tmp_path / "spool")
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["database"] == database_key(db)
    facts = [from_line(line) for line in lines[1:]]
    assert [seq for seq, _ in facts] == sorted(seq for seq, _ in facts)
    assert {f.ref for _, f in facts if hasattr(f, "ref")} == {c.ref for c in during}

    outage.down = False
    await asyncio.wait_for(journal.flush(), 15)
    await journal.stop()
    assert journal.database_available and journal.failures == 0
    await assert_rows(before + during, agents)
    assert _spool_files(tmp_path / "spool") == []
    assert await rollup_mismatches(UTC_TZ) == []


async def _count_while_down(outage: Outage, model: Any) -> int:
    # the test's own reads go straight to the database, which is really up
    return await model.all().count()


async def test_reporting_stays_instant_while_the_database_is_away(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agents, group = await _world()
    outage = Outage(monkeypatch)
    outage.down = True
    journal = _journal(tmp_path / "spool", db)
    loop = asyncio.get_running_loop()
    slowest = 0.0
    for call in script(40, agents, group):
        started = loop.time()
        call.tell(journal)
        slowest = max(slowest, loop.time() - started)
        await asyncio.sleep(0)
    assert slowest < 0.25  # reporting a whole call never waits on the database (CPU only)
    await _until(lambda: outage.refused >= 2)
    outage.down = False
    await asyncio.wait_for(journal.flush(), 15)
    await journal.stop()
    assert await Call.all().count() == 40


async def test_a_crash_during_an_outage_is_replayed_by_the_next_process(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agents, group = await _world()
    outage = Outage(monkeypatch)
    spool = tmp_path / "spool"
    first = _journal(spool, db)
    log_in(first, agents)
    calls = script(3 + len(agents), agents, group)  # one live call per agent at the crash
    for call in calls[:3]:
        call.tell(first)
    await first.flush()
    outage.down = True
    for call in calls[3:]:
        call.begin(first)  # answered while the database is away...
    await _until(lambda: first.spooled >= first.pending > 0)
    await _crash(first)  # ...and the process dies before it is back
    [left] = _spool_files(spool)

    outage.down = False
    second = _journal(spool, db)
    for call in calls[3:]:
        call.finish(second)  # the calls live on: the new process reports their end
    await asyncio.wait_for(second.flush(), 15)
    await second.stop()
    assert not left.exists() and second.failures == 0
    await assert_rows(calls, agents)
    assert await rollup_mismatches(UTC_TZ) == []


async def _replayed_twice(db: str, spool: Path, monkeypatch: pytest.MonkeyPatch,
                          between: Callable[[], Any]) -> tuple[list[Scripted], list[int]]:
    """A spool replayed by a process that dies right after its last commit, before it could
    remove the file; then replayed again by the next one."""
    agents, group = await _world()
    outage = Outage(monkeypatch)
    first = _journal(spool, db)
    log_in(first, agents)
    calls = script(6, agents, group)
    outage.down = True
    for call in calls:
        call.tell(first)
    await _until(lambda: first.spooled >= first.pending > 0)
    await _crash(first)
    outage.down = False

    def die_before_removing(orphan: Orphan) -> None:
        raise OSError("the process is killed before it removes the replayed spool")

    with monkeypatch.context() as patch:
        patch.setattr(Orphan, "discard", die_before_removing)
        second = _journal(spool, db)
        await asyncio.wait_for(second.flush(), 15)
        await _crash(second)
    await between()
    third = _journal(spool, db)
    await asyncio.wait_for(third.flush(), 15)
    await third.stop()
    assert _spool_files(spool) == []
    return calls, agents


async def test_a_replay_of_what_is_already_written_changes_nothing(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    totals: list[float] = []

    async def remember_totals() -> None:
        totals.append(sum(r.seconds for r in await StatsAgentHourly.all()))

    caplog.set_level(logging.INFO, logger="crm.journal")
    calls, agents = await _replayed_twice(db, tmp_path / "spool", monkeypatch,
                                          remember_totals)
    await assert_rows(calls, agents)
    assert sum(r.seconds for r in await StatsAgentHourly.all()) == totals[0] > 0
    assert await rollup_mismatches(UTC_TZ) == []
    assert "were already in the database" in caplog.text


async def test_without_progress_records_unique_refs_still_prevent_duplicate_rows(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.stats import sql

    async def forget_progress() -> None:
        await sql.execute("DELETE FROM journal_progress")

    calls, agents = await _replayed_twice(db, tmp_path / "spool", monkeypatch,
                                          forget_progress)
    assert await Call.all().count() == len(calls)
    assert await Offer.all().count() == len(calls)
    assert await AgentState.all().count() == len(agents) + 4 * len(calls)


async def test_a_full_spool_says_so_loudly_and_keeps_facts_in_memory(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    agents, group = await _world()
    outage = Outage(monkeypatch)
    outage.down = True
    journal = _journal(tmp_path / "spool", db, spool_max_mb=0.002)  # about 2 KB
    log_in(journal, agents)
    calls = script(10, agents, group)
    for call in calls:
        call.tell(journal)
    await _until(lambda: "reached its maximum" in caplog.text)
    [path] = _spool_files(tmp_path / "spool")
    assert path.stat().st_size <= 2100
    assert 0 < journal.spooled < journal.pending
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    outage.down = False
    await asyncio.wait_for(journal.flush(), 15)
    await journal.stop()
    await assert_rows(calls, agents)


async def test_spools_of_another_database_or_of_a_live_process_are_left_alone(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agents, group = await _world()
    outage = Outage(monkeypatch)
    spool = tmp_path / "spool"
    spool.mkdir()
    foreign = spool / "journal-0000000000000000.jsonl"
    foreign.write_text(json.dumps({"spool": 1, "epoch": "0000000000000000",
                                   "database": "another"}) + "\n")
    outage.down = True
    live = _journal(spool, db)
    script(1, agents, group)[0].tell(live)
    await _until(lambda: live.spooled > 0)
    outage.down = False
    other = _journal(spool, db)  # a second process on the same data directory
    await other.flush()
    await other.stop()
    assert await Call.all().count() == 0  # the live one's facts are its own to write
    assert foreign.exists()
    await asyncio.wait_for(live.flush(), 15)
    await live.stop()
    assert await Call.all().count() == 1
    assert _spool_files(spool) == [foreign]
