"""Issue 12: follow the phones of logged-in agents in Asterisk.

The engine asks (``WatchPhone`` at login / restore, ``UnwatchPhone`` at logout); this module
subscribes the app to that phone's device state and endpoint only (R-subscribe: never
subscribeAll), reads the current state once so the engine starts right, and reads every
watched phone again after the ARI link comes back (events sent while it was down are lost).
Changes then arrive as ``DeviceStateChanged`` / ``EndpointStateChange`` events, which the
translator turns into ``PhoneStateChanged``.

The device is the agent dial template filled (``PJSIP/{extension}`` → ``PJSIP/2001``); its
endpoint is the same name when Asterisk has one (PJSIP does, Local channels do not: then only
the device state is followed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from stasis_app.acd import inputs as i
from stasis_app.ari import AriClient, AriError
from stasis_app.ari.http import seg
from stasis_app.ari.models import DeviceState, Endpoint
from stasis_app.translate import endpoint_online, phone_device, phone_state

log = logging.getLogger(__name__)


class PhoneWatcher:
    def __init__(self, client: AriClient, submit: Callable[[i.Input], None],
                 clock: Callable[[], float], agent_dial: str) -> None:
        self._ari = client
        self._submit = submit
        self._clock = clock
        self._agent_dial = agent_dial
        self.watched: set[str] = set()  # extensions

    def _device(self, extension: str) -> str:
        return phone_device(extension, self._agent_dial)

    @staticmethod
    def _endpoint_path(device: str) -> str | None:
        tech, slash, resource = device.partition("/")
        if not slash or not tech or not resource or "/" in resource:
            return None
        return f"/endpoints/{seg(tech)}/{seg(resource)}"

    async def watch(self, extension: str) -> None:
        device = self._device(extension)
        self.watched.add(extension)
        # Subscribing first, reading second: a change between the two is not missed.
        await self._ari.applications.subscribe(f"deviceState:{device}")
        if self._endpoint_path(device) is not None:
            try:
                await self._ari.applications.subscribe(f"endpoint:{device}")
            except AriError as exc:  # no such endpoint: the device state alone tells
                log.debug("no endpoint events for %s: %s", device, exc)
        await self.read(extension)

    async def unwatch(self, extension: str) -> None:
        device = self._device(extension)
        self.watched.discard(extension)
        sources = [f"deviceState:{device}"]
        if self._endpoint_path(device) is not None:
            sources.append(f"endpoint:{device}")
        for source in sources:
            try:
                await self._ari.applications.unsubscribe(source)
            except AriError as exc:  # not subscribed (or Asterisk restarted): nothing to undo
                log.debug("unsubscribing %s: %s", source, exc)

    async def read(self, extension: str) -> None:
        """Tell the engine the phone's state as Asterisk has it now."""
        device = self._device(extension)
        state = None
        online = None
        try:
            data = await self._ari.request("GET", f"/deviceStates/{seg(device)}")
            state = phone_state(DeviceState.from_dict(data or {}).state)
        except AriError as exc:
            log.info("device state of %s unknown: %s", device, exc)
        path = self._endpoint_path(device)
        if path is not None:
            try:
                online = endpoint_online(Endpoint.from_dict(
                    await self._ari.request("GET", path) or {}).state)
            except AriError as exc:
                log.debug("endpoint %s unknown: %s", device, exc)
        if state is not None or online is not None:
            self._submit(i.PhoneStateChanged(now=self._clock(), extension=extension,
                                             device=state, online=online))

    async def refresh(self) -> None:
        """After the ARI link came back: every watched phone read again."""
        for extension in sorted(self.watched):
            try:
                await self.read(extension)
            except Exception:  # one phone must not keep the others stale
                log.exception("reading the phone %s failed", extension)
