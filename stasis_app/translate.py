"""ARI events → ACD engine inputs. Pure: no I/O, only the registry's bookkeeping.

Quirks of a real Asterisk 22 (see the recorded traces) handled here:
- an inbound caller gets StasisEnd but no ChannelDestroyed; an originated leg that never
  answered gets only ChannelDestroyed (no StasisStart/StasisEnd), with cause 0 for a failed
  originate and 19 for a ring timeout — so "hung up" is taken from whichever comes first and
  reported once;
- ``ChannelHangupRequest`` is not even sent (stasis_app.runtime.UNUSED_EVENT_TYPES): its
  soft requests carry an internal flag in ``cause``, and ChannelDestroyed gives the real one;
- both halves of a Local channel are reported: only ids the app chose are followed;
- ring timeout and "no answer" are the engine's own timers (R-timers), never a cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stasis_app.acd import inputs as i
from stasis_app.acd.model import FailReason, PhoneState
from stasis_app.ari import events as ev
from stasis_app.registry import LegKind, Registry

INBOUND_ARG = "inbound"
LEG_ARG = "leg"
DIAL_ARG = "dial"  # Stasis(app,dial,<number>): what an agent's phone dialled
EXTENSION_FIELD = "{extension}"
MAX_DIALLED_LENGTH = 64  # longer is no number: not even handed to the engine

CAUSE_BUSY = 17
CAUSE_REJECTED = 21


@dataclass(frozen=True)
class NewCaller:
    """A caller entered Stasis for a group: the adapter looks the number up, then queues it."""

    call_id: str
    group: str
    caller_number: str
    caller_name: str
    arrived_at: float | None = None  # first try, when the dialplan retried (R-fallback)


@dataclass(frozen=True)
class StrayChannel:
    """A channel entered the app that is no call of ours (bad dialplan args, stale leg)."""

    channel_id: str
    reason: str


@dataclass(frozen=True)
class PlaybackDone:
    channel_id: str


Translated = i.Input | NewCaller | StrayChannel | PlaybackDone


class EventTranslator:
    def __init__(self, registry: Registry, agent_dial: str = "PJSIP/{extension}") -> None:
        self._reg = registry
        self._agent_dial = agent_dial
        # One table from event type to its reading, like the engine's inputs, the executor's
        # commands and the publisher's events; any other event means nothing to the ACD.
        self._readers: dict[type[ev.Event], Callable[[Any, float], list[Translated]]] = {
            ev.StasisStart: self._stasis_start,
            ev.StasisEnd: lambda e, now: self._gone(e.channel.id, None, now),
            ev.ChannelDestroyed: lambda e, now: self._gone(e.channel.id, e.cause, now),
            ev.ChannelStateChange: self._state_changed,
            ev.Dial: self._dial,
            ev.PlaybackFinished: self._playback_finished,
            ev.ChannelTransfer: self._transfer,
            ev.DeviceStateChanged: self._device_state,
            ev.EndpointStateChange: self._endpoint_state,
        }

    def translate(self, event: ev.Event, now: float) -> list[Translated]:
        reader = self._readers.get(type(event))
        return reader(event, now) if reader is not None else []

    def _state_changed(self, event: ev.ChannelStateChange, now: float) -> list[Translated]:
        if event.channel.state == "Ringing":
            return self._ringing(event.channel.id, now)
        leg = self._reg.legs.get(event.channel.id)
        if event.channel.state == "Up" and leg is not None and leg.early:
            return self._answered(leg.leg_id, now)
        return []

    def _transfer(self, event: ev.ChannelTransfer, now: float) -> list[Translated]:
        # Asterisk echoes every progress the app reports as another ChannelTransfer, with its
        # state: only the phone's request itself (no state yet) asks for something.
        if event.state:
            return []
        refer = event.refer_to
        destination = (refer.destination or "")[:MAX_DIALLED_LENGTH]
        replaced = refer.destination_channel.id if refer.destination_channel else None
        return [i.PhoneTransfer(now=now, leg_id=event.referred_by.source_channel.id,
                                destination=destination,
                                attended=bool(refer.protocol_id) or replaced is not None,
                                replaces=replaced)]

    # -- phones (stasis_app.phones subscribes to their device state) ------------------------

    def _device_state(self, event: ev.DeviceStateChanged, now: float) -> list[Translated]:
        extension = device_extension(event.device_state.name, self._agent_dial)
        if not extension:
            return []
        return [i.PhoneStateChanged(now=now, extension=extension,
                                    state=device_phone_state(event.device_state.state))]

    def _endpoint_state(self, event: ev.EndpointStateChange, now: float) -> list[Translated]:
        endpoint = event.endpoint
        extension = device_extension(f"{endpoint.technology}/{endpoint.resource}",
                                     self._agent_dial)
        if not extension:
            return []
        return [i.PhoneStateChanged(now=now, extension=extension,
                                    state=endpoint_phone_state(endpoint.state,
                                                               bool(endpoint.channel_ids)))]

    def _playback_finished(self, event: ev.PlaybackFinished, now: float) -> list[Translated]:
        channel_id = self._reg.playbacks.pop(event.playback.id, None)
        return [PlaybackDone(channel_id)] if channel_id else []

    # -- StasisStart ---------------------------------------------------------------------

    def _stasis_start(self, event: ev.StasisStart, now: float) -> list[Translated]:
        channel = event.channel
        args = list(event.args)
        leg = self._reg.legs.get(channel.id)
        if leg is not None:
            # An originated leg enters Stasis when it is answered (a created one at once).
            if leg.early and channel.state != "Up":
                return []
            return self._answered(leg.leg_id, now)
        if args and args[0] == INBOUND_ARG:
            if len(args) < 2 or not args[1].strip():
                return [StrayChannel(channel.id, "Stasis(app,inbound,<group>) lacks the group")]
            if channel.id in self._reg.callers:
                return []
            self._reg.add_caller(channel.id).answered = channel.state == "Up"
            return [
                NewCaller(
                    call_id=channel.id,
                    group=args[1].strip(),
                    caller_number=channel.caller.number if channel.caller else "",
                    caller_name=channel.caller.name if channel.caller else "",
                    arrived_at=_first_try(args, now),
                )
            ]
        if args and args[0] == LEG_ARG:
            return [StrayChannel(channel.id, "a leg this process does not know (restart?)")]
        if args and args[0] == DIAL_ARG:
            return self._phone_dialed(event, args, now)
        return [StrayChannel(channel.id, f"unexpected Stasis arguments {args!r}")]

    def _phone_dialed(self, event: ev.StasisStart, args: list[str],
                      now: float) -> list[Translated]:
        channel = event.channel
        if len(args) < 2 or not args[1] or len(args[1]) > MAX_DIALLED_LENGTH:
            return [StrayChannel(channel.id, "Stasis(app,dial,<number>) lacks a number")]
        if channel.id in self._reg.legs:
            return []
        # The phone's channel is the call's agent leg (see acd.phone_dial): its hang-up is
        # then the agent's, and the far leg's events share its call.
        leg = self._reg.add_leg(channel.id, channel.id, LegKind.AGENT)
        leg.phone = True
        leg.ringing = True
        leg.answered = True
        return [i.PhoneDialed(now=now, channel_id=channel.id,
                              extension=phone_extension(channel.name, self._agent_dial),
                              number=args[1].strip())]

    # -- legs ----------------------------------------------------------------------------

    def _ringing(self, channel_id: str, now: float) -> list[Translated]:
        leg = self._reg.legs.get(channel_id)
        if leg is None or leg.ringing or leg.answered or leg.ended:
            return []
        leg.ringing = True
        if leg.kind is LegKind.AGENT:
            return [i.OfferRinging(now=now, offer_id=leg.leg_id)]
        return []

    def _answered(self, leg_id: str, now: float) -> list[Translated]:
        leg = self._reg.legs[leg_id]
        if leg.answered or leg.ended:
            return []
        if leg.kind is LegKind.OUTBOUND:
            leg.answered = True
            return [i.OutboundAnswered(now=now, leg_id=leg_id)]
        # A phone that answers by itself (auto-answer headsets; Local channels on a real
        # Asterisk) never reports ringing: its agent still needs the screen pop, now.
        rang = self._ringing(leg_id, now)
        leg.answered = True
        return [*rang, i.OfferAnswered(now=now, offer_id=leg_id)]

    def _dial(self, event: ev.Dial, now: float) -> list[Translated]:
        peer = event.peer.id if event.peer else None
        leg = self._reg.legs.get(peer or "")
        if leg is None:
            return []
        status = (event.dialstatus or "").upper()
        if status == "RINGING" or status == "PROGRESS":
            return self._ringing(leg.leg_id, now)
        if status == "BUSY":
            leg.cause = CAUSE_BUSY
        return []

    # -- hang-ups ------------------------------------------------------------------------

    def gone(self, channel_id: str, now: float, at: float | None) -> list[Translated]:
        """A hang-up learnt late (after a disconnection), that happened at ``at``."""
        return self._gone(channel_id, None, now, at)

    def _gone(self, channel_id: str, cause: int | None, now: float,
              at: float | None = None) -> list[Translated]:
        caller = self._reg.callers.get(channel_id)
        if caller is not None:
            if caller.hung_up:
                return []
            caller.hung_up = True
            return [i.CallerHungUp(now=now, call_id=channel_id, at=at)]
        leg = self._reg.legs.get(channel_id)
        if leg is None or leg.ended:
            return []
        leg.ended = True
        if cause:
            leg.cause = leg.cause or cause
        if leg.kind is LegKind.AGENT:
            if leg.answered:
                return [i.AgentLegEnded(now=now, offer_id=leg.leg_id, at=at)]
            return [i.OfferFailed(now=now, offer_id=leg.leg_id, reason=_fail_reason(leg.cause))]
        if leg.answered:
            return [i.OutboundLegEnded(now=now, leg_id=leg.leg_id, at=at)]
        return [i.OutboundFailed(now=now, leg_id=leg.leg_id, reason=_outbound_reason(leg.cause))]


def phone_extension(channel_name: str, agent_dial: str) -> str:
    """The extension whose phone a channel is, by the agent dial template read backwards
    (``PJSIP/{extension}`` makes ``PJSIP/2001-0000002a`` extension 2001); empty when the
    channel is not one the template makes."""
    prefix, found, suffix = agent_dial.partition(EXTENSION_FIELD)
    if not found:
        return ""
    # Asterisk names a channel <device>-<sequence> (Local channels: ;1/;2 after it).
    device, dash, _ = channel_name.rpartition("-")
    if not dash or not device.startswith(prefix) or not device.endswith(suffix):
        return ""
    extension = device[len(prefix):len(device) - len(suffix)]
    return extension if extension.isascii() and extension.isalnum() else ""


_DEVICE_STATES = {
    "NOT_INUSE": PhoneState.IDLE,
    "INUSE": PhoneState.IN_USE,
    "BUSY": PhoneState.IN_USE,
    "RINGING": PhoneState.IN_USE,
    "RINGINUSE": PhoneState.IN_USE,
    "ONHOLD": PhoneState.IN_USE,
    "UNAVAILABLE": PhoneState.UNREACHABLE,
}


def device_phone_state(state: str) -> PhoneState:
    """Asterisk's device state (``NOT_INUSE``, ``INUSE``, ``UNAVAILABLE``...) as the phone
    state the ACD knows; UNKNOWN and INVALID say nothing."""
    return _DEVICE_STATES.get(state.upper(), PhoneState.UNKNOWN)


def endpoint_phone_state(state: str, has_channels: bool) -> PhoneState:
    """An endpoint's state (``online``, ``offline``, ``unknown``) and whether it has
    channels, as the phone state the ACD knows."""
    state = state.lower()
    if state == "offline":
        return PhoneState.UNREACHABLE
    if has_channels:
        return PhoneState.IN_USE
    return PhoneState.IDLE if state == "online" else PhoneState.UNKNOWN


def phone_device(extension: str, agent_dial: str) -> str:
    """The Asterisk device an agent's phone is (``PJSIP/{extension}`` → ``PJSIP/2001``);
    empty when the dial template is no plain ``<technology>/{extension}`` (a Local
    channel, a dial string with options): such phones are not watched."""
    prefix, found, suffix = agent_dial.partition(EXTENSION_FIELD)
    if not found or suffix or prefix.count("/") != 1 or not prefix.endswith("/"):
        return ""
    if not prefix[:-1].isalnum() or not extension:
        return ""
    return f"{prefix}{extension}"


def device_extension(device: str, agent_dial: str) -> str:
    """The extension of an agent phone's device name (the reverse of ``phone_device``)."""
    prefix, found, suffix = agent_dial.partition(EXTENSION_FIELD)
    if not found or suffix or not device.startswith(prefix):
        return ""
    extension = device[len(prefix):]
    return extension if phone_device(extension, agent_dial) == device else ""


def _first_try(args: list[str], now: float) -> float | None:
    """The sample dialplan passes the epoch of the caller's first try (it retries while the
    app is away): the wait counts from then. Anything implausible is ignored."""
    if len(args) < 3:
        return None
    try:
        first = float(args[2])
    except ValueError:
        return None
    return first if 0 <= now - first < 3600 else None


def _fail_reason(cause: int | None) -> FailReason:
    if cause == CAUSE_BUSY:
        return FailReason.BUSY
    if cause == CAUSE_REJECTED:
        return FailReason.REJECTED_BY_PHONE
    return FailReason.FAILED


def _outbound_reason(cause: int | None) -> str:
    return {CAUSE_BUSY: "busy", CAUSE_REJECTED: "rejected", 19: "no answer"}.get(
        cause or 0, "failed"
    )
