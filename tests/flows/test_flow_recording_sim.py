"""B9 on the simulated Asterisk (what the demo runs): bridge recordings with their events
and (silent) wav files, so the whole chain works without a real Asterisk."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from crm.models import Recording, RecordingStatus
from prowebcrm.settings import Settings

from .conftest import Acd, make_agent, make_group
from .telephony import SimTelephony, Telephony
from .test_flow_inbound import assert_nothing_left

pytestmark = pytest.mark.parametrize("telephony", ["simulator"], indirect=True)


@pytest.fixture
def flow_settings(flow_settings: Settings, telephony: Telephony, tmp_path: Path) -> Settings:
    assert isinstance(telephony, SimTelephony)
    folder = tmp_path / "recording"
    telephony.sim.engine.recording_dir = folder
    return replace(flow_settings, recordings_dir=str(folder))


async def test_simulator_records_holds_and_finishes(acd: Acd, tmp_path: Path) -> None:
    agent = await make_agent("simrec")
    group = await make_group("sim-rec", [agent], recording="all")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("501"))
    caller = await acd.tel.place_inbound(group.number, "0611223344")
    await acd.until(lambda: acd.service.recording_now(agent.id), what="recording")
    await asyncio.sleep(1.1)
    await acd.service.hold(agent.id)
    await acd.until(lambda: not acd.service.recording_now(agent.id), what="stopped on hold")
    await acd.service.resume(agent.id)
    await acd.until(lambda: acd.service.recording_now(agent.id), what="recording again")
    await asyncio.sleep(0.2)
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    assert acd.runtime.recorder is not None
    for _ in range(100):
        await acd.runtime.recorder.writer.idle()
        rows = await Recording.all().order_by("id")
        if len(rows) == 2 and all(r.status is not RecordingStatus.RECORDING for r in rows):
            break
        await asyncio.sleep(0.05)
    assert [r.status for r in rows] == [RecordingStatus.OK, RecordingStatus.OK]
    sizes = acd.runtime.census()  # nothing kept of the ended call
    assert sizes["recording.calls"] == 0 and sizes["recorder._meta"] == 0, sizes
    assert _size(rows[0].path) >= 44 + 16000  # a second of silence
    assert rows[0].duration_s is not None and rows[0].duration_s >= 1.0


def _size(path: str) -> int:
    return Path(path).stat().st_size
