"""A tiny ARI client for tests against the simulator (or a real Asterisk)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp


class AriTestClient:
    """REST calls plus one events WebSocket, with `wait_for` on received events."""

    def __init__(self, base_url: str, auth_header: str, app: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        self.events: list[dict[str, Any]] = []
        self._headers = {"Authorization": auth_header}
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def __aenter__(self) -> AriTestClient:
        self._session = aiohttp.ClientSession(headers=self._headers)
        self._ws = await self._session.ws_connect(
            f"{self.base_url}/ari/events", params={"app": self.app}
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._session is not None:
            await self._session.close()

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(msg.data))
                self._changed.set()

    async def request(self, method: str, path: str, **params: Any) -> tuple[int, Any]:
        assert self._session is not None
        async with self._session.request(method, f"{self.base_url}{path}", params=params) as r:
            text = await r.text()
            return r.status, (json.loads(text) if text else None)

    async def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        assert self._session is not None
        async with self._session.post(f"{self.base_url}{path}", json=body) as r:
            text = await r.text()
            return r.status, (json.loads(text) if text else None)

    async def wait_for(
        self,
        etype: str,
        pred: Callable[[dict[str, Any]], bool] = lambda e: True,
        timeout: float = 2.0,
        start: int = 0,
    ) -> dict[str, Any]:
        """The first event of this type (at or after index `start`) matching `pred`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for ev in self.events[start:]:
                if ev.get("type") == etype and pred(ev):
                    return ev
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no {etype} event; got {[e['type'] for e in self.events]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def types(self, channel_id: str | None = None) -> list[str]:
        return [
            e["type"]
            for e in self.events
            if channel_id is None
            or (e.get("channel") or e.get("peer") or {}).get("id") == channel_id
        ]
