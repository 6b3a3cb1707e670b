"""``prowebcrm demo``: the whole product in one process on the embedded defaults.

SQLite in the data directory, a simulated Asterisk on a loopback port (real ARI over HTTP
and WebSocket), the Stasis application connected to it, simulated agents answering for the
seeded agents no person logs in as, a call generator, and the web app. Ctrl-C stops all of
it (aiohttp unwinds the cleanup contexts in reverse: web, ACD, simulator, database).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from crm import db as crm_db
from prowebcrm import demo_seed
from prowebcrm.server import build_app
from prowebcrm.settings import Settings
from stasis_app.runtime import AcdRuntime
from web.appkeys import SERVICES_KEY

log = logging.getLogger("prowebcrm.demo")

DEFAULT_CALLS_PER_MINUTE = 6.0
GROUP_SHARE = {"100": 0.5, "200": 0.35, "300": 0.15}
BOT_ANSWER_DELAY_S = 3.0
MEAN_TALK_TIME_S = 45.0
MEAN_PATIENCE_S = 90.0


@dataclass
class DemoWorld:
    """What the demo runs besides the product; the admin page and the softphone use it."""

    simulator: object
    calls_per_minute: float
    traffic: bool
    known_numbers: list[str] = field(default_factory=list)

    def set_traffic(self, calls_per_minute: float | None = None, running: bool | None = None
                    ) -> dict:
        sim = self.simulator
        if calls_per_minute is not None:
            self.calls_per_minute = max(0.0, calls_per_minute)
        sim.configure_generator(  # type: ignore[attr-defined]
            rates={g: self.calls_per_minute * share for g, share in GROUP_SHARE.items()},
            mean_talk_time=MEAN_TALK_TIME_S,
            abandon_patience=MEAN_PATIENCE_S,
            known_numbers=self.known_numbers,
        )
        generator = sim.generator  # type: ignore[attr-defined]
        if running is not None:
            self.traffic = running
        if self.traffic and generator.state != "running":
            generator.start()
        elif not self.traffic and generator.state == "running":
            generator.pause()
        return generator.status()


def run_demo(
    settings: Settings,
    *,
    fresh: bool = False,
    calls_per_minute: float | None = None,
    traffic: bool = True,
) -> None:
    if fresh:
        _delete_database(settings)
    settings = settings.with_(demo=True)
    asyncio.run(_prepare(settings))
    sim_port = _free_port(settings.host)
    sim_password = secrets.token_urlsafe(12)
    settings = settings.with_(
        ari_url=f"http://127.0.0.1:{sim_port}",
        ari_user="demo",
        ari_password=sim_password,
        agent_dial="PJSIP/{extension}",
        outbound_dial="PJSIP/{number}@trunk",
    )
    world_box: dict[str, DemoWorld] = {}
    rate = DEFAULT_CALLS_PER_MINUTE if calls_per_minute is None else calls_per_minute

    async def simulator_context(app: web.Application) -> AsyncIterator[None]:
        from asterisk_sim import Simulator

        sim = Simulator(user="demo", password=sim_password, app_for_inbound=settings.ari_app,
                        seed=7)
        await sim.start("127.0.0.1", sim_port)
        for _, _, ext in demo_seed.HUMAN_AGENTS:
            sim.phones.add(ext, behaviour="manual")
        for _, _, ext in demo_seed.BOT_AGENTS:
            sim.phones.add(ext, behaviour="auto_answer", answer_delay=BOT_ANSWER_DELAY_S)
        world = DemoWorld(sim, rate, traffic, await demo_seed.known_numbers())
        world_box["world"] = world
        app[SERVICES_KEY]["demo"] = world
        try:
            yield
        finally:
            await sim.stop()

    def acd_ready(app: web.Application, runtime: AcdRuntime) -> None:
        app[SERVICES_KEY]["demo_bots"] = asyncio.get_running_loop().create_task(
            _start_bots(runtime, world_box["world"])
        )

    app = build_app(settings, before_acd=[simulator_context], takeover=True,
                    on_acd_ready=acd_ready)
    # run_app calls `print` once the port is listening: only then is the URL worth giving.
    web.run_app(app, host=settings.host, port=settings.port,
                print=lambda _: _announce(settings), access_log=None)
    print("PROWEBCRM demo stopped.")


async def _prepare(settings: Settings) -> None:
    print("PROWEBCRM demo: preparing the database", flush=True)
    await crm_db.migrate(settings.database_url)
    await crm_db.init_db(settings.database_url)
    try:
        if not await demo_seed.already_seeded():
            await demo_seed.seed(settings.default_region,
                                 progress=lambda line: print("  " + line, flush=True))
        else:
            print("  existing demo data kept (use --fresh to start over)", flush=True)
    finally:
        await crm_db.close_db()


async def _start_bots(runtime: AcdRuntime, world: DemoWorld) -> None:
    """The seeded agents nobody logs in as are answered by simulated phones."""
    from crm.models import User

    assert runtime.service is not None
    for login, _, ext in demo_seed.BOT_AGENTS:
        user = await User.get_or_none(login=login, active=True)
        if user is not None:
            await runtime.service.login(user.id, ext)
    world.set_traffic()


def _announce(settings: Settings) -> None:
    url = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        f"PROWEBCRM demo running on {url}  (Ctrl-C to stop)",
        "Log in as:",
    ]
    for person in demo_seed.demo_logins():
        extra = f", extension {person.extension}" if person.extension else ""
        lines.append(f"  {person.role:<10} {person.login:<12} password {person.password}"
                     f"   ({person.name}{extra})")
    lines.append("Simulated callers ring groups Ventes (100), Support (200) and VIP (300).")
    print("\n".join(lines), flush=True)


def _delete_database(settings: Settings) -> None:
    if settings.is_sqlite:
        path = settings.database_url.removeprefix("sqlite://")
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                import os

                os.remove(path + suffix)
            except FileNotFoundError:
                pass
        print("PROWEBCRM demo: starting over with empty data", flush=True)
    else:
        log.warning("--fresh only deletes the embedded SQLite database; %s kept",
                    settings.database_url.split("@")[-1])


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
