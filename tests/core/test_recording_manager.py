"""B9: the recording manager's I/O — ARI requests, Asterisk's events, the rows, the sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm import recordings as rec
from crm.clock import utcnow
from crm.hub import LocalHub, agent_topic
from crm.models import Recording, RecordingStatus
from stasis_app.acd import outputs as o
from stasis_app.acd.model import LegPurpose
from stasis_app.ari import AriError
from stasis_app.ari import events as ev
from stasis_app.ari.models import LiveRecording
from stasis_app.recording import RecordingManager, RecordingPolicy, StartRecording


class FakeWriter:
    def __init__(self) -> None:
        self.facts: list[rec.Fact] = []
        self.stopped = False

    def put(self, fact: rec.Fact) -> None:
        self.facts.append(fact)

    async def idle(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True


class FakeBridges:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.records: list[dict[str, Any]] = []

    async def record(self, bridge_id: str, **kw: Any) -> LiveRecording:
        if self.fail:
            raise AriError("Bridge not found", status=404)
        self.records.append({"bridge": bridge_id, **kw})
        return LiveRecording(kw["name"], "wav", "queued", f"bridge:{bridge_id}")


class FakeRecordings:
    def __init__(self) -> None:
        self.stopped: list[str] = []
        self.live: dict[str, LiveRecording] = {}

    async def stop(self, name: str) -> None:
        self.stopped.append(name)

    async def get_live(self, name: str) -> LiveRecording:
        if name not in self.live:
            raise AriError("Recording not found", status=404)
        return self.live[name]


class FakeAri:
    def __init__(self, fail: bool = False) -> None:
        self.bridges = FakeBridges(fail)
        self.recordings = FakeRecordings()


def answered(call_id: str = "c1", agent: int = 7) -> list[o.Output]:
    return [o.ConnectCall(call_id=call_id, leg_id="leg1", bridge_id="b1"),
            o.CallAnswered(at=1.0, call_id=call_id, agent_id=agent, offer_id="leg1",
                           group_id=1, purpose=LegPurpose.QUEUE, waited_s=0.0)]


def manager(tmp_path: Path, ari: FakeAri, hub: LocalHub | None = None
            ) -> tuple[RecordingManager, FakeWriter]:
    writer = FakeWriter()
    m = RecordingManager(ari, writer, hub, tmp_path, call_of={"b1": "c1"}.get,  # type: ignore[arg-type]
                         clock=lambda: 1000.0, policy=RecordingPolicy(token="t"))
    m.set_modes({1: "all"})
    return m, writer


def finished(name: str, kind: type[ev.Event] = ev.RecordingFinished, **extra: Any) -> ev.Event:
    return ev.parse_event({"type": kind.__name__, "recording": {
        "name": name, "format": "wav", "state": "done", "target_uri": "bridge:b1", **extra}})


async def test_start_records_the_bridge_and_writes_the_row(tmp_path: Path) -> None:
    ari, hub = FakeAri(), LocalHub()
    sub = hub.subscribe([agent_topic(7)])
    m, writer = manager(tmp_path, ari, hub)
    [start] = m.observe(answered())
    assert isinstance(start, StartRecording)
    await m.execute(start)
    assert ari.bridges.records == [{"bridge": "b1", "name": start.name, "format": "wav",
                                    "if_exists": "fail"}]
    [fact] = writer.facts
    assert isinstance(fact, rec.SegmentStarted)
    assert (fact.call_ref, fact.agent_id, fact.group_id) == ("c1", 7, 1)
    assert fact.path == str(tmp_path / f"{start.name}.wav")
    event = await sub.get(timeout=1)
    assert event.type == "recording.changed" and event.data["recording"] is True
    # Asterisk finishes it: the row gets the size and the duration of the file
    (tmp_path / f"{start.name}.wav").write_bytes(b"\0" * (44 + 16000 * 3))
    assert m.on_event(finished(start.name))
    end = writer.facts[-1]
    assert isinstance(end, rec.SegmentEnded) and end.status is RecordingStatus.OK
    assert (end.size_bytes, end.duration_s) == (44 + 48000, 3.0)


async def test_a_refused_recording_is_failed_logged_and_shown_never_retried(
        tmp_path: Path) -> None:
    ari, hub = FakeAri(fail=True), LocalHub()
    sub = hub.subscribe([agent_topic(7)])
    m, writer = manager(tmp_path, ari, hub)
    [start] = m.observe(answered())
    await m.execute(start)  # no exception: the call goes on
    end = writer.facts[-1]
    assert isinstance(end, rec.SegmentEnded) and end.status is RecordingStatus.FAILED
    assert "Bridge not found" in end.error
    event = await sub.get(timeout=1)
    assert event.data["recording"] is False and event.data["error"]
    assert m.failed == 1
    assert m.observe([]) == []  # not again in a loop


async def test_asterisk_failing_midway_fails_the_row(tmp_path: Path) -> None:
    m, writer = manager(tmp_path, FakeAri())
    [start] = m.observe(answered())
    await m.execute(start)
    assert m.on_event(finished(start.name, ev.RecordingFailed, cause="disk full"))
    end = writer.facts[-1]
    assert isinstance(end, rec.SegmentEnded) and end.status is RecordingStatus.FAILED
    assert "disk full" in end.error
    assert not m.on_event(ev.parse_event({"type": "ChannelHangupRequest", "channel": {
        "id": "x", "name": "x", "state": "Up", "caller": {"name": "", "number": ""},
        "connected": {"name": "", "number": ""},
        "dialplan": {"context": "", "exten": "", "priority": 1}, "creationtime": ""}}))


async def test_hangup_stops_and_an_unknown_recording_is_left_alone(tmp_path: Path) -> None:
    ari = FakeAri()
    m, writer = manager(tmp_path, ari)
    [start] = m.observe(answered())
    await m.execute(start)
    [stop] = m.observe([o.HangupCall(call_id="c1")])
    await m.execute(stop)
    assert ari.recordings.stopped == [start.name]
    before = len(writer.facts)
    assert m.on_event(finished("someone-elses"))
    assert len(writer.facts) == before


async def test_sweep_adopts_live_segments_and_finishes_the_others(db: str, tmp_path: Path
                                                                   ) -> None:
    ari = FakeAri()
    writer = rec.RecordingWriter()
    writer.start()
    m = RecordingManager(ari, writer, None, tmp_path, call_of={"b1": "c1"}.get,
                         clock=lambda: 1000.0)
    m.set_modes({1: "all"})
    for name in ("pwrec-live", "pwrec-done", "pwrec-lost", "pwrec-orphan"):
        await Recording.create(name=name, call_ref="c1", group_id=1, agent_id=7,
                               path=str(tmp_path / f"{name}.wav"), started_at=utcnow())
    (tmp_path / "pwrec-done.wav").write_bytes(b"\0" * (44 + 32000))
    ari.recordings.live["pwrec-live"] = LiveRecording("pwrec-live", "wav", "recording",
                                                      "bridge:b1")
    ari.recordings.live["pwrec-orphan"] = LiveRecording("pwrec-orphan", "wav", "recording",
                                                        "bridge:gone")
    assert await m.sweep() == 4
    await writer.idle()
    rows = {r.name: r for r in await Recording.all()}
    assert rows["pwrec-live"].status is RecordingStatus.RECORDING
    assert m.policy.knows("pwrec-live") and m.policy.recording_now(7)
    assert rows["pwrec-done"].status is RecordingStatus.OK
    assert rows["pwrec-done"].duration_s == 2.0
    assert rows["pwrec-lost"].status is RecordingStatus.FAILED
    assert ari.recordings.stopped == ["pwrec-orphan"]
    # the adopted segment stops with the call
    [stop] = m.observe([o.HangupCall(call_id="c1")])
    assert stop.name == "pwrec-live"
    await writer.stop()


async def test_writer_retries_while_the_database_is_away(db: str, monkeypatch: Any) -> None:
    calls = {"n": 0}
    real = rec.apply

    async def flaky(fact: rec.Fact) -> None:
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionError("database away")
        await real(fact)

    monkeypatch.setattr(rec, "apply", flaky)
    monkeypatch.setattr(rec.RecordingWriter, "RETRY_S", (0.01,))
    writer = rec.RecordingWriter()
    writer.start()
    writer.put(rec.SegmentStarted("pwrec-x", "c1", 1, 7, "/x.wav", utcnow()))
    await writer.idle()
    assert await Recording.filter(name="pwrec-x").exists()
    assert writer.failures == 2
    await writer.stop()


async def test_sweep_leaves_a_segment_being_stopped_to_its_event(db: str, tmp_path: Path
                                                                 ) -> None:
    """Stopped by this process but still live in Asterisk for a moment: not adopted again."""
    ari = FakeAri()
    writer = rec.RecordingWriter()
    writer.start()
    m = RecordingManager(ari, writer, None, tmp_path, call_of={"b1": "c1"}.get,
                         clock=lambda: 1000.0, policy=RecordingPolicy(token="t"))
    m.set_modes({1: "all"})
    [start] = m.observe(answered())
    await m.execute(start)
    [stop] = m.observe([o.HoldCaller(call_id="c1", moh_class="", group_id=None)])
    await m.execute(stop)
    ari.recordings.live[start.name] = LiveRecording(start.name, "wav", "recording", "bridge:b1")
    assert await m.sweep() == 0
    assert not m.policy.knows(start.name) and not m.policy.recording_now(7)
    del ari.recordings.live[start.name]  # its event was lost: the next sweep finishes it
    assert await m.sweep() == 1
    await writer.idle()
    row = await Recording.get(name=start.name)
    assert row.status is RecordingStatus.FAILED  # no file in this test
    await writer.stop()


async def _stopped_segment(tmp_path: Path, monkeypatch, *, file_bytes: int = 0,  # type: ignore[no-untyped-def]
                           still_live: bool = False, end_event: bool = False
                           ) -> tuple[str, FakeWriter]:
    """A segment started and stopped, then END_EVENT_GRACE_S (shortened) passed, with its
    RecordingFinished right after the stop or never; its name and what the writer got."""
    import asyncio

    from stasis_app import recording

    monkeypatch.setattr(recording, "END_EVENT_GRACE_S", 0.05)
    ari = FakeAri()
    m, writer = manager(tmp_path, ari)
    [start] = m.observe(answered())
    await m.execute(start)
    if file_bytes:
        rec.file_path(tmp_path, start.name).write_bytes(b"\0" * file_bytes)
    if still_live:
        ari.recordings.live[start.name] = LiveRecording(start.name, "wav", "recording",
                                                        "bridge:b1")
    [stop] = m.observe([o.HangupCall(call_id="c1")])
    await m.execute(stop)  # not live: Asterisk answers 404
    if end_event:
        assert m.on_event(finished(start.name))
    await asyncio.sleep(0.2)
    return start.name, writer


async def test_a_stopped_segment_whose_end_event_never_comes_is_finished_from_its_file(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    name, writer = await _stopped_segment(tmp_path, monkeypatch, file_bytes=44 + 16000)  # 1 s
    [ended] = [f for f in writer.facts if isinstance(f, rec.SegmentEnded)]
    assert ended.name == name and ended.status is RecordingStatus.OK
    assert ended.size_bytes == 44 + 16000 and ended.duration_s == pytest.approx(1.0)


async def test_a_stopped_segment_asterisk_still_records_is_left_to_its_event(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, writer = await _stopped_segment(tmp_path, monkeypatch, still_live=True)
    assert not any(isinstance(f, rec.SegmentEnded) for f in writer.facts)


async def test_a_stopped_segment_is_left_to_its_event_when_it_comes(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, writer = await _stopped_segment(tmp_path, monkeypatch, end_event=True)
    ended = [f for f in writer.facts if isinstance(f, rec.SegmentEnded)]
    assert len(ended) == 1 and ended[0].status is RecordingStatus.OK


async def test_stopping_the_manager_leaves_a_stopped_segment_to_the_next_sweep(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A process going away within the grace writes nothing for the segment (the next
    process's sweep settles its open row) and leaves no task behind."""
    import asyncio

    from stasis_app import recording

    monkeypatch.setattr(recording, "END_EVENT_GRACE_S", 0.2)
    m, writer = manager(tmp_path, FakeAri())
    [start] = m.observe(answered())
    await m.execute(start)
    [stop] = m.observe([o.HangupCall(call_id="c1")])
    await m.execute(stop)
    await m.stop()
    await asyncio.sleep(0.3)
    assert not any(isinstance(f, rec.SegmentEnded) for f in writer.facts)
    assert writer.stopped
    assert not m._settling
