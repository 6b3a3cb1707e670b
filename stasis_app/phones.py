"""Watching the agents' phones (issue 12): what Asterisk says of each logged-in agent's
phone becomes ``PhoneStateChanged`` inputs, so the engine keeps unreachable phones and phones
busy with a call outside the app out of distribution.

- R-subscribe: the app subscribes to the device state of each logged-in agent's phone
  (``deviceState:PJSIP/2001``), one device at a time, never to every device; it unsubscribes
  when the agent logs out. Device state (not an ``endpoint:`` subscription) because an
  endpoint subscription also forwards every channel event of the phone's own calls, which
  the ACD does not need; the device state already says ``UNAVAILABLE`` (unregistered),
  ``INUSE``/``BUSY``/``RINGING`` and ``NOT_INUSE``.
- Device state events say only what changes: the phone's state at subscription time is read
  from its endpoint (``GET /endpoints/PJSIP/2001``: online / offline / unknown, and its
  channels). A read overtaken by an event is dropped (the event is newer).
- Asterisk forgets subscriptions when it restarts, and the app's socket may come back to a
  new Asterisk: every reconnect subscribes and reads again (``rewatch``).
- A dial template that is no plain ``<technology>/{extension}`` (the tests' Local channels)
  watches nothing: those phones are always taken as reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from stasis_app.acd import inputs as i
from stasis_app.ari import AriClient, AriError, AriNotFound
from stasis_app.translate import device_extension, endpoint_phone_state, phone_device

log = logging.getLogger(__name__)


class PhoneWatch:
    def __init__(self, client: AriClient, agent_dial: str, submit: Callable[[i.Input], None],
                 clock: Callable[[], float]) -> None:
        self._client = client
        self._agent_dial = agent_dial
        self._submit = submit
        self._clock = clock
        self._watched: set[str] = set()  # extensions subscribed on this connection
        self._events: dict[str, int] = {}  # events seen per extension (a read older: dropped)
        self._tasks: set[asyncio.Task[None]] = set()
        # Subscription changes one at a time, each deciding on what is watched at that moment:
        # an unsubscribe decided before a login never lands after that login's subscribe.
        self._lock = asyncio.Lock()

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._watched)

    def watch(self, extension: str) -> None:
        """Subscribe to this phone's device state and read where it stands (background)."""
        if extension in self._watched or not phone_device(extension, self._agent_dial):
            return
        self._watched.add(extension)
        self._spawn(self._subscribe(extension))

    def unwatch(self, extension: str) -> None:
        if extension not in self._watched:
            return
        self._watched.discard(extension)
        self._spawn(self._unsubscribe(extension))

    def rewatch(self, extensions: Iterable[str]) -> None:
        """After a (re)connect: subscribe and read again (Asterisk may have restarted), and
        drop what an earlier process left subscribed for phones nobody is logged in on."""
        self._watched.clear()
        for extension in sorted(set(extensions)):
            self.watch(extension)
        self._spawn(self._prune())

    def noted(self, extension: str) -> None:
        """Asterisk told something about this phone (an event): newer than any read."""
        self._events[extension] = self._events.get(extension, 0) + 1

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- work ----------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _subscribe(self, extension: str) -> None:
        device = phone_device(extension, self._agent_dial)
        seen = self._events.get(extension, 0)
        try:
            async with self._lock:
                await self._client.applications.subscribe(f"deviceState:{device}")
        except AriError as exc:
            log.warning("cannot watch phone %s (device state): %s", device, exc)
            self._watched.discard(extension)
            return
        technology, _, resource = device.partition("/")
        try:
            endpoint = await self._client.endpoints.get(technology, resource)
        except AriNotFound:
            # No such endpoint (or an Asterisk that cannot tell): nothing said; a ring that
            # cannot be made will find the phone unreachable.
            return
        except AriError as exc:
            log.warning("cannot read phone %s (endpoint): %s", device, exc)
            return
        else:
            state = endpoint_phone_state(endpoint.state, bool(endpoint.channel_ids))
        if self._events.get(extension, 0) != seen:
            return  # an event came meanwhile: it is newer than this read
        log.info("phone %s is %s", device, state.value)
        self._submit(i.PhoneStateChanged(now=self._clock(), extension=extension, state=state))

    async def _prune(self) -> None:
        try:
            app = await self._client.applications.get()
        except AriError as exc:
            log.debug("cannot list the app's subscriptions: %s", exc)
            return
        for device in app.device_names:
            extension = device_extension(device, self._agent_dial)
            if not extension:
                continue
            async with self._lock:
                if extension not in self._watched:
                    with contextlib.suppress(AriError):
                        await self._client.applications.unsubscribe(f"deviceState:{device}")

    async def _unsubscribe(self, extension: str) -> None:
        device = phone_device(extension, self._agent_dial)
        async with self._lock:
            if extension in self._watched:
                return  # watched again meanwhile (a new login on this phone)
            with contextlib.suppress(AriError):
                await self._client.applications.unsubscribe(f"deviceState:{device}")
