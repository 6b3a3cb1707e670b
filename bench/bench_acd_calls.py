"""Call-distribution latency of the whole Stasis application, with persistence and push.

The app (ARI client, adapter, engine, call journal on SQLite, event hub with a live
subscriber) runs in this process; the ARI server runs in another process: the simulated
Asterisk by default, or a real Asterisk given by PROWEBCRM_TEST_ARI_* with
PROWEBCRM_TEST_INBOUND_DIAL / _CALLER_CONTEXT / _AGENT_DIAL (see tests/flows/conftest.py).

Measured per call, on the app's side: caller's StasisStart received → the agent's originate
request sent, and → Asterisk's answer to the addChannel that puts caller and agent in the
call's bridge (the app has Asterisk filter out ChannelEnteredBridge: it never sees it).
Python CPU per call is this process's CPU time over a round divided by its calls.

    .venv/bin/python bench/bench_acd_calls.py [--agents 100] [--rounds 1,20,100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm import db as crm_db  # noqa: E402
from crm.hub import SUPERVISION, LocalHub  # noqa: E402
from crm.models import Group, GroupMember, Role, User  # noqa: E402
from prowebcrm.settings import load_settings  # noqa: E402
from stasis_app.ari import events as ev  # noqa: E402
from stasis_app.directory import CrmDirectory  # noqa: E402
from stasis_app.runtime import AcdRuntime  # noqa: E402

APP = "bench"
USER, PASSWORD = "bench", "bench-secret"


class Probe:
    """Timestamps per call, taken where the app sees things."""

    def __init__(self) -> None:
        self.entered: dict[str, float] = {}
        self.originated: dict[str, float] = {}
        self.bridged: dict[str, float] = {}

    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.StasisStart) and event.args[:1] == ("inbound",):
            self.entered.setdefault(event.channel.id, time.perf_counter())

    def on_added(self, channels: list[str], runtime: AcdRuntime) -> None:
        """An addChannel of two channels or more answered: its call is bridged."""
        if len(channels) < 2:
            return
        now = time.perf_counter()
        for channel in channels:
            call = runtime.registry.call_of(channel)
            if call is not None and call in self.entered:
                self.bridged.setdefault(call, now)

    def reset(self) -> None:
        self.entered.clear()
        self.originated.clear()
        self.bridged.clear()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--rounds", default="1,20,100", help="simultaneous calls per round")
    parser.add_argument("--single-repeats", type=int, default=20)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-acd-"))
    real = all(os.environ.get(f"PROWEBCRM_TEST_ARI_{k}") for k in ("URL", "USER", "PASSWORD"))
    sim_proc = None
    if real:
        ari_url = os.environ["PROWEBCRM_TEST_ARI_URL"]
        user = os.environ["PROWEBCRM_TEST_ARI_USER"]
        password = os.environ["PROWEBCRM_TEST_ARI_PASSWORD"]
        app = os.environ.get("PROWEBCRM_TEST_ARI_APP", APP)
        agent_dial = "{extension}"
        target = f"real Asterisk at {ari_url}"
    else:
        port = _free_port()
        sim_proc = subprocess.Popen(
            [sys.executable, "-m", "asterisk_sim", "--port", str(port), "--user", USER,
             "--password", PASSWORD, "--app", APP],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        ari_url, user, password, app = f"http://127.0.0.1:{port}", USER, PASSWORD, APP
        agent_dial = "PJSIP/{extension}"
        target = "simulated Asterisk (separate process)"
        await _wait_http(ari_url)

    db_url = f"sqlite://{tmp / 'bench.sqlite3'}"
    await crm_db.migrate(db_url)
    await crm_db.init_db(db_url)
    settings = load_settings(env={}, data_dir=tmp / "data", database_url=db_url, ari_url=ari_url,
                             ari_user=user, ari_password=password, ari_app=app,
                             agent_dial=agent_dial, timezone="UTC")
    hub = LocalHub()
    watcher = hub.subscribe([SUPERVISION], max_pending=1_000_000)
    pushed = 0

    async def watch() -> None:
        nonlocal pushed
        async for _ in watcher:
            pushed += 1

    watch_task = asyncio.create_task(watch())
    # The CRM lookup of the caller (screen pop, sticky routing) is on the path, as in production.
    runtime = AcdRuntime(settings, hub, CrmDirectory(settings.default_region))
    probe = Probe()
    try:
        group = await Group.create(name="bench", number="5000", ring_timeout_s=20, wrapup_s=0,
                                   autopause_after=0)
        agents = []
        for n in range(args.agents):
            agent = await User.create(login=f"agent{n}", name=f"Agent {n}", password_hash="-",
                                      role=Role.AGENT)
            await GroupMember.create(user=agent, group=group, position=n)
            agents.append(agent)

        # The driver placing calls obeys the same rule as the app: Asterisk's HTTP server
        # keeps ~10 pending connections, so a burst needs a small kept-alive pool.
        connector = aiohttp.TCPConnector(limit=8)
        headers = _auth(user, password)
        async with aiohttp.ClientSession(headers=headers, connector=connector) as http:
            extensions = await _phones(http, ari_url, real, args.agents)
            await runtime.start(takeover=True)
            assert runtime.client is not None and runtime.service is not None
            _instrument(runtime, probe)
            for agent, ext in zip(agents, extensions, strict=True):
                await runtime.service.login(agent.id, ext)

            print(f"PROWEBCRM call distribution bench — {target}, {args.agents} agents, "
                  f"journal on SQLite, hub with a live subscriber")
            print(f"{'calls':>6} {'n':>5} {'originate p50/p99 ms':>22} {'bridged p50/p99 ms':>20}"
                  f" {'CPU/call ms':>12}")
            for simultaneous in [int(x) for x in args.rounds.split(",")]:
                repeats = args.single_repeats if simultaneous == 1 else 1
                originate, bridged, cpu = [], [], []
                for _ in range(repeats):
                    o, b, c = await _round(http, ari_url, real, runtime, probe, simultaneous)
                    originate += o
                    bridged += b
                    cpu.append(c)
                print(f"{simultaneous:>6} {len(bridged):>5} "
                      f"{pct(originate, 50):>10.2f} / {pct(originate, 99):<9.2f} "
                      f"{pct(bridged, 50):>8.2f} / {pct(bridged, 99):<9.2f} "
                      f"{statistics.mean(cpu):>10.3f}")
            assert runtime.journal is not None
            await runtime.journal.flush()
            print(f"journal writes {runtime.journal.writes}, failures {runtime.journal.failures};"
                  f" hub events pushed {pushed}")
    finally:
        await runtime.stop()
        watcher.close()
        await asyncio.gather(watch_task, return_exceptions=True)
        await crm_db.close_db()
        if sim_proc is not None:
            sim_proc.terminate()
            sim_proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def _instrument(runtime: AcdRuntime, probe: Probe) -> None:
    controller = runtime.controller
    assert controller is not None and runtime.client is not None
    original_on_event = controller.on_ari_event

    async def on_event(event: ev.Event) -> None:
        probe.on_event(event)
        await original_on_event(event)

    # The client's dispatcher holds its handler list: swap the bound handler in place.
    handlers = runtime.client._handlers
    handlers[:] = [on_event if h == original_on_event else h for h in handlers]
    channels = runtime.client.channels
    original_originate = channels.originate

    async def originate(endpoint: str, **kwargs: object) -> object:
        leg = runtime.registry.legs.get(kwargs.get("channel_id", ""))
        if leg is not None:
            probe.originated.setdefault(leg.call_id, time.perf_counter())
        return await original_originate(endpoint, **kwargs)

    channels.originate = originate  # type: ignore[method-assign]
    bridges = runtime.client.bridges
    original_add = bridges.add_channel

    async def add_channel(bridge_id: str, channels: str | list[str], **kwargs: Any) -> None:
        await original_add(bridge_id, channels, **kwargs)
        probe.on_added([channels] if isinstance(channels, str) else list(channels), runtime)

    bridges.add_channel = add_channel  # type: ignore[method-assign,assignment]


async def _round(http: aiohttp.ClientSession, url: str, real: bool, runtime: AcdRuntime,
                 probe: Probe, simultaneous: int) -> tuple[list[float], list[float], float]:
    probe.reset()
    cpu0 = time.process_time()
    handles = await asyncio.gather(*(_place(http, url, real, n) for n in range(simultaneous)))
    deadline = time.monotonic() + 60
    while len(probe.bridged) < simultaneous and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    assert runtime.controller is not None
    await runtime.controller.idle()
    cpu = (time.process_time() - cpu0) * 1000 / simultaneous
    originate = [(probe.originated[c] - probe.entered[c]) * 1000 for c in probe.bridged
                 if c in probe.originated and c in probe.entered]
    bridged = [(probe.bridged[c] - probe.entered[c]) * 1000 for c in probe.bridged
               if c in probe.entered]
    await asyncio.gather(*(_hangup(http, url, real, runtime, h) for h in handles))
    while runtime.controller.engine.calls() and time.monotonic() < deadline + 30:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return originate, bridged, cpu


async def _place(http: aiohttp.ClientSession, url: str, real: bool, n: int) -> str:
    number = f"06{n:08d}"
    if real:
        handle = f"pwbench-{n}-{time.monotonic_ns()}"
        dial = os.environ.get("PROWEBCRM_TEST_INBOUND_DIAL", "Local/{group}@inbound")
        params = {"endpoint": dial.format(group="5000"), "channelId": handle,
                  "context": os.environ.get("PROWEBCRM_TEST_CALLER_CONTEXT", "caller"),
                  "extension": "5000", "priority": "1", "callerId": f"<{number}>"}
        async with http.post(f"{url}/ari/channels", params=params) as reply:
            reply.raise_for_status()
        return handle
    async with http.post(f"{url}/sim/calls", json={"group": "5000",
                                                   "caller_number": number}) as reply:
        reply.raise_for_status()
        return (await reply.json())["id"]


async def _hangup(http: aiohttp.ClientSession, url: str, real: bool, runtime: AcdRuntime,
                  handle: str) -> None:
    path = f"/ari/channels/{handle}" if real else f"/sim/calls/{handle}/hangup"
    method = http.delete if real else http.post
    async with method(url + path) as reply:
        await reply.read()


async def _phones(http: aiohttp.ClientSession, url: str, real: bool, count: int) -> list[str]:
    if real:
        dial = os.environ.get("PROWEBCRM_TEST_AGENT_DIAL", "Local/{extension}@agent-phones")
        return [dial.format(extension=str(7000 + n)) for n in range(count)]
    for n in range(count):
        async with http.post(f"{url}/sim/phones/{7000 + n}",
                             json={"behaviour": "auto_answer", "answer_delay": 0}) as reply:
            reply.raise_for_status()
    return [str(7000 + n) for n in range(count)]


def _auth(user: str, password: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _wait_http(url: str) -> None:
    for _ in range(100):
        try:
            async with aiohttp.ClientSession() as http, http.get(url + "/ari/asterisk/info"):
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"the simulator at {url} did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    asyncio.run(main())
