"""The one ARI event WebSocket, with reconnect (exponential backoff + jitter).

R-reconnect: Asterisk replays nothing after a drop, so every change of link state is
reported to the user, who reconciles with GET /channels and /bridges.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import socket
from collections.abc import Awaitable, Callable

import aiohttp

from .errors import AriError, AriUnavailable, error_for
from .http import AriHttp

log = logging.getLogger(__name__)


class LinkState(enum.StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # dropped, reconnecting with backoff
    REPLACED = "replaced"  # R-single: another socket took the app; no reconnect
    CLOSED = "closed"  # close() was called


StateHook = Callable[[LinkState, bool, str | None], Awaitable[None]]


class EventStream:
    def __init__(
        self,
        http: AriHttp,
        app: str,
        on_text: Callable[[str], bool],
        on_state: StateHook,
        *,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        heartbeat: float | None = 10.0,
    ) -> None:
        self._http, self._app = http, app
        self._on_text = on_text  # returns True when the app was replaced
        self._on_state = on_state
        self._backoff = (backoff_initial, backoff_max)
        self._heartbeat = heartbeat
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.state = LinkState.DISCONNECTED
        self.connects = 0  # successful connections so far

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        url = self._http.root + "/events"
        try:
            return await self._http.session.ws_connect(
                url,
                params={"app": self._app, "subscribeAll": "false"},  # R-subscribe
                headers=self._http.headers,
                heartbeat=self._heartbeat,  # detects a silent peer (half-open TCP)
                timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise error_for(exc.status, exc.message.encode(), "GET", "/events") from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise AriUnavailable(str(exc) or type(exc).__name__, method="GET",
                                 path="/events") from exc

    async def open(self) -> None:
        """First connection: raises if Asterisk refuses; afterwards reconnects by itself."""
        ws = await self._connect()
        await self._up(ws, first=True)
        self._task = asyncio.get_running_loop().create_task(self._run(ws), name="ari-ws")

    async def _up(self, ws: aiohttp.ClientWebSocketResponse, first: bool) -> None:
        self._ws, self.state = ws, LinkState.CONNECTED
        self.connects += 1
        log.info("ARI link UP (app %r, %s)", self._app,
                 "first connection" if first else "reconnected; nothing is replayed")
        await self._notify(LinkState.CONNECTED, first, None)

    async def _notify(self, state: LinkState, first: bool, reason: str | None) -> None:
        try:
            await self._on_state(state, first, reason)
        except Exception:
            log.exception("ARI link-state hook failed (%s)", state)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                if self._on_text(msg.data):
                    await ws.close()
                    return "application replaced"
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return f"error: {ws.exception()!r}"
        exc = ws.exception()
        return f"closed (code {ws.close_code}{f', {exc!r}' if exc else ''})"

    async def _run(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            reason = await self._read(ws)
            self._ws = None
            if self._stopping:
                return
            if reason == "application replaced":
                self.state = LinkState.REPLACED
                await self._notify(LinkState.REPLACED, False, reason)
                return
            self.state = LinkState.DISCONNECTED
            log.warning("ARI link DOWN (%s); reconnecting with backoff", reason)
            await self._notify(LinkState.DISCONNECTED, False, reason)
            ws = await self._reconnect()
            await self._up(ws, first=False)

    async def _reconnect(self) -> aiohttp.ClientWebSocketResponse:
        delay, cap = self._backoff
        attempt = 0
        while True:
            # Jitter spreads the reconnects of several processes after an Asterisk restart.
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            attempt += 1
            try:
                return await self._connect()
            except AriError as exc:
                # Logged at debug: one line per link-state change, not per attempt.
                log.debug("ARI reconnect attempt %d failed: %s", attempt, exc)
            delay = min(delay * 2, cap)

    def drop(self) -> None:
        """Cut the TCP connection under the socket without a close frame (tests, drills)."""
        sock = self._ws.get_extra_info("socket") if self._ws is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    async def close(self) -> None:
        self._stopping = True
        ws, task = self._ws, self._task
        if ws is not None and not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.state is not LinkState.REPLACED:
            self.state = LinkState.CLOSED
