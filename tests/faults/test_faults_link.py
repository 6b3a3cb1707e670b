"""C9 / B12 on the real Asterisk: the ARI WebSocket cut (a proxy between the app and Asterisk
drops it and refuses new connections for 1 s, then 20 s). Conversations go on; a call that
ends meanwhile is recorded with its real end (the dialplan's hang-up stamp); a caller arriving
meanwhile waits in the dialplan and is served from its first try; nothing is left over."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from crm.models import AgentState, AgentStateName, Call, CallOutcome, Offer, OfferResult
from tests.faults.floor import Floor
from tests.faults.proxy import CuttableProxy
from tests.faults.serve import ServeProcess
from tests.pbx import Pbx

pytestmark = pytest.mark.real_asterisk


@contextlib.asynccontextmanager
async def drill_floor(pbx: Pbx, tmp_path: Path, agents: int, **group: Any
                      ) -> AsyncIterator[Floor]:
    pbx.reset()
    floor = Floor(pbx, tmp_path, f"sqlite://{tmp_path / 'floor.sqlite3'}")
    await floor.seed(agents=agents, **group)
    try:
        yield floor
    finally:
        await floor.close()


@pytest.fixture
async def floor(pbx: Pbx, tmp_path: Path) -> AsyncIterator[Floor]:
    async with drill_floor(pbx, tmp_path, agents=2) as floor:
        yield floor


@pytest.fixture
async def lone_agent(pbx: Pbx, tmp_path: Path) -> AsyncIterator[Floor]:
    """One agent with a 2 s wrap-up, paused after 3 missed offers in a row."""
    async with drill_floor(pbx, tmp_path, agents=1, wrapup_s=2, autopause_after=3) as floor:
        yield floor


async def app_behind(floor: Floor, proxy: CuttableProxy) -> ServeProcess:
    """``prowebcrm serve`` reaching Asterisk through the proxy, active, its agents logged in."""
    app = floor.serve("app", ari_url=proxy.url)
    await app.wait_state("active")
    await floor.log_agents_in(app)
    return app


@pytest.mark.parametrize("outage_s", [1.0, 20.0])
async def test_websocket_outage(floor: Floor, proxy: CuttableProxy, outage_s: float) -> None:
    app = await app_behind(floor, proxy)
    floor.place([("0620000001", "Ends meanwhile"), ("0620000002", "Talks through")])

    async def both_talking() -> bool:
        snap = await floor.snapshot(app)
        return sum(c["state"] == "connected" for c in snap["calls"]) == 2

    await floor.until(both_talking, what="two conversations")
    cut_at = time.time()
    proxy.cut(block_s=outage_s)
    await asyncio.sleep(min(0.3, outage_s / 3))
    ended_at = floor.hang_up_caller("0620000001")
    await asyncio.sleep(min(0.2, outage_s / 3) if outage_s < 5 else 8.0)
    first_try = time.time()
    floor.place([("0620000003", "Arrives meanwhile")])
    assert proxy.refused > 0 or outage_s < 5  # the app really could not reach Asterisk

    async def served() -> bool:
        snap = await floor.snapshot(app)
        numbers = {c["caller_number"]: c["state"] for c in snap["calls"]}
        return numbers.get("0620000003") == "connected" and "0620000001" not in numbers

    await floor.until(served, timeout=outage_s + 15, what="back and serving")
    back = await floor.snapshot(app)
    talking = [c["call_id"] for c in back["calls"] if c["state"] == "connected"]
    legs = [a["leg_id"] for a in back["agents"] if a["leg_id"]]
    flows = await floor.audio(talking + legs)
    assert all(f.received > 30 and f.sent > 30 for f in flows.values()), flows
    for number in ("0620000002", "0620000003"):
        floor.hang_up_caller(number)
    await floor.until(lambda: not [c for c in floor.channels()
                                   if not c["name"].startswith("PJSIP/loop-")],
                      what="nothing left in Asterisk")

    async def closed() -> bool:
        return await Call.filter(ended_at=None).count() == 0

    await floor.until(closed, what="records closed")
    rows = {c.caller_number: c for c in await Call.all()}
    assert sorted(rows) == ["0620000001", "0620000002", "0620000003"]
    gone = rows["0620000001"]
    assert gone.outcome is CallOutcome.ANSWERED
    # its real end, not when the link came back
    assert abs(gone.ended_at.timestamp() - ended_at) < 1.0, (
        gone.ended_at, ended_at, floor.pbx.asterisk.cli("database show prowebcrm-end"),
        app.tail(40))
    late = rows["0620000003"]
    assert late.outcome is CallOutcome.ANSWERED
    assert abs(late.started_at.timestamp() - first_try) < 0.5  # its wait counts from then
    assert late.answered_at.timestamp() > cut_at + outage_s
    assert late.wait_s == pytest.approx(
        (late.answered_at - late.entered_queue_at).total_seconds(), abs=0.01)


async def test_an_agent_freed_while_the_link_is_down_is_offered_once_it_is_back(
        lone_agent: Floor, proxy: CuttableProxy) -> None:
    """The agent's wrap-up ends while the link is cut, with a caller waiting. Nothing is
    offered until the link is back, then the caller once. Before, the ring Asterisk could
    not be asked for was recorded as a failed offer: a miss the agent never had, counting
    toward its auto-pause."""
    floor = lone_agent
    app = await app_behind(floor, proxy)
    floor.place([("0620000001", "First")])

    async def states(*wanted: str) -> bool:
        snap = await floor.snapshot(app)
        return sorted(c["state"] for c in snap["calls"]) == sorted(wanted)

    await floor.until(lambda: states("connected"), what="the first caller talking")
    floor.place([("0620000002", "Waits")])
    await floor.until(lambda: states("connected", "queued"), what="the second waiting")
    floor.hang_up_caller("0620000001")

    async def wrapping_up() -> bool:
        snap = await floor.snapshot(app)
        return [a["state"] for a in snap["agents"]] == ["wrapup"]

    await floor.until(wrapping_up, what="the agent in wrap-up")
    cut_at = time.time()
    proxy.cut(block_s=5.0)  # the 2 s wrap-up ends meanwhile
    await floor.until(lambda: states("connected"), timeout=20,
                      what="the second caller served once the link is back")
    floor.hang_up_caller("0620000002")
    await floor.until(lambda: states(), what="both calls over")

    async def recorded() -> bool:  # the records are written beside the calls
        return (await Call.filter(ended_at=None).count() == 0
                and await Offer.filter(result=None).count() == 0)

    await floor.until(recorded, what="records closed")
    offers = await Offer.filter(call__caller_number="0620000002").order_by("offered_at")
    assert [o.result for o in offers] == [OfferResult.ANSWERED], [
        (o.offered_at, o.result) for o in offers]
    assert offers[0].offered_at.timestamp() > cut_at + 4.5  # once the link was back
    agent = floor.agents[0]
    kinds = [s.state for s in await AgentState.filter(agent_id=agent.id)
             .order_by("started_at", "id")]
    assert AgentStateName.PAUSED not in kinds, kinds
    assert proxy.refused > 0  # the app really could not reach Asterisk meanwhile
