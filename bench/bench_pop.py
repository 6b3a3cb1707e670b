"""Screen-pop latency: from the agent's channel being created (the ACD's originate request
reaching the simulated Asterisk) to the ``screen.pop`` arriving on the agent's /ws/live,
with 1 and with 500 WebSocket clients connected to the same server.

    .venv/bin/python bench/bench_pop.py [--calls 40] [--clients 1,500]

The full product runs in this process (web app, ACD, simulated Asterisk on loopback), as in
``prowebcrm demo``; the pages are real aiohttp WebSocket clients with their own sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web
from argon2 import PasswordHasher

from crm import db as crm_db
from crm import passwords
from crm.models import Role
from tests.console.conftest import (
    GROUP_NUMBER,
    Product,
    free_port,
    make_group,
    product_app,
)
from tests.web.webtools import PASSWORD, make_user


async def open_page(base: str, login: str) -> tuple[aiohttp.ClientSession,
                                                    aiohttp.ClientWebSocketResponse]:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(f"{base}/api/v1/auth/login",
                            json={"login": login, "password": PASSWORD}) as r:
        assert r.status == 200, await r.text()
    ws = await session.ws_connect(f"{base}/ws/live")
    await ws.receive_json()  # snapshot
    return session, ws


async def run(clients: int, calls: int) -> list[float]:
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-pop-"))
    template = tmp / "template.sqlite3"
    await crm_db.migrate(f"sqlite://{template}")
    app, sim, settings = product_app(tmp, template)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    prod = Product(app, sim, settings)
    pages: list[tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]] = []
    try:
        agent = await make_user("ringing", Role.AGENT)
        await make_group([agent])
        await prod.reload_groups()
        sim.phones.add("201", behaviour="manual")
        session, ws = await open_page(base, "ringing")
        pages.append((session, ws))
        async with session.post(f"{base}/api/v1/agent/login", json={"extension": "201"},
                                headers={"X-CSRF-Token": await _csrf(session, base)}) as r:
            assert r.status == 200, await r.text()
        # The other pages: agents and supervisors watching (supervisors get every event).
        for n in range(clients - 1):
            role = Role.SUPERVISOR if n % 10 == 0 else Role.AGENT
            await make_user(f"watcher{n}", role)
        for start in range(0, clients - 1, 50):
            batch = [open_page(base, f"watcher{n}")
                     for n in range(start, min(start + 50, clients - 1))]
            pages.extend(await asyncio.gather(*batch))
        assert len(pages) == clients

        created: dict[str, float] = {}

        def on_rest(method: str, path: str, status: int, body: Any) -> None:
            # The ACD originates the agent leg with the offer id as channel id.
            # POST /ari/channels or /ari/channels/<id>: an originate (not .../answer etc.).
            if method == "POST" and path.startswith("/ari/channels") and path.count("/") <= 3:
                created.setdefault("t0", time.perf_counter())

        sim.rest_listeners.append(on_rest)
        latencies: list[float] = []
        for i in range(calls):
            created.clear()
            caller = sim.place_inbound_call(GROUP_NUMBER, f"06{i:08d}")
            while True:
                msg = await ws.receive_json(timeout=10)
                if msg["type"] == "screen.pop":
                    latencies.append((time.perf_counter() - created["t0"]) * 1000)
                    break
            sim.hangup_call(caller)
            await prod.until(lambda: prod.state(agent.id) == "available", timeout=10)
        return latencies
    finally:
        for session, ws in pages:
            await ws.close()
            await session.close()
        await runner.cleanup()


async def _csrf(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(f"{base}/api/v1/auth/me") as r:
        return (await r.json())["csrf_token"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--clients", default="1,500")
    args = parser.parse_args()
    for clients in [int(c) for c in args.clients.split(",")]:
        lat = asyncio.run(run(clients, args.calls))
        print(f"{clients:>4} WebSocket clients, {len(lat)} calls: pop latency "
              f"p50 {statistics.median(lat):.2f} ms  p99 {pct(lat, 99):.2f} ms  "
              f"max {max(lat):.2f} ms")


if __name__ == "__main__":
    main()
