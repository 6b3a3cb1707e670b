"""Device states of the simulated phones (ARI ``deviceState:<name>`` subscriptions and
``GET /deviceStates/{name}``), derived from the channels as Asterisk's aggregate state is:
a channel up (or dialling) makes its device ``INUSE``, a ringing one ``RINGING``, none
``NOT_INUSE``. A subscribed app gets ``DeviceStateChanged`` when its device's state changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .apps import AppRegistry
from .model import Channel, ari_time


def device_of(channel: Channel) -> str:
    """``PJSIP/2001-0000002a`` → ``PJSIP/2001`` (Local halves: ``Local/x@ctx``)."""
    return channel.name.rpartition("-")[0]


def device_state(device: str, channels: Iterable[Channel]) -> str:
    states = [c.state for c in channels
              if not c.destroyed and not c.hanging_up and device_of(c) == device]
    states = [s for s in states if s != "Down"]
    if any(s != "Ringing" for s in states):
        return "INUSE"
    return "RINGING" if states else "NOT_INUSE"


class DeviceStates:
    def __init__(self, registry: AppRegistry) -> None:
        self._registry = registry
        self.subscribers: dict[str, set[str]] = {}  # device -> apps
        self._told: dict[str, str] = {}  # device -> last state sent

    def subscribe(self, app: str, device: str, subscribe: bool) -> None:
        apps = self.subscribers.setdefault(device, set())
        if subscribe:
            apps.add(app)
        else:
            apps.discard(app)
            if not apps:
                del self.subscribers[device]
                self._told.pop(device, None)

    def subscribed(self, app: str) -> list[str]:
        return sorted(d for d, apps in self.subscribers.items() if app in apps)

    def touched(self, channel: Channel, channels: Iterable[Channel]) -> None:
        """A channel changed state or went: tell its device's subscribers, if it changed."""
        device = device_of(channel)
        apps = self.subscribers.get(device)
        if not apps:
            return
        state = device_state(device, channels)
        if self._told.get(device, "NOT_INUSE") == state:
            return
        self._told[device] = state
        body: dict[str, Any] = {"type": "DeviceStateChanged", "timestamp": ari_time(),
                                "device_state": {"name": device, "state": state}}
        for app in sorted(apps):
            self._registry.deliver(app, body)
