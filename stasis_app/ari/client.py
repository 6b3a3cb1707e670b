"""AriClient: REST resources + one event WebSocket + ordered dispatch, with R-single."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from .dispatch import Handler, KeyedDispatcher, KeyFunc
from .errors import AppAlreadyRunning, AriError, AriNotFound
from .events import ApplicationReplaced, Event, parse_event
from .http import MAX_POOL, AriHttp
from .resources import Applications, AsteriskApi, Bridges, Channels, Endpoints, Recordings
from .stream import EventStream, LinkState
from .stream import StateHook as ConnectionHook

log = logging.getLogger(__name__)

ReplacedHook = Callable[[], Awaitable[None]]


class AriClient:
    """Typed ARI client for one Stasis application.

    Events of one key (default: channel id, else bridge id) are handled strictly in order;
    different keys run concurrently. `key_of` lets the adapter key by call instead.
    """

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        app: str,
        *,
        key_of: KeyFunc | None = None,
        max_connections: int = MAX_POOL,
        request_timeout: float = 10.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        heartbeat: float | None = 10.0,
        ignore_types: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        # Event types no handler wants: dropped before parsing and dispatch (the app CPU per
        # call counts under load: Asterisk sends a ChannelVarset per variable set, etc.).
        self._ignore_types = ignore_types
        self._http = AriHttp(base_url, user, password, max_connections=max_connections,
                             timeout=request_timeout)
        self.channels = Channels(self._http, app)
        self.bridges = Bridges(self._http)
        self.recordings = Recordings(self._http)
        self.applications = Applications(self._http, app)
        self.asterisk = AsteriskApi(self._http)
        self.endpoints = Endpoints(self._http)
        self._handlers: list[Handler] = []
        self._conn_hooks: list[ConnectionHook] = []
        self._replaced_hooks: list[ReplacedHook] = []
        self._dispatcher: KeyedDispatcher | None = None
        self._key_of = key_of
        self._started = False
        self._stream = EventStream(
            self._http, app, self._on_text, self._on_link_state,
            backoff_initial=backoff_initial, backoff_max=backoff_max, heartbeat=heartbeat,
        )

    # -- registration -------------------------------------------------------------
    def on_event(self, handler: Handler) -> Handler:
        """`async def handler(event: Event) -> None`; usable as a decorator."""
        self._handlers.append(handler)
        return handler

    def on_connection_change(self, hook: ConnectionHook) -> ConnectionHook:
        """`async def hook(state, first, reason)`: CONNECTED (first=False -> reconcile,
        nothing is replayed), DISCONNECTED, REPLACED, CLOSED. Awaited by the socket task
        before it reads on: keep it short (spawn a task for long reconciliation); it may
        `await client.drain()` to let events received before the change finish first."""
        self._conn_hooks.append(hook)
        return hook

    def on_replaced(self, hook: ReplacedHook) -> ReplacedHook:
        """`async def hook() -> None` once ApplicationReplaced arrived (R-single)."""
        self._replaced_hooks.append(hook)
        return hook

    # -- state ------------------------------------------------------------------------
    @property
    def state(self) -> LinkState:
        return self._stream.state

    @property
    def replaced(self) -> bool:
        return self._http.refusal is not None

    @property
    def base_url(self) -> str:
        return self._http.root

    # -- lifecycle ----------------------------------------------------------------
    async def start(self, *, takeover: bool = False) -> None:
        """R-single check, then the first WebSocket connection (raises AriError on failure;
        reconnects by itself afterwards)."""
        if self._started:
            raise RuntimeError("AriClient.start() called twice")
        self._dispatcher = self._dispatcher or KeyedDispatcher(self._handlers, self._key_of)
        try:
            existing = await self.applications.get()
        except AriNotFound:
            existing = None
        if existing is not None:
            if not takeover:
                # ARI cannot tell a live holder from leftovers of a crashed predecessor (an
                # app with channels/bridges outlives its socket), so refuse in both cases.
                raise AppAlreadyRunning(
                    f"Stasis app {self.app!r} is already registered in Asterisk (another "
                    f"process holds it, or a dead one left channels {list(existing.channel_ids)}"
                    f" / bridges {list(existing.bridge_ids)}); refusing to steal it. "
                    "Start with takeover=True once the other process is known to be gone."
                )
            log.warning("taking over Stasis app %r (takeover=True)", self.app)
        await self._stream.open()
        self._started = True

    async def drain(self) -> None:
        """Wait until every queued event has been handled."""
        if self._dispatcher is not None:
            await self._dispatcher.drain()

    async def close(self) -> None:
        """Close the WebSocket, the dispatch workers (queued events are dropped: call
        `drain()` first for a graceful stop) and the HTTP session."""
        await self._stream.close()
        if self._dispatcher is not None:
            await self._dispatcher.close()
        await self._http.close()
        for hook in self._conn_hooks:
            try:
                await hook(LinkState.CLOSED, False, "closed")
            except Exception:
                log.exception("ARI link-state hook failed (closed)")

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def drop_connection(self) -> None:
        """Abruptly cut the WebSocket (no close frame); the client then reconnects."""
        self._stream.drop()

    # -- escape hatch ---------------------------------------------------------------
    async def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Any ARI call: `path` is relative to /ari (e.g. '/endpoints'); JSON or None."""
        if "subscribeall" in path.lower() or any(
                k.lower() == "subscribeall" for k in (params or {})):
            raise ValueError("subscribeAll is not allowed (R-subscribe)")
        return await self._http.request(method, path, params=params, json_body=json_body)

    # -- events ---------------------------------------------------------------------
    def feed(self, message: str | bytes | dict[str, Any]) -> Event | None:
        """Parse one WebSocket message and queue it for dispatch (used by the socket;
        public for tests/benchmarks). Returns the event, None if not JSON or ignored."""
        if self._dispatcher is None:
            self._dispatcher = KeyedDispatcher(self._handlers, self._key_of)
        if isinstance(message, dict):
            data = message
        else:
            try:
                data = orjson.loads(message)
            except ValueError:
                log.warning("ARI sent non-JSON text, ignored: %.200r", message)
                return None
        if self._ignore_types and isinstance(data, dict) and data.get("type") in (
                self._ignore_types):
            return None
        event = parse_event(data)
        if isinstance(event, ApplicationReplaced):
            self._mark_replaced()
        self._dispatcher.submit(event)
        return event

    def _on_text(self, text: str) -> bool:
        self.feed(text)
        return self.replaced

    async def _filter_at_the_source(self) -> None:
        # On every connect: a restarted Asterisk has forgotten the filter. Without it (an
        # older Asterisk), the types are still dropped here, before parsing.
        try:
            await self.applications.filter_events(sorted(self._ignore_types))
        except AriError as exc:
            log.warning("Asterisk keeps sending unused event types (eventFilter: %s)", exc)

    def _mark_replaced(self) -> None:
        if self._http.refusal is None:
            log.critical(
                "ARI app %r was TAKEN OVER by another WebSocket (ApplicationReplaced): this "
                "process stops acting on calls and will not reconnect (R-single)", self.app)
            self._http.refusal = f"Stasis app {self.app!r} was replaced by another connection"

    async def _on_link_state(self, state: LinkState, first: bool, reason: str | None) -> None:
        if state is LinkState.CONNECTED and self._ignore_types:
            await self._filter_at_the_source()
        for hook in self._conn_hooks:
            try:
                await hook(state, first, reason)
            except Exception:
                log.exception("ARI connection hook failed (%s)", state)
        if state is LinkState.REPLACED:
            for rhook in self._replaced_hooks:
                try:
                    await rhook()
                except Exception:
                    log.exception("ARI on_replaced hook failed")
