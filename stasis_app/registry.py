"""Which Asterisk channels and bridges belong to which call, and what we know of each.

The ACD engine speaks of calls and legs by id; Asterisk speaks of channels and bridges. This
registry is the adapter's map between the two, and the list of everything the app created
(for the reconcile after a reconnect and the periodic sweep: R-reconnect, R-teardown).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class LegKind(StrEnum):
    AGENT = "agent"  # an agent's phone, rung for an offer (engine: offer id)
    OUTBOUND = "outbound"  # an outside number (engine: leg id)


@dataclass
class CallerChannel:
    call_id: str
    hung_up: bool = False
    answered: bool = False  # up already: the dialplan answered (an IVR), or the app did
    since: float = field(default_factory=time.monotonic)  # when the app first saw it


@dataclass
class Leg:
    leg_id: str
    call_id: str
    kind: LegKind
    answered: bool = False
    ringing: bool = False
    ended: bool = False
    # The real hang-up cause arrives on ChannelDestroyed (or Dial BUSY), not on
    # StasisEnd; kept so a leg that fails before answer can say "busy" rather than "failed".
    cause: int | None = None
    # An agent's phone that dialled out ("dial" args): not originated by us, entered
    # unanswered; answered by the app when its far end answers.
    phone: bool = False
    # Created then dialled by the app (early media): in Stasis before it answers, so its
    # StasisStart is no answer; its state turning Up is.
    early: bool = False


@dataclass
class Registry:
    callers: dict[str, CallerChannel] = field(default_factory=dict)
    legs: dict[str, Leg] = field(default_factory=dict)
    bridges: dict[str, str] = field(default_factory=dict)  # bridge id -> call id
    playbacks: dict[str, str] = field(default_factory=dict)  # playback id -> channel id

    def add_caller(self, call_id: str) -> CallerChannel:
        caller = self.callers[call_id] = CallerChannel(call_id)
        return caller

    def add_leg(self, leg_id: str, call_id: str, kind: LegKind) -> Leg:
        leg = self.legs[leg_id] = Leg(leg_id, call_id, kind)
        return leg

    def add_bridge(self, bridge_id: str, call_id: str) -> None:
        self.bridges[bridge_id] = call_id

    def call_of(self, channel_or_bridge_id: str | None) -> str | None:
        """The call a channel or bridge belongs to, for per-call ordering (R-order)."""
        if channel_or_bridge_id is None:
            return None
        if channel_or_bridge_id in self.callers:
            return channel_or_bridge_id
        leg = self.legs.get(channel_or_bridge_id)
        if leg is not None:
            return leg.call_id
        return self.bridges.get(channel_or_bridge_id)

    def call_of_command(self, command: object) -> str | None:
        """The call an engine command acts on (its call id, or the call of its first leg or
        bridge), if the registry knows it."""
        call_id: str | None = getattr(command, "call_id", None)
        if call_id:
            return call_id
        for name in ("offer_id", "leg_id", "channel_id"):
            leg_id: str | None = getattr(command, name, None)
            if leg_id:
                return self.call_of(leg_id)
        leg_ids: tuple[str, ...] = getattr(command, "leg_ids", ())
        if leg_ids:
            return self.call_of(leg_ids[0])
        return self.call_of(getattr(command, "bridge_id", None))

    def arrival_of(self, call_id: str | None) -> float | None:
        """When the app first saw the call's caller (monotonic), if it has one."""
        caller = self.callers.get(call_id) if call_id else None
        return caller.since if caller is not None else None

    def bridges_of(self, call_id: str) -> list[str]:
        return [b for b, c in self.bridges.items() if c == call_id]

    def owns_channel(self, channel_id: str) -> bool:
        return channel_id in self.callers or channel_id in self.legs

    def forget_call(self, call_id: str) -> None:
        """Drop every trace of a finished call once nothing of it is left in Asterisk."""
        self.callers.pop(call_id, None)
        for leg_id in [k for k, leg in self.legs.items() if leg.call_id == call_id]:
            del self.legs[leg_id]
        for bridge_id in self.bridges_of(call_id):
            del self.bridges[bridge_id]

    def live_channel_ids(self) -> set[str]:
        live = {c for c, caller in self.callers.items() if not caller.hung_up}
        live |= {leg_id for leg_id, leg in self.legs.items() if not leg.ended}
        return live
