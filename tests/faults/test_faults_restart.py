"""B12 on the real Asterisk: a kill -9, an upgrade (SIGTERM) and a stand-by taking over never
cut a conversation, never drop a waiting caller, and leave every record right.

Each drill: 3 SIP agents talking with 3 SIP callers, 2 more callers waiting; the serving
process goes away; ``prowebcrm serve`` is started again as a service manager would (or a
stand-by takes over); then the live calls must be the same, still carrying audio, still
controllable, and the records must say what really happened."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crm.models import AgentState, AgentStateName, Call, CallOutcome
from tests.faults.floor import Floor
from tests.pbx import Pbx

pytestmark = pytest.mark.real_asterisk

CALLERS = [(f"06100000{n:02d}", f"Drill {n}") for n in range(5)]


@pytest.fixture
async def floor(pbx: Pbx, tmp_path: Path) -> AsyncIterator[Floor]:
    pbx.reset()
    floor = Floor(pbx, tmp_path, f"sqlite://{tmp_path / 'floor.sqlite3'}")
    await floor.seed(agents=3)
    try:
        yield floor
    finally:
        await floor.close()


async def _talking_and_waiting(floor: Floor, process) -> dict:
    await process.wait_state("active")
    await floor.log_agents_in(process)
    floor.place(CALLERS)

    last: dict = {}

    async def settled() -> dict | None:
        snap = last["snap"] = await floor.snapshot(process)
        talking = [c for c in snap["calls"] if c["state"] == "connected"]
        waiting = [c for q in snap["queues"].values() for c in q]
        return snap if len(talking) == 3 and len(waiting) == 2 else None

    try:
        return await floor.until(settled, timeout=20, what="3 talking, 2 waiting")
    except AssertionError as exc:  # say where it stood: the engine, Asterisk, the app's log
        snap = last.get("snap") or {}
        raise AssertionError(
            f"{exc}; calls {[(c['call_id'], c['state']) for c in snap.get('calls', [])]}, "
            f"agents {[(a['agent_id'], a['state']) for a in snap.get('agents', [])]}, "
            f"channels {[c['name'] for c in floor.channels()]}\n{process.tail(40)}") from None


async def _check_after_fault(floor: Floor, before: dict, process) -> dict:
    """The same conversations with the same agents, the same callers waiting in order."""
    after = await floor.snapshot(process)
    pairs = lambda snap: {(c["call_id"], c["agent_id"]) for c in snap["calls"]  # noqa: E731
                          if c["state"] == "connected"}
    assert pairs(after) == pairs(before)
    assert after["queues"] == before["queues"]
    agents = {a["agent_id"]: a["state"] for a in after["agents"]}
    assert sorted(agents.values()) == ["on_call"] * 3
    # audio still flows both ways on every kept conversation: caller <-> Asterisk <-> agent
    legs = [a["leg_id"] for a in after["agents"]]
    flows = await floor.audio([cid for cid, _ in pairs(after)] + legs, seconds=1.0)
    for channel_id, flow in flows.items():
        assert flow.received > 30 and flow.sent > 30, (channel_id, flow)  # ~50 a second
    return after


async def _finish_and_check_records(floor: Floor, process, before: dict,
                                    fault_at: float) -> None:
    numbers = {c["call_id"]: c["caller_number"] for c in before["calls"]}
    talking = [c["call_id"] for c in before["calls"] if c["state"] == "connected"]
    waiting = [cid for q in before["queues"].values() for cid in q]
    # One conversation ends after the fault: its agent takes the first waiting caller.
    ended_at = {talking[0]: floor.hang_up_caller(numbers[talking[0]])}

    async def first_waiting_answered() -> bool:
        snap = await floor.snapshot(process)
        return any(c["call_id"] == waiting[0] and c["state"] == "connected"
                   for c in snap["calls"])

    await floor.until(first_waiting_answered, what="the first waiting caller answered")
    for call_id in [*talking[1:], waiting[0], waiting[1]]:
        ended_at[call_id] = floor.hang_up_caller(numbers[call_id])

    async def all_over() -> bool:
        snap = await floor.snapshot(process)
        return not snap["calls"]

    await floor.until(all_over, what="every call over")
    await floor.log_agents_out(process)
    await floor.until(lambda: not [c for c in floor.channels()
                                   if not c["name"].startswith("PJSIP/loop-")],
                      what="nothing left in Asterisk")

    async def records_closed() -> bool:
        return await Call.filter(ended_at=None).count() == 0 and (
            await AgentState.filter(ended_at=None).count() == 0)

    await floor.until(records_closed, what="every record closed")
    rows = {c.ref: c for c in await Call.all()}
    assert sorted(rows) == sorted(ended_at), "one record per call, none lost or doubled"
    for call_id in talking:
        row = rows[call_id]
        assert row.outcome is CallOutcome.ANSWERED
        assert row.answered_at.timestamp() < fault_at  # answered before the fault...
        assert abs(row.ended_at.timestamp() - ended_at[call_id]) < 1.0  # ...ended with truth
        assert row.talk_s == pytest.approx(
            (row.ended_at - row.answered_at).total_seconds(), abs=0.01)
    first, second = rows[waiting[0]], rows[waiting[1]]
    assert first.outcome is CallOutcome.ANSWERED
    assert first.entered_queue_at.timestamp() < fault_at < first.answered_at.timestamp()
    assert second.outcome is CallOutcome.ABANDONED and second.answered_at is None
    assert second.wait_s == pytest.approx(
        (second.ended_at - second.entered_queue_at).total_seconds(), abs=0.01)
    # every agent's states follow each other without gap or overlap
    for agent in floor.agents:
        states = await AgentState.filter(agent_id=agent.id).order_by("started_at", "id")
        assert states[0].state is AgentStateName.AVAILABLE
        for earlier, later in itertools.pairwise(states):
            assert earlier.ended_at == later.started_at, (agent.login, earlier, later)


@pytest.mark.parametrize("how", ["kill9", "sigterm"])
async def test_restart_keeps_every_call_and_every_record(floor: Floor, how: str) -> None:
    first = floor.serve("first")
    before = await _talking_and_waiting(floor, first)
    fault_at = time.time()
    if how == "kill9":
        first.kill9()
    else:
        assert first.terminate() == 0
    second = floor.serve("second")  # plain `prowebcrm serve`, as a service manager restarts it
    took = await second.wait_state("active")
    assert took < 10, second.tail()
    await _check_after_fault(floor, before, second)
    await _finish_and_check_records(floor, second, before, fault_at)


async def test_standby_takes_over_within_five_seconds(floor: Floor) -> None:
    active = floor.serve("active")
    before = await _talking_and_waiting(floor, active)
    standby = floor.serve("standby")
    await standby.wait_state("standby")
    status, _ = await standby.health()
    assert status == 503  # a load balancer sends nobody there
    fault_at = time.time()
    active.kill9()
    took = await standby.wait_state("active", timeout=10)
    assert took < 5, f"stand-by took {took:.1f} s: {standby.tail()}"
    await _check_after_fault(floor, before, standby)
    await _finish_and_check_records(floor, standby, before, fault_at)
