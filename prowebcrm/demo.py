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
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from crm import db as crm_db
from prowebcrm import demo_seed
from prowebcrm.demo_seed import GROUP_SHARE
from prowebcrm.server import build_app
from prowebcrm.settings import Settings, SettingsError
from stasis_app.runtime import AcdRuntime
from web.appkeys import SERVICES_KEY

log = logging.getLogger("prowebcrm.demo")

# Over all groups: about two thirds of the six simulated agents busy, so queues form at times.
DEFAULT_CALLS_PER_MINUTE = 4.0
BOT_ANSWER_DELAY_S = 3.0
MEAN_TALK_TIME_S = 45.0
MEAN_PATIENCE_S = 90.0
MAX_RATE_PER_GROUP = 60.0  # calls per minute; more only floods the queues
MAX_BURST = 50


@dataclass
class DemoWorld:
    """What the demo runs besides the product; the traffic page and the softphone use it.

    ``rates``: generated calls per minute, per group number.
    """

    simulator: Any
    rates: dict[str, float]
    traffic: bool
    known_numbers: list[str] = field(default_factory=list)
    group_names: dict[str, str] = field(default_factory=dict)  # number -> name

    @property
    def calls_per_minute(self) -> float:
        return sum(self.rates.values())

    def set_traffic(
        self,
        calls_per_minute: float | None = None,
        running: bool | None = None,
        rates: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        """Change the total rate (split over the groups as usual), some groups' rates, and/or
        pause (False) or resume (True) the generator; returns :meth:`status`."""
        if calls_per_minute is not None:
            self.rates = split_rate(_checked(calls_per_minute, MAX_RATE_PER_GROUP * 3))
        for group, rate in (rates or {}).items():
            if group not in self.rates:
                raise ValueError(f"unknown group {group!r}")
            self.rates[group] = _checked(rate, MAX_RATE_PER_GROUP)
        self.simulator.configure_generator(
            rates=dict(self.rates),
            mean_talk_time=MEAN_TALK_TIME_S,
            abandon_patience=MEAN_PATIENCE_S,
            known_numbers=self.known_numbers,
        )
        generator = self.simulator.generator
        if running is not None:
            self.traffic = running
        if self.traffic and generator.state != "running":
            generator.start()
        elif not self.traffic and generator.state == "running":
            generator.pause()
        return self.status()

    def burst(self, count: int, group: str | None = None) -> int:
        """``count`` calls at once, to ``group`` or spread over every group."""
        if not 1 <= count <= MAX_BURST:
            raise ValueError(f"a burst is 1 to {MAX_BURST} calls")
        if group is not None and group not in self.rates:
            raise ValueError(f"unknown group {group!r}")
        return int(self.simulator.generator.burst(count, group))

    def status(self) -> dict[str, Any]:
        generator = self.simulator.generator
        waiting = sum(1 for c in self.simulator.callers.active() if c.state == "waiting")
        return {
            "running": generator.state == "running",
            "placed": generator.placed,
            "waiting": waiting,
            "rates": dict(self.rates),
            "group_names": dict(self.group_names),
            "mean_talk_s": MEAN_TALK_TIME_S,
            "mean_patience_s": MEAN_PATIENCE_S,
        }


def split_rate(calls_per_minute: float) -> dict[str, float]:
    return {g: round(calls_per_minute * share, 2) for g, share in GROUP_SHARE.items()}


def _checked(rate: float, limit: float) -> float:
    if not 0 <= rate <= limit:  # also refuses NaN
        raise ValueError(f"a rate is 0 to {limit:g} calls per minute")
    return float(rate)


def run_demo(
    settings: Settings,
    *,
    fresh: bool = False,
    calls_per_minute: float | None = None,
    traffic: bool = True,
) -> None:
    rate = DEFAULT_CALLS_PER_MINUTE if calls_per_minute is None else calls_per_minute
    try:
        rates = split_rate(_checked(rate, MAX_RATE_PER_GROUP * 3))
    except ValueError as exc:
        raise SettingsError(f"--calls-per-minute: {exc}") from None
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
        # B9: the simulated Asterisk writes its recordings (silent wav files) here
        recordings_dir=str(settings.data_dir / "recordings"),
    )
    world_box: dict[str, DemoWorld] = {}

    async def simulator_context(app: web.Application) -> AsyncIterator[None]:
        from asterisk_sim import Simulator

        sim = Simulator(user="demo", password=sim_password, app_for_inbound=settings.ari_app,
                        seed=7)
        sim.engine.recording_dir = Path(settings.recordings_dir)
        await sim.start("127.0.0.1", sim_port)
        for _, _, ext in demo_seed.HUMAN_AGENTS:
            sim.phones.add(ext, behaviour="manual")
        for _, _, ext in demo_seed.BOT_AGENTS:
            sim.phones.add(ext, behaviour="auto_answer", answer_delay=BOT_ANSWER_DELAY_S)
        world = DemoWorld(sim, rates, traffic, await demo_seed.known_numbers(),
                          await demo_seed.group_names())
        world_box["world"] = world
        attach_world(app, world)
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
    mark_demo_pages(app)
    # run_app calls `print` once the port is listening: only then is the URL worth giving.
    web.run_app(app, host=settings.host, port=settings.port,
                print=lambda _: _announce(settings), access_log=None)
    print("PROWEBCRM demo stopped.")


def attach_world(app: web.Application, world: DemoWorld) -> None:
    """What the softphone and the traffic page reach (web/api/demo_*.py)."""
    app[SERVICES_KEY]["demo"] = world


def mark_demo_pages(app: web.Application) -> None:
    """base.html links the traffic page for administrators only when this is set."""
    aiohttp_jinja2.get_env(app).globals["demo_mode"] = True


async def _prepare(settings: Settings) -> None:
    print("PROWEBCRM demo: preparing the database", flush=True)
    began = time.monotonic()
    await crm_db.migrate(settings.database_url)
    await crm_db.init_db(settings.database_url)
    try:
        if await demo_seed.already_seeded():
            print("  existing demo data kept (use --fresh to start over)", flush=True)
        elif await demo_seed.has_data():
            # Not ours to overwrite: an interrupted seeding, or a database of real data.
            print("  the database already holds data the demo did not finish seeding: kept "
                  "as is (use --fresh to start over with demo data)", flush=True)
        else:
            await demo_seed.seed(settings.default_region, settings.tz,
                                 progress=lambda line: print("  " + line, flush=True))
            print(f"  demo data ready in {time.monotonic() - began:.1f} s", flush=True)
    finally:
        await crm_db.close_db()


async def _start_bots(runtime: AcdRuntime, world: DemoWorld) -> None:
    """The seeded agents nobody logs in as are answered by simulated phones."""
    from crm.models import User

    assert runtime.service is not None
    for login, _, ext in demo_seed.BOT_AGENTS:
        user = await User.get_or_none(login=login, active=True)
        view = runtime.service.agent(user.id) if user is not None else None
        if user is not None and (view is None or view.state.value == "logged_out"):
            await runtime.service.login(user.id, ext)  # not when back from a restart
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
    lines.append("Simulated callers ring groups Ventes (100), Support (200) and VIP (300); "
                 f"the administrator controls them at {url}/admin/traffic")
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
        port: int = sock.getsockname()[1]
        return port
