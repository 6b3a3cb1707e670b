"""Console tests: the web app alone (API checks) and the full product on the simulated
Asterisk (ACD, hub, /ws/live) for the end-to-end and browser scenarios."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from crm.models import Group, GroupMember, Role, User
from prowebcrm.server import build_app
from prowebcrm.settings import Settings, load_settings
from tests.web.conftest import (  # noqa: F401  (fixtures re-exported for this folder)
    admin,
    admin_client,
    app,
    client,
    fast_hasher,
    new_client,
)
from tests.web.webtools import login, make_user
from web.appkeys import RUNTIME_KEY, SERVICES_KEY

GROUP_NUMBER = "500"


@dataclass
class DemoWorldStub:
    """What the softphone API reads from the demo services: the simulator."""

    simulator: Any


@dataclass
class Product:
    app: web.Application
    sim: Any
    settings: Settings
    group: Group | None = None

    @property
    def acd(self) -> Any:
        return self.app[RUNTIME_KEY]

    async def until(self, check: Any, timeout: float = 8.0, what: str = "") -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = check()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what or check}")
            await asyncio.sleep(0.02)

    async def reload_groups(self) -> None:
        await self.app[SERVICES_KEY]["acd_runtime"].reload_groups()

    def state(self, agent_id: int) -> str | None:
        view = self.acd.agent(agent_id)
        return view.state.value if view else None


def product_app(tmp_path: Path, sqlite_template: Path, *, demo: bool = True
                ) -> tuple[web.Application, Any, Settings]:
    """The full app as ``prowebcrm demo`` builds it (simulated Asterisk on a loopback port,
    the ACD connected to it), on a copy of the migrated database template."""
    from asterisk_sim import Simulator

    db_file = tmp_path / "console.sqlite3"
    shutil.copy(sqlite_template, db_file)
    port = free_port()
    sim = Simulator(user="acd", password="acd-secret", app_for_inbound="pw-console")
    settings = load_settings(
        env={}, data_dir=tmp_path / "data", database_url=f"sqlite://{db_file}",
        ari_url=f"http://127.0.0.1:{port}", ari_user="acd", ari_password="acd-secret",
        ari_app="pw-console", agent_dial="PJSIP/{extension}",
        outbound_dial="PJSIP/{number}@trunk", timezone="UTC", demo=demo,
    )

    async def simulator_context(web_app: web.Application) -> AsyncIterator[None]:
        await sim.start("127.0.0.1", port)
        web_app[SERVICES_KEY]["demo"] = DemoWorldStub(sim)
        try:
            yield
        finally:
            await sim.stop()

    def keep_runtime(web_app: web.Application, runtime: Any) -> None:
        web_app[SERVICES_KEY]["acd_runtime"] = runtime  # tests reload groups through it

    full = build_app(settings, before_acd=[simulator_context], takeover=True,
                     on_acd_ready=keep_runtime)
    full[SERVICES_KEY]["lost_page_grace_s"] = 600.0  # tests close pages at will
    return full, sim, settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def product(aiohttp_client: Any, tmp_path: Path, sqlite_template: Path
                  ) -> AsyncIterator[tuple[Product, TestClient]]:
    full, sim, settings = product_app(tmp_path, sqlite_template)
    browser = await aiohttp_client(full)
    try:
        yield Product(full, sim, settings), browser
    finally:
        # Shut the app down here, in the context that started it: tortoise keeps its
        # connections in a context variable, and pytest-aiohttp's own finalizer runs in
        # another context, where the journal's last rollup refresh found no database.
        await browser.close()


@pytest.fixture
async def served(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[tuple[Product, str]]:
    """The full product on a loopback port, for real browsers: (product, base URL)."""
    full, sim, settings = product_app(tmp_path, sqlite_template)
    runner = web.AppRunner(full, access_log=None)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield Product(full, sim, settings), f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def make_group(agents: list[User], number: str = GROUP_NUMBER, **extra: Any) -> Group:
    values: dict[str, Any] = {"ring_timeout_s": 6, "wrapup_s": 0, "autopause_after": 0}
    values.update(extra)
    group = await Group.create(name=f"Sales {number}", number=number, **values)
    for position, agent in enumerate(agents):
        await GroupMember.create(user=agent, group=group, penalty=0, position=position)
    return group


async def agent_session(aiohttp_client: Any, server_client: TestClient, login_name: str,
                        **extra: Any) -> tuple[User, TestClient, str]:
    """A new agent with its own browser (cookie jar) logged in: (user, client, csrf)."""
    user = await make_user(login_name, Role.AGENT, **extra)
    browser = await aiohttp_client(server_client.server)
    token = await login(browser, login_name)
    return user, browser, token
