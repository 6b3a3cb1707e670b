"""Typed ARI WebSocket events and the never-raising parser.

Each event is a plain slotted dataclass (not frozen: frozen construction costs ~2x in
parsing; treat events as read-only, they are shared by all handlers). Its parser is
derived once from the field annotations
(a table of name -> converter/default), so adding an event type is just declaring it.
Anything unknown or malformed becomes an `UnknownEvent` that keeps the raw dict: the
reader must survive whatever Asterisk sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, get_args, get_origin, get_type_hints

from .models import Bridge, Channel, DeviceState, Endpoint, LiveRecording, Playback, target_id

log = logging.getLogger(__name__)

_REQUIRED = object()
_BASE_FIELDS = frozenset({"type", "application", "timestamp", "asterisk_id", "raw"})


@dataclass(slots=True, kw_only=True)
class Event:
    type: str
    application: str
    timestamp: str
    asterisk_id: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def channel_id(self) -> str | None:
        """Id of the channel the event is about (dispatch key), if any."""
        ch = getattr(self, "channel", None)
        return ch.id if ch is not None else None

    @property
    def bridge_id(self) -> str | None:
        br = getattr(self, "bridge", None)
        return br.id if br is not None else None


@dataclass(slots=True, kw_only=True)
class UnknownEvent(Event):
    """An event type this client does not model, or one that failed to parse."""

    error: str | None = None

    @property
    def channel_id(self) -> str | None:
        ch = self.raw.get("channel")
        return ch.get("id") if isinstance(ch, dict) else None

    @property
    def bridge_id(self) -> str | None:
        br = self.raw.get("bridge")
        return br.get("id") if isinstance(br, dict) else None


_REGISTRY: dict[str, tuple[type[Event], tuple[tuple[str, Any, Any], ...]]] = {}


def _event(cls: type[Any]) -> Any:
    """Make `cls` a slotted dataclass, register it, precompute its field table."""
    cls = dataclass(slots=True, kw_only=True)(cls)
    hints = get_type_hints(cls)
    spec = []
    for f in fields(cls):
        if f.name in _BASE_FIELDS:
            continue
        tp = hints[f.name]
        args = get_args(tp)
        optional = type(None) in args
        if optional:
            tp = next(a for a in args if a is not type(None))
        conv: Callable[[Any], Any] | None
        default: object
        if get_origin(tp) is tuple:
            conv, default = tuple, ()
        elif hasattr(tp, "from_dict"):
            conv, default = tp.from_dict, _REQUIRED
        else:  # JSON scalars / objects are kept as Asterisk sent them
            conv, default = None, {str: "", int: 0, bool: False}.get(tp)
        spec.append((f.name, conv, None if optional else default))
    _REGISTRY[cls.__name__] = (cls, tuple(spec))
    return cls


@_event
class StasisStart(Event):
    channel: Channel
    args: tuple[str, ...]
    replace_channel: Channel | None


@_event
class StasisEnd(Event):
    channel: Channel


@_event
class ChannelCreated(Event):
    channel: Channel


@_event
class ChannelStateChange(Event):
    channel: Channel


@_event
class ChannelVarset(Event):
    variable: str
    value: str
    channel: Channel | None  # None for global variables


@_event
class ChannelHangupRequest(Event):
    channel: Channel
    cause: int | None  # with soft=True an internal flag, not a Q.850 cause
    soft: bool | None
    tech_cause: int | None


@_event
class ChannelDestroyed(Event):
    channel: Channel
    cause: int
    cause_txt: str
    tech_cause: int | None


@_event
class ChannelDialplan(Event):
    channel: Channel
    dialplan_app: str
    dialplan_app_data: str


@_event
class ChannelCallerId(Event):
    channel: Channel
    caller_presentation: int
    caller_presentation_txt: str


@_event
class ChannelConnectedLine(Event):
    channel: Channel


@_event
class Dial(Event):
    peer: Channel
    dialstatus: str
    dialstring: str | None
    forward: str | None
    caller: Channel | None
    forwarded: Channel | None

    @property
    def channel_id(self) -> str | None:  # the dialed channel is what the status is about
        return self.peer.id


@_event
class ChannelEnteredBridge(Event):
    bridge: Bridge
    channel: Channel | None


@_event
class ChannelLeftBridge(Event):
    bridge: Bridge
    channel: Channel


@_event
class BridgeCreated(Event):
    bridge: Bridge


@_event
class BridgeDestroyed(Event):
    bridge: Bridge


@_event
class BridgeMerged(Event):
    bridge: Bridge
    bridge_from: Bridge


@_event
class DeviceStateChanged(Event):
    """A subscribed device (``deviceState:PJSIP/2001``) changed state."""

    device_state: DeviceState


@_event
class EndpointStateChange(Event):
    """A subscribed endpoint changed (state, or the channels on it)."""

    endpoint: Endpoint


@_event
class ApplicationReplaced(Event):
    """R-single: another WebSocket took this app name; this socket gets nothing more."""


@dataclass(slots=True)
class ReferTo:
    destination: str | None
    protocol_id: str | None
    destination_channel: Channel | None
    connected_channel: Channel | None
    bridge: Bridge | None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReferTo:
        req = d.get("requested_destination") or {}
        dc, cc, br = d.get("destination_channel"), d.get("connected_channel"), d.get("bridge")
        return cls(
            req.get("destination"),
            req.get("protocol_id"),
            Channel.from_dict(dc) if dc else None,
            Channel.from_dict(cc) if cc else None,
            Bridge.from_dict(br) if br else None,
        )


@dataclass(slots=True)
class ReferredBy:
    source_channel: Channel
    connected_channel: Channel | None
    bridge: Bridge | None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReferredBy:
        cc, br = d.get("connected_channel"), d.get("bridge")
        return cls(
            Channel.from_dict(d["source_channel"]),
            Channel.from_dict(cc) if cc else None,
            Bridge.from_dict(br) if br else None,
        )


@_event
class ChannelTransfer(Event):
    """A transfer pressed on a phone (PJSIP_TRANSFER_HANDLING(ari-only), R-transfer)."""

    refer_to: ReferTo
    referred_by: ReferredBy
    state: str | None

    @property
    def channel_id(self) -> str | None:
        return self.referred_by.source_channel.id


@_event
class BridgeBlindTransfer(Event):
    channel: Channel
    exten: str
    context: str
    result: str
    is_external: bool
    replace_channel: Channel | None
    transferee: Channel | None
    bridge: Bridge | None


@_event
class BridgeAttendedTransfer(Event):
    transferer_first_leg: Channel
    transferer_second_leg: Channel
    result: str
    is_external: bool
    destination_type: str
    replace_channel: Channel | None
    transferee: Channel | None
    transfer_target: Channel | None
    transferer_first_leg_bridge: Bridge | None
    transferer_second_leg_bridge: Bridge | None
    destination_bridge: str | None
    destination_application: str | None

    @property
    def channel_id(self) -> str | None:
        return self.transferer_first_leg.id


@_event
class ChannelHold(Event):
    channel: Channel
    musicclass: str | None


@_event
class ChannelUnhold(Event):
    channel: Channel


@_event
class ChannelDtmfReceived(Event):
    channel: Channel
    digit: str
    duration_ms: int


@_event
class ChannelTalkingStarted(Event):
    channel: Channel


@_event
class ChannelTalkingFinished(Event):
    channel: Channel
    duration: int


@dataclass(slots=True, kw_only=True)
class _PlaybackEvent(Event):
    playback: Playback

    @property
    def channel_id(self) -> str | None:
        return target_id(self.playback.target_uri, "channel")

    @property
    def bridge_id(self) -> str | None:
        return target_id(self.playback.target_uri, "bridge")


@_event
class PlaybackStarted(_PlaybackEvent):
    pass


@_event
class PlaybackFinished(_PlaybackEvent):
    pass


@dataclass(slots=True, kw_only=True)
class _RecordingEvent(Event):
    recording: LiveRecording

    @property
    def channel_id(self) -> str | None:
        return target_id(self.recording.target_uri, "channel")

    @property
    def bridge_id(self) -> str | None:
        return target_id(self.recording.target_uri, "bridge")


@_event
class RecordingStarted(_RecordingEvent):
    pass


@_event
class RecordingFinished(_RecordingEvent):
    pass


@_event
class RecordingFailed(_RecordingEvent):
    pass



EVENT_TYPES: frozenset[str] = frozenset(_REGISTRY)
"""Names of all event types parsed into their own class."""


def parse_event(d: Any) -> Event:
    """Typed event for one decoded WebSocket message; never raises."""
    if not isinstance(d, dict):
        log.warning("ARI message is not a JSON object, ignored: %.200r", d)
        return UnknownEvent(
            type="", application="", timestamp="", asterisk_id="", raw={"value": d},
            error="not a JSON object",
        )
    etype = d.get("type")
    # Any: the values are the event's fields, of as many types as the events have
    base: dict[str, Any] = {
        "type": etype if isinstance(etype, str) else "",
        "application": d.get("application") or "",
        "timestamp": d.get("timestamp") or "",
        "asterisk_id": d.get("asterisk_id") or "",
        "raw": d,
    }
    entry = _REGISTRY.get(etype) if isinstance(etype, str) else None
    if entry is None:
        return UnknownEvent(**base)
    cls, spec = entry
    try:
        for name, conv, default in spec:
            v = d.get(name)
            if v is None:
                if default is _REQUIRED:
                    raise ValueError(f"missing field {name!r}")
                base[name] = default
            else:
                base[name] = conv(v) if conv is not None else v
        return cls(**base)
    except Exception as exc:  # malformed event: keep the reader alive
        log.warning("malformed ARI %s event (%s), kept as UnknownEvent", etype, exc)
        return UnknownEvent(**{k: base[k] for k in _BASE_FIELDS}, error=str(exc))
