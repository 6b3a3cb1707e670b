"""B9 on the suite's own Asterisk: a SIPp carrier calls through the sample trunk, a SIPp
agent phone answers and echoes the audio, Asterisk records the call's mixing bridge through
ARI; the wav files and the rows are checked (modest minimums: the machine may be loaded)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from crm.models import Call, Recording, RecordingStatus
from prowebcrm.settings import Settings
from stasis_app.service import AcdRefused

from .conftest import Acd, make_agent, make_group
from .telephony import PbxTelephony, Telephony
from .test_flow_inbound import assert_nothing_left

pytestmark = [pytest.mark.parametrize("telephony", ["real"], indirect=True),
              pytest.mark.real_asterisk]

MIN_BYTES_PER_S = 8000  # 16 000 for 8 kHz 16-bit mono; half of that is plenty of proof


@pytest.fixture
def flow_settings(flow_settings: Settings, telephony: Telephony) -> Settings:
    if not isinstance(telephony, PbxTelephony):
        pytest.skip("recording files are read on the suite's own Asterisk")
    folder = telephony.pbx.asterisk.root / "spool" / "recording"
    return replace(flow_settings, recordings_dir=str(folder))


@pytest.fixture
async def sip(acd: Acd) -> AsyncIterator[PbxTelephony]:
    assert isinstance(acd.tel, PbxTelephony)
    yield acd.tel


async def _rows_done(acd: Acd, count: int, timeout: float = 15.0) -> list[Recording]:
    assert acd.runtime.recorder is not None
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await acd.runtime.recorder.writer.idle()
        rows = await Recording.all().order_by("started_at", "id")
        if len(rows) >= count and all(r.status is not RecordingStatus.RECORDING for r in rows):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"recordings not finished: {[(r.name, r.status) for r in rows]}")
        await asyncio.sleep(0.1)


def _check_file(row: Recording, min_s: float) -> None:
    path = Path(row.path)
    assert path.is_file(), f"{path} missing"
    size = path.stat().st_size
    assert size == row.size_bytes
    assert size >= 44 + MIN_BYTES_PER_S * min_s, (path, size)
    head = path.read_bytes()[:12]
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    assert row.duration_s is not None and row.duration_s >= min_s * 0.5


async def test_group_recording_all_writes_a_wav_and_its_row(acd: Acd, sip: PbxTelephony) -> None:
    agent = await make_agent("recorder")
    group = await make_group("rec-all", [agent], recording="all")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, sip.extension("rec-1"))
    run = sip.pbx.carrier.start(group.number, [("+33612340001", "Rec All")], hold_s=4)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    await acd.until(lambda: acd.service.recording_now(agent.id), what="recording")
    result = await asyncio.to_thread(run.wait, 30)
    assert result.returncode == 0, result.lines
    [row] = await _rows_done(acd, 1)
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert row.status is RecordingStatus.OK, row.error
    assert (row.call_ref, row.agent_id, row.group_id) == (call.ref, agent.id, group.id)
    assert row.ended_at is not None and row.ended_at >= row.started_at
    _check_file(row, 2.0)
    assert any(e["recording"] for e in acd.events_of("recording.changed"))
    sizes = acd.runtime.census()  # nothing kept of the ended call
    assert sizes["recording.calls"] == 0 and sizes["recorder._meta"] == 0, sizes


async def test_hold_splits_the_recording_in_two_segments(acd: Acd, sip: PbxTelephony) -> None:
    agent = await make_agent("holder")
    group = await make_group("rec-hold", [agent], recording="all")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, sip.extension("rec-2"))
    run = sip.pbx.carrier.start(group.number, [("+33612340002", "Rec Hold")], hold_s=9)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    await acd.until(lambda: acd.service.recording_now(agent.id), what="recording")
    await asyncio.sleep(2)
    await acd.service.hold(agent.id)
    await acd.until(lambda: not acd.service.recording_now(agent.id), what="stopped on hold")
    await asyncio.sleep(1.5)
    await acd.service.resume(agent.id)
    await acd.until(lambda: acd.service.recording_now(agent.id), what="recording again")
    result = await asyncio.to_thread(run.wait, 30)
    assert result.returncode == 0, result.lines
    first, second = await _rows_done(acd, 2)
    await assert_nothing_left(acd)
    assert first.status is RecordingStatus.OK and second.status is RecordingStatus.OK
    assert first.name != second.name and first.call_ref == second.call_ref
    assert first.ended_at is not None and first.ended_at <= second.started_at
    _check_file(first, 1.5)
    _check_file(second, 2.0)


async def test_on_demand_recording_follows_the_agents_button(acd: Acd,
                                                             sip: PbxTelephony) -> None:
    agent = await make_agent("asker")
    group = await make_group("rec-demand", [agent], recording="on_demand")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, sip.extension("rec-3"))
    run = sip.pbx.carrier.start(group.number, [("+33612340003", "Rec Demand")], hold_s=8)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    await asyncio.sleep(1)
    assert not acd.service.recording_now(agent.id)
    assert await Recording.all().count() == 0
    assert await acd.service.record(agent.id) is True  # what POST /agent/call/record does
    await asyncio.sleep(2.5)
    assert await acd.service.record(agent.id, on=False) is False
    result = await asyncio.to_thread(run.wait, 30)
    assert result.returncode == 0, result.lines
    [row] = await _rows_done(acd, 1)
    assert row.status is RecordingStatus.OK
    _check_file(row, 1.5)
    assert row.duration_s is not None and row.duration_s < 5  # stopped before the end
    with pytest.raises(AcdRefused):
        await acd.service.record(agent.id)  # no call any more


async def test_a_restarted_process_adopts_the_recording_and_finishes_its_row(
        acd: Acd, sip: PbxTelephony, flow_settings: Settings) -> None:
    """The app stops (as after a kill: nothing is stopped in Asterisk) during a recorded
    call; the next process adopts the running recording and writes its row at the end."""
    from crm.hub import LocalHub
    from stasis_app.runtime import AcdRuntime

    agent = await make_agent("survivor")
    group = await make_group("rec-restart", [agent], recording="all")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, sip.extension("rec-4"))
    run = sip.pbx.carrier.start(group.number, [("+33612340004", "Rec Restart")], hold_s=9)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    await acd.until(lambda: acd.service.recording_now(agent.id), what="recording")
    assert acd.runtime.recorder is not None
    # The policy says "recording" as it decides; the row is queued when the start is sent.
    deadline = asyncio.get_running_loop().time() + 10
    while not (rows := await Recording.all()):
        assert asyncio.get_running_loop().time() < deadline, "no recording row"
        await acd.runtime.recorder.writer.idle()
        await asyncio.sleep(0.05)
    [live] = rows
    assert live.status is RecordingStatus.RECORDING
    await acd.runtime.stop()
    second = AcdRuntime(flow_settings, LocalHub())
    await second.start(takeover=True)
    try:
        assert second.recorder is not None and second.recorder.policy.knows(live.name)
        result = await asyncio.to_thread(run.wait, 30)
        assert result.returncode == 0, result.lines
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            await second.recorder.writer.idle()
            row = await Recording.get(id=live.id)
            if row.status is not RecordingStatus.RECORDING:
                break
            assert asyncio.get_running_loop().time() < deadline, "row never finished"
            await asyncio.sleep(0.1)
        assert row.status is RecordingStatus.OK, row.error
        _check_file(row, 5.0)
    finally:
        await second.stop()
