"""Every event line of the real Asterisk 22 traces parses into its typed event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stasis_app.ari import (
    EVENT_TYPES,
    ApplicationReplaced,
    BridgeDestroyed,
    Channel,
    ChannelDestroyed,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelLeftBridge,
    ChannelVarset,
    Dial,
    PlaybackFinished,
    StasisStart,
    UnknownEvent,
    parse_event,
)
from tests.ari.client_fixtures import TRACES, event_json

EXPECTED_TYPES = {
    "StasisStart", "StasisEnd", "ChannelStateChange", "ChannelVarset", "ChannelHangupRequest",
    "ChannelDestroyed", "ChannelDialplan", "ChannelCallerId", "ChannelConnectedLine", "Dial",
    "ChannelEnteredBridge", "ChannelLeftBridge", "BridgeCreated", "BridgeDestroyed",
    "ApplicationReplaced", "ChannelTransfer", "BridgeAttendedTransfer", "BridgeBlindTransfer",
    "ChannelHold", "ChannelUnhold", "ChannelDtmfReceived", "PlaybackStarted",
    "PlaybackFinished", "RecordingFinished",
}

needs_traces = pytest.mark.skipif(not TRACES.is_dir(), reason=f"no traces at {TRACES}")


def trace_files() -> list[Path]:
    return sorted(TRACES.glob("*.jsonl")) if TRACES.is_dir() else []


def load(name: str) -> list:
    return [parse_event(json.loads(line)) for line in (TRACES / name).read_text().splitlines()
            if line.strip()]


def check_channel(ch: Channel, raw: dict) -> None:
    assert ch.id == raw["id"]
    assert ch.name == raw["name"]
    assert ch.state == raw["state"]
    assert ch.caller.number == raw["caller"]["number"]
    assert ch.connected.name == raw["connected"]["name"]
    assert ch.dialplan.context == raw["dialplan"]["context"]
    assert ch.dialplan.priority == raw["dialplan"]["priority"]


def test_all_required_types_are_modelled() -> None:
    assert EXPECTED_TYPES <= EVENT_TYPES


@needs_traces
@pytest.mark.parametrize("path", trace_files(), ids=lambda p: p.name)
def test_every_trace_line_parses_typed(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert lines
    for line in lines:
        raw = json.loads(line)
        ev = parse_event(raw)
        assert not isinstance(ev, UnknownEvent), (raw["type"], getattr(ev, "error", None))
        assert type(ev).__name__ == raw["type"]
        assert ev.application == raw["application"] == "crm"
        assert ev.timestamp == raw["timestamp"]
        if "channel" in raw:
            check_channel(ev.channel, raw["channel"])
            assert ev.channel_id == raw["channel"]["id"]
        if "bridge" in raw:
            assert ev.bridge.id == ev.bridge_id == raw["bridge"]["id"]
            assert list(ev.bridge.channels) == raw["bridge"]["channels"]
        if isinstance(ev, StasisStart):
            assert list(ev.args) == raw["args"]
        if isinstance(ev, ChannelDestroyed):
            assert (ev.cause, ev.cause_txt) == (raw["cause"], raw["cause_txt"])
        if isinstance(ev, ChannelHangupRequest):
            assert (ev.cause, ev.soft) == (raw.get("cause"), raw.get("soft"))
        if isinstance(ev, Dial):
            assert ev.dialstatus == raw["dialstatus"]
            check_channel(ev.peer, raw["peer"])
            assert ev.channel_id == raw["peer"]["id"]
        if isinstance(ev, ChannelVarset):
            assert (ev.variable, ev.value) == (raw["variable"], raw["value"])


@needs_traces
def test_trace_facts() -> None:
    # Known facts of the recordings (README quirks), checked on the typed events.
    ring_timeout = load("agent-ring-timeout.jsonl")
    assert {e.cause for e in ring_timeout if isinstance(e, ChannelDestroyed)} == {19}
    assert "ANSWER" not in {e.dialstatus for e in ring_timeout if isinstance(e, Dial)}
    failure = load("originate-failure.jsonl")
    assert {e.cause for e in failure if isinstance(e, ChannelDestroyed)} == {0}
    no_answer = load("agent-no-answer.jsonl")
    assert "NOANSWER" in {e.dialstatus for e in no_answer if isinstance(e, Dial)}

    snoop = load("snoop-listen-whisper.jsonl")
    starts = {e.channel.id: e for e in snoop if isinstance(e, StasisStart)}
    assert starts["sn-snoop-listen"].args == ("snoop",)
    assert starts["sn-snoop-listen"].channel.name.startswith("Snoop/sn-caller-")
    assert starts["sn-caller"].args == ("inbound", "1000")
    assert starts["sn-caller"].channel.caller.number == "5551234"

    moved = load("queue-move-without-remove.jsonl")
    seq = [(type(e).__name__, e.bridge_id) for e in moved
           if isinstance(e, ChannelEnteredBridge | ChannelLeftBridge)
           and e.channel_id == "qm-caller"]
    i = seq.index(("ChannelLeftBridge", "qm-hold"))
    assert seq[i + 1] == ("ChannelEnteredBridge", "qm-mix")  # moved without removeChannel

    drop = load("websocket-drop-reconnect.jsonl")
    assert any(isinstance(e, BridgeDestroyed) and e.bridge_id == "wd-mix" for e in drop)

    first = load("second-websocket-same-app.first.jsonl")
    assert len(first) == 1 and isinstance(first[0], ApplicationReplaced)
    assert first[0].channel_id is None and first[0].bridge_id is None


def test_unknown_type_keeps_raw() -> None:
    raw = event_json("ChannelToneDetectedFuture", "c1", extra_field=1)
    ev = parse_event(raw)
    assert isinstance(ev, UnknownEvent) and ev.error is None
    assert ev.type == "ChannelToneDetectedFuture" and ev.raw is raw
    assert ev.channel_id == "c1"  # still ordered with its channel


def test_malformed_known_type_becomes_unknown(caplog: pytest.LogCaptureFixture) -> None:
    ev = parse_event({"type": "StasisStart", "application": "crm", "args": []})  # no channel
    assert isinstance(ev, UnknownEvent) and "channel" in (ev.error or "")
    assert "malformed" in caplog.text
    ev = parse_event({"type": "StasisEnd", "channel": {"name": "no id"}})
    assert isinstance(ev, UnknownEvent)
    assert isinstance(parse_event(["not", "a", "dict"]), UnknownEvent)


def test_tolerates_extra_and_missing_optional_fields() -> None:
    raw = event_json("ChannelHangupRequest", "c1", brand_new=True)
    raw["channel"]["tenantid"] = "t1"
    del raw["channel"]["dialplan"]
    ev = parse_event(raw)
    assert isinstance(ev, ChannelHangupRequest)
    assert ev.cause is None and ev.soft is None and ev.channel.dialplan.context == ""


def test_playback_target_gives_keys() -> None:
    ev = parse_event(event_json("PlaybackFinished", playback={
        "id": "pb1", "media_uri": "sound:beep", "target_uri": "bridge:b1", "state": "done"}))
    assert isinstance(ev, PlaybackFinished)
    assert (ev.channel_id, ev.bridge_id, ev.playback.state) == (None, "b1", "done")
