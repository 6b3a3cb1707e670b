"""An HTTP proxy between the app and Asterisk's ARI that spoils REST requests at random.

The event WebSocket passes through untouched; each REST request, while chaos is on, is
either served, refused before Asterisk sees it (503), carried out by Asterisk with its reply
lost (the connection is cut: the app cannot know it happened), or delayed past the app's
patience. The app must converge to Asterisk's truth whatever happened."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import aiohttp
from aiohttp import web

FATES = ("refuse", "lose_reply", "delay")


class ChaosProxy:
    def __init__(self, target: str, seed: int = 7, rate: float = 0.2,
                 delay_s: float = 6.0) -> None:
        self.target = target.rstrip("/")
        self.rate = rate
        self.delay_s = delay_s
        self.on = False
        self.fates: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/ari/events"):
            return await self._websocket(request)
        fate = self._random.choice(FATES) if self.on and self._random.random() < self.rate \
            else "serve"
        self.fates[fate] += 1
        if fate == "refuse":
            return web.json_response({"message": "chaos: refused"}, status=503)
        if fate == "delay":
            await asyncio.sleep(self.delay_s)
        reply = await self._forward(request)
        if fate == "lose_reply":
            # Asterisk did it; the app sees the connection die without an answer.
            assert request.transport is not None
            request.transport.abort()
            return reply
        return reply

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        async with self._session.request(request.method, self.target + request.path_qs,
                                         data=body or None, headers=headers) as upstream:
            payload = await upstream.read()
            return web.Response(status=upstream.status, body=payload,
                                content_type=upstream.content_type
                                if upstream.content_type != "application/octet-stream"
                                else None)

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        assert self._session is not None
        client = web.WebSocketResponse()
        await client.prepare(request)
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("authorization",)}
        url = self.target.replace("http", "ws", 1) + request.path_qs
        async with self._session.ws_connect(url, headers=headers) as upstream:
            async def down() -> None:
                async for msg in upstream:
                    if msg.type is aiohttp.WSMsgType.TEXT:
                        await client.send_str(msg.data)

            async def up() -> None:
                async for msg in client:
                    if msg.type is aiohttp.WSMsgType.TEXT:
                        await upstream.send_str(msg.data)

            tasks = [asyncio.create_task(down()), asyncio.create_task(up())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
        await client.close()
        return client
