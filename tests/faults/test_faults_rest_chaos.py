"""R-converge on the real Asterisk: with a quarter of the app's REST requests refused, carried
out with their reply lost, or delayed past the app's patience (tests/faults/rest_chaos.py),
calls come and go; once the chaos stops, the engine and Asterisk agree again within a few
sweeps: no phantom call, every agent available, nothing left in Asterisk, one closed record
per caller, and the next caller is served."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crm.models import AgentState, Call
from tests.faults.floor import Floor
from tests.faults.rest_chaos import ChaosProxy
from tests.pbx import Pbx

pytestmark = pytest.mark.real_asterisk

SWEEP_S = 3


@pytest.fixture
async def floor(pbx: Pbx, tmp_path: Path) -> AsyncIterator[Floor]:
    pbx.reset()
    floor = Floor(pbx, tmp_path, f"sqlite://{tmp_path / 'floor.sqlite3'}")
    await floor.seed(agents=4, ring_timeout_s=6)
    try:
        yield floor
    finally:
        await floor.close()


@pytest.fixture
async def chaos(pbx: Pbx) -> AsyncIterator[ChaosProxy]:
    proxy = ChaosProxy(pbx.asterisk.ari_url, seed=11, rate=0.25, delay_s=11.0)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


def _leftovers(floor: Floor) -> tuple[list[str], list[str]]:
    channels = [c["name"] for c in floor.channels() if not c["name"].startswith("PJSIP/loop-")]
    bridges = [b["id"] for b in floor.pbx.asterisk.bridges()
               if not b["id"].startswith("pwq-") or b["channels"]]
    return channels, bridges


async def test_the_engine_converges_after_rest_requests_fail_at_random(
        floor: Floor, chaos: ChaosProxy) -> None:
    process = floor.serve("chaos", ari_url=chaos.url,
                          extra_env={"PROWEBCRM_SWEEP_INTERVAL_S": str(SWEEP_S)})
    await process.wait_state("active")
    await floor.log_agents_in(process)
    chaos.on = True
    short = [(f"06200000{n:02d}", f"Short {n}") for n in range(10)]
    long = [(f"06300000{n:02d}", f"Long {n}") for n in range(6)]
    floor.runs.append(floor.pbx.carrier.start("1700", short, hold_s=6, rate=2))
    floor.runs.append(floor.pbx.carrier.start("1700", long, hold_s=18, rate=1))
    for run in floor.runs:  # every caller has hung up (or been hung up)
        await floor.until(lambda run=run: run.proc.poll() is not None, timeout=120,
                          what="the carrier's callers done")
    chaos.on = False
    assert sum(n for fate, n in chaos.fates.items() if fate != "serve") >= 10, chaos.fates

    async def converged() -> bool:
        snap = await floor.snapshot(process)
        agents = {a["agent_id"]: a["state"] for a in snap["agents"]}
        return (not snap["calls"] and not any(snap["queues"].values())
                and sorted(agents.values()) == ["available"] * 4
                and _leftovers(floor) == ([], []))

    await floor.until(converged, timeout=12 * SWEEP_S + 15,
                      what=f"engine and Asterisk agreeing again ({chaos.fates}); "
                           f"left: {_leftovers(floor)}; {process.tail(15)}")

    async def records_closed() -> bool:
        return await Call.filter(ended_at=None).count() == 0

    await floor.until(records_closed, what="every call record closed")
    numbers = sorted(c.caller_number[-8:] for c in await Call.filter(transferred_from_id=None))
    assert numbers == sorted(n[-8:] for n, _ in short + long), "one record per caller"
    assert all(c.outcome is not None for c in await Call.all())
    for agent in floor.agents:  # states follow each other without gap or overlap
        states = await AgentState.filter(agent_id=agent.id).order_by("started_at", "id")
        for earlier, later in itertools.pairwise(states):
            assert earlier.ended_at == later.started_at, (agent.login, earlier, later)

    # Not wedged: the next caller is answered by an agent.
    floor.place([("0640000001", "After")], hold_s=3)

    async def served() -> bool:
        snap = await floor.snapshot(process)
        return any(c["caller_number"].endswith("640000001") and c["state"] == "connected"
                   for c in snap["calls"])

    await floor.until(served, timeout=15, what="a caller served after the chaos")
