"""A tiny ARI-like aiohttp server for the client's unit tests (not a simulator).

It checks the Basic auth header, serves /ari/events as a WebSocket (registering the app
while a socket is open) and answers REST calls with canned replies, recording each one.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from aiohttp import web

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
TRACES = SHARED / "ari-traces"


def channel_json(cid: str, name: str = "PJSIP/2001-00000001", state: str = "Up") -> dict:
    return {
        "id": cid, "name": name, "state": state, "protocol_id": "",
        "caller": {"name": "A", "number": "100"}, "connected": {"name": "", "number": ""},
        "accountcode": "", "language": "en", "creationtime": "2026-01-01T00:00:00.000+0000",
        "dialplan": {"context": "x", "exten": "s", "priority": 1, "app_name": "Stasis",
                     "app_data": "crm"},
    }


def event_json(etype: str, cid: str | None = None, app: str = "crm", **extra: Any) -> dict:
    ev: dict[str, Any] = {"type": etype, "application": app, "asterisk_id": "00:00",
                          "timestamp": "2026-01-01T00:00:00.000+0000", **extra}
    if cid is not None:
        ev["channel"] = channel_json(cid)
    return ev


class FakeAri:
    def __init__(self, user: str = "u", password: str = "p", delay: float = 0.0) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.expected_auth = f"Basic {token}"
        self.delay = delay  # per-request handling time, to force concurrency
        self.apps: set[str] = set()  # apps registered (socket open) or pre-seeded
        self.sockets: list[web.WebSocketResponse] = []
        self.ws_params: list[dict[str, str]] = []
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.auth_seen: list[str | None] = []
        self.peers: set[Any] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.canned: dict[tuple[str, str], tuple[int, Any]] = {}
        self.ws_refuse_status: int | None = None
        self.ws_attempts = 0
        self.connected = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        return app

    async def start(self, aiohttp_server: Any) -> str:
        server = await aiohttp_server(self.app())
        return str(server.make_url("")).rstrip("/")

    async def push(self, event: dict[str, Any]) -> None:
        await self.sockets[-1].send_str(json.dumps(event))

    async def close_sockets(self) -> None:
        for ws in list(self.sockets):
            await ws.close()

    async def _events(self, request: web.Request) -> web.StreamResponse:
        self.ws_attempts += 1
        self.auth_seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != self.expected_auth:
            return web.json_response({"message": "Authentication required"}, status=401)
        if self.ws_refuse_status is not None:
            return web.json_response({"message": "nope"}, status=self.ws_refuse_status)
        self.ws_params.append(dict(request.query))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        app_name = request.query.get("app", "")
        self.apps.add(app_name)
        self.sockets.append(ws)
        self.connected.set()
        try:
            async for _ in ws:
                pass
        finally:
            self.sockets.remove(ws)
            if not self.sockets:
                self.apps.discard(app_name)
        return ws

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        self.peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        self.auth_seen.append(request.headers.get("Authorization"))
        body = await request.json() if request.can_read_body else None
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, path, dict(request.query), body))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if request.headers.get("Authorization") != self.expected_auth:
                return web.json_response({"message": "Authentication required"}, status=401)
            if (request.method, path) in self.canned:
                status, reply = self.canned[(request.method, path)]
                if reply is None:
                    return web.Response(status=status)
                if isinstance(reply, str):
                    return web.Response(status=status, text=reply)
                return web.json_response(reply, status=status)
            return self._default(request.method, path, dict(request.query))
        finally:
            self.in_flight -= 1

    def _default(self, method: str, path: str, q: dict[str, str]) -> web.Response:
        if path.startswith("/applications/"):
            name = path.split("/")[2]
            if name in self.apps or path.endswith("/subscription"):
                return web.json_response({"name": name, "channel_ids": [], "bridge_ids": [],
                                          "endpoint_ids": [], "device_names": [],
                                          "events_allowed": [], "events_disallowed": []})
            return web.json_response({"message": "Application does not exist."}, status=404)
        if path == "/asterisk/info":
            return web.json_response({"system": {"version": "22.10.1", "entity_id": "00:00"},
                                      "status": {"startup_time": "t0",
                                                 "last_reload_time": "t1"}})
        if method == "POST" and path in ("/channels", "/channels/create"):
            return web.json_response(channel_json(q["channelId"], state="Down"))
        if method == "POST" and path.endswith("/snoop"):
            return web.json_response(channel_json(q["snoopId"], name="Snoop/x-00000000"))
        if method == "POST" and path == "/bridges":
            return web.json_response({"id": q["bridgeId"], "technology": "simple_bridge",
                                      "bridge_type": q.get("type", "mixing"),
                                      "bridge_class": "stasis", "creator": "Stasis",
                                      "name": q.get("name", ""), "channels": []})
        if method == "GET" and path in ("/channels", "/bridges"):
            return web.json_response([])
        return web.Response(status=204)
