"""B9 across a kill -9: a call recorded while ``prowebcrm serve`` dies keeps being recorded
by Asterisk; the restarted process adopts the recording and writes its row when it ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crm.models import Call, Recording, RecordingStatus
from tests.faults.floor import Floor
from tests.pbx import Pbx

pytestmark = pytest.mark.real_asterisk


@pytest.fixture
async def floor(pbx: Pbx, tmp_path: Path) -> AsyncIterator[Floor]:
    pbx.reset()
    floor = Floor(pbx, tmp_path, f"sqlite://{tmp_path / 'floor.sqlite3'}")
    await floor.seed(agents=1, recording="all")
    try:
        yield floor
    finally:
        await floor.close()


def _size(path: str) -> int:
    return Path(path).stat().st_size if Path(path).is_file() else 0


async def test_a_recording_survives_a_kill9_of_the_app(floor: Floor) -> None:
    folder = floor.pbx.asterisk.root / "spool" / "recording"
    env = {"PROWEBCRM_RECORDINGS_DIR": str(folder)}
    first = floor.serve("first", extra_env=env)
    await first.wait_state("active")
    await floor.log_agents_in(first)
    floor.place([("0610009999", "Recorded")])

    async def recording() -> Recording | None:
        return await Recording.filter(status=RecordingStatus.RECORDING).first()

    live = await floor.until(recording, timeout=20, what="a segment recording")
    await asyncio.sleep(1.0)
    first.kill9()
    second = floor.serve("second", extra_env=env)
    await second.wait_state("active")
    await asyncio.sleep(2.0)
    floor.hang_up_caller("0610009999")

    async def finished() -> Recording | None:
        row = await Recording.get(id=live.id)
        return row if row.status is not RecordingStatus.RECORDING else None

    row = await floor.until(finished, timeout=20, what="the adopted segment finished")
    assert row.status is RecordingStatus.OK, (row.error, second.tail())
    assert await Recording.all().count() == 1  # adopted, not recorded twice
    call = await Call.get(ref=row.call_ref)
    assert call.agent_id == floor.agents[0].id == row.agent_id
    # before, across and after the kill: 3 s at least, at half Asterisk's byte rate
    assert _size(row.path) >= 44 + 8000 * 3, (row.path, _size(row.path))
    assert row.size_bytes == _size(row.path)
    assert "adopted" in second.log.read_text(errors="replace")
