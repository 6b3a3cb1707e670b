"""Replays a recorded scenario's REST actions against an ARI server.

The driver follows the `.actions.txt` file: it opens and closes WebSockets,
issues the same REST requests (recorded ids mapped to the ones the server
created), and before each action waits for the events the recording had
received by then. Events logged within 2 ms before an action may be caused by
that action itself (events can precede their REST reply), so those are not
waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from .traces import MAIN, NAME_RE, Step, iter_channels, load_expected, parse_actions, shape

CAUSED_BY_NEXT_ACTION = 0.002  # seconds: events this close to an action may be its own
ID_RE = re.compile(r'"id":"([^"]+)"')
ID_PARAMS = ("channel", "caller", "channelId", "otherChannelId", "bridgeId", "snoopId")


@dataclass
class ReplayResult:
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    replies: list[tuple[str, str, int, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Socket:
    def __init__(self, name: str, sink: list[dict[str, Any]]) -> None:
        self.name = name
        self.sink = sink
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.sink.append(json.loads(msg.data))


class Replayer:
    def __init__(
        self,
        base_url: str,
        auth_header: str,
        traces_dir: Path,
        scenario: str,
        app: str = "crm",
        wait_timeout: float = 3.0,
        after_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": auth_header}
        self.steps: list[Step] = parse_actions((traces_dir / f"{scenario}.actions.txt").read_text())
        self.expected = load_expected(traces_dir, scenario)
        self.app = app
        self.wait_timeout = wait_timeout
        self.after_close = after_close
        self.result = ReplayResult(events={name: [] for name in self.expected})
        self._sockets: dict[str, _Socket] = {}
        self._id_map: dict[str, str] = {}
        self._rec_names = {
            ch["id"]: ch["name"]
            for events in self.expected.values()
            for ev in events
            for ch in iter_channels(ev)
        }
        self._rec_order = [ev for events in self.expected.values() for ev in events]
        self._chosen_ids = {
            v
            for st in self.steps
            if st.kind == "rest"
            for k, v in st.params.items()
            if k in ID_PARAMS[2:]
        }

    # ------------------------------------------------------------------
    async def run(self) -> ReplayResult:
        async with aiohttp.ClientSession(headers=self.headers) as session:
            self.session = session
            try:
                await self._run_steps()
                await self._wait_counts(self._totals(), final=True)
                await asyncio.sleep(0.1)  # let any unexpected extra event arrive
            finally:
                for sock in self._sockets.values():
                    if sock.ws is not None and not sock.ws.closed:
                        await sock.ws.close()
                    if sock.task is not None:
                        sock.task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await sock.task
        return self.result

    def _totals(self) -> dict[str, int]:
        return {name: len(evs) for name, evs in self.expected.items()}

    async def _run_steps(self) -> None:
        seen: dict[str, int] = dict.fromkeys(self.expected, 0)
        recent: list[Step] = []  # events logged since the previous action
        for step in self.steps:
            if step.kind == "event":
                seen[step.sock] = seen.get(step.sock, 0) + 1
                recent.append(step)
                continue
            if step.kind == "note":
                continue
            required = dict(seen)
            for ev in recent:
                if ev.t >= step.t - CAUSED_BY_NEXT_ACTION:
                    required[ev.sock] -= 1
            await self._wait_counts(required)
            recent = []
            if step.kind == "connect":
                await self._connect(step.sock)
            elif step.kind == "close":
                await self._close(step.sock)
            elif step.kind == "sockets":
                self._check_sockets(step.text)
            elif step.kind == "rest":
                await self._rest(step)

    async def _wait_counts(self, required: dict[str, int], final: bool = False) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_timeout
        while True:
            short = {n: c for n, c in required.items() if len(self.result.events.get(n, [])) < c}
            if not short:
                return
            if loop.time() > deadline:
                got = {n: len(self.result.events.get(n, [])) for n in short}
                self.result.problems.append(
                    f"timed out waiting for events{' at the end' if final else ''}: "
                    f"needed {short}, got {got}"
                )
                return
            await asyncio.sleep(0.002)

    async def _connect(self, name: str) -> None:
        sink = self.result.events.setdefault(name, [])
        sock = self._sockets.get(name) or _Socket(name, sink)
        self._sockets[name] = sock
        sock.ws = await self.session.ws_connect(
            f"{self.base_url}/ari/events", params={"app": self.app}
        )
        sock.task = asyncio.create_task(sock.read())

    async def _close(self, name: str) -> None:
        sock = self._sockets[name]
        assert sock.ws is not None
        await sock.ws.close()
        if sock.task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sock.task
        if self.after_close is not None:
            await self.after_close()

    def _check_sockets(self, text: str) -> None:
        for name, closed in re.findall(r"(\w+) closed=(True|False)", text):
            sock = self._sockets.get(name) or self._sockets.get(MAIN)
            actual = sock is None or sock.ws is None or sock.ws.closed
            if actual != (closed == "True"):
                self.result.problems.append(f"socket {name}: closed={actual}, recorded {closed}")

    # ------------------------------------------------------------------
    # ids
    # ------------------------------------------------------------------
    async def _map_id(self, rid: str) -> str:
        if rid in self._id_map:
            return self._id_map[rid]
        name = self._rec_names.get(rid)
        if name is None or rid in self._chosen_ids:
            return rid  # an id the app chose: the same on both sides
        # The event naming this channel may still be in flight (it can be the
        # one the recording received just before issuing this request).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_timeout
        while loop.time() < deadline:
            mapped = self._map_by_name(name)
            if mapped is not None:
                self._id_map[rid] = mapped
                return mapped
            await asyncio.sleep(0.002)
        self.result.problems.append(f"no channel here corresponds to recorded {name} ({rid})")
        return rid

    def _map_by_name(self, rec_name: str) -> str | None:
        """The k-th distinct Local pair with this prefix in the recording is the k-th here."""
        m = NAME_RE.match(rec_name)
        if not m:
            return None
        prefix, side = m.group(1), m.group(3) or ""
        rec_suffixes = _distinct_suffixes(self._rec_order, prefix)
        act_events = [ev for evs in self.result.events.values() for ev in evs]
        act_suffixes = _distinct_suffixes(act_events, prefix)
        idx = rec_suffixes.index(m.group(2))
        if idx >= len(act_suffixes):
            return None
        wanted = f"{prefix}-{act_suffixes[idx]}{side}"
        for ev in act_events:
            for ch in iter_channels(ev):
                if ch["name"] == wanted:
                    return str(ch["id"])
        return None

    # ------------------------------------------------------------------
    async def _rest(self, step: Step) -> None:
        path = "/".join([await self._map_id(part) for part in step.path.split("/")])
        params = {}
        for key, value in step.params.items():
            if key in ("channel", "caller"):
                value = ",".join([await self._map_id(v) for v in value.split(",")])
            params[key] = value
        url = f"{self.base_url}/ari{path}"
        async with self.session.request(step.method, url, params=params) as resp:
            text = await resp.text()
            body = json.loads(text) if text else None
            status = resp.status
        self.result.replies.append((step.method, path, status, body))
        if status != step.status:
            self.result.problems.append(
                f"{step.method} {step.path}: status {status}, recorded {step.status} ({text[:200]})"
            )
            return
        # A single object's first "id" is its own (channel, bridge or snoop).
        rec_id = ID_RE.search(step.body[:300]) if step.body.startswith("{") else None
        if rec_id is not None and isinstance(body, dict) and "id" in body:
            self._id_map[rec_id.group(1)] = str(body["id"])
        recorded = _maybe_json(step.body)
        if recorded is not None and body is not None and shape(recorded) != shape(body):
            self.result.problems.append(
                f"{step.method} {step.path}: reply shape {shape(body)}"
                f" != recorded {shape(recorded)}"
            )


def _distinct_suffixes(events: list[dict[str, Any]], prefix: str) -> list[str]:
    out: list[str] = []
    for ev in events:
        for ch in iter_channels(ev):
            m = NAME_RE.match(ch["name"])
            if m and m.group(1) == prefix and m.group(2) not in out:
                out.append(m.group(2))
    return out


def _maybe_json(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None  # the recording cut the reply short
