"""A long run on the suite's own real Asterisk: many SIP calls at a steady rate into
``prowebcrm serve``, SIP agents that answer, callers who talk for different times or hang up
while waiting; then what was lost, what the records got wrong and what was left behind.

Callers come from 8 SIPp carriers at once, each with its own hold time (4, 6, ... 18 s from
the moment the app answers), so talk times vary and callers whose hold ends before an agent
takes them abandon. Printed: calls placed, answered by Asterisk, bridged (answered by an agent),
abandoned, lost (no 200 OK, or no record), records wrong (more or less than one row per caller,
a row left open, an end time far from the caller's real hang-up, rollups unlike a recount),
channels and bridges left in Asterisk, app memory (RSS) at start, middle and end.

    .venv/bin/python bench/bench_soak.py [--calls 10000] [--rate 5] [--agents 50] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm.models import Call, CallOutcome  # noqa: E402
from tests.faults.floor import GROUP_NUMBER, Floor  # noqa: E402
from tests.pbx import Pbx  # noqa: E402
from tests.rollup_check import rollup_mismatches  # noqa: E402

HOLDS_S = (4, 6, 8, 10, 12, 14, 16, 18)
END_TOLERANCE_S = 2.0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _sample_memory(pid: int, samples: list[tuple[float, float]], began: float) -> None:
    while True:
        samples.append((time.monotonic() - began, _rss_mb(pid)))
        await asyncio.sleep(10)


def _census(process: Any) -> dict[str, int]:
    """Ask the serving process for its memory census (kill -USR2) and read it from its log."""
    before = process.log.read_text(errors="replace").count("census (kill -USR2)")
    os.kill(process.proc.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in process.log.read_text(errors="replace").splitlines()
                 if "census (kill -USR2)" in line]
        if len(lines) > before:
            fields = lines[-1].split("census (kill -USR2): ", 1)[1].split()
            return {k: int(v) for k, v in (f.split("=", 1) for f in fields)}
        time.sleep(0.1)
    return {}


def _grown(first: dict[str, int], last: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {k: (first.get(k, 0), v) for k, v in last.items()
            if v > first.get(k, 0) and k != "gc.objects"}


def _plan(calls: int) -> list[list[tuple[str, str]]]:
    per = [calls // len(HOLDS_S) + (1 if i < calls % len(HOLDS_S) else 0)
           for i in range(len(HOLDS_S))]
    return [[(f"07{r}{n:07d}", f"Soak {r}-{n}") for n in range(count)]
            for r, count in enumerate(per)]


async def _check_records(placed: dict[str, float], answered_by_asterisk: set[str]
                         ) -> dict[str, Any]:
    rows = await Call.filter(direction="inbound")
    by_number: dict[str, list[Call]] = {}
    for row in rows:
        by_number.setdefault(row.caller_number[-8:], []).append(row)
    wrong: list[str] = []
    bridged = abandoned = lost = 0
    for number, hold in placed.items():
        mine = by_number.get(number[-8:], [])
        if number not in answered_by_asterisk or not mine:
            lost += 1
            continue
        if len(mine) != 1:
            wrong.append(f"{number}: {len(mine)} rows")
            continue
        row = mine[0]
        if row.ended_at is None:
            wrong.append(f"{number}: still open")
            continue
        length = (row.ended_at - row.started_at).total_seconds()
        if abs(length - hold) > END_TOLERANCE_S:
            wrong.append(f"{number}: lasted {length:.1f} s for a {hold} s caller (started "
                         f"{row.started_at:%H:%M:%S.%f}, waited {row.wait_s} s, ended "
                         f"{row.ended_at:%H:%M:%S.%f})")
        if row.outcome is CallOutcome.ANSWERED and row.answered_at is not None:
            bridged += 1
        elif row.outcome is CallOutcome.ABANDONED and row.answered_at is None:
            abandoned += 1
        else:
            wrong.append(f"{number}: outcome {row.outcome} answered_at={row.answered_at}")
    return {"rows": len(rows), "bridged": bridged, "abandoned": abandoned, "lost": lost,
            "wrong": wrong}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="prowebcrm-soak-"))
    pbx = Pbx(root / "pbx")
    pbx.start()
    floor = Floor(pbx, root, args.database_url or f"sqlite://{root / 'soak.sqlite3'}")
    try:
        await floor.seed(agents=args.agents, ring_timeout_s=15)
        process = floor.serve("soak")
        await process.wait_state("active", timeout=60)
        await floor.log_agents_in(process)
        assert process.proc is not None
        memory: list[tuple[float, float]] = []
        began = time.monotonic()
        sampler = asyncio.create_task(_sample_memory(process.proc.pid, memory, began))
        censuses = {"start": _census(process)}
        plan = _plan(args.calls)
        placed: dict[str, float] = {}
        runs = []
        for hold, callers in zip(HOLDS_S, plan, strict=True):
            placed.update({number: hold for number, _ in callers})
            runs.append(pbx.carrier.start(GROUP_NUMBER, callers, hold_s=hold,
                                          rate=args.rate / len(HOLDS_S)))
        floor.runs.extend(runs)  # killed with the floor if the bench is stopped
        expected_s = args.calls / args.rate + max(HOLDS_S)
        print(f"placing {args.calls} calls at {args.rate}/s for ~{expected_s / 60:.0f} min",
              flush=True)
        results = []
        halfway = began + expected_s / 2
        for run_ in runs:
            while not run_.done():
                if "middle" not in censuses and time.monotonic() > halfway:
                    censuses["middle"] = _census(process)
                await asyncio.sleep(5)
                done = sum(1 for p in pbx.carrier.folder.glob("carrier-*/calls.log")
                           for line in p.open(errors="replace")
                           if line.rstrip().endswith("bye") or "failed" in line)
                print(f"  t={time.monotonic() - began:6.0f}s  {done}/{args.calls} calls over"
                      f"  app RSS {memory[-1][1]:.0f} MB", flush=True)
            results.append(run_.result(run_.proc.returncode or 0))
        sampler.cancel()
        answered = {line.split()[0] for r in results for line in r.lines
                    if len(line.split()) > 1 and line.split()[1] == "answered"}

        async def over() -> bool:
            return not (await floor.snapshot(process))["calls"]

        await floor.until(over, timeout=120, what="every call over")
        await floor.log_agents_out(process)
        # The ACD keeps an ended call's channel ids 30 s for its late events: past that,
        # whatever is still held was not let go.
        await asyncio.sleep(35)
        censuses["end"] = _census(process)
        records = await _check_records(placed, answered)
        deadline = time.monotonic() + 20  # the journal refreshes rollups at most every 5 s
        while True:
            mismatches = await rollup_mismatches(ZoneInfo("UTC"))
            if not mismatches or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        left_channels = [c["name"] for c in floor.channels()
                         if not c["name"].startswith("PJSIP/loop-")]
        left_bridges = [b["id"] for b in pbx.asterisk.bridges()
                        if b["channels"] or not b["id"].startswith("pwq-")]
        mid = memory[len(memory) // 2][1] if memory else 0.0
        summary = {
            "calls": args.calls, "rate": args.rate, "agents": args.agents,
            "answered_by_asterisk": len(answered), **records,
            "rollup_mismatches": len(mismatches),
            "channels_left": len(left_channels), "bridges_left": len(left_bridges),
            "rss_mb": {"start": memory[0][1] if memory else 0.0, "middle": mid,
                       "end": memory[-1][1] if memory else 0.0},
            "seconds": round(time.monotonic() - began),
            "gc_objects": {k: c.get("gc.objects", 0) for k, c in censuses.items()},
            # containers bigger at the end (agents logged out, no call) than at the start
            "grown": _grown(censuses["start"], censuses["end"]),
        }
        print(json.dumps({k: v for k, v in summary.items() if k != "wrong"}, indent=2))
        print(f"records wrong: {len(records['wrong'])}")
        for line in records["wrong"][:20] + mismatches[:10]:
            print(f"    {line}")
        if args.json:
            Path(args.json).write_text(json.dumps(summary, indent=2, default=str))
        return summary
    finally:
        await floor.close()
        pbx.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=5.0, help="new calls per second")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json")
    # Stopped from outside (timeout, Ctrl-C): leave no Asterisk, SIPp or serve behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
