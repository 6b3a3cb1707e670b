"""How long a floor is unmanaged when the active ``prowebcrm serve`` dies, on the suite's own
real Asterisk with SIP phones and a SIP carrier (SIPp, RTP on 127.0.0.1).

Each drill: N SIP agents talking with N callers, W more callers waiting, then

- ``restart``: ``kill -9`` of the active process, then plain ``prowebcrm serve`` started again
  at once, as a service manager would;
- ``standby``: ``kill -9`` of the active process while a stand-by runs beside it.

At the kill, one talking caller hangs up, so one agent becomes free while nobody manages the
floor. Printed, from the kill: the new process active (health says so), the first new offer
(the first waiting caller offered to the freed agent), every call re-adopted (the same
conversations with the same agents, every waiting caller queued or offered). Then every caller
hangs up and the records are compared with what the bench placed and saw: one row per caller,
talking calls answered before the kill and ended at their real time, rollups equal to a recount.

    .venv/bin/python bench/bench_failover.py [--agents 100] [--waiting 50]
        [--drills restart,standby] [--database-url mysql://root:@127.0.0.1:3306/db] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm.models import AgentState, Call, CallOutcome  # noqa: E402
from tests.faults.floor import Floor  # noqa: E402
from tests.pbx import Pbx  # noqa: E402
from tests.rollup_check import rollup_mismatches  # noqa: E402

POLL_S = 0.05


def _callers(drill: str, count: int) -> list[tuple[str, str]]:
    prefix = "0610" if drill == "restart" else "0620"
    return [(f"{prefix}{n:06d}", f"Caller {n}") for n in range(count)]


def _connected(snap: dict[str, Any]) -> set[tuple[str, int]]:
    return {(c["call_id"], c["agent_id"]) for c in snap["calls"] if c["state"] == "connected"}


def _waiting(snap: dict[str, Any]) -> list[str]:
    return [cid for queue in snap["queues"].values() for cid in queue]


async def _settled(floor: Floor, process: Any, talking: int, waiting: int) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        snap = await floor.snapshot(process)
        done = len(_connected(snap)) == talking and len(_waiting(snap)) == waiting
        return snap if done else None

    return await floor.until(check, timeout=180, what=f"{talking} talking, {waiting} waiting")


async def _watch_recovery(floor: Floor, process: Any, before: dict[str, Any], freed: str,
                          killed_at: float) -> dict[str, float]:
    """Seconds from the kill to: active, first new offer, every call re-adopted."""
    kept = {pair for pair in _connected(before) if pair[0] != freed}
    waiting = _waiting(before)
    marks: dict[str, float] = {}
    await process.wait_state("active", timeout=60)
    marks["active_s"] = time.monotonic() - killed_at
    deadline = time.monotonic() + 120
    while len(marks) < 3 and time.monotonic() < deadline:
        try:
            snap = await floor.snapshot(process)
        except AssertionError:  # not answering yet (adoption running)
            await asyncio.sleep(POLL_S)
            continue
        now = time.monotonic() - killed_at
        states = {c["call_id"]: c["state"] for c in snap["calls"]}
        if "first_offer_s" not in marks and states.get(waiting[0]) in ("ringing", "connected"):
            marks["first_offer_s"] = now
        queued = set(_waiting(snap))
        offered = {cid for cid, state in states.items() if state in ("ringing", "connected")}
        if ("all_adopted_s" not in marks and kept <= _connected(snap)
                and set(waiting) <= queued | offered):
            marks["all_adopted_s"] = now
        await asyncio.sleep(POLL_S)
    if len(marks) < 3:
        raise AssertionError(f"recovery incomplete after 120 s: {marks}\n{process.tail()}")
    return marks


async def _hang_up_everyone(floor: Floor, process: Any) -> dict[str, float]:
    ended: dict[str, float] = {}
    for number, channel in floor.caller_channels().items():
        ended[number] = time.time()
        floor.pbx.asterisk.ari("DELETE", f"/channels/{channel['id']}")
        await asyncio.sleep(0.01)  # gently: no teardown storm

    async def over() -> bool:
        return not (await floor.snapshot(process))["calls"]

    await floor.until(over, timeout=120, what="every call over")
    return ended


async def _records(floor: Floor, placed: list[tuple[str, str]], before: dict[str, Any],
                   killed_wall: float) -> dict[str, Any]:
    async def closed() -> bool:
        return await Call.filter(ended_at=None).count() == 0

    await floor.until(closed, timeout=60, what="every call record closed")
    rows = await Call.all()
    by_number: dict[str, list[Call]] = {}
    for row in rows:
        by_number.setdefault(row.caller_number[-8:], []).append(row)
    talking_ids = {cid for cid, _ in _connected(before)}
    wrong: list[str] = []
    for number, _ in placed:
        mine = by_number.get(number[-8:], [])
        if len(mine) != 1:
            wrong.append(f"{number}: {len(mine)} rows")
            continue
        row = mine[0]
        if row.ref in talking_ids and not (row.outcome is CallOutcome.ANSWERED
                                           and row.answered_at is not None
                                           and row.answered_at.timestamp() < killed_wall):
            wrong.append(f"{number}: talking at the kill, recorded {row.outcome} "
                         f"answered_at={row.answered_at}")
    # Agent states close with the logouts and rollups catch up within seconds (the journal
    # refreshes an hour's rollup at most every 5 s): give them 20 s before counting.
    deadline = time.monotonic() + 20
    while True:
        open_states = await AgentState.filter(ended_at=None).count()
        mismatches = await rollup_mismatches(ZoneInfo("UTC"))
        if (not open_states and not mismatches) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    return {"placed": len(placed), "rows": len(rows), "wrong": wrong,
            "agent_states_open_after_logout": open_states, "rollup_mismatches": mismatches}


async def drill(pbx: Pbx, folder: Path, kind: str, args: argparse.Namespace) -> dict[str, Any]:
    pbx.reset()
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite://{folder / 'floor.sqlite3'}"
    floor = Floor(pbx, folder, url)
    print(f"[{kind}] seeding {args.agents} agents", flush=True)
    await floor.seed(agents=args.agents, ring_timeout_s=15)
    try:
        first = floor.serve(f"{kind}-first")
        await first.wait_state("active", timeout=60)
        print(f"[{kind}] serve active; logging agents in", flush=True)
        await floor.log_agents_in(first)
        placed = _callers(kind, args.agents + args.waiting)
        floor.place(placed, hold_s=1800)
        print(f"[{kind}] waiting for {args.agents} talking and {args.waiting} waiting",
              flush=True)
        before = await _settled(floor, first, args.agents, args.waiting)
        standby = None
        if kind == "standby":
            standby = floor.serve(f"{kind}-standby")
            await standby.wait_state("standby", timeout=60)
        numbers = {c["call_id"]: c["caller_number"] for c in before["calls"]}
        freed = sorted(_connected(before))[0][0]
        killed_at, killed_wall = time.monotonic(), time.time()
        first.kill9()
        floor.hang_up_caller(numbers[freed])
        second = standby or floor.serve(f"{kind}-second")
        marks = await _watch_recovery(floor, second, before, freed, killed_at)
        print(f"[{kind}] " + "  ".join(f"{k}={v:.2f}" for k, v in marks.items()), flush=True)
        await _hang_up_everyone(floor, second)
        await floor.log_agents_out(second)
        records = await _records(floor, placed, before, killed_wall)
        print(f"[{kind}] records: {records['rows']} rows for {records['placed']} callers, "
              f"{len(records['wrong'])} wrong, {len(records['rollup_mismatches'])} rollup "
              f"mismatches, {records['agent_states_open_after_logout']} agent states open",
              flush=True)
        for line in records["wrong"][:10] + records["rollup_mismatches"][:10]:
            print(f"    {line}")
        left = [c["name"] for c in floor.channels() if not c["name"].startswith("PJSIP/loop-")]
        return {"drill": kind, "agents": args.agents, "waiting": args.waiting, **marks,
                **records, "channels_left": len(left)}
    finally:
        await floor.close()


async def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="prowebcrm-failover-"))
    pbx = Pbx(root / "pbx")
    print(f"starting Asterisk and the SIPp phones in {root}", flush=True)
    pbx.start()
    results = []
    try:
        for kind in args.drills.split(","):
            results.append(await drill(pbx, root / kind, kind, args))
    finally:
        pbx.stop()
    print("\ndrill     active_s  first_offer_s  all_adopted_s  rows/placed  wrong  rollups  left")
    for r in results:
        print(f"{r['drill']:<9} {r['active_s']:8.2f} {r['first_offer_s']:14.2f} "
              f"{r['all_adopted_s']:14.2f} {r['rows']:>6}/{r['placed']:<5} "
              f"{len(r['wrong']):6} {len(r['rollup_mismatches']):8} {r['channels_left']:5}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--waiting", type=int, default=50)
    parser.add_argument("--drills", default="restart,standby")
    parser.add_argument("--database-url", default="",
                        help="an empty database (default: a fresh SQLite file per drill)")
    parser.add_argument("--json", help="write the figures to this file")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
