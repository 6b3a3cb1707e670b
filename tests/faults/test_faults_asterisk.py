"""C9 on the real Asterisk: Asterisk itself restarts. Its calls are gone with it (it held the
audio); the app reconnects by itself, closes those records at the time Asterisk went down,
frees the agents, makes its queues again and serves the next callers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crm.models import Call, CallOutcome
from tests.faults.floor import Floor
from tests.pbx import Pbx

pytestmark = pytest.mark.real_asterisk


@pytest.fixture
async def floor(pbx: Pbx, tmp_path: Path) -> AsyncIterator[Floor]:
    pbx.reset()
    floor = Floor(pbx, tmp_path, f"sqlite://{tmp_path / 'floor.sqlite3'}")
    await floor.seed(agents=1)
    try:
        yield floor
    finally:
        await floor.close()


async def test_asterisk_restart(floor: Floor) -> None:
    app = floor.serve("app")
    await app.wait_state("active")
    await floor.log_agents_in(app)
    floor.place([("0630000001", "Talking"), ("0630000002", "Waiting")])

    async def one_talking_one_waiting() -> bool:
        snap = await floor.snapshot(app)
        states = sorted(c["state"] for c in snap["calls"])
        return states == ["connected", "queued"]

    await floor.until(one_talking_one_waiting, what="one talking, one waiting")
    went_down = time.time()
    floor.pbx.asterisk.restart()
    back = time.time()

    async def agent_free() -> bool:
        snap = await floor.snapshot(app)
        return not snap["calls"] and [a["state"] for a in snap["agents"]] == ["available"]

    await floor.until(agent_free, timeout=20, what="calls ended, agent available again")
    rows = {c.caller_number: c for c in await floor.until(
        lambda: _closed_rows(2), what="records closed")}
    talking, waiting = rows["0630000001"], rows["0630000002"]
    assert talking.outcome is CallOutcome.ANSWERED
    assert waiting.outcome is CallOutcome.ABANDONED and waiting.answered_at is None
    for row in (talking, waiting):  # ended when Asterisk went down, not when the app noticed
        assert went_down - 0.5 < row.ended_at.timestamp() < back + 0.5, row.ended_at

    # The next caller is served as usual (its queue was made again).
    floor.place([("0630000003", "After")])

    async def served() -> bool:
        snap = await floor.snapshot(app)
        return [c["state"] for c in snap["calls"]] == ["connected"]

    await floor.until(served, timeout=15, what="served after the restart")
    snap = await floor.snapshot(app)
    flows = await floor.audio([snap["calls"][0]["call_id"], snap["agents"][0]["leg_id"]])
    assert all(f.received > 30 and f.sent > 30 for f in flows.values()), flows
    floor.hang_up_caller("0630000003")
    await floor.until(lambda: _closed_rows(3), what="last record closed")


async def _closed_rows(count: int) -> list[Call] | None:
    rows = await Call.all()
    return rows if len(rows) == count and all(r.ended_at for r in rows) else None
