"""Benchmark of the ARI client (prints figures; not a test).

    .venv/bin/python bench/bench_ari_client.py [--url http://127.0.0.1:8088 --user u
        --password p] [--requests 1000] [--concurrency 100] [--events 200000]

Target: --url/--user/--password or PROWEBCRM_BENCH_ARI_URL/_USER/_PASSWORD; otherwise the
simulator (asterisk_sim) if importable, else a minimal ARI-like aiohttp server started in
this process, on the same event loop (so its time is inside the measured latency).
Events/s: the recorded trace events fed repeatedly through parse + keyed dispatch to a
no-op handler, no network, one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stasis_app.ari import AriClient, Event, parse_event

TRACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "ari-traces"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def show(label: str, lat: list[float], wall: float) -> None:
    ms = [x * 1000 for x in lat]
    print(f"  {label:<28} n={len(ms):>5}  p50={pct(ms, 50):6.3f} ms  p99={pct(ms, 99):6.3f} ms"
          f"  mean={statistics.fmean(ms):6.3f} ms  {len(ms) / wall:8.0f} req/s")


async def minimal_server() -> tuple[str, Any]:
    async def info(_: web.Request) -> web.Response:
        return web.json_response({"system": {"version": "bench", "entity_id": "00:00"}})

    app = web.Application()
    app.router.add_get("/ari/asterisk/info", info)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return f"http://127.0.0.1:{port}", runner.cleanup


async def target(args: argparse.Namespace) -> tuple[str, str, str, str, Any]:
    if args.url:
        return args.url, args.user, args.password, f"given URL {args.url}", None
    try:
        from asterisk_sim import Simulator
    except ImportError:
        url, stop = await minimal_server()
        return url, "u", "p", "minimal in-process aiohttp ARI-like server (same loop)", stop
    sim = Simulator(user="u", password="p")
    await sim.start(host="127.0.0.1", port=0)
    return sim.url, "u", "p", "asterisk_sim.Simulator (in process, same loop)", sim.stop


async def bench_rest(args: argparse.Namespace) -> None:
    url, user, password, what, stop = await target(args)
    print(f"REST GET /asterisk/info against: {what}")
    try:
        async with AriClient(url, user, password, "bench") as client:
            for _ in range(50):  # warm the pool
                await client.asterisk.info()
            lat = []
            t0 = time.perf_counter()
            for _ in range(args.requests):
                t = time.perf_counter()
                await client.asterisk.info()
                lat.append(time.perf_counter() - t)
            show(f"{args.requests} sequential", lat, time.perf_counter() - t0)

            async def one() -> float:
                t = time.perf_counter()
                await client.asterisk.info()
                return time.perf_counter() - t

            lat = []
            rounds = 10
            t0 = time.perf_counter()
            for _ in range(rounds):
                lat += await asyncio.gather(*(one() for _ in range(args.concurrency)))
            show(f"{args.concurrency} concurrent x{rounds} rounds", lat,
                 time.perf_counter() - t0)
            print(f"  (pool: {client._http.max_connections} kept-alive connections max)")
    finally:
        if stop is not None:
            await stop()


def trace_lines() -> list[str]:
    # ApplicationReplaced is left out: it (rightly) switches the client off.
    lines = [ln for f in sorted(TRACES.glob("*.jsonl")) for ln in f.read_text().splitlines()
             if ln.strip() and '"ApplicationReplaced"' not in ln]
    if lines:
        return lines
    print("  (traces not found; using a synthetic StasisStart)")
    ch = {"id": "c1", "name": "PJSIP/1-1", "state": "Up", "caller": {"name": "", "number": "1"},
          "connected": {"name": "", "number": ""}, "dialplan": {"context": "x", "exten": "s",
          "priority": 1, "app_name": "", "app_data": ""}, "creationtime": "t"}
    return [json.dumps({"type": "StasisStart", "application": "crm", "timestamp": "t",
                        "args": [], "channel": ch})]


async def bench_events(args: argparse.Namespace) -> None:
    lines = trace_lines()
    print(f"Events: {len(lines)} distinct trace lines, {args.events} events per run, one core")
    raw = [json.loads(ln) for ln in lines]
    t0 = time.perf_counter()
    n = 0
    while n < args.events:
        for ln in lines:
            json.loads(ln)
        n += len(lines)
    dt = time.perf_counter() - t0
    print(f"  json.loads only (reference)     {n / dt:10.0f} events/s")
    t0 = time.perf_counter()
    n = 0
    while n < args.events:
        for d in raw:
            parse_event(d)
        n += len(raw)
    dt = time.perf_counter() - t0
    print(f"  parse only (dict -> typed)      {n / dt:10.0f} events/s")

    handled = 0

    async def handler(_: Event) -> None:
        nonlocal handled
        handled += 1

    client = AriClient("http://127.0.0.1:9", "u", "p", "crm")
    client.on_event(handler)
    t0 = time.perf_counter()
    n = 0
    while n < args.events:
        for ln in lines:  # JSON text as it comes off the socket
            client.feed(ln)
        n += len(lines)
        await client.drain()
    dt = time.perf_counter() - t0
    assert handled == n, (handled, n)
    print(f"  json + parse + keyed dispatch   {n / dt:10.0f} events/s  (handler saw {handled})")
    await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=os.environ.get("PROWEBCRM_BENCH_ARI_URL"))
    ap.add_argument("--user", default=os.environ.get("PROWEBCRM_BENCH_ARI_USER", "u"))
    ap.add_argument("--password", default=os.environ.get("PROWEBCRM_BENCH_ARI_PASSWORD", "p"))
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--events", type=int, default=200_000)
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, aiohttp client, {os.cpu_count()} CPUs visible")
    asyncio.run(bench_rest(args))
    asyncio.run(bench_events(args))


if __name__ == "__main__":
    main()
