"""R-order: one serial queue per key, different keys in parallel.

A worker task exists only while its key has pending events, so thousands of finished
calls leave nothing behind. Handlers run one event at a time per key, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

from .events import Event

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
KeyFunc = Callable[[Event], Hashable | None]

GLOBAL_KEY = "<global>"


def default_key(event: Event) -> Hashable | None:
    """Channel id, else bridge id, else None (= the global serial queue)."""
    return event.channel_id or event.bridge_id


class KeyedDispatcher:
    def __init__(self, handlers: list[Handler], key_of: KeyFunc | None = None) -> None:
        self._handlers = handlers  # shared list: handlers added later are seen
        self._key_of = key_of or default_key
        self._queues: dict[Hashable, deque[Event]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, event: Event) -> None:
        """Queue an event (non-blocking). Never raises: a bad key function goes global."""
        try:
            key = self._key_of(event)
        except Exception:
            log.exception("ARI key function failed on %s; using the global queue", event.type)
            key = None
        if key is None:
            key = GLOBAL_KEY
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(event)
            return
        self._queues[key] = deque((event,))
        self._idle.clear()
        task = asyncio.get_running_loop().create_task(self._work(key), name=f"ari-key-{key}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def _work(self, key: Hashable) -> None:
        queue = self._queues[key]
        while queue:
            event = queue[0]
            for handler in self._handlers:
                try:
                    await handler(event)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("ARI event handler failed on %s (key %r)", event.type, key)
            queue.popleft()  # popped after handling so submit() keeps appending to this deque
        # No await between the emptiness check and the delete: submit() cannot interleave.
        del self._queues[key]

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def drain(self) -> None:
        """Wait until every queue is empty (handlers may queue more; wait for those too)."""
        while self._tasks:
            await self._idle.wait()

    async def close(self) -> None:
        """Cancel the workers; queued events are dropped."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()
        self._idle.set()
