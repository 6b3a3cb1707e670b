"""A deliberately minimal Stasis ACD: one file, raw aiohttp, no database, no web.

The floor PROWEBCRM is compared with in bench_side_by_side.py: a caller entering
``Stasis(<app>,inbound,...)`` is answered and put on music on hold; the next free agent
(round robin) is originated into the app; when it answers, caller and agent go into a new
mixing bridge; when either hangs up, the other is hung up, the bridge destroyed and the agent
freed. Channel and bridge ids are chosen here (R-ids); events are handled in arrival order.

    python bench/minimal_acd.py URL USER PASSWORD APP DIAL FIRST_EXT COUNT [MOH_CLASS [HOLD]]

HOLD: "channel" (default: music on hold started on each caller's channel), "bridge" (callers
wait in one holding bridge that plays the music) or "none" (silence).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections import deque

import aiohttp


class MinimalAcd:
    def __init__(self, url: str, user: str, password: str, app: str, dial: str,
                 agents: list[str], moh: str, hold: str = "channel") -> None:
        self.root = url.rstrip("/") + "/ari"
        self.auth = aiohttp.BasicAuth(user, password)
        self.app, self.dial, self.moh, self.hold_mode = app, dial, moh, hold
        self.free = deque(agents)
        self.waiting: deque[str] = deque()
        self.leg_of: dict[str, str] = {}  # caller -> leg
        self.caller_of: dict[str, tuple[str, str]] = {}  # leg -> (caller, agent)
        self.ids = itertools.count(1)
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def rest(self, method: str, path: str, **params: str) -> None:
        assert self.session is not None
        try:
            async with self.session.request(method, self.root + path, params=params) as resp:
                await resp.read()
        except aiohttp.ClientError:
            pass

    def spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(limit=8)
        async with aiohttp.ClientSession(auth=self.auth, connector=connector) as session:
            self.session = session
            url = f"{self.root}/events?app={self.app}&subscribeAll=false"
            async with session.ws_connect(url) as ws:
                if self.hold_mode == "bridge":
                    await self.rest("POST", "/bridges", bridgeId="min-hold", type="holding")
                    await self.rest("POST", "/bridges/min-hold/moh", mohClass=self.moh)
                print("ready", flush=True)
                async for msg in ws:
                    if msg.type is aiohttp.WSMsgType.TEXT:
                        self.on_event(json.loads(msg.data))

    def on_event(self, event: dict) -> None:
        kind = event.get("type")
        channel = (event.get("channel") or {}).get("id", "")
        if kind == "StasisStart":
            args = event.get("args") or []
            if args[:1] == ["inbound"]:
                self.spawn(self.hold(channel))
                self.waiting.append(channel)
                self.dispatch()
            elif args[:1] == ["leg"] and channel in self.caller_of:
                self.spawn(self.connect(channel))
        elif kind in ("StasisEnd", "ChannelDestroyed"):
            self.gone(channel)

    async def hold(self, caller: str) -> None:
        await self.rest("POST", f"/channels/{caller}/answer")
        if self.hold_mode == "channel":
            await self.rest("POST", f"/channels/{caller}/moh", mohClass=self.moh)
        elif self.hold_mode == "bridge":
            await self.rest("POST", "/bridges/min-hold/addChannel", channel=caller)

    def dispatch(self) -> None:
        while self.waiting and self.free:
            caller, agent = self.waiting.popleft(), self.free.popleft()
            leg = f"min-leg-{next(self.ids)}"
            self.leg_of[caller] = leg
            self.caller_of[leg] = (caller, agent)
            self.spawn(self.rest("POST", "/channels", endpoint=self.dial.format(extension=agent),
                                 channelId=leg, app=self.app, appArgs="leg",
                                 callerId="bench", timeout="20"))

    async def connect(self, leg: str) -> None:
        caller, _ = self.caller_of[leg]
        bridge = f"min-br-{leg}"
        if self.hold_mode == "channel":
            await self.rest("DELETE", f"/channels/{caller}/moh")
        await self.rest("POST", "/bridges", bridgeId=bridge, type="mixing")
        await self.rest("POST", f"/bridges/{bridge}/addChannel", channel=f"{caller},{leg}")

    def gone(self, channel: str) -> None:
        if channel in self.leg_of:  # a caller
            leg = self.leg_of.pop(channel)
            if channel in self.waiting:
                self.waiting.remove(channel)
            if leg in self.caller_of:
                self.spawn(self.rest("DELETE", f"/channels/{leg}"))
        elif channel in self.caller_of:  # an agent leg
            caller, agent = self.caller_of.pop(channel)
            self.leg_of.pop(caller, None)
            self.free.append(agent)
            self.spawn(self.rest("DELETE", f"/channels/{caller}"))
            self.spawn(self.rest("DELETE", f"/bridges/min-br-{channel}"))
            self.dispatch()
        elif channel in self.waiting:
            self.waiting.remove(channel)


def main(argv: list[str]) -> None:
    url, user, password, app, dial, first, count = argv[:7]
    moh = argv[7] if len(argv) > 7 else "default"
    hold = argv[8] if len(argv) > 8 else "channel"
    agents = [str(int(first) + n) for n in range(int(count))]
    asyncio.run(MinimalAcd(url, user, password, app, dial, agents, moh, hold).run())


if __name__ == "__main__":
    main(sys.argv[1:])
