"""GET /ari/events: the WebSocket an application receives its events on."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .errors import AriError

if TYPE_CHECKING:
    from .simulator import Simulator


class EventSocket:
    """One connected client; events are queued so the engine never awaits."""

    def __init__(self, ws: web.WebSocketResponse, apps: list[str]) -> None:
        self.ws = ws
        self.apps = apps
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def send_event(self, event: dict[str, Any]) -> None:
        self._queue.put_nowait(event)

    def close_soon(self) -> None:
        self._queue.put_nowait(None)

    async def pump(self) -> None:
        while True:
            event = await self._queue.get()
            if event is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(json.dumps(event))
            except (ConnectionError, RuntimeError):
                return


async def events_handler(sim: Simulator, request: web.Request) -> web.StreamResponse:
    raw = request.query.get("app", "")
    apps = [a.strip() for a in raw.split(",") if a.strip()]
    if not apps:
        raise AriError(400, "Missing parameter app")
    subscribe_all = request.query.get("subscribeAll", "false").lower() == "true"
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    sock = EventSocket(ws, apps)
    sim._sockets.add(sock)
    sim.engine.registry.connect(apps, sock, subscribe_all)
    pump = asyncio.create_task(sock.pump())
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
            # Asterisk ignores what clients send on the events socket.
    finally:
        sim.engine.registry.disconnect(sock)
        sim._sockets.discard(sock)
        sock.close_soon()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
    return ws
