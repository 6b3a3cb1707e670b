"""Benchmark of the call journal alone (prints figures; not a test).

    .venv/bin/python bench/bench_journal.py [--calls 3000] [--rate 200] [--no-sqlite]
        [--no-mariadb] [--agents 100]

Feeds a CallJournal the facts of N realistic inbound calls, in the order and at the pace the
ACD would report them: calls arrive at ``--rate`` per second of wall time; each is queued,
offered (10 % are not answered by the first agent and go to a second one), rung, answered,
talked, ended and wrapped up, with the agents' state changes (ringing, on call, wrap-up,
available) at each step; 10 % abandon in the queue, 5 % are blind-transferred to a group
and answered there by another agent, 2 % are transferred to an outside number. The
simulated call centre keeps agents consistent (an agent takes the next call when free).

Prints, per database: CPU per call (process CPU time, every thread, from the first fact to
the end of the flush, minus what the same feed costs with a journal that writes nothing),
wall time from the last fact to the end of the flush, and statements checked afterwards
(rows written, so a fast but wrong journal cannot pass).

SQLite: a file in a temporary directory. MariaDB (127.0.0.1:3306 root, or
PROWEBCRM_TEST_MARIADB_*): a scratch database created for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import inspect
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm import db as crm_db
from crm.journal import CallJournal
from crm.models import (
    AgentState,
    AgentStateName,
    Call,
    CallOutcome,
    Group,
    Offer,
    OfferResult,
    User,
)

TZ = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
TICK_S = 0.005  # wall time between two bursts of facts (the ACD reports in bursts)
MIN_BURST = 10  # at low rates, fewer and larger bursts: the harness's own wake-ups are
# then small next to the journal's cost (they are measured and subtracted, but noisy)

MARIADB = {
    "host": os.environ.get("PROWEBCRM_TEST_MARIADB_HOST", "127.0.0.1"),
    "port": int(os.environ.get("PROWEBCRM_TEST_MARIADB_PORT", "3306")),
    "user": os.environ.get("PROWEBCRM_TEST_MARIADB_USER", "root"),
    "password": os.environ.get("PROWEBCRM_TEST_MARIADB_PASSWORD", ""),
}

S = AgentStateName


@dataclass(frozen=True)
class Fact:
    at: float  # simulated seconds since T0
    seq: int  # stable order of facts with the same time
    method: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass
class Expected:
    calls: int = 0
    rows: int = 0
    offers: int = 0
    states: int = 0
    abandoned: int = 0
    answered_rows: int = 0


class Centre:
    """A call centre simulated in seconds since T0: the facts it reports, in order."""

    def __init__(self, calls: int, agents: list[int], groups: list[int], seed: int) -> None:
        self.rng = random.Random(seed)
        self.facts: list[Fact] = []
        self.free: list[tuple[float, int]] = [(0.0, a) for a in agents]
        heapq.heapify(self.free)
        self.groups = groups
        self.expected = Expected()
        self._seq = 0
        for agent in agents:
            self._add(0.0, "agent_state", agent, S.AVAILABLE, extension=str(2000 + agent))
            self.expected.states += 1
        for i in range(calls):
            self._call(i, 1.0 + i * 0.5)  # one new call every half second

    def _add(self, when: float, method: str, *args: Any, **kwargs: Any) -> None:
        self._seq += 1
        self.facts.append(Fact(when, self._seq, method, args, tuple(kwargs.items())))

    def _agent(self, ready_at: float) -> tuple[float, int]:
        free_at, agent = heapq.heappop(self.free)
        return max(free_at, ready_at), agent

    def _offer(self, ref: str, n: int, at: float, answered: bool) -> tuple[float, int]:
        """Ring the next free agent; returns (when the offer ended, agent)."""
        start, agent = self._agent(at)
        offer = f"{ref}-o{n}"
        self._add(start, "offer_started", offer, ref, agent, start)
        self._add(start, "agent_state", agent, S.RINGING, call_ref=ref)
        self._add(start + 0.3, "offer_ringing", offer, start + 0.3)
        self.expected.offers += 1
        self.expected.states += 1
        if answered:
            end = start + self.rng.uniform(2, 8)
            self._add(end, "offer_ended", offer, OfferResult.ANSWERED, end)
            return end, agent
        end = start + 15
        self._add(end, "offer_ended", offer, OfferResult.NO_ANSWER, end)
        self._add(end, "agent_state", agent, S.AVAILABLE)
        self.expected.states += 1
        heapq.heappush(self.free, (end, agent))
        return end, agent

    def _talk(self, ref: str, agent: int, at: float, until: float, transferred: bool) -> None:
        self._add(at, "call_answered", ref, agent, at)
        self._add(at, "agent_state", agent, S.ON_CALL, call_ref=ref)
        if transferred:
            self._add(until, "call_transferred", ref, until)
        self._add(until, "agent_state", agent, S.WRAPUP, call_ref=ref)
        wrapped = until + self.rng.uniform(5, 20)
        self._add(wrapped, "wrapup_ended", ref, wrapped, agent)
        self._add(wrapped, "agent_state", agent, S.AVAILABLE)
        self.expected.states += 3
        self.expected.answered_rows += 1
        heapq.heappush(self.free, (wrapped, agent))

    def _call(self, i: int, t: float) -> None:
        ref = f"bench-{i}"
        group = self.groups[i % len(self.groups)]
        self.expected.calls += 1
        self.expected.rows += 1
        self._add(t, "call_started", ref, at=t, caller_number=f"+3361{i:07d}", group_id=group)
        self._add(t + 0.05, "call_queued", ref, t + 0.05, group_id=group)
        roll = self.rng.random()
        if roll < 0.10:  # abandons in the queue
            self._add(t + self.rng.uniform(3, 40), "call_ended", ref, CallOutcome.ABANDONED,
                      t + self.rng.uniform(40, 41))
            self.expected.abandoned += 1
            return
        at = t + 0.1
        n = 1
        if self.rng.random() < 0.10:  # the first agent does not answer
            at, _ = self._offer(ref, n, at, answered=False)
            n += 1
        answered_at, agent = self._offer(ref, n, at, answered=True)
        n += 1
        talk = self.rng.uniform(20, 240)
        if roll < 0.15:  # blind transfer to a group, answered there by another agent
            until = answered_at + talk / 2
            self._talk(ref, agent, answered_at, until, transferred=True)
            self._add(until, "call_queued", ref, until, group_id=group)
            second_at, second = self._offer(ref, n, until + 0.1, answered=True)
            end = second_at + talk / 2
            self._talk_end(ref, second, second_at, end)
            self.expected.rows += 1
        elif roll < 0.17:  # blind transfer to an outside number
            until = answered_at + talk / 2
            self._talk(ref, agent, answered_at, until, transferred=True)
            self._add(until + talk, "call_ended", ref, CallOutcome.TRANSFERRED, until + talk)
            self.expected.rows += 1
        else:
            self._talk_end(ref, agent, answered_at, answered_at + talk)

    def _talk_end(self, ref: str, agent: int, at: float, end: float) -> None:
        self._add(end, "call_ended", ref, CallOutcome.ANSWERED, end)
        self._talk(ref, agent, at, end, transferred=False)

    def ordered(self) -> list[Fact]:
        return sorted(self.facts, key=lambda f: (f.at, f.seq))


def _moment(value: Any) -> Any:
    return T0 + timedelta(seconds=value) if isinstance(value, float) else value


JournalCall = tuple[str, list[Any], dict[str, Any]]


def prepare(facts: list[Fact]) -> list[JournalCall]:
    """Each fact as the journal call the publisher would make (times as datetimes), built
    before the clock starts so the feed costs little besides the journal itself."""
    calls = []
    for fact in facts:
        args = [_moment(a) for a in fact.args]
        if fact.method == "agent_state":
            args.append(T0 + timedelta(seconds=fact.at))
        calls.append((fact.method, args, {k: _moment(v) for k, v in fact.kwargs}))
    return calls


class NullJournal:
    """The same feed with no journal behind it: the harness's own cost."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


async def feed(journal: Any, calls: list[JournalCall], rate: float, facts_per_call: float) -> float:
    """Feed the facts in bursts every TICK_S so that ``rate`` calls arrive per second."""
    per_tick = max(MIN_BURST, round(rate * facts_per_call * TICK_S))
    tick = per_tick / (rate * facts_per_call)
    for start in range(0, len(calls), per_tick):
        for method, args, kwargs in calls[start:start + per_tick]:
            getattr(journal, method)(*args, **kwargs)
        await asyncio.sleep(tick)
    return time.perf_counter()


def make_journal(data_dir: Path) -> CallJournal:
    params = inspect.signature(CallJournal).parameters
    if "spool_dir" in params:
        return CallJournal(TZ, spool_dir=data_dir / "journal")  # type: ignore[call-arg]
    return CallJournal(TZ)


@dataclass
class Result:
    cpu_per_call_ms: float
    flush_ms: float
    ok: bool


async def run_one(label: str, url: str, args: argparse.Namespace, data_dir: Path) -> Result:
    await crm_db.migrate(url)
    await crm_db.init_db(url)
    try:
        agents = [
            (await User.create(login=f"a{i}", name=f"Agent {i}", password_hash="x")).id
            for i in range(args.agents)
        ]
        groups = [(await Group.create(name=f"G{i}", number=f"10{i}")).id for i in range(3)]
        centre = Centre(args.calls, agents, groups, seed=7)
        facts = prepare(centre.ordered())
        per_call = len(facts) / args.calls

        harness = []
        for _ in range(2):  # the lower of two: the first run also warms up
            cpu0 = time.process_time()
            await feed(NullJournal(), facts, args.rate, per_call)
            harness.append(time.process_time() - cpu0)
        harness_cpu = min(harness)

        journal = make_journal(data_dir)
        journal.start()
        wall0 = time.perf_counter()
        cpu0 = time.process_time()
        fed_at = await feed(journal, facts, args.rate, per_call)
        await journal.flush()
        cpu = time.process_time() - cpu0
        done_at = time.perf_counter()
        await journal.stop()

        exp = centre.expected
        rows = await Call.all().count()
        offers = await Offer.all().count()
        states = await AgentState.all().count()
        abandoned = await Call.filter(outcome=CallOutcome.ABANDONED).count()
        answered = await Call.filter(answered_at__isnull=False).count()
        failures = getattr(journal, "failures", 0)
        ok = (rows, offers, states, abandoned, answered) == (
            exp.rows, exp.offers, exp.states, exp.abandoned, exp.answered_rows)
        net = max(cpu - harness_cpu, 0.0)
        print(f"{label:8s} {args.calls} calls, {len(facts)} facts ({per_call:.1f}/call), "
              f"{args.rate:g} calls/s fed")
        print(f"{'':8s} CPU per call {net / args.calls * 1000:.3f} ms "
              f"(journal run {cpu:.2f} s CPU, harness alone {harness_cpu:.2f} s); "
              f"flush after last fact {(done_at - fed_at) * 1000:.0f} ms; "
              f"total wall {done_at - wall0:.1f} s")
        print(f"{'':8s} rows: calls {rows}/{exp.rows}, offers {offers}/{exp.offers}, "
              f"states {states}/{exp.states}, abandoned {abandoned}/{exp.abandoned}, "
              f"answered {answered}/{exp.answered_rows}, failures {failures}: "
              f"{'OK' if ok and not failures else 'WRONG'}")
        return Result(net / args.calls * 1000, (done_at - fed_at) * 1000, ok and not failures)
    finally:
        await crm_db.close_db()


def summary(label: str, results: list[Result]) -> None:
    cpu = sorted(r.cpu_per_call_ms for r in results)
    flush = sorted(r.flush_ms for r in results)
    rows = "all right" if all(r.ok for r in results) else "WRONG"
    print(f"{label:8s} over {len(results)} run(s): CPU per call min {cpu[0]:.3f} ms, "
          f"median {cpu[len(cpu) // 2]:.3f} ms; flush after last fact median "
          f"{flush[len(flush) // 2]:.0f} ms; rows {rows}")


def mariadb_scratch() -> tuple[str, Callable[[], None]]:
    import pymysql

    name = f"prowebcrm_bench_journal_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(**MARIADB)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = (f"mysql://{MARIADB['user']}:{MARIADB['password']}@{MARIADB['host']}:"
           f"{MARIADB['port']}/{name}")

    def drop() -> None:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()

    return url, drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200.0,
                        help="new calls per second of wall time")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-mariadb", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per database, each on a fresh one (the machine may be "
                        "shared: the minimum is the figure to compare)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as tmp:
        data_dir = Path(tmp)
        if not args.no_sqlite:
            results = []
            for n in range(args.repeat):
                url = f"sqlite://{data_dir / f'bench{n}.sqlite3'}"
                results.append(await run_one("SQLite", url, args, data_dir))
            summary("SQLite", results)
        if not args.no_mariadb:
            results = []
            for _ in range(args.repeat):
                url, drop = mariadb_scratch()
                try:
                    results.append(await run_one("MariaDB", url, args, data_dir))
                finally:
                    drop()
            summary("MariaDB", results)


if __name__ == "__main__":
    asyncio.run(main())
