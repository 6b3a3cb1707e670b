"""Stasis applications and the WebSocket each one is bound to (R-single rules).

Behaviour reproduced from the recorded traces:
- one socket per application: a newer socket for the same name takes over, the
  older one gets a single ApplicationReplaced and then nothing (it stays open);
- when the bound socket closes the application becomes inactive: events for it
  are dropped (never replayed), Stasis() refuses it, and the application is
  forgotten as soon as nothing is subscribed to it any more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .model import ari_time


class EventSink(Protocol):
    """Where an application's events go (a WebSocket connection)."""

    def send_event(self, event: dict[str, Any]) -> None: ...


class Application:
    def __init__(self, name: str) -> None:
        self.name = name
        self.sink: EventSink | None = None
        self.subscribe_all = False
        # PUT /applications/{app}/eventFilter: Asterisk applies them when it writes on the
        # socket (res/ari/ari_websockets.c), disallowed first
        self.events_allowed: list[str] = []
        self.events_disallowed: list[str] = []

    def wants(self, event_type: str) -> bool:
        if event_type in self.events_disallowed:
            return False
        return not self.events_allowed or event_type in self.events_allowed

    @property
    def active(self) -> bool:
        return self.sink is not None


EventListener = Callable[[str, dict[str, Any], bool], None]


class AppRegistry:
    def __init__(self, asterisk_id: str, has_subscriptions: Callable[[str], bool]) -> None:
        self.asterisk_id = asterisk_id
        self._apps: dict[str, Application] = {}
        self._has_subscriptions = has_subscriptions
        self.listeners: list[EventListener] = []

    # --- lifecycle -------------------------------------------------------
    def connect(self, names: list[str], sink: EventSink, subscribe_all: bool = False) -> None:
        for name in names:
            app = self._apps.get(name)
            if app is None:
                app = self._apps[name] = Application(name)
            old = app.sink
            app.sink = sink
            app.subscribe_all = subscribe_all
            if old is not None and old is not sink:
                event = self._stamp(name, {"type": "ApplicationReplaced"}, order="first")
                for listener in list(self.listeners):
                    listener(name, event, True)
                old.send_event(event)

    def disconnect(self, sink: EventSink) -> None:
        for app in list(self._apps.values()):
            if app.sink is sink:
                app.sink = None
        self.collect_garbage()

    def collect_garbage(self) -> None:
        for name, app in list(self._apps.items()):
            if not app.active and not self._has_subscriptions(name):
                del self._apps[name]

    # --- queries ---------------------------------------------------------
    def get(self, name: str) -> Application | None:
        return self._apps.get(name)

    def exists(self, name: str) -> bool:
        return name in self._apps

    def is_active(self, name: str) -> bool:
        app = self._apps.get(name)
        return app is not None and app.active

    def names(self) -> list[str]:
        return sorted(self._apps)

    def connected_sinks(self) -> int:
        return len({id(a.sink) for a in self._apps.values() if a.sink is not None})

    # --- delivery --------------------------------------------------------
    def deliver(self, name: str, event: dict[str, Any]) -> None:
        """Send one event to one application; dropped if it has no socket."""
        app = self._apps.get(name)
        stamped = self._stamp(name, event)
        delivered = app is not None and app.sink is not None
        for listener in list(self.listeners):
            listener(name, stamped, delivered)
        if delivered:
            assert app is not None and app.sink is not None
            if app.wants(str(stamped.get("type", ""))):
                app.sink.send_event(stamped)

    def _stamp(self, name: str, event: dict[str, Any], order: str = "last") -> dict[str, Any]:
        body = {k: v for k, v in event.items()}
        body.setdefault("timestamp", ari_time())
        if order == "first":
            # ApplicationReplaced puts application before asterisk_id (trace order).
            return {**body, "application": name, "asterisk_id": self.asterisk_id}
        return {**body, "asterisk_id": self.asterisk_id, "application": name}
