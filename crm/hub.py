"""The event hub: typed live events from the ACD to whoever watches (browsers, integrators).

Publishers never wait on subscribers: each subscription has a bounded queue, and a
subscriber too slow to keep up is dropped (its WebSocket is closed and the browser
reconnects and takes a fresh snapshot) rather than slowing the call path down.

The :class:`Hub` protocol is what the ACD and the web layer know; :class:`LocalHub` is the
in-process backend. A Redis pub/sub backend can implement the same protocol when several web
processes serve one call centre.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

# Topics: who is interested. An event may go to several.
SUPERVISION = "supervision"  # queues, agents, calls: supervisors and the wallboard
INTEGRATIONS = "integrations"  # B6: call offered/answered/ended, agent state


def agent_topic(agent_id: int) -> str:
    return f"agent:{agent_id}"


@dataclass(frozen=True)
class HubEvent:
    type: str
    data: dict[str, Any]
    topics: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data}


class Hub(Protocol):
    def publish(self, type_: str, data: dict[str, Any], topics: Iterable[str]) -> None: ...

    def subscribe(self, topics: Iterable[str], max_pending: int = 1000) -> Subscription: ...
    def wants(self, topics: Iterable[str]) -> bool: ...


@dataclass(eq=False)
class Subscription:
    """Async-iterable stream of events for some topics; closed when dropped or unsubscribed."""

    topics: frozenset[str]
    queue: asyncio.Queue[HubEvent | None]
    hub: LocalHub
    closed: bool = False
    dropped: bool = field(default=False)

    def __aiter__(self) -> AsyncIterator[HubEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[HubEvent]:
        while not self.closed:
            event = await self.queue.get()
            if event is None:
                return
            yield event

    async def get(self, timeout: float | None = None) -> HubEvent:
        """Next event (tests and simple consumers); raises TimeoutError or EOFError."""
        event = await asyncio.wait_for(self.queue.get(), timeout)
        if event is None:
            raise EOFError("subscription closed")
        return event

    def close(self) -> None:
        self.hub._remove(self)


class LocalHub:
    """In-process publish/subscribe with per-topic fan-out in O(subscribers of the topic)."""

    def __init__(self) -> None:
        self._by_topic: dict[str, set[Subscription]] = {}
        self.published = 0

    def publish(self, type_: str, data: dict[str, Any], topics: Iterable[str]) -> None:
        topics = tuple(topics)
        event = HubEvent(type_, data, topics)
        self.published += 1
        targets: set[Subscription] = set()
        for topic in topics:
            targets.update(self._by_topic.get(topic, ()))
        for sub in targets:
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("hub subscriber on %s too slow, dropping it", sorted(sub.topics))
                sub.dropped = True
                self._remove(sub)

    def wants(self, topics: Iterable[str]) -> bool:
        """Whether anyone listens on one of these topics: publishers skip building an event's
        data for nobody (under load most events have no watcher)."""
        return any(topic in self._by_topic for topic in topics)

    def subscribe(self, topics: Iterable[str], max_pending: int = 1000) -> Subscription:
        sub = Subscription(frozenset(topics), asyncio.Queue(max_pending), self)
        for topic in sub.topics:
            self._by_topic.setdefault(topic, set()).add(sub)
        return sub

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._by_topic.get(topic, ()))
        return len({s for subs in self._by_topic.values() for s in subs})

    def _remove(self, sub: Subscription) -> None:
        if sub.closed:
            return
        sub.closed = True
        for topic in sub.topics:
            subs = self._by_topic.get(topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_topic[topic]
        # Wake the reader with the end marker; a dropped subscriber loses its oldest event.
        while True:
            try:
                sub.queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                sub.queue.get_nowait()
